// auth_cors.test.mjs — the internal (staff) bot answers only requests with
// a valid API key and reveals nothing otherwise; CORS headers only for
// configured origins, never "*".
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  buildDb, chat, cli, createKey, get, post, sql, startServer, stopClean, tempDir, writeConfig,
} from './lib.mjs';

let srv;
let db;
let key;

const SECRET_TEXT = /仮パスワード|機密|VPN|ヘルプデスク|S-PW|S-VPN/;

before(async () => {
  const dir = tempDir();
  db = buildDb(dir);
  key = createKey(db, 'staff', '総務課 端末');
  const config = writeConfig(dir, `
database: ${db}
limits: {burst: 100000}
bots:
  resident:
    allowed_origins: [https://www.pref.aoba.example, http://localhost:8080]
  staff:
    allowed_origins: [https://portal.aoba.example]
`);
  srv = await startServer({ config });
});

after(async () => {
  if (srv) await stopClean(srv);
});

test('key create prints a new key once; keys are stored hashed', () => {
  assert.match(key, /^mdg_[A-Za-z0-9_-]{43}$/);
  const rows = sql(db, 'SELECT kind, prefix, label, hex(hash) FROM api_keys');
  assert.equal(rows.length, 1);
  const [kind, prefix, label, hash] = rows[0];
  assert.equal(kind, 'api');
  assert.equal(prefix, key.slice(0, 12));
  assert.equal(label, '総務課 端末');
  assert.equal(hash.length, 64);
  const dump = sql(db, 'SELECT * FROM api_keys').flat().join(' ');
  assert.ok(!dump.includes(key.slice(12)), 'the secret part is not stored');
  const list = cli(['key', 'list', '--db', db]);
  assert.match(list, /mdg_\S{8}\tstaff\t\S+\tactive\t総務課 端末/);
  assert.ok(!list.includes(key.slice(12)));
});

test('internal bot without or with an invalid key: 401 and nothing about its content', async () => {
  const body = { message: 'パスワードを忘れた' };
  const headerCases = {
    'no header': {},
    'wrong scheme': { Authorization: `Basic ${key}` },
    'empty bearer': { Authorization: 'Bearer ' },
    'unknown key': { Authorization: `Bearer mdg_${'A'.repeat(43)}` },
    'altered key': { Authorization: `Bearer ${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}` },
    'truncated key': { Authorization: `Bearer ${key.slice(0, -2)}` },
    'garbage': { Authorization: 'Bearer \' OR 1=1 --' },
  };
  for (const [name, headers] of Object.entries(headerCases)) {
    for (const path of ['chat', 'feedback']) {
      const r = await post(`${srv.url}/v1/bots/staff/${path}`, body, headers);
      assert.equal(r.status, 401, `${name} ${path}`);
      assert.equal(r.json.error.code, 'unauthorized', name);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="madoguchi"');
      assert.doesNotMatch(r.text, SECRET_TEXT, name);
      assert.equal(r.json.state, undefined);
    }
  }
  // bad bodies are not even looked at without a key
  const bad = await post(`${srv.url}/v1/bots/staff/chat`, '{not json');
  assert.equal(bad.status, 401);
});

test('internal bot with a valid key answers', async () => {
  const auth = { Authorization: `Bearer ${key}` };
  const r = await chat(srv, 'staff', { message: 'パスワードを忘れてしまいました' }, auth);
  assert.equal(r.status, 200);
  assert.equal(r.json.reply.type, 'answer');
  assert.equal(r.json.reply.qa_id, 'S-PW-01');
  const lower = await chat(srv, 'staff', { message: 'VPNがつながらない', state: r.json.state },
    { authorization: `bearer ${key}` });
  assert.equal(lower.status, 200, 'scheme is case-insensitive');
  assert.equal(lower.json.reply.qa_id, 'S-VPN-01');
  const fb = await post(`${srv.url}/v1/bots/staff/feedback`,
    { state: r.json.state, qa_id: 'S-PW-01', helpful: true }, auth);
  assert.equal(fb.status, 200);
});

test('GET /v1/bots/{bot}: public bots for anyone, internal ones only with their key', async () => {
  const pub = await get(`${srv.url}/v1/bots/resident`);
  assert.equal(pub.status, 200);
  assert.equal(pub.json.id, 'resident');
  assert.equal(pub.json.internal, false);
  assert.equal(typeof pub.json.greeting, 'string');
  assert.ok(Array.isArray(pub.json.suggestions));
  const anon = await get(`${srv.url}/v1/bots/staff`);
  assert.equal(anon.status, 401);
  assert.doesNotMatch(anon.text, SECRET_TEXT);
  const bad = await get(`${srv.url}/v1/bots/staff`, { Authorization: 'Bearer mdg_wrong' });
  assert.equal(bad.status, 401);
  const staff = await get(`${srv.url}/v1/bots/staff`, { Authorization: `Bearer ${key}` });
  assert.equal(staff.status, 200);
  assert.equal(staff.json.id, 'staff');
  assert.equal(staff.json.internal, true);
  assert.equal((await get(`${srv.url}/v1/bots/nosuchbot`)).status, 404);
  assert.equal((await post(`${srv.url}/v1/bots/resident`, {})).status, 405);
});

