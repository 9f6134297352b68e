// chat.test.mjs — the chat API over real HTTP: answers, candidates and
// choices, the general-counter fallback, follow-up context, bot list,
// health, readiness and metrics.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { buildDb, chat, get, startServer, stopClean, tempDir, writeConfig } from './lib.mjs';

let srv;
let dir;

before(async () => {
  dir = tempDir();
  const db = buildDb(dir);
  const config = writeConfig(dir, `
database: ${db}
threads: 4
limits:
  burst: 1000
bots:
  resident:
    name: テスト県 くらしの窓口
    greeting: ご質問をどうぞ。
    suggestions: [図書館の開館時間は？, パスポートを作りたい]
    counter:
      text: お探しの回答が見つかりませんでした。言葉を変えてお試しいただくか、担当窓口へどうぞ。
      departments:
        - {name: 総合案内, handles: 担当がわからないお問い合わせ, phone: 000-0000-1000, hours: 平日 8:30〜17:15}
        - {name: 旅券センター, handles: パスポート, phone: 000-0000-2400, hours: 平日 9:00〜16:30}
`);
  srv = await startServer({ config });
});

after(async () => {
  if (srv) await stopClean(srv);
});

test('a clear question gets an answer with links, contact and department', async () => {
  const r = await chat(srv, 'resident', { message: '図書館の開館時間を知りたい' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
  const { reply } = r.json;
  assert.equal(reply.type, 'answer');
  assert.equal(reply.qa_id, 'LIB-01');
  assert.match(reply.text, /9時から19時/);
  assert.equal(reply.question, '県立図書館の開館時間と休館日を教えてください。');
  assert.equal(reply.department, '県立図書館');
  assert.match(reply.contact, /000-0000-1450/);
  assert.deepEqual(reply.links, [
    { label: '関連ページ', url: 'https://www.pref.aoba.example/library/hours.html' },
  ]);
  assert.deepEqual(reply.options, []);
  assert.equal(typeof r.json.state, 'string');
  assert.ok(r.json.state.length < 2048, 'state stays small');
});

test('only http(s) links are passed on, several are numbered', async () => {
  const r = await chat(srv, 'resident', { message: '美術館の観覧料はいくら' });
  assert.equal(r.json.reply.type, 'answer');
  assert.equal(r.json.reply.qa_id, 'MUS-01');
  assert.deepEqual(r.json.reply.links, [
    { label: '関連ページ', url: 'https://www.pref.aoba.example/museum/fee.html' },
    { label: '関連ページ2', url: 'https://www.pref.aoba.example/museum/discount.html' },
  ]);
  assert.equal(r.json.reply.contact, undefined, 'empty contact is left out');
});

test('an ambiguous question gets up to 3 candidates offered as options', async () => {
  const r = await chat(srv, 'resident', { message: '自動車税' });
  assert.equal(r.status, 200);
  const { reply } = r.json;
  assert.equal(reply.type, 'candidates');
  assert.ok(reply.text.length > 0);
  assert.equal(reply.candidates.length, 3);
  const ids = reply.candidates.map((c) => c.qa_id).sort();
  assert.deepEqual(ids, ['TAX-01', 'TAX-02', 'TAX-03']);
  for (const c of reply.candidates) assert.ok(c.question.includes('自動車税'));
  // every candidate is a clickable option, plus "none of these"
  assert.equal(reply.options.length, 4);
  assert.deepEqual(reply.options.slice(0, 3).map((o) => o.label),
    reply.candidates.map((c) => c.question));
  assert.equal(reply.options[3].id, 'none');
  for (const o of reply.options) assert.equal(typeof o.id, 'string');
});

test('choosing a candidate answers that Q&A directly', async () => {
  const first = await chat(srv, 'resident', { message: '自動車税' });
  const { reply, state } = first.json;
  const idx = reply.candidates.findIndex((c) => c.qa_id === 'TAX-02');
  const r = await chat(srv, 'resident', { choice: reply.options[idx].id, state });
  assert.equal(r.status, 200);
  assert.equal(r.json.reply.type, 'answer');
  assert.equal(r.json.reply.qa_id, 'TAX-02');
  assert.match(r.json.reply.text, /減免/);
  // the options of a reply are valid only for the next turn
  const again = await chat(srv, 'resident', { choice: reply.options[idx].id, state: r.json.state });
  assert.equal(again.status, 400);
  assert.equal(again.json.error.code, 'invalid_choice');
});

test('"none of these" leads to the general counter', async () => {
  const first = await chat(srv, 'resident', { message: '自動車税' });
  const r = await chat(srv, 'resident', { choice: 'none', state: first.json.state });
  assert.equal(r.status, 200);
  assert.equal(r.json.reply.type, 'fallback');
  assert.equal(r.json.reply.departments.length, 2);
});

test('a choice that was not offered is a 400 with a clear message', async () => {
  const first = await chat(srv, 'resident', { message: '自動車税' });
  for (const body of [
    { choice: 'c9', state: first.json.state },
    { choice: 'c1' }, // no state: nothing was offered
    { choice: '', state: first.json.state },
  ]) {
    const r = await chat(srv, 'resident', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.json.error.code, 'invalid_choice');
    assert.match(r.json.error.message, /選択肢/);
  }
  // an answer offers nothing to choose
  const ans = await chat(srv, 'resident', { message: '図書館の開館時間を知りたい' });
  const r = await chat(srv, 'resident', { choice: 'c1', state: ans.json.state });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'invalid_choice');
});

test('nothing matching: the general counter with departments, phone and hours', async () => {
  const r = await chat(srv, 'resident', { message: '宇宙旅行' });
  assert.equal(r.status, 200);
  const { reply } = r.json;
  assert.equal(reply.type, 'fallback');
  assert.match(reply.text, /言葉を変えて/);
  assert.deepEqual(reply.departments[0], {
    name: '総合案内', handles: '担当がわからないお問い合わせ', phone: '000-0000-1000', hours: '平日 8:30〜17:15',
  });
  assert.equal(reply.departments[1].phone, '000-0000-2400');
  assert.deepEqual(reply.options, []);
});

test('a terse follow-up prefers the category of the previous answer', async () => {
  // Without context the follow-up is ambiguous between two categories.
  const alone = await chat(srv, 'resident', { message: '更新の場合は？' });
  assert.equal(alone.json.reply.type, 'candidates');
  const ids = alone.json.reply.candidates.map((c) => c.qa_id);
  assert.ok(ids.includes('PASS-02') && ids.includes('DL-02'));

  const pass = await chat(srv, 'resident', { message: 'パスポートを新しく作りたい' });
  assert.equal(pass.json.reply.qa_id, 'PASS-01');
  const f1 = await chat(srv, 'resident', { message: '更新の場合は？', state: pass.json.state });
  assert.equal(f1.json.reply.type, 'answer');
  assert.equal(f1.json.reply.qa_id, 'PASS-02');

  const dl = await chat(srv, 'resident', { message: '運転免許を取りたい' });
  assert.equal(dl.json.reply.qa_id, 'DL-01');
  const f2 = await chat(srv, 'resident', { message: '更新の場合は？', state: dl.json.state });
  assert.equal(f2.json.reply.type, 'answer');
  assert.equal(f2.json.reply.qa_id, 'DL-02');
});

test('context survives a candidates turn and a choice', async () => {
  const pass = await chat(srv, 'resident', { message: 'パスポートを新しく作りたい' });
  const amb = await chat(srv, 'resident', { message: '図書館', state: pass.json.state });
  assert.equal(amb.json.reply.type, 'candidates');
  const f = await chat(srv, 'resident', { message: '更新の場合は？', state: amb.json.state });
  assert.equal(f.json.reply.qa_id, 'PASS-02');
});

test('GET /v1/bots lists public bots with name, greeting, suggestions', async () => {
  const r = await get(`${srv.url}/v1/bots`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, {
    bots: [{
      id: 'resident',
      name: 'テスト県 くらしの窓口',
      greeting: 'ご質問をどうぞ。',
      suggestions: ['図書館の開館時間は？', 'パスポートを作りたい'],
    }],
  });
});

test('healthz and readyz', async () => {
  const h = await get(`${srv.url}/healthz`);
  assert.equal(h.status, 200);
  assert.equal(h.json.status, 'ok');
  const r = await get(`${srv.url}/readyz`);
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'ready');
  assert.equal(r.json.bots, 2);
});

