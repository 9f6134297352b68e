// cli.test.mjs — the `madoguchi` command as editors use it: spreadsheets
// written by LibreOffice (xlsx, Shift_JIS CSV), validation errors with row
// and column, exit codes, export/import round trip, search --jsonl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = process.env.MDG_BIN || 'build/asan/madoguchi';
let dir;

function run(args, input) {
  const r = spawnSync(BIN, args, { input, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function soffice(args) {
  const profile = `file://${dir}/lo-profile`;
  const r = spawnSync('soffice', [`-env:UserInstallation=${profile}`, '--headless', ...args],
    { cwd: dir, encoding: 'utf8', timeout: 180000 });
  assert.equal(r.status, 0, `soffice failed: ${r.stderr}`);
}

const HEADER = 'ID,質問,回答,言い換え,カテゴリ,担当課,問合せ先,参考URL,キーワード,フロー';
const ROWS = [
  'T-1,自動車税はどこで納付できますか。,金融機関やコンビニエンスストアで納付できます。,車の税金の払い方,自動車税,税務課,税務課 000-0000-1101,https://www.pref.aoba.example/zei/,,',
  'T-2,ＶＰＮに接続できません,"ＶＰＮ装置を再起動し、それでも接続できない場合は""ヘルプデスク""へ連絡してください。",,ＶＰＮ,情報政策課,,,,',
  'T-3,パスポートの申請に必要な書類は？,"一般旅券発給申請書、戸籍謄本、写真です。\n詳しくは旅券センターへ。",旅券 申請,パスポート,旅券センター,,,,',
];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mdg-cli-'));
  writeFileSync(join(dir, 'kb.csv'), [HEADER, ...ROWS].join('\r\n') + '\r\n');
  // LibreOffice writes the real-world files: .xlsx and Shift_JIS CSV.
  soffice(['--convert-to', 'xlsx', '--infilter=CSV:44,34,76,1', 'kb.csv']);
  soffice(['--convert-to', 'csv:Text - txt - csv (StarCalc):44,34,64,1', '--outdir', join(dir, 'sjis'), 'kb.xlsx']);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('LibreOffice files exist and the CSV is really Shift_JIS', () => {
  assert.ok(existsSync(join(dir, 'kb.xlsx')));
  const raw = readFileSync(join(dir, 'sjis', 'kb.csv'));
  assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(raw));
  assert.match(new TextDecoder('shift_jis').decode(raw), /自動車税/);
});

for (const [name, file] of [['xlsx', 'kb.xlsx'], ['Shift_JIS CSV', 'sjis/kb.csv'], ['UTF-8 CSV', 'kb.csv']]) {
  test(`import ${name} written by LibreOffice`, () => {
    const db = join(dir, `${name.replace(/\W/g, '')}.db`);
    const r = run(['import', '--db', db, '--bot', 'pref', join(dir, file)]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /3 Q&A/);
    const s = run(['search', '--db', db, '--bot', 'pref', '--jsonl'],
      'vpnにつながらない\nパスポート 申請 書類\n');
    const lines = s.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    assert.equal(lines[0].results[0].id, 'T-2');
    assert.equal(lines[1].results[0].id, 'T-3');
    assert.ok(['answer', 'candidates', 'none'].includes(lines[0].decision));
  });
}

test('TSV with BOM imports; export round-trips through xlsx, csv and tsv', () => {
  const tsv = '\ufeffid\tquestion\tanswer\nA-1\t図書館の開館時間は？\t午前9時から午後7時です。\n';
  writeFileSync(join(dir, 'a.tsv'), tsv);
  const db = join(dir, 'rt.db');
  assert.equal(run(['import', '--db', db, '--bot', 'lib', join(dir, 'a.tsv')]).code, 0);
  assert.equal(run(['import', '--db', db, '--bot', 'pref', join(dir, 'kb.xlsx')]).code, 0);
  for (const ext of ['xlsx', 'csv', 'tsv']) {
    const out = join(dir, `export.${ext}`);
    const e = run(['export', '--db', db, '--bot', 'pref', out]);
    assert.equal(e.code, 0, e.err);
    const again = run(['import', '--db', db, '--bot', 'pref', '--dry-run', out]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /0 added, 0 updated, 0 removed/, `${ext} round trip`);
  }
});

test('validation errors: every problem as FILE:ROW:COLUMN, exit 1, nothing changed', () => {
  const db = join(dir, 'val.db');
  assert.equal(run(['import', '--db', db, '--bot', 'pref', join(dir, 'kb.csv')]).code, 0);
  const bad = [HEADER, 'X-1,,回答あり,,,,,,,', 'X-2,質問,,,,,,,,', 'X-1,質問,回答,,,,,,,', ',質問,回答,,,,,,,'].join('\n');
  const f = join(dir, 'bad.csv');
  writeFileSync(f, bad);
  const r = run(['import', '--db', db, '--bot', 'pref', f]);
  assert.equal(r.code, 1);
  const lines = r.err.trim().split('\n');
  assert.ok(lines.includes(`${f}:2:質問: required cell is empty`), r.err);
  assert.ok(lines.includes(`${f}:3:回答: required cell is empty`), r.err);
  assert.ok(lines.includes(`${f}:4:ID: duplicate id 'X-1' (first used in row 2)`), r.err);
  assert.ok(lines.includes(`${f}:5:ID: required cell is empty`), r.err);
  const s = run(['search', '--db', db, '--bot', 'pref', '--jsonl'], 'VPN 接続\n');
  assert.equal(JSON.parse(s.out).results[0].id, 'T-2', 'old knowledge base still served');

  writeFileSync(join(dir, 'nohdr.csv'), 'ID,質問\nA,B\n');
  const m = run(['import', '--db', db, '--bot', 'pref', join(dir, 'nohdr.csv')]);
  assert.equal(m.code, 1);
  assert.match(m.err, /nohdr\.csv:1:answer: required column 'answer' \(回答\) is missing/);

  const junk = Buffer.from([0x69, 0x64, 0x2c, 0x71, 0x0a, 0xff, 0xfe, 0x80, 0x2c, 0x41, 0x0a]);
  writeFileSync(join(dir, 'junk.csv'), junk);
  const j = run(['import', '--db', db, '--bot', 'pref', join(dir, 'junk.csv')]);
  assert.equal(j.code, 1, 'invalid encoding is a validation error, not a crash');
});

test('a broken synonym dictionary: its file and line, exit 1, nothing changed', () => {
  const db = join(dir, 'syn.db');
  assert.equal(run(['import', '--db', db, '--bot', 'pref', join(dir, 'kb.csv')]).code, 0);
  const syn = join(dir, 'bad-synonyms.yaml');
  writeFileSync(syn, '- [自動車税, 車の税金]\n- [ひとつだけ]\n');
  const r = run(['import', '--db', db, '--bot', 'pref', '--synonyms', syn, join(dir, 'kb.csv')]);
  assert.equal(r.code, 1);
  assert.equal(r.err.trim(), `madoguchi import: ${syn}:2: a synonym group needs at least two entries`);
  const s = run(['search', '--db', db, '--bot', 'pref', '--jsonl'], '車の税金\n');
  assert.equal(JSON.parse(s.out).results[0].id, 'T-1', 'the imported version is still served');
});

test('usage errors exit 2', () => {
  assert.equal(run(['import', '--db', join(dir, 'x.db')]).code, 2);
  assert.equal(run(['frobnicate']).code, 2);
  assert.equal(run(['search', '--db', join(dir, 'x.db'), '--bot', 'a', '--top', 'zero', '--jsonl']).code, 2);
  assert.equal(run(['import', '--db', join(dir, 'x.db'), '--bot', 'Bad Name!', join(dir, 'kb.csv')]).code, 1);
});

test('search --jsonl: one object per line, in order, even for odd input', () => {
  const db = join(dir, 'val.db');
  const input = ['自動車税', '"NEAR( * AND -', '', 'パスポート'].join('\n') + '\n';
  const r = run(['search', '--db', db, '--bot', 'pref', '--jsonl', '--top', '2'], input);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 4);
  assert.equal(lines[0].query, '自動車税');
  assert.ok(lines[0].results.length <= 2);
  assert.equal(lines[2].decision, 'none');
  for (const l of lines) for (const h of l.results) {
    assert.equal(typeof h.id, 'string');
    assert.equal(typeof h.score, 'number');
    assert.equal(typeof h.question, 'string');
  }
});
