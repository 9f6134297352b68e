// state.test.mjs — the signed conversation state: it survives a server
// restart and works across two server processes sharing the secret;
// tampered, foreign, malformed and expired states are refused with 400.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  buildDb, chat, createKey, sleep, startServer, stopClean, tempDir, writeConfig,
} from './lib.mjs';

let dir;
let db;
let shared; // config with a secret file, used by several processes

before(() => {
  dir = tempDir();
  db = buildDb(dir);
  shared = writeConfig(dir, `
database: ${db}
secret_file: ${path.join(dir, 'state.secret')}
limits: {burst: 1000}
`);
});

const servers = [];
async function start(opts) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}
async function stop(s) {
  servers.splice(servers.indexOf(s), 1);
  await stopClean(s);
}
after(async () => {
  for (const s of [...servers]) await stop(s);
});

const b64 = (s) => Buffer.from(s, 'base64url').toString('utf8');
const enc = (s) => Buffer.from(s, 'utf8').toString('base64url');

test('the secret file is created once with a random secret, mode 0600', async () => {
  const s = await start({ config: shared });
  const file = path.join(dir, 'state.secret');
  const st = statSync(file);
  assert.equal(st.mode & 0o777, 0o600);
  assert.match(readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
  await stop(s);
});

test('a conversation continues across a server restart', async () => {
  const a = await start({ config: shared });
  const first = await chat(a, 'resident', { message: 'パスポートを新しく作りたい' });
  assert.equal(first.json.reply.qa_id, 'PASS-01');
  const amb = await chat(a, 'resident', { message: '自動車税', state: first.json.state });
  assert.equal(amb.json.reply.type, 'candidates');
  await stop(a);

  const b = await start({ config: shared });
  // context from before the restart
  const f = await chat(b, 'resident', { message: '更新の場合は？', state: first.json.state });
  assert.equal(f.status, 200);
  assert.equal(f.json.reply.qa_id, 'PASS-02');
  // options offered before the restart
  const pick = amb.json.reply.options.find((o) => o.id !== 'none');
  const c = await chat(b, 'resident', { choice: pick.id, state: amb.json.state });
  assert.equal(c.status, 200);
  assert.equal(c.json.reply.type, 'answer');
  assert.equal(c.json.reply.question, pick.label);
  await stop(b);
});

test('two server processes sharing the secret serve one conversation', async () => {
  const a = await start({ config: shared });
  const b = await start({ config: shared });
  assert.notEqual(a.port, b.port);
  let state;
  const turns = [
    [a, { message: '運転免許を取りたい' }, 'DL-01'],
    [b, { message: '更新の場合は？' }, 'DL-02'],
    [a, { message: '自動車税' }, null],
  ];
  let last;
  for (const [srv, body, want] of turns) {
    last = await chat(srv, 'resident', { ...body, state });
    assert.equal(last.status, 200);
    if (want) assert.equal(last.json.reply.qa_id, want);
    state = last.json.state;
  }
  const opt = last.json.reply.options[0];
  const r = await chat(b, 'resident', { choice: opt.id, state });
  assert.equal(r.status, 200);
  assert.equal(r.json.reply.type, 'answer');
  // the turn counter travels in the state
  const payload = JSON.parse(b64(r.json.state.split('.')[0]));
  assert.equal(payload.t, 4);
  await stop(a);
  await stop(b);
});

test('tampered, foreign and malformed states are refused with 400', async () => {
  const s = await start({ config: shared });
  const first = await chat(s, 'resident', { message: '自動車税' });
  const [p, mac] = first.json.state.split('.');
  const payload = JSON.parse(b64(p));
  assert.equal(payload.b, 'resident');

  const forged = { ...payload, o: [['c1', 'qa:LIB-01']] };
  const other = mac[0] === 'A' ? 'B' : 'A';
  const cases = {
    'payload changed, signature kept': `${enc(JSON.stringify(forged))}.${mac}`,
    'signature changed': `${p}.${other}${mac.slice(1)}`,
    'signature removed': p,
    'signature empty': `${p}.`,
    'garbage': 'not-a-state',
    'empty string': '',
    'very long': 'A'.repeat(5000),
    'signed by another secret': null,
  };
  // a state from a server with a different (random) secret
  const foreign = await start({ db });
  cases['signed by another secret'] = (await chat(foreign, 'resident', { message: '自動車税' })).json.state;
  await stop(foreign);

  for (const [name, state] of Object.entries(cases)) {
    const r = await chat(s, 'resident', { choice: 'c1', state });
    assert.equal(r.status, 400, name);
    assert.equal(r.json.error.code, 'invalid_state', name);
    assert.match(r.json.error.message, /最初から/, name);
  }
  // a message with a bad state is refused too (the client starts over)
  const m = await chat(s, 'resident', { message: '図書館の開館時間', state: cases.garbage });
  assert.equal(m.status, 400);
  assert.equal(m.json.error.code, 'invalid_state');
  // wrong type
  const t = await chat(s, 'resident', { message: '図書館の開館時間', state: 42 });
  assert.equal(t.status, 400);
  assert.equal(t.json.error.code, 'invalid_field');
  // null is "no state": a new conversation
  const n = await chat(s, 'resident', { message: '図書館の開館時間', state: null });
  assert.equal(n.status, 200);
  await stop(s);
});

test('a state of one bot is not accepted by another', async () => {
  const s = await start({ config: shared });
  const key = createKey(db, 'staff');
  const r = await chat(s, 'resident', { message: '図書館の開館時間' });
  const x = await chat(s, 'staff', { message: 'パスワードを忘れた', state: r.json.state },
    { Authorization: `Bearer ${key}` });
  assert.equal(x.status, 400);
  assert.equal(x.json.error.code, 'invalid_state');
  await stop(s);
});

test('an expired state is refused with 400', async () => {
  const config = writeConfig(dir, `
database: ${db}
secret: "0123456789abcdef0123456789abcdef-test"
state_ttl: 1
`, 'ttl.yaml');
  const s = await start({ config });
  const r = await chat(s, 'resident', { message: '自動車税' });
  const payload = JSON.parse(b64(r.json.state.split('.')[0]));
  assert.equal(payload.e - payload.i, 1);
  await sleep(2200);
  const x = await chat(s, 'resident', { choice: 'c1', state: r.json.state });
  assert.equal(x.status, 400);
  assert.equal(x.json.error.code, 'state_expired');
  assert.match(x.json.error.message, /有効期限/);
  await stop(s);
});

test('without a configured secret, states do not outlive the process', async () => {
  const a = await start({ db });
  assert.match(a.log(), /will not survive a restart/);
  const r = await chat(a, 'resident', { message: '自動車税' });
  await stop(a);
  const b = await start({ db });
  const x = await chat(b, 'resident', { choice: 'c1', state: r.json.state });
  assert.equal(x.status, 400);
  assert.equal(x.json.error.code, 'invalid_state');
  await stop(b);
});
