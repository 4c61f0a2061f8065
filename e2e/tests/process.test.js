// The binary as an operator meets it: bad configuration, a killed process,
// a restart (sessions survive), graceful shutdown, the ledger check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = process.env.GUILDHALL_BIN || join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug', 'guildhall');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function start(dataDir, port, extra = []) {
  const p = spawn(bin, ['--data-dir', dataDir, 'serve', '--bind', `127.0.0.1:${port}`, ...extra], { env: { ...process.env, GUILDHALL_LOG: 'warn' } });
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return p; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

const exited = (p) => new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal })));

test('a bad configuration is a clear message and exit status 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guildhall-cfg-'));
  writeFileSync(join(dir, 'bad.toml'), 'bind = "not an address"\n');
  let r = spawnSync(bin, ['--config', join(dir, 'bad.toml'), 'migrate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bind address must be IP:PORT/);
  writeFileSync(join(dir, 'typo.toml'), 'bnid = "127.0.0.1:1"\n');
  r = spawnSync(bin, ['--config', join(dir, 'typo.toml'), 'migrate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown field `bnid`/);
  r = spawnSync(bin, ['--database-url', 'mysql://x', 'migrate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /postgres:\/\//);
  rmSync(dir, { recursive: true, force: true });
});

test('a killed process loses nothing committed; sessions survive restarts; SIGTERM shuts down cleanly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'guildhall-kill-'));
  const data = join(dir, 'db');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server = await start(data, port, ['--demo']);
  const login = await fetch(`${base}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'carol', password: 'guildhall-demo' }) });
  const { token } = await login.json();
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  // A burst of writes, then kill -9 while more are in flight.
  const ids = [];
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${base}/api/v1/questions/1/answers`, { method: 'POST', headers: auth, body: JSON.stringify({ body: `Answer number ${i} written before the crash.` }) });
    assert.equal(r.status, 201);
    ids.push((await r.json()).id);
  }
  const inflight = Array.from({ length: 20 }, (_, i) => fetch(`${base}/api/v1/posts/${2 + (i % 5)}/vote`, { method: 'PUT', headers: auth, body: JSON.stringify({ value: i % 2 ? 'up' : 'none' }) }).catch(() => null));
  server.kill('SIGKILL');
  await exited(server);
  await Promise.all(inflight);

  server = await start(data, port);
  const me = await fetch(`${base}/api/v1/me`, { headers: auth });
  assert.equal(me.status, 200, 'the session survived the crash and restart');
  const page = await (await fetch(`${base}/api/v1/questions/1`)).json();
  for (const id of ids) assert.ok(page.answers.some((a) => a.id === id), `answer ${id} survived`);
  const stopped = exited(server);
  server.kill('SIGTERM');
  const { code } = await stopped;
  assert.equal(code, 0, 'graceful shutdown exits 0');

  // Caches and ledgers agree after the crash (recompute --dry-run exits non-zero otherwise).
  const check = spawnSync(bin, ['--data-dir', data, 'recompute', '--dry-run'], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /0 difference/);
  rmSync(dir, { recursive: true, force: true });
});
