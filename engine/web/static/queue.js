/* The student page's answer queue, as pure functions over a plain object the page keeps in
   localStorage: no DOM, no network, no clock. student.js calls it; the browser tests drive it
   directly (tests/e2e/browser/test_queue_property.py), so what the page claims about an answer
   can be checked against a model of the server under any interleaving.

   The state: {queue: [events not yet acknowledged, seq ascending], next: the next seq,
   answers: {item: the student's latest response, null when cleared}, closed: time is up (no
   new answer is taken), late: the server takes nothing more (deadline + grace passed, or it
   said so); events still queued then never count}.

   An item is "saved" only when no event of it waits on the device: the server acknowledged
   (acked_seq: "this and every event before it is stored") the last change the student made.
   The server stores events in seq order and stops at a gap, so the queue must always follow
   the server's last seq without one (renumber). */
(function () {
  'use strict';

  function create() { return { queue: [], next: 1, answers: {}, closed: false, late: false }; }

  // whatever localStorage held (an older page's shape too), as a well-formed state
  function restore(saved) {
    var st = create();
    if (!saved || typeof saved !== 'object') return st;
    if (Array.isArray(saved.queue)) st.queue = saved.queue.filter(function (e) { return e && typeof e.seq === 'number'; });
    st.queue.sort(function (a, b) { return a.seq - b.seq; });
    st.next = typeof saved.next === 'number' && saved.next >= 1 ? saved.next : 1;
    if (st.queue.length && st.next <= st.queue[st.queue.length - 1].seq) st.next = st.queue[st.queue.length - 1].seq + 1;
    if (saved.answers && typeof saved.answers === 'object') st.answers = saved.answers;
    st.closed = !!saved.closed;
    st.late = !!saved.late;
    return st;
  }

  /* A change the student made: the event to send, or null once time is up. */
  function record(st, item, response, ts) {
    if (st.closed || st.late) return null;
    var ev = { seq: st.next++, item: item, response: response, client_ts: ts || 0 };
    st.answers[item] = response;
    st.queue.push(ev);
    return ev;
  }

  // still sent when late: the server's refusal carries its acked_seq, which tells what did
  // arrive (a reply lost on the way), so nothing it holds is named as lost
  function batch(st, size) { return st.queue.slice(0, size); }

  /* Events the server has not got must follow its last seq without a gap. */
  function renumber(st, last) {
    st.queue.forEach(function (e, i) { e.seq = last + 1 + i; });
    st.next = last + 1 + st.queue.length;
  }

  /* The server holds every event up to acked: forget those; the rest must follow it. */
  function ack(st, acked) {
    if (typeof acked !== 'number') return;
    st.queue = st.queue.filter(function (e) { return e.seq > acked; });
    if (st.queue.length && st.queue[0].seq !== acked + 1) renumber(st, acked);
    else if (!st.queue.length && st.next <= acked) st.next = acked + 1;
  }

  /* The paper as the server has it (its last seq and latest answers), then what it has not
     acknowledged yet (newer) on top. */
  function reconcile(st, lastSeq, serverAnswers) {
    ack(st, lastSeq);
    if (!st.queue.length) st.next = Math.max(st.next, lastSeq + 1);
    var answers = {};
    for (var k in serverAnswers) answers[k] = serverAnswers[k];
    st.queue.forEach(function (e) { answers[e.item] = e.response; });
    st.answers = answers;
  }

  /* The server refused these events for good and stored nothing of the batch. */
  function refuse(st, seqs, firstSent) {
    st.queue = st.queue.filter(function (e) { return seqs.indexOf(e.seq) < 0; });
    renumber(st, firstSent - 1);
  }

  function close(st) { st.closed = true; }
  function expire(st) { st.closed = true; st.late = true; }

  // the items with a change only this device holds, in the order they were first changed
  function pendingItems(st) {
    var seen = {}, out = [];
    st.queue.forEach(function (e) { if (!seen[e.item]) { seen[e.item] = true; out.push(e.item); } });
    return out;
  }

  /* 'saved' (the server holds the student's last change, or there is none), 'pending' (on
     this device only, still on its way) or 'late' (on this device only, and it can no longer
     count). */
  function status(st, item) {
    for (var i = 0; i < st.queue.length; i++) if (st.queue[i].item === item) return st.late ? 'late' : 'pending';
    return 'saved';
  }

  function lateItems(st) { return st.late ? pendingItems(st) : []; }

  window.ujQueue = {
    create: create, restore: restore, record: record, batch: batch, ack: ack,
    reconcile: reconcile, refuse: refuse, renumber: renumber, close: close, expire: expire,
    pendingItems: pendingItems, lateItems: lateItems, status: status
  };
})();
