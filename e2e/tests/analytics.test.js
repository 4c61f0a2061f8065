// Community analytics as a DevRel lead meets it, in a real browser: GH
// Archive events imported and computed with the command line, then the
// overview ranking, a repository's page (charts, sortable tables, CSV,
// the star ring flagged with its reasons), a developer's page, both
// languages, and the JSON API agreeing with the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, bin, freePort, shots, launchBrowser } from '../lib.js';


function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, GUILDHALL_LOG: 'warn' } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

let dir, server, browser, base;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'guildhall-analytics-'));
  const data = join(dir, 'db');
  // Three months of generated events (the generator plants a ring of 60
  // fresh accounts starring the same 12 repositories within a week).
  for (const m of ['2026-08', '2026-09', '2026-10']) {
    run('python3', [join(root, 'bench/gen_gharchive.py'), join(dir, `${m}.json`), '20000', '--developers', '1500', '--repos', '150', '--month', m]);
  }
  const report = JSON.parse(run(bin, ['--data-dir', data, 'analytics', 'import', dir, '--format', 'json']));
  assert.equal(report.events, 60000 - report.duplicates - report.untracked);
  run(bin, ['--data-dir', data, 'analytics', 'compute']);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ['--data-dir', data, 'serve', '--bind', `127.0.0.1:${port}`], { env: { ...process.env, GUILDHALL_LOG: 'warn' } });
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

async function newPage(lang = 'en-US') {
  const ctx = await browser.newContext({ locale: lang, viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  return ctx.newPage();
}

const cellNumbers = (page, table, col) =>
  page.$$eval(`#table-${table} tbody tr`, (rows, col) => rows.map((r) => parseFloat(r.cells[col].dataset.sort)), col);

test('overview ranks repositories and developers; a repository page has charts, sortable tables and CSV', async () => {
  const page = await newPage();
  await page.goto(`${base}/`);
  await page.click('nav.primary a[href="/analytics"]');
  await page.waitForSelector('#table-repositories');
  assert.match(await page.textContent('main'), /repositories and \d+ developers ranked this month/);
  // Ranked by OpenRank by default; the activity tab re-ranks.
  const byRank = await cellNumbers(page, 'repositories', 2);
  assert.ok(byRank.length > 10);
  assert.deepEqual(byRank, [...byRank].sort((a, b) => b - a));
  await page.click('text=By activity');
  await page.waitForURL(/sort=activity/);
  const byActivity = await cellNumbers(page, 'repositories', 3);
  assert.deepEqual(byActivity, [...byActivity].sort((a, b) => b - a));
  await page.screenshot({ path: join(shots, 'analytics-overview-en.png'), fullPage: true });

  // The top repository: five server-drawn charts, each with data.
  const top = await page.textContent('#table-repositories tbody tr:first-child td:nth-child(2) a');
  await page.click('#table-repositories tbody tr:first-child td:nth-child(2) a');
  await page.waitForSelector('svg.chart');
  assert.equal(await page.textContent('h1'), top);
  assert.equal(await page.locator('svg.chart').count(), 5);
  assert.equal(await page.locator('svg.chart text.chart-empty').count(), 0);
  assert.equal(await page.locator('svg.chart').first().locator('circle').count(), 3, 'one point per month');
  // Sorting a table by a column: click, descending; click again, ascending.
  const header = page.locator('#table-developers th', { hasText: 'Activity' });
  await header.locator('button').click();
  assert.equal(await header.getAttribute('aria-sort'), 'descending');
  let acts = await cellNumbers(page, 'developers', 1);
  assert.deepEqual(acts, [...acts].sort((a, b) => b - a));
  await header.locator('button').click();
  acts = await cellNumbers(page, 'developers', 1);
  assert.deepEqual(acts, [...acts].sort((a, b) => a - b));
  await page.screenshot({ path: join(shots, 'analytics-repo-en.png'), fullPage: true });

  // CSV of the periods table: the same rows as the page.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#table-periods a[download]'),
  ]);
  const stream = await download.createReadStream();
  let csv = '';
  for await (const chunk of stream) csv += chunk;
  const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
  assert.match(lines[0], /^Period,Activity,OpenRank,/);
  assert.equal(lines.length - 1, await page.locator('#table-periods tbody tr').count());
  assert.match(download.suggestedFilename(), /-periods-month\.csv$/);

  // Quarterly: one row for the quarter holding the three months? Aug and Sep
  // are Q3, Oct is Q4: two rows.
  await page.click('nav.tabs >> text=Quarterly');
  await page.waitForURL(/period=quarter/);
  assert.deepEqual(await page.$$eval('#table-periods tbody tr td:first-child', (c) => c.map((x) => x.textContent)), ['2026Q3', '2026Q4']);

  // The JSON API says what the page says.
  const api = await (await fetch(`${base}/api/v1/analytics/repos/${top}?period=month`)).json();
  assert.equal(api.repo, top);
  assert.equal(api.rows.length, 3);
  const pageActivity = parseFloat(await page.textContent('.summary div:nth-child(4) dd'));
  const apiActivity = api.rows.reduce((s, r) => s + r.activity, 0);
  assert.ok(Math.abs(pageActivity - apiActivity) < 0.01, `${pageActivity} vs ${apiActivity}`);
});

