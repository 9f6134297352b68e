// flows.test.mjs — decision trees over real HTTP with the sample data:
// the 指定難病 example word for word (click and typed), every flow of every
// sample bot walked to every leaf by following only the offered options,
// all five urgency levels, red flags (at the start, in a flow, in the
// staff bot), handoff summaries, back/restart/quit, invalid choices,
// validation errors of `madoguchi flows import`, a broken import keeping
// the old flows and a new import served without a restart.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, ROOT, chat, cli, createKey, startServer, stopClean, tempDir, writeConfig } from './lib.mjs';

const SAMPLE = path.join(ROOT, 'kb/sample');
let srv;
let dir;
let db;
let staffKey;

before(async () => {
  dir = tempDir('mdg-flows-');
  db = path.join(dir, 'sample.db');
  execFileSync(path.join(ROOT, 'tools/make-sample.sh'), [BIN, db], { stdio: 'ignore' });
  staffKey = createKey(db, 'staff');
  const config = writeConfig(dir, `
database: ${db}
limits:
  rate: 0
`);
  srv = await startServer({ config });
});

after(async () => {
  if (srv) await stopClean(srv);
});

function flowsCli(args) {
  const r = spawnSync(BIN, ['flows', ...args], { encoding: 'utf8', timeout: 120000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// One turn; asserts 200 and returns { reply, state }.
async function turn(bot, body, headers = {}) {
  const r = await chat(srv, bot, body, headers);
  assert.equal(r.status, 200, `${bot} ${JSON.stringify(body).slice(0, 200)} → ${r.text}`);
  return r.json;
}

const ids = (reply) => reply.options.map((o) => o.id);
const labels = (reply) => reply.options.map((o) => o.label);
const option = (reply, label) => {
  const o = reply.options.find((x) => x.label === label);
  assert.ok(o, `option ${label} offered (have ${labels(reply).join(', ')})`);
  return o.id;
};

// ---------------------------------------------------------------- the example

describe('指定難病: the published example', () => {
  const ASK = '指定難病医療給付申請にはどのような書類が必要か';

  test('asks 「新規ですか、継続ですか」 with 新規 / 継続', async () => {
    const { reply } = await turn('resident', { message: ASK });
    assert.equal(reply.type, 'flow');
    assert.equal(reply.text, '新規ですか、継続ですか');
    assert.deepEqual(labels(reply).slice(0, 2), ['新規', '継続']);
    assert.equal(reply.flow.id, 'nanbyo-shinsei');
    assert.equal(reply.qa_id, 'R-NAN-01');
    for (const o of reply.options) {
      assert.equal(typeof o.id, 'string');
      assert.equal(typeof o.label, 'string');
    }
  });

  async function checkKeizoku(reply) {
    assert.equal(reply.type, 'answer');
    assert.match(reply.title, /継続/);
    assert.match(reply.text, /継続/);
    assert.match(reply.text, /臨床調査個人票/);
    assert.match(reply.text, /受給者証/);
    assert.ok(reply.links.some((l) => /申請書/.test(l.label) && /^https:\/\//.test(l.url)),
      'a link to the form');
    assert.ok(reply.links.some((l) => /概要/.test(l.label) && /^https:\/\//.test(l.url)),
      'a link to the subsidy overview');
    assert.match(reply.contact, /疾病対策課/);
  }

  test('clicking 継続 → the documents for a continuing application', async () => {
    const first = await turn('resident', { message: ASK });
    const { reply } = await turn('resident', {
      choice: option(first.reply, '継続'), state: first.state,
    });
    await checkKeizoku(reply);
  });

  test('typing 「継続です」 → the same answer', async () => {
    const first = await turn('resident', { message: ASK });
    const { reply } = await turn('resident', { message: '継続です', state: first.state });
    await checkKeizoku(reply);
  });

  test('typing 「初めての申請です」 → the new application', async () => {
    const first = await turn('resident', { message: ASK });
    const { reply } = await turn('resident', { message: '初めての申請です', state: first.state });
    assert.equal(reply.type, 'answer');
    assert.match(reply.title, /新規/);
  });
});

// ---------------------------------------------------------------- the walker

// Flow ids and leaves (flow, node) as `flows print` lists them.
function printed(bot) {
  const r = flowsCli(['print', '--db', db, '--bot', bot]);
  assert.equal(r.code, 0, r.err);
  const rows = r.out.trim().split('\n').slice(1).map((l) => l.split('\t'));
  return {
    flows: new Set(rows.map((c) => c[0])),
    leaves: new Set(rows.filter((c) => c[4] !== '').map((c) => `${c[0]}/${c[4]}`)),
    rows,
  };
}

// Entry messages: the question of every Q&A that links a flow (as the
// exported spreadsheet has it), plus the trigger-started consultation.
function entries(bot) {
  const out = path.join(dir, `${bot}-export.tsv`);
  cli(['export', '--db', db, '--bot', bot, out]);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  const head = lines[0].split('\t');
  const q = head.indexOf('question');
  const f = head.indexOf('flow');
  return lines.slice(1).map((l) => l.split('\t')).filter((c) => c[f]).map((c) => c[q]);
}

// Follows only the offered options of kind "next" from a reply, breadth
// first; every leaf must be an answer or a triage result of level 1-5.
async function walk(bot, start, headers, seen) {
  const queue = [start];
  let requests = 0;
  while (queue.length) {
    const { reply, state } = queue.shift();
    seen.flows.add(reply.flow?.id);
    if (reply.type === 'flow') {
      assert.ok(reply.options.length > 0, 'a question offers options');
      for (const o of reply.options.filter((x) => x.kind === 'next')) {
        requests++;
        queue.push(await turn(bot, { choice: o.id, state }, headers));
      }
      continue;
    }
    if (reply.type === 'answer') {
      assert.ok(reply.text.length > 0, 'answer leaf has text');
    } else {
      assert.equal(reply.type, 'triage_result', `leaf type ${reply.type}`);
      assert.ok(Number.isInteger(reply.urgency.level) && reply.urgency.level >= 1
        && reply.urgency.level <= 5, `level ${reply.urgency.level}`);
      assert.ok(reply.urgency.label && reply.urgency.color, 'level label and color');
      assert.ok(reply.care.text.length > 0, 'how to find an open medical institution');
      if (reply.urgency.level >= 4) assert.ok(reply.advice, 'home-care advice at levels 4-5');
      seen.levels.add(reply.urgency.level);
    }
    seen.leaves.add(`${reply.flow.id}/${reply.flow.node}`);
    seen.paths++;
  }
  return requests;
}

for (const [bot, triggers] of [
  ['resident', ['救急相談をしたい']],
  ['staff', []],
  ['kyukyu', ['救急相談をしたい']],
]) {
  test(`every flow of bot ${bot} walked to every leaf through the offered options`, async () => {
    const headers = bot === 'staff' ? { Authorization: `Bearer ${staffKey}` } : {};
    const want = printed(bot);
    const seen = { flows: new Set(), leaves: new Set(), levels: new Set(), paths: 0 };
    for (const message of [...entries(bot), ...triggers]) {
      const first = await turn(bot, { message }, headers);
      assert.equal(first.reply.type, 'flow', `「${message}」 starts a flow`);
      await walk(bot, first, headers, seen);
    }
    for (const f of want.flows) assert.ok(seen.flows.has(f), `flow ${f} reached`);
    assert.deepEqual([...want.leaves].filter((l) => !seen.leaves.has(l)), [],
      'every leaf reached');
    assert.ok(seen.paths >= want.leaves.size);
    if (bot === 'kyukyu') {
      assert.deepEqual([...seen.levels].sort(), [1, 2, 3, 4, 5], 'all five levels reached');
    }
  });
}

test('the consultation covers at least 12 symptoms and every level in the review table', () => {
  const { rows } = printed('kyukyu');
  const symptoms = rows.filter((c) => c[0] === 'kyukyu' && c[3].startsWith('→'));
  assert.ok(symptoms.length >= 12, `${symptoms.length} symptoms`);
  for (let lv = 1; lv <= 5; lv++) {
    assert.ok(rows.some((c) => c[3].startsWith(`緊急度${lv}`)), `level ${lv} in the table`);
  }
  // symptom → answers → level, e.g. 発熱 → 年齢: 16〜64歳 → ... → 緊急度3
  assert.ok(rows.some((c) => c[0] === 'hatsunetsu' && /年齢: 16〜64歳/.test(c[2])
    && /^緊急度3（黄）/.test(c[3])));
});

// ---------------------------------------------------------------- triage, handoff

async function fever39(bot = 'kyukyu') {
  let t = await turn(bot, { message: '救急相談をしたい' });
  t = await turn(bot, { choice: option(t.reply, '発熱（16歳以上）'), state: t.state });
  t = await turn(bot, { choice: option(t.reply, 'ない'), state: t.state });
  t = await turn(bot, { choice: option(t.reply, '16〜64歳'), state: t.state });
  t = await turn(bot, { choice: option(t.reply, 'ない'), state: t.state });
  t = await turn(bot, { choice: option(t.reply, '3日以内'), state: t.state });
  return turn(bot, { choice: option(t.reply, '39度以上'), state: t.state });
}

test('a triage result carries urgency {level, label, color} and where to find care', async () => {
  const { reply } = await fever39();
  assert.equal(reply.type, 'triage_result');
  assert.equal(reply.urgency.level, 3);
  assert.equal(reply.urgency.color, 'yellow');
  assert.equal(reply.urgency.color_name, '黄');
  assert.equal(reply.urgency.label, '数時間以内（6〜8時間を目安）に受診しましょう');
  assert.match(reply.care.text, /救急医療情報ネット/);
  assert.ok(reply.care.links.length > 0);
  assert.ok(ids(reply).includes('handoff'), 'result offers 相談員と話す');
});

test('handoff: phone numbers and a summary of symptom, answers and level', async () => {
  const t = await fever39();
  const handoff = t.reply.options.find((o) => o.kind === 'handoff');
  assert.match(handoff.label, /相談員と話す/);
  assert.match(handoff.label, /#7119/);
  const { reply, state } = await turn('kyukyu', { choice: handoff.id, state: t.state });
  assert.equal(reply.type, 'handoff');
  assert.ok(reply.phones.some((p) => p.number === '#7119'));
  assert.match(reply.summary, /症状: 発熱/);
  assert.match(reply.summary, /年齢 → 16〜64歳/);
  assert.match(reply.summary, /体温 → 39度以上/);
  assert.match(reply.summary, /緊急度3（黄）/);
  assert.deepEqual(reply.answers.at(-1), { question: '体温', answer: '39度以上' });
  assert.equal(reply.urgency.level, 3);
  // resume goes back to the result
  const back = await turn('kyukyu', { choice: 'resume', state });
  assert.equal(back.reply.type, 'triage_result');
});

test('handoff in the middle: offered at every node, typed too, no level yet', async () => {
  let t = await turn('kyukyu', { message: '救急相談をしたい' });
  assert.ok(ids(t.reply).includes('handoff'));
  t = await turn('kyukyu', { choice: option(t.reply, '頭痛'), state: t.state });
  assert.ok(ids(t.reply).includes('handoff'));
  const { reply } = await turn('kyukyu', { message: '相談員と話したい', state: t.state });
  assert.equal(reply.type, 'handoff');
  assert.match(reply.summary, /症状: 頭痛/);
  assert.match(reply.summary, /相談の症状 → 頭痛/);
  assert.equal(reply.urgency, undefined);
});

test('symptoms typed in free text are proposed as symptom entries', async () => {
  const { reply } = await turn('kyukyu', { message: 'お腹が痛くて吐き気もある' });
  assert.ok(['candidates', 'flow'].includes(reply.type), reply.type);
  if (reply.type === 'candidates') {
    assert.ok(reply.candidates.some((c) => /腹痛|吐き気/.test(c.question)));
  }
});

// ---------------------------------------------------------------- red flags

test('red flag at the start: emergency, level 1, 119, before anything else', async () => {
  const { reply } = await turn('resident', { message: '父が倒れて意識がないです' });
  assert.equal(reply.type, 'emergency');
  assert.equal(reply.urgency.level, 1);
  assert.equal(reply.urgency.color, 'red');
  assert.match(reply.text, /119/);
  assert.ok(reply.phones.some((p) => p.number === '119'));
  assert.deepEqual(reply.flags.map((f) => f.id), ['ishiki']);
});

test('red flag in the middle of a flow; the flow can be resumed', async () => {
  const first = await turn('resident', { message: '指定難病医療給付申請にはどのような書類が必要か' });
  const e = await turn('resident', { message: '母が息をしていない', state: first.state });
  assert.equal(e.reply.type, 'emergency');
  assert.ok(ids(e.reply).includes('resume'));
  const back = await turn('resident', { choice: 'resume', state: e.state });
  assert.equal(back.reply.type, 'flow');
  assert.equal(back.reply.text, '新規ですか、継続ですか');
});

test('red flag in the consultation and in the staff bot', async () => {
  const t = await turn('kyukyu', { message: '救急相談をしたい' });
  const e = await turn('kyukyu', { message: '胸が締め付けられるように痛い', state: t.state });
  assert.equal(e.reply.type, 'emergency');
  const s = await turn('staff', { message: '同僚が倒れて呼びかけに反応しない' },
    { Authorization: `Bearer ${staffKey}` });
  assert.equal(s.reply.type, 'emergency');
  assert.deepEqual(s.reply.flags.map((f) => f.id), ['ishiki']);
});

test('negated or harmless messages are not red flags', async () => {
  for (const message of ['意識はあります。熱が38度あります', '胸が締め付けられることはない']) {
    const { reply } = await turn('kyukyu', { message });
    assert.notEqual(reply.type, 'emergency', message);
  }
  const s = await turn('staff', { message: 'パソコンの反応がない' },
    { Authorization: `Bearer ${staffKey}` });
  assert.notEqual(s.reply.type, 'emergency');
});

// ---------------------------------------------------------------- navigation

test('back, restart and quit (clicked and typed)', async () => {
  const first = await turn('resident', { message: 'パスポートの新規申請や切替申請、なくしたときの手続きについて教えてください。' });
  assert.equal(first.reply.flow.id, 'passport');
  assert.ok(!ids(first.reply).includes('back'), 'no back at the start');
  const a = await turn('resident', { choice: option(first.reply, '新規'), state: first.state });
  assert.match(a.reply.text, /18歳以上/);
  const b = await turn('resident', { choice: option(a.reply, '18歳以上'), state: a.state });
  assert.equal(b.reply.type, 'answer');
  const back = await turn('resident', { choice: 'back', state: b.state });
  assert.equal(back.reply.text, a.reply.text);
  const typedBack = await turn('resident', { message: '戻る', state: b.state });
  assert.equal(typedBack.reply.text, a.reply.text);
  const restart = await turn('resident', { choice: 'restart', state: b.state });
  assert.equal(restart.reply.text, first.reply.text);
  const typedRestart = await turn('resident', { message: '最初から', state: b.state });
  assert.equal(typedRestart.reply.text, first.reply.text);
  const quit = await turn('resident', { message: 'やめる', state: a.state });
  assert.equal(quit.reply.type, 'flow_end');
  // after quitting, a flow choice is no longer valid
  const r = await chat(srv, 'resident', { choice: option(a.reply, '18歳以上'), state: quit.state });
  assert.equal(r.status, 400);
});

test('a choice not offered at the current node → 400', async () => {
  const first = await turn('resident', { message: '指定難病医療給付申請にはどのような書類が必要か' });
  for (const choice of ['bogus', 'back', 'adult', 'handoff']) {
    const r = await chat(srv, 'resident', { choice, state: first.state });
    assert.equal(r.status, 400, choice);
    assert.equal(r.json.error.code, 'invalid_choice');
  }
  const k = await turn('resident', { choice: option(first.reply, '継続'), state: first.state });
  const r = await chat(srv, 'resident', { choice: option(first.reply, '新規'), state: k.state });
  assert.equal(r.status, 400, 'an option of an earlier node');
});

test('text a flow does not expect goes to the FAQ; with no answer the question is asked again', async () => {
  const first = await turn('resident', { message: '指定難病医療給付申請にはどのような書類が必要か' });
  const faq = await turn('resident', { message: '県立美術館の開館時間と休館日を教えてください。', state: first.state });
  assert.equal(faq.reply.type, 'answer');
  assert.equal(faq.reply.flow, undefined, 'left the flow');
  const again = await turn('resident', { message: 'ほげほげ', state: first.state });
  assert.equal(again.reply.type, 'flow');
  assert.match(again.reply.text, /新規ですか、継続ですか$/);
});

test('the position lives in the signed state', async () => {
  const first = await turn('resident', { message: '指定難病医療給付申請にはどのような書類が必要か' });
  const [payload, mac] = first.state.split('.');
  const json = JSON.parse(Buffer.from(payload, 'base64url').toString());
  assert.equal(json.x.f, 'nanbyo-shinsei');
  json.x.f = 'nanbyo-shinsei/keizoku';
  const forged = `${Buffer.from(JSON.stringify(json)).toString('base64url')}.${mac}`;
  const r = await chat(srv, 'resident', { choice: 'back', state: forged });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.code, 'invalid_state');
});

// ---------------------------------------------------------------- imports

function flowFile(name, text) {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const Q = (extra = '') => `flows:
  - id: nanbyo-shinsei
    title: t
    nodes:
      - id: q
        text: q?
        options:
          - {id: a, label: A, next: e}
${extra}      - id: e
        answer: {text: ok}
`;

describe('invalid flow files are rejected with file, line, node and message', () => {
  const cases = [
    ['unknown next', Q('          - {id: b, label: B, next: nowhere}\n'),
      /bad\.yaml:9: flow 'nanbyo-shinsei' node 'q': unknown next 'nowhere'/],
    ['unreachable node', `${Q()}      - id: orphan\n        answer: {text: x}\n`,
      /bad\.yaml:11: .*node 'orphan': unreachable node/],
    ['cycle without an exit', `flows:
  - id: nanbyo-shinsei
    title: t
    nodes:
      - id: q
        text: q?
        options:
          - {id: a, label: A, next: loop}
          - {id: b, label: B, next: e}
      - id: e
        answer: {text: ok}
      - id: loop
        text: again?
        options:
          - {id: a, label: A, next: loop}
`, /bad\.yaml:12: .*node 'loop': cycle without an exit/],
    ['option ids not unique', Q('          - {id: a, label: B, next: e}\n'),
      /bad\.yaml:9: .*node 'q': option ids not unique/],
    ['triage leaf without a level', `care_info: {text: x}
flows:
  - id: nanbyo-shinsei
    title: t
    nodes:
      - id: t
        triage: {text: no level}
`, /bad\.yaml:7: .*node 't': triage leaf without a level/],
    ['text over caps', Q(`          - {id: b, label: ${'長'.repeat(41)}, next: e}\n`),
      /bad\.yaml:9: .*node 'q': 'label' is 41 characters long, over the cap of 40/],
  ];
  for (const [name, yaml, re] of cases) {
    test(name, () => {
      const r = flowsCli(['import', '--db', db, '--bot', 'resident', flowFile('bad.yaml', yaml)]);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, re);
      assert.match(r.err, /were not changed/);
    });
  }

  test('every problem of a file listed at once', () => {
    const yaml = `care_info: {text: x}
flows:
  - id: nanbyo-shinsei
    title: t
    nodes:
      - id: q
        text: q?
        options:
          - {id: a, label: A, next: x1}
          - {id: a, label: B, next: t}
      - id: t
        triage: {}
`;
    const r = flowsCli(['import', '--db', db, '--bot', 'resident', flowFile('multi.yaml', yaml)]);
    assert.equal(r.code, 1);
    assert.match(r.err, /unknown next 'x1'/);
    assert.match(r.err, /option ids not unique/);
    assert.match(r.err, /triage leaf without a level/);
    assert.match(r.err, /3 problem\(s\)/);
  });

  test('usage errors exit 2', () => {
    assert.equal(flowsCli(['import', '--db', db]).code, 2);
    assert.equal(flowsCli(['frobnicate']).code, 2);
  });
});

test('a broken import keeps the old flows; a new valid one is served without restart', async () => {
  const ASK = '指定難病医療給付申請にはどのような書類が必要か';
  const broken = flowsCli(['import', '--db', db, '--bot', 'resident',
    flowFile('broken.yaml', Q('          - {id: b, label: B, next: nowhere}\n'))]);
  assert.equal(broken.code, 1);
  let { reply } = await turn('resident', { message: ASK });
  assert.equal(reply.text, '新規ですか、継続ですか', 'old flows still served');

  // A conversation in progress when the content changes.
  const before = await turn('resident', { message: ASK });

  const original = readFileSync(path.join(SAMPLE, 'flows-resident.yaml'), 'utf8');
  const edited = original.replace('text: 新規ですか、継続ですか', 'text: 新規の申請ですか、継続の申請ですか');
  assert.notEqual(edited, original);
  const ok = flowsCli(['import', '--db', db, '--bot', 'resident',
    flowFile('flows-resident.yaml', edited)]);
  assert.equal(ok.code, 0, ok.err);
  ({ reply } = await turn('resident', { message: ASK }));
  assert.equal(reply.text, '新規の申請ですか、継続の申請ですか', 'new flows served at once');
  // The earlier conversation continues (its choices still exist).
  const cont = await turn('resident', { choice: 'keizoku', state: before.state });
  assert.equal(cont.reply.type, 'answer');

  // Rollback restores the previous set, also without restart.
  assert.equal(flowsCli(['rollback', '--db', db, '--bot', 'resident']).code, 0);
  ({ reply } = await turn('resident', { message: ASK }));
  assert.equal(reply.text, '新規ですか、継続ですか');
});

test('the resident bot includes the consultation: a kyukyu import reaches it, a breaking one is refused', async () => {
  const kyukyu = readFileSync(path.join(SAMPLE, 'flows-kyukyu.yaml'), 'utf8');
  const edited = kyukyu.replace(
    'text: 救急相談を始めます。いちばん気になる症状を選ぶか、症状を入力してください。',
    'text: 救急相談です。いちばん気になる症状を選ぶか、症状を入力してください。');
  assert.notEqual(edited, kyukyu);
  const ok = flowsCli(['import', '--db', db, '--bot', 'kyukyu', flowFile('flows-kyukyu.yaml', edited)]);
  assert.equal(ok.code, 0, ok.err);
  const { reply } = await turn('resident', { message: '救急相談をしたい' });
  assert.equal(reply.flow.id, 'kyukyu');
  assert.match(reply.text, /^救急相談です。/, 'resident serves kyukyu\'s new flows');

  // A kyukyu flow id that the resident bot already uses would break it.
  const clash = `${edited}  - {id: passport, title: x, nodes: [{id: e, triage: {level: 5, advice: x}}]}\n`;
  const bad = flowsCli(['import', '--db', db, '--bot', 'kyukyu', flowFile('flows-kyukyu.yaml', clash)]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /in bot 'resident', which includes these flows: flow id 'passport' is already used/);

  assert.equal(flowsCli(['rollback', '--db', db, '--bot', 'kyukyu']).code, 0);
  const back = await turn('resident', { message: '救急相談をしたい' });
  assert.match(back.reply.text, /^救急相談を始めます。/);
});
