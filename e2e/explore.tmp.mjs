import { launchBrowser } from './lib.js';
const base = 'http://127.0.0.1:18080';
const b = await launchBrowser();
async function tour(user, lang, paths) {
  const ctx = await b.newContext({ viewport: { width: 1200, height: 900 }, locale: lang, extraHTTPHeaders: { 'Accept-Language': lang } });
  const p = await ctx.newPage();
  p.on('console', (m) => { if (m.type() === 'error') console.log(`[${user} ${lang}] console: ${m.text()} @ ${p.url()}`); });
  p.on('pageerror', (e) => console.log(`[${user} ${lang}] pageerror: ${e.message} @ ${p.url()}`));
  if (user) {
    await p.goto(base + '/login'); await p.fill('#login', user); await p.fill('#password', 'guildhall-demo');
    await p.click('form[action="/login"] button'); await p.waitForURL((u) => !u.pathname.startsWith('/login'));
  }
  for (const path of paths) {
    const r = await p.goto(base + path);
    const name = `${user || 'anon'}-${lang}-${path.replace(/[^a-z0-9]+/gi, '_')}`;
    await p.screenshot({ path: `/tmp/look2/${name}.png`, fullPage: true });
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    console.log(r.status(), overflow > 0 ? `OVERFLOW ${overflow}` : '', name);
  }
  await ctx.close();
}
const pages = process.argv.slice(4);
await tour(process.argv[2] === 'anon' ? null : process.argv[2], process.argv[3], pages);
await b.close();
