// lib.mjs — helpers for the HTTP tests: build a knowledge-base database
// with the CLI, start the real server on a free 127.0.0.1 port, talk to it,
// stop it with SIGTERM and insist on a clean exit (status 0: with the
// sanitizer build that also means LeakSanitizer found nothing).
//
// Environment (set by tests/run.sh): MDG_BIN (CLI), MDG_SERVER (server),
// MDG_ROOT (source tree).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = process.env.MDG_ROOT ?? path.resolve(here, '../..');
export const BIN = process.env.MDG_BIN ?? path.join(ROOT, 'build/asan/madoguchi');
export const SERVER = process.env.MDG_SERVER ?? path.join(ROOT, 'build/asan/madoguchi-server');
export const FIXTURES = path.join(here, 'fixtures');

const tempDirs = [];
const running = new Set();

// Servers still running when the test process ends are killed, so a
// failed test never leaves one behind.
process.on('exit', () => {
  for (const s of running) {
    try { s.proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'mdg-http-') {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

// Runs the CLI; returns stdout. Throws (with stderr) on a non-zero exit.
export function cli(args, opts = {}) {
  return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

// A database with the test fixtures: public bot "resident", internal "staff".
export function buildDb(dir = tempDir()) {
  const db = path.join(dir, 'kb.db');
  cli(['import', '--db', db, '--bot', 'resident', '--no-synonyms', path.join(FIXTURES, 'resident.tsv')]);
  cli(['import', '--db', db, '--bot', 'staff', '--internal', '--no-synonyms',
    path.join(FIXTURES, 'staff.tsv')]);
  return db;
}

// Creates an API key for bot; returns the key.
export function createKey(db, bot, label = 'test') {
  return cli(['key', 'create', '--db', db, '--bot', bot, '--label', label]).trim();
}

// Runs sqlite3 on db; returns rows as arrays of strings (tab separated).
export function sql(db, query) {
  const out = execFileSync('sqlite3', ['-tabs', db, query], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

export function writeConfig(dir, yaml, name = 'madoguchi.yaml') {
  const p = path.join(dir, name);
  writeFileSync(p, yaml);
  return p;
}

// Starts the server. opts: db, config (path), args (extra), listen.
// Resolves once /readyz answers 200. The returned object has url, proc,
// log() (stderr so far) and stop() (SIGTERM; resolves {code, signal, log}).
export async function startServer(opts = {}) {
  const args = [];
  if (opts.config) args.push('--config', opts.config);
  if (opts.db) args.push('--db', opts.db);
  args.push('--listen', opts.listen ?? '127.0.0.1:0', ...(opts.args ?? []));
  const proc = spawn(SERVER, args, { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.setEncoding('utf8');
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30000);
    proc.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /listening on http:\/\/[^ ]*:(\d+)\//.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} during start-up:\n${log}`));
    });
  });
  const server = {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    log: () => log,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`server did not stop:\n${log}`)), 30000);
      });
      const r = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
      running.delete(server);
      return { ...r, log };
    },
  };
  running.add(server);
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${server.url}/readyz`);
      if (r.status === 200) return server;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server never became ready:\n${log}`);
}

// Stops the server and throws unless it exited with status 0.
export async function stopClean(server) {
  const r = await server.stop();
  if (r.code !== 0) {
    throw new Error(`server exited with code ${r.code} signal ${r.signal}:\n${r.log.slice(-4000)}`);
  }
  return r;
}

// Starts a server for a given invalid config and returns its exit and log.
export async function runToExit(args, cwd = ROOT) {
  const proc = spawn(SERVER, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (c) => { out += c; });
  proc.stderr.on('data', (c) => { out += c; });
  const code = await new Promise((resolve) => proc.on('exit', (c) => resolve(c)));
  return { code, out };
}

// POSTs body (an object is sent as JSON; a string or Buffer as is).
export async function post(url, body, headers = {}) {
  const raw = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: raw,
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, json, text };
}

export function chat(server, bot, body, headers = {}) {
  return post(`${server.url}/v1/bots/${bot}/chat`, body, headers);
}

export async function get(url, headers = {}) {
  const r = await fetch(url, { headers });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, json, text };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
