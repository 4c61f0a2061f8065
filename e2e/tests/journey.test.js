// The newcomer's journey in a real browser (Debian's chromium through
// playwright-core), against a real guildhall server and a real SMTP server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root, bin, freePort, shots, launchBrowser, assertLayout } from '../lib.js';

const python = existsSync(join(root, '.tools/venv/bin/python')) ? join(root, '.tools/venv/bin/python') : 'python3';

function waitForLine(proc, needle, ms = 60000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${needle}`)), ms);
    const on = (d) => { if (d.toString().includes(needle)) { clearTimeout(timer); resolve(); } };
    proc.stdout.on('data', on);
    proc.stderr.on('data', on);
    proc.on('exit', (c) => reject(new Error(`process exited with ${c} before ${needle}`)));
  });
}

let server, sink, browser, base, mailFile, dataDir;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'guildhall-e2e-'));
  mailFile = join(dataDir, 'mail.jsonl');
  const smtpPort = await freePort();
  sink = spawn(python, [join(root, 'tools/mailsink.py'), '--port', String(smtpPort), '--out', mailFile]);
  await waitForLine(sink, 'ready');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ['--data-dir', join(dataDir, 'db'), 'serve', '--demo', '--bind', `127.0.0.1:${port}`], {
    env: { ...process.env, GUILDHALL_SMTP: `127.0.0.1:${smtpPort}`, GUILDHALL_BASE_URL: base, GUILDHALL_LOG: 'warn,guildhall=info' },
  });
  await waitForLine(server, 'guildhall is listening');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  sink?.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

async function mailTo(address, path) {
  for (let i = 0; i < 100; i++) {
    if (existsSync(mailFile)) {
      const msgs = readFileSync(mailFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const m = msgs.reverse().find((m) => m.to.includes(address) && m.body.includes(path));
      if (m) return m;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${address}`);
}

async function reputation(page, name) {
  await page.goto(`${base}/users/${name}`);
  return Number((await page.textContent('#reputation')).trim());
}