test('metrics: requests by route and status, latency histogram, reply counts', async () => {
  await chat(srv, 'resident', { message: '図書館の開館時間を知りたい' });
  await chat(srv, 'resident', { message: '宇宙旅行' });
  await chat(srv, 'nosuchbot', { message: 'x' });
  // Five times the same message over four worker threads: at least one
  // thread has seen it before and answers from its result cache.
  const replies = [];
  for (let i = 0; i < 5; i++) replies.push((await chat(srv, 'resident', { message: 'パスポートの受け取り' })).json.reply);
  for (const x of replies) assert.deepEqual(x, replies[0], 'cached replies are the same replies');
  assert.equal((await get(`${srv.url}/v1/bots/resident`)).status, 200);
  const r = await get(`${srv.url}/metrics`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const value = (re) => {
    const m = re.exec(r.text);
    assert.ok(m, `missing ${re}`);
    return Number(m[1]);
  };
  assert.ok(value(/^madoguchi_http_requests_total\{route="chat",status="200"\} (\d+)$/m) >= 10);
  assert.ok(value(/^madoguchi_http_requests_total\{route="chat",status="404"\} (\d+)$/m) >= 1);
  assert.ok(value(/^madoguchi_http_requests_total\{route="bot",status="200"\} (\d+)$/m) >= 1);
  assert.doesNotMatch(r.text, /null/, 'every route has its label');
  assert.ok(value(/^madoguchi_http_requests_total\{route="chat",status="400"\} (\d+)$/m) >= 1);
  assert.ok(value(/^madoguchi_chat_replies_total\{type="answer"\} (\d+)$/m) >= 5);
  assert.ok(value(/^madoguchi_chat_replies_total\{type="candidates"\} (\d+)$/m) >= 3);
  assert.ok(value(/^madoguchi_chat_replies_total\{type="fallback"\} (\d+)$/m) >= 2);
  const inf = value(/^madoguchi_http_request_duration_seconds_bucket\{route="chat",le="\+Inf"\} (\d+)$/m);
  const count = value(/^madoguchi_http_request_duration_seconds_count\{route="chat"\} (\d+)$/m);
  assert.equal(inf, count);
  assert.match(r.text, /^# TYPE madoguchi_http_request_duration_seconds histogram$/m);
  assert.match(r.text, /^madoguchi_turnlog_dropped_total 0$/m);
  assert.ok(value(/^madoguchi_search_total\{cache="hit"\} (\d+)$/m) >= 1);
  assert.ok(value(/^madoguchi_search_total\{cache="miss"\} (\d+)$/m) >= 5);
});

test('a message with only spaces and punctuation-free whitespace is empty', async () => {
  const r = await chat(srv, 'resident', { message: ' 　\n\t' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'empty_message');
});
