// logs_shutdown.test.mjs — the turn log (personal data masked before
// anything is stored, feedback, retention) and graceful shutdown with
// requests in flight.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';

import {
  buildDb, chat, post, sleep, sql, startServer, stopClean, tempDir, writeConfig,
} from './lib.mjs';

let dir;

before(() => {
  dir = tempDir();
});

const servers = [];
after(async () => {
  for (const s of servers) await s.stop('SIGKILL');
});

test('every turn is logged with personal data masked', async () => {
  const db = buildDb(dir);
  const s = await startServer({ db });
  servers.push(s);
  const messages = [
    'マイナンバーは1234 5678 9012です。図書館の開館時間を知りたい',
    '電話は０９０－１２３４－５６７８、メールはTaro.Yamada@example.co.jp、〒123-4567 の者ですが自動車税',
    '宇宙旅行 03-1234-5678 123456789012',
  ];
  const replies = [];
  let state;
  for (const message of messages) {
    const r = await chat(s, 'resident', { message, state });
    assert.equal(r.status, 200);
    replies.push(r.json.reply);
    state = r.json.state;
  }
  // a refused turn is not logged
  assert.equal((await chat(s, 'resident', { choice: 'c1' })).status, 400);

  // feedback, with a comment that contains personal data
  const fb = await post(`${s.url}/v1/bots/resident/feedback`, {
    state, qa_id: 'LIB-01', helpful: false, comment: '折り返しは080-9876-5432へ。a@b.example',
  });
  assert.equal(fb.status, 200);
  assert.deepEqual(fb.json, { ok: true });

  // the background writer stores turns within a second, while serving
  let rows = [];
  for (let i = 0; i < 40 && rows.length < 3; i++) {
    await sleep(100);
    rows = sql(db, 'SELECT id FROM turns');
  }
  assert.equal(rows.length, 3, 'written before shutdown');
  await stopClean(s);
  servers.pop();

  rows = sql(db, 'SELECT bot, conversation, turn, input, query, decision, qa_id, score, kb_version, at FROM turns ORDER BY id');
  assert.equal(rows.length, 3);
  const all = sql(db, 'SELECT * FROM turns').flat().join('\n')
    + sql(db, 'SELECT * FROM feedback').flat().join('\n');
  for (const secret of ['1234 5678 9012', '123456789012', '090-1234-5678', '1234-5678', 'taro', 'example.co.jp',
    '123-4567', '03-1234-5678', '080-9876-5432', 'a@b.example']) {
    assert.ok(!all.toLowerCase().includes(secret.toLowerCase()), `"${secret}" must not be stored`);
  }
  const [t1, t2, t3] = rows;
  assert.equal(t1[0], 'resident');
  assert.equal(t1[4], 'マイナンバーは＜個人番号＞です。図書館の開館時間を知りたい');
  assert.equal(t1[5], replies[0].type);
  assert.equal(t1[6], replies[0].qa_id ?? replies[0].candidates[0].qa_id);
  assert.ok(Number(t1[7]) > 0.3);
  assert.ok(Number(t1[8]) > 0);
  assert.match(t1[9], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // normalised (half-width digits, lower case) and masked
  assert.equal(t2[4], '電話は＜電話番号＞、メールは＜メールアドレス＞、＜郵便番号＞ の者ですが自動車税');
  // the logged decision is the reply given (here: 自動車税 among contact data)
  assert.equal(t2[5], replies[1].type);
  assert.ok(['answer', 'candidates', 'fallback'].includes(t2[5]));
  assert.equal(t3[4], '宇宙旅行 ＜電話番号＞ ＜個人番号＞');
  assert.equal(t3[5], 'fallback');
  // one conversation, numbered turns
  assert.equal(new Set(rows.map((r) => r[1])).size, 1);
  assert.deepEqual(rows.map((r) => r[2]), ['1', '2', '3']);
  assert.deepEqual(rows.map((r) => r[3]), ['message', 'message', 'message']);

  const f = sql(db, 'SELECT bot, conversation, qa_id, helpful, comment FROM feedback');
  assert.deepEqual(f, [['resident', t1[1], 'LIB-01', '0', '折り返しは＜電話番号＞へ。＜メールアドレス＞']]);
});

test('choices are logged by option id', async () => {
  const db = buildDb(tempDir());
  const s = await startServer({ db });
  servers.push(s);
  const a = await chat(s, 'resident', { message: '自動車税' });
  const b = await chat(s, 'resident', { choice: a.json.reply.options[1].id, state: a.json.state });
  assert.equal(b.json.reply.type, 'answer');
  await stopClean(s);
  servers.pop();
  const rows = sql(db, 'SELECT turn, input, query, decision, qa_id FROM turns ORDER BY id');
  assert.deepEqual(rows[1], ['2', 'choice', a.json.reply.options[1].id, 'answer', b.json.reply.qa_id]);
});

test('feedback: bad input is refused', async () => {
  const db = buildDb(tempDir());
  const s = await startServer({ db });
  servers.push(s);
  const a = await chat(s, 'resident', { message: '図書館の開館時間を知りたい' });
  const url = `${s.url}/v1/bots/resident/feedback`;
  const cases = [
    [{ qa_id: 'LIB-01', helpful: true }, 'invalid_field'],
    [{ state: a.json.state, helpful: true }, 'invalid_field'],
    [{ state: a.json.state, qa_id: 'LIB-01' }, 'invalid_field'],
    [{ state: a.json.state, qa_id: 'LIB-01', helpful: 'yes' }, 'invalid_field'],
    [{ state: a.json.state, qa_id: 7, helpful: true }, 'invalid_field'],
    [{ state: a.json.state, qa_id: 'LIB-01', helpful: true, comment: 5 }, 'invalid_field'],
    [{ state: a.json.state, qa_id: 'NOPE-99', helpful: true }, 'unknown_qa'],
    [{ state: 'x.y', qa_id: 'LIB-01', helpful: true }, 'invalid_state'],
    [{ state: a.json.state, qa_id: 'LIB-01', helpful: true, comment: 'あ'.repeat(1001) }, 'comment_too_long'],
  ];
  for (const [body, code] of cases) {
    const r = await post(url, body);
    assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
    assert.equal(r.json.error.code, code, JSON.stringify(body).slice(0, 80));
  }
  // any Q&A of the bot may be rated, not only the last answer
  const ok = await post(url, { state: a.json.state, qa_id: 'PASS-01', helpful: true });
  assert.equal(ok.status, 200);
  await stopClean(s);
  servers.pop();
  assert.equal(sql(db, 'SELECT count(*) FROM feedback')[0][0], '1');
});

test('logs older than retention_days are deleted at start-up', async () => {
  const d = tempDir();
  const db = buildDb(d);
  // create the tables, then age some rows
  const s1 = await startServer({ db });
  await chat(s1, 'resident', { message: '図書館の開館時間を知りたい' });
  await stopClean(s1);
  const old = Math.floor(Date.now() / 1000) - 40 * 86400;
  sql(db, `INSERT INTO turns(ts, at, bot, conversation, turn, input, query, decision)
           VALUES(${old}, 'old', 'resident', 'c', 1, 'message', 'old question', 'fallback');
           INSERT INTO feedback(ts, at, bot, conversation, qa_id, helpful)
           VALUES(${old}, 'old', 'resident', 'c', 'LIB-01', 1);`);
  assert.equal(sql(db, 'SELECT count(*) FROM turns')[0][0], '2');
  const config = writeConfig(d, `database: ${db}\nlog: {retention_days: 30}\n`);
  const s2 = await startServer({ config });
  await stopClean(s2);
  assert.equal(sql(db, 'SELECT count(*) FROM turns')[0][0], '1');
  assert.equal(sql(db, "SELECT count(*) FROM turns WHERE query = 'old question'")[0][0], '0');
  assert.equal(sql(db, 'SELECT count(*) FROM feedback')[0][0], '0');
});

// Starts a chat request whose body is only half sent; returns
// { response, finish() }: finish() sends the rest, response resolves to
// {status, json}.
function halfRequest(port, message) {
  const body = Buffer.from(JSON.stringify({ message }));
  const half = Math.floor(body.length / 2);
  let req;
  const response = new Promise((resolve, reject) => {
    req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/v1/bots/resident/chat',
      headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
      agent: false,
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, json: JSON.parse(data) }));
    });
    req.on('error', reject);
  });
  req.write(body.subarray(0, half));
  return { response, finish: () => req.end(body.subarray(half)) };
}

