// flows.test.mjs — decision trees in the widget, against the real server
// with the sample flows: the 指定難病 follow-up by clicking and by typing,
// triage cards at urgency levels 1 and 5, handoff to a consultant, and a
// red-flag emergency, on a desktop and a phone-sized screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ask, botMessages, choose, contrastFailures, launch, openPage, shot, startSample, stopClean, waitBot, widget,
} from './lib.mjs';

let browser, srv;

before(async () => {
  browser = await launch();
  ({ server: srv } = await startSample());
});

after(async () => {
  await browser?.close();
  if (srv) await stopClean(srv);
});

async function resident(opts) {
  const p = await openPage(browser, srv, opts);
  await p.page.goto(`${srv.url}/`);
  const w = widget(p.page);
  await w.getByRole('button', { name: 'AIに質問する' }).click();
  await waitBot(w, 0);
  return { ...p, w };
}

async function done(p) {
  assert.deepEqual(p.foreign(), [], 'requests to other hosts');
  assert.deepEqual(p.errors, [], 'console/page errors');
  await p.context.close();
}

const buttons = (m) => m.getByRole('button').allInnerTexts();

test('指定難病: the follow-up question answered by clicking, 戻る, and by typing', async () => {
  const p = await resident();
  const { w } = p;
  const q = await ask(w, '指定難病医療給付申請にはどのような書類が必要ですか');
  const text = await q.innerText();
  assert.match(text, /申請の種類を選んでいただくと/, 'the Q&A answer introduces the flow');
  assert.match(text, /新規ですか、継続ですか/);
  assert.deepEqual(await buttons(q), ['新規', '継続', 'やめる']);
  await shot(p.page, '20-flow-question');

  const a = await choose(w, '継続');
  assert.equal(await a.locator('.mdg-atitle').innerText(), '継続（更新）申請に必要な書類');
  assert.equal(await a.getByRole('link', { name: /継続用）の様式/ }).getAttribute('href'),
    'https://www.pref.aoba.example/shippei/nanbyo/youshiki/keizoku.html');
  assert.equal(await a.getByRole('link', { name: '000-0000-1601' }).getAttribute('href'), 'tel:00000001601');
  assert.deepEqual(await buttons(a), ['戻る', '最初から']);
  await shot(p.page, '21-flow-answer');

  const back = await choose(w, '戻る');
  assert.match(await back.innerText(), /新規ですか、継続ですか/);
  const typed = await ask(w, '初めて申請します');
  assert.equal(await typed.locator('.mdg-atitle').innerText(), '新規申請に必要な書類');
  await done(p);
});

test('救急相談: level-1 triage card with 119 first, then level 5 with home care and handoff', async () => {
  const p = await resident();
  const { w } = p;
  const start = await ask(w, '救急相談');
  assert.match(await start.innerText(), /いちばん気になる症状/);
  await choose(w, '発熱（16歳以上）');
  const lv1 = await choose(w, 'ある');
  const card1 = lv1.locator('.mdg-triage.mdg-lv1');
  assert.match(await card1.innerText(), /緊急度 1（赤）/);
  assert.match(await card1.innerText(), /今すぐ救急車を呼びましょう（119）/);
  const calls1 = card1.locator('.mdg-call');
  assert.equal(await calls1.first().getAttribute('href'), 'tel:119', '119 comes first at level 1');
  assert.match(await calls1.first().getAttribute('class'), /mdg-call--119\b/);
  assert.equal(await calls1.nth(1).getAttribute('href'), 'tel:%237119');
  assert.deepEqual(await contrastFailures(p.page), []);
  await shot(p.page, '22-triage-level-1');

  await choose(w, '最初から');
  for (const name of ['発熱（16歳以上）', 'ない', '16〜64歳', 'ない', '3日以内']) await choose(w, name);
  const lv5 = await choose(w, '39度未満');
  const card5 = lv5.locator('.mdg-triage.mdg-lv5');
  const t5 = await card5.innerText();
  assert.match(t5, /緊急度 5（白）/);
  assert.match(t5, /自宅でできること/);
  assert.match(t5, /受診できる医療機関の探し方/);
  assert.match(await card5.getByRole('link', { name: /救急医療情報ネット/ }).getAttribute('href'), /^https:\/\//);
  assert.equal(await card5.locator('.mdg-call').first().getAttribute('href'), 'tel:%237119', '#7119 first at level 5');
  assert.deepEqual(await contrastFailures(p.page), []);
  await shot(p.page, '23-triage-level-5');

  const h = await choose(w, '相談員と話す（#7119）');
  const card = h.locator('.mdg-handoff');
  const hrefs = await card.locator('.mdg-call').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.includes('tel:%237119') && hrefs.includes('tel:119'), hrefs.join());
  const summary = await card.locator('.mdg-summary').innerText();
  assert.match(summary, /ご相談内容のまとめ/);
  assert.match(summary, /体温 → 39度未満/);
  await shot(p.page, '24-handoff');
  const resumed = await choose(w, '相談を続ける');
  assert.match(await resumed.innerText(), /緊急度 5/);
  await done(p);
});

