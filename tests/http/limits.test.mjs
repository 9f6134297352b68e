// limits.test.mjs — bad input and limits: each gets its status and a JSON
// error, and the server keeps serving. Body cap (413), message length,
// invalid JSON / types / UTF-8, empty message (400), unknown bot (404),
// wrong method (405), long URL (414), rate limit (429 + Retry-After), slow
// clients cut by the connection timeout, security headers everywhere.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';

import {
  buildDb, chat, get, post, sleep, startServer, stopClean, tempDir, writeConfig,
} from './lib.mjs';

let srv;
let dir;
let db;
let chatUrl;

before(async () => {
  dir = tempDir();
  db = buildDb(dir);
  const config = writeConfig(dir, `
database: ${db}
limits:
  burst: 100000
  connection_timeout: 2
`);
  srv = await startServer({ config });
  chatUrl = `${srv.url}/v1/bots/resident/chat`;
});

after(async () => {
  if (srv) await stopClean(srv);
});

function assertError(r, status, code, what) {
  assert.equal(r.status, status, `${what}: status (${r.text})`);
  assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8', what);
  assert.equal(r.json?.error?.code, code, `${what}: code`);
  assert.equal(typeof r.json.error.message, 'string', what);
  assert.ok(r.json.error.message.length > 0, what);
  assertSecurityHeaders(r.headers, what);
}

function assertSecurityHeaders(h, what) {
  assert.equal(h.get('x-content-type-options'), 'nosniff', what);
  assert.equal(h.get('referrer-policy'), 'no-referrer', what);
  assert.ok(h.get('content-security-policy'), what);
  assert.notEqual(h.get('access-control-allow-origin'), '*', what);
}

async function stillServing() {
  const r = await chat(srv, 'resident', { message: '図書館の開館時間を知りたい' });
  assert.equal(r.status, 200);
  assert.equal(r.json.reply.qa_id, 'LIB-01');
}

test('a normal reply carries the security headers and no-store', async () => {
  const r = await chat(srv, 'resident', { message: '図書館の開館時間を知りたい' });
  assert.equal(r.status, 200);
  assertSecurityHeaders(r.headers, 'chat');
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(r.headers.get('content-security-policy'), "default-src 'none'; frame-ancestors 'none'");
});

test('body over 16 KiB: 413, declared or chunked; 16 KiB exactly is fine', async () => {
  const big = JSON.stringify({ message: 'あ'.repeat(6000) }); // ~18 KB
  assert.ok(Buffer.byteLength(big) > 16384);
  assertError(await post(chatUrl, big), 413, 'body_too_large', 'content-length');

  const chunks = [Buffer.from('{"message":"'), Buffer.alloc(20000, 0x61), Buffer.from('"}')];
  const stream = new ReadableStream({
    start(c) {
      for (const b of chunks) c.enqueue(b);
      c.close();
    },
  });
  const r = await fetch(chatUrl, {
    method: 'POST', body: stream, duplex: 'half', headers: { 'Content-Type': 'application/json' },
  });
  const text = await r.text();
  assertError({ status: r.status, headers: r.headers, json: JSON.parse(text), text }, 413,
    'body_too_large', 'chunked');

  const head = '{"message":"図書館の開館時間を知りたい"';
  const exact = head + ' '.repeat(16384 - Buffer.byteLength(head) - 1) + '}';
  assert.equal(Buffer.byteLength(exact), 16384);
  const ok = await post(chatUrl, exact);
  assert.equal(ok.status, 200);
  await stillServing();
});

test('message over 1,000 characters: 400; 1,000 is fine', async () => {
  const ok = await chat(srv, 'resident', { message: '図'.repeat(1000) });
  assert.equal(ok.status, 200);
  assertError(await chat(srv, 'resident', { message: '図'.repeat(1001) }), 400,
    'message_too_long', '1001 chars');
  assertError(await chat(srv, 'resident', { message: 'a'.repeat(1001) }), 400,
    'message_too_long', '1001 ASCII chars');
  await stillServing();
});

