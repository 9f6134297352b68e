// widget.test.mjs — the chat widget in headless Chromium against the real
// server with the sample knowledge bases: launcher and page mode, answers,
// candidates, the general counter, feedback, persistence across reloads,
// expired states, server failure, keyboard-only use, accessibility checks,
// safe rendering, a phone-sized viewport and the staff bot's API key.
// Screenshots of the main states go to build/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ask, botMessages, choose, cli, contrastFailures, createKey, focusedClass, input, launch,
  openPage, shot, sql, startSample, stopClean, waitBot, widget,
} from './lib.mjs';

let browser, srv, db;

// A public bot whose content is hostile HTML. Cells with known markup are
// imported as their text (scripts and images dropped); a tag import does not
// know (<svg>) stays as written, and the widget must show it as text.
const XSS_TSV = [
  'id\tquestion\tanswer\tdepartment\tcontact\turl',
  'X-1\t<svg onload=alert(0)>の質問 図書館の開館時間\t<img src=x onerror=alert(1)>図書館は<script>alert(2)</script>9時に開きます。' +
    '<a href="javascript:alert(3)">ここ</a>\t<i>総務課</i>\t<img src=y onerror=alert(4)> 000-0000-1234\t' +
    'javascript:alert(5) https://www.pref.aoba.example/lib/',
].join('\n') + '\n';

before(async () => {
  browser = await launch();
  ({ server: srv, db } = await startSample({
    prepare(file, dir) {
      const tsv = path.join(dir, 'xss.tsv');
      writeFileSync(tsv, XSS_TSV);
      cli(['import', '--db', file, '--bot', 'xss', tsv]);
    },
  }));
});

after(async () => {
  await browser?.close();
  if (srv) await stopClean(srv);
});

// Every page: no script errors, no CSP violations, no request to another host.
async function clean(p, { allowErrors = false } = {}) {
  assert.deepEqual(p.foreign(), [], 'requests to other hosts');
  if (!allowErrors) assert.deepEqual(p.errors, [], 'console/page errors');
  await p.context.close();
}

async function openLauncher(page) {
  const w = widget(page);
  await w.getByRole('button', { name: 'AIに質問する' }).click();
  await waitBot(w, 0); // the greeting
  return w;
}

test('demo page: Japanese explanation, page mode and launcher, strict CSP, widget under 30 KB', async () => {
  const p = await openPage(browser, srv);
  const res = await p.page.goto(`${srv.url}/`);
  assert.match(res.headers()['content-security-policy'], /script-src 'self'/);
  assert.equal(await p.page.locator('html').getAttribute('lang'), 'ja');
  await p.page.getByRole('heading', { level: 1 }).filter({ hasText: 'AIチャット窓口' }).waitFor();
  const pageMode = widget(p.page, 'page');
  await waitBot(pageMode, 0);
  assert.match(await botMessages(pageMode).first().innerText(), /あおば県のお問い合わせ窓口/);
  assert.equal(await pageMode.locator('.mdg-opts button').count(), 3, 'suggested questions');
  await widget(p.page).getByRole('button', { name: 'AIに質問する' }).waitFor();
  assert.equal(await p.page.getByRole('heading', { name: 'あおば県 くらしの窓口' }).count(), 1,
    'the launcher panel stays closed (and hidden) until opened');
  await shot(p.page, '01-demo-page');

  let total = 0;
  for (const f of ['widget.js', 'widget.css']) {
    const r = await fetch(`${srv.url}/${f}`);
    assert.equal(r.status, 200);
    total += (await r.arrayBuffer()).byteLength;
  }
  assert.ok(total < 30000, `widget.js + widget.css = ${total} bytes`);
  await clean(p);
});

