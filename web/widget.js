/* madoguchi widget — the chat window residents and staff use.
 *
 * Embed with one tag (see web/README.md):
 *   <script src="https://SERVER/widget.js" data-bot="resident" defer></script>
 * Options (data-*): bot, mode ("launcher" | "page"), target (CSS selector of
 * the page-mode container), api (API base URL, default: where widget.js is),
 * api-key-from (staff bots: "meta[name=madoguchi-key]", "window.NAME",
 * "sessionStorage:NAME"), title, greeting, label.
 *
 * Rules kept throughout: every text from the server or the user goes in as
 * text (textContent / text nodes), never as HTML; links must be https:,
 * http: or tel:; no inline script or style (the page CSP forbids both); no
 * request to any host but the API's. */
(function () {
	'use strict';

	var SR_NEW_TAB = '（新しいタブで開きます）';
	var MAX_LOG = 80; /* entries kept in sessionStorage */
	var TIMEOUT = 20000;

	/* ---- small DOM helpers ---- */
	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text != null) e.textContent = String(text);
		return e;
	}
	function add(parent) {
		for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]);
		return parent;
	}
	function button(cls, label, onClick) {
		var b = el('button', cls, label);
		b.type = 'button';
		if (onClick) b.addEventListener('click', onClick);
		return b;
	}
	function str(v) {
		return typeof v === 'string' ? v : v == null ? '' : String(v);
	}
	function arr(v) {
		return Array.isArray(v) ? v : [];
	}

	/* Only absolute https:, http: and tel: links survive. */
	function safeUrl(u) {
		try {
			var x = new URL(str(u));
			return /^(https?|tel):$/.test(x.protocol) ? x.href : null;
		} catch (e) {
			return null;
		}
	}
	function telHref(number) {
		var n = str(number).replace(/[^0-9#+*]/g, '');
		return n ? 'tel:' + n.replace(/#/g, '%23') : null;
	}
	function link(label, url) {
		var href = safeUrl(url);
		if (!href) return el('span', null, label || url);
		var a = el('a', 'mdg-link', label || url);
		a.href = href;
		if (!/^tel:/.test(href)) {
			a.target = '_blank';
			a.rel = 'noopener noreferrer';
			add(a, el('span', 'mdg-sr', SR_NEW_TAB));
		}
		return a;
	}
	function telLink(number, label, cls) {
		var href = telHref(number);
		if (!href) return el('span', cls, label || number);
		var a = el('a', cls || 'mdg-link', label || number);
		a.href = href;
		return a;
	}

	/* Text with phone numbers turned into tel: links (000-0000-0000, #7119,
	 * 119番). No lookbehind: older Safari would reject the whole script. */
	var PHONE = /(0\d{1,4}-\d{1,4}-\d{3,4}|#\d{4})|(^|[^\d#])(11[09])(?=番)/g;
	function richText(parent, text) {
		text = str(text);
		var last = 0, m;
		PHONE.lastIndex = 0;
		while ((m = PHONE.exec(text))) {
			var num = m[1] || m[3];
			var start = m.index + (m[1] ? 0 : m[2].length);
			parent.appendChild(document.createTextNode(text.slice(last, start)));
			parent.appendChild(telLink(num));
			last = start + num.length;
		}
		parent.appendChild(document.createTextNode(text.slice(last)));
		return parent;
	}
	function para(text, cls) {
		return text ? richText(el('p', 'mdg-text' + (cls ? ' ' + cls : '')), text) : null;
	}

	function icon(kind) {
		var ns = 'http://www.w3.org/2000/svg';
		var s = document.createElementNS(ns, 'svg');
		s.setAttribute('viewBox', '0 0 24 24');
		s.setAttribute('aria-hidden', 'true');
		s.setAttribute('focusable', 'false');
		s.setAttribute('class', 'mdg-icon');
		var p = document.createElementNS(ns, 'path');
		p.setAttribute('d', kind === 'close' ? 'M6 6l12 12M18 6L6 18'
			: 'M4 5h16v11H9l-5 4z');
		add(s, p);
		return s;
	}

	/* ---- one widget instance per <script> tag ---- */
	function Widget(script) {
		var d = script.dataset;
		var w = this;
		w.bot = d.bot || 'resident';
		w.mode = d.mode === 'page' ? 'page' : 'launcher';
		w.base = d.api || new URL('.', script.src).href;
		if (!/\/$/.test(w.base)) w.base += '/';
		w.keyFrom = d.apiKeyFrom || '';
		w.opts = d;
		w.key = 'madoguchi:' + w.bot + ':' + w.mode;
		w.busy = false;
		w.S = w.load();

		var host = el('div', 'madoguchi-host');
		host.setAttribute('data-madoguchi-bot', w.bot);
		host.setAttribute('data-madoguchi-mode', w.mode);
		var target = d.target && document.querySelector(d.target);
		if (target) target.appendChild(host);
		else if (w.mode === 'page' || !document.body) script.parentNode.insertBefore(host, script.nextSibling);
		else document.body.appendChild(host);
		var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
		w.root = root;

		var css = el('link');
		css.rel = 'stylesheet';
		css.href = new URL('widget.css', script.src).href;
		var box = el('div', 'mdg mdg--' + w.mode);
		box.hidden = true; /* until the stylesheet is there: no unstyled flash */
		css.addEventListener('load', function () { box.hidden = false; });
		css.addEventListener('error', function () { box.hidden = false; });
		add(root, css, box);
		w.build(box);
		w.start();
	}

	Widget.prototype.build = function (box) {
		var w = this;
		var title = el('h2', 'mdg-title', w.opts.title || 'AIチャット窓口');
		title.id = 'mdg-title';
		w.title = title;
		var panel = el('section', 'mdg-panel');
		panel.id = 'mdg-panel';
		panel.setAttribute('aria-labelledby', 'mdg-title');
		var head = add(el('div', 'mdg-head'), title,
			button('mdg-hbtn mdg-restart', '最初から', function () { w.restart(); }));
		if (w.mode === 'launcher') {
			panel.setAttribute('role', 'dialog');
			var close = button('mdg-hbtn mdg-close', null, function () { w.close(); });
			close.setAttribute('aria-label', '閉じる');
			add(close, icon('close'));
			add(head, close);
			var l = button('mdg-launcher', null, function () {
				if (panel.hidden) w.open(true);
				else w.close();
			});
			l.setAttribute('aria-expanded', 'false');
			l.setAttribute('aria-controls', 'mdg-panel');
			add(l, icon('chat'), el('span', 'mdg-launcher-text', w.opts.label || 'AIに質問する'));
			w.launcher = l;
			panel.hidden = true;
			panel.addEventListener('keydown', function (e) {
				if (e.key === 'Escape' || e.key === 'Esc') {
					e.preventDefault();
					w.close();
				}
			});
		} else {
			panel.setAttribute('role', 'region');
		}

		var log = el('div', 'mdg-log');
		log.setAttribute('role', 'log');
		log.setAttribute('aria-live', 'polite');
		log.setAttribute('aria-label', '会話');
		log.tabIndex = 0; /* scrollable by keyboard */
		w.log = log;

		var form = el('form', 'mdg-form');
		form.noValidate = true;
		var label = el('label', 'mdg-sr', '質問を入力');
		label.htmlFor = 'mdg-input';
		var input = el('textarea', 'mdg-input');
		input.id = 'mdg-input';
		input.rows = 1;
		input.maxLength = 1000;
		input.placeholder = '質問を入力してください';
		input.setAttribute('enterkeyhint', 'send');
		input.addEventListener('keydown', function (e) {
			/* Enter sends; Shift+Enter is a new line; Enter that confirms an
			 * IME conversion (isComposing / keyCode 229) must not send. */
			if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
				e.preventDefault();
				w.submit();
			}
		});
		form.addEventListener('submit', function (e) {
			e.preventDefault();
			w.submit();
		});
		w.input = input;
		var send = el('button', 'mdg-send', '送信');
		send.type = 'submit';
		add(form, label, input, send);
		var note = el('p', 'mdg-note', '自動応答です。氏名・住所・電話番号などの個人情報は入力しないでください。');
		add(panel, head, log, form, note);
		w.panel = panel;
		add(box, panel, w.launcher);
	};

	/* ---- persistence: {state, log, open, meta} in sessionStorage ---- */
	Widget.prototype.load = function () {
		try {
			var s = JSON.parse(sessionStorage.getItem(this.key) || 'null');
			if (s && Array.isArray(s.log)) return s;
		} catch (e) { /* storage disabled or corrupt: start fresh */ }
		return { state: null, log: [], open: false };
	};
	Widget.prototype.save = function () {
		var S = this.S;
		if (S.log.length > MAX_LOG) S.log = S.log.slice(S.log.length - MAX_LOG);
		try {
			sessionStorage.setItem(this.key, JSON.stringify(S));
		} catch (e) { /* quota or disabled: the conversation lives on in memory */ }
	};

	Widget.prototype.start = function () {
		var w = this;
		if (w.S.meta) w.title.textContent = w.opts.title || w.S.meta.name || w.title.textContent;
		if (w.S.log.length) w.renderAll();
		if (w.mode === 'page' || w.S.open) w.open(false);
		if (!w.S.meta) w.fetchMeta();
	};

	/* Bot name, greeting and suggestions; internal bots are not listed, so
	 * they fall back to data-greeting or a generic greeting. */
	Widget.prototype.fetchMeta = function () {
		var w = this;
		w.api('v1/bots', null).then(function (r) {
			var bots = r.data && arr(r.data.bots);
			var b = null;
			for (var i = 0; i < bots.length; i++) if (bots[i] && bots[i].id === w.bot) b = bots[i];
			var meta = {
				name: str(b && b.name),
				greeting: w.opts.greeting || str(b && b.greeting) || 'こんにちは。ご質問を入力してください。',
				suggestions: arr(b && b.suggestions).filter(function (x) { return typeof x === 'string'; })
			};
			if (r.status === 200) w.S.meta = meta;
			if (!w.opts.title && meta.name) w.title.textContent = meta.name;
			if (!w.S.log.length) w.greet(meta);
		});
	};
	Widget.prototype.greet = function (meta) {
		meta = meta || this.S.meta || { greeting: this.opts.greeting || 'こんにちは。ご質問を入力してください。' };
		this.push({ t: 'b', r: { type: 'greeting', text: meta.greeting, suggestions: meta.suggestions } });
	};

	Widget.prototype.open = function (focus) {
		var w = this;
		w.panel.hidden = false;
		if (w.launcher) {
			w.launcher.setAttribute('aria-expanded', 'true');
			w.launcher.parentNode.classList.add('mdg--open');
			w.S.open = true;
			w.save();
		}
		w.scroll(null);
		if (focus) w.input.focus();
	};
	Widget.prototype.close = function () {
		if (!this.launcher) return;
		this.panel.hidden = true;
		this.launcher.setAttribute('aria-expanded', 'false');
		this.launcher.parentNode.classList.remove('mdg--open');
		this.S.open = false;
		this.save();
		this.launcher.focus();
	};
	Widget.prototype.restart = function () {
		this.S.state = null;
		this.S.log = [];
		this.clearError();
		this.log.textContent = '';
		this.save();
		this.greet();
		this.input.focus();
	};

	/* ---- the conversation ---- */
	Widget.prototype.push = function (entry) {
		this.S.log.push(entry);
		this.save();
		var node = this.render(entry, this.S.log.length - 1, true);
		this.deactivate(node);
		this.log.appendChild(node);
		this.scroll(entry.t === 'b' ? node : null);
		return node;
	};
	Widget.prototype.renderAll = function () {
		var w = this, last = null;
		w.log.textContent = '';
		w.S.log.forEach(function (e, i) {
			if (e.t === 'b') last = i;
		});
		w.S.log.forEach(function (e, i) {
			w.log.appendChild(w.render(e, i, i === last));
		});
	};
	/* Only the newest bot message's buttons stay active (the server accepts
	 * choices offered at the current position only). */
	Widget.prototype.deactivate = function (keep) {
		var bs = this.log.querySelectorAll('.mdg-opts button');
		for (var i = 0; i < bs.length; i++) if (!keep.contains(bs[i])) bs[i].disabled = true;
	};
	Widget.prototype.scroll = function (node) {
		var log = this.log;
		/* A new bot message is shown from its top: long answers are read
		 * from the beginning. */
		if (node && node.offsetTop > log.scrollTop) log.scrollTop = node.offsetTop - 8;
		else if (!node) log.scrollTop = log.scrollHeight;
	};

	Widget.prototype.render = function (e, index, active) {
		if (e.t === 'u') {
			var u = el('div', 'mdg-msg mdg-msg--user');
			return add(u, el('span', 'mdg-sr', 'あなた：'), el('p', 'mdg-bubble', e.text));
		}
		if (e.t === 'n') return add(el('div', 'mdg-notice'), el('p', null, e.text));
		var m = el('div', 'mdg-msg mdg-msg--bot');
		add(m, el('span', 'mdg-sr', '窓口：'));
		var r = e.r || {};
		var body = this.reply(r, active, e, index);
		add(m, body);
		if (/^(emergency|triage_result|handoff)$/.test(r.type)) m.classList.add('mdg-msg--wide');
		return m;
	};

	/* One reply, by type. Unknown types still show their text. */
	Widget.prototype.reply = function (r, active, entry, index) {
		var w = this, type = str(r.type);
		var b = el('div', 'mdg-bubble');
		if (type === 'emergency') return w.emergency(r);
		if (type === 'triage_result') b = w.triage(r);
		else if (type === 'handoff') b = w.handoff(r);
		else {
			if (r.title) add(b, el('p', 'mdg-atitle', r.title));
			add(b, para(r.text));
		}
		if (type === 'answer') {
			var links = arr(r.links);
			if (links.length) {
				var ul = el('ul', 'mdg-links');
				links.forEach(function (l) {
					if (l) add(ul, add(el('li'), link(str(l.label) || str(l.url), l.url)));
				});
				add(b, ul);
			}
			if (r.department || r.contact) {
				var c = el('p', 'mdg-contact');
				add(c, el('span', 'mdg-clabel', 'お問い合わせ'));
				if (r.department && str(r.contact).indexOf(str(r.department)) !== 0)
					add(c, document.createTextNode(str(r.department) + (r.contact ? '　' : '')));
				richText(c, r.contact);
				add(b, c);
			}
		}
		if (type === 'fallback') add(b, w.departments(arr(r.departments)));
		var opts = arr(r.options);
		if (!opts.length && type === 'candidates')
			opts = arr(r.candidates).map(function (c) { return { id: c.qa_id, label: c.question }; });
		if (type === 'greeting')
			opts = arr(r.suggestions).map(function (s) { return { message: s, label: s }; });
		if (opts.length) {
			var g = el('div', 'mdg-opts' + (type === 'candidates' ? ' mdg-opts--list' : ''));
			g.setAttribute('role', 'group');
			g.setAttribute('aria-label', type === 'greeting' ? '質問の例' : '選択肢');
			opts.forEach(function (o) {
				if (!o || !(o.id || o.message)) return;
				var label = str(o.label) || str(o.id);
				var ob = button('mdg-opt' + (o.kind && o.kind !== 'next' ? ' mdg-opt--nav' : ''), label, function () {
					if (o.message) w.send({ message: o.message }, false);
					else w.send({ choice: str(o.id), label: label }, false);
				});
				ob.disabled = !active;
				add(g, ob);
			});
			add(b, g);
		}
		if (type === 'answer' && r.qa_id) add(b, w.feedback(r, entry));
		return b;
	};

	Widget.prototype.departments = function (deps) {
		if (!deps.length) return null;
		var ul = el('ul', 'mdg-deps');
		deps.forEach(function (d) {
			if (!d) return;
			var li = add(el('li'), el('p', 'mdg-dname', d.name));
			if (d.handles) add(li, el('p', 'mdg-dhandles', d.handles));
			var p = el('p', 'mdg-dphone');
			if (d.phone) add(p, el('span', 'mdg-sr', '電話 '), telLink(d.phone, d.phone, 'mdg-tel'));
			if (d.hours) add(p, el('span', 'mdg-hours', d.hours));
			add(ul, add(li, p));
		});
		return ul;
	};

	Widget.prototype.calls = function (phones, level) {
		var g = el('div', 'mdg-calls');
		phones.forEach(function (p) {
			var num = str(p && p.number);
			if (!num) return;
			var cls = 'mdg-call' + (num === '119' ? (level <= 2 ? ' mdg-call--119' : ' mdg-call--119o') : '');
			var a = telLink(num, null, cls);
			a.textContent = '';
			add(a, el('span', 'mdg-callnum', num), el('span', 'mdg-calllabel', str(p.label)));
			add(g, a);
		});
		return g.firstChild ? g : null;
	};

	Widget.prototype.triage = function (r) {
		var u = r.urgency || {};
		var lv = Math.min(5, Math.max(1, parseInt(u.level, 10) || 5));
		var card = el('div', 'mdg-card mdg-triage mdg-lv' + lv);
		card.setAttribute('role', 'group');
		card.setAttribute('aria-label', '緊急度の判定結果');
		var head = el('div', 'mdg-tri-head');
		add(head, el('p', 'mdg-tri-level', '緊急度 ' + lv + (u.color_ja ? '（' + u.color_ja + '）' : '')),
			el('p', 'mdg-tri-label', u.label));
		add(card, head);
		var body = add(el('div', 'mdg-tri-body'), para(r.text));
		if (r.advice) add(body, el('h3', 'mdg-h', '自宅でできること'), para(r.advice));
		var care = r.care || {};
		var careText = r.care_text || care.text, careLinks = arr(r.care_links).concat(arr(care.links));
		if (careText || careLinks.length) {
			add(body, el('h3', 'mdg-h', '受診できる医療機関の探し方'), para(careText));
			var ul = el('ul', 'mdg-links');
			careLinks.forEach(function (l) {
				if (l) add(ul, add(el('li'), link(str(l.label) || str(l.url), l.url)));
			});
			if (ul.firstChild) add(body, ul);
		}
		var phones = arr(r.phones);
		if (!phones.length)
			phones = lv <= 2 ? [{ number: '119', label: '救急車を呼ぶ' }, { number: '#7119', label: '救急安心センターに相談' }]
				: [{ number: '#7119', label: '救急安心センターに相談' }, { number: '119', label: '救急車を呼ぶ' }];
		add(body, this.calls(phones, lv));
		return add(card, body);
	};

	Widget.prototype.emergency = function (r) {
		var card = el('div', 'mdg-card mdg-emergency');
		card.setAttribute('role', 'alert');
		add(card, el('p', 'mdg-em-head', '緊急'), para(r.text || '今すぐ119番に電話してください。', 'mdg-em-text'));
		var flags = arr(r.flags || r.red_flags).map(function (f) { return str(f && (f.label || f)); }).filter(Boolean);
		if (flags.length) add(card, el('p', 'mdg-em-flags', '気になる症状：' + flags.join('、')));
		var phones = arr(r.phones);
		if (!phones.length) phones = [{ number: '119', label: '救急車を呼ぶ' }];
		return add(card, this.calls(phones, 1));
	};

	Widget.prototype.handoff = function (r) {
		var card = el('div', 'mdg-card mdg-handoff');
		add(card, para(r.text));
		add(card, this.calls(arr(r.phones), 3));
		var steps = arr(r.steps);
		if (r.summary || steps.length) {
			add(card, el('h3', 'mdg-h', '相談員に伝える内容'));
			if (steps.length) {
				var dl = el('dl', 'mdg-summary');
				steps.forEach(function (s) {
					if (s) add(dl, el('dt', null, s.summary || s.question), el('dd', null, s.answer));
				});
				add(card, dl);
			} else add(card, para(r.summary, 'mdg-pre'));
		}
		return card;
	};

	Widget.prototype.feedback = function (r, entry) {
		var w = this;
		var g = el('div', 'mdg-fb');
		if (entry.fb != null) return add(g, el('p', 'mdg-fb-done', 'ご協力ありがとうございました。'));
		g.setAttribute('role', 'group');
		g.setAttribute('aria-label', 'この回答は役に立ちましたか');
		var q = el('p', 'mdg-fb-q', 'この回答は役に立ちましたか？');
		function vote(helpful) {
			if (g.dataset.busy) return;
			g.dataset.busy = '1';
			var body = { qa_id: str(r.qa_id), helpful: helpful };
			if (entry.state || w.S.state) body.state = entry.state || w.S.state;
			w.api('v1/bots/' + encodeURIComponent(w.bot) + '/feedback', body).then(function (res) {
				delete g.dataset.busy;
				if (res.status >= 200 && res.status < 300) {
					entry.fb = helpful;
					w.save();
					var done = el('p', 'mdg-fb-done', 'ご協力ありがとうございました。');
					done.tabIndex = -1;
					g.textContent = '';
					g.removeAttribute('role');
					add(g, done);
					done.focus();
				} else {
					var old = g.querySelector('.mdg-fb-err');
					if (!old) add(g, el('p', 'mdg-fb-err', '送信できませんでした。もう一度お試しください。'));
				}
			});
		}
		return add(g, q, button('mdg-fbbtn', '役に立った', function () { vote(true); }),
			button('mdg-fbbtn', '役に立たなかった', function () { vote(false); }));
	};

	/* ---- talking to the server ---- */
	Widget.prototype.apiKey = function () {
		var f = this.keyFrom;
		if (!f) return '';
		try {
			var m = /^(session|local)Storage:(.+)$/.exec(f);
			if (m) return str(window[m[1] + 'Storage'].getItem(m[2]));
			if (/^window\./.test(f)) {
				var v = f.slice(7).split('.').reduce(function (o, k) { return o == null ? o : o[k]; }, window);
				return str(typeof v === 'function' ? v() : v);
			}
			var e = document.querySelector(f);
			if (!e) return '';
			return str(e.getAttribute('content') != null ? e.getAttribute('content')
				: e.value != null ? e.value : e.textContent).trim();
		} catch (err) {
			return '';
		}
	};
	/* Resolves {status, data}; status 0 = network failure or timeout. */
	Widget.prototype.api = function (path, body) {
		var headers = { Accept: 'application/json' };
		if (body) headers['Content-Type'] = 'application/json';
		var key = this.apiKey();
		if (key) headers.Authorization = 'Bearer ' + key;
		var ctl = window.AbortController ? new AbortController() : null;
		var timer = ctl && setTimeout(function () { ctl.abort(); }, TIMEOUT);
		return fetch(this.base + path, {
			method: body ? 'POST' : 'GET',
			headers: headers,
			body: body ? JSON.stringify(body) : undefined,
			credentials: 'omit',
			cache: 'no-store',
			signal: ctl ? ctl.signal : undefined
		}).then(function (res) {
			return res.json().catch(function () { return null; }).then(function (data) {
				return { status: res.status, data: data };
			});
		}, function () {
			return { status: 0, data: null };
		}).then(function (r) {
			clearTimeout(timer);
			return r;
		});
	};

	Widget.prototype.submit = function () {
		var text = this.input.value.trim();
		if (!text) {
			this.input.focus();
			return;
		}
		this.send({ message: text }, true);
	};

	/* Sends a message or a choice. The typed text stays in the box until the
	 * server has answered, so nothing is lost when the network fails. */
	Widget.prototype.send = function (req, fromBox) {
		var w = this;
		if (w.busy) return;
		w.busy = true;
		w.clearError();
		var shown = req.message || req.label;
		var userNode = w.push({ t: 'u', text: shown });
		var typing = w.typing();
		w.log.setAttribute('aria-busy', 'true');
		var path = 'v1/bots/' + encodeURIComponent(w.bot) + '/chat';
		function body(withState) {
			var b = req.message ? { message: req.message } : { choice: req.choice };
			if (withState && w.S.state) b.state = w.S.state;
			return b;
		}
		var hadState = !!w.S.state;
		w.api(path, body(true)).then(function (r) {
			/* A state the server no longer accepts (expired, from an old
			 * version, tampered): start over rather than fail. */
			if (r.status === 400 && hadState && w.stateError(r.data)) {
				w.S.state = null;
				w.save();
				if (req.message) return w.api(path, body(false)).then(function (r2) { r2.restarted = true; return r2; });
				r.restarted = true;
			}
			return r;
		}).then(function (r) {
			typing.remove();
			w.log.removeAttribute('aria-busy');
			w.busy = false;
			if (r.restarted)
				w.insertNotice('前回の会話の有効期限が切れたため、最初からやり直しました。', userNode);
			if (r.status === 200 && r.data && r.data.reply) {
				w.S.state = typeof r.data.state === 'string' ? r.data.state : null;
				if (fromBox && w.input.value.trim() === req.message) w.input.value = '';
				var entry = { t: 'b', r: r.data.reply };
				if (r.data.reply.qa_id) entry.state = w.S.state;
				var node = w.push(entry);
				if (!fromBox && (!w.root.activeElement || w.root.activeElement.disabled || !node.contains(w.root.activeElement)))
					w.input.focus();
				return;
			}
			if (r.restarted && !req.message) {
				w.dropUser(userNode);
				w.greet();
				return;
			}
			w.dropUser(userNode);
			w.showError(r, function () {
				if (fromBox) w.submit();
				else w.send(req, false);
			});
		});
	};
	Widget.prototype.stateError = function (data) {
		var c = str(data && data.error && data.error.code);
		return !c || /state|expired|stale|position|choice/.test(c);
	};
	Widget.prototype.dropUser = function (node) {
		node.remove();
		for (var i = this.S.log.length - 1; i >= 0; i--)
			if (this.S.log[i].t === 'u') {
				this.S.log.splice(i, 1);
				break;
			}
		this.save();
	};
	Widget.prototype.insertNotice = function (text, before) {
		var e = { t: 'n', text: text };
		var i = this.S.log.length - 1;
		this.S.log.splice(i < 0 ? 0 : i, 0, e);
		this.log.insertBefore(this.render(e), before);
		this.save();
	};
	Widget.prototype.typing = function () {
		var t = el('div', 'mdg-msg mdg-msg--bot mdg-typing');
		t.setAttribute('aria-hidden', 'true');
		var b = el('div', 'mdg-bubble');
		add(b, el('span', 'mdg-dot'), el('span', 'mdg-dot'), el('span', 'mdg-dot'));
		add(t, b);
		this.log.appendChild(t);
		this.scroll(null);
		return t;
	};

	Widget.prototype.showError = function (r, retry) {
		var w = this, s = r.status, code = str(r.data && r.data.error && r.data.error.code);
		var msg;
		if (s === 0) msg = '通信できませんでした。ネットワークの接続を確認して、もう一度お試しください。';
		else if (s === 401 || s === 403) msg = 'この窓口を利用する権限を確認できませんでした。職員ポータルから開き直してください。';
		else if (s === 429) msg = 'ただいま混み合っています。少し待ってからもう一度お試しください。';
		else if (s === 413 || /too_?(long|big)/.test(code)) msg = 'メッセージが長すぎます。短くしてもう一度お試しください。';
		else if (s === 404) msg = 'この窓口は現在ご利用いただけません。';
		else if (s >= 500) msg = 'システムで問題が発生しました。時間をおいてもう一度お試しください。';
		else msg = '送信できませんでした。内容を確認して、もう一度お試しください。';
		var box = el('div', 'mdg-error');
		box.setAttribute('role', 'alert');
		add(box, el('p', null, msg));
		var again = button('mdg-retry', 'もう一度送る', function () {
			w.clearError();
			retry();
		});
		add(box, again);
		w.err = box;
		w.log.appendChild(box);
		w.scroll(null);
	};
	Widget.prototype.clearError = function () {
		if (this.err) this.err.remove();
		this.err = null;
	};

	function init(script) {
		if (!script || script.getAttribute('data-madoguchi-ready')) return;
		script.setAttribute('data-madoguchi-ready', '1');
		try {
			new Widget(script);
		} catch (e) {
			if (window.console) console.error('madoguchi widget:', e);
		}
	}
	var me = document.currentScript;
	function boot() {
		if (me) init(me);
		else {
			var all = document.querySelectorAll('script[data-bot][src*="widget.js"]');
			for (var i = 0; i < all.length; i++) init(all[i]);
		}
	}
	if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
	else boot();
})();