test('invalid JSON: 400', async () => {
  const bodies = {
    'truncated': '{"message":',
    'not JSON': 'message=hello',
    'array': '["図書館"]',
    'string': '"図書館"',
    'empty body': '',
    'trailing garbage': '{"message":"図書館"} x',
    'duplicate keys': '{"message":"a","message":"b"}',
    'NUL escape': '{"message":"図書\\u0000館"}',
    'deep nesting': `{"message":"x","a":${'['.repeat(50)}${']'.repeat(50)}}`,
    'very deep nesting': '['.repeat(10000),
  };
  for (const [name, body] of Object.entries(bodies)) {
    assertError(await post(chatUrl, body), 400, 'invalid_json', name);
  }
  await stillServing();
});

test('wrong types: 400', async () => {
  const cases = [
    [{ message: 42 }, 'invalid_field'],
    [{ message: ['図書館'] }, 'invalid_field'],
    [{ message: { text: '図書館' } }, 'invalid_field'],
    [{ choice: 1, state: 'x' }, 'invalid_field'],
    [{ message: '図書館', choice: 'c1' }, 'invalid_field'],
    [{ message: '図書館', state: 12 }, 'invalid_field'],
    [{ message: null }, 'empty_message'],
    [{}, 'empty_message'],
    [{ text: '図書館' }, 'empty_message'],
  ];
  for (const [body, code] of cases) {
    assertError(await chat(srv, 'resident', body), 400, code, JSON.stringify(body));
  }
  await stillServing();
});

