// admin.test.mjs — the knowledge editors' admin API over real HTTP: admin
// tokens (required, scoped, revoked, checked before an upload is read),
// no CORS for the bots' public origins, dry runs reporting every kind of
// problem with row and column (the CLI's messages) and changing nothing,
// LibreOffice-written xlsx and Shift_JIS CSV, synonyms kept by admin
// imports, zero failed requests and no mixed answers while the knowledge
// base is swapped under load, rollback, export → import round trips,
// unanswered questions grouped and counted from a scripted conversation
// set (masked in lists and exports, exported for re-import), statistics
// and feedback, flow uploads.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  BIN, FIXTURES, buildDb, chat, cli, createKey, post, sleep, startServer, stopClean, tempDir,
  writeConfig,
} from './lib.mjs';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PUBLIC_ORIGIN = 'https://www.pref.aoba.example';
const TYPES = { xlsx: XLSX, csv: 'text/csv', tsv: 'text/tab-separated-values' };

// A small public bot for the unanswered/statistics tests (its own turn log).
const TOWN_TSV = [
  'id\tquestion\tanswer\tcategory',
  'T-1\tごみの分別方法を教えてください。\t燃えるごみ・燃えないごみ・資源ごみに分けて出してください。\tごみ',
  'T-2\t粗大ごみの出し方を知りたい。\t粗大ごみ受付センターに電話で申し込んでください。\tごみ',
  'T-3\t住民票の写しはどこで取れますか。\t市役所の市民課窓口かコンビニで取れます。\t住民票',
].join('\n') + '\n';

let srv, dir, db;
let tokRes, tokStaff, tokBoth, tokTown, tokRevoked, apiKey;

function token(bots, label = 'test') {
  return cli(['token', 'create', '--db', db, ...bots.flatMap((b) => ['--bot', b]), '--label', label]).trim();
}

before(async () => {
  dir = tempDir('mdg-admin-');
  db = buildDb(dir);
  writeFileSync(path.join(dir, 'town.tsv'), TOWN_TSV);
  cli(['import', '--db', db, '--bot', 'town', '--no-synonyms', path.join(dir, 'town.tsv')]);
  tokRes = token(['resident'], '県民向け編集者');
  tokStaff = token(['staff']);
  tokBoth = token(['resident', 'staff']);
  tokTown = token(['town']);
  tokRevoked = token(['resident'], 'revoked');
  cli(['token', 'revoke', '--db', db, tokRevoked.slice(0, 12)]);
  apiKey = createKey(db, 'staff');
  const config = writeConfig(dir, `
database: ${db}
threads: 4
limits:
  rate: 0
admin:
  max_upload: 1048576
bots:
  resident:
    allowed_origins: [${PUBLIC_ORIGIN}]
`);
  srv = await startServer({ config });
});

after(async () => {
  if (srv) await stopClean(srv);
});

// An admin request. body: Buffer/string (sent as is) or undefined.
async function admin(method, p, { tok, body, type, headers = {} } = {}) {
  const h = { ...headers };
  if (tok) h.Authorization = `Bearer ${tok}`;
  if (type) h['Content-Type'] = type;
  const r = await fetch(`${srv.url}${p}`, { method, headers: h, body });
  const buf = Buffer.from(await r.arrayBuffer());
  let json = null;
  try { json = JSON.parse(buf.toString('utf8')); } catch { /* a file */ }
  return { status: r.status, headers: r.headers, json, buf, text: buf.toString('utf8') };
}

const upload = (bot, data, { tok = tokRes, type = 'text/tab-separated-values', query = '' } = {}) =>
  admin('POST', `/v1/admin/bots/${bot}/import${query}`, { tok, body: data, type });

async function me(tok) {
  return (await admin('GET', '/v1/admin/me', { tok })).json;
}

async function activeVersion(bot, tok = tokBoth) {
  const m = await me(tok === tokBoth && bot === 'town' ? tokTown : tok);
  return m.bots.find((b) => b.id === bot).active_version;
}

async function ask(bot, message, state) {
  const r = await chat(srv, bot, state ? { message, state } : { message });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// A minimal RFC 4180 reader/writer for filling in exported CSV files.
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false;
      else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}
const csvCell = (s) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
const writeCsv = (rows) => rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';

// Waits until fn() returns a truthy value (the turn log is written in
// batches a fraction of a second after the request).
async function eventually(fn, what, ms = 10000) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    last = await fn();
    if (last) return last;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

// A POST announcing a body of size bytes with "Expect: 100-continue": a
// server that refuses it before reading answers at once, without the
// "100 Continue" that would ask the client to send it.
function expectPost(p, headers, size) {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = http.request(`${srv.url}${p}`, {
      method: 'POST', headers: { 'Content-Length': size, Expect: '100-continue', ...headers },
    }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { b += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: b, continued }));
    });
    req.on('continue', () => {
      continued = true;
      req.end(Buffer.alloc(size, 0x41));
    });
    req.on('error', reject);
  });
}

