/* madoguchi widget: the chat window on the prefecture's pages.
 *   <script src="https://SERVER/widget.js" data-bot="resident" defer></script>
 * Options (data-*) in web/README.md. Server and user text goes in as text,
 * never HTML; links are https/http/tel only; no inline script or style
 * (the page CSP forbids them); no request to any host but the API's. */
(function () {
	'use strict';

	const el = (tag, cls, text) => {
		const e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text != null) e.textContent = String(text);
		return e;
	};
	const add = (p, ...kids) => {
		for (const k of kids) if (k) p.appendChild(k);
		return p;
	};
	const btn = (cls, label, fn) => {
		const b = el('button', cls, label);
		b.type = 'button';
		b.addEventListener('click', fn);
		return b;
	};
	const txt = (t) => document.createTextNode(t);
	const str = (v) => (v == null ? '' : String(v));
	const arr = (v) => (Array.isArray(v) ? v.filter(Boolean) : []);
	const attr = (e, o) => {
		for (const k in o) e.setAttribute(k, o[k]);
		return e;
	};

	function safeUrl(u) {
		try {
			const x = new URL(str(u));
			return /^(https?|tel):$/.test(x.protocol) ? x.href : null;
		} catch (e) {
			return null;
		}
	}
	function link(label, url) {
		const href = safeUrl(url);
		if (!href) return el('span', null, label);
		const a = el('a', 'mdg-link', label || href);
		a.href = href;
		if (!href.startsWith('tel:')) {
			a.target = '_blank';
			a.rel = 'noopener noreferrer';
			add(a, el('span', 'mdg-sr', '（新しいタブで開きます）'));
		}
		return a;
	}
	function tel(number, cls) {
		const n = str(number).replace(/[^0-9#+*]/g, '');
		const a = el(n ? 'a' : 'span', cls || 'mdg-link', number);
		if (n) a.href = 'tel:' + n.replace(/#/g, '%23');
		return a;
	}
	function links(list) {
		const ul = el('ul', 'mdg-links');
		for (const l of arr(list)) add(ul, add(el('li'), link(str(l.label) || str(l.url), l.url)));
		return ul.firstChild ? ul : null;
	}

	/* Text with phone numbers as tel: links (000-0000-0000, #7119, 119番).
	 * No lookbehind: older Safari would reject the whole script. */
	const PHONE = /(0\d{1,4}-\d{1,4}-\d{3,4}|#\d{4})|(^|[^\d#])(11[09])(?=番)/g;
	function rich(p, text) {
		text = str(text);
		let last = 0, m;
		PHONE.lastIndex = 0;
		while ((m = PHONE.exec(text))) {
			const num = m[1] || m[3], at = m.index + (m[1] ? 0 : m[2].length);
			add(p, txt(text.slice(last, at)), tel(num));
			last = at + num.length;
		}
		return add(p, txt(text.slice(last)));
	}
	const para = (text, cls) => (text ? rich(el('p', 'mdg-text ' + (cls || '')), text) : null);

	function icon(d) {
		const ns = 'http://www.w3.org/2000/svg';
		const s = attr(document.createElementNS(ns, 'svg'),
			{ viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false', class: 'mdg-icon' });
		return add(s, attr(document.createElementNS(ns, 'path'), { d: d }));
	}

	function widget(script) {
		const d = script.dataset;
		const bot = d.bot || 'resident', page = d.mode === 'page', mode = page ? 'page' : 'launcher';
		let base = d.api || new URL('.', script.src).href;
		if (!base.endsWith('/')) base += '/';
		const skey = 'madoguchi:' + bot + ':' + mode;
		const GREETING = d.greeting || 'こんにちは。ご質問を入力してください。';
		let S = load(), busy = false, errBox = null, gen = 0;

		/* ---- the DOM, in a shadow root so page styles cannot break it ---- */
		const host = attr(el('div', 'madoguchi-host'), { 'data-madoguchi-bot': bot, 'data-madoguchi-mode': mode });
		const target = d.target && document.querySelector(d.target);
		if (target) target.appendChild(host);
		else if (page) script.after(host);
		else document.body.appendChild(host);
		const root = host.attachShadow({ mode: 'open' });
		const css = el('link');
		css.rel = 'stylesheet';
		css.href = new URL('widget.css', script.src).href;
		const box = el('div', 'mdg mdg--' + mode);
		box.hidden = true; /* until the stylesheet is there: no unstyled flash */
		css.onload = css.onerror = () => { box.hidden = false; };
		add(root, css, box);

		const title = el('h2', 'mdg-title', d.title || (S.meta && S.meta.name) || 'AIチャット窓口');
		title.id = 'mdg-title';
		const head = add(el('div', 'mdg-head'), title, btn('mdg-hbtn', '最初から', restart));
		const panel = attr(el('section', 'mdg-panel'), { id: 'mdg-panel', role: page ? 'region' : 'dialog', 'aria-labelledby': 'mdg-title' });
		const log = attr(el('div', 'mdg-log'), { role: 'log', 'aria-live': 'polite', 'aria-label': '会話' });
		log.tabIndex = 0; /* scrollable by keyboard */
		const input = attr(el('textarea', 'mdg-input'), { id: 'mdg-input', rows: 1, maxlength: 1000, enterkeyhint: 'send', placeholder: '質問を入力してください' });
		const label = el('label', 'mdg-sr', '質問を入力');
		label.htmlFor = 'mdg-input';
		const form = add(el('form', 'mdg-form'), label, input, el('button', 'mdg-send', '送信'));
		add(panel, head, log, form, el('p', 'mdg-note', '自動応答です。氏名・住所・電話番号などの個人情報は入力しないでください。'));
		let launcher = null;
		if (!page) {
			const x = add(btn('mdg-hbtn', null, close), icon('M6 6l12 12M18 6L6 18'));
			x.setAttribute('aria-label', '閉じる');
			add(head, x);
			launcher = attr(btn('mdg-launcher', null, () => (panel.hidden ? open(true) : close())),
				{ 'aria-expanded': 'false', 'aria-controls': 'mdg-panel' });
			add(launcher, icon('M4 5h16v11H9l-5 4z'), el('span', null, d.label || 'AIに質問する'));
			panel.hidden = true;
			panel.addEventListener('keydown', (e) => {
				if (e.key === 'Escape') {
					e.preventDefault();
					close();
				}
			});
		}
		add(box, panel, launcher);
		input.addEventListener('keydown', (e) => {
			/* Enter sends, Shift+Enter is a new line; the Enter that confirms
			 * an IME conversion (isComposing / keyCode 229) must not send. */
			if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
				e.preventDefault();
				submit();
			}
		});
		form.addEventListener('submit', (e) => {
			e.preventDefault();
			submit();
		});

		/* ---- sessionStorage: {state, log, open, meta}, per tab ---- */
		function load() {
			try {
				const s = JSON.parse(sessionStorage.getItem(skey));
				if (s && Array.isArray(s.log)) return s;
			} catch (e) { /* storage disabled or corrupt: start fresh */ }
			return { state: null, log: [], open: false };
		}
		function save() {
			if (S.log.length > 80) S.log = S.log.slice(-80);
			try {
				sessionStorage.setItem(skey, JSON.stringify(S));
			} catch (e) { /* full or disabled: the conversation lives on in memory */ }
		}

		function open(focus) {
			panel.hidden = false;
			if (launcher) {
				launcher.setAttribute('aria-expanded', 'true');
				box.classList.add('mdg--open');
				S.open = true;
				save();
			}
			log.scrollTop = log.scrollHeight;
			if (focus) input.focus();
		}
		function close() {
			if (!launcher) return;
			panel.hidden = true;
			launcher.setAttribute('aria-expanded', 'false');
			box.classList.remove('mdg--open');
			S.open = false;
			save();
			launcher.focus();
		}
		function restart() {
			gen++; /* a reply still on its way belongs to the old conversation */
			busy = false;
			S.state = null;
			S.log = [];
			clearError();
			log.textContent = '';
			greet();
			input.focus();
		}
		function greet() {
			const m = S.meta || {};
			push({ t: 'b', r: { type: 'greeting', text: m.greeting || GREETING, suggestions: m.suggestions } });
		}
		/* Name, greeting and suggestions of public bots; internal bots are
		 * not listed and keep data-title / data-greeting. */
		function fetchMeta() {
			api('v1/bots').then((r) => {
				const b = arr(r.data && r.data.bots).find((x) => x.id === bot);
				if (b) {
					S.meta = { name: str(b.name), greeting: d.greeting || str(b.greeting), suggestions: arr(b.suggestions).map(str) };
					if (!d.title && b.name) title.textContent = b.name;
				}
				if (!S.log.length) greet();
			});
		}

		/* ---- the conversation ---- */
		function push(entry) {
			S.log.push(entry);
			save();
			const node = render(entry, true);
			/* Only the newest message's options stay active: the server
			 * accepts choices offered at the current position only. */
			for (const b of log.querySelectorAll('.mdg-opts button')) b.disabled = true;
			log.appendChild(node);
			/* A bot reply is shown from its top: long answers are read from
			 * the beginning. */
			if (entry.t === 'b' && node.offsetHeight > log.clientHeight - 16) log.scrollTop = node.offsetTop - 8;
			else log.scrollTop = log.scrollHeight;
			return node;
		}
		function render(e, active) {
			if (e.t === 'n') return add(el('div', 'mdg-notice'), el('p', null, e.text));
			const user = e.t === 'u';
			const m = el('div', 'mdg-msg mdg-msg--' + (user ? 'user' : 'bot'));
			add(m, el('span', 'mdg-sr', user ? 'あなた：' : '窓口：'));
			if (user) return add(m, el('p', 'mdg-bubble', e.text));
			const r = e.r || {};
			if (/^(emergency|triage_result|handoff)$/.test(r.type)) m.classList.add('mdg-msg--wide');
			return add(m, reply(r, active, e));
		}

		/* One reply, by type; an unknown type still shows its text. */
		function reply(r, active, entry) {
			const type = str(r.type);
			let b;
			if (type === 'emergency') b = emergency(r);
			else if (type === 'triage_result') b = triage(r);
			else if (type === 'handoff') b = handoff(r);
			else b = add(el('div', 'mdg-bubble'), r.title || r.question ? el('p', 'mdg-atitle', r.title || r.question) : null,
				para(r.intro), para(r.text, type === 'flow' ? 'mdg-ask' : ''));
			if (type === 'answer' || type === 'flow') {
				add(b, links(r.links));
				if (r.contact || r.department) {
					const c = add(el('p', 'mdg-contact'), el('span', 'mdg-clabel', 'お問い合わせ'));
					if (r.department && !str(r.contact).startsWith(r.department))
						add(c, txt(r.department + (r.contact ? '　' : '')));
					add(b, rich(c, r.contact));
				}
			}
			if (type === 'fallback') add(b, departments(arr(r.departments)));
			let opts = arr(r.options).map((o) => ({ choice: str(o.id), label: str(o.label) || str(o.id), nav: /^(back|restart|quit)$/.test(o.kind) }));
			if (type === 'greeting') opts = arr(r.suggestions).map((s) => ({ message: s, label: s }));
			if (opts.length) {
				const g = attr(el('div', 'mdg-opts' + (type === 'candidates' ? ' mdg-opts--list' : '')),
					{ role: 'group', 'aria-label': type === 'greeting' ? '質問の例' : '選択肢' });
				for (const o of opts) {
					const ob = btn('mdg-opt' + (o.nav || o.choice === 'none' ? ' mdg-opt--nav' : ''), o.label, () =>
						send(o.message ? { message: o.message } : { choice: o.choice, label: o.label }, false));
					ob.disabled = !active;
					add(g, ob);
				}
				add(b, g);
			}
			if (type === 'answer' && r.qa_id) add(b, feedback(r, entry));
			return b;
		}

		function departments(deps) {
			const ul = el('ul', 'mdg-deps');
			for (const x of deps) {
				const p = el('p', 'mdg-dphone');
				if (x.phone) add(p, el('span', 'mdg-sr', '電話 '), tel(x.phone, 'mdg-tel'));
				add(p, x.hours && el('span', 'mdg-hours', x.hours));
				add(ul, add(el('li'), el('p', 'mdg-dname', x.name), x.handles && el('p', 'mdg-dhandles', x.handles), p));
			}
			return ul.firstChild ? ul : null;
		}
		/* Big call buttons; 119 is red when the level is 1-2. */
		function calls(phones, level) {
			const g = el('div', 'mdg-calls');
			for (const p of phones) {
				const num = str(p.number);
				if (!num) continue;
				const a = tel(num, 'mdg-call' + (num === '119' ? (level <= 2 ? ' mdg-call--119' : ' mdg-call--119o') : ''));
				a.textContent = '';
				add(g, add(a, el('span', 'mdg-callnum', num), el('span', 'mdg-calllabel', p.label)));
			}
			return g.firstChild ? g : null;
		}
		const P119 = { number: '119', label: '救急車を呼ぶ' }, P7119 = { number: '#7119', label: '救急安心センターに相談' };

		const lvOf = (u) => Math.min(5, Math.max(1, parseInt(u.level, 10) || 5));
		const level = (u) => '緊急度 ' + lvOf(u) + (u.color_name ? '（' + u.color_name + '）' : '');
		function triage(r) {
			const u = r.urgency || {}, lv = lvOf(u);
			const card = attr(el('div', 'mdg-card mdg-triage mdg-lv' + lv), { role: 'group', 'aria-label': '緊急度の判定結果' });
			add(card, add(el('div', 'mdg-tri-head'),
				el('p', 'mdg-tri-level', level(u)),
				el('p', 'mdg-tri-label', u.label)));
			/* The call buttons come right after the verdict, before the
			 * longer advice: on a phone they must not be below the fold. */
			const phones = arr(r.phones);
			const body = add(el('div', 'mdg-tri-body'), para(r.text),
				calls(phones.length ? phones : lv <= 2 ? [P119, P7119] : [P7119, P119], lv));
			if (r.advice) add(body, el('h3', 'mdg-h', '自宅でできること'), para(r.advice));
			const care = r.care || {}, cl = links(care.links);
			if (care.text || cl) add(body, el('h3', 'mdg-h', '受診できる医療機関の探し方'), para(care.text), cl);
			return add(card, body);
		}
		function emergency(r) {
			const card = attr(el('div', 'mdg-card mdg-emergency'), { role: 'alert' });
			/* First line, the 119 button, then the rest (how to call, CPR). */
			const t = str(r.text || '今すぐ119番に電話してください。'), nl = t.indexOf('\n');
			const phones = arr(r.phones), flags = arr(r.flags).map((f) => str(f.label || f)).filter(Boolean);
			return add(card, el('p', 'mdg-em-head', '緊急'), para(nl < 0 ? t : t.slice(0, nl), 'mdg-em-text'),
				calls(phones.length ? phones : [P119], 1), nl < 0 ? null : para(t.slice(nl + 1)),
				flags.length ? el('p', null, '気になる症状：' + flags.join('、')) : null);
		}
		function handoff(r) {
			/* The summary is what the caller reads out to the consultant. */
			const card = add(el('div', 'mdg-card mdg-handoff'), para(r.text), calls(arr(r.phones), r.urgency ? lvOf(r.urgency) : 3));
			if (r.summary) return add(card, para(r.summary, 'mdg-summary'));
			const dl = el('dl', 'mdg-summary');
			for (const s of arr(r.answers)) add(dl, el('dt', null, s.question), el('dd', null, s.answer));
			return add(card, dl.firstChild && dl);
		}

		function feedback(r, entry) {
			const g = el('div', 'mdg-fb');
			const thanks = () => el('p', 'mdg-fb-done', 'ご協力ありがとうございました。');
			if (entry.fb != null) return add(g, thanks());
			attr(g, { role: 'group', 'aria-label': 'この回答は役に立ちましたか' });
			const vote = (helpful) => {
				if (g.dataset.busy) return;
				g.dataset.busy = '1';
				api('v1/bots/' + encodeURIComponent(bot) + '/feedback', { state: entry.state, qa_id: str(r.qa_id), helpful: helpful }).then((res) => {
					delete g.dataset.busy;
					if (res.status === 200) {
						entry.fb = helpful;
						save();
						const t = thanks();
						t.tabIndex = -1;
						g.textContent = '';
						g.removeAttribute('role');
						add(g, t);
						t.focus();
					} else if (!g.querySelector('.mdg-fb-err')) {
						add(g, el('p', 'mdg-fb-err', '送信できませんでした。'));
					}
				});
			};
			return add(g, el('p', 'mdg-fb-q', 'この回答は役に立ちましたか？'),
				btn('mdg-fbbtn', '役に立った', () => vote(true)), btn('mdg-fbbtn', '役に立たなかった', () => vote(false)));
		}

		/* ---- the API ---- */
		/* The staff key is read on every request, so a portal may replace it. */
		function apiKey() {
			const f = d.apiKeyFrom;
			if (!f) return '';
			try {
				const m = /^(session|local)Storage:(.+)$/.exec(f);
				if (m) return str(window[m[1] + 'Storage'].getItem(m[2]));
				if (f.startsWith('window.')) {
					const v = f.slice(7).split('.').reduce((o, k) => (o == null ? o : o[k]), window);
					return str(typeof v === 'function' ? v() : v).trim();
				}
				const e = document.querySelector(f);
				return e ? str(e.hasAttribute('content') ? e.content : 'value' in e ? e.value : e.textContent).trim() : '';
			} catch (e) {
				return '';
			}
		}
		/* Resolves {status, data}; status 0 = network failure or timeout. */
		function api(path, body) {
			const headers = { Accept: 'application/json' };
			if (body) headers['Content-Type'] = 'application/json';
			const k = apiKey();
			if (k) headers.Authorization = 'Bearer ' + k;
			const ctl = new AbortController(), timer = setTimeout(() => ctl.abort(), 20000);
			return fetch(base + path, {
				method: body ? 'POST' : 'GET', headers: headers, body: body && JSON.stringify(body),
				credentials: 'omit', cache: 'no-store', signal: ctl.signal
			}).then((res) => res.json().catch(() => null).then((data) => ({ status: res.status, data: data })),
				() => ({ status: 0, data: null })).finally(() => clearTimeout(timer));
		}

		function submit() {
			const text = input.value.trim();
			if (text) send({ message: text }, true);
			else input.focus();
		}
		/* Sends a message or a choice. Typed text stays in the box until the
		 * server has answered, so nothing is lost when the network fails. */
		function send(req, fromBox) {
			if (busy) return;
			busy = true;
			clearError();
			const mine = { t: 'u', text: req.message || req.label }, userNode = push(mine);
			const typing = add(attr(el('div', 'mdg-msg mdg-msg--bot mdg-typing'), { 'aria-hidden': 'true' }),
				add(el('div', 'mdg-bubble'), el('span', 'mdg-dot'), el('span', 'mdg-dot'), el('span', 'mdg-dot')));
			log.appendChild(typing);
			log.scrollTop = log.scrollHeight;
			log.setAttribute('aria-busy', 'true');
			const path = 'v1/bots/' + encodeURIComponent(bot) + '/chat';
			const body = () => Object.assign(req.message ? { message: req.message } : { choice: req.choice }, S.state ? { state: S.state } : {});
			const had = !!S.state, g = gen;
			api(path, body()).then((r) => {
				/* A state the server no longer accepts (expired, tampered, a
				 * stale choice): start over instead of failing. */
				const code = str(r.data && r.data.error && r.data.error.code);
				if (r.status === 400 && had && /state|choice/.test(code)) {
					S.state = null;
					save();
					return req.message ? api(path, body()).then((r2) => Object.assign(r2, { restarted: 1 })) : Object.assign(r, { restarted: 1 });
				}
				return r;
			}).then((r) => {
				if (g !== gen) return;
				typing.remove();
				log.removeAttribute('aria-busy');
				busy = false;
				const ok = r.status === 200 && r.data && r.data.reply;
				if (r.restarted) {
					const n = { t: 'n', text: '前回の会話は終了していたため、最初からやり直しました。' };
					S.log.splice(S.log.indexOf(mine), 0, n);
					log.insertBefore(render(n), userNode);
				}
				if (!ok) {
					/* The message goes back to the box (it is still there). */
					userNode.remove();
					S.log.splice(S.log.indexOf(mine), 1);
					save();
					const last = [...log.querySelectorAll('.mdg-msg--bot')].pop();
					if (last) for (const b of last.querySelectorAll('.mdg-opts button')) b.disabled = false;
					if (r.restarted && !req.message) return greet();
					return showError(r, () => (fromBox ? submit() : send(req, false)));
				}
				S.state = typeof r.data.state === 'string' ? r.data.state : null;
				if (fromBox && input.value.trim() === req.message) input.value = '';
				const entry = { t: 'b', r: r.data.reply };
				if (r.data.reply.qa_id) entry.state = S.state; /* for feedback */
				push(entry);
				/* A clicked option is now disabled: keep the keyboard user
				 * in the input rather than lost on the page. */
				if (!fromBox) input.focus();
			});
		}

		function showError(r, retry) {
			const s = r.status, m = r.data && r.data.error && r.data.error.message;
			let msg = '通信できませんでした。ネットワークの接続を確認して、もう一度お試しください。';
			if (s >= 400 && s < 500 && m) msg = str(m);
			else if (s === 429) msg = 'ただいま混み合っています。少し待ってからもう一度お試しください。';
			else if (s) msg = 'システムで問題が発生しました。時間をおいてもう一度お試しください。';
			errBox = add(attr(el('div', 'mdg-error'), { role: 'alert' }), el('p', null, msg),
				btn('mdg-retry', 'もう一度送る', () => {
					clearError();
					retry();
				}));
			log.appendChild(errBox);
			log.scrollTop = log.scrollHeight;
		}
		function clearError() {
			if (errBox) errBox.remove();
			errBox = null;
		}

		if (S.log.length) {
			const last = S.log.map((e) => e.t).lastIndexOf('b');
			S.log.forEach((e, i) => log.appendChild(render(e, i === last)));
		}
		if (page || S.open) open(false);
		if (!S.meta) fetchMeta();
		else if (!S.log.length) greet();
	}

	function init(s) {
		if (!s || s.hasAttribute('data-madoguchi-ready')) return;
		s.setAttribute('data-madoguchi-ready', '');
		try {
			widget(s);
		} catch (e) {
			console.error('madoguchi widget:', e);
		}
	}
	const me = document.currentScript;
	const boot = () => (me ? [me] : document.querySelectorAll('script[data-bot][src*="widget.js"]')).forEach(init);
	if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
	else boot();
})();
