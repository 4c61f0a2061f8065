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
