// config.test.mjs — configuration: an invalid file stops start-up naming
// file, line and key; --check; --db/--listen alone start a working server;
// the shipped example config and the sample knowledge bases (make run).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { before, test } from 'node:test';

import {
  BIN, ROOT, buildDb, chat, cli, createKey, get, runToExit, sql, startServer, stopClean, tempDir, writeConfig,
} from './lib.mjs';

let dir;
let db;

before(() => {
  dir = tempDir();
  db = buildDb(dir);
});

test('invalid configurations stop start-up with file, line and key', async () => {
  const cases = [
    ['threads: 65\n', 1, "key 'threads'", /integer from 0 to 64/],
    [`database: ${db}\ndatabse: x\n`, 2, "key 'databse'", /unknown key/],
    ['limits:\n  max_body: 4096\n  max_bdy: 5\n', 3, "key 'limits.max_bdy'", /unknown key/],
    ['limits:\n  rate: fast\n', 2, "key 'limits.rate'", /number/],
    ['log:\n  level: loud\n', 2, "key 'log.level'", /error\|warn\|info\|debug/],
    ['log:\n  access: maybe\n', 2, "key 'log.access'", /true or false/],
    ['limits: 5\n', 1, "key 'limits'", /mapping/],
    ['threads: 4\nthreads: 5\n', 2, "key 'threads'", /twice/],
    ['bots:\n  Bad Id:\n    name: x\n', 2, "key 'bots.Bad Id'", /bot ids/],
    ['bots:\n  resident:\n    nmae: x\n', 3, "key 'bots.resident.nmae'", /unknown key/],
    ['bots:\n  resident:\n    allowed_origins: ["*"]\n', 3, "key 'bots.resident.allowed_origins'", /wildcard/],
    ['bots:\n  resident:\n    allowed_origins: [https://a.example/path]\n', 3,
      "key 'bots.resident.allowed_origins'", /no path/],
    ['bots:\n  resident:\n    answer_threshold: 3\n', 3, "key 'bots.resident.answer_threshold'", /0 to 2/],
    ['bots:\n  resident:\n    counter:\n      departments:\n        - {phone: 1}\n', 5,
      "key 'bots.resident.counter'", /'name' is required/],
    ['bots:\n  resident:\n    counter:\n      text: x\n      depts: []\n', 5, "key 'bots.resident.counter'",
      /unknown key 'depts'/],
    ['listen: [1, 2\n', 2, '', /YAML error/],
  ];
  for (const [yaml, line, key, why] of cases) {
    const file = writeConfig(dir, yaml, 'bad.yaml');
    const { code, out } = await runToExit(['--config', file, '--db', db, '--listen', '127.0.0.1:0']);
    assert.equal(code, 2, `${yaml}\n${out}`);
    assert.ok(out.includes(`${file}:${line}:`), `line ${line} named: ${out}`);
    assert.ok(out.includes(key), `${key} named: ${out}`);
    assert.match(out, why, yaml);
  }
});

test('settings that depend on each other are checked too', async () => {
  const cases = [
    [`database: ${db}\nsecret: short\n`, /key 'secret': use at least 32/],
    [`database: ${db}\nsecret: "${'x'.repeat(40)}"\nsecret_file: /tmp/x\n`, /set only one/],
    [`database: ${db}\nlisten: localhost\n`, /key 'listen'/],
    ['threads: 2\n', /key 'database'/],
    [`database: ${db}\ncounter_file: ${dir}/missing.yaml\n`, /missing\.yaml: cannot open/],
  ];
  for (const [yaml, why] of cases) {
    const file = writeConfig(dir, yaml, 'bad2.yaml');
    const args = ['--config', file];
    const { code, out } = await runToExit(args);
    assert.equal(code, 2, `${yaml}\n${out}`);
    assert.match(out, why, out);
  }
  const counter = writeConfig(dir, 'resident:\n  text: x\n  departments:\n    - {name: a, fax: 1}\n', 'counter.yaml');
  const file = writeConfig(dir, `database: ${db}\ncounter_file: ${counter}\n`, 'bad3.yaml');
  const { code, out } = await runToExit(['--config', file]);
  assert.equal(code, 2);
  assert.ok(out.includes(`${counter}:4:`), out);
  assert.match(out, /unknown key 'fax'/);
});