test('invalid UTF-8: 400', async () => {
  const bodies = {
    'stray 0xff': Buffer.concat([Buffer.from('{"message":"図書'), Buffer.from([0xff]), Buffer.from('館"}')]),
    'overlong slash': Buffer.concat([Buffer.from('{"message":"a'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
    'surrogate': Buffer.concat([Buffer.from('{"message":"a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
    'truncated sequence': Buffer.concat([Buffer.from('{"message":"a'), Buffer.from([0xe5, 0x9b]), Buffer.from('"}')]),
  };
  for (const [name, body] of Object.entries(bodies)) {
    assertError(await post(chatUrl, new Uint8Array(body)), 400, 'invalid_utf8', name);
  }
  await stillServing();
});

test('empty message: 400', async () => {
  for (const message of ['', ' ', '　　', '\n\t ', '\u200b']) {
    assertError(await chat(srv, 'resident', { message }), 400, 'empty_message', JSON.stringify(message));
  }
  await stillServing();
});

test('unknown bot: 404', async () => {
  for (const bot of ['nosuchbot', 'Resident', 'bad_name!', 'x'.repeat(65), '%E5%9B%B3']) {
    assertError(await chat(srv, bot, { message: '図書館' }), 404, 'bot_not_found', bot);
  }
  assertError(await post(`${srv.url}/v1/bots/resident/nothing`, { message: 'x' }), 404,
    'not_found', 'unknown endpoint');
  assertError(await get(`${srv.url}/v1/nothing`), 404, 'not_found', 'unknown API path');
  await stillServing();
});

test('wrong method: 405 with Allow', async () => {
  const cases = [
    ['GET', '/v1/bots/resident/chat', 'POST, OPTIONS'],
    ['PUT', '/v1/bots/resident/chat', 'POST, OPTIONS'],
    ['DELETE', '/v1/bots/resident/feedback', 'POST, OPTIONS'],
    ['POST', '/v1/bots', 'GET, HEAD, OPTIONS'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['DELETE', '/metrics', 'GET, HEAD'],
    ['POST', '/index.html', 'GET, HEAD'],
  ];
  for (const [method, url, allow] of cases) {
    const r = await fetch(srv.url + url, { method, body: method === 'GET' ? undefined : '{}' });
    const text = await r.text();
    const res = { status: r.status, headers: r.headers, json: JSON.parse(text), text };
    assertError(res, 405, 'method_not_allowed', `${method} ${url}`);
    assert.equal(r.headers.get('allow'), allow, `${method} ${url}`);
  }
  await stillServing();
});

test('URL too long: 414; encoded NUL: 400', async () => {
  assertError(await get(`${srv.url}/v1/bots/${'a'.repeat(3000)}/chat`), 414, 'uri_too_long', 'long');
  assertError(await get(`${srv.url}/index.html%00.png`), 400, 'invalid_url', 'NUL');
  await stillServing();
});

test('a slow client is cut by the connection timeout', async () => {
  const sock = net.connect(srv.port, '127.0.0.1');
  await new Promise((r) => sock.on('connect', r));
  const t0 = Date.now();
  // headers and a body that never completes
  sock.write('POST /v1/bots/resident/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'
    + 'Content-Length: 100\r\n\r\n{"message":');
  const closed = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 8000);
    sock.on('close', () => { clearTimeout(timer); resolve(true); });
    sock.on('error', () => {});
    sock.resume();
  });
  assert.ok(closed, 'the server closed the stalled connection');
  const waited = Date.now() - t0;
  assert.ok(waited >= 1500 && waited < 8000, `closed after ${waited} ms`);
  // a client that never finishes its headers is cut as well
  const s2 = net.connect(srv.port, '127.0.0.1');
  s2.on('error', () => {});
  s2.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  const closed2 = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 8000);
    s2.on('close', () => { clearTimeout(timer); resolve(true); });
    s2.resume();
  });
  assert.ok(closed2);
  await stillServing();
});

test('behind a proxy (limits.trust_proxy), each forwarded client has its own bucket', async () => {
  const config = writeConfig(dir, `
database: ${db}
limits: {rate: 1, burst: 2, trust_proxy: true}
`, 'proxy.yaml');
  const s = await startServer({ config });
  try {
    const ask = (xff) => chat(s, 'resident', { message: '図書館の開館時間を知りたい' },
      { 'X-Forwarded-For': xff });
    // the client may send its own X-Forwarded-For; the proxy appends the real address last
    assert.equal((await ask('6.6.6.6, 192.0.2.1')).status, 200);
    assert.equal((await ask('7.7.7.7, 192.0.2.1')).status, 200);
    assertError(await ask('8.8.8.8, 192.0.2.1'), 429, 'rate_limited', 'third request of 192.0.2.1');
    assert.equal((await ask('192.0.2.1, 192.0.2.2')).status, 200, 'another client is not limited');
    assert.equal((await ask('2001:db8::1')).status, 200, 'IPv6 client');
  } finally {
    await stopClean(s);
  }
});

test('without trust_proxy, X-Forwarded-For is ignored for rate limiting', async () => {
  const config = writeConfig(dir, `
database: ${db}
limits: {rate: 1, burst: 2}
`, 'noproxy.yaml');
  const s = await startServer({ config });
  try {
    const ask = (xff) => chat(s, 'resident', { message: '図書館の開館時間を知りたい' },
      { 'X-Forwarded-For': xff });
    assert.equal((await ask('192.0.2.1')).status, 200);
    assert.equal((await ask('192.0.2.2')).status, 200);
    assertError(await ask('192.0.2.3'), 429, 'rate_limited', 'one bucket for the real peer');
  } finally {
    await stopClean(s);
  }
});

test('too many requests from one address: 429 with Retry-After', async () => {
  const config = writeConfig(dir, `
database: ${db}
limits: {rate: 1, burst: 3}
`, 'ratelimit.yaml');
  const s = await startServer({ config });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await chat(s, 'resident', { message: '図書館の開館時間を知りたい' });
      assert.equal(r.status, 200, `request ${i + 1}`);
    }
    const r = await chat(s, 'resident', { message: '図書館の開館時間を知りたい' });
    assertError(r, 429, 'rate_limited', '4th request');
    const wait = Number(r.headers.get('retry-after'));
    assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 2, `Retry-After ${wait}`);
    // the bot list is an API route too; health checks are not limited
    assert.equal((await get(`${s.url}/v1/bots`)).status, 429);
    assert.equal((await get(`${s.url}/healthz`)).status, 200);
    assert.equal((await get(`${s.url}/readyz`)).status, 200);
    const m = await get(`${s.url}/metrics`);
    assert.match(m.text, /^madoguchi_rate_limited_total [2-9]\d*$/m);
    assert.match(m.text, /^madoguchi_http_requests_total\{route="chat",status="429"\} 1$/m);
    // the bucket refills
    await sleep(wait * 1000 + 100);
    const again = await chat(s, 'resident', { message: '図書館の開館時間を知りたい' });
    assert.equal(again.status, 200);
  } finally {
    await stopClean(s);
  }
});

test('the server survived all of the above', async () => {
  await stillServing();
  const h = await get(`${srv.url}/healthz`);
  assert.equal(h.status, 200);
});