test('red flag: an emergency reply that cannot be missed, in a flow with the way back', async () => {
  const p = await resident();
  const { w, page } = p;
  const e = await ask(w, '父が倒れて意識がない');
  const card = e.locator('.mdg-emergency[role=alert]');
  assert.match(await card.innerText(), /今すぐ119番に電話/);
  assert.match(await card.innerText(), /意識がない/);
  const call = card.locator('.mdg-call');
  assert.equal(await call.getAttribute('href'), 'tel:119');
  const box = await call.boundingBox();
  assert.ok(box.height >= 48, 'a big call button');
  const inView = await card.evaluate((c) => {
    const log = c.closest('.mdg-log').getBoundingClientRect(), r = c.getBoundingClientRect();
    return r.top >= log.top - 1 && r.top < log.bottom;
  });
  assert.ok(inView, 'the top of the emergency card is in view');
  assert.deepEqual(await contrastFailures(page), []);
  await shot(page, '25-emergency');

  await ask(w, '救急相談');
  await choose(w, '発熱（16歳以上）');
  const again = await ask(w, '意識がないです');
  await again.locator('.mdg-emergency').waitFor();
  const back = await choose(w, '相談を続ける');
  assert.match(await back.innerText(), /次のいずれかがありますか/);
  await done(p);
});

test('phone (390×844): triage and emergency cards fit the screen', async () => {
  const p = await resident({ viewport: { width: 390, height: 844 }, mobile: true });
  const { w, page } = p;
  await ask(w, '救急相談');
  await choose(w, '発熱（16歳以上）');
  await choose(w, 'ある');
  await shot(page, '26-phone-triage-level-1');
  await ask(w, '胸が締め付けられるように痛い');
  const last = botMessages(w).last();
  await last.locator('.mdg-emergency').waitFor();
  await shot(page, '27-phone-emergency');
  const wide = await page.evaluate(() => {
    const r = document.querySelector('[data-madoguchi-mode=launcher]').shadowRoot;
    return [...r.querySelectorAll('.mdg-card, .mdg-call, .mdg-opt')]
      .filter((e) => e.getBoundingClientRect().right > 391).length;
  });
  assert.equal(wide, 0);
  await done(p);
});

test('救急相談 page (kyukyu bot, full-page mode on a phone): greeting, suggestion starts the triage', async () => {
  const p = await openPage(browser, srv, { viewport: { width: 390, height: 844 }, mobile: true });
  const { page } = p;
  await page.goto(`${srv.url}/kyukyu.html`);
  const w = widget(page, 'page', 'kyukyu');
  const g = await waitBot(w, 0);
  assert.equal(await w.getByRole('heading', { level: 2 }).innerText(), 'あおば県 救急相談');
  assert.match(await g.innerText(), /迷わず119番/);
  assert.equal(await page.getByRole('link', { name: '119番' }).getAttribute('href'), 'tel:119');
  await shot(page, '28-kyukyu-page');
  const q = await choose(w, '救急相談を始める');
  assert.match(await q.innerText(), /いちばん気になる症状/);
  assert.ok((await q.getByRole('button').count()) >= 10, 'one button per symptom');
  const box = await w.locator('.mdg-panel').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 390, 'the panel fits the phone width');
  await shot(page, '29-kyukyu-symptoms');
  await done(p);
});
