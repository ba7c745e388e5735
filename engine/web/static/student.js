/* The student's exam page. No framework, no build step, one file.

   Never loses an answer: every change becomes an event with the next seq, is written to
   localStorage at once and sent in batches; the server's acked_seq says which events it holds
   ("this and all before it"), so the page forgets those and resends the rest, across offline
   spells and reloads. The paper is kept too, and a service worker keeps the page's files, so a
   reload without a network still shows the exam and the answers.

   Time comes from the server: remaining_ms from each reply, counted down with the monotonic
   performance.now(), never with Date (a phone's clock may be wrong or changed mid-exam).

   One conversation (engine/integrity/conversation.py): in the steady state the page sends an
   answer batch when the student changed something, else a heartbeat 30 s after its last
   request; both carry the pending telemetry and bring back the server's clock (the heartbeat
   also a proctor's pause or extra time, the end of the sitting, a take-over by another
   device). No separate timer sync or telemetry request. */
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
  // an item's HTML as one line of text with its maths (x³, not x3): for <option>s and labels
  function textOf(html) { return window.ujMath ? window.ujMath.plain(html || '') : rich('span', {}, html || '').textContent; }
  function show(nodes) {
    main.textContent = '';
    nodes.forEach(function (n) { if (n) main.appendChild(n); });
    main.focus();
  }
  function alertMsg(text) { var a = $('alert'); a.hidden = !text; a.textContent = text || ''; }

  /* ---------- state ---------- */
  var Q = window.ujQueue, t = window.ujI18n.t;
  var S = {
    auth: load('uj.auth', null), sid: null, paper: null, items: [], pos: 0,
    q: Q.create(), flags: {}, sending: false, online: true, misses: 0, stalls: 0, batchReplies: 0,
    retryTimer: null, holdUntil: 0, serverHold: false, done: false, finished: false, linear: false
  };
  // the answers and the queue live in one object (queue.js), saved whole after each change
  function persist() {
    if (!S.sid) return;
    save('uj.q.' + S.sid, S.q);
    save('uj.f.' + S.sid, { flags: S.flags, pos: S.pos });
  }
  function answerOf(id) { return S.q.answers[id]; }
  function isAnswered(id) { var v = S.q.answers[id]; return v !== undefined && v !== null; }
  // "Soal 3, Soal 7": the student's own numbering of the items named
  function numberOf(id) { for (var i = 0; i < S.items.length; i++) if (S.items[i].item.id === id) return i + 1; return 0; }
  function itemNames(ids) { return ids.map(function (id) { return t('item.n', { n: numberOf(id) }); }).join(', '); }

  /* ---------- API ---------- */
  function request(method, path, body, token, extra) {
    var headers = Object.assign({ Accept: 'application/json', 'Accept-Language': window.ujI18n.acceptLanguage() }, extra || {});
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' })
      .then(function (r) {
        return r.text().then(function (t) {
          var data = null;
          try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
          return { status: r.status, data: data, retryAfter: r.headers.get('Retry-After') };
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
  function api(method, path, body, extra) {
    var token = S.auth && S.auth.access_token;
    return request(method, path, body, token, extra).then(function (r) {
      if (r.status !== 401) return r;
      return refresh().then(function (ok) {
        if (ok) return request(method, path, body, S.auth.access_token, extra);
        signOut(t('auth.ended'));
        return r;
      });
    });
  }
  function setAuth(a) { S.auth = a; save('uj.auth', a); }
  function signOut(msg) {
    S.auth = null; drop('uj.auth'); S.sid = null; stopTimer();
    viewSignIn(msg);
  }
  function problemText(r, fallback) { return (r.data && (r.data.detail || r.data.title)) || t(fallback); }

  /* ---------- network state ---------- */
  function setOnline(on) {
    if (S.online !== on) telemetry({ type: 'network', online: on });
    S.online = on;
    updateNet();
  }
  /* The header's one line: what the server holds, from its acked_seq against this device's
     queue; never "saved" while a change waits here. */
  function updateNet() {
    var n = $('net'), pending = Q.pendingItems(S.q).length, late = Q.lateItems(S.q).length;
    n.className = 'net' + (S.online ? '' : ' off') + (late ? ' off' : '');
    if (!S.sid) { n.textContent = S.online ? '' : t('net.offline'); return; }
    n.textContent = late ? t('net.late', { n: late })
      : !S.online ? t('net.offlineKept', { n: pending })
      : pending ? t('net.saving', { n: pending }) : t('net.allSaved');
    updateItemStatus();
    offlineWarning();
  }
  function updateItemStatus() {
    var el = $('item-status'), entry = S.items[S.pos];
    if (!el || !entry) return;
    var id = entry.item.id, st = Q.status(S.q, id);
    el.setAttribute('data-status', st);
    el.className = 'saved ' + st;
    el.textContent = st === 'late' ? t('item.late') : st === 'pending' ? t('item.pending')
      : isAnswered(id) ? t('item.saved') : '';
  }
  /* Offline in the last minutes: say plainly how long is left and what waits on the device. */
  var WARN_MS = 5 * 60000;
  function offlineWarning() {
    var w = $('warn'), left = remaining();
    var on = !!S.sid && !S.done && !S.online && left !== null && left > 0 && left <= WARN_MS;
    if (!w) return;
    if (on && w.hidden) alertMsg(t('warn.offlineSoon', { time: fmt(left) }));
    w.hidden = !on;
    if (on) {
      var pending = Q.pendingItems(S.q);
      w.textContent = t('warn.offlineLeft', { time: fmt(left) }) + ' ' +
        (pending.length ? t('warn.pendingItems', { n: pending.length, items: itemNames(pending) }) : t('warn.nothingPending'));
    }
  }

  /* ---------- server time ---------- */
  var T = { remaining: null, at: 0, tick: null, redraw: null, warned: {}, paused: false, grace: 0, upAt: null };
  /* remaining_ms measured by the server between sentAt and now: take the midpoint. */
  function setRemaining(ms, sentAt, graceMs) {
    var now = performance.now();
    T.remaining = ms;
    T.at = sentAt === undefined ? now : (sentAt + now) / 2;
    if (typeof graceMs === 'number') T.grace = graceMs;
    if (S.done) return;
    if (!T.tick) startTimer();
    // shown at once: a pause, a resume or extra time must not wait for the next second's tick
    else if (T.redraw) { clearTimeout(T.tick); T.redraw(); }
  }
  // time to the deadline, below zero once past it; the clock stands still while paused
  function untilDeadline() { return T.remaining === null ? null : T.remaining - (T.paused ? 0 : performance.now() - T.at); }
  function remaining() { var u = untilDeadline(); return u === null ? null : Math.max(0, u); }
  function fmt(ms) {
    var s = Math.ceil(ms / 1000), hh = Math.floor(s / 3600), mm = Math.floor(s % 3600 / 60), ss = s % 60;
    return (hh ? hh + ':' + (mm < 10 ? '0' : '') : '') + mm + ':' + (ss < 10 ? '0' : '') + ss;
  }
  function startTimer() {
    var el = $('timer');
    el.hidden = false;
    var left0 = remaining();
    [10, 5, 1].forEach(function (m) { if (left0 <= m * 60000) T.warned[m] = true; });
    function tick() {
      var u = untilDeadline();
      if (u === null || S.done) return;
      var left = Math.max(0, u);
      el.textContent = fmt(left);
      el.setAttribute('data-remaining-ms', String(Math.round(left)));
      el.className = 'timer' + (left <= 5 * 60000 ? ' low' : '');
      // with the device's clock too, for a reload without a network (approximate then)
      if (S.sid) save('uj.t.' + S.sid, { left: Math.round(u), wall: Date.now(), grace: T.grace });
      [10, 5, 1].forEach(function (m) {
        if (left <= m * 60000 && !T.warned[m]) {
          T.warned[m] = true;
          alertMsg(t('timer.minutesLeft', { n: m }));
        }
      });
      offlineWarning();
      if (u <= 0 && !S.q.closed) timeUp();
      // past the deadline and its grace the server takes nothing more: say so, item by item
      if (u + T.grace <= 0 && !S.q.late) { Q.expire(S.q); persist(); updateNet(); if (!S.done) viewTimeUp(); }
      if (S.q.late && !Q.pendingItems(S.q).length) return;
      T.tick = setTimeout(tick, 1000 - (Math.abs(u) % 1000) + 20);
    }
    clearTimeout(T.tick);
    T.tick = 1;
    T.redraw = tick;
    tick();
  }
  function stopTimer() { clearTimeout(T.tick); T.tick = null; T.remaining = null; $('timer').hidden = true; }
  /* The heartbeat's clock: the state the page must show, and the time left. */
  function clockFrom(d, sent) {
    var paused = d.state === 'paused';
    if (d.state !== 'active' && !paused) { finish('submitted'); return; }
    if (d.device_replaced) { S.done = true; alertMsg(t('device.replaced')); return; }
    if (paused !== !!T.paused) alertMsg(paused ? t('proctor.paused') : '');
    T.paused = paused;
    setRemaining(d.remaining_ms, sent, d.grace_ms);
  }

  /* ---------- the heartbeat: sent only when no other request went for 30 s ---------- */
  var BEAT_MS = 30000, PAUSED_BEAT_MS = 5000;  // while paused, soon: the clock restarts on resume
  var HB = { timer: null, busy: false };
  // every request to the sitting re-arms it: the heartbeat goes 30 s after the last one
  function armBeat(ms) { clearTimeout(HB.timer); HB.timer = setTimeout(beat, ms === undefined ? (T.paused ? PAUSED_BEAT_MS : BEAT_MS) : ms); }
  function beat() {
    if (!S.sid || S.done) return;
    if (HB.busy) { armBeat(); return; }  // one in flight on a slow network: the next in turn
    HB.busy = true;
    armBeat();  // at once: a reply that never comes does not stop the heartbeat
    var tm = telemetryOut(), sent = performance.now(), sid = S.sid, replies = S.batchReplies, sending = S.sending;
    api('POST', '/v1/sittings/' + sid + '/heartbeat', tm ? { telemetry: tm } : {}).then(function (r) {
      HB.busy = false;
      if (sid !== S.sid) return;
      setOnline(true);
      var d = r.data || {};
      if (r.status === 200) {
        telemetryTaken(tm);
        clockFrom(d, sent);
        if (T.paused) armBeat(PAUSED_BEAT_MS);
        // what the server holds, also with nothing to send: a loss shows (and its answers go
        // again) within a heartbeat. Not when an answer batch crossed it: the server may have
        // read its count before that batch was stored
        if (typeof d.acked_seq === 'number' && !sending && !S.sending && replies === S.batchReplies) {
          acked(d.acked_seq);
          flush();
        }
        return;
      }
      telemetryRefused(tm, d);
    }, function () { HB.busy = false; setOnline(false); });
  }

  /* ---------- the answer queue (queue.js) ---------- */
  // a composite's part on the page (its own id) -> [the item's id, the part's id]: a part's
  // answer is saved as the item's, the parts' answers together (grading/responses.py)
  var PARTS = {};
  function record(itemId, response) {
    var part = PARTS[itemId];
    if (part) {
      var whole = answerOf(part[0]), parts = {}, before = (whole && whole.parts) || {};
      for (var k in before) parts[k] = before[k];
      if (response) parts[part[1]] = response; else delete parts[part[1]];
      itemId = part[0];
      response = Object.keys(parts).length ? { kind: 'composite', parts: parts } : null;
    }
    if (S.done || !Q.record(S.q, itemId, response, Date.now())) return;
    persist();
    updateNet();
    updateGrid();
    flushSoon();
  }
  var flushTimer = null;
  // a short wait gathers a burst of changes (ticking several boxes) into one request
  function flushSoon() { clearTimeout(flushTimer); flushTimer = setTimeout(flush, 50); }
  /* The next try of the queue, never a spin: when the server said (Retry-After on a 503 or a
     429, at most a minute, a little later rather than sooner so that a shard's pages do not all
     come back at the same instant), else the page's own backoff, doubling from 1 s to 15 s with
     jitter. Until then nothing sends the queue (a new answer waits on the device too). */
  var MAX_SERVER_WAIT_MS = 60000;
  function retryLater(serverMs) {
    var ms;
    if (serverMs > 0) ms = Math.min(serverMs, MAX_SERVER_WAIT_MS) * (1 + Math.random() * 0.2);
    else {
      var full = Math.min(1000 * Math.pow(2, S.misses++), 15000);
      ms = full / 2 + Math.random() * full / 2;
    }
    S.serverHold = serverMs > 0;
    S.holdUntil = performance.now() + ms;
    clearTimeout(S.retryTimer);
    S.retryTimer = setTimeout(function () { S.holdUntil = 0; flush(); }, ms);
  }
  // Retry-After in seconds (or an HTTP date), in ms; 0 when absent or unreadable
  function retryAfterMs(r) {
    var v = r.retryAfter, x = (r.data && r.data.extra) || {};
    if (v && /^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
    if (v && !isNaN(Date.parse(v))) return Math.max(0, Date.parse(v) - Date.now());
    return typeof x.retry_after_s === 'number' ? x.retry_after_s * 1000 : 0;
  }
  function acked(n) { Q.ack(S.q, n); persist(); updateNet(); updateGrid(); }
  function flush() {
    if (S.sending || !S.sid || S.finished || !S.q.queue.length) { updateNet(); return Promise.resolve(); }
    if (performance.now() < S.holdUntil) { updateNet(); return Promise.resolve(); }  // its timer sends
    S.sending = true;
    var batch = Q.batch(S.q, BATCH), sent = performance.now(), sid = S.sid;
    // the pending telemetry rides along; the batch is the page's sign of life for 30 s
    var tm = TM.inAnswers ? telemetryOut() : null, body = { events: batch };
    if (tm) body.telemetry = tm;
    armBeat();
    return api('POST', '/v1/sittings/' + sid + '/answers', body).then(function (r) {
      S.sending = false;
      S.batchReplies++;
      if (sid !== S.sid) return;
      setOnline(true);
      var d = r.data || {};
      if (r.status === 200) {
        telemetryTaken(tm);
        // the server stored none of the batch: it holds less than the page had heard (it lost
        // events, and acked() put them back) or it went back again. Once, the page sends the
        // queue again at once; again and again, it backs off
        var progress = typeof d.acked_seq === 'number' && d.acked_seq >= batch[0].seq;
        S.misses = 0;
        S.stalls = progress ? 0 : S.stalls + 1;
        acked(d.acked_seq);
        setRemaining(d.remaining_ms, sent);
        if (S.q.queue.length && S.stalls > 1) { S.misses = S.stalls - 2; return retryLater(); }
        if (S.q.queue.length) return flush();
        if (S.q.closed && !S.done) submit(true);  // time is up and everything arrived
        return;
      }
      var x = d.extra || {};
      // the telemetry part was refused for good and nothing of the request was stored: the
      // page drops that part (as it always dropped refused telemetry) and sends the answers again
      if (telemetryRefused(tm, d)) return flush();
      if (typeof x.acked_seq === 'number') acked(x.acked_seq);
      else if (typeof d.acked_seq === 'number') acked(d.acked_seq);
      if (d.code === 'time_expired' || d.code === 'sitting_submitted') return finish(d.code === 'time_expired' ? 'time' : 'submitted');
      if (d.code === 'device_replaced') { S.done = true; alertMsg(t('device.replaced')); return; }
      if (d.code === 'sitting_paused') { alertMsg(t('proctor.pausedKept')); retryLater(); beat(); return; }
      // nothing of the batch was stored (over the write budget, a write not replicated in
      // time, the server busy): the same events again once the server says so
      if (r.status === 429 || r.status === 503) return retryLater(retryAfterMs(r));
      // the server refuses these events for good and stored none of the batch: drop the
      // events it names (all of the batch when it names none), send the rest again
      var refused = null;
      if (d.code === 'navigation_linear' && typeof x.seq === 'number') refused = [x.seq];
      else if (r.status === 400 && d.errors) refused = d.errors.map(function (e) { return e.seq; }).filter(function (q) { return typeof q === 'number'; });
      // a server of the release before (a rolling upgrade) refuses the telemetry field without
      // naming an event: never drop answers for that; send them without telemetry from now on
      if (tm && r.status === 400 && !x.part && !(refused && refused.length)) { TM.inAnswers = false; return flush(); }
      if (r.status === 400 || (d.code === 'navigation_linear' && refused)) {
        Q.refuse(S.q, refused && refused.length ? refused : batch.map(function (e) { return e.seq; }), batch[0].seq);
        persist();
        alertMsg(t('answers.refused', { why: d.detail || d.title || '' }));
        return flush();
      }
      retryLater();
    }, function () {
      S.sending = false;
      setOnline(false);
      retryLater();
    });
  }
  // back online: the page's own backoff starts again (a wait the server asked for stands)
  window.addEventListener('online', function () {
    S.misses = 0;
    if (!S.serverHold) { clearTimeout(S.retryTimer); S.holdUntil = 0; }
    flush(); beat();
  });
  window.addEventListener('offline', function () { setOnline(false); });
  document.addEventListener('visibilitychange', function () {
    telemetry({ type: 'visibility', state: document.visibilityState === 'hidden' ? 'hidden' : 'visible' });
    // visible again: the clock may have slept with the phone; hidden: the page may be frozen
    // next, so what it saw goes now
    beat();
    if (document.visibilityState === 'visible') flush();
  });
  setInterval(function () { if (S.q.queue.length && !S.sending) flush(); }, 5000);
  /* ---------- telemetry (proctoring/telemetry.py) ---------- */
  var TM = { session: (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now()).replace(/[^A-Za-z0-9]/g, ''), seq: 0, events: [], out: null, inAnswers: true };
  function telemetry(ev) {
    if (!S.sid || S.done) return;
    ev.ts = Date.now();  // the server maps page time onto its own clock by sent_at
    TM.events.push(ev);
    if (TM.events.length > 150) TM.events.splice(0, TM.events.length - 150);
  }
  /* The batch to send with the next request: the one not yet taken, sent again as it is (its
     batch_seq, so the server stores it once however often it arrives), else a new one. */
  function telemetryOut() {
    if (!TM.out && TM.events.length) TM.out = { session: TM.session, batch_seq: ++TM.seq, events: TM.events.splice(0, 200) };
    if (!TM.out) return null;
    TM.out.sent_at = Date.now();  // the page's clock now: the server's offset for these events
    return TM.out;
  }
  function telemetryTaken(tm) { if (tm && TM.out === tm) TM.out = null; }
  // refused for good (not valid, too large, over this page's rate): dropped, nothing else of
  // the request was stored
  function telemetryRefused(tm, d) {
    var gone = !!tm && !!d.extra && d.extra.part === 'telemetry' &&
      ['validation_failed', 'payload_too_large', 'rate_limited'].indexOf(d.code) >= 0;
    if (gone && TM.out === tm) TM.out = null;
    return gone;
  }
  // a heartbeat event every 30 s, as always: it goes with the next request, whichever it is
  setInterval(function () { telemetry({ type: 'heartbeat' }); }, 30000);
  window.addEventListener('focus', function () { telemetry({ type: 'focus' }); });
  window.addEventListener('blur', function () { telemetry({ type: 'blur' }); beat(); });
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
  function keepDeviceToken(u, tok) { try { if (tok) localStorage.setItem('ujian.device.' + u.toLowerCase(), tok); } catch (e) { /* private mode */ } }
  // the school's zone when the server names it, else WIB (the zone most schools read)
  function zone() { return (S.paper && S.paper.time_zone) || (S.auth && S.auth.time_zone) || 'Asia/Jakarta'; }

  function viewSignIn(msg) {
    S.view = function () { viewSignIn(msg); };
    $('title').textContent = 'Ujian';
    var err = h('p', { class: 'err', role: 'alert', text: msg || '' });
    var mode = 'password';
    var user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
    var pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    var code = h('input', { id: 'card', name: 'card', autocomplete: 'off', autocapitalize: 'characters', placeholder: 'XXXX-XXXX-XXXX' });
    var pwBox = h('div', {}, [h('label', { class: 'field', for: 'username' }, [h('span', { text: t('signin.username') })]), user,
      h('label', { class: 'field', for: 'password' }, [h('span', { text: t('signin.password') })]), pass]);
    var cardBox = h('div', { hidden: true }, [h('label', { class: 'field', for: 'card' }, [h('span', { text: t('signin.cardCode') })]), code]);
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
        err.textContent = problemText(r, 'signin.failed');
      }, function () { err.textContent = t('signin.offline'); });
    } }, [
      h('h1', { text: t('signin.title') }),
      h('div', { class: 'tabs', role: 'tablist' }, [tab('password', t('signin.tabPassword')), tab('card', t('signin.tabCard'))]),
      pwBox, cardBox, err, h('p', {}, [h('button', { class: 'primary', type: 'submit', id: 'signin' }, [t('signin.submit')])])
    ]);
    show([form]);
    user.focus();
  }

  function viewExams() {
    S.view = viewExams;
    $('title').textContent = 'Ujian';
    api('GET', '/v1/exams').then(function (r) {
      if (r.status !== 200) return;
      var exams = r.data || [];
      if (S.auth && S.auth.exam_id) exams = exams.filter(function (e) { return e.id === S.auth.exam_id; });
      var list = exams.map(function (e) {
        var z = e.time_zone || zone();
        return h('li', { class: 'card' }, [
          h('h2', { text: e.title }),
          h('p', { class: 'muted', text: t('exams.meta', {
            minutes: Math.round(e.time_limit_s / 60), n: e.item_count,
            opens: window.ujI18n.dateTime(e.window_open, z), closes: window.ujI18n.dateTime(e.window_close, z)
          }) }),
          h('button', { class: 'primary', 'data-exam': e.id, onclick: function () { startExam(e.id); } }, [t('exams.start')])
        ]);
      });
      show([h('h1', { text: t('exams.title') }), list.length ? h('ul', { class: 'plain' }, list) : h('p', { text: t('exams.none') }),
        h('button', { onclick: function () { signOut(); } }, [t('exams.signOut')])]);
    }, function () { show([h('p', { text: t('exams.offline') })]); setOnline(false); });
  }

  function startExam(examId) {
    api('POST', '/v1/exams/' + examId + '/sittings').then(function (r) {
      if (r.status !== 200) { alertMsg(problemText(r, 'exams.cannotStart')); return; }
      if (r.data.state !== 'active') { S.sid = r.data.id; save('uj.sitting', S.sid); finish('submitted'); return; }
      openSitting(r.data.id);
    }, function () { alertMsg(t('exams.startOffline')); });
  }

  /* ---------- the paper ---------- */
  function openSitting(sid) {
    S.sid = sid; S.done = false; S.finished = false;
    save('uj.sitting', sid);
    var kept = load('uj.q.' + sid, null);
    if (kept && !kept.answers) kept.answers = load('uj.a.' + sid, {});  // an older page's copy
    S.q = Q.restore(kept);
    var f = load('uj.f.' + sid, { flags: {}, pos: 0 });
    S.flags = f.flags; S.pos = f.pos;
    var sent = performance.now(), kept = load('uj.p.' + sid, null);
    paperFor(sid, kept).then(function (r) {
      setOnline(true);
      if (r.status === 409) { finish('submitted'); return; }
      if (r.status === 404) { drop('uj.sitting'); S.sid = null; viewExams(); return; }
      if (r.status !== 200) { alertMsg(problemText(r, 'paper.cannotOpen')); return; }
      var p = r.data;
      var answers = {};
      for (var k in p.answers) answers[k] = p.answers[k].response;
      // what the server has, then what it has not acknowledged yet (newer) on top
      Q.reconcile(S.q, p.last_seq, answers);
      persist();
      delete p.answers;
      save('uj.p.' + sid, p);
      begin(p);
      setRemaining(p.remaining_ms, sent, p.grace_ms);
      flush();
    }, function () {
      setOnline(false);
      var p = load('uj.p.' + sid, null);
      if (!p) { show([h('p', { text: t('paper.offline') })]); retryOpen(sid); return; }
      begin(p);
      // no server clock now: count down from the last value we knew, less the time the
      // device's clock says has passed since (approximate, and shown so)
      var kept = load('uj.t.' + sid, null);
      if (kept !== null && typeof kept === 'object') setRemaining(kept.left - Math.max(0, Date.now() - kept.wall), undefined, kept.grace);
      else if (typeof kept === 'number') setRemaining(kept);
      retryOpen(sid);
    });
  }
  /* The paper: its questions are kept on the device per exam version, so a reload asks for
     the answers and the clock (?content=omit) and, at the same time, whether the questions
     changed (If-None-Match: 304, a few bytes). Without a kept copy, the whole paper at once. */
  function paperFor(sid, kept) {
    var base = '/v1/sittings/' + sid + '/paper';
    if (!kept || !kept.content_etag || !kept.sections) return api('GET', base);
    return Promise.all([
      api('GET', base + '?content=omit'),
      api('GET', base + '/content', undefined, { 'If-None-Match': kept.content_etag })
    ]).then(function (both) {
      var state = both[0], content = both[1];
      if (state.status !== 200) return state;
      if (content.status === 200) {
        ['title', 'navigation', 'sections'].forEach(function (k) { state.data[k] = content.data[k]; });
      } else if (content.status === 304 && state.data.content_etag === kept.content_etag) {
        state.data.sections = kept.sections;
      } else return api('GET', base);  // a copy of another version: the whole paper again
      return state;
    });
  }
  function retryOpen(sid) {
    var again = function () { window.removeEventListener('online', again); if (S.sid === sid) { flush(); beat(); } };
    window.addEventListener('online', again);
    setTimeout(function () { if (!S.online && S.sid === sid) { flush(); beat(); } }, 3000);
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
    armBeat();
    if (S.q.closed) viewTimeUp(); else renderItem();
  }

  /* The question map: counts, a filter, and one button per question with its state drawn as
     a colour and a sign (never colour alone): ✓ answered, ⚑ flagged, ↑ only on this device. */
  var MAP = { filter: 'all', open: null };
  // the shared passages this student folded away, by stimulus id: the next question about the
  // same passage shows it folded too
  var STIMULI = { closed: {} };
  function counts() {
    var c = { answered: 0, blank: 0, flagged: 0 };
    S.items.forEach(function (x) {
      if (isAnswered(x.item.id)) c.answered++; else c.blank++;
      if (S.flags[x.item.id]) c.flagged++;
    });
    return c;
  }
  function updateGrid() {
    var g = $('grid');
    if (!g) return;
    // one pass over the queue, and the DOM touched only where a button's state changed: on a
    // 150-question paper and a slow phone every answer redraws this map
    var waiting = {};
    Q.pendingItems(S.q).forEach(function (id) { waiting[id] = S.q.late ? 'late' : 'pending'; });
    Array.prototype.forEach.call(g.children, function (b, i) {
      var id = S.items[i].item.id, answered = isAnswered(id), st = waiting[id] || 'saved', flagged = !!S.flags[id];
      var sig = [answered, st, flagged, MAP.filter, i === S.pos, window.ujI18n.lang()].join();
      if (b.getAttribute('data-sig') === sig) return;
      b.setAttribute('data-sig', sig);
      b.className = (answered ? 'answered' : 'blank') + (flagged ? ' flagged' : '') + (st !== 'saved' ? ' ' + st : '');
      b.hidden = (MAP.filter === 'blank' && answered) || (MAP.filter === 'flagged' && !flagged);
      b.setAttribute('aria-current', String(i === S.pos));
      b.textContent = String(i + 1) + (flagged ? '⚑' : '') + (st !== 'saved' ? '↑' : '');
      b.setAttribute('aria-label', t('map.button', {
        n: i + 1, state: t(answered ? 'map.answered' : 'map.blank'),
        flag: flagged ? t('map.flaggedSuffix') : '', sync: st === 'saved' ? '' : t(st === 'late' ? 'map.lateSuffix' : 'map.pendingSuffix')
      }));
    });
    var c = counts(), sum = $('map-counts');
    if (sum) {
      sum.textContent = t('map.counts', { answered: c.answered, blank: c.blank, flagged: c.flagged });
      sum.setAttribute('data-answered', String(c.answered));
      sum.setAttribute('data-blank', String(c.blank));
      sum.setAttribute('data-flagged', String(c.flagged));
    }
  }
  function questionMap() {
    if (S.linear) return null;
    if (MAP.open === null) MAP.open = S.items.length <= 30 || window.innerWidth >= 800;
    var grid = h('div', { id: 'grid', class: 'grid' }, S.items.map(function (x, i) {
      return h('button', { type: 'button', onclick: function () { go(i); } }, [String(i + 1)]);
    }));
    var filters = h('div', { class: 'filters', role: 'group', 'aria-label': t('map.filter') }, ['all', 'blank', 'flagged'].map(function (f) {
      return h('button', { type: 'button', 'data-filter': f, 'aria-pressed': String(MAP.filter === f), onclick: function () {
        MAP.filter = f;
        Array.prototype.forEach.call(filters.children, function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-filter') === f)); });
        updateGrid();
      } }, [t('map.filter.' + f)]);
    }));
    var legend = h('ul', { class: 'legend', 'aria-label': t('map.legend') }, [
      h('li', {}, [h('span', { class: 'key answered', 'aria-hidden': 'true', text: '1' }), ' ' + t('map.answered')]),
      h('li', {}, [h('span', { class: 'key blank', 'aria-hidden': 'true', text: '1' }), ' ' + t('map.blank')]),
      h('li', {}, [h('span', { class: 'key flagged', 'aria-hidden': 'true', text: '1⚑' }), ' ' + t('map.flagged')]),
      h('li', {}, [h('span', { class: 'key pending', 'aria-hidden': 'true', text: '1↑' }), ' ' + t('map.pending')])
    ]);
    var d = h('details', { id: 'map', class: 'map', open: MAP.open, ontoggle: function () { MAP.open = d.open; } }, [
      h('summary', {}, [h('span', { class: 'map-title', text: t('map.title') }), ' ', h('span', { id: 'map-counts', class: 'muted' })]),
      filters, grid, legend
    ]);
    return h('nav', { 'aria-label': t('map.title') }, [d]);
  }
  function go(i) {
    S.pos = Math.max(0, Math.min(S.items.length - 1, i)); persist(); renderItem();
    // the question's number at the top, below the sticky bar (scroll-margin in the CSS)
    var label = $('q-label');
    if (label) label.scrollIntoView({ block: 'start' });
  }

  function renderItem() {
    if (S.q.closed) { viewTimeUp(); return; }
    S.view = renderItem;
    var entry = S.items[S.pos], it = entry.item, n = S.pos + 1;
    var heading = h('h2', { id: 'q-label' }, [t('item.heading', { n: n, total: S.items.length }) + ' ', h('span', { class: 'muted', text: t('item.points', { n: it.points }) })]);
    var box = h('section', { class: 'item', 'aria-labelledby': 'q-label', 'data-item': it.id, 'data-kind': it.kind }, [
      h('p', { class: 'section', text: entry.section }), heading, stimulusBox(it, S.pos),
      rich('div', { class: 'stem', id: 'stem' }, it.kind === 'cloze' || it.gap_match ? '' : it.stem)
    ]);
    box.appendChild(RENDER[it.kind] ? RENDER[it.kind](it, answerOf(it.id), box) : h('p', { class: 'err', text: t('item.unknownKind') }));
    var flag = h('button', { type: 'button', id: 'flag', class: 'flag', 'aria-pressed': String(!!S.flags[it.id]), onclick: function () {
      S.flags[it.id] = !S.flags[it.id]; if (!S.flags[it.id]) delete S.flags[it.id];
      flag.setAttribute('aria-pressed', String(!!S.flags[it.id]));
      flag.textContent = S.flags[it.id] ? t('item.flagged') : t('item.flag');
      persist(); updateGrid();
    } }, [S.flags[it.id] ? t('item.flagged') : t('item.flag')]);
    var clear = h('button', { type: 'button', onclick: function () { record(it.id, null); renderItem(); } }, [t('item.clear')]);
    box.appendChild(h('div', { class: 'tools' }, [flag, clear]));
    box.appendChild(h('p', { id: 'item-status', class: 'saved', role: 'status', 'aria-live': 'polite' }));
    var pager = h('nav', { class: 'pager', 'aria-label': t('item.navigation') }, [
      S.linear ? h('span') : h('button', { type: 'button', id: 'prev', disabled: S.pos === 0, onclick: function () { go(S.pos - 1); } }, [t('item.prev')]),
      S.pos < S.items.length - 1 ? h('button', { type: 'button', class: 'primary', id: 'next', onclick: function () { go(S.pos + 1); } }, [t('item.next')]) : h('span')
    ]);
    var submit = h('button', { type: 'button', id: 'submit', onclick: confirmSubmit }, [t('item.finish')]);
    show([box, pager, questionMap(), h('p', {}, [submit])]);
    updateGrid();
    updateNet();
  }

  // QTI's shared stimulus: the passage (or table, or picture) several questions ask about, above
  // each of them; it folds away so that on a phone the question stays a short scroll away
  function stimulusRun(list, pos, idOf) {
    var id = idOf(list[pos]), from = pos, to = pos;
    while (from > 0 && idOf(list[from - 1]) === id) from--;
    while (to < list.length - 1 && idOf(list[to + 1]) === id) to++;
    return { from: from + 1, to: to + 1 };
  }
  function stimulusIdOf(entry) { var s = entry.item.stimulus; return s ? s.id : null; }
  // the passage's box, with which questions it is for when there are more than one; `closed`
  // remembers the passages folded away (by stimulus id)
  function passageBox(s, run, closed) {
    var hint = run.from === run.to ? null : h('span', { class: 'muted', text: t('item.stimulusFor', { from: run.from, to: run.to }) });
    var d = h('details', { class: 'stimulus', 'data-stimulus': s.id, open: !closed[s.id], ontoggle: function () {
      if (d.open) delete closed[s.id]; else closed[s.id] = true;
    } }, [
      h('summary', {}, [h('span', { class: 'stimulus-title', text: s.title }), hint ? ' ' : null, hint]),
      // scrolls on its own when it is long: focusable, so a keyboard can scroll it too
      rich('div', { class: 'stimulus-body', tabindex: '0', role: 'region', 'aria-label': s.title }, s.body)
    ]);
    return d;
  }
  function stimulusBox(it, pos) {
    return it.stimulus ? passageBox(it.stimulus, stimulusRun(S.items, pos, stimulusIdOf), STIMULI.closed) : null;
  }

  /* ---------- item kinds (grading/responses.py) ---------- */
  function choiceList(it, type, isOn, onChange) {
    var fs = h('fieldset', {}, [h('legend', { class: 'muted', text: t(type === 'radio' ? 'kind.chooseOne' : 'kind.chooseAll') })]);
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
        var typed = v.trim().replace(',', '.');
        if (typed === '') { prev = v; record(it.id, null); hint.textContent = ''; return; }
        var num = Number(typed);
        // the server takes finite numbers up to 1e100 in size (question_bank/answer_rules.py)
        if (!isFinite(num) || Math.abs(num) > 1e100 || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(typed)) { hint.textContent = t('kind.enterNumber', { example: window.ujI18n.number(3.14) }); return; }
        prev = v; record(it.id, { kind: 'numeric', value: num });
      } else {
        prev = v; record(it.id, v.trim() === '' ? null : { kind: kind, text: v });
      }
      hint.textContent = multiline && it.max_length ? v.length + ' / ' + it.max_length : '';
    }
    box.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(commit, 800); });
    box.addEventListener('change', commit);
    box.addEventListener('blur', commit);
    var label = h('label', { class: 'field', for: id }, [h('span', { text: t(kind === 'numeric' ? 'kind.answerNumber' : 'kind.answer') })]);
    return h('div', {}, [label, box, it.unit ? h('span', { text: ' ' + it.unit }) : null, h('div', {}, [hint])]);
  }
  // QTI's slider: only the scale's values (lower bound + n × step) can be answered, and an
  // untouched slider is no answer (QTI gives it no initial position), so the thumb's first
  // place is marked as unanswered until the student moves it, clicks it or presses Enter
  function decimals(x) { var m = String(x).split('.')[1]; return m ? m.length : 0; }
  function sliderBox(it, answer) {
    var s = it.slider, id = 'a-' + it.id, lo = s.lower_bound, hi = s.upper_bound, step = s.step || 1;
    var digits = decimals(step) + decimals(lo), vertical = s.orientation === 'vertical';
    var unit = it.unit ? ' ' + it.unit : '';
    function scaleText(v) { return window.ujI18n.number(v) + unit; }
    var input = h('input', { type: 'range', id: id, min: lo, max: hi, step: step, 'aria-describedby': id + '-out',
      class: 'slider' + (vertical ? ' vertical' : '') + (s.reverse ? ' reverse' : ''), 'aria-orientation': vertical ? 'vertical' : null });
    var out = h('output', { id: id + '-out', for: id, class: 'value', 'aria-live': 'polite' });
    var answered = !!answer;
    input.value = String(answered ? answer.value : lo);
    // the value as the scale writes it (0.3, not 0.30000000000000004)
    function current() { return Number(Number(input.value).toFixed(digits)); }
    function draw() {
      out.textContent = answered ? t('kind.sliderValue', { value: scaleText(current()) }) : t('kind.sliderUnset');
      input.setAttribute('aria-valuetext', answered ? scaleText(current()) : t('kind.sliderUnset'));
      input.classList.toggle('unset', !answered);
    }
    function commit() { answered = true; record(it.id, { kind: 'numeric', value: current() }); draw(); }
    input.addEventListener('input', function () { answered = true; draw(); });
    input.addEventListener('change', commit);
    input.addEventListener('click', function () { if (!answered) commit(); });
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); commit(); } });
    var values = [], count = Math.floor((hi - lo) / step + 1e-9);
    if (s.step_label && count <= 20) for (var n = 0; n <= count; n++) values.push(Number((lo + n * step).toFixed(digits)));
    else values = [lo, Number((lo + count * step).toFixed(digits))];
    var ticks = h('div', { class: 'scale' + (s.reverse ? ' reverse' : ''), 'aria-hidden': 'true' },
      values.map(function (v) { return h('span', { text: window.ujI18n.number(v) }); }));
    var label = h('label', { class: 'field', for: id }, [h('span', { text: t('kind.answerScale', { min: scaleText(lo), max: scaleText(hi) }) })]);
    draw();
    return h('div', {}, [label, h('div', { class: 'slider-box' + (vertical ? ' vertical' : '') }, [input, ticks]), out]);
  }
  // QTI's hottext: the options are runs of a passage, each a toggle button in its own place
  // (aria-pressed, Enter and Space by nature). A single choice keeps one run: picking another
  // moves the choice. Past max-choices a pick is refused aloud, never dropped in silence
  function hottextBox(it, answer, single) {
    var spec = it.hottext, id = 'a-' + it.id, byId = {};
    it.options.forEach(function (o) { byId[o.id] = o; });
    var most = single ? 1 : (spec.max_choices || it.options.length), fewest = spec.min_choices || 0;
    var picked = single ? (answer && answer.choice ? [answer.choice] : []) : ((answer && answer.choices) || []).slice();
    var ask = single ? t('kind.hottextOne') : most >= it.options.length ? t('kind.hottextAny') : t('kind.hottextUpTo', { n: most });
    if (fewest > 1) ask += ' ' + t('kind.hottextAtLeast', { n: fewest });
    var hint = h('p', { class: 'muted', id: id + '-hint', text: ask });
    var status = h('p', { class: 'saved', role: 'status', 'aria-live': 'polite' });
    var passage = h('div', { class: 'passage', role: 'group', 'aria-label': t('kind.hottextPassage'), 'aria-describedby': id + '-hint' });
    // the same place-holders as question_bank/kinds.py's PLACEHOLDER; one naming no option of
    // the item stays as the text it is
    passage.innerHTML = spec.passage.replace(/\{\{([\p{L}\p{N}\p{M}_.-]{1,64})\}\}/gu, function (all, oid) {
      return byId[oid] ? '<span data-run="' + oid + '"></span>' : all;
    });
    if (window.ujMath) window.ujMath.render(passage);
    var buttons = [];
    function draw() {
      buttons.forEach(function (b) { b.setAttribute('aria-pressed', String(picked.indexOf(b.getAttribute('data-option')) >= 0)); });
    }
    function toggle(oid) {
      var at = picked.indexOf(oid);
      if (at >= 0) picked.splice(at, 1);
      else if (single) picked = [oid];
      else if (picked.length >= most) { status.textContent = t('kind.hottextMost', { n: most }); return; }
      else picked.push(oid);
      status.textContent = '';
      if (single) record(it.id, picked.length ? { kind: 'single_choice', choice: picked[0] } : null);
      else record(it.id, picked.length ? { kind: 'multiple_response', choices: picked.slice() } : null);
      draw();
    }
    Array.prototype.forEach.call(passage.querySelectorAll('[data-run]'), function (slot) {
      var oid = slot.getAttribute('data-run');
      var b = h('button', { type: 'button', class: 'run', 'data-option': oid, onclick: function () { toggle(oid); } },
        [h('span', { class: 'tick', 'aria-hidden': 'true', text: '✓' }), rich('span', {}, byId[oid].text)]);
      buttons.push(b);
      slot.replaceWith(b);
    });
    draw();
    return h('div', {}, [hint, passage, status]);
  }
  // QTI's gap match: a select in each gap of the text, listing the word bank (a select works
  // on every phone and by keyboard, and is read out with its gap's number). Each gap takes one
  // text; a text already in as many gaps as its match-max allows is not offered elsewhere.
  // Past max-associations a fill is refused aloud, never dropped in silence
  function gapMatchBox(it, answer, box) {
    var spec = it.gap_match, stem = box.querySelector('.stem'), id = 'a-' + it.id, limits = spec.match_max || {};
    var isGap = {}, filled = {}, selects = [], gaps = it.targets.length;
    var fills = spec.max_associations || gaps, fewest = spec.min_associations || 0;
    var status = h('p', { class: 'saved', role: 'status', 'aria-live': 'polite' });
    it.targets.forEach(function (g) { isGap[g.id] = true; });
    ((answer && answer.pairs) || []).forEach(function (p) { filled[p[1]] = p[0]; });
    // the same place-holders as question_bank/kinds.py's PLACEHOLDER
    stem.innerHTML = it.stem.replace(/\{\{([\p{L}\p{N}\p{M}_.-]{1,64})\}\}/gu, function (all, gid) {
      return isGap[gid] ? '<span data-gap="' + gid + '"></span>' : all;
    });
    if (window.ujMath) window.ujMath.render(stem);
    stem.classList.add('gaps');
    function most(sid) { return limits[sid] === undefined ? 1 : limits[sid]; }
    function uses(sid, except) {
      return Object.keys(filled).filter(function (g) { return g !== except && filled[g] === sid; }).length;
    }
    function draw() {
      selects.forEach(function (sel) {
        var gid = sel.getAttribute('data-gap');
        Array.prototype.forEach.call(sel.options, function (o) {
          o.disabled = !!o.value && most(o.value) > 0 && uses(o.value, gid) >= most(o.value);
        });
      });
    }
    function save() {
      var pairs = Object.keys(filled).map(function (g) { return [filled[g], g]; });
      record(it.id, pairs.length ? { kind: 'matching', pairs: pairs } : null);
    }
    var n = 0;
    Array.prototype.forEach.call(stem.querySelectorAll('[data-gap]'), function (slot) {
      var gid = slot.getAttribute('data-gap');
      var sel = h('select', { 'data-gap': gid, 'aria-label': t('kind.gap', { n: ++n }), 'aria-describedby': id + '-hint', onchange: function () {
        if (sel.value && !filled[gid] && Object.keys(filled).length >= fills) {
          sel.value = ''; status.textContent = t('kind.gapMost', { n: fills }); return;
        }
        status.textContent = '';
        if (sel.value) filled[gid] = sel.value; else delete filled[gid];
        save(); draw();
      } }, [h('option', { value: '', text: t('kind.choose') })].concat(it.sources.map(function (s) {
        var o = h('option', { value: s.id, selected: filled[gid] === s.id });
        o.textContent = textOf(s.text);
        return o;
      })));
      selects.push(sel);
      slot.replaceWith(sel);
    });
    draw();
    var bank = h('ul', { class: 'bank', 'aria-label': t('kind.gapBank') }, it.sources.map(function (s) { return rich('li', {}, s.text); }));
    var ask = t('kind.gapHint');
    if (fills < gaps) ask += ' ' + t('kind.gapUpTo', { n: fills });
    if (fewest > 1) ask += ' ' + t('kind.gapAtLeast', { n: fewest });
    return h('div', {}, [h('p', { class: 'muted', id: id + '-hint', text: ask }), bank, status]);
  }
  // QTI's associate: pairs drawn from one list of choices, each pair a row of two selects
  // (as many rows as max-associations allows). A pair has no direction; a choice already in as
  // many pairs as its match-max allows, or the one picked beside it, is not offered again
  function associateBox(it, answer) {
    var spec = it.associate, limits = spec.match_max || {}, id = 'a-' + it.id, n = it.sources.length;
    function most(c) { return limits[c] === undefined ? 1 : limits[c]; }
    var room = it.sources.reduce(function (sum, c) { return sum + (most(c.id) || n - 1); }, 0);
    var count = spec.max_associations || Math.max(1, Math.min(12, Math.floor(room / 2)));
    var rows = [];
    for (var r = 0; r < count; r++) rows.push(['', '']);
    ((answer && answer.pairs) || []).slice(0, count).forEach(function (p, i) { rows[i] = [p[0], p[1]]; });
    var selects = [];
    function uses(c, row, side) {
      var k = 0;
      rows.forEach(function (p, i) { [0, 1].forEach(function (j) { if (p[j] === c && !(i === row && j === side)) k++; }); });
      return k;
    }
    function draw() {
      selects.forEach(function (sel) {
        var row = +sel.getAttribute('data-row'), side = +sel.getAttribute('data-side'), other = rows[row][1 - side];
        Array.prototype.forEach.call(sel.options, function (o) {
          o.disabled = !!o.value && (o.value === other || (most(o.value) > 0 && uses(o.value, row, side) >= most(o.value)));
        });
      });
    }
    function save() {
      var seen = {}, pairs = [];
      rows.forEach(function (p) {
        var k = [p[0], p[1]].sort().join(' ');
        if (p[0] && p[1] && p[0] !== p[1] && !seen[k]) { seen[k] = true; pairs.push([p[0], p[1]]); }
      });
      record(it.id, pairs.length ? { kind: 'matching', pairs: pairs } : null);
    }
    var list = h('div', { class: 'pairs' });
    rows.forEach(function (p, row) {
      var label = t('kind.pair', { n: row + 1 });
      var cells = [0, 1].map(function (side) {
        var sel = h('select', { 'data-row': row, 'data-side': side, 'aria-label': label + ', ' + t(side ? 'kind.pairSecond' : 'kind.pairFirst'), onchange: function () {
          rows[row][side] = sel.value; save(); draw();
        } }, [h('option', { value: '', text: t('kind.choose') })].concat(it.sources.map(function (c) {
          var o = h('option', { value: c.id, selected: p[side] === c.id });
          o.textContent = textOf(c.text);
          return o;
        })));
        selects.push(sel);
        return sel;
      });
      list.appendChild(h('div', { role: 'group', 'aria-label': label, 'aria-describedby': id + '-hint' }, [cells[0], h('span', { class: 'with', 'aria-hidden': 'true', text: '↔' }), cells[1]]));
    });
    draw();
    var bank = h('ul', { class: 'bank', 'aria-label': t('kind.pairChoices') }, it.sources.map(function (c) { return rich('li', {}, c.text); }));
    var ask = t('kind.pairHint', { n: count });
    if ((spec.min_associations || 0) > 1) ask += ' ' + t('kind.pairAtLeast', { n: spec.min_associations });
    return h('div', {}, [h('p', { class: 'muted', id: id + '-hint', text: ask }), bank, list]);
  }
  // where a hotspot's label stands, in the picture's pixels: its centre (a polygon's: the mean
  // of its points), as question_bank/graphic.py's centre
  function hotspotCentre(spot) {
    var c = spot.coords, x = c[0], y = c[1];
    if (spot.shape === 'rect') { x = (c[0] + c[2]) / 2; y = (c[1] + c[3]) / 2; }
    if (spot.shape === 'poly') {
      x = 0; y = 0;
      for (var i = 0; i < c.length; i += 2) { x += c[i]; y += c[i + 1]; }
      x /= c.length / 2; y /= c.length / 2;
    }
    return [x, y];
  }
  // the picture with each option's mark at its hotspot, placed in percent so it keeps its place
  // as the picture scales; a picture given no size is measured once it has loaded
  function graphicBox(it, marks, alt) {
    var g = it.graphic;
    var img = h('img', { src: g.image, alt: g.alt || alt, width: g.width || null, height: g.height || null, draggable: 'false' });
    function place() {
      var w = g.width || img.naturalWidth, ht = g.height || img.naturalHeight;
      if (!w || !ht) return;
      it.options.forEach(function (o, n) {
        var at = hotspotCentre(g.hotspots[o.id]);
        marks[n].style.left = (100 * at[0] / w) + '%';
        marks[n].style.top = (100 * at[1] / ht) + '%';
      });
    }
    if (g.width && g.height) place();
    else img.addEventListener('load', place);
    return h('div', { class: 'hotspots' }, [img].concat(marks));
  }
  // QTI's graphic order: the options are places on a picture, each shown there by its label;
  // the order is given in the list below it (the same keyboard and screen-reader list as any
  // ordering), so the picture itself takes no pointer or key
  function hotspotPicture(it) {
    var marks = it.options.map(function (o) { return rich('span', { class: 'spot', 'aria-hidden': 'true' }, o.text); });
    return graphicBox(it, marks, t('kind.graphicAlt'));
  }
  // QTI's hotspot: the options are places on a picture, each a radio button (a single choice)
  // or a checkbox (a multiple one) drawn at its place with its label in words, so Tab, the
  // arrow keys and Space work as in any choice list and a screen reader names each place.
  // Past max-choices a pick is refused aloud, never dropped in silence
  function hotspotChoices(it, answer, single) {
    var g = it.graphic, id = 'a-' + it.id;
    var most = single ? 1 : (g.max_choices || it.options.length), fewest = g.min_choices || 0;
    var picked = single ? (answer && answer.choice ? [answer.choice] : []) : ((answer && answer.choices) || []).slice();
    var ask = single ? t('kind.hotspotOne') : most >= it.options.length ? t('kind.hotspotAny') : t('kind.hotspotUpTo', { n: most });
    if (fewest > 1) ask += ' ' + t('kind.hottextAtLeast', { n: fewest });
    var status = h('p', { class: 'saved', role: 'status', 'aria-live': 'polite' });
    var inputs = [];
    function changed(input) {
      var oid = input.value, at = picked.indexOf(oid);
      if (single) picked = input.checked ? [oid] : [];
      else if (!input.checked) { if (at >= 0) picked.splice(at, 1); }
      else if (picked.length >= most) { input.checked = false; status.textContent = t('kind.hotspotMost', { n: most }); return; }
      else if (at < 0) picked.push(oid);
      status.textContent = '';
      if (single) record(it.id, picked.length ? { kind: 'single_choice', choice: picked[0] } : null);
      else record(it.id, picked.length ? { kind: 'multiple_response', choices: picked.slice() } : null);
    }
    var marks = it.options.map(function (o) {
      var input = h('input', { type: single ? 'radio' : 'checkbox', name: 'q-' + it.id, value: o.id, checked: picked.indexOf(o.id) >= 0, onchange: function () { changed(input); } });
      inputs.push(input);
      return h('label', { class: 'spot pick' }, [input, rich('span', {}, o.text)]);
    });
    var legend = h('legend', { class: 'muted', id: id + '-hint', text: ask });
    return h('div', {}, [h('fieldset', { class: 'hotspot-set' }, [legend, graphicBox(it, marks, t('kind.hotspotAlt'))]), status]);
  }
  var RENDER = {
    single_choice: function (it, a) {
      if (it.hottext) return hottextBox(it, a, true);
      if (it.graphic) return hotspotChoices(it, a, true);
      return choiceList(it, 'radio', function (id) { return !!a && a.choice === id; }, function (fs) {
        record(it.id, { kind: 'single_choice', choice: checked(fs)[0] });
      });
    },
    multiple_response: function (it, a) {
      if (it.hottext) return hottextBox(it, a, false);
      if (it.graphic) return hotspotChoices(it, a, false);
      return choiceList(it, 'checkbox', function (id) { return !!a && a.choices.indexOf(id) >= 0; }, function (fs) {
        var c = checked(fs);
        record(it.id, c.length ? { kind: 'multiple_response', choices: c } : null);
      });
    },
    true_false: function (it, a) {
      var fake = { id: it.id, options: [{ id: 'true', text: t('kind.true') }, { id: 'false', text: t('kind.false') }] };
      return choiceList(fake, 'radio', function (id) { return !!a && String(a.value) === id; }, function (fs) {
        record(it.id, { kind: 'true_false', value: checked(fs)[0] === 'true' });
      });
    },
    numeric: function (it, a) { return it.slider ? sliderBox(it, a) : textBox(it, a, 'numeric', false); },
    short_text: function (it, a) { return textBox(it, a, 'short_text', false); },
    essay: function (it, a) { return textBox(it, a, 'essay', true); },
    ordering: function (it, a) {
      var byId = {};
      it.options.forEach(function (o) { byId[o.id] = o; });
      var order = a && a.order ? a.order.slice() : it.options.map(function (o) { return o.id; });
      var status = h('p', { class: 'saved', role: 'status', 'aria-live': 'polite' });
      var list = h('ol', { class: 'order', 'aria-label': t('kind.orderLabel') });
      function move(i, d, focusDir) {
        var j = i + d;
        if (j < 0 || j >= order.length) return;
        var moved = order[i]; order[i] = order[j]; order[j] = moved;
        record(it.id, { kind: 'ordering', order: order.slice() });
        draw();
        status.textContent = t('kind.moved', { n: j + 1, total: order.length });
        var btn = list.children[j].querySelector(focusDir);
        if (btn && !btn.disabled) btn.focus(); else list.children[j].querySelector('button:not([disabled])').focus();
      }
      function draw() {
        list.textContent = '';
        order.forEach(function (id, i) {
          var text = rich('span', {}, byId[id].text);
          list.appendChild(h('li', {}, [text,
            h('button', { type: 'button', 'aria-label': t('kind.moveUp', { what: textOf(byId[id].text) }), disabled: i === 0, onclick: function () { move(i, -1, '.up'); }, class: 'up' }, ['↑']),
            h('button', { type: 'button', 'aria-label': t('kind.moveDown', { what: textOf(byId[id].text) }), disabled: i === order.length - 1, onclick: function () { move(i, 1, '.down'); }, class: 'down' }, ['↓'])]));
        });
      }
      draw();
      return h('div', {}, [it.graphic ? hotspotPicture(it) : null, list, status]);
    },
    matching: function (it, a, box) {
      if (it.gap_match) return gapMatchBox(it, a, box);
      if (it.associate) return associateBox(it, a);
      var chosen = {};
      ((a && a.pairs) || []).forEach(function (p) { chosen[p[0]] = p[1]; });
      var grid = h('div', { class: 'match' });
      it.sources.forEach(function (s) {
        var id = 'm-' + it.id + '-' + s.id;
        var sel = h('select', { id: id, onchange: function () {
          if (sel.value) chosen[s.id] = sel.value; else delete chosen[s.id];
          var pairs = Object.keys(chosen).map(function (k) { return [k, chosen[k]]; });
          record(it.id, pairs.length ? { kind: 'matching', pairs: pairs } : null);
        } }, [h('option', { value: '', text: t('kind.choose') })].concat(it.targets.map(function (t) {
          var o = h('option', { value: t.id, selected: chosen[s.id] === t.id });
          o.textContent = textOf(t.text);
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
        var bid = slot.getAttribute('data-blank'), blank = (it.blanks || {})[bid], label = t('kind.blank', { n: ++n });
        if (!blank) return;
        var ctl;
        if (blank.kind === 'single_choice') {
          ctl = h('select', { 'aria-label': label, onchange: function () { values[bid] = ctl.value ? { kind: 'single_choice', choice: ctl.value } : null; save(); } },
            [h('option', { value: '', text: '—' })].concat(blank.options.map(function (o) {
              var opt = h('option', { value: o.id, selected: prev[bid] && prev[bid].choice === o.id });
              opt.textContent = textOf(o.text);
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
    // several interactions in one item, each where the item's text puts it ({{id}}), each shown
    // as a question of its own kind; their answers are saved together as one
    composite: function (it, a, box) {
      var stem = box.querySelector('.stem'), prev = (a && a.parts) || {};
      stem.innerHTML = it.stem.replace(/\{\{([\p{L}\p{N}\p{M}_.-]{1,64})\}\}/gu, function (all, pid) {
        return it.parts && it.parts[pid] ? '<span class="part" data-part="' + pid + '"></span>' : all;
      });
      if (window.ujMath) window.ujMath.render(stem);
      Array.prototype.forEach.call(stem.querySelectorAll('[data-part]'), function (slot) {
        var pid = slot.getAttribute('data-part'), part = Object.assign({}, it.parts[pid], { id: it.id + '-p-' + pid });
        PARTS[part.id] = [it.id, pid];
        var sub = h('div', { class: 'item-part', 'data-part': pid, 'data-kind': part.kind, role: 'group' }, [
          rich('div', { class: 'stem' }, part.kind === 'cloze' || part.gap_match ? '' : part.stem)
        ]);
        sub.appendChild(RENDER[part.kind] && part.kind !== 'composite' ? RENDER[part.kind](part, prev[pid] || null, sub) : h('p', { class: 'err', text: t('item.unknownKind') }));
        slot.appendChild(sub);
      });
      return h('span');
    },
    select_point: function (it, a) {
      var max = it.max_choices || 1, points = ((a && a.points) || []).map(function (p) { return p.slice(); });
      var cursor = [Math.round(it.width / 2), Math.round(it.height / 2)];
      var img = h('img', { src: it.image, alt: t('kind.pointAlt', { w: it.width, h: it.height }), draggable: 'false' });
      var pad = h('div', { class: 'pointer', tabindex: '0', role: 'application', 'aria-label': t('kind.pointHelp') }, [img]);
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
        status.textContent = points.length ? t('kind.points', { list: points.map(function (p) { return '(' + p[0] + ', ' + p[1] + ')'; }).join('; ') }) : t('kind.noPoint');
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

  /* ---------- the review after results ---------- */
  var plain = textOf;
  function letterOf(list, id) {
    var o = (list || []).filter(function (x) { return x.id === id; })[0];
    return o ? o.letter + '. ' + plain(o.text) : String(id);
  }
  function num(v) { return typeof v === 'number' ? window.ujI18n.number(v) : String(v); }
  function blankText(b) {
    if (!b) return '—';
    if (b.kind === 'single_choice' || b.choice !== undefined) return String(b.choice);
    if (b.kind === 'numeric' || b.value !== undefined) return num(b.value);
    return b.text !== undefined ? b.text : '—';
  }
  // the student's answer in words, options by their letter as the teacher reads them
  function answerText(it, r) {
    if (!r) return t('review.noAnswer');
    switch (r.kind) {
      case 'single_choice': return letterOf(it.options, r.choice);
      case 'multiple_response': return r.choices.map(function (c) { return letterOf(it.options, c); }).join('; ');
      case 'true_false': return t(r.value ? 'kind.true' : 'kind.false');
      case 'numeric': return num(r.value) + (it.key.unit ? ' ' + it.key.unit : '');
      case 'short_text': case 'essay': return r.text;
      case 'ordering': return r.order.map(function (c) { return letterOf(it.options, c); }).join(' → ');
      case 'matching': return r.pairs.map(function (p) { return plain(letterOf(it.sources, p[0])) + ' → ' + letterOf(it.targets, p[1]); }).join('; ');
      case 'cloze': return Object.keys(r.blanks).map(function (k, i) { return t('kind.blank', { n: i + 1 }) + ': ' + blankText(r.blanks[k]); }).join('; ');
      case 'select_point': return r.points.map(function (p) { return '(' + p[0] + ', ' + p[1] + ')'; }).join('; ');
      case 'composite': return partsText(it, function (part, pid) { return r.parts[pid] ? answerText(part, r.parts[pid]) : t('review.noAnswer'); });
    }
    return JSON.stringify(r);
  }
  function keyText(it) {
    var k = it.key;
    switch (it.kind) {
      case 'single_choice': return letterOf(it.options, k.correct);
      case 'multiple_response': return (k.correct || []).map(function (c) { return letterOf(it.options, c); }).join('; ');
      case 'true_false': return t(k.correct ? 'kind.true' : 'kind.false');
      case 'numeric': return num(k.value) + (k.tolerance ? ' ± ' + num(k.tolerance) : '') + (k.unit ? ' ' + k.unit : '');
      case 'short_text': return (k.accepted || []).join(' / ');
      case 'ordering': return (k.correct || []).map(function (c) { return letterOf(it.options, c); }).join(' → ');
      case 'matching': return (k.pairs || []).map(function (p) { return plain(letterOf(it.sources, p[0])) + ' → ' + letterOf(it.targets, p[1]); }).join('; ');
      case 'cloze': return Object.keys(k.blanks || {}).map(function (b, i) {
        var blank = k.blanks[b];
        var right = blank.correct !== undefined ? letterOf(lettered(blank.options), blank.correct).replace(/^[A-Z]\. /, '') : blank.value !== undefined ? num(blank.value) : (blank.accepted || []).join(' / ');
        return t('kind.blank', { n: i + 1 }) + ': ' + right;
      }).join('; ');
      case 'essay': return t('review.manual');
      case 'select_point': return t('review.picture');
      case 'composite': return partsText(it, keyText);
    }
    return '—';
  }
  // a composite's parts in the stem's order, each as a reviewed item of its kind
  function partsText(it, text) {
    var parts = (it.key && it.key.parts) || {}, order = [];
    it.stem.replace(/\{\{([\p{L}\p{N}\p{M}_.-]{1,64})\}\}/gu, function (all, pid) { if (parts[pid]) order.push(pid); return all; });
    return order.map(function (pid, i) {
      var p = parts[pid];
      var part = { kind: p.kind, key: p, options: lettered(p.options), sources: lettered(p.sources), targets: lettered(p.targets) };
      return t('kind.part', { n: i + 1 }) + ': ' + text(part, pid);
    }).join('; ');
  }
  function lettered(options) { return (options || []).map(function (o, i) { return { letter: String.fromCharCode(65 + i), id: o.id, text: o.text }; }); }
  /* Every question in the paper's own order (the teacher's numbers), with the number it had on
     this student's paper, the answer given, the right one and the explanation. */
  function reviewedStimulusId(it) { return it.stimulus ? it.stimulus.id : null; }
  function reviewSection(rv) {
    // (every passage open at first: folding one during the exam does not fold it here)
    var list = h('ol', { class: 'review', id: 'review' }), shown = null, closed = {};
    rv.items.forEach(function (it, pos) {
      var status = it.status ? t('status.' + it.status) : '';
      // a passage is shown once, above the first of the questions in a row that ask about it,
      // saying which they are (by the review's numbers)
      var stimulus = null;
      if (it.stimulus && it.stimulus.id !== shown) {
        var run = stimulusRun(rv.items, pos, reviewedStimulusId);
        stimulus = passageBox(it.stimulus, { from: rv.items[run.from - 1].number, to: rv.items[run.to - 1].number }, closed);
      }
      shown = it.stimulus ? it.stimulus.id : null;
      var kids = [
        stimulus,
        h('h3', { text: t('review.heading', { n: it.number, paper: it.paper_number }) }),
        rich('div', { class: 'stem' }, it.kind === 'cloze' || it.kind === 'matching' || it.kind === 'composite' ? it.stem.replace(/\{\{[\p{L}\p{N}\p{M}_.-]{1,64}\}\}/gu, '[…]') : it.stem)
      ];
      if (it.options && (it.kind === 'single_choice' || it.kind === 'multiple_response' || it.kind === 'ordering')) {
        kids.push(h('ul', { class: 'letters' }, it.options.map(function (o) { return h('li', {}, [h('b', { text: o.letter + '. ' }), rich('span', {}, o.text)]); })));
      }
      kids.push(h('dl', { class: 'verdict' }, [
        h('dt', { text: t('review.yours') }), h('dd', { class: 'yours', text: answerText(it, it.response) }),
        h('dt', { text: t('review.correct') }), h('dd', { class: 'correct', text: keyText(it) }),
        h('dt', { text: t('result.points') }), h('dd', { text: it.points === null ? '—' : num(it.points) + ' / ' + num(it.max_points) + (status ? ' · ' + status : '') })
      ]));
      if (it.explanation) kids.push(h('div', { class: 'explanation' }, [h('h4', { text: t('review.explanation') }), rich('div', {}, it.explanation)]));
      list.appendChild(h('li', { class: 'card' + (it.status ? ' ' + it.status : ''), 'data-number': String(it.number), 'data-paper-number': String(it.paper_number) }, kids));
    });
    return h('section', { 'aria-labelledby': 'review-h' }, [h('h2', { id: 'review-h', text: t('review.title') }), h('p', { class: 'muted', text: t('review.numbering') }), list]);
  }

  /* ---------- submit, time up, results ---------- */
  function blankItems() { return S.items.filter(function (x) { return !isAnswered(x.item.id); }).map(function (x) { return x.item.id; }); }
  function flaggedItems() { return S.items.filter(function (x) { return S.flags[x.item.id]; }).map(function (x) { return x.item.id; }); }
  // QTI's min-choices and min-associations: an answer with fewer parts is saved and scored as
  // given (work in progress is never refused), and the summary names it before submitting
  function fewestOf(it) {
    if (it.hottext) return it.hottext.min_choices || 0;
    if (it.graphic && it.kind !== 'ordering') return it.graphic.min_choices || 0;
    if (it.gap_match) return it.gap_match.min_associations || 0;
    if (it.associate) return it.associate.min_associations || 0;
    return 0;
  }
  function partsOf(answer) { return answer.pairs ? answer.pairs.length : answer.choices ? answer.choices.length : 1; }
  function shortItems() {
    return S.items.filter(function (x) {
      return isAnswered(x.item.id) && partsOf(answerOf(x.item.id)) < fewestOf(x.item);
    }).map(function (x) { return x.item.id; });
  }
  // one button per named question: a tap goes straight to it
  function jumpList(id, ids) {
    return h('ul', { id: id, class: 'jump' }, ids.map(function (item) {
      return h('li', {}, [h('button', { type: 'button', 'data-item': item, onclick: function () { go(numberOf(item) - 1); } }, [t('item.n', { n: numberOf(item) })])]);
    }));
  }
  /* The summary before submitting: what is blank, what is flagged, what is not on the server. */
  function confirmSubmit() {
    S.view = confirmSubmit;
    var blank = blankItems(), few = shortItems(), flagged = flaggedItems(), pending = Q.pendingItems(S.q);
    var yes = h('button', { class: 'primary', id: 'confirm-submit', onclick: function () { submit(false); } }, [t('submit.now')]);
    show([h('div', { class: 'card', role: 'dialog', 'aria-labelledby': 'sub-h' }, [
      h('h1', { id: 'sub-h', text: t('submit.title') }),
      h('p', { id: 'sub-counts', text: t('submit.counts', { answered: S.items.length - blank.length, total: S.items.length }) }),
      blank.length ? h('h2', { text: t('submit.blank', { n: blank.length }) }) : null,
      blank.length ? jumpList('sub-blank', blank) : null,
      few.length ? h('h2', { text: t('submit.short', { n: few.length }) }) : null,
      few.length ? jumpList('sub-short', few) : null,
      flagged.length ? h('h2', { text: t('submit.flagged', { n: flagged.length }) }) : null,
      flagged.length ? jumpList('sub-flagged', flagged) : null,
      pending.length ? h('p', { class: 'err', text: t('submit.pending', { n: pending.length, items: itemNames(pending) }) }) : null,
      h('p', {}, [yes, ' ', h('button', { type: 'button', onclick: renderItem }, [t('submit.back')])])
    ])]);
    yes.focus();
  }
  function submit(auto) {
    var sid = S.sid;
    if (S.finished) return Promise.resolve();
    return flush().then(function () {
      // time is up with answers still on their way: the flush sends them, then submits
      if (S.q.queue.length && auto) return;
      if (S.q.queue.length && S.online) { alertMsg(t('submit.notSent')); return; }
      return api('POST', '/v1/sittings/' + sid + '/submit').then(function (r) {
        if (r.status === 200) showResult(r.data, auto);
        else alertMsg(problemText(r, 'submit.failed'));
      });
    }).catch(function () {
      setOnline(false);
      alertMsg(t(auto ? 'timeup.offline' : 'submit.offline'));
      if (auto) retryLater();
    });
  }
  /* The deadline: the page takes no new answer from here on. What waits on the device may
     still reach the server within the grace period; then the server submits. */
  function timeUp() {
    if (S.done || S.q.closed) return;
    Q.close(S.q);
    persist();
    alertMsg(t('timeup.alert'));
    viewTimeUp();
    if (!S.q.queue.length) submit(true); else flush();
  }
  function viewTimeUp() {
    S.view = viewTimeUp;
    var pending = Q.pendingItems(S.q), late = S.q.late;
    var kids = [h('h1', { id: 'timeup-h', text: t('timeup.title') })];
    if (!pending.length) kids.push(h('p', { text: t('timeup.allSaved') }));
    else if (late) kids.push(h('p', { class: 'err', id: 'late-items', text: t('result.late', { n: pending.length, items: itemNames(pending) }) }));
    else {
      var left = untilDeadline(), grace = left === null ? 0 : Math.max(0, left + T.grace);
      kids.push(h('p', { class: 'err', id: 'pending-items', text: t('timeup.pending', { n: pending.length, items: itemNames(pending), time: fmt(grace) }) }));
    }
    show([h('section', { class: 'card', 'aria-labelledby': 'timeup-h' }, kids)]);
    updateNet();
  }
  function loadPaperFor(sid) {
    if (S.items.length) return;
    var p = load('uj.p.' + sid, null);
    if (p) { S.paper = p; S.items = []; p.sections.forEach(function (sec) { sec.items.forEach(function (it) { S.items.push({ item: it, section: sec.title }); }); }); }
  }
  /* The sitting is over (submitted by the student, the server or time): once, however many
     replies say so. What still waits on the device can no longer count: it is named. */
  function finish(why) {
    if (S.finished) return;
    S.finished = true; S.done = true; stopTimer();
    var sid = S.sid;
    if (!S.q.queue.length) S.q = Q.restore(load('uj.q.' + sid, null));
    loadPaperFor(sid);
    Q.expire(S.q);
    persist();
    var timeOver = why === 'time' || S.q.closed;
    api('GET', '/v1/sittings/' + sid + '/result').then(function (r) {
      showResult(r.status === 200 ? { state: r.data.state, result: r.data.result, result_pending: r.data.result_pending } : { state: 'submitted' }, timeOver);
    }, function () { showResult({ state: 'submitted' }, timeOver); });
  }
  function showResult(outcome, auto) {
    S.finished = true; S.done = true; stopTimer();
    S.view = function () { showResult(outcome, auto); };
    var late = Q.pendingItems(S.q);
    if (late.length) { Q.expire(S.q); persist(); }
    drop('uj.sitting');
    var res = outcome.result, kids = [h('h1', { id: 'result-h', text: t(auto ? 'result.titleTime' : 'result.title') })];
    if (late.length) {
      kids.push(h('p', { class: 'err', id: 'late-items', text: t('result.late', { n: late.length, items: itemNames(late) }) }));
    }
    if (res) {
      var pct = res.max_points ? res.points / res.max_points : 0;
      kids.push(h('p', { class: 'score', id: 'score', text: t('result.score', { points: res.points, max: res.max_points, pct: window.ujI18n.number(pct, { style: 'percent', maximumFractionDigits: 1 }) }) }));
      var rows = S.items.map(function (x, i) {
        var s = res.items[x.item.id];
        return h('tr', {}, [h('td', { text: t('item.n', { n: i + 1 }) }), h('td', { text: s ? window.ujI18n.number(s.points) + ' / ' + window.ujI18n.number(s.max_points) : '—' }), h('td', { text: s ? t('status.' + s.status) : '' })]);
      });
      var table = rows.length ? h('table', {}, [h('caption', { class: 'muted', text: t('result.perItem') }), h('thead', {}, [h('tr', {}, [h('th', { text: t('result.item') }), h('th', { text: t('result.points') }), h('th', { text: t('result.status') })])]), h('tbody', {}, rows)]) : null;
      kids.push(table);
    } else if (outcome.result_pending) kids.push(h('p', { id: 'result-pending', role: 'status', text: t('result.grading') }));
    else kids.push(h('p', { text: t('result.later') }));
    kids.push(h('p', {}, [h('button', { type: 'button', onclick: function () { S.sid = null; S.items = []; viewExams(); } }, [t('result.back')])]));
    var card = h('section', { class: 'card', 'aria-labelledby': 'result-h' }, kids);
    show([card]);
    updateNet();
    // instant results still being scored (the deadline burst grades in bulk): ask again, less
    // and less often, for as long as this screen is shown
    if (!res && outcome.result_pending && S.sid) awaitResult(S.sid, card, outcome, auto, 1500);
    // released results: the question-by-question review replaces the bare points table
    if (res && S.sid) {
      var sid = S.sid;
      (outcome.review ? Promise.resolve({ status: 200, data: outcome.review }) : api('GET', '/v1/sittings/' + sid + '/review')).then(function (r) {
        if (r.status !== 200 || !card.isConnected) return;
        outcome.review = r.data;
        if (table) table.remove();
        card.appendChild(reviewSection(r.data));
      }, function () { /* offline: the points table stays */ });
    }
  }

  function awaitResult(sid, card, outcome, auto, waitMs) {
    setTimeout(function () {
      if (!card.isConnected) return;
      api('GET', '/v1/sittings/' + sid + '/result').then(function (r) {
        if (!card.isConnected) return;
        var next = Math.min(waitMs * 1.5, 15000);
        if (r.status === 200 && r.data.result) showResult({ state: r.data.state, result: r.data.result }, auto);
        else if (r.status === 200 && !r.data.result_pending) showResult({ state: r.data.state }, auto);
        else awaitResult(sid, card, outcome, auto, next);
      }, function () { awaitResult(sid, card, outcome, auto, Math.min(waitMs * 1.5, 15000)); });
    }, waitMs);
  }

  /* ---------- start ---------- */
  function route() {
    if (!S.auth) return viewSignIn();
    var sid = load('uj.sitting', null);
    if (sid) return openSitting(sid);
    if (S.auth.exam_id) return startExam(S.auth.exam_id);
    viewExams();
  }
  // a new language: the page's words again, on the screen the student is on
  function pageWords() { $('timer').setAttribute('aria-label', t('page.timeLeft')); $('langs').setAttribute('aria-label', t('page.langs')); }
  window.ujI18n.onChange(function () { pageWords(); if (S.view) S.view(); updateNet(); });
  pageWords();
  $('langs').appendChild(window.ujI18n.switcher());
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/static/sw.js', { scope: '/' }).catch(function () { /* the page works without it */ });
  route();
})();