async function login(page, name) {
  await page.goto(`${base}/login`);
  await page.fill('#login', name);
  await page.fill('#password', 'guildhall-demo');
  await page.click('form[action="/login"] button');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

async function newPage(lang = 'en-US') {
  const ctx = await browser.newContext({ locale: lang, viewport: { width: 1200, height: 900 } });
  return ctx.newPage();
}

test('a newcomer registers, activates by mail, asks; another member answers and up-votes; the asker accepts', async () => {
  const asker = await newPage();
  await asker.goto(`${base}/register`);
  await asker.fill('#username', 'newcomer');
  await asker.fill('#email', 'newcomer@example.org');
  await asker.fill('#password', 'a long password');
  await asker.click('form[action="/register"] button');
  assert.match(await asker.textContent('main'), /newcomer@example\.org/);

  const mail = await mailTo('newcomer@example.org', '/activate/');
  assert.match(mail.subject, /Activate/);
  const link = mail.body.match(/https?:\/\/\S+\/activate\/[0-9a-f]+/)[0];
  await asker.goto(link);
  assert.equal(Number((await asker.textContent('#reputation')).trim()), 1, 'activation is worth +1');

  await asker.goto(`${base}/ask`);
  await asker.fill('#title', 'How do I keep reputation honest with a ledger?');
  await asker.fill('#body', 'I want every **reputation** change to be auditable.\n\n```rust\nlet total: i64 = rows.iter().sum();\n```');
  await asker.fill('#tags', 'rust');
  await asker.click('form[action="/ask"] button');
  await asker.waitForURL(/\/questions\/\d+$/);
  const questionUrl = asker.url();
  assert.match(await asker.textContent('h1.qtitle'), /ledger/);
  assert.ok(await asker.$('.body pre code'), 'markdown code block rendered');
  // A newcomer's first question waits in the review center.
  assert.match(await asker.textContent('.flash.warn'), /Waiting for review/);

  // A moderator (demo admin) reviews it from the first-posts queue.
  const reviewer = await newPage();
  await login(reviewer, 'admin');
  await reviewer.goto(`${base}/review`);
  await reviewer.screenshot({ path: join(shots, 'review-center-en.png'), fullPage: true });
  await reviewer.click('a[href="/review/first_posts"]');
  await reviewer.click('a[href="/review/first_posts/next"]');
  await reviewer.waitForURL(/\/review\/items\/\d+/);
  // The demo's own newcomer waits too; find ours.
  while (!(await reviewer.textContent('main')).includes('honest with a ledger')) {
    await reviewer.click('form[action$="/skip"] button');
    await reviewer.waitForURL(/\/review\/items\/\d+/);
  }
  await reviewer.screenshot({ path: join(shots, 'review-item-en.png'), fullPage: true });
  await reviewer.click('button.approve');
  await reviewer.waitForLoadState();
  await asker.goto(questionUrl);
  assert.equal(await asker.$('.flash.warn'), null, 'published after one approval');
  await asker.goto(`${base}/notifications`);
  assert.match(await asker.textContent('main'), /approved/);

  // A second member (demo account carol) answers and up-votes the question.
  const helper = await newPage();
  const carolBefore = await reputation(helper, 'carol');
  await helper.goto(`${base}/login`);
  await helper.fill('#login', 'carol');
  await helper.fill('#password', 'guildhall-demo');
  await helper.click('form[action="/login"] button');
  await helper.goto(questionUrl);
  await helper.fill('.answer-form textarea', 'Append a row per change and derive the total; never update a counter in place.');
  await helper.click('.answer-form button');
  await helper.waitForSelector('.post:nth-of-type(2)');
  await helper.click('article.post >> nth=0 >> button.vote.up');
  await helper.waitForSelector('article.post >> nth=0 >> button.vote.up.on');
  assert.equal((await helper.textContent('article.post >> nth=0 >> .score')).trim(), '1');

  // The asker accepts the answer.
  await asker.goto(questionUrl);
  await asker.click('button.accept');
  await asker.waitForSelector('article.post.accepted');
  await asker.screenshot({ path: join(shots, 'question-en.png'), fullPage: true });
  // The asker's delete button is a red link, its label readable (it was
  // red on a red button).
  const del = await asker.$eval('article.post >> nth=0 >> button.link.danger', (b) => {
    const s = getComputedStyle(b);
    return { text: b.textContent.trim(), color: s.color, background: s.backgroundColor };
  });
  assert.equal(del.text, 'Delete');
  assert.notEqual(del.color, del.background);
  assert.equal(del.background, 'rgba(0, 0, 0, 0)');

  // Both profiles show what the table gives: +10 up-vote, +2 for accepting, +15 accepted.
  assert.equal(await reputation(asker, 'newcomer'), 1 + 10 + 2);
  assert.equal(await reputation(helper, 'carol'), carolBefore + 15);
  await asker.goto(`${base}/users/newcomer`);
  const ledger = await asker.textContent('table.ledger');
  assert.match(ledger, /Your question was up-voted/);
  assert.match(ledger, /You accepted an answer/);
  await asker.screenshot({ path: join(shots, 'profile-en.png'), fullPage: true });
  await asker.goto(base);
  await assertLayout(asker, 'li.qrow');
  await asker.screenshot({ path: join(shots, 'home-en.png'), fullPage: true });

  // The same pages in Chinese, switched from the page.
  await asker.click('a[hreflang="zh-CN"]');
  assert.match(await asker.textContent('nav.primary'), /问题/);
  await asker.screenshot({ path: join(shots, 'home-zh.png'), fullPage: true });
  await asker.goto(questionUrl);
  assert.match(await asker.textContent('main'), /已采纳的回答/);
  await asker.screenshot({ path: join(shots, 'question-zh.png'), fullPage: true });
  await asker.goto(`${base}/users/newcomer`);
  assert.match(await asker.textContent('table.ledger'), /你的问题获得赞同/);
  await asker.screenshot({ path: join(shots, 'profile-zh.png'), fullPage: true });
});

test('refusals are shown on the page and lose nothing', async () => {
  const page = await newPage('zh-CN');
  await page.goto(`${base}/login`);
  await page.fill('#login', 'frank');
  await page.fill('#password', 'guildhall-demo');
  await page.click('form[action="/login"] button');
  // Chinese from Accept-Language.
  await page.goto(`${base}/ask`);
  await page.fill('#title', '短');
  await page.fill('#body', '正文足够长，可以通过长度校验，这一段文字保留。');
  await page.fill('#tags', 'rust');
  await page.click('form[action="/ask"] button');
  assert.match(await page.textContent('.flash.error'), /标题至少需要/);
  assert.equal(await page.inputValue('#body'), '正文足够长，可以通过长度校验，这一段文字保留。', 'the draft is kept');
  // A tag that does not exist needs 1500 reputation: the message says so.
  await page.fill('#title', '这是一个足够长的标题吗？');
  await page.fill('#tags', 'brand-new-tag');
  await page.click('form[action="/ask"] button');
  assert.match(await page.textContent('.flash.error'), /创建标签.*1500/);
  await page.screenshot({ path: join(shots, 'refusal-zh.png'), fullPage: true });
  // A vote below the privilege: frank has 11 reputation, down-votes need 125.
  await page.goto(`${base}/questions/1`);
  await page.click('article.post >> nth=0 >> button.vote.down');
  assert.match(await page.textContent('.flash.error'), /125/);
});

test('three members vote to close a question; a fourth sees it closed, in English and Chinese', async () => {
  // The administrator lets members with 1 reputation cast close votes (a small demo community).
  const admin = await newPage();
  await login(admin, 'admin');
  await admin.goto(`${base}/admin`);
  await admin.fill('input[name="threshold.review_edits"]', '1');
  await admin.click('form[action="/admin/settings"] button');
  await admin.waitForSelector('.flash');

  const asker = await newPage();
  await login(asker, 'dave');
  await asker.goto(`${base}/ask`);
  await asker.fill('#title', 'Which editor is the best one for writing Rust?');
  await asker.fill('#body', 'I would like to know which editor everyone likes most for Rust, and why.');
  await asker.fill('#tags', 'rust');
  await asker.click('form[action="/ask"] button');
  await asker.waitForURL(/\/questions\/\d+$/);
  const url = asker.url();

  for (const [i, name] of ['alice', 'bob', 'carol'].entries()) {
    const voter = await newPage();
    await login(voter, name);
    await voter.goto(url);
    await voter.selectOption('.close-form select[name="reason"]', 'opinion_based');
    await voter.click('.close-form button');
    await voter.waitForURL(url + '#post-' + url.split('/').pop());
    if (i < 2) {
      assert.match(await voter.textContent('.close-form .progress'), new RegExp(`${i + 1} of 3 close votes`));
    } else {
      assert.match(await voter.textContent('.flash.closed'), /Closed/);
    }
  }

  const reader = await newPage();
  await login(reader, 'erin');
  await reader.goto(url);
  assert.match(await reader.textContent('.flash.closed'), /Closed.*Opinion-based/s);
  assert.equal(await reader.$('.answer-form'), null, 'a closed question takes no answers');
  await reader.screenshot({ path: join(shots, 'closed-en.png'), fullPage: true });
  await reader.click('a[hreflang="zh-CN"]');
  assert.match(await reader.textContent('.flash.closed'), /已关闭.*基于观点/s);
  await reader.screenshot({ path: join(shots, 'closed-zh.png'), fullPage: true });

  // The asker is told, and the audit log has every vote and the decision.
  await asker.goto(`${base}/notifications`);
  assert.match(await asker.textContent('main'), /Your question was closed/);
  await admin.goto(`${base}/moderation/audit`);
  const log = await admin.textContent('table.health');
  assert.equal((log.match(/review_vote/g) || []).length >= 3, true);
  assert.match(log, /review_decided/);
  await admin.goto(`${base}/badges`);
  // The longest header there is: an administrator's, in English.
  await assertLayout(admin, null);
  await admin.screenshot({ path: join(shots, 'badges-en.png'), fullPage: true });
  await admin.goto(`${base}/review?lang=zh-CN`);
  await admin.screenshot({ path: join(shots, 'review-center-zh.png'), fullPage: true });
});

test('search from the header in Chinese and English; similar questions appear while a title is typed; a tag is followed', async () => {
  const page = await newPage();
  await login(page, 'alice');
  // Search from any page: the box in the header.
  await page.goto(`${base}/badges`);
  await page.fill('header input[name="q"]', 'SQLite 数据库');
  await page.press('header input[name="q"]', 'Enter');
  await page.waitForURL(/\/search\?q=/);
  const first = await page.textContent('ol.hits li:first-child h2');
  assert.match(first, /SQLite/);
  assert.ok(await page.$('ol.hits mark'), 'matches are highlighted');
  await assertLayout(page, 'li.hit');
  await page.screenshot({ path: join(shots, 'search-en.png'), fullPage: true });
  // Operators and a notice for an unreadable value.
  await page.goto(`${base}/search?q=${encodeURIComponent('[sqlite] is:question created:2026-02-30')}`);
  assert.match(await page.textContent('.flash.notice'), /created:2026-02-30.*ignored/);
  assert.ok((await page.$$('ol.hits li')).length >= 2);
  // The help page, in Chinese.
  await page.goto(`${base}/search/help`);
  await page.click('a[hreflang="zh-CN"]');
  assert.match(await page.textContent('h1'), /搜索语法/);
  await page.screenshot({ path: join(shots, 'search-help-zh.png'), fullPage: true });
  await page.goto(`${base}/search?q=${encodeURIComponent('异步 递归')}`);
  assert.match(await page.textContent('ol.hits'), /递归/);
  await assertLayout(page, 'li.hit');
  await page.screenshot({ path: join(shots, 'search-zh.png'), fullPage: true });
  await page.click('a[hreflang="en"]');

  // While typing a title, similar questions show up (JSON API + script).
  await page.goto(`${base}/ask`);
  await page.type('#title', 'share a connection pool between handlers', { delay: 10 });
  await page.waitForSelector('#similar:not([hidden]) li a');
  const similar = await page.textContent('#similar');
  assert.match(similar, /connection pool/);
  assert.match(similar, /accepted answer/);
  await page.screenshot({ path: join(shots, 'ask-similar-en.png'), fullPage: true });

  // Follow a tag from the directory; the Following tab lists its questions.
  await page.goto(`${base}/tags?sort=name`);
  await page.click('a.tag[href="/tags/sqlite"]');
  await page.click('#follow');
  await page.waitForSelector('#unfollow');
  await page.goto(`${base}/questions/following`);
  assert.match(await page.textContent('ol.questions'), /SQLite/);
  await page.goto(`${base}/tags`);
  assert.match(await page.textContent('.tag-grid'), /following/);
  await page.screenshot({ path: join(shots, 'tags-en.png'), fullPage: true });
});

test('on a phone-sized screen no page is wider than the window, the demo analytics included; a bookmark survives the login it asks for', async () => {
  const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 800 } });
  const page = await ctx.newPage();
  // A reader who is not logged in stars a question: the login brings them back.
  await page.goto(`${base}/questions/1`);
  await page.click('a.vote.bookmark');
  await page.fill('#login', 'admin');
  await page.fill('#password', 'guildhall-demo');
  await page.click('form[action="/login"] button');
  await page.waitForURL(/\/questions\/1$/);
  await page.click('button.vote.bookmark');
  await page.waitForSelector('button.vote.bookmark.on');
  for (const path of ['/', '/questions/1', '/questions/bookmarks', '/users', '/users/alice', '/tags', '/review',
    '/review/first_posts', '/admin', '/moderation/audit', '/notifications', '/settings/profile', '/search/help', '/analytics',
    '/analytics/repos/guildhall-demo/guildhall', '/analytics/developers/mei-chen']) {
    await page.goto(`${base}${path}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.equal(overflow, 0, `${path} is ${overflow}px wider than the window`);
  }
  await page.goto(`${base}/questions/bookmarks`);
  assert.equal(await page.locator('ol.questions li').count(), 1);
  await page.screenshot({ path: join(shots, 'bookmarks-phone-zh.png'), fullPage: true });
  await ctx.close();
});