test('token required: 401 without a valid admin token, 403 for another bot, scope listed by /me', async () => {
  const r = await admin('GET', '/v1/admin/me');
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, 'unauthorized');
  assert.match(r.headers.get('www-authenticate'), /^Bearer/);
  assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
  for (const tok of ['nonsense', 'mdg_' + 'A'.repeat(43), tokRevoked, apiKey]) {
    assert.equal((await admin('GET', '/v1/admin/bots/resident/stats', { tok })).status, 401, tok);
  }
  assert.equal((await admin('GET', '/v1/admin/bots/staff/stats', { tok: apiKey })).status, 401,
    'an API key is not an admin token');
  // A valid token for other bots: 403, whether the bot exists or not.
  for (const bot of ['resident', 'nosuchbot']) {
    const f = await admin('GET', `/v1/admin/bots/${bot}/stats`, { tok: tokStaff });
    assert.equal(f.status, 403);
    assert.equal(f.json.error.code, 'forbidden');
  }
  assert.equal((await admin('GET', '/v1/admin/bots/resident/stats', { tok: tokRes })).status, 200);
  assert.equal((await admin('GET', '/v1/admin/bots/staff/stats', { tok: tokBoth })).status, 200);

  const m = await me(tokRes);
  assert.equal(m.token.label, '県民向け編集者');
  assert.equal(m.token.prefix, tokRes.slice(0, 12));
  assert.deepEqual(m.bots.map((b) => b.id), ['resident']);
  assert.equal(m.bots[0].n_qa, 10);
  const both = await me(tokBoth);
  assert.deepEqual(both.bots.map((b) => [b.id, b.internal]), [['resident', false], ['staff', true]]);

  // Every admin route refuses a request without a token.
  const routes = [['GET', 'export'], ['GET', 'template'], ['GET', 'unanswered'], ['GET', 'stats'],
    ['POST', 'import'], ['POST', 'rollback'], ['POST', 'flows'], ['GET', 'flows'], ['POST', 'flows/rollback']];
  for (const [method, p] of routes) {
    const x = await admin(method, `/v1/admin/bots/resident/${p}`, method === 'POST' ? { body: 'x' } : {});
    assert.equal(x.status, 401, `${method} ${p}`);
  }
  // Tokens are listed by the CLI without their secret.
  const list = cli(['token', 'list', '--db', db]);
  assert.match(list, /県民向け編集者/);
  assert.match(list, /revoked/);
  assert.ok(!list.includes(tokRes), 'the secret is not stored or shown');
  assert.ok(!cli(['key', 'list', '--db', db]).includes('県民向け編集者'), 'keys and tokens are listed apart');
});

