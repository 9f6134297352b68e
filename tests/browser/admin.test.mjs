// admin.test.mjs — the knowledge editors' page (/admin/) in headless
// Chromium against the real server: log in with an admin token, dry-run
// an upload with an error (row, column and message shown, nothing
// changed), fix it and upload, see the new Q&A answered in the widget,
// see the unanswered list (hostile text shown as text), statistics with
// SVG charts, downloads, rollback, logout. Screenshots go to
// build/screenshots/admin-*.png.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { FIXTURES, buildDb, chat, writeConfig } from '../http/lib.mjs';
import { ask, cli, launch, openPage, shot, startServer, stopClean, tempDir, waitBot, widget } from './lib.mjs';

let browser, srv, db, token, otherToken;

// The fixture knowledge base as an editor's CSV, with Japanese headers.
const BASE = ['ID,質問,回答,言い換え,カテゴリ,担当課,問合せ先,参考URL,キーワード,フロー',
  ...readFileSync(path.join(FIXTURES, 'resident.tsv'), 'utf8').trim().split('\n').slice(1)
    .map((l) => l.split('\t').map((c) => (/[",]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(','))];
const NEW_Q = 'ドローンの飛行許可はどこに申請しますか。';
const NEW_A = 'ドローンの飛行許可は国土交通省に申請します。県の窓口では受け付けていません。';
const csv = (answer) => Buffer.from([...BASE, `DRN-01,${NEW_Q},${answer},ドローンを飛ばしたい,ドローン,,,,,`].join('\r\n') + '\r\n');

before(async () => {
  const dir = tempDir('mdg-admin-browser-');
  db = buildDb(dir);
  token = cli(['token', 'create', '--db', db, '--bot', 'resident', '--label', 'ブラウザ試験']).trim();
  otherToken = cli(['token', 'create', '--db', db, '--bot', 'staff']).trim();
  const config = writeConfig(dir, `
database: ${db}
limits:
  rate: 0
bots:
  resident:
    name: テスト県 くらしの窓口
`);
  srv = await startServer({ config });
  // Residents asked what the knowledge base cannot answer yet.
  for (const m of ['ドローンの飛行許可を取りたい', 'ドローンの飛行許可を取りたい', 'ドローンを飛ばす許可が欲しい',
    '<img src=x onerror=alert(1)>ペットの火葬', 'ペットの火葬はどこに頼めますか']) {
    const r = await chat(srv, 'resident', { message: m });
    assert.equal(r.status, 200);
    assert.notEqual(r.json.reply.type, 'answer', m);
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (srv) await stopClean(srv);
});

// No script errors or CSP violations, no request to another host. The
// browser logs the answers a test provokes on purpose (401 for a wrong
// token, 422 for a file with problems); nothing else may appear.
async function clean(p, expected = []) {
  assert.deepEqual(p.foreign().filter((u) => !u.startsWith('blob:')), [], 'requests to other hosts');
  const provoked = (e) => expected.some((s) => e === `console: Failed to load resource: the server responded with a status of ${s}`);
  assert.deepEqual(p.errors.filter((e) => !provoked(e)), [], 'console/page errors');
  await p.context.close();
}

async function login(page, tok) {
  await page.getByLabel('管理用トークン').fill(tok);
  await page.getByRole('button', { name: 'ログイン' }).click();
}

test('log in, dry-run an upload with an error, fix and upload, the widget answers the new Q&A, the unanswered list', async () => {
  const p = await openPage(browser, srv);
  const { page } = p;
  const res = await page.goto(`${srv.url}/admin/`);
  assert.match(res.headers()['content-security-policy'], /script-src 'self'/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
  await page.getByRole('heading', { name: 'ログイン' }).waitFor();
  await shot(page, 'admin-01-login');

  // A wrong token, then a token for another bot's editors... then ours.
  await login(page, 'mdg_wrong');
  await page.getByRole('alert').filter({ hasText: 'トークンが正しくありません' }).waitFor();
  await login(page, token);
  await page.getByRole('heading', { name: 'Q&Aの更新' }).waitFor();
  assert.match(await page.locator('#bot-info').innerText(), /Q&A 10件/);
  assert.equal(await page.getByLabel('管理用トークン').isVisible(), false);

  // 1. An upload with an error: shown with row and column, nothing applied.
  const file = page.getByLabel('取り込むファイル');
  await file.setInputFiles({ name: 'faq.csv', mimeType: 'text/csv', buffer: csv('') });
  await page.getByRole('button', { name: '内容を確認（まだ反映しません）' }).click();
  const problems = page.locator('#preview table');
  await problems.waitFor();
  const row = problems.locator('tbody tr');
  assert.equal(await row.count(), 1);
  assert.deepEqual(await row.first().locator('td').allInnerTexts(),
    ['12行目', '回答', '必須の項目が空です。\nrequired cell is empty']);
  assert.equal(await page.getByRole('button', { name: 'この内容で反映する' }).isVisible(), false);
  await shot(page, 'admin-02-dry-run-error');

  // A sheet as published: a title above the header, an HTML answer, a
  // question asked twice. It can be imported; the preview says what it read.
  const published = Buffer.from(['よくある質問一覧（テスト県）', ...BASE,
    `DRN-01,${NEW_Q},"<p>${NEW_A}</p>",,,,,,,`, `DRN-02,${NEW_Q},別の回答です。,,,,,,,`].join('\r\n') + '\r\n');
  await file.setInputFiles({ name: 'faq.csv', mimeType: 'text/csv', buffer: published });
  await page.getByRole('button', { name: '内容を確認（まだ反映しません）' }).click();
  await page.locator('#preview').getByText('問題はありません').waitFor();
  const notes = await page.locator('#preview').innerText();
  assert.match(notes, /見出しは2行目として読みました/);
  assert.match(notes, /HTMLのタグを含むセルが1件/);
  assert.match(notes, /1件の注意/);
  assert.deepEqual(await page.locator('#preview table tbody tr').first().locator('td').allInnerTexts(),
    ['14行目', '質問', '同じ質問が13行目にもあります。チャットではどちらか一方しか見つかりません（1つにまとめるか、言い回しを変えてください）。' +
      '\nthe same question as row 13: a message finds only one of them (merge the two or reword one)']);
  await shot(page, 'admin-02b-dry-run-notes');

  // 2. Fixed: the preview lists the change, then it is applied.
  await file.setInputFiles({ name: 'faq.csv', mimeType: 'text/csv', buffer: csv(NEW_A) });
  await page.getByRole('button', { name: '内容を確認（まだ反映しません）' }).click();
  await page.locator('#preview').getByText('問題はありません').waitFor();
  assert.match(await page.locator('#preview').innerText(), /追加 1件/);
  assert.match(await page.locator('#bot-info').innerText(), /Q&A 10件/, 'the dry run changed nothing');
  await shot(page, 'admin-03-dry-run-ok');
  await page.getByRole('button', { name: 'この内容で反映する' }).click();
  await page.locator('#preview').getByText('反映しました').waitFor();
  await page.locator('#bot-info').filter({ hasText: 'Q&A 11件' }).waitFor();
  await shot(page, 'admin-04-applied');

  // 3. The widget answers the new Q&A right away.
  const w2 = await openPage(browser, srv);
  await w2.page.goto(`${srv.url}/`);
  const w = widget(w2.page);
  await w.getByRole('button', { name: 'AIに質問する' }).click();
  await waitBot(w, 0);
  const a = await ask(w, 'ドローンの飛行許可の申請先を知りたい');
  assert.match(await a.innerText(), /国土交通省に申請します/);
  await shot(w2.page, 'admin-05-widget-answers');
  await clean(w2);

  // 4. The unanswered list: grouped, counted, hostile text shown as text.
  await page.getByRole('tab', { name: '答えられなかった質問' }).click();
  const table = page.locator('#u-table tbody');
  await table.locator('tr').first().waitFor();
  await page.locator('#u-summary').filter({ hasText: '5件' }).waitFor();
  const first = await table.locator('tr').first().locator('td').allInnerTexts();
  assert.equal(first[0], '3');
  assert.equal(first[1], 'ドローンの飛行許可を取りたい');
  assert.match(first[2], /ドローンを飛ばす許可が欲しい/);
  assert.match(await table.innerText(), /<img src=x onerror=alert\(1\)>ペットの火葬/);
  assert.equal(await page.locator('#u-table img').count(), 0, 'no markup from the log is rendered');
  await shot(page, 'admin-06-unanswered');

  // The list as a spreadsheet to fill in.
  const dl = page.waitForEvent('download');
  await page.getByRole('button', { name: '一覧をダウンロード（CSV）' }).click();
  const d = await dl;
  assert.match(d.suggestedFilename(), /^resident-unanswered-\d{4}-\d\d-\d\d\.csv$/);
  const text = readFileSync(await d.path(), 'utf8');
  assert.match(text, /^\ufeffID,質問,回答,言い換え/);
  assert.match(text, /ドローンの飛行許可を取りたい/);

  // 5. Statistics with charts drawn by the page.
  await page.getByRole('tab', { name: '利用状況' }).click();
  await page.locator('#c-volume svg.chart-svg').waitFor();
  assert.equal(await page.locator('svg.chart-svg').count(), 2);
  assert.ok(await page.locator('#c-volume rect.c-fallback, #c-volume rect.c-candidates').count() >= 1, 'bars for today');
  assert.ok(await page.locator('#c-share circle.point').count() >= 1, 'a point for today');
  assert.match(await page.locator('#s-cards').innerText(), /質問\s*6件/);
  await shot(page, 'admin-07-stats');

  // 6. Downloads of the knowledge base and the template.
  await page.getByRole('tab', { name: 'Q&Aの更新' }).click();
  const dl2 = page.waitForEvent('download');
  await page.getByRole('button', { name: '今のQ&A（CSV）' }).click();
  const exp = await dl2;
  assert.match(exp.suggestedFilename(), /^resident-qa-.*\.csv$/);
  assert.match(readFileSync(await exp.path(), 'utf8'), /DRN-01/);
  const dl3 = page.waitForEvent('download');
  await page.getByRole('button', { name: '空のひな形（Excel）' }).click();
  assert.match((await dl3).suggestedFilename(), /^template-.*\.xlsx$/);

  // 7. Roll back (confirmed in a dialog): the new Q&A is gone again.
  page.removeAllListeners('dialog');
  page.once('dialog', (dlg) => dlg.accept());
  await page.getByRole('button', { name: 'ひとつ前の版に戻す' }).click();
  await page.locator('#rollback-result').filter({ hasText: '戻しました' }).waitFor();
  await page.locator('#bot-info').filter({ hasText: 'Q&A 10件' }).waitFor();
  const after_ = await chat(srv, 'resident', { message: 'ドローンの飛行許可の申請先を知りたい' });
  assert.notEqual(after_.json.reply.qa_id, 'DRN-01');

  // 8. The token survives a reload of the tab; logging out forgets it.
  await page.reload();
  await page.getByRole('heading', { name: 'Q&Aの更新' }).waitFor();
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await page.getByRole('heading', { name: 'ログイン' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'ログイン' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await clean(p, ['401 (Unauthorized)', '422 (Unprocessable Content)']);
});

test('a token for another bot sees only that bot; keyboard: tabs with arrow keys', async () => {
  const p = await openPage(browser, srv);
  const { page } = p;
  await page.goto(`${srv.url}/admin/`);
  await login(page, otherToken);
  await page.getByRole('heading', { name: 'Q&Aの更新' }).waitFor();
  assert.deepEqual(await page.locator('#bot option').allInnerTexts(), ['staff']);
  assert.match(await page.locator('#bot-info').innerText(), /職員向け/);
  await page.getByRole('tab', { name: 'Q&Aの更新' }).focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getByRole('tab', { name: '答えられなかった質問' }).getAttribute('aria-selected'), 'true');
  await page.locator('#u-summary').filter({ hasText: '0件' }).waitFor();
  assert.match(await page.locator('#u-table tbody').innerText(), /ありません/);
  await page.keyboard.press('ArrowRight');
  await page.locator('#c-volume svg.chart-svg').waitFor();
  await page.keyboard.press('ArrowRight');
  await page.locator('#f-current').filter({ hasText: 'まだフローがありません' }).waitFor();
  await shot(page, 'admin-08-flows');
  await clean(p);
});
