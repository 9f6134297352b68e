/* admin.js — the knowledge editors' page (/admin/): log in with an admin
 * token, upload a spreadsheet with a dry-run preview before confirming,
 * download the knowledge base and a blank template, roll back, list the
 * questions the bot could not answer, and show usage statistics with SVG
 * charts drawn here.
 *
 * Rules shared with the widget: no request leaves this server, every text
 * from the server is shown with textContent (never parsed as HTML), no
 * inline script or style (the page runs under script-src/style-src 'self').
 * The token is kept in sessionStorage: gone when the tab is closed. */
(function () {
  'use strict';

  var API = '/v1/admin';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var TOKEN_KEY = 'madoguchi-admin-token';
  var BOT_KEY = 'madoguchi-admin-bot';
  var TYPES = {
    xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    csv: 'text/csv',
    tsv: 'text/tab-separated-values',
    txt: 'text/tab-separated-values'
  };

  var state = { token: null, bots: [], bot: null, upload: null, flow: null };

  function $(id) { return document.getElementById(id); }

  /* Builds an element; children are nodes or strings (always as text). */
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    var k;
    for (k in attrs || {}) {
      if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    }
    append(e, children);
    return e;
  }

  function append(e, children) {
    if (children === undefined || children === null) return e;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return e;
  }

  function clear(e) {
    while (e.firstChild) e.removeChild(e.firstChild);
    return e;
  }

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    var k;
    for (k in attrs || {}) {
      if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    }
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fmtNum(n) { return Number(n || 0).toLocaleString('ja-JP'); }
  function fmtPct(x) { return (Math.round((x || 0) * 1000) / 10).toFixed(1) + '%'; }
  function fmtTime(iso) { return (iso || '').replace('T', ' ').replace(/:\d\d\+09:00$/, ''); }

  /* ---------- the API ---------- */

  function ApiError(status, body) {
    this.status = status;
    this.body = body;
    this.message = body && body.error && body.error.message ? body.error.message
      : 'サーバーに接続できませんでした（' + status + '）。';
  }

  /* fetch with the token; resolves with the parsed JSON (or the Response
   * when opts.raw), rejects with ApiError. 401 logs out. */
  function api(method, path, opts) {
    opts = opts || {};
    var headers = { Authorization: 'Bearer ' + (opts.token || state.token) };
    if (opts.type) headers['Content-Type'] = opts.type;
    return fetch(API + path, { method: method, headers: headers, body: opts.body, cache: 'no-store' })
      .catch(function () { throw new ApiError(0, null); })
      .then(function (r) {
        if (opts.raw && r.ok) return r;
        return r.text().then(function (t) {
          var j = null;
          try { j = JSON.parse(t); } catch (e) { j = null; }
          if (r.status === 401 && !opts.token) logout('ログインの有効期限が切れたか、トークンが無効になりました。もう一度ログインしてください。');
          if (!r.ok && !(opts.accept && opts.accept.indexOf(r.status) >= 0)) throw new ApiError(r.status, j);
          return { status: r.status, json: j };
        });
      });
  }

  function botPath(p) { return '/bots/' + encodeURIComponent(state.bot) + p; }

  /* ---------- log in / out ---------- */

  function showLogin(msg) {
    $('app').hidden = true;
    $('user').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = msg || '';
  }

  function logout(msg) {
    state.token = null;
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage off */ }
    showLogin(msg);
    $('token').value = '';
    $('token').focus();
  }

  function login(token, quiet) {
    $('login-error').textContent = '';
    return api('GET', '/me', { token: token }).then(function (r) {
      state.token = token;
      try { sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* storage off */ }
      state.bots = r.json.bots;
      var sel = clear($('bot'));
      state.bots.forEach(function (b) {
        sel.appendChild(el('option', { value: b.id }, b.name === b.id ? b.id : b.name + '（' + b.id + '）'));
      });
      var saved = null;
      try { saved = sessionStorage.getItem(BOT_KEY); } catch (e) { saved = null; }
      state.bot = state.bots.some(function (b) { return b.id === saved; }) ? saved : (state.bots[0] || {}).id;
      sel.value = state.bot;
      $('login').hidden = true;
      $('app').hidden = false;
      $('user').hidden = false;
      $('token').value = '';
      showBotInfo();
      selectTab('import', !quiet);
    }).catch(function (e) {
      if (quiet) { showLogin(''); return; }
      showLogin(e.status === 401 ? 'トークンが正しくありません。管理者から受け取ったトークンを確かめてください。'
        : e.status === 403 ? e.message : e.message);
    });
  }

  function currentBot() {
    return state.bots.filter(function (b) { return b.id === state.bot; })[0];
  }

  function showBotInfo() {
    var b = currentBot();
    if (!b) return;
    $('bot-info').textContent = (b.internal ? '職員向け' : '住民向け') + 'ボット「' + b.name + '」: Q&A ' +
      fmtNum(b.n_qa) + '件（版 ' + b.active_version + '）' + (b.previous_version ? '' : '・戻せる以前の版はありません');
    $('rollback').disabled = !b.previous_version;
  }

  /* Re-reads the bots after a change (counts, versions). */
  function refreshBots() {
    return api('GET', '/me').then(function (r) {
      state.bots = r.json.bots;
      showBotInfo();
    }).catch(function () { /* shown elsewhere */ });
  }

  /* ---------- tabs ---------- */

  var TABS = ['import', 'unanswered', 'stats', 'flows'];

  function selectTab(name, focus) {
    TABS.forEach(function (t) {
      var on = t === name;
      var tab = $('tab-' + t);
      tab.setAttribute('aria-selected', on ? 'true' : 'false');
      tab.tabIndex = on ? 0 : -1;
      $('panel-' + t).hidden = !on;
      if (on && focus) tab.focus();
    });
    if (name === 'unanswered') loadUnanswered();
    if (name === 'stats') loadStats();
    if (name === 'flows') loadFlows();
  }

  function tabKeys(ev) {
    var i = TABS.indexOf(ev.target.id.replace('tab-', ''));
    var n = -1;
    if (ev.key === 'ArrowRight') n = (i + 1) % TABS.length;
    else if (ev.key === 'ArrowLeft') n = (i + TABS.length - 1) % TABS.length;
    else if (ev.key === 'Home') n = 0;
    else if (ev.key === 'End') n = TABS.length - 1;
    if (n < 0) return;
    ev.preventDefault();
    selectTab(TABS[n], true);
  }

  /* ---------- problems and changes ---------- */

  /* Japanese for the importer's messages (the English original is kept
   * next to it for support). */
  var JA = [
    [/^required cell is empty$/, function () { return '必須の項目が空です。'; }],
    [/^duplicate id '(.*)' \(first used in row (\d+)\)$/, function (m) { return 'ID「' + m[1] + '」が重複しています（最初は' + m[2] + '行目）。'; }],
    [/^cell is too long \((\d+) characters, at most (\d+)\)$/, function (m) { return '長すぎます（' + m[1] + '文字。' + m[2] + '文字まで）。'; }],
    [/^invalid text encoding/, function () { return '文字化けしています。UTF-8 または Shift_JIS で保存し直してください。'; }],
    [/^flow id '(.*)' may only contain/, function (m) { return 'フローID「' + m[1] + '」に使えない文字があります（半角の英小文字・数字・-・_ のみ）。'; }],
    [/^required column '(.*)' \((.*)\) is missing from the header row$/, function (m) { return '必須の列「' + m[2] + '」が1行目の見出しにありません。'; }],
    [/^column appears twice in the header$/, function () { return '同じ列が見出しに2回あります。'; }],
    [/^no Q&A rows below the header$/, function () { return '見出しの下にQ&Aの行がありません。'; }],
    [/^the file is empty/, function () { return 'ファイルが空です。'; }],
    [/^too many rows/, function () { return '行が多すぎます。'; }],
    [/^header in column (\d+) is not valid text/, function (m) { return m[1] + '列目の見出しが文字化けしています。'; }],
    [/^the same question as row (\d+)/, function (m) { return '同じ質問が' + m[1] + '行目にもあります。チャットではどちらか一方しか見つかりません（1つにまとめるか、言い回しを変えてください）。'; }]
  ];

  function japanese(msg) {
    for (var i = 0; i < JA.length; i++) {
      var m = JA[i][0].exec(msg);
      if (m) return JA[i][1](m);
    }
    return null;
  }

  function problemTable(problems, flow, noun) {
    var head = flow ? ['ファイル', '行', '場所', '内容'] : ['行', '列', '内容'];
    var tbody = el('tbody');
    problems.forEach(function (p) {
      var ja = japanese(p.message);
      var what = el('td', null, [ja || p.message, ja ? el('span', { 'class': 'en' }, p.message) : null]);
      var cells = flow
        ? [el('td', null, p.file), el('td', null, p.line ? String(p.line) : '—'),
          el('td', null, [p.flow ? 'フロー ' + p.flow : '', p.node ? ' / ' + p.node : '']), what]
        : [el('td', null, p.row ? p.row + '行目' : 'ファイル全体'), el('td', null, p.column || '—'), what];
      tbody.appendChild(el('tr', null, cells));
    });
    return el('table', { 'class': 'table table--problems' }, [
      el('caption', null, problems.length + '件の' + (noun || '問題')),
      el('thead', null, el('tr', null, head.map(function (h) { return el('th', { scope: 'col' }, h); }))),
      tbody
    ]);
  }

  function idList(title, ids, cls) {
    if (!ids.length) return null;
    var shown = ids.slice(0, 200);
    return el('details', { 'class': 'changes ' + cls }, [
      el('summary', null, title + ' ' + ids.length + '件'),
      el('p', { 'class': 'ids' }, shown.join('、') + (ids.length > shown.length ? ' ほか' : ''))
    ]);
  }

  function changesView(j, applied) {
    var c = j.changes;
    var none = !c.added.length && !c.updated.length && !c.removed.length;
    var warnings = j.warnings || [];
    return el('div', { 'class': 'msg ' + (applied ? 'msg--ok' : 'msg--info') }, [
      el('p', { 'class': 'lead' }, applied
        ? '反映しました。Q&A ' + fmtNum(j.rows) + '件（版 ' + j.version + '）がチャットで使われています。'
        : '問題はありません。Q&A ' + fmtNum(j.rows) + '件。' + (none ? '内容は今と同じです。' : '反映すると次のように変わります。')),
      j.header_row > 1 ? el('p', { 'class': 'note' }, '見出しは' + j.header_row + '行目として読みました（それより上の行は読み飛ばしています）。') : null,
      j.html_cells > 0 ? el('p', { 'class': 'note' }, 'HTMLのタグを含むセルが' + fmtNum(j.html_cells) + '件あり、画面に見える文字だけにして取り込みます。') : null,
      warnings.length ? problemTable(warnings, false, '注意（取り込みはできます）') : null,
      idList('追加', c.added, 'changes--added'),
      idList('更新', c.updated, 'changes--updated'),
      idList('削除', c.removed, 'changes--removed')
    ]);
  }

  function errorView(e) {
    return el('p', { 'class': 'msg msg--error', role: 'alert' }, e.message);
  }

  /* ---------- spreadsheet upload ---------- */

  function fileType(name) {
    var m = /\.([a-z]+)$/i.exec(name || '');
    return (m && TYPES[m[1].toLowerCase()]) || 'application/octet-stream';
  }

  function readFile(f) {
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      r.onload = function () { resolve(r.result); };
      r.onerror = function () { reject(new ApiError(0, { error: { message: 'ファイルを読み込めませんでした。' } })); };
      r.readAsArrayBuffer(f);
    });
  }

  function sendUpload(dry) {
    var u = state.upload;
    var q = '?filename=' + encodeURIComponent(u.name) + (dry ? '&dry_run=1' : '');
    return api('POST', botPath('/import' + q), { body: u.data, type: fileType(u.name), accept: [422] });
  }

  function checkUpload(ev) {
    ev.preventDefault();
    var f = $('file').files[0];
    var out = clear($('preview'));
    $('apply').hidden = true;
    if (!f) {
      out.appendChild(el('p', { 'class': 'msg msg--error', role: 'alert' }, 'ファイルを選んでください。'));
      return;
    }
    out.appendChild(el('p', { 'class': 'status' }, '確認しています…'));
    readFile(f).then(function (data) {
      state.upload = { name: f.name, data: data, bot: state.bot };
      return sendUpload(true);
    }).then(function (r) {
      clear(out);
      if (r.status === 422) {
        out.appendChild(el('p', { 'class': 'msg msg--error', role: 'alert' },
          'このファイルは取り込めません。次の問題を直してから、もう一度確認してください。ナレッジは変更されていません。'));
        out.appendChild(problemTable(r.json.problems, false));
        return;
      }
      out.appendChild(changesView(r.json, false));
      $('apply').hidden = false;
    }).catch(function (e) {
      clear(out).appendChild(errorView(e));
    });
  }

  function applyUpload() {
    var out = $('preview');
    if (!state.upload || state.upload.bot !== state.bot) return;
    $('apply').hidden = true;
    sendUpload(false).then(function (r) {
      clear(out);
      if (r.status === 422) {
        out.appendChild(problemTable(r.json.problems, false));
        return;
      }
      out.appendChild(changesView(r.json, true));
      state.upload = null;
      $('file').value = '';
      return refreshBots();
    }).catch(function (e) {
      clear(out).appendChild(errorView(e));
    });
  }

  function rollback() {
    if (!window.confirm('ひとつ前の版に戻します。よろしいですか？')) return;
    var out = $('rollback-result');
    api('POST', botPath('/rollback'), {}).then(function (r) {
      out.className = 'msg msg--ok';
      out.textContent = '版 ' + r.json.active_version + ' に戻しました（Q&A ' + fmtNum(r.json.n_qa) + '件）。';
      return refreshBots();
    }).catch(function (e) {
      out.className = 'msg msg--error';
      out.textContent = e.message;
    });
  }

  /* ---------- downloads ---------- */

  function download(ev) {
    var b = ev.target.closest('[data-download]');
    if (!b) return;
    var kind = b.getAttribute('data-download');
    var fmt = b.getAttribute('data-format');
    var path = kind === 'export' ? '/export?format=' + fmt
      : kind === 'template' ? '/template?format=' + fmt
        : '/unanswered?format=' + fmt + '&days=' + $('u-days').value + (kind === 'unanswered-kb' ? '&with_kb=1' : '');
    b.disabled = true;
    api('GET', botPath(path), { raw: true }).then(function (r) {
      var cd = r.headers.get('Content-Disposition') || '';
      var m = /filename="([^"]+)"/.exec(cd);
      var name = m ? m[1] : kind + '.' + fmt;
      return r.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = el('a', { href: url, download: name, hidden: '' });
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      });
    }).catch(function (e) {
      window.alert(e.message);
    }).then(function () { b.disabled = false; });
  }

  /* ---------- unanswered questions ---------- */

  function loadUnanswered() {
    var tbody = $('u-table').tBodies[0];
    var sum = $('u-summary');
    sum.textContent = '読み込んでいます…';
    api('GET', botPath('/unanswered?days=' + $('u-days').value)).then(function (r) {
      var j = r.json;
      clear(tbody);
      sum.textContent = j.from + ' 〜 ' + j.to + '：答えられなかった質問 ' + fmtNum(j.messages) + '件（' +
        fmtNum(j.groups_total) + 'グループ）' + (j.groups.length < j.groups_total ? '。多い順に' + j.groups.length + 'グループを表示' : '');
      if (!j.groups.length) {
        tbody.appendChild(el('tr', null, el('td', { colspan: '5' }, 'この期間に答えられなかった質問はありません。')));
        return;
      }
      j.groups.forEach(function (g) {
        var others = g.examples.slice(1).map(function (x) {
          return el('li', null, [x.text, x.count > 1 ? el('span', { 'class': 'count' }, '×' + x.count) : null]);
        });
        var near = g.closest
          ? [el('span', { 'class': 'qa-id' }, g.closest.qa_id), ' ', g.closest.question]
          : '—';
        tbody.appendChild(el('tr', null, [
          el('td', { 'class': 'num' }, fmtNum(g.count)),
          el('td', { 'class': 'question' }, g.text),
          el('td', null, others.length ? el('ul', { 'class': 'others' }, others) : '—'),
          el('td', null, near),
          el('td', { 'class': 'time' }, fmtTime(g.last_seen))
        ]));
      });
    }).catch(function (e) {
      sum.textContent = e.message;
    });
  }

  /* ---------- statistics and charts ---------- */

  function card(label, value, note) {
    return el('div', { 'class': 'card' }, [el('dt', null, label), el('dd', null, [value, note ? el('span', null, note) : null])]);
  }

  var SERIES = [
    ['answered', '回答', 'c-answered'],
    ['candidates', 'もしかして', 'c-candidates'],
    ['fallback', '該当なし', 'c-fallback'],
    ['other', 'その他（案内フローなど）', 'c-other']
  ];

  /* A chart frame: width w, plot area inside margins; returns helpers. */
  function frame(w, h, label) {
    var s = svg('svg', { viewBox: '0 0 ' + w + ' ' + h, role: 'img', 'aria-label': label, 'class': 'chart-svg' });
    s.appendChild(svg('title', {}, label));
    return s;
  }

  function dayLabel(d) { return d.slice(5).replace('-', '/'); }

  /* Stacked bars of the messages per day. */
  function volumeChart(days) {
    var W = 720, H = 260, L = 44, R = 8, T = 12, B = 40;
    var max = Math.max(1, Math.max.apply(null, days.map(function (d) { return d.messages; })));
    /* A round step (1, 2, 5 x 10^k) giving at most five grid lines. */
    var step = 1;
    for (var k = 1; max / step > 5; k++) step = [1, 2, 5][k % 3] * Math.pow(10, Math.floor(k / 3));
    var top = Math.ceil(max / step) * step;
    var s = frame(W, H, '日別の質問数（回答・もしかして・該当なし・その他の積み上げ）');
    var pw = W - L - R, ph = H - T - B;
    var bw = pw / days.length;
    for (var v = 0; v <= top; v += step) {
      var y = T + ph - (v / top) * ph;
      s.appendChild(svg('line', { x1: L, x2: W - R, y1: y, y2: y, 'class': 'grid' }));
      s.appendChild(svg('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', 'class': 'axis' }, String(v)));
    }
    var every = Math.ceil(days.length / 10);
    days.forEach(function (d, i) {
      var x = L + i * bw;
      var y = T + ph;
      SERIES.forEach(function (sr) {
        var n = d[sr[0]] || 0;
        if (!n) return;
        var hgt = (n / top) * ph;
        y -= hgt;
        var r = svg('rect', { x: x + bw * 0.15, y: y, width: Math.max(1, bw * 0.7), height: hgt, 'class': sr[2] });
        r.appendChild(svg('title', {}, dayLabel(d.date) + ' ' + sr[1] + ' ' + n + '件'));
        s.appendChild(r);
      });
      if (i % every === 0 || i === days.length - 1) {
        s.appendChild(svg('text', { x: x + bw / 2, y: H - B + 16, 'text-anchor': 'middle', 'class': 'axis' }, dayLabel(d.date)));
      }
    });
    s.appendChild(svg('line', { x1: L, x2: W - R, y1: T + ph, y2: T + ph, 'class': 'base' }));
    return s;
  }

  /* Line of the answered share per day (days without messages: no point). */
  function shareChart(days) {
    var W = 720, H = 220, L = 44, R = 8, T = 12, B = 40;
    var s = frame(W, H, '日別の回答できた割合（%）');
    var pw = W - L - R, ph = H - T - B;
    var bw = pw / days.length;
    [0, 25, 50, 75, 100].forEach(function (v) {
      var y = T + ph - (v / 100) * ph;
      s.appendChild(svg('line', { x1: L, x2: W - R, y1: y, y2: y, 'class': 'grid' }));
      s.appendChild(svg('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', 'class': 'axis' }, v + '%'));
    });
    var every = Math.ceil(days.length / 10);
    var path = '';
    var pen = false;
    days.forEach(function (d, i) {
      var x = L + i * bw + bw / 2;
      if (i % every === 0 || i === days.length - 1) {
        s.appendChild(svg('text', { x: x, y: H - B + 16, 'text-anchor': 'middle', 'class': 'axis' }, dayLabel(d.date)));
      }
      if (!d.messages) { pen = false; return; }
      var y = T + ph - d.answered_share * ph;
      path += (pen ? ' L' : ' M') + x.toFixed(1) + ' ' + y.toFixed(1);
      pen = true;
      var c = svg('circle', { cx: x, cy: y, r: 3.5, 'class': 'point' });
      c.appendChild(svg('title', {}, dayLabel(d.date) + ' ' + fmtPct(d.answered_share) + '（' + d.answered + '/' + d.messages + '件）'));
      s.appendChild(c);
    });
    if (path) s.insertBefore(svg('path', { d: path.trim(), 'class': 'line' }), s.querySelector('circle'));
    return s;
  }

  function legend() {
    return el('ul', { 'class': 'legend' }, SERIES.map(function (sr) {
      var sw = svg('svg', { width: 12, height: 12, 'aria-hidden': 'true' });
      sw.appendChild(svg('rect', { width: 12, height: 12, 'class': sr[2] }));
      return el('li', null, [sw, ' ' + sr[1]]);
    }));
  }

  /* The same numbers as a table, for screen readers and copying. */
  function dataTable(days) {
    var tbody = el('tbody');
    days.forEach(function (d) {
      tbody.appendChild(el('tr', null, [el('th', { scope: 'row' }, d.date), el('td', null, String(d.messages)),
        el('td', null, String(d.answered)), el('td', null, String(d.candidates)), el('td', null, String(d.fallback)),
        el('td', null, d.messages ? fmtPct(d.answered_share) : '—')]));
    });
    return el('details', { 'class': 'data' }, [el('summary', null, '表で見る'), el('table', { 'class': 'table' }, [
      el('thead', null, el('tr', null, ['日付', '質問', '回答', 'もしかして', '該当なし', '回答できた割合'].map(function (h) {
        return el('th', { scope: 'col' }, h);
      }))), tbody])]);
  }

  function feedbackBar(h, n) {
    var t = h + n;
    var s = svg('svg', { width: 120, height: 14, viewBox: '0 0 120 14', role: 'img',
      'aria-label': '役に立った ' + (t ? Math.round(h * 100 / t) : 0) + '%' });
    s.appendChild(svg('rect', { x: 0, y: 0, width: 120, height: 14, 'class': 'c-bad' }));
    if (t) s.appendChild(svg('rect', { x: 0, y: 0, width: (120 * h) / t, height: 14, 'class': 'c-good' }));
    return s;
  }

  function loadStats() {
    var cards = $('s-cards');
    clear(cards).appendChild(el('div', { 'class': 'status' }, '読み込んでいます…'));
    api('GET', botPath('/stats?days=' + $('s-days').value)).then(function (r) {
      var j = r.json;
      var t = j.totals;
      clear(cards);
      append(cards, [
        card('会話', fmtNum(t.conversations) + '件'),
        card('質問', fmtNum(t.messages) + '件', j.from + ' 〜 ' + j.to),
        card('回答できた', fmtPct(t.answered_share), fmtNum(t.answered) + '件'),
        card('もしかして', fmtPct(t.candidates_share), fmtNum(t.candidates) + '件'),
        card('該当なし', fmtPct(t.fallback_share), fmtNum(t.fallback) + '件')
      ]);
      append(clear($('c-volume')), [volumeChart(j.per_day), legend(), dataTable(j.per_day)]);
      append(clear($('c-share')), shareChart(j.per_day));
      var top = clear($('s-top').tBodies[0]);
      j.top_qa.forEach(function (q) {
        top.appendChild(el('tr', null, [el('td', { 'class': 'qa-id' }, q.qa_id), el('td', null, q.question || '（削除されたQ&A）'),
          el('td', { 'class': 'num' }, fmtNum(q.count))]));
      });
      if (!j.top_qa.length) top.appendChild(el('tr', null, el('td', { colspan: '3' }, 'この期間の回答はありません。')));
      var fb = clear($('s-feedback').tBodies[0]);
      j.feedback.forEach(function (f) {
        fb.appendChild(el('tr', null, [el('td', { 'class': 'qa-id' }, f.qa_id), el('td', null, f.question || '（削除されたQ&A）'),
          el('td', { 'class': 'num' }, fmtNum(f.helpful)), el('td', { 'class': 'num' }, fmtNum(f.not_helpful)),
          el('td', null, feedbackBar(f.helpful, f.not_helpful))]));
      });
      if (!j.feedback.length) fb.appendChild(el('tr', null, el('td', { colspan: '5' }, 'この期間の評価はありません。')));
    }).catch(function (e) {
      clear(cards).appendChild(el('div', { 'class': 'msg msg--error' }, e.message));
    });
  }

  /* ---------- flows ---------- */

  function loadFlows() {
    api('GET', botPath('/flows')).then(function (r) {
      var files = r.json.files;
      $('f-current').textContent = files.length
        ? '使われているフローのファイル: ' + files.map(function (f) { return f.name; }).join('、')
        : 'このボットにはまだフローがありません。';
    }).catch(function (e) { $('f-current').textContent = e.message; });
  }

  function sendFlow(dry) {
    var u = state.flow;
    return api('POST', botPath('/flows?filename=' + encodeURIComponent(u.name) + (dry ? '&dry_run=1' : '')),
      { body: u.data, type: 'application/yaml', accept: [422] });
  }

  function checkFlow(ev) {
    ev.preventDefault();
    var f = $('flow-file').files[0];
    var out = clear($('f-preview'));
    $('f-apply').hidden = true;
    if (!f) {
      out.appendChild(el('p', { 'class': 'msg msg--error', role: 'alert' }, 'ファイルを選んでください。'));
      return;
    }
    readFile(f).then(function (data) {
      state.flow = { name: f.name, data: data, bot: state.bot };
      return sendFlow(true);
    }).then(function (r) {
      clear(out);
      if (r.status === 422) {
        out.appendChild(el('p', { 'class': 'msg msg--error', role: 'alert' }, 'このファイルは取り込めません。次の問題を直してください。'));
        out.appendChild(problemTable(r.json.problems, true));
        return;
      }
      out.appendChild(el('p', { 'class': 'msg msg--info' }, '問題はありません。フロー ' + r.json.flows + '件（質問と案内 ' + r.json.nodes + '件）。'));
      $('f-apply').hidden = false;
    }).catch(function (e) { clear(out).appendChild(errorView(e)); });
  }

  function applyFlow() {
    if (!state.flow || state.flow.bot !== state.bot) return;
    $('f-apply').hidden = true;
    sendFlow(false).then(function (r) {
      var out = clear($('f-preview'));
      if (r.status === 422) { out.appendChild(problemTable(r.json.problems, true)); return; }
      out.appendChild(el('p', { 'class': 'msg msg--ok' }, '反映しました。フロー ' + r.json.flows + '件が使われています。'));
      state.flow = null;
      $('flow-file').value = '';
      loadFlows();
    }).catch(function (e) { clear($('f-preview')).appendChild(errorView(e)); });
  }

  function rollbackFlows() {
    if (!window.confirm('ひとつ前のフローに戻します。よろしいですか？')) return;
    var out = $('f-result');
    api('POST', botPath('/flows/rollback'), {}).then(function () {
      out.className = 'msg msg--ok';
      out.textContent = 'ひとつ前のフローに戻しました。';
      loadFlows();
    }).catch(function (e) {
      out.className = 'msg msg--error';
      out.textContent = e.message;
    });
  }

  /* ---------- start ---------- */

  function init() {
    $('login-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var t = $('token').value.trim();
      if (!t) { $('login-error').textContent = 'トークンを入力してください。'; return; }
      login(t, false);
    });
    $('logout').addEventListener('click', function () { logout('ログアウトしました。'); });
    $('bot').addEventListener('change', function () {
      state.bot = $('bot').value;
      try { sessionStorage.setItem(BOT_KEY, state.bot); } catch (e) { /* storage off */ }
      state.upload = null;
      state.flow = null;
      $('apply').hidden = true;
      $('f-apply').hidden = true;
      clear($('preview'));
      clear($('f-preview'));
      showBotInfo();
      var cur = TABS.filter(function (t) { return $('tab-' + t).getAttribute('aria-selected') === 'true'; })[0];
      selectTab(cur, false);
    });
    TABS.forEach(function (t) {
      $('tab-' + t).addEventListener('click', function () { selectTab(t, false); });
      $('tab-' + t).addEventListener('keydown', tabKeys);
    });
    $('import-form').addEventListener('submit', checkUpload);
    $('file').addEventListener('change', function () { $('apply').hidden = true; clear($('preview')); });
    $('apply').addEventListener('click', applyUpload);
    $('rollback').addEventListener('click', rollback);
    document.addEventListener('click', download);
    $('u-reload').addEventListener('click', loadUnanswered);
    $('u-days').addEventListener('change', loadUnanswered);
    $('s-reload').addEventListener('click', loadStats);
    $('s-days').addEventListener('change', loadStats);
    $('flow-form').addEventListener('submit', checkFlow);
    $('flow-file').addEventListener('change', function () { $('f-apply').hidden = true; clear($('f-preview')); });
    $('f-apply').addEventListener('click', applyFlow);
    $('f-rollback').addEventListener('click', rollbackFlows);
    var saved = null;
    try { saved = sessionStorage.getItem(TOKEN_KEY); } catch (e) { saved = null; }
    if (saved) login(saved, true);
    else showLogin('');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