test("no admin route is reachable from a bot's public origin", async () => {
  const pre = await admin('OPTIONS', '/v1/admin/bots/resident/import', {
    headers: { Origin: PUBLIC_ORIGIN, 'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization' },
  });
  assert.equal(pre.status, 403);
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
  assert.equal(pre.headers.get('access-control-allow-methods'), null);
  // ... while the same origin may use the bot's chat.
  const chatPre = await admin('OPTIONS', '/v1/bots/resident/chat', {
    headers: { Origin: PUBLIC_ORIGIN, 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(chatPre.status, 204);
  assert.equal(chatPre.headers.get('access-control-allow-origin'), PUBLIC_ORIGIN);

  const fromSite = await admin('GET', '/v1/admin/bots/resident/stats', { tok: tokRes, headers: { Origin: PUBLIC_ORIGIN } });
  assert.equal(fromSite.status, 403);
  assert.equal(fromSite.json.error.code, 'origin_not_allowed');
  assert.equal(fromSite.headers.get('access-control-allow-origin'), null);
  const crossSite = await admin('GET', '/v1/admin/me', { tok: tokRes, headers: { 'Sec-Fetch-Site': 'cross-site' } });
  assert.equal(crossSite.status, 403);
  const sameOrigin = await admin('GET', '/v1/admin/me', {
    tok: tokRes, headers: { 'Sec-Fetch-Site': 'same-origin', Origin: srv.url },
  });
  assert.equal(sameOrigin.status, 200);
  assert.equal(sameOrigin.headers.get('access-control-allow-origin'), null);
});

test('uploads: no token is refused before the body is read, over admin.max_upload is 413', async () => {
  const before_ = await activeVersion('resident');
  const r = await expectPost('/v1/admin/bots/resident/import', { 'Content-Type': 'text/csv' }, 4 << 20);
  assert.equal(r.status, 401);
  assert.equal(r.continued, false, 'the body was never asked for');
  const r2 = await expectPost('/v1/admin/bots/resident/import',
    { 'Content-Type': 'text/csv', Authorization: `Bearer ${tokStaff}` }, 4 << 20);
  assert.equal(r2.status, 403);
  assert.equal(r2.continued, false);
  const big = await expectPost('/v1/admin/bots/resident/import',
    { 'Content-Type': 'text/csv', Authorization: `Bearer ${tokRes}` }, (1 << 20) + 1);
  assert.equal(big.status, 413);
  assert.equal(big.continued, false);
  const fits = await expectPost('/v1/admin/bots/resident/import?dry_run=1',
    { 'Content-Type': 'text/csv', Authorization: `Bearer ${tokRes}` }, 1 << 20);
  assert.equal(fits.continued, true, 'an authorised upload within the cap is read');
  assert.equal(fits.status, 422, fits.body);
  const empty = await upload('resident', '');
  assert.equal(empty.status, 400);
  assert.equal(empty.json.error.code, 'empty_body');
  // A spreadsheet larger than the chat API's 16 KB body cap is fine.
  const rows = ['id\tquestion\tanswer'];
  for (let i = 0; i < 300; i++) rows.push(`BIG-${i}\t質問${i}の内容について詳しく教えてください\t回答${i}です。`.padEnd(60, '。'));
  const ok = await upload('resident', rows.join('\n'), { query: '?dry_run=1' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.rows, 300);
  assert.equal(await activeVersion('resident'), before_);
});

test('warnings do not stop an import: a repeated question is named with both rows, as the CLI does', async () => {
  const before_ = await activeVersion('resident');
  const lines = ['タイトル：よくある質問', 'ID,質問,回答', 'W-1,粗大ごみの出し方は？,電話で申し込みます。',
    'W-2,住民税の納め方は？,納付書で納めます。', 'W-3,粗大ごみの出し方は?,インターネットでも申し込めます。'];
  const data = Buffer.from(lines.join('\r\n') + '\r\n');
  const r = await upload('resident', data, { type: 'text/csv', query: '?dry_run=1' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.header_row, 2);
  assert.deepEqual(r.json.warnings.map((w) => [w.row, w.column]), [[5, '質問']]);
  assert.match(r.json.warnings[0].message, /same question as row 3/);
  assert.equal(await activeVersion('resident'), before_, 'a dry run changes nothing');
  const file = path.join(dir, 'warn.csv');
  writeFileSync(file, data);
  const c = spawnSync(BIN, ['import', '--db', db, '--bot', 'resident', '--dry-run', file], { encoding: 'utf8' });
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:質問: warning: the same question as row 3`));
  assert.match(c.stdout, /header on row 2/);
});

test('dry run reports every kind of problem with row and column, as the CLI does, and changes nothing', async () => {
  const before_ = await activeVersion('resident');
  const long = 'あ'.repeat(10001);
  const lines = [
    'ID,質問,回答,フロー,メモ',
    'X-1,,回答あり,,',
    'X-2,質問,,,',
    'X-1,質問,回答,,',
    ',質問,回答,,',
    `X-5,長い回答,${long},,`,
    'X-6,質問,回答,Bad Flow!,',
    'X-7,正しい行,正しい回答,,編集メモは無視される',
  ];
  const good = Buffer.from(lines.join('\r\n') + '\r\n');
  // One cell that is not text in any encoding.
  const bad = Buffer.concat([good, Buffer.from('X-8,'), Buffer.from([0x81, 0xff, 0xfe]), Buffer.from(',回答\r\n')]);
  const file = path.join(dir, 'bad.csv');
  writeFileSync(file, bad);
  const r = await upload('resident', bad, { type: 'text/csv', query: '?dry_run=1' });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.error.code, 'validation_failed');
  assert.equal(r.json.ok, false);
  const got = r.json.problems.map((p) => `${p.row}:${p.column}: ${p.message}`);
  const c = spawnSync(BIN, ['import', '--db', db, '--bot', 'resident', '--dry-run', file], { encoding: 'utf8' });
  assert.equal(c.status, 1);
  const want = c.stderr.trim().split('\n').filter((l) => l.startsWith(file)).map((l) => l.slice(file.length + 1));
  assert.deepEqual(got, want, 'same problems and messages as the CLI');
  for (const [row, col, re] of [[2, '質問', /required cell is empty/], [3, '回答', /required cell is empty/],
    [4, 'ID', /duplicate id 'X-1' \(first used in row 2\)/], [5, 'ID', /required cell is empty/],
    [6, '回答', /too long \(10001 characters, at most 10000\)/], [7, 'フロー', /flow id 'Bad Flow!'/]]) {
    assert.ok(r.json.problems.some((p) => p.row === row && p.column === col && re.test(p.message)),
      `row ${row} ${col} ${re}`);
  }
  assert.ok(r.json.problems.some((p) => p.row === 9 && /encoding/.test(p.message)), 'invalid text reported');
  assert.ok(!r.json.problems.some((p) => p.row === 8), 'the valid row has no problem');

  // The same file without dry_run changes nothing either.
  assert.equal((await upload('resident', bad, { type: 'text/csv' })).status, 422);
  // A missing column, an unreadable xlsx, an empty sheet.
  const m = await upload('resident', 'ID,質問\nA,B\n', { type: 'text/csv', query: '?dry_run=1' });
  assert.deepEqual(m.json.problems, [{ row: 1, column: 'answer', message: "required column 'answer' (回答) is missing from the header row" }]);
  const x = await upload('resident', Buffer.from('PK\x03\x04not really a zip'), { type: XLSX });
  assert.equal(x.status, 422);
  assert.equal(x.json.problems[0].row, 0);
  assert.equal(x.json.problems.length, 1);
  const e = await upload('resident', 'id\tquestion\tanswer\n');
  assert.equal(e.status, 422);
  assert.match(e.json.problems[0].message, /no Q&A rows/);

  assert.equal(await activeVersion('resident'), before_, 'nothing changed');
  assert.equal((await ask('resident', '図書館の開館時間を知りたい')).reply.qa_id, 'LIB-01');

  // A valid dry run lists the changes and still changes nothing.
  const tsv = readFileSync(path.join(FIXTURES, 'resident.tsv'), 'utf8').trim().split('\n');
  const edited = [tsv[0], ...tsv.slice(2).map((l) => (l.startsWith('MUS-01') ? l.replace('800円', '900円') : l)),
    'NEW-1\tドローンの飛行許可はどこに申請しますか。\t国土交通省に申請してください。'].join('\n');
  const d = await upload('resident', edited, { query: '?dry_run=1' });
  assert.equal(d.status, 200, d.text);
  assert.deepEqual(d.json.changes, { added: ['NEW-1'], updated: ['MUS-01'], removed: ['LIB-01'] });
  assert.equal(d.json.dry_run, true);
  assert.equal(d.json.version, 0);
  assert.equal(await activeVersion('resident'), before_);
  assert.notEqual((await ask('resident', 'ドローンの飛行許可の申請先')).reply.qa_id, 'NEW-1');
});

test('imports spreadsheets written by LibreOffice (xlsx, Shift_JIS CSV); the exported xlsx opens in LibreOffice', async () => {
  const lo = path.join(dir, 'lo');
  mkdirSync(lo);
  const soffice = (args) => {
    const r = spawnSync('soffice', [`-env:UserInstallation=file://${lo}/profile`, '--headless', ...args],
      { cwd: lo, encoding: 'utf8', timeout: 180000 });
    assert.equal(r.status, 0, `soffice failed: ${r.stderr}`);
  };
  const tsv = readFileSync(path.join(FIXTURES, 'resident.tsv'), 'utf8').trim().split('\n');
  const rows = tsv.map((l) => l.split('\t').map(csvCell).join(','));
  // An answer pasted from a web page keeps its HTML in the spreadsheet.
  rows.push(['ORG-1', '臓器提供の意思表示カードはどこでもらえますか。',
    csvCell('<p>保健所と市役所の窓口で配布しています。<br>詳しくは<a href="https://www.example.jp/ishi/">こちら</a></p>'),
    '', '健康', '健康増進課', '', '', '', ''].join(','));
  writeFileSync(path.join(lo, 'kb.csv'), rows.join('\r\n') + '\r\n');
  soffice(['--convert-to', 'xlsx', '--infilter=CSV:44,34,76,1', 'kb.csv']);
  soffice(['--convert-to', 'csv:Text - txt - csv (StarCalc):44,34,64,1', '--outdir', path.join(lo, 'sjis'), 'kb.xlsx']);
  const sjis = readFileSync(path.join(lo, 'sjis', 'kb.csv'));
  assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(sjis), 'really Shift_JIS');

  const x = await upload('resident', readFileSync(path.join(lo, 'kb.xlsx')), { type: XLSX, query: '?filename=kb.xlsx' });
  assert.equal(x.status, 200, x.text);
  assert.deepEqual(x.json.changes.added, ['ORG-1']);
  assert.ok(x.json.version > 0);
  assert.equal(x.json.html_cells, 1, 'the HTML answer is counted');
  assert.equal(x.json.header_row, 1);
  const org = (await ask('resident', '臓器提供の意思表示カードがほしい')).reply;
  assert.equal(org.qa_id, 'ORG-1');
  assert.equal(org.text, '保健所と市役所の窓口で配布しています。\n詳しくはこちら（https://www.example.jp/ishi/）',
    'the chat shows the HTML answer as text');
  // The same content as Shift_JIS CSV, without a Content-Type: the same
  // Q&A (CP932 has no 〜 WAVE DASH: cells with one come back with ～).
  const s = await upload('resident', sjis, { type: 'application/octet-stream' });
  assert.equal(s.status, 200, s.text);
  assert.deepEqual([s.json.changes.added, s.json.changes.removed], [[], []]);
  const wave = tsv.filter((l) => l.includes('〜')).map((l) => l.split('\t')[0]);
  assert.deepEqual(s.json.changes.updated, wave);
  assert.equal((await ask('resident', '臓器提供の意思表示カードがほしい')).reply.qa_id, 'ORG-1');

  // Our xlsx export opens in LibreOffice with the Japanese text intact.
  const ex = await admin('GET', '/v1/admin/bots/resident/export?format=xlsx', { tok: tokRes });
  writeFileSync(path.join(lo, 'export.xlsx'), ex.buf);
  soffice(['--convert-to', 'csv:Text - txt - csv (StarCalc):44,34,76,1', '--outdir', path.join(lo, 'back'), 'export.xlsx']);
  const back = readFileSync(path.join(lo, 'back', 'export.csv'), 'utf8');
  assert.match(back, /臓器提供の意思表示カードはどこでもらえますか。/);
  assert.match(back, /県立図書館の開館時間と休館日を教えてください。/);
});

test('an admin import uses the synonym dictionary, as the CLI does', async () => {
  // The fixture database was imported with --no-synonyms: 車の税金 is not 自動車税.
  const d = path.join(dir, 'syn');
  mkdirSync(d);
  const plain = path.join(d, 'plain.db');
  cli(['import', '--db', plain, '--bot', 'resident', '--no-synonyms', path.join(FIXTURES, 'resident.tsv')]);
  const before_ = JSON.parse(execFileSync(BIN, ['search', '--db', plain, '--bot', 'resident', '--jsonl'],
    { input: '車の税金の払い方\n', encoding: 'utf8' }));
  assert.notEqual(before_.decision, 'answer', 'without synonyms the question is not answered outright');

  const r = await upload('resident', readFileSync(path.join(FIXTURES, 'resident.tsv')));
  assert.equal(r.status, 200, r.text);
  const a = await ask('resident', '車の税金の払い方');
  assert.equal(a.reply.type, 'answer');
  assert.equal(a.reply.qa_id, 'TAX-01');
});

// Two versions of one knowledge base: every question and answer carries
// its version's tag, and each version has a Q&A the other lacks.
function versionTsv(tag) {
  const rows = [
    ['LIB-01', '県立図書館の開館時間と休館日を教えてください', '県立図書館は9時から19時まで開館しています'],
    ['LIB-02', '県立図書館の利用カードはどうすれば作れますか', 'カウンターで申し込んでください'],
    ['TAX-01', '自動車税の納付方法を教えてください', 'コンビニで納付できます'],
    ['TAX-02', '自動車税の減免を受けられますか', '障害のある方は減免を受けられます'],
    ['TAX-03', '自動車税の住所変更はどうすればよいですか', '県税事務所に届け出てください'],
    ['PASS-01', 'パスポートを初めて申請するときに必要な書類は何ですか', '申請書と戸籍謄本が必要です'],
    tag === 'A' ? ['ONLY-A', '県営住宅の入居者募集はいつですか', '毎年5月と11月です']
      : ['ONLY-B', '狩猟免許の試験日程を教えてください', '毎年7月と9月に実施します'],
  ];
  return 'id\tquestion\tanswer\tdepartment\n' +
    rows.map(([id, q, a]) => `${id}\t${q}（${tag}版）\t${a}。【${tag}版】\t${tag}版の課`).join('\n') + '\n';
}

const tagOf = (s) => (/（([AB])版）|【([AB])版】|^([AB])版の課$/.exec(s ?? '') ?? []).slice(1).find(Boolean);

test('swap under load: zero failed requests, every answer wholly from the old or the new version', async () => {
  const A = versionTsv('A');
  const B = versionTsv('B');
  assert.equal((await upload('resident', A)).status, 200);
  const queries = ['図書館の開館時間', '自動車税', '自動車税の納付方法', 'パスポートの申請に必要な書類',
    '県営住宅の入居者募集', '狩猟免許の試験日程', '図書館のカードを作りたい', 'ドローンの飛行許可'];
  let stop = false;
  const failures = [];
  const seen = { answer: 0, candidates: 0, fallback: 0, A: 0, B: 0 };
  let requests = 0;
  async function loop(n) {
    for (let i = n; !stop; i++) {
      const q = queries[i % queries.length];
      let r;
      try {
        r = await chat(srv, 'resident', { message: q });
      } catch (e) {
        failures.push(`${q}: ${e.message}`);
        continue;
      }
      requests++;
      if (r.status !== 200) {
        failures.push(`${q}: HTTP ${r.status} ${r.text}`);
        continue;
      }
      const rep = r.json.reply;
      seen[rep.type] = (seen[rep.type] ?? 0) + 1;
      let tags = [];
      if (rep.type === 'answer') tags = [tagOf(rep.question), tagOf(rep.text), tagOf(rep.department)];
      else if (rep.type === 'candidates') tags = rep.candidates.map((c) => tagOf(c.question));
      if (tags.some((t) => !t) || new Set(tags).size > 1) failures.push(`${q}: mixed ${JSON.stringify(rep)}`);
      if (tags[0]) seen[tags[0]]++;
      if (rep.qa_id === 'ONLY-A' && tags[0] !== 'A') failures.push(`ONLY-A from ${tags[0]}`);
      if (rep.qa_id === 'ONLY-B' && tags[0] !== 'B') failures.push(`ONLY-B from ${tags[0]}`);
    }
  }
  const loops = [0, 1, 2, 3].map((n) => loop(n * 2));
  const versions = [];
  try {
    // At least 8 swaps, and more (at most 40) until the chat loops have made
    // 40 requests during them: how many fit in 8 depends on the machine. The
    // last upload is A (an even count).
    for (let i = 0; i < 40 && (i < 8 || requests < 40 || i % 2 === 1); i++) {
      const r = await upload('resident', i % 2 === 0 ? B : A);
      assert.equal(r.status, 200, r.text);
      versions.push(r.json.version);
      await sleep(150);
    }
  } finally {
    stop = true;
    await Promise.all(loops);
  }
  assert.deepEqual(failures, [], 'no failed or mixed replies');
  assert.ok(requests >= 40, `enough chat requests during the swaps (${requests})`);
  assert.ok(seen.A > 0 && seen.B > 0, `answers from both versions (${JSON.stringify(seen)})`);
  assert.equal(new Set(versions).size, versions.length, 'each import is a new version');
  assert.ok(versions.length >= 8, `at least 8 swaps (${versions.length})`);
  // The last import (A) is served.
  assert.equal((await ask('resident', '県営住宅の入居者募集')).reply.qa_id, 'ONLY-A');
});

test('rollback restores the previous version (and back again); 409 without one', async () => {
  const m0 = (await me(tokRes)).bots[0];
  const r = await admin('POST', '/v1/admin/bots/resident/rollback', { tok: tokRes });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.active_version, m0.previous_version);
  assert.equal(r.json.previous_version, m0.active_version);
  const b = await ask('resident', '狩猟免許の試験日程を教えてください');
  assert.equal(b.reply.qa_id, 'ONLY-B');
  assert.match(b.reply.text, /【B版】/);
  assert.equal((await admin('POST', '/v1/admin/bots/resident/rollback', { tok: tokRes })).status, 200);
  assert.equal((await ask('resident', '県営住宅の入居者募集')).reply.qa_id, 'ONLY-A');
  // staff was imported once: nothing to go back to.
  const s = await admin('POST', '/v1/admin/bots/staff/rollback', { tok: tokStaff });
  assert.equal(s.status, 409);
  assert.equal(s.json.error.code, 'no_previous_version');
});

test('export → import round trip is identical (xlsx, csv, tsv); template with Japanese headers', async () => {
  for (const fmt of ['xlsx', 'csv', 'tsv']) {
    const e = await admin('GET', `/v1/admin/bots/resident/export?format=${fmt}`, { tok: tokRes });
    assert.equal(e.status, 200);
    assert.match(e.headers.get('content-type'), new RegExp(fmt === 'xlsx' ? 'spreadsheetml' : fmt === 'csv' ? 'text/csv' : 'tab-separated'));
    assert.match(e.headers.get('content-disposition'), new RegExp(`^attachment; filename="resident-qa-\\d{4}-\\d\\d-\\d\\d\\.${fmt}"$`));
    const d = await upload('resident', e.buf, { type: TYPES[fmt], query: '?dry_run=1' });
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.json.changes, { added: [], updated: [], removed: [] }, `${fmt} round trip`);
    assert.equal(d.json.rows, 7);
  }
  const csv1 = (await admin('GET', '/v1/admin/bots/resident/export?format=csv', { tok: tokRes })).buf;
  assert.equal((await upload('resident', csv1, { type: 'text/csv' })).status, 200);
  const csv2 = (await admin('GET', '/v1/admin/bots/resident/export?format=csv', { tok: tokRes })).buf;
  assert.ok(csv1.equals(csv2), 'export after re-import is byte-identical');
  assert.ok((await admin('GET', '/v1/admin/bots/resident/export', { tok: tokRes })).buf.subarray(0, 2).equals(Buffer.from('PK')),
    'xlsx by default');
  assert.equal((await admin('GET', '/v1/admin/bots/resident/export?format=pdf', { tok: tokRes })).status, 400);

  const t = await admin('GET', '/v1/admin/bots/resident/template?format=csv', { tok: tokRes });
  assert.equal(t.status, 200);
  assert.equal(t.text.replace(/^\ufeff/, '').trim(), 'ID,質問,回答,言い換え,カテゴリ,担当課,問合せ先,参考URL,キーワード,フロー');
  const tx = await admin('GET', '/v1/admin/bots/resident/template', { tok: tokRes });
  const filled = await upload('resident', tx.buf, { type: XLSX, query: '?dry_run=1' });
  assert.equal(filled.status, 422, 'the blank template is readable (and has no rows yet)');
  assert.match(filled.json.problems[0].message, /no Q&A rows/);
});

