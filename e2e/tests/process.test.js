// The binary as an operator meets it: bad configuration, a killed process,
// a restart (sessions survive), graceful shutdown, the ledger check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, freePort } from '../lib.js';


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

test('guildhall analytics openrank computes any graph, as text or JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guildhall-or-'));
  const file = join(dir, 'graph.json');
  // Closed form: r1 = 0.825 / 0.65, u1 = 0.5 + 0.375 r1, u2 = 0.25 + 0.125 r1.
  writeFileSync(file, JSON.stringify({
    nodes: [{ id: 'u1', init: 1, retention: 0.5 }, { id: 'u2', init: 0.5, retention: 0.5 }, { id: 'r1', init: 1, retention: 0.3 }],
    edges: [{ from: 'u1', to: 'r1', weight: 1 }, { from: 'u2', to: 'r1', weight: 1 }, { from: 'r1', to: 'u1', weight: 0.75 }, { from: 'r1', to: 'u2', weight: 0.25 }],
    tolerance: 1e-9,
  }));
  const r = spawnSync(bin, ['analytics', 'openrank', file, '--format', 'json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const r1 = 0.825 / 0.65;
  assert.ok(Math.abs(out.values.r1 - r1) < 1e-6);
  assert.ok(Math.abs(out.values.u1 - (0.5 + 0.375 * r1)) < 1e-6);
  assert.ok(Number.isInteger(out.iterations) && out.iterations > 1);
  const text = spawnSync(bin, ['analytics', 'openrank', file], { encoding: 'utf8' });
  assert.match(text.stdout.split('\n')[0], /^r1\t1\.26923/);
  writeFileSync(file, '{"nodes": [');
  const bad = spawnSync(bin, ['analytics', 'openrank', file], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /not an OpenRank graph/);
  rmSync(dir, { recursive: true, force: true });
});
