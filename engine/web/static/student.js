/* The student's exam page. No framework, no build step, one file.

   Never loses an answer: every change becomes an event with the next seq, is written to
   localStorage at once and sent in batches; the server's acked_seq says which events it holds
   ("this and all before it"), so the page forgets those and resends the rest, across offline
   spells and reloads. The paper is kept too, and a service worker keeps the page's files, so a
   reload without a network still shows the exam and the answers.

   Time comes from the server: remaining_ms from each reply, counted down with the monotonic
   performance.now(), never with Date (a phone's clock may be wrong or changed mid-exam). */
(function () {
  'use strict';
  var LS = window.localStorage;
  var BATCH = 50;
  var main = document.getElementById('main');

  function $(id) { return document.getElementById(id); }
  function load(k, d) { try { var v = LS.getItem(k); return v === null ? d : JSON.parse(v); } catch (e) { return d; } }
  function save(k, v) { try { LS.setItem(k, JSON.stringify(v)); } catch (e) { /* full: the queue in memory still goes */ } }
  function drop(k) { try { LS.removeItem(k); } catch (e) { /* ignore */ } }
  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var a in attrs || {}) {
      var v = attrs[a];
      if (v === null || v === undefined || v === false) continue;
      if (a === 'text') e.textContent = v;
      else if (a === 'html') e.innerHTML = v;  // only server-sanitised item HTML comes here
      else if (a.slice(0, 2) === 'on') e.addEventListener(a.slice(2), v);
      else e.setAttribute(a, v === true ? '' : v);
    }
    (kids || []).forEach(function (k) { if (k) e.appendChild(typeof k === 'string' ? document.createTextNode(k) : k); });
    return e;
  }
  function rich(tag, attrs, html) {
    var e = h(tag, attrs);
    e.innerHTML = html;
    if (window.ujMath) window.ujMath.render(e);
    return e;
  }
  function show(nodes) {
    main.textContent = '';
    nodes.forEach(function (n) { if (n) main.appendChild(n); });
    main.focus();
  }
  function alertMsg(text) { var a = $('alert'); a.hidden = !text; a.textContent = text || ''; }

  /* ---------- state ---------- */
  var S = {
    auth: load('uj.auth', null), sid: null, paper: null, items: [], pos: 0, answers: {},
    flags: {}, queue: [], nextSeq: 1, sending: false, online: true, retryMs: 1000,
    retryTimer: null, done: false, linear: false
  };
  function persist() {
    if (!S.sid) return;
    save('uj.q.' + S.sid, { queue: S.queue, next: S.nextSeq });
    save('uj.a.' + S.sid, S.answers);
    save('uj.f.' + S.sid, { flags: S.flags, pos: S.pos });
  }

  /* ---------- API ---------- */
  function request(method, path, body, token) {
    var headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' })
      .then(function (r) {
        return r.text().then(function (t) {
          var data = null;
          try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
          return { status: r.status, data: data };
        });
      });
  }
  function refresh() {
    if (!S.auth || !S.auth.refresh_token) return Promise.resolve(false);
    return request('POST', '/v1/auth/refresh', { refresh_token: S.auth.refresh_token }).then(function (r) {
      if (r.status !== 200 && r.status !== 201) return false;
      setAuth(Object.assign({}, S.auth, r.data));
      return true;
    });
  }
  /* Resolves {status, data}; rejects only when the network failed (we are offline). */
  function api(method, path, body) {
    var token = S.auth && S.auth.access_token;
    return request(method, path, body, token).then(function (r) {
      if (r.status !== 401) return r;
      return refresh().then(function (ok) {
        if (ok) return request(method, path, body, S.auth.access_token);
        signOut('Your session has ended: sign in again. Your saved answers are kept on this device.');
        return r;
      });
    });
  }
  function setAuth(a) { S.auth = a; save('uj.auth', a); }
  function signOut(msg) {
    S.auth = null; drop('uj.auth'); S.sid = null; stopTimer();
    viewSignIn(msg);
  }

  /* ---------- network state ---------- */
  function setOnline(on) {
    if (S.online !== on) telemetry({ type: 'network', online: on });
    S.online = on;
    updateNet();
  }
  function updateNet() {
    var n = $('net'), pending = S.queue.length;
    n.className = 'net' + (S.online ? '' : ' off');
    if (!S.sid) { n.textContent = S.online ? '' : 'Offline'; return; }
    n.textContent = !S.online
      ? 'Offline — ' + pending + ' answer' + (pending === 1 ? '' : 's') + ' kept on this device'
      : pending ? 'Saving…' : 'All answers saved';
  }

  /* ---------- server time ---------- */
  var T = { remaining: null, at: 0, tick: null, warned: {}, paused: false };
  /* remaining_ms measured by the server between sentAt and now: take the midpoint. */
  function setRemaining(ms, sentAt) {
    var now = performance.now();
    T.remaining = ms;
    T.at = sentAt === undefined ? now : (sentAt + now) / 2;
    if (!T.tick) startTimer();
  }
  // while a proctor has the sitting paused its clock stands still (T.paused)
  function remaining() { return T.remaining === null ? null : Math.max(0, T.remaining - (T.paused ? 0 : performance.now() - T.at)); }
  function fmt(ms) {
    var s = Math.ceil(ms / 1000), hh = Math.floor(s / 3600), mm = Math.floor(s % 3600 / 60), ss = s % 60;
    return (hh ? hh + ':' + (mm < 10 ? '0' : '') : '') + mm + ':' + (ss < 10 ? '0' : '') + ss;
  }
  function startTimer() {
    var t = $('timer');
    t.hidden = false;
    var left0 = remaining();
    [10, 5, 1].forEach(function (m) { if (left0 <= m * 60000) T.warned[m] = true; });
    function tick() {
      var left = remaining();
      if (left === null) return;
      t.textContent = fmt(left);
      t.setAttribute('data-remaining-ms', String(Math.round(left)));
      t.className = 'timer' + (left <= 5 * 60000 ? ' low' : '');
      if (S.sid) save('uj.t.' + S.sid, Math.round(left));
      [10, 5, 1].forEach(function (m) {
        if (left <= m * 60000 && !T.warned[m]) {
          T.warned[m] = true;
          alertMsg(m + (m === 1 ? ' minute' : ' minutes') + ' left.');
        }
      });
      if (left <= 0) { stopTimer(); timeUp(); return; }
      T.tick = setTimeout(tick, 1000 - (left % 1000) + 20);
    }
    clearTimeout(T.tick);
    T.tick = 1;
    tick();
  }
  function stopTimer() { clearTimeout(T.tick); T.tick = null; T.remaining = null; $('timer').hidden = true; }
  function syncTimer() {
    if (!S.sid || S.done) return;
    var sent = performance.now();
    api('GET', '/v1/sittings/' + S.sid + '/timer').then(function (r) {
      setOnline(true);
      if (r.status === 200) {
        var paused = r.data.state === 'paused';
        if (r.data.state !== 'active' && !paused) { finish('submitted'); return; }
        if (paused !== !!T.paused) alertMsg(paused ? 'A proctor has paused the exam: the clock stands still.' : '');
        T.paused = paused;
        setRemaining(r.data.remaining_ms, sent);
        // while paused, ask again soon so the clock restarts when the proctor resumes
        if (paused) setTimeout(syncTimer, 5000);
      }
    }, function () { setOnline(false); });
  }

  /* ---------- the answer queue ---------- */
  function record(itemId, response) {
    if (S.done) return;
    S.answers[itemId] = response;
    S.queue.push({ seq: S.nextSeq++, item: itemId, response: response, client_ts: Date.now() });
    persist();
    updateNet();
    updateGrid();
    flushSoon();
  }
  var flushTimer = null;
  function flushSoon() { clearTimeout(flushTimer); flushTimer = setTimeout(flush, 300); }
  function ack(n) {
    S.queue = S.queue.filter(function (e) { return e.seq > n; });
    persist();
  }
  /* Events the server has not got must follow its last seq without a gap (it stops at one). */
  function renumber(last) {
    S.queue.forEach(function (e, i) { e.seq = last + 1 + i; });
    S.nextSeq = last + 1 + S.queue.length;
    persist();
  }
  function retryLater() {
    clearTimeout(S.retryTimer);
    S.retryTimer = setTimeout(flush, S.retryMs);
    S.retryMs = Math.min(S.retryMs * 2, 15000);
  }
  function flush() {
    if (S.sending || !S.sid || !S.queue.length) { updateNet(); return Promise.resolve(); }
    S.sending = true;
    var batch = S.queue.slice(0, BATCH), sent = performance.now(), sid = S.sid;
    return api('POST', '/v1/sittings/' + sid + '/answers', { events: batch }).then(function (r) {
      S.sending = false;
      if (sid !== S.sid) return;
      setOnline(true);
      var d = r.data || {};
      if (r.status === 200) {
        S.retryMs = 1000;
        ack(d.acked_seq);
        if (d.acked_seq < batch[0].seq - 1) renumber(d.acked_seq);
        setRemaining(d.remaining_ms, sent);
        updateNet();
        if (S.queue.length) return flush();
        return;
      }
      var x = d.extra || {};
      if (typeof x.acked_seq === 'number') ack(x.acked_seq);
      else if (typeof d.acked_seq === 'number') ack(d.acked_seq);
      if (d.code === 'time_expired') return finish('time');
      if (d.code === 'sitting_submitted') return finish('submitted');
      if (d.code === 'device_replaced') { S.done = true; alertMsg('This exam continues on another device. Nothing from this one is saved any more.'); return; }
      if (d.code === 'sitting_paused') { alertMsg('A proctor paused the exam. Your answers are kept and sent when it resumes.'); retryLater(); return; }
      if (d.code === 'answer_rate_limited') {
        // nothing of the batch was stored: the same events again once the server says so
        clearTimeout(S.retryTimer);
        S.retryTimer = setTimeout(flush, 1000 * Math.max(1, x.retry_after_s || 1));
        return;
      }
      // the server refuses these events for good and stored none of the batch: drop the
      // events it names (all of the batch when it names none), send the rest again
      var refused = null;
      if (d.code === 'navigation_linear' && typeof x.seq === 'number') refused = [x.seq];
      else if (r.status === 400 && d.errors) refused = d.errors.map(function (e) { return e.seq; }).filter(function (q) { return typeof q === 'number'; });
      if (r.status === 400 || (d.code === 'navigation_linear' && refused)) {
        var sent0 = batch[0].seq, drop = refused && refused.length ? refused : batch.map(function (e) { return e.seq; });
        S.queue = S.queue.filter(function (e) { return drop.indexOf(e.seq) < 0; });
        renumber(sent0 - 1);
        alertMsg('Some answers could not be saved: ' + (d.detail || d.title || 'invalid'));
        return flush();
      }
      retryLater();
    }, function () {
      S.sending = false;
      setOnline(false);
      retryLater();
    });
  }
  window.addEventListener('online', function () { S.retryMs = 1000; flush(); syncTimer(); });
  window.addEventListener('offline', function () { setOnline(false); });
  document.addEventListener('visibilitychange', function () {
    telemetry({ type: 'visibility', state: document.visibilityState === 'hidden' ? 'hidden' : 'visible' });
    if (document.visibilityState === 'visible') { syncTimer(); flush(); } else { sendTelemetry(); }
  });
  setInterval(function () { if (S.queue.length && !S.sending) flush(); }, 5000);
  setInterval(syncTimer, 60000);

  /* ---------- telemetry (proctoring/telemetry.py) ---------- */
  var TM = { session: (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now()).replace(/[^A-Za-z0-9]/g, ''), seq: 0, events: [], off: false };
  function telemetry(ev) {
    if (TM.off || !S.sid) return;
    ev.ts = Date.now();  // the server maps page time onto its own clock by sent_at
    TM.events.push(ev);
    if (TM.events.length > 150) TM.events.splice(0, TM.events.length - 150);
  }
  function sendTelemetry() {
    if (TM.off || !S.sid || !TM.events.length || !S.online) return;
    var events = TM.events.splice(0, 200);
    api('POST', '/v1/sittings/' + S.sid + '/telemetry', { session: TM.session, batch_seq: ++TM.seq, sent_at: Date.now(), events: events })
      .then(function (r) {
        if (r.status === 404 || r.status === 405) TM.off = true;  // not on this server (yet): fine
      }, function () { TM.events = events.concat(TM.events); });
  }
  setInterval(function () { telemetry({ type: 'heartbeat' }); sendTelemetry(); }, 30000);
  window.addEventListener('focus', function () { telemetry({ type: 'focus' }); });
  window.addEventListener('blur', function () { telemetry({ type: 'blur' }); sendTelemetry(); });
  window.addEventListener('contextmenu', function () { telemetry({ type: 'context_menu' }); });
  document.addEventListener('fullscreenchange', function () { telemetry({ type: document.fullscreenElement ? 'fullscreen_enter' : 'fullscreen_exit' }); });
  var resizeT = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeT);
    resizeT = setTimeout(function () { telemetry({ type: 'resize', width: innerWidth, height: innerHeight }); }, 500);
  });
  ['copy', 'cut', 'paste'].forEach(function (type) {
    document.addEventListener(type, function (e) {
      var len = type === 'paste' ? ((e.clipboardData && e.clipboardData.getData('text')) || '').length : String(document.getSelection() || '').length;
      var box = e.target && e.target.closest && e.target.closest('[data-item]');
      var ev = { type: type, length: len };
      if (box) ev.item = box.getAttribute('data-item');
      telemetry(ev);
    });
  });
  function deviceEvent() {
    var raw = [navigator.userAgent, screen.width, screen.height, navigator.language, Intl.DateTimeFormat().resolvedOptions().timeZone].join('|');
    var hash = 5381;
    for (var i = 0; i < raw.length; i++) hash = ((hash * 33) ^ raw.charCodeAt(i)) >>> 0;
    telemetry({ type: 'device', fingerprint: 'fp' + hash.toString(16) + raw.length.toString(16), user_agent: navigator.userAgent.slice(0, 500), screen_width: screen.width, screen_height: screen.height, timezone: (Intl.DateTimeFormat().resolvedOptions().timeZone || '').slice(0, 64) });
  }

  /* ---------- views: sign in, exams ---------- */
  // the device token a sign-in returns, kept per account on this device and sent with the next
  // sign-in to it: then nobody else's wrong passwords can lock this device out
  function deviceToken(u) { try { return localStorage.getItem('ujian.device.' + u.toLowerCase()) || undefined; } catch (e) { return undefined; } }
  function keepDeviceToken(u, t) { try { if (t) localStorage.setItem('ujian.device.' + u.toLowerCase(), t); } catch (e) { /* private mode */ } }

  function viewSignIn(msg) {
    $('title').textContent = 'Ujian';
    var err = h('p', { class: 'err', role: 'alert', text: msg || '' });
    var mode = 'password';
    var user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
    var pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    var code = h('input', { id: 'card', name: 'card', autocomplete: 'off', autocapitalize: 'characters', placeholder: 'XXXX-XXXX-XXXX' });
    var pwBox = h('div', {}, [h('label', { class: 'field', for: 'username' }, [h('span', { text: 'Username' })]), user,
      h('label', { class: 'field', for: 'password' }, [h('span', { text: 'Password' })]), pass]);
    var cardBox = h('div', { hidden: true }, [h('label', { class: 'field', for: 'card' }, [h('span', { text: 'Exam card code' })]), code]);
    function tab(name, label) {
      return h('button', { type: 'button', role: 'tab', 'aria-selected': String(name === mode), id: 'tab-' + name, onclick: function () {
        mode = name; pwBox.hidden = name !== 'password'; cardBox.hidden = name !== 'card';
        user.required = pass.required = name === 'password'; code.required = name === 'card';
        $('tab-password').setAttribute('aria-selected', String(name === 'password'));
        $('tab-card').setAttribute('aria-selected', String(name === 'card'));
      } }, [label]);
    }
    var form = h('form', { class: 'card', onsubmit: function (e) {
      e.preventDefault();
      err.textContent = '';
      var call = mode === 'password'
        ? request('POST', '/v1/auth/token', { username: user.value.trim(), password: pass.value, device_token: deviceToken(user.value.trim()) })
        : request('POST', '/v1/auth/card', { code: code.value.trim() });
      call.then(function (r) {
        if (r.status === 200 || r.status === 201) {
          if (mode === 'password') keepDeviceToken(user.value.trim(), r.data.device_token);
          setAuth(r.data); setOnline(true); route(); return;
        }
        err.textContent = (r.data && (r.data.detail || r.data.title)) || 'Sign-in failed';
      }, function () { err.textContent = 'No connection. Try again when you are online.'; });
    } }, [
      h('h1', { text: 'Sign in' }),
      h('div', { class: 'tabs', role: 'tablist' }, [tab('password', 'Username and password'), tab('card', 'Exam card')]),
      pwBox, cardBox, err, h('p', {}, [h('button', { class: 'primary', type: 'submit', id: 'signin' }, ['Sign in'])])
    ]);
    show([form]);
    user.focus();
  }

  function viewExams() {
    $('title').textContent = 'Ujian';
    api('GET', '/v1/exams').then(function (r) {
      if (r.status !== 200) return;
      var exams = r.data || [];
      if (S.auth && S.auth.exam_id) exams = exams.filter(function (e) { return e.id === S.auth.exam_id; });
      var list = exams.map(function (e) {
        var opens = new Date(e.window_open), closes = new Date(e.window_close);
        return h('li', { class: 'card' }, [
          h('h2', { text: e.title }),
          h('p', { class: 'muted', text: Math.round(e.time_limit_s / 60) + ' minutes · ' + e.item_count + ' questions · open ' + opens.toLocaleString() + ' – ' + closes.toLocaleString() }),
          h('button', { class: 'primary', 'data-exam': e.id, onclick: function () { startExam(e.id); } }, ['Start'])
        ]);
      });
      show([h('h1', { text: 'Your exams' }), list.length ? h('ul', { class: 'plain' }, list) : h('p', { text: 'No exam is assigned to you right now.' }),
        h('button', { onclick: function () { signOut(); } }, ['Sign out'])]);
    }, function () { show([h('p', { text: 'Offline: the exam list needs a connection.' })]); setOnline(false); });
  }

  function startExam(examId) {
    api('POST', '/v1/exams/' + examId + '/sittings').then(function (r) {
      if (r.status !== 200) { alertMsg((r.data && (r.data.detail || r.data.title)) || 'Cannot start'); return; }
      if (r.data.state !== 'active') { S.sid = r.data.id; save('uj.sitting', S.sid); finish('submitted'); return; }
      openSitting(r.data.id);
    }, function () { alertMsg('No connection: the exam starts once you are online.'); });
  }

  /* ---------- the paper ---------- */
  function openSitting(sid) {
    S.sid = sid; S.done = false;
    save('uj.sitting', sid);
    var q = load('uj.q.' + sid, { queue: [], next: 1 });
    S.queue = q.queue; S.nextSeq = q.next;
    S.answers = load('uj.a.' + sid, {});
    var f = load('uj.f.' + sid, { flags: {}, pos: 0 });
    S.flags = f.flags; S.pos = f.pos;
    var sent = performance.now();
    api('GET', '/v1/sittings/' + sid + '/paper').then(function (r) {
      setOnline(true);
      if (r.status === 409) { finish('submitted'); return; }
      if (r.status === 404) { drop('uj.sitting'); S.sid = null; viewExams(); return; }
      if (r.status !== 200) { alertMsg((r.data && r.data.title) || 'Cannot open the exam'); return; }
      var p = r.data;
      setRemaining(p.remaining_ms, sent);
      var answers = {};
      for (var k in p.answers) answers[k] = p.answers[k].response;
      // what the server has, then what it has not acknowledged yet (newer) on top
      ack(p.last_seq);
      if (!S.queue.length || S.queue[0].seq !== p.last_seq + 1) renumber(p.last_seq);
      S.queue.forEach(function (e) { answers[e.item] = e.response; });
      S.answers = answers;
      delete p.answers;
      save('uj.p.' + sid, p);
      begin(p);
      flush();
    }, function () {
      setOnline(false);
      var p = load('uj.p.' + sid, null);
      if (!p) { show([h('p', { text: 'Offline: the exam opens once you are online.' })]); retryOpen(sid); return; }
      // no server clock now: count down from the last value we knew (shown as approximate)
      var left = load('uj.t.' + sid, null);
      if (left !== null) setRemaining(left);
      begin(p);
      retryOpen(sid);
    });
  }
  function retryOpen(sid) {
    var again = function () { window.removeEventListener('online', again); if (S.sid === sid) { flush(); syncTimer(); } };
    window.addEventListener('online', again);
    setTimeout(function () { if (!S.online && S.sid === sid) { flush(); syncTimer(); } }, 3000);
  }

  function begin(p) {
    S.paper = p;
    S.linear = p.navigation === 'linear';
    S.items = [];
    p.sections.forEach(function (sec) { sec.items.forEach(function (it) { S.items.push({ item: it, section: sec.title }); }); });
    if (S.pos >= S.items.length) S.pos = 0;
    // linear: never show a question before the furthest one answered (the server refuses it)
    if (S.linear && typeof p.furthest === 'number' && p.furthest > S.pos) S.pos = Math.min(p.furthest, S.items.length - 1);
    $('title').textContent = p.title;
    deviceEvent();
    telemetry({ type: 'focus' });
    renderItem();
  }

  function updateGrid() {
    var g = $('grid');
    if (!g) return;
    Array.prototype.forEach.call(g.children, function (b, i) {
      var id = S.items[i].item.id, answered = S.answers[id] !== undefined && S.answers[id] !== null;
      b.className = (answered ? 'answered' : '') + (S.flags[id] ? ' flagged' : '');
      b.setAttribute('aria-current', String(i === S.pos));
      b.setAttribute('aria-label', 'Question ' + (i + 1) + (answered ? ', answered' : ', not answered') + (S.flags[id] ? ', flagged for review' : ''));
    });
  }
  function go(i) { S.pos = Math.max(0, Math.min(S.items.length - 1, i)); persist(); renderItem(); }

  function renderItem() {
    var entry = S.items[S.pos], it = entry.item, n = S.pos + 1;
    var heading = h('h2', { id: 'q-label' }, ['Question ' + n + ' of ' + S.items.length + ' ', h('span', { class: 'muted', text: '(' + it.points + (it.points === 1 ? ' point)' : ' points)') })]);
    var box = h('section', { class: 'item', 'aria-labelledby': 'q-label', 'data-item': it.id, 'data-kind': it.kind }, [
      h('p', { class: 'section', text: entry.section }), heading,
      rich('div', { class: 'stem', id: 'stem' }, it.kind === 'cloze' ? '' : it.stem)
    ]);
    box.appendChild(RENDER[it.kind] ? RENDER[it.kind](it, S.answers[it.id], box) : h('p', { class: 'err', text: 'This question type cannot be shown.' }));
    var flag = h('button', { type: 'button', id: 'flag', 'aria-pressed': String(!!S.flags[it.id]), onclick: function () {
      S.flags[it.id] = !S.flags[it.id]; if (!S.flags[it.id]) delete S.flags[it.id];
      flag.setAttribute('aria-pressed', String(!!S.flags[it.id])); persist(); updateGrid();
    } }, ['⚑ Flag for review']);
    var clear = h('button', { type: 'button', onclick: function () { record(it.id, null); renderItem(); } }, ['Clear answer']);
    box.appendChild(h('div', { class: 'tools' }, [flag, clear]));
    var pager = h('nav', { class: 'pager', 'aria-label': 'Question navigation' }, [
      S.linear ? h('span') : h('button', { type: 'button', id: 'prev', disabled: S.pos === 0, onclick: function () { go(S.pos - 1); } }, ['← Previous']),
      S.pos < S.items.length - 1 ? h('button', { type: 'button', class: 'primary', id: 'next', onclick: function () { go(S.pos + 1); } }, ['Next →']) : h('span')
    ]);
    var grid = S.linear ? null : h('nav', { id: 'grid', class: 'grid', 'aria-label': 'All questions' }, S.items.map(function (x, i) {
      return h('button', { type: 'button', onclick: function () { go(i); } }, [String(i + 1)]);
    }));
    var submit = h('button', { type: 'button', id: 'submit', onclick: confirmSubmit }, ['Finish and submit…']);
    show([box, pager, grid, h('p', {}, [submit])]);
    updateGrid();
    updateNet();
  }

  /* ---------- item kinds (grading/responses.py) ---------- */
  function choiceList(it, type, isOn, onChange) {
    var fs = h('fieldset', {}, [h('legend', { class: 'muted', text: type === 'radio' ? 'Choose one answer' : 'Choose all that apply' })]);
    it.options.forEach(function (o) {
      var input = h('input', { type: type, name: 'q-' + it.id, value: o.id, checked: isOn(o.id), onchange: function () { onChange(fs); } });
      fs.appendChild(h('label', { class: 'opt' }, [input, rich('span', {}, o.text)]));
    });
    return fs;
  }
  function checked(fs) { return Array.prototype.map.call(fs.querySelectorAll('input:checked'), function (i) { return i.value; }); }
  function textBox(it, answer, kind, multiline) {
    var id = 'a-' + it.id, hint = h('span', { class: 'saved', id: id + '-hint' });
    var attrs = { id: id, 'aria-describedby': id + '-hint', maxlength: it.max_length || null };
    var box = multiline ? h('textarea', attrs) : h('input', Object.assign(attrs, kind === 'numeric' ? { inputmode: 'decimal', autocomplete: 'off' } : { autocomplete: 'off' }));
    var prev = answer ? (kind === 'numeric' ? String(answer.value) : answer.text) : '';
    box.value = prev;
    var timer = null;
    function commit() {
      clearTimeout(timer);
      var v = box.value;
      if (v === prev) return;
      if (kind === 'numeric') {
        var t = v.trim().replace(',', '.');
        if (t === '') { prev = v; record(it.id, null); hint.textContent = ''; return; }
        var num = Number(t);
        // the server takes finite numbers up to 1e100 in size (question_bank/answer_rules.py)
        if (!isFinite(num) || Math.abs(num) > 1e100 || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) { hint.textContent = 'Enter a number, e.g. 3.14'; return; }
        prev = v; record(it.id, { kind: 'numeric', value: num });
      } else {
        prev = v; record(it.id, v.trim() === '' ? null : { kind: kind, text: v });
      }
      hint.textContent = multiline && it.max_length ? v.length + ' / ' + it.max_length : '';
    }
    box.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(commit, 800); });
    box.addEventListener('change', commit);
    box.addEventListener('blur', commit);
    var label = h('label', { class: 'field', for: id }, [h('span', { text: multiline ? 'Your answer' : kind === 'numeric' ? 'Your answer (a number)' : 'Your answer' })]);
    return h('div', {}, [label, box, it.unit ? h('span', { text: ' ' + it.unit }) : null, h('div', {}, [hint])]);
  }
  var RENDER = {
    single_choice: function (it, a) {
      return choiceList(it, 'radio', function (id) { return !!a && a.choice === id; }, function (fs) {
        record(it.id, { kind: 'single_choice', choice: checked(fs)[0] });
      });
    },
    multiple_response: function (it, a) {
      return choiceList(it, 'checkbox', function (id) { return !!a && a.choices.indexOf(id) >= 0; }, function (fs) {
        var c = checked(fs);
        record(it.id, c.length ? { kind: 'multiple_response', choices: c } : null);
      });
    },
    true_false: function (it, a) {
      var fake = { id: it.id, options: [{ id: 'true', text: 'True' }, { id: 'false', text: 'False' }] };
      return choiceList(fake, 'radio', function (id) { return !!a && String(a.value) === id; }, function (fs) {
        record(it.id, { kind: 'true_false', value: checked(fs)[0] === 'true' });
      });
    },
    numeric: function (it, a) { return textBox(it, a, 'numeric', false); },
    short_text: function (it, a) { return textBox(it, a, 'short_text', false); },
    essay: function (it, a) { return textBox(it, a, 'essay', true); },
    ordering: function (it, a) {
      var byId = {};
      it.options.forEach(function (o) { byId[o.id] = o; });
      var order = a && a.order ? a.order.slice() : it.options.map(function (o) { return o.id; });
      var status = h('p', { class: 'saved', role: 'status', 'aria-live': 'polite' });
      var list = h('ol', { class: 'order', 'aria-label': 'Put these in order (first at the top)' });
      function move(i, d, focusDir) {
        var j = i + d;
        if (j < 0 || j >= order.length) return;
        var t = order[i]; order[i] = order[j]; order[j] = t;
        record(it.id, { kind: 'ordering', order: order.slice() });
        draw();
        status.textContent = 'Moved to position ' + (j + 1) + ' of ' + order.length;
        var btn = list.children[j].querySelector(focusDir);
        if (btn && !btn.disabled) btn.focus(); else list.children[j].querySelector('button:not([disabled])').focus();
      }
      function draw() {
        list.textContent = '';
        order.forEach(function (id, i) {
          var text = rich('span', {}, byId[id].text);
          list.appendChild(h('li', {}, [text,
            h('button', { type: 'button', 'aria-label': 'Move up: ' + text.textContent, disabled: i === 0, onclick: function () { move(i, -1, '.up'); }, class: 'up' }, ['↑']),
            h('button', { type: 'button', 'aria-label': 'Move down: ' + text.textContent, disabled: i === order.length - 1, onclick: function () { move(i, 1, '.down'); }, class: 'down' }, ['↓'])]));
        });
      }
      draw();
      return h('div', {}, [list, status]);
    },
    matching: function (it, a) {
      var chosen = {};
      ((a && a.pairs) || []).forEach(function (p) { chosen[p[0]] = p[1]; });
      var grid = h('div', { class: 'match' });
      it.sources.forEach(function (s) {
        var id = 'm-' + it.id + '-' + s.id;
        var sel = h('select', { id: id, onchange: function () {
          if (sel.value) chosen[s.id] = sel.value; else delete chosen[s.id];
          var pairs = Object.keys(chosen).map(function (k) { return [k, chosen[k]]; });
          record(it.id, pairs.length ? { kind: 'matching', pairs: pairs } : null);
        } }, [h('option', { value: '', text: '— choose —' })].concat(it.targets.map(function (t) {
          var o = h('option', { value: t.id, selected: chosen[s.id] === t.id });
          o.textContent = rich('span', {}, t.text).textContent;
          return o;
        })));
        grid.appendChild(rich('label', { for: id }, s.text));
        grid.appendChild(sel);
      });
      return grid;
    },
    cloze: function (it, a, box) {
      var stem = box.querySelector('.stem');
      stem.innerHTML = it.stem.replace(/\{\{([A-Za-z0-9_-]{1,32})\}\}/g, '<span data-blank="$1"></span>');
      if (window.ujMath) window.ujMath.render(stem);
      var values = {};
      var prev = (a && a.blanks) || {};
      for (var k in prev) values[k] = prev[k];
      function save() {
        var out = {};
        for (var k in values) if (values[k]) out[k] = values[k];
        record(it.id, Object.keys(out).length ? { kind: 'cloze', blanks: out } : null);
      }
      var n = 0;
      Array.prototype.forEach.call(stem.querySelectorAll('[data-blank]'), function (slot) {
        var bid = slot.getAttribute('data-blank'), blank = (it.blanks || {})[bid], label = 'Blank ' + (++n);
        if (!blank) return;
        var ctl;
        if (blank.kind === 'single_choice') {
          ctl = h('select', { 'aria-label': label, onchange: function () { values[bid] = ctl.value ? { kind: 'single_choice', choice: ctl.value } : null; save(); } },
            [h('option', { value: '', text: '—' })].concat(blank.options.map(function (o) {
              var opt = h('option', { value: o.id, selected: prev[bid] && prev[bid].choice === o.id });
              opt.textContent = rich('span', {}, o.text).textContent;
              return opt;
            })));
        } else {
          var numeric = blank.kind === 'numeric';
          // a text blank takes up to 1000 characters (BLANK_MAX_CHARS, question_bank/answer_rules.py)
          ctl = h('input', { 'aria-label': label, size: 10, inputmode: numeric ? 'decimal' : null, maxlength: numeric ? null : 1000, autocomplete: 'off' });
          ctl.value = prev[bid] ? String(numeric ? prev[bid].value : prev[bid].text) : '';
          ctl.addEventListener('change', function () {
            var v = ctl.value.trim();
            if (numeric) {
              var num = Number(v.replace(',', '.'));
              if (v !== '' && (!isFinite(num) || Math.abs(num) > 1e100)) { ctl.setAttribute('aria-invalid', 'true'); return; }
              ctl.removeAttribute('aria-invalid');
              values[bid] = v === '' ? null : { kind: 'numeric', value: num };
            } else values[bid] = v === '' ? null : { kind: 'short_text', text: v };
            save();
          });
        }
        slot.appendChild(ctl);
      });
      stem.classList.add('cloze');
      return h('span');
    },
    select_point: function (it, a) {
      var max = it.max_choices || 1, points = ((a && a.points) || []).map(function (p) { return p.slice(); });
      var cursor = [Math.round(it.width / 2), Math.round(it.height / 2)];
      var img = h('img', { src: it.image, alt: 'Picture to point at (' + it.width + ' × ' + it.height + ')', draggable: 'false' });
      var pad = h('div', { class: 'pointer', tabindex: '0', role: 'application', 'aria-label': 'Point on the picture: arrow keys move, Enter places a point, Delete removes the last one' }, [img]);
      var status = h('p', { class: 'saved', role: 'status', 'aria-live': 'polite' });
      function place(x, y) {
        if (points.length >= max) points.shift();
        points.push([Math.round(x), Math.round(y)]);
        record(it.id, { kind: 'select_point', points: points.map(function (p) { return p.slice(); }) });
        draw();
      }
      function dot(p, cls) {
        var d = h('span', { class: 'dot' + (cls ? ' ' + cls : '') });
        d.style.left = (100 * p[0] / it.width) + '%';
        d.style.top = (100 * p[1] / it.height) + '%';
        return d;
      }
      function draw() {
        Array.prototype.slice.call(pad.querySelectorAll('.dot')).forEach(function (d) { d.remove(); });
        points.forEach(function (p) { pad.appendChild(dot(p)); });
        pad.appendChild(dot(cursor, 'cursor'));
        status.textContent = points.length ? 'Points: ' + points.map(function (p) { return '(' + p[0] + ', ' + p[1] + ')'; }).join(', ') : 'No point placed';
      }
      pad.addEventListener('click', function (e) {
        var r = img.getBoundingClientRect();
        place((e.clientX - r.left) * it.width / r.width, (e.clientY - r.top) * it.height / r.height);
      });
      pad.addEventListener('keydown', function (e) {
        var step = Math.max(1, Math.round(Math.min(it.width, it.height) / 50)) * (e.shiftKey ? 5 : 1);
        var d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key];
        if (d) {
          cursor = [Math.min(it.width, Math.max(0, cursor[0] + d[0])), Math.min(it.height, Math.max(0, cursor[1] + d[1]))];
          e.preventDefault(); draw();
        } else if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); place(cursor[0], cursor[1]); }
        else if (e.key === 'Delete' || e.key === 'Backspace') {
          e.preventDefault(); points.pop();
          record(it.id, points.length ? { kind: 'select_point', points: points.map(function (p) { return p.slice(); }) } : null);
          draw();
        }
      });
      draw();
      return h('div', {}, [pad, status]);
    }
  };

  /* ---------- submit, time up, results ---------- */
  function confirmSubmit() {
    var blank = S.items.filter(function (x) { var v = S.answers[x.item.id]; return v === undefined || v === null; }).length;
    var flagged = Object.keys(S.flags).length;
    var yes = h('button', { class: 'primary', id: 'confirm-submit', onclick: function () { submit(false); } }, ['Submit now']);
    show([h('div', { class: 'card', role: 'dialog', 'aria-labelledby': 'sub-h' }, [
      h('h1', { id: 'sub-h', text: 'Submit your exam?' }),
      h('p', { text: (S.items.length - blank) + ' of ' + S.items.length + ' questions answered' + (flagged ? ', ' + flagged + ' flagged for review' : '') + '.' }),
      S.queue.length ? h('p', { class: 'err', text: S.queue.length + ' answers are still on this device only: they are sent first.' }) : null,
      h('p', {}, [yes, ' ', h('button', { onclick: renderItem }, ['Back to the questions'])])
    ])]);
    yes.focus();
  }
  function submit(auto) {
    var sid = S.sid;
    return flush().then(function () {
      if (S.queue.length && S.online && !auto) { alertMsg('Some answers are not sent yet; trying again…'); return; }
      return api('POST', '/v1/sittings/' + sid + '/submit').then(function (r) {
        if (r.status === 200) showResult(r.data, auto);
        else alertMsg((r.data && r.data.title) || 'Could not submit');
      });
    }).catch(function () {
      setOnline(false);
      alertMsg(auto ? 'Time is up. You are offline: the answers on this device are sent when the connection returns, and the server submits your exam.'
        : 'You are offline: submit again when the connection returns. Your answers are kept on this device.');
      if (auto) retryLater();
    });
  }
  function timeUp() {
    if (S.done) return;
    alertMsg('Time is up. Submitting the answers the server has…');
    submit(true);
  }
  function finish(why) {
    if (S.done && why !== 'submitted') return;
    S.done = true; stopTimer();
    api('GET', '/v1/sittings/' + S.sid + '/result').then(function (r) {
      showResult(r.status === 200 ? { state: r.data.state, result: r.data.result } : { state: 'submitted' }, why === 'time');
    }, function () { showResult({ state: 'submitted' }, why === 'time'); });
  }
  function showResult(outcome, auto) {
    S.done = true; stopTimer();
    var lost = S.queue.length;
    drop('uj.sitting');
    var res = outcome.result, kids = [h('h1', { id: 'result-h', text: auto ? 'Time is up — your exam was submitted' : 'Your exam is submitted' })];
    if (lost) kids.push(h('p', { class: 'err', text: lost + ' answer(s) reached the server too late and were not counted.' }));
    if (res) {
      var pct = res.max_points ? Math.round(1000 * res.points / res.max_points) / 10 : 0;
      kids.push(h('p', { class: 'score', id: 'score', text: 'Score: ' + res.points + ' / ' + res.max_points + ' (' + pct + '%)' }));
      var rows = S.items.map(function (x, i) {
        var s = res.items[x.item.id];
        return h('tr', {}, [h('td', { text: String(i + 1) }), h('td', { text: s ? s.points + ' / ' + s.max_points : '—' }), h('td', { text: s ? s.status.replace('_', ' ') : '' })]);
      });
      if (rows.length) kids.push(h('table', {}, [h('caption', { class: 'muted', text: 'Points per question' }), h('thead', {}, [h('tr', {}, [h('th', { text: '#' }), h('th', { text: 'Points' }), h('th', { text: 'Status' })])]), h('tbody', {}, rows)]));
    } else kids.push(h('p', { text: 'Your teacher will release the results.' }));
    kids.push(h('p', {}, [h('button', { onclick: function () { S.sid = null; viewExams(); } }, ['Back to my exams'])]));
    S.queue = [];
    show([h('section', { class: 'card', 'aria-labelledby': 'result-h' }, kids)]);
    updateNet();
  }

  /* ---------- start ---------- */
  function route() {
    if (!S.auth) return viewSignIn();
    var sid = load('uj.sitting', null);
    if (sid) return openSitting(sid);
    if (S.auth.exam_id) return startExam(S.auth.exam_id);
    viewExams();
  }
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/static/sw.js', { scope: '/' }).catch(function () { /* the page works without it */ });
  route();
})();