// The scripted conversation set for the town bot.
const SCRIPT = [
  ['ドローンの飛行許可を取りたい', 3],
  ['ドローンを飛ばす許可が欲しい', 2],
  ['ペットの火葬について', 1],
  ['ペットの火葬について 090-1234-5678', 1],
  ['マイナンバーカード 1234 5678 9012 の再発行', 1],
  ['ごみの分別方法を教えてください', 2], // answered: not on the list
];

test('unanswered questions: grouped by similarity, counted, most frequent first, masked, closest Q&A', async () => {
  const states = [];
  for (const [msg, n] of SCRIPT) {
    for (let i = 0; i < n; i++) {
      const r = await ask('town', msg);
      states.push([msg, r]);
      if (msg.startsWith('ごみ')) assert.equal(r.reply.type, 'answer');
      else assert.ok(['fallback', 'candidates'].includes(r.reply.type), `${msg}: ${r.reply.type}`);
    }
  }
  const u = await eventually(async () => {
    const r = await admin('GET', '/v1/admin/bots/town/unanswered?days=7', { tok: tokTown });
    return r.json.messages === 8 ? r : null;
  }, 'the turn log');
  const g = u.json.groups;
  assert.equal(u.json.days, 7);
  assert.equal(u.json.groups_total, 3);
  assert.deepEqual(g.map((x) => x.count), [5, 2, 1], 'counts, most frequent first');
  assert.equal(g[0].text, 'ドローンの飛行許可を取りたい', 'representative: the most frequent message');
  assert.deepEqual(g[0].examples, [{ text: 'ドローンの飛行許可を取りたい', count: 3 }, { text: 'ドローンを飛ばす許可が欲しい', count: 2 }]);
  assert.equal(g[1].text, 'ペットの火葬について');
  assert.deepEqual(g[1].examples.map((e) => e.text).sort(), ['ペットの火葬について', 'ペットの火葬について ＜電話番号＞']);
  assert.equal(g[2].text, 'マイナンバーカード ＜個人番号＞ の再発行');
  for (const x of g) {
    assert.match(x.last_seen, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$/);
    assert.ok(x.closest === null || (typeof x.closest.qa_id === 'string' && typeof x.closest.question === 'string'));
  }
  const body = JSON.stringify(u.json);
  assert.ok(!/090-1234-5678|1234 5678 9012|5678/.test(body), 'personal numbers masked in the list');
  assert.ok(!body.includes('ごみの分別'), 'answered questions are not listed');
  assert.equal((await admin('GET', '/v1/admin/bots/town/unanswered?days=0', { tok: tokTown })).status, 400);
  assert.equal((await admin('GET', '/v1/admin/bots/town/unanswered?days=7&limit=1', { tok: tokTown })).json.groups.length, 1);

  // Exports: the import headers, no personal numbers.
  const csv = await admin('GET', '/v1/admin/bots/town/unanswered?days=7&format=csv', { tok: tokTown });
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-disposition'), /town-unanswered-.*\.csv/);
  const rows = parseCsv(csv.text.replace(/^\ufeff/, ''));
  assert.deepEqual(rows[0].slice(0, 10), ['ID', '質問', '回答', '言い換え', 'カテゴリ', '担当課', '問合せ先', '参考URL', 'キーワード', 'フロー']);
  assert.equal(rows[0][10], '件数');
  assert.deepEqual(rows.slice(1).map((r) => [r[0], r[1], r[2], r[10]]),
    [['', 'ドローンの飛行許可を取りたい', '', '5'], ['', 'ペットの火葬について', '', '2'], ['', 'マイナンバーカード ＜個人番号＞ の再発行', '', '1']]);
  assert.equal(rows[1][3], 'ドローンを飛ばす許可が欲しい', 'the other messages as 言い換え');
  assert.ok(!/090-1234-5678|1234 5678 9012/.test(csv.text), 'masked in the CSV');
  const xlsx = await admin('GET', '/v1/admin/bots/town/unanswered?days=7&format=xlsx', { tok: tokTown });
  const xf = path.join(dir, 'unanswered.xlsx');
  writeFileSync(xf, xlsx.buf);
  const strings = execFileSync('unzip', ['-p', xf, 'xl/sharedStrings.xml'], { encoding: 'utf8' });
  assert.match(strings, /ドローンの飛行許可を取りたい/);
  assert.match(strings, /＜電話番号＞/);
  assert.ok(!/090-1234-5678|1234 5678 9012/.test(strings), 'masked in the xlsx');

  // Filled in and uploaded: the list with the current knowledge base appended.
  const full = await admin('GET', '/v1/admin/bots/town/unanswered?days=7&format=csv&with_kb=1', { tok: tokTown });
  const f = parseCsv(full.text.replace(/^\ufeff/, ''));
  assert.deepEqual(f.slice(4).map((r) => r[0]), ['T-1', 'T-2', 'T-3']);
  const unfilled = await upload('town', writeCsv(f), { tok: tokTown, type: 'text/csv', query: '?dry_run=1' });
  assert.equal(unfilled.status, 422, 'unfilled rows are reported, not imported');
  assert.ok(unfilled.json.problems.some((p) => p.row === 2 && p.column === 'ID'));
  f[1][0] = 'DRONE-1';
  f[1][2] = 'ドローンの飛行許可は国土交通省に申請してください。';
  const filled = [f[0], f[1], ...f.slice(4)];
  const up = await upload('town', writeCsv(filled), { tok: tokTown, type: 'text/csv' });
  assert.equal(up.status, 200, up.text);
  assert.deepEqual(up.json.changes, { added: ['DRONE-1'], updated: [], removed: [] });
  const a = await ask('town', 'ドローンを飛ばす許可が欲しい');
  assert.equal(a.reply.type, 'answer');
  assert.equal(a.reply.qa_id, 'DRONE-1');
});

