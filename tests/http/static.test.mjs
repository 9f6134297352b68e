// static.test.mjs — static files from web_root: MIME types, cache headers,
// ETag/304, HEAD, the page Content-Security-Policy, and no way out of the
// root (.., encoded dots, hidden files, symlinks).
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { buildDb, get, startServer, stopClean, tempDir, writeConfig } from './lib.mjs';

const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
  + "connect-src 'self'; frame-ancestors 'none'";

let srv;
let dir;
let db;

before(async () => {
  dir = tempDir();
  db = buildDb(dir);
  const web = path.join(dir, 'web');
  mkdirSync(path.join(web, 'sub'), { recursive: true });
  writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>窓口</title>');
  writeFileSync(path.join(web, 'app.js'), 'console.log("widget");');
  writeFileSync(path.join(web, 'style.css'), 'body{}');
  writeFileSync(path.join(web, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(path.join(web, 'icon.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(path.join(web, 'data.bin'), Buffer.from([1, 2, 3]));
  writeFileSync(path.join(web, 'sub', 'index.html'), '<p>sub</p>');
  writeFileSync(path.join(web, '.env'), 'SECRET=1');
  writeFileSync(path.join(dir, 'outside.txt'), 'OUTSIDE');
  symlinkSync(path.join(dir, 'outside.txt'), path.join(web, 'escape.txt'));
  symlinkSync(path.join(web, 'app.js'), path.join(web, 'alias.js'));
  const config = writeConfig(dir, `database: ${db}\nweb_root: ${web}\nlimits: {burst: 100000}\n`);
  srv = await startServer({ config });
});

after(async () => {
  if (srv) await stopClean(srv);
});

// A request with the path sent exactly as given (fetch would normalise it).
function raw(path, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('/ serves index.html as a page with the page CSP and revalidation', async () => {
  const r = await get(`${srv.url}/`);
  assert.equal(r.status, 200);
  assert.equal(r.text, '<!doctype html><title>窓口</title>');
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(r.headers.get('content-security-policy'), PAGE_CSP);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(r.headers.get('cache-control'), 'no-cache');
  assert.match(r.headers.get('etag'), /^"[0-9a-f-]+"$/);
  const again = await fetch(`${srv.url}/`, { headers: { 'If-None-Match': r.headers.get('etag') } });
  assert.equal(again.status, 304);
  assert.equal(again.headers.get('etag'), r.headers.get('etag'));
  assert.equal((await get(`${srv.url}/index.html`)).text, r.text);
  assert.equal((await get(`${srv.url}/sub/`)).text, '<p>sub</p>');
});

test('MIME types and cache headers by extension', async () => {
  const cases = {
    '/app.js': 'text/javascript; charset=utf-8',
    '/style.css': 'text/css; charset=utf-8',
    '/logo.svg': 'image/svg+xml',
    '/icon.png': 'image/png',
    '/data.bin': 'application/octet-stream',
    '/alias.js': 'text/javascript; charset=utf-8', // symlink inside the root
  };
  for (const [p, type] of Object.entries(cases)) {
    const r = await get(srv.url + p);
    assert.equal(r.status, 200, p);
    assert.equal(r.headers.get('content-type'), type, p);
    assert.equal(r.headers.get('cache-control'), 'public, max-age=3600', p);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
    assert.equal(r.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'", p);
  }
});

test('HEAD sends headers only', async () => {
  const r = await raw('/app.js', 'HEAD');
  assert.equal(r.status, 200);
  assert.equal(r.body, '');
  assert.equal(r.headers['content-length'], String('console.log("widget");'.length));
  assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
});

test('no path leads out of the web root', async () => {
  const paths = [
    '/../outside.txt', '/sub/../../outside.txt', '/%2e%2e/outside.txt', '/%2E%2E%2Foutside.txt',
    '/sub/..%2f..%2foutside.txt', '/..%5coutside.txt', '/escape.txt', '/.env', '/sub/../.env',
    '//etc/passwd', '/%2fetc/passwd', '/sub', '/nothing.html', '/sub/nothing/',
  ];
  for (const p of paths) {
    const r = await raw(p);
    assert.equal(r.status, 404, p);
    assert.doesNotMatch(r.body, /OUTSIDE|SECRET|root:/, p);
    assert.equal(JSON.parse(r.body).error.code, 'not_found', p);
  }
  const nul = await raw('/app.js%00.png');
  assert.equal(nul.status, 400);
});

test('without index.html, / is a 404 JSON error', async () => {
  const empty = tempDir();
  const config = writeConfig(empty, `database: ${db}\nweb_root: ${empty}\n`);
  const s = await startServer({ config });
  try {
    const r = await get(`${s.url}/`);
    assert.equal(r.status, 404);
    assert.equal(r.json.error.code, 'not_found');
  } finally {
    await stopClean(s);
  }
});