test('graceful shutdown: in-flight requests finish, then a clean exit', async () => {
  const db = buildDb(tempDir());
  const s = await startServer({ db });
  servers.push(s);
  const inflight = [
    halfRequest(s.port, '図書館の開館時間を知りたい'),
    halfRequest(s.port, 'パスポートを新しく作りたい'),
    halfRequest(s.port, '運転免許を取りたい'),
  ];
  // a kept-alive connection, to ask /readyz during the drain
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const getStatus = (path) => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: s.port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
  assert.equal(await getStatus('/readyz'), 200);
  await sleep(400); // the server has the headers and half of each body
  s.proc.kill('SIGTERM');
  await sleep(400);
  assert.equal(s.proc.exitCode, null, 'still running while requests are in flight');
  assert.match(s.log(), /SIGTERM: finishing 3 in-flight requests/);
  // load balancers see "not ready"; new connections are refused
  assert.equal(await getStatus('/readyz'), 503);
  agent.destroy();
  const refused = await new Promise((resolve) => {
    const c = net.connect(s.port, '127.0.0.1');
    c.on('connect', () => { c.destroy(); resolve('connected'); });
    c.on('error', (e) => resolve(e.code));
  });
  assert.equal(refused, 'ECONNREFUSED');
  for (const r of inflight) r.finish();
  const results = await Promise.all(inflight.map((r) => r.response));
  assert.deepEqual(results.map((r) => r.status), [200, 200, 200]);
  assert.deepEqual(results.map((r) => r.json.reply.qa_id), ['LIB-01', 'PASS-01', 'DL-01']);
  const { code, log } = await stopClean(s);
  servers.pop();
  assert.equal(code, 0);
  assert.match(log, /turn log: 3 records written, 0 dropped/);
  assert.match(log, /stopped/);
  // the turns of the drained requests were flushed to the database
  assert.equal(sql(db, 'SELECT count(*) FROM turns')[0][0], '3');
});

test('SIGINT stops the server cleanly too', async () => {
  const db = buildDb(tempDir());
  const s = await startServer({ db });
  await chat(s, 'resident', { message: '図書館の開館時間を知りたい' });
  const r = await s.stop('SIGINT');
  assert.equal(r.code, 0, r.log);
  assert.match(r.log, /SIGINT/);
});