test('stats: conversations, messages, shares, per day, top Q&A, helpful / not helpful', async () => {
  // Feedback on the answered questions.
  const a = await ask('town', 'ごみの分別方法を教えてください');
  const b = await ask('town', '住民票の写しはどこで取れますか');
  assert.equal(b.reply.qa_id, 'T-3');
  for (const [r, helpful] of [[a, false], [b, true], [a, false]]) {
    const f = await post(`${srv.url}/v1/bots/town/feedback`, { state: r.state, qa_id: r.reply.qa_id, helpful });
    assert.equal(f.status, 200, f.text);
  }
  const s = await eventually(async () => {
    const r = (await admin('GET', '/v1/admin/bots/town/stats?days=7', { tok: tokTown })).json;
    // all three feedback rows written (the turn log writes in the background)
    const votes = r.feedback.reduce((n, f) => n + f.helpful + f.not_helpful, 0);
    return votes === 3 && r.totals.messages === 13 ? r : null;
  }, 'stats with feedback');
  // 8 unanswered + 2 answered in the script, 1 answered after the import, 2 now.
  assert.equal(s.totals.messages, 13);
  assert.equal(s.totals.conversations, 13, 'each scripted message started a conversation');
  assert.equal(s.totals.answered, 5);
  assert.equal(s.totals.fallback + s.totals.candidates, 8);
  assert.ok(Math.abs(s.totals.answered_share - 5 / 13) < 1e-9);
  assert.ok(Math.abs(s.totals.answered_share + s.totals.candidates_share + s.totals.fallback_share + s.totals.other_share - 1) < 1e-9);
  assert.equal(s.per_day.length, 7);
  const today = new Date(Date.now() + 9 * 3600e3).toISOString().slice(0, 10);
  assert.equal(s.per_day[6].date, today, 'days in Japan time, today last');
  assert.equal(s.per_day[6].messages, 13);
  assert.equal(s.per_day.slice(0, 6).reduce((n, d) => n + d.messages, 0), 0);
  assert.deepEqual(s.top_qa.map((q) => [q.qa_id, q.count]), [['T-1', 3], ['DRONE-1', 1], ['T-3', 1]]);
  assert.equal(s.top_qa[0].question, 'ごみの分別方法を教えてください。');
  assert.deepEqual(s.feedback.map((f) => [f.qa_id, f.helpful, f.not_helpful]), [['T-1', 0, 2], ['T-3', 1, 0]]);
  assert.equal(s.timezone, 'Asia/Tokyo');
  // Another bot's numbers are its own.
  const other = (await admin('GET', '/v1/admin/bots/staff/stats?days=7', { tok: tokStaff })).json;
  assert.equal(other.totals.messages, 0);
});