test('launcher: greeting, a typed question answered with link, contact as tel:, feedback recorded', async () => {
  const p = await openPage(browser, srv);
  await p.page.goto(`${srv.url}/`);
  const launcher = widget(p.page).getByRole('button', { name: 'AIに質問する' });
  assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
  const w = await openLauncher(p.page);
  assert.equal(await launcher.getAttribute('aria-expanded'), 'true');
  assert.equal(await focusedClass(p.page), 'textarea.mdg-input', 'opening focuses the input');
  assert.equal(await w.getByRole('log').getAttribute('aria-live'), 'polite');
  await shot(p.page, '02-launcher-open');

  // Slow the reply down to see the typing indicator while waiting.
  await p.page.route('**/v1/bots/resident/chat', async (route) => {
    await new Promise((r) => setTimeout(r, 700));
    await route.continue();
  });
  await input(w).fill('自動車税はどこで払えばいいですか');
  const response = p.page.waitForResponse((r) => r.url().endsWith('/v1/bots/resident/chat'));
  await input(w).press('Enter');
  await w.locator('.mdg-typing .mdg-dot').first().waitFor();
  assert.equal(await w.getByRole('log').getAttribute('aria-busy'), 'true');
  assert.equal(await input(w).inputValue(), '自動車税はどこで払えばいいですか', 'kept until answered');
  const a = await waitBot(w, 1);
  await p.page.unroute('**/v1/bots/resident/chat');
  assert.equal(await w.getByRole('log').getAttribute('aria-busy'), null);
  const qa = (await (await response).json()).reply;
  assert.equal(qa.type, 'answer');
  assert.equal(await a.locator('.mdg-atitle').innerText(), qa.question);
  const link = a.getByRole('link', { name: /関連ページ/ });
  assert.match(await link.getAttribute('href'), /^https:\/\/www\.pref\.aoba\.example\//);
  assert.equal(await link.getAttribute('target'), '_blank');
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
  assert.equal(await a.getByRole('link', { name: '000-0000-1101' }).getAttribute('href'), 'tel:00000001101');
  assert.equal(await input(w).inputValue(), '', 'the box is emptied once answered');
  await shot(p.page, '03-answer');

  await a.getByRole('button', { name: '役に立った', exact: true }).click();
  await a.getByText('ご協力ありがとうございました。').waitFor();
  await shot(p.page, '04-feedback');
  let rows = [];
  for (let i = 0; i < 100 && rows.length === 0; i++) {
    rows = sql(db, "SELECT qa_id, helpful FROM feedback WHERE bot = 'resident'");
    if (!rows.length) await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(rows, [[qa.qa_id, '1']]);
  await clean(p);
});

test('candidates: "did you mean" as buttons, clicking one answers it; a suggestion; the general counter', async () => {
  const p = await openPage(browser, srv);
  await p.page.goto(`${srv.url}/`);
  const w = await openLauncher(p.page);

  const a = await choose(w, '県立図書館の利用カードを作りたい'); // a suggested question
  assert.match(await a.innerText(), /利用カード/);

  const c = await ask(w, 'パスポート');
  const opts = c.getByRole('group', { name: '選択肢' }).getByRole('button');
  assert.equal(await opts.count(), 4);
  assert.equal(await opts.last().innerText(), 'どれにも当てはまらない');
  await shot(p.page, '05-candidates');
  const label = await opts.first().innerText();
  const ans = await choose(w, label);
  assert.equal(await ans.locator('.mdg-atitle').innerText(), label, 'the chosen question is answered');
  assert.equal(await opts.first().isDisabled(), true, 'older options are disabled');
  assert.equal(await w.locator('.mdg-msg--user .mdg-bubble').last().innerText(), label, 'the choice is shown as the user\'s turn');

  const f = await ask(w, '今日の天気は晴れですか');
  assert.match(await f.innerText(), /見つかりませんでした/);
  const phone = f.getByRole('link', { name: '000-0000-1000' });
  assert.equal(await phone.getAttribute('href'), 'tel:00000001000');
  assert.match(await f.innerText(), /総合案内（県庁代表）/);
  await shot(p.page, '06-fallback');
  await clean(p);
});

test('the conversation survives reloads and navigation in the same tab; 最初から restarts it', async () => {
  const p = await openPage(browser, srv);
  await p.page.goto(`${srv.url}/`);
  let w = await openLauncher(p.page);
  await ask(w, '自動車税はどこで払えばいいですか');
  const before = await w.locator('.mdg-msg').count();
  const state = await p.page.evaluate(() => JSON.parse(sessionStorage.getItem('madoguchi:resident:launcher')).state);
  assert.match(state, /^[\w.-]{20,}$/, 'sessionStorage holds the state');

  await p.page.goto(`${srv.url}/staff.html`);
  await p.page.goto(`${srv.url}/`);
  w = widget(p.page);
  await w.locator('.mdg-msg').nth(before - 1).waitFor();
  assert.equal(await w.locator('.mdg-msg').count(), before, 'same messages after navigating back');
  assert.equal(await w.getByRole('button', { name: 'AIに質問する' }).getAttribute('aria-expanded'), 'true',
    'the panel is still open');

  await p.page.reload();
  w = widget(p.page);
  await w.locator('.mdg-msg').nth(before - 1).waitFor();
  const chats = [];
  p.page.on('response', (r) => { if (r.url().endsWith('/chat')) chats.push(r.status()); });
  const more = await ask(w, 'コンビニで払えますか');
  assert.deepEqual(chats, [200], 'the stored state is accepted');
  assert.ok(await more.isVisible());

  await w.getByRole('button', { name: '最初から' }).click();
  assert.equal(await w.locator('.mdg-msg').count(), 1, 'only the greeting is left');
  assert.equal(await p.page.evaluate(() => JSON.parse(sessionStorage.getItem('madoguchi:resident:launcher')).state), null);
  await clean(p);
});

test('a state the server rejects (tampered or expired) starts over gracefully', async () => {
  const p = await openPage(browser, srv);
  await p.page.goto(`${srv.url}/`);
  const w = await openLauncher(p.page);
  await ask(w, '自動車税はどこで払えばいいですか');
  await p.page.evaluate(() => {
    const k = 'madoguchi:resident:launcher';
    const s = JSON.parse(sessionStorage.getItem(k));
    s.state = s.state.slice(0, -4) + 'AAAA';
    sessionStorage.setItem(k, JSON.stringify(s));
  });
  await p.page.reload();
  const w2 = widget(p.page);
  await w2.locator('.mdg-msg--user').first().waitFor();
  const a = await ask(w2, '県立図書館の利用カードを作りたい');
  assert.match(await a.innerText(), /利用カード/);
  await w2.getByText('最初からやり直しました').waitFor();
  assert.equal(await w2.locator('.mdg-error').count(), 0);
  // The browser logs the 400 of the rejected state; nothing else.
  assert.deepEqual(p.errors.filter((e) => !/status of 400/.test(e)), []);
  await clean(p, { allowErrors: true });
});

test('server stopped: a friendly error, the typed message stays in the box, retry works once it is back', async () => {
  const s2 = await startSample();
  const p = await openPage(browser, s2.server);
  await p.page.goto(`${s2.server.url}/`);
  const w = await openLauncher(p.page);
  const c = await ask(w, 'パスポート');
  const users = await w.locator('.mdg-msg--user').count();
  await stopClean(s2.server);

  // A clicked option that could not be sent: the options stay usable.
  await c.getByRole('button').first().click();
  await w.locator('.mdg-error[role=alert]').waitFor();
  assert.equal(await c.getByRole('button').first().isEnabled(), true);
  assert.equal(await w.locator('.mdg-msg--user').count(), users);

  await input(w).fill('パスポートの申請に必要なものは？');
  await input(w).press('Enter');
  const alert = w.locator('.mdg-error[role=alert]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /通信できませんでした/);
  assert.equal(await input(w).inputValue(), 'パスポートの申請に必要なものは？', 'nothing typed is lost');
  assert.equal(await w.locator('.mdg-msg--user').count(), users, 'the unsent message is not shown as sent');
  assert.deepEqual(await contrastFailures(p.page), []);
  await shot(p.page, '07-server-stopped');

  // Same port, same state secret: the conversation continues.
  const again = await startSample({ listen: `127.0.0.1:${s2.server.port}` });
  const n = await botMessages(w).count();
  await w.getByRole('button', { name: 'もう一度送る' }).click();
  const a = await waitBot(w, n);
  assert.match(await a.innerText(), /パスポート/);
  assert.equal(await input(w).inputValue(), '');
  assert.equal(await w.locator('.mdg-error').count(), 0);
  await stopClean(again.server);
  await clean(p, { allowErrors: true });
});

test('keyboard only: launcher, question, feedback and candidates by keys, Escape returns focus to the launcher', async () => {
  const p = await openPage(browser, srv);
  const { page } = p;
  await page.goto(`${srv.url}/`);
  await widget(page, 'page').locator('.mdg-msg--bot').first().waitFor();
  let tabs = 0;
  while ((await focusedClass(page)) !== 'button.mdg-launcher') {
    assert.ok(++tabs < 40, 'Tab reaches the launcher');
    await page.keyboard.press('Tab');
  }
  const ring = await page.evaluate(() => {
    const a = document.querySelector('[data-madoguchi-mode=launcher]').shadowRoot.activeElement;
    const cs = getComputedStyle(a);
    return `${cs.outlineStyle} ${cs.boxShadow}`;
  });
  assert.notEqual(ring, 'none none', 'visible focus');
  await shot(page, '08-keyboard-launcher-focus');

  await page.keyboard.press('Enter');
  const w = widget(page);
  await waitBot(w, 0);
  assert.equal(await focusedClass(page), 'textarea.mdg-input');
  await page.keyboard.type('自動車税はどこで払えばいいですか');
  await page.keyboard.press('Enter');
  await waitBot(w, 1);
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focusedClass(page), 'button.mdg-fbbtn');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter'); // 役に立った
  await w.getByText('ご協力ありがとうございました。').waitFor();

  await page.keyboard.press('Tab');
  assert.equal(await focusedClass(page), 'textarea.mdg-input');
  await page.keyboard.type('パスポート');
  await page.keyboard.press('Enter');
  const c = await waitBot(w, 2);
  for (let i = 0; i < 4; i++) await page.keyboard.press('Shift+Tab'); // up to the first candidate
  const label = await c.getByRole('button').first().innerText();
  assert.equal(await page.evaluate(() =>
    document.querySelector('[data-madoguchi-mode=launcher]').shadowRoot.activeElement.textContent), label);
  await page.keyboard.press('Space');
  const a = await waitBot(w, 3);
  assert.equal(await a.locator('.mdg-atitle').innerText(), label);
  assert.equal(await focusedClass(page), 'textarea.mdg-input', 'focus goes back to the input');
  await shot(page, '09-keyboard-candidate-answered');

  await page.keyboard.press('Escape');
  assert.equal(await focusedClass(page), 'button.mdg-launcher');
  assert.equal(await w.locator('.mdg-panel').isVisible(), false);
  await page.keyboard.press('Enter');
  assert.equal(await w.locator('.mdg-panel').isVisible(), true);
  assert.equal(await w.locator('.mdg-msg--bot').count(), 4, 'the conversation is still there');
  await clean(p);
});

test('accessibility: labelled controls, WCAG AA contrast, 200 % text, reduced motion', async () => {
  const p = await openPage(browser, srv, { reducedMotion: 'reduce' });
  const { page } = p;
  await page.goto(`${srv.url}/`);
  const w = await openLauncher(page);
  await ask(w, '自動車税はどこで払えばいいですか');
  await ask(w, 'パスポート');
  await ask(w, '今日の天気は晴れですか');

  const unlabelled = await page.evaluate(() => {
    const r = document.querySelector('[data-madoguchi-mode=launcher]').shadowRoot;
    return [...r.querySelectorAll('button, textarea, a')].filter((e) => {
      const name = (e.getAttribute('aria-label') || e.textContent || '').trim();
      const label = e.id && r.querySelector(`label[for="${e.id}"]`);
      return !name && !label;
    }).map((e) => e.outerHTML.slice(0, 80));
  });
  assert.deepEqual(unlabelled, []);
  assert.equal(await w.getByRole('button', { name: '閉じる' }).count(), 1);
  assert.equal(await w.getByRole('dialog', { name: 'あおば県 くらしの窓口' }).count(), 1);
  assert.deepEqual(await contrastFailures(page), []);
  assert.deepEqual(await contrastFailures(page, 'page'), []);
  assert.equal(await w.locator('.mdg-msg').first().evaluate((e) => getComputedStyle(e).animationName), 'none',
    'prefers-reduced-motion: no animation');

  // Text at 200 %: the widget is sized in rem, so doubling the root font
  // size is what a resident's larger default font does.
  await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
  await page.waitForTimeout(100);
  const fit = await w.locator('.mdg-panel').evaluate((panel) => {
    const r = panel.getBoundingClientRect();
    const form = panel.querySelector('.mdg-form').getBoundingClientRect();
    const send = panel.querySelector('.mdg-send').getBoundingClientRect();
    const log = panel.querySelector('.mdg-log');
    return {
      inView: r.left >= 0 && r.right <= innerWidth + 1 && r.top >= 0 && r.bottom <= innerHeight + 1,
      formInside: form.bottom <= r.bottom + 1 && send.right <= r.right + 1,
      noSideScroll: log.scrollWidth <= log.clientWidth + 1,
    };
  });
  assert.deepEqual(fit, { inView: true, formInside: true, noSideScroll: true });
  await shot(page, '10-text-200-percent');
  await clean(p);

  // Browser zoom at 200 % on a 1280×900 window: a 640×450 CSS-pixel
  // viewport. The chat takes the whole window and everything stays usable.
  const z = await openPage(browser, srv, { viewport: { width: 640, height: 450 }, scale: 2 });
  await z.page.goto(`${srv.url}/`);
  const zw = await openLauncher(z.page);
  await ask(zw, '自動車税はどこで払えばいいですか');
  const zb = await zw.locator('.mdg-panel').boundingBox();
  assert.deepEqual([zb.x, zb.y, zb.width, zb.height], [0, 0, 640, 450]);
  for (const name of ['最初から', '閉じる', '送信']) assert.ok(await zw.getByRole('button', { name }).isVisible(), name);
  await shot(z.page, '11-zoom-200-percent');
  await clean(z);
});

test('safe rendering: HTML typed by the user and HTML in the knowledge base are shown as text', async () => {
  const p = await openPage(browser, srv);
  const { page } = p;
  await page.goto(`${srv.url}/`);
  const w = await openLauncher(page);
  const evil = '<img src=x onerror=alert(1)>';
  await ask(w, evil);
  assert.equal(await w.locator('.mdg-msg--user .mdg-bubble').last().innerText(), evil);
  assert.equal(await w.locator('img, script, iframe').count(), 0);
  await shot(page, '12-html-as-text');

  // A page of the site embedding another bot, whose answers carry HTML.
  await page.route(`${srv.url}/embed-test.html`, (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8',
    headers: { 'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'" },
    body: '<!doctype html><html lang="ja"><title>t</title><link rel="icon" href="data:,"><p>埋め込みテスト</p><script src="/widget.js" data-bot="xss" defer></script>',
  }));
  await page.goto(`${srv.url}/embed-test.html`);
  const x = widget(page, 'launcher', 'xss');
  await x.getByRole('button', { name: 'AIに質問する' }).click();
  await waitBot(x, 0);
  const a = await ask(x, '図書館の開館時間');
  const text = await a.innerText();
  assert.match(text, /図書館は9時に開きます。ここ/, 'the HTML answer was imported as its text');
  assert.ok(!/alert|<script|<img|<i>/.test(text.replace('<svg onload=alert(0)>', '')), text);
  assert.match(text, /<svg onload=alert\(0\)>の質問/, 'an unknown tag is shown as text');
  assert.equal(await x.locator('img, script, svg[onload], b, i, iframe').count(), 0);
  const hrefs = await a.locator('a').evaluateAll((as) => as.map((e) => e.getAttribute('href')));
  assert.deepEqual(hrefs, ['https://www.pref.aoba.example/lib/', 'tel:00000001234']);

  // Whatever a reply carries, only https:, http: and tel: become links.
  await page.route('**/v1/bots/xss/chat', (route) => route.fulfill({
    contentType: 'application/json',
    body: JSON.stringify({
      state: 'x',
      reply: {
        type: 'answer', qa_id: 'X-1', text: '<svg onload=alert(6)>', title: '<u>t</u>',
        links: ['javascript:alert(7)', 'data:text/html,<script>alert(8)</script>', 'vbscript:x', '//evil.example/',
          '/relative', 'https://ok.example/a', 'http://ok.example/b', 'tel:0000001111']
          .map((url) => ({ label: `L ${url}`, url })),
        contact: '<a href=javascript:alert(9)>x</a>',
        options: [{ id: '<b>o</b>', label: '<img src=z onerror=alert(10)>' }],
      },
    }),
  }));
  const b = await ask(x, 'もう一度');
  const links = await b.locator('a').evaluateAll((as) => as.map((e) => e.getAttribute('href')));
  assert.deepEqual(links, ['https://ok.example/a', 'http://ok.example/b', 'tel:0000001111']);
  assert.match(await b.innerText(), /L javascript:alert\(7\)/, 'a refused link stays as text');
  assert.equal(await b.getByRole('button', { name: '<img src=z onerror=alert(10)>' }).count(), 1);
  assert.equal(await x.locator('img, script, svg:not(.mdg-icon), b, u, iframe').count(), 0);
  await clean(p);
});

test('phone (390×844): the launcher opens a full-screen chat that fits without side scrolling', async () => {
  const p = await openPage(browser, srv, { viewport: { width: 390, height: 844 }, mobile: true });
  const { page } = p;
  await page.goto(`${srv.url}/`);
  await shot(page, '13-phone-page');
  const w = await openLauncher(page);
  const box = await w.locator('.mdg-panel').boundingBox();
  assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 390, 844]);
  await shot(page, '14-phone-open');
  await ask(w, '自動車税はどこで払えばいいですか');
  await shot(page, '15-phone-answer');
  const c = await ask(w, 'パスポート');
  await c.getByRole('button').first().waitFor();
  await shot(page, '16-phone-candidates');
  const over = await page.evaluate(() => {
    const r = document.querySelector('[data-madoguchi-mode=launcher]').shadowRoot;
    const log = r.querySelector('.mdg-log');
    const wide = [...r.querySelectorAll('.mdg-msg, button, a')].filter((e) => e.getBoundingClientRect().right > 391);
    return { log: log.scrollWidth > log.clientWidth + 1, page: document.documentElement.scrollWidth > 390, wide: wide.length };
  });
  assert.deepEqual(over, { log: false, page: false, wide: 0 });
  const tap = await w.getByRole('button', { name: '閉じる' }).boundingBox();
  assert.ok(tap.width >= 44 && tap.height >= 44, 'touch target at least 44 px');
  await w.getByRole('button', { name: '閉じる' }).click();
  await w.getByRole('button', { name: 'AIに質問する' }).waitFor();
  await clean(p);
});