test('start-up problems outside the file exit non-zero with a message', async () => {
  const missing = await runToExit(['--db', path.join(dir, 'nope.db'), '--listen', '127.0.0.1:0']);
  assert.equal(missing.code, 1);
  assert.match(missing.out, /nope\.db does not exist/);
  const noFile = await runToExit(['--config', path.join(dir, 'nope.yaml')]);
  assert.equal(noFile.code, 2);
  assert.match(noFile.out, /nope\.yaml: cannot open/);
  const usage = await runToExit(['--bogus']);
  assert.equal(usage.code, 2);
  assert.match(usage.out, /usage: madoguchi-server/);
  const busy = await startServer({ db });
  try {
    const clash = await runToExit(['--db', db, '--listen', `127.0.0.1:${busy.port}`]);
    assert.equal(clash.code, 1);
    assert.match(clash.out, /cannot listen on 127\.0\.0\.1:\d+/);
  } finally {
    await stopClean(busy);
  }
});

test('--check validates without serving', async () => {
  const file = writeConfig(dir, `database: ${db}\n`, 'ok.yaml');
  const { code, out } = await runToExit(['--config', file, '--check']);
  assert.equal(code, 0);
  assert.match(out, /configuration is valid/);
});

test('--db and --listen alone start a working server with defaults', async () => {
  const s = await startServer({ db });
  try {
    const r = await chat(s, 'resident', { message: '図書館の開館時間を知りたい' });
    assert.equal(r.json.reply.qa_id, 'LIB-01');
    // defaults: bot name = id, a greeting, no counter table
    const bots = await get(`${s.url}/v1/bots`);
    assert.equal(bots.json.bots[0].name, 'resident');
    assert.ok(bots.json.bots[0].greeting.length > 0);
    const f = await chat(s, 'resident', { message: '宇宙旅行' });
    assert.equal(f.json.reply.type, 'fallback');
    assert.deepEqual(f.json.reply.departments, []);
    assert.match(f.json.reply.text, /言葉を変えて/);
  } finally {
    await stopClean(s);
  }
});

test('the shipped example config with the sample knowledge bases (make run)', async () => {
  const sampleDb = path.join(dir, 'sample.db');
  execFileSync(path.join(ROOT, 'tools/make-sample.sh'), [BIN, sampleDb], { stdio: 'ignore' });
  const config = path.join(ROOT, 'server/madoguchi.yaml');
  const check = await runToExit(['--config', config, '--check']);
  assert.equal(check.code, 0, check.out);

  const s = await startServer({ config, db: sampleDb });
  try {
    const bots = await get(`${s.url}/v1/bots`);
    assert.equal(bots.status, 200);
    const ids = bots.json.bots.map((b) => b.id);
    assert.ok(ids.includes('resident'), ids.join());
    assert.ok(!ids.includes('staff'), 'the internal helpdesk is not listed');
    const resident = bots.json.bots.find((b) => b.id === 'resident');
    assert.notEqual(resident.name, 'resident', 'display name from the config');
    assert.ok(resident.suggestions.length > 0);
    // every suggested question gets an answer or candidates
    for (const q of resident.suggestions) {
      const r = await chat(s, 'resident', { message: q });
      assert.equal(r.status, 200, q);
      assert.ok(['answer', 'candidates'].includes(r.json.reply.type), `${q}: ${r.json.reply.type}`);
    }
    // the general counter comes from kb/sample/counter.yaml
    const f = await chat(s, 'resident', { message: 'ドラゴン退治' });
    assert.equal(f.json.reply.type, 'fallback');
    assert.ok(f.json.reply.departments.length >= 5);
    for (const d of f.json.reply.departments) {
      assert.ok(d.name && d.phone && d.hours, JSON.stringify(d));
    }
    // the staff helpdesk is internal
    const staff = await chat(s, 'staff', { message: 'パスワードを忘れてしまいました' });
    assert.equal(staff.status, 401);
    const key = createKey(sampleDb, 'staff');
    const ok = await chat(s, 'staff', { message: 'パスワードを忘れてしまいました' },
      { Authorization: `Bearer ${key}` });
    assert.equal(ok.status, 200);
    assert.ok(['answer', 'candidates'].includes(ok.json.reply.type));
  } finally {
    await stopClean(s);
  }
});


test('a knowledge base indexed by an older word analysis is reported for re-import', async () => {
  const d = tempDir();
  const old = buildDb(d);
  // As a file written before the revision was recorded reads.
  sql(old, "UPDATE versions SET analyzer = 0 WHERE id = (SELECT active_version FROM bots WHERE name = 'staff')");
  const listing = cli(['bots', '--db', old]);
  assert.match(listing, /^staff\t.*re-import advised: indexed by word analysis revision 0/m);
  assert.doesNotMatch(listing.split('\n').find((l) => l.startsWith('resident')), /re-import/);
  const server = await startServer({ db: old });
  try {
    assert.match(server.log(), /bot staff: its knowledge base was indexed by an older word analysis \(revision 0, now \d+\); re-import it/);
    assert.doesNotMatch(server.log(), /bot resident: its knowledge base was indexed/);
  } finally {
    await stopClean(server);
  }
});