const FLOW = `flows:
  - id: test-flow
    title: テストの案内
    nodes:
      - id: q1
        text: 新規ですか、更新ですか
        options:
          - {id: new, label: 新規, next: a1}
          - {id: renew, label: 更新, next: a2}
      - id: a1
        answer: {title: 新規, text: 新規の案内です。}
      - id: a2
        answer: {title: 更新, text: 更新の案内です。}
`;

test('flows: uploaded and validated like the CLI, dry run, export, rollback', async () => {
  const flows = (q = '', body = FLOW) => admin('POST', `/v1/admin/bots/town/flows${q}`, { tok: tokTown, body, type: 'application/yaml' });
  const listed = async () => (await admin('GET', '/v1/admin/bots/town/flows', { tok: tokTown })).json.files;
  assert.deepEqual(await listed(), [], 'no flows yet');
  const bad = FLOW.replace('next: a2', 'next: a9');
  const file = path.join(dir, 'bad-flow.yaml');
  writeFileSync(file, bad);
  const r = await flows('?dry_run=1&filename=bad-flow.yaml', bad);
  assert.equal(r.status, 422);
  const c = spawnSync(BIN, ['flows', 'import', '--db', db, '--bot', 'town', '--dry-run', file], { encoding: 'utf8' });
  const cliLines = c.stderr.trim().split('\n').filter((l) => l.startsWith('bad-flow.yaml:'));
  assert.equal(cliLines.length, 2, c.stderr);
  assert.deepEqual(r.json.problems.map((p) => p.text), cliLines, 'same problems as the CLI');
  assert.ok(r.json.problems.some((p) => p.line === 9 && p.flow === 'test-flow' && p.node === 'q1' && /unknown next 'a9'/.test(p.message)));
  assert.equal((await flows('', bad)).status, 422);
  const d = await flows('?dry_run=1');
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.set_id, 0);
  assert.deepEqual(await listed(), [], 'a dry run stores nothing');
  const one = await flows('?filename=town-flows.yaml');
  assert.equal(one.status, 200, one.text);
  assert.deepEqual([one.json.flows, one.json.nodes, one.json.leaves], [1, 3, 2]);
  assert.deepEqual((await listed()).map((f) => [f.name, f.yaml]), [['town-flows.yaml', FLOW]]);
  const two = await flows('?filename=v2.yaml', FLOW.replace('テストの案内', '新しい案内'));
  assert.equal(two.status, 200);
  assert.equal((await listed())[0].name, 'v2.yaml');
  assert.equal((await admin('POST', '/v1/admin/bots/town/flows/rollback', { tok: tokTown })).status, 200);
  assert.equal((await listed())[0].name, 'town-flows.yaml');
  const staff = await admin('POST', '/v1/admin/bots/staff/flows/rollback', { tok: tokStaff });
  assert.equal(staff.status, 409);
});

test('unanswered export: residents\' text that a spreadsheet would run as a formula is neutralised', async () => {
  const msg = '=1+2 宇宙旅行の申し込み';
  const r = await ask('resident', msg);
  assert.ok(['fallback', 'candidates'].includes(r.reply.type));
  const csv = await eventually(async () => {
    const x = await admin('GET', '/v1/admin/bots/resident/unanswered?days=7&format=csv&limit=1000', { tok: tokRes });
    return x.text.includes('宇宙旅行の申し込み') ? x : null;
  }, 'the turn log');
  const row = parseCsv(csv.text.replace(/^\ufeff/, '')).find((x) => x[1].includes('宇宙旅行の申し込み'));
  assert.equal(row[1], `'${msg}`, 'a leading apostrophe: text, not a formula');
  const json = await admin('GET', '/v1/admin/bots/resident/unanswered?days=7&limit=1000', { tok: tokRes });
  assert.ok(json.json.groups.some((g) => g.text === msg), 'the JSON list keeps the text as asked');
});