test('staff page: no answer without the API key, answers with the key the portal provides', async () => {
  const key = createKey(db, 'staff', 'browser-test');
  const p = await openPage(browser, srv);
  const { page } = p;
  await page.goto(`${srv.url}/staff.html`);
  const w = widget(page, 'page', 'staff');
  await waitBot(w, 0);
  await input(w).fill('パスワードを忘れてしまいました');
  await input(w).press('Enter');
  await w.locator('.mdg-error').waitFor();
  assert.match(await w.locator('.mdg-error').innerText(), /APIキー/);
  assert.equal(await input(w).inputValue(), 'パスワードを忘れてしまいました');

  await page.getByRole('textbox', { name: 'APIキー' }).fill(key);
  const n = await botMessages(w).count();
  await w.getByRole('button', { name: 'もう一度送る' }).click();
  const a = await waitBot(w, n);
  assert.match(await a.innerText(), /パスワード/);
  await shot(page, '17-staff-helpdesk');
  assert.deepEqual(p.errors.filter((e) => !/status of 401/.test(e)), []);
  await clean(p, { allowErrors: true });
});

test('staff key sources an intranet portal uses: a <meta> element and a global function', async () => {
  const key = createKey(db, 'staff', 'portal');
  const p = await openPage(browser, srv);
  const { page } = p;
  const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'";
  const html = (head, attrs) => '<!doctype html><html lang="ja"><head><title>portal</title><link rel="icon" href="data:,">' +
    `${head}</head><body><p>職員ポータル</p><script src="/widget.js" data-bot="staff" ${attrs} defer></script></body></html>`;
  await page.route(`${srv.url}/portal-meta.html`, (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8', headers: { 'Content-Security-Policy': csp },
    body: html(`<meta name="madoguchi-key" content="${key}">`, 'data-api-key-from="meta[name=madoguchi-key]"'),
  }));
  await page.route(`${srv.url}/portal.js`, (route) => route.fulfill({
    contentType: 'text/javascript', body: `window.portal = { madoguchiKey: () => ${JSON.stringify(key)} };`,
  }));
  await page.route(`${srv.url}/portal-global.html`, (route) => route.fulfill({
    contentType: 'text/html; charset=utf-8', headers: { 'Content-Security-Policy': csp },
    body: html('<script src="/portal.js"></script>', 'data-api-key-from="window.portal.madoguchiKey"'),
  }));
  for (const name of ['portal-meta', 'portal-global']) {
    await page.goto(`${srv.url}/${name}.html`);
    const w = widget(page, 'launcher', 'staff');
    const l = w.getByRole('button', { name: 'AIに質問する' });
    await l.waitFor();
    // The second page continues the first one's conversation, panel open.
    if ((await l.getAttribute('aria-expanded')) === 'false') await l.click();
    await waitBot(w, 0);
    const auth = page.waitForRequest((r) => r.url().endsWith('/v1/bots/staff/chat'));
    const a = await ask(w, 'テレワーク中にVPNに接続できない');
    assert.equal((await auth).headers().authorization, `Bearer ${key}`, name);
    assert.match(await a.innerText(), /VPN/, name);
    await w.getByRole('button', { name: '最初から' }).click();
  }
  await clean(p);
});