test('internal bots are never listed; a key does not turn the bot public', async () => {
  const r = await get(`${srv.url}/v1/bots`, { Authorization: `Bearer ${key}` });
  assert.deepEqual(r.json.bots.map((b) => b.id), ['resident']);
  // re-importing without --internal keeps the bot internal
  cli(['import', '--db', db, '--bot', 'staff', '--no-synonyms', `${process.env.MDG_ROOT ?? '.'}/tests/http/fixtures/staff.tsv`]);
  const x = await chat(srv, 'staff', { message: 'パスワードを忘れてしまいました' });
  assert.equal(x.status, 401);
});

test('a key for another bot, or a revoked key, is refused', async () => {
  const residentKey = createKey(db, 'resident', 'other bot');
  const r = await chat(srv, 'staff', { message: 'パスワードを忘れた' },
    { Authorization: `Bearer ${residentKey}` });
  assert.equal(r.status, 401);

  const k2 = createKey(db, 'staff', 'to revoke');
  const ok = await chat(srv, 'staff', { message: 'パスワードを忘れた' }, { Authorization: `Bearer ${k2}` });
  assert.equal(ok.status, 200);
  const out = cli(['key', 'revoke', '--db', db, k2.slice(0, 12)]);
  assert.match(out, /revoked key \d+/);
  const no = await chat(srv, 'staff', { message: 'パスワードを忘れた' }, { Authorization: `Bearer ${k2}` });
  assert.equal(no.status, 401);
  // the first key still works
  const still = await chat(srv, 'staff', { message: 'パスワードを忘れた' }, { Authorization: `Bearer ${key}` });
  assert.equal(still.status, 200);
});

test('public bots need no key (and ignore one)', async () => {
  const r = await chat(srv, 'resident', { message: '図書館の開館時間を知りたい' },
    { Authorization: 'Bearer nonsense' });
  assert.equal(r.status, 200);
});

test('CORS: configured origins are echoed, others get no CORS header', async () => {
  const ok = await chat(srv, 'resident', { message: '図書館の開館時間を知りたい' },
    { Origin: 'https://www.pref.aoba.example' });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('access-control-allow-origin'), 'https://www.pref.aoba.example');
  assert.match(ok.headers.get('vary'), /Origin/);

  for (const origin of ['https://evil.example', 'https://www.pref.aoba.example.evil.example',
    'http://www.pref.aoba.example', 'null', 'https://portal.aoba.example']) {
    const r = await chat(srv, 'resident', { message: '図書館の開館時間を知りたい' }, { Origin: origin });
    assert.equal(r.status, 200, origin);
    assert.equal(r.headers.get('access-control-allow-origin'), null, origin);
  }
  // each bot has its own list
  const staff = await chat(srv, 'staff', { message: 'パスワードを忘れた' },
    { Origin: 'https://portal.aoba.example', Authorization: `Bearer ${key}` });
  assert.equal(staff.headers.get('access-control-allow-origin'), 'https://portal.aoba.example');
  // errors carry the header too, so the page can read them
  const err = await chat(srv, 'resident', { message: '' }, { Origin: 'http://localhost:8080' });
  assert.equal(err.status, 400);
  assert.equal(err.headers.get('access-control-allow-origin'), 'http://localhost:8080');
  // the bot list: any bot's origin
  const list = await get(`${srv.url}/v1/bots`, { Origin: 'https://portal.aoba.example' });
  assert.equal(list.headers.get('access-control-allow-origin'), 'https://portal.aoba.example');
});

test('CORS preflight: allowed origins get 204 with methods and headers; others 403', async () => {
  const pre = await fetch(`${srv.url}/v1/bots/resident/chat`, {
    method: 'OPTIONS',
    headers: {
      Origin: 'https://www.pref.aoba.example',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type',
    },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'https://www.pref.aoba.example');
  assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
  assert.match(pre.headers.get('access-control-allow-headers'), /Content-Type/i);
  assert.match(pre.headers.get('access-control-allow-headers'), /Authorization/i);
  assert.ok(Number(pre.headers.get('access-control-max-age')) > 0);

  const bad = await fetch(`${srv.url}/v1/bots/resident/chat`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(bad.status, 403);
  assert.equal(bad.headers.get('access-control-allow-origin'), null);
  assert.equal((await bad.json()).error.code, 'origin_not_allowed');

  const other = await fetch(`${srv.url}/v1/bots/staff/chat`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://www.pref.aoba.example', 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(other.status, 403, "resident's origin is not staff's");
});
