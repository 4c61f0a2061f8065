// What every browser and process test needs: where the binary is, a free
// loopback port, and Debian's chromium launched the way the project runs it.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import net from 'node:net';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const bin = process.env.GUILDHALL_BIN || join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug', 'guildhall');
export const shots = join(root, 'e2e', 'screenshots');
mkdirSync(shots, { recursive: true });

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

// The layout faults a screenshot shows and a text assertion does not: a
// header that overflows the page or breaks its lines by accident, and list
// rows whose tags and byline sit beside the title instead of under it
// (`rows`: the rows' selector, or null for a page without a list).
export async function assertLayout(page, rows) {
  const l = await page.evaluate((sel) => {
    const box = (e) => e.getBoundingClientRect();
    const brand = box(document.querySelector('.brand'));
    const account = box(document.querySelector('nav.account'));
    const primary = box(document.querySelector('nav.primary'));
    return {
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      accountBesideBrand: Math.abs(account.top + account.height / 2 - (brand.top + brand.height / 2)) < brand.height,
      sectionsUnderBrand: primary.top >= brand.bottom - 2,
      rows: sel === null ? [] : [...document.querySelectorAll(sel)].map((r) => {
        const title = box(r.querySelector('h2'));
        const meta = r.querySelector('.meta');
        return { metaUnderTitle: box(meta).top >= title.bottom - 1, metaBorder: getComputedStyle(meta).borderTopWidth };
      }),
    };
  }, rows);
  if (l.overflow > 0) throw new Error(`page is ${l.overflow}px wider than the window`);
  if (!l.accountBesideBrand) throw new Error('account links wrapped off the brand line');
  if (!l.sectionsUnderBrand) throw new Error('section links are not on their own line');
  if (rows !== null && l.rows.length === 0) throw new Error(`no rows matched ${rows}`);
  l.rows.forEach((r, i) => {
    if (!r.metaUnderTitle) throw new Error(`row ${i + 1}: tags and byline beside the title`);
    if (r.metaBorder !== '0px') throw new Error(`row ${i + 1}: tags and byline boxed (${r.metaBorder} border)`);
  });
}
