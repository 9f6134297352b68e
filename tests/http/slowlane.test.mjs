// slowlane.test.mjs — an admin import runs on the background lane, not on
// an HTTP worker: with a single worker thread, residents' chats are still
// answered while a large import is being indexed, and the import's own
// reply arrives intact afterwards.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { buildDb, chat, cli, sleep, startServer, stopClean, tempDir, writeConfig } from './lib.mjs';

const ROWS = 10000;
let srv, db, tok;

// A large spreadsheet: distinct, realistic rows (MeCab has real work).
function bigSheet() {
  const topics = ['自動車税', 'パスポート', '図書館', '介護保険', '児童手当', '県営住宅',
    '防災メール', '産業廃棄物', '建設業許可', '狩猟免許'];
  const lines = ['id\tquestion\tanswer\tcategory'];
  for (let i = 0; i < ROWS; i++) {
    const t = topics[i % topics.length];
    lines.push(`BIG-${i}\t${t}の手続き（第${i}号の${i % 7}）について教えてください。\t` +
      `${t}の第${i}号の手続きは、担当課の窓口または電子申請で受け付けています。必要な書類は申請書と本人確認書類です。\t${t}`);
  }
  return lines.join('\n') + '\n';
}

before(async () => {
  const dir = tempDir('mdg-lane-');
  db = buildDb(dir);
  tok = cli(['token', 'create', '--db', db, '--bot', 'resident', '--label', 'lane']).trim();
  const config = writeConfig(dir, `
database: ${db}
threads: 1
limits:
  rate: 0
admin:
  max_upload: 8388608
`);
  srv = await startServer({ config });
});

after(async () => {
  if (srv) await stopClean(srv);
});

test('chats are answered while an import runs (one worker thread)', async () => {
  // The bot must exist for an admin import: create it with one row first.
  let r = await fetch(`${srv.url}/v1/admin/bots/resident/import?dry_run=1`, {
    method: 'POST', headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'text/tab-separated-values' },
    body: 'id\tquestion\tanswer\nX-1\t質問\t回答\n',
  });
  assert.equal(r.status, 200);
  let importDone = 0;
  const started = Date.now();
  const imp = fetch(`${srv.url}/v1/admin/bots/resident/import`, {
    method: 'POST', headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'text/tab-separated-values' },
    body: bigSheet(),
  }).then(async (res) => { importDone = Date.now(); return { status: res.status, json: await res.json() }; });
  await sleep(250); // the upload is in; the import is indexing
  const answeredAt = [];
  for (let i = 0; i < 5 && !importDone; i++) {
    const c = await chat(srv, 'resident', { message: '図書館の開館時間を知りたい' });
    assert.equal(c.status, 200);
    assert.ok(c.json.reply.text.length > 0);
    answeredAt.push(Date.now());
  }
  const res = await imp;
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.rows, ROWS);
  assert.ok(importDone - started > 600, `the import is long enough to test anything (${importDone - started} ms)`);
  assert.ok(answeredAt.length >= 1 && answeredAt[0] < importDone,
    'a chat sent during the import was answered before the import finished');
  // The new version is live for the next chats.
  const c = await chat(srv, 'resident', { message: '狩猟免許の第12号の手続き' });
  assert.equal(c.status, 200);
  assert.match(JSON.stringify(c.json.reply), /BIG-/);
});
