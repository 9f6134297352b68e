// lib.mjs — helpers for the browser tests: the real server with the sample
// knowledge bases (tools/make-sample.sh) on a free 127.0.0.1 port, Debian's
// headless Chromium driven by playwright-core, and small waits and checks
// on the widget (which lives in an open shadow root; Playwright's CSS and
// role locators pierce it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { BIN, ROOT, startServer, tempDir, writeConfig } from '../http/lib.mjs';

export { BIN, ROOT, cli, createKey, sql, startServer, stopClean, tempDir } from '../http/lib.mjs';

export const SHOTS = path.join(ROOT, 'build/screenshots');
mkdirSync(SHOTS, { recursive: true });

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export function launch() {
  return chromium.launch({
    executablePath: process.env.MDG_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

// The sample database (every bundled bot, and their flows once
// make-sample.sh imports them) in dir.
export function sampleDb(dir) {
  const db = path.join(dir, 'sample.db');
  execFileSync(path.join(ROOT, 'tools/make-sample.sh'), [BIN, db], { stdio: ['ignore', 'pipe', 'pipe'] });
  return db;
}

// The `make run` configuration with the rate limit off (a browser test
// sends bursts from one address) and the state secret in dir (so a
// restarted server continues the same conversations).
export function sampleConfig(dir) {
  let yaml = readFileSync(path.join(ROOT, 'server/madoguchi.yaml'), 'utf8');
  const edits = [
    [/^(\s+rate:\s*)[\d.]+/m, '$10'],
    [/^secret_file:.*$/m, `secret_file: ${path.join(dir, 'state.secret')}`],
  ];
  for (const [re, to] of edits) {
    if (!re.test(yaml)) throw new Error(`server/madoguchi.yaml: no line matching ${re}`);
    yaml = yaml.replace(re, to);
  }
  return writeConfig(dir, yaml);
}

// Starts the real server on the sample data. prepare(db) may add bots.
export async function startSample({ prepare, listen } = {}) {
  const dir = tempDir('mdg-browser-');
  const db = sampleDb(dir);
  if (prepare) prepare(db, dir);
  const config = sampleConfig(dir);
  const server = await startServer({ config, db, listen, cwd: ROOT });
  return { server, db, dir, config };
}

// A fresh browser context (empty sessionStorage) and page. Every request
// is recorded, so tests can check that nothing leaves the server's origin;
// page errors, console errors and CSP violations are collected.
export async function openPage(browser, server, { viewport, mobile = false, reducedMotion, scale = 1 } = {}) {
  const context = await browser.newContext({
    viewport: viewport ?? { width: 1280, height: 900 },
    deviceScaleFactor: scale,
    isMobile: mobile,
    hasTouch: mobile,
    locale: 'ja-JP',
    reducedMotion: reducedMotion ?? 'no-preference',
  });
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  context.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  const foreign = () => requests.filter((u) => !u.startsWith(`${server.url}/`) && !u.startsWith('data:'));
  return { context, page, requests, errors, foreign };
}

export function widget(page, mode = 'launcher', bot = 'resident') {
  return page.locator(`[data-madoguchi-mode="${mode}"][data-madoguchi-bot="${bot}"]`);
}

// Saves a screenshot once smooth scrolling has settled, with CSS
// animations run to their end (messages fade in).
export async function shot(page, name) {
  let last = null;
  for (let i = 0; i < 40; i++) {
    const now = await page.evaluate(() => [...document.querySelectorAll('.madoguchi-host')]
      .map((h) => h.shadowRoot.querySelector('.mdg-log')?.scrollTop ?? 0).join());
    if (now === last) break;
    last = now;
    await page.waitForTimeout(60);
  }
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), animations: 'disabled' });
}

export const input = (w) => w.getByRole('textbox', { name: '質問を入力' });
export const botMessages = (w) => w.locator('.mdg-msg--bot:not(.mdg-typing)');

// Waits until the widget shows bot message number n (0-based) and is idle.
export async function waitBot(w, n) {
  await botMessages(w).nth(n).waitFor({ timeout: 20000 });
  await w.locator('.mdg-typing').waitFor({ state: 'detached', timeout: 20000 });
  return botMessages(w).nth(n);
}

// Types text, presses Enter, returns the new bot message.
export async function ask(w, text) {
  await w.locator('.mdg-log[aria-busy]').waitFor({ state: 'detached' });
  const n = await botMessages(w).count();
  await input(w).fill(text);
  await input(w).press('Enter');
  return waitBot(w, n);
}

// Clicks a button of the newest bot message by its name and returns the
// next bot message.
export async function choose(w, name) {
  const n = await botMessages(w).count();
  await botMessages(w).last().getByRole('button', { name, exact: true }).click();
  return waitBot(w, n);
}

// The class names of the focused element inside the widget's shadow root
// ('' if the focus is outside the widget).
export function focusedClass(page, mode = 'launcher') {
  return page.evaluate((m) => {
    const h = document.querySelector(`[data-madoguchi-mode="${m}"]`);
    const a = h && document.activeElement === h ? h.shadowRoot.activeElement : null;
    return a ? `${a.tagName.toLowerCase()}.${a.className}` : '';
  }, mode);
}

// WCAG 2.1 contrast of every visible text in the widget against its
// effective background; returns the failures (4.5:1, 3:1 for large text;
// disabled controls are exempt).
export function contrastFailures(page, mode = 'launcher') {
  return page.evaluate((m) => {
    const host = document.querySelector(`[data-madoguchi-mode="${m}"]`);
    const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const bgOf = (e) => {
      for (let x = e; x; x = x.parentElement || (x.getRootNode() && x.getRootNode().host)) {
        const c = rgb(getComputedStyle(x).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3] > 0.9)) return c;
      }
      return [255, 255, 255];
    };
    const out = [];
    for (const e of host.shadowRoot.querySelectorAll('*')) {
      const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own || e.closest('.mdg-sr') || e.closest(':disabled') || !e.getClientRects().length) continue;
      const cs = getComputedStyle(e);
      if (cs.visibility === 'hidden') continue;
      const a = lum(rgb(cs.color)), b = lum(bgOf(e));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const px = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
      const need = px >= 24 || (bold && px >= 18.66) ? 3 : 4.5;
      if (ratio < need) out.push(`${e.className || e.tagName} "${e.textContent.trim().slice(0, 20)}" ${ratio.toFixed(2)} < ${need}`);
    }
    return out;
  }, mode);
}