test('a star ring is flagged with its reasons; pages read in Chinese', async () => {
  const page = await newPage('zh-CN');
  // The generator's ring stars repositories 5000..5011 of org2000..org2011.
  await page.goto(`${base}/analytics/repos/org2000/project-5000`);
  assert.equal(await page.textContent('nav.primary a[href="/analytics"]'), '社区分析');
  const summary = await page.$$eval('.summary dd', (d) => d.map((x) => x.textContent));
  assert.equal(summary[0], '60');
  assert.equal(summary[1], '60 (100.0%)');
  assert.equal(summary[2], '1');
  const reasons = await page.$$eval('#table-suspects tbody td:nth-child(3)', (c) => c.map((x) => x.textContent));
  assert.equal(reasons.length, 60);
  for (const r of reasons) assert.match(r, /同步行动群组 1：60 个账号在 .* 期间为同样的 12 个仓库加星/);
  assert.equal(await page.locator('#table-groups tbody tr').count(), 1);
  // The attention chart draws the suspected stars as their own series.
  const attention = page.locator('svg.chart').nth(2);
  assert.ok((await attention.locator('rect.bar.series-1').count()) >= 1);
  await page.screenshot({ path: join(shots, 'analytics-vanity-zh.png'), fullPage: true });

  // A developer's page from the overview, in Chinese.
  await page.goto(`${base}/analytics`);
  await page.click('#table-developers tbody tr:first-child td:nth-child(2) a');
  await page.waitForSelector('svg.chart');
  assert.equal(await page.locator('svg.chart').count(), 3);
  assert.match(await page.textContent('main'), /开发者：各周期的活跃度与全域 OpenRank/);
  assert.ok((await page.locator('#table-repositories tbody tr').count()) >= 1);
  await page.screenshot({ path: join(shots, 'analytics-developer-zh.png'), fullPage: true });
  await page.goto(`${base}/analytics?lang=zh-CN`);
  await page.screenshot({ path: join(shots, 'analytics-overview-zh.png'), fullPage: true });
});

test('bad parameters get a clear message, in the page and in the API', async () => {
  const page = await newPage();
  const res = await page.goto(`${base}/analytics/repos/org0/project-0?period=week`);
  assert.equal(res.status(), 400);
  assert.match(await page.textContent('main'), /Unknown Period/);
  const r = await fetch(`${base}/api/v1/analytics/overview?month=2026-13`);
  assert.equal(r.status, 400);
  assert.deepEqual(await r.json(), { error: 'validation', field: 'month', rule: 'malformed', message: 'Month is not valid.' });
  assert.equal((await fetch(`${base}/api/v1/analytics/repos/nobody/nothing`)).status, 404);
  assert.equal((await fetch(`${base}/analytics/repos/org0/project-0/csv/passwords`)).status, 404);
});
