/* The student page's answer queue, as pure functions over a plain object the page keeps in
   localStorage: no DOM, no network, no clock. student.js calls it; the browser tests drive it
   directly (tests/e2e/browser/test_queue_property.py), so what the page claims about an answer
   can be checked against a model of the server under any interleaving.

   The state: {queue: [events not yet acknowledged, seq ascending], next: the next seq,
   answers: {item: the student's latest response, null when cleared}, held: {item: {seq, ts}
   of the item's last acknowledged event}, closed: time is up (no new answer is taken), late:
   the server takes nothing more (deadline + grace passed, or it said so); events still queued
   then never count}.

   The server's acked_seq is the truth, also when it goes back: a Redis failover or crash can
   lose acknowledged events (docs/adr/0019-acknowledged-means-replicated.md), and then the
   server acknowledges less than the page had heard. The items whose last acknowledged event it
   no longer holds go back in the queue with their latest answer (new seqs right after what it
   holds), so the page neither calls them saved nor leaves them lost.

   An item is "saved" only when no event of it waits on the device: the server acknowledged
   (acked_seq: "this and every event before it is stored") the last change the student made.
   The server stores events in seq order and stops at a gap, so the queue must always follow
   the server's last seq without one (renumber). */
(function () {
  'use strict';

  function create() { return { queue: [], next: 1, answers: {}, held: {}, closed: false, late: false }; }

  // whatever localStorage held (an older page's shape too), as a well-formed state
  function restore(saved) {
    var st = create();
    if (!saved || typeof saved !== 'object') return st;
    if (Array.isArray(saved.queue)) st.queue = saved.queue.filter(function (e) { return e && typeof e.seq === 'number'; });
    st.queue.sort(function (a, b) { return a.seq - b.seq; });
    st.next = typeof saved.next === 'number' && saved.next >= 1 ? saved.next : 1;
    if (st.queue.length && st.next <= st.queue[st.queue.length - 1].seq) st.next = st.queue[st.queue.length - 1].seq + 1;
    if (saved.answers && typeof saved.answers === 'object') st.answers = saved.answers;
    // an older page kept no held seqs: what it acknowledged before cannot be put back
    if (saved.held && typeof saved.held === 'object') {
      for (var k in saved.held) {
        var hd = saved.held[k];
        if (hd && typeof hd.seq === 'number') st.held[k] = { seq: hd.seq, ts: typeof hd.ts === 'number' ? hd.ts : 0 };
      }
    }
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

  // the last seq the page heard acknowledged: every seq before the queue's first (or before
  // next) was acknowledged or given again to a later event (renumber)
  function heard(st) { return st.queue.length ? st.queue[0].seq - 1 : st.next - 1; }

  /* The server holds less than it acknowledged (it lost events): the items whose last
     acknowledged event is past what it holds go back, in the order they were acknowledged,
     before what still waits (which is newer). An item with a change still queued needs
     nothing: that change goes anyway and is its latest answer. */
  function putBack(st, acked) {
    var queued = {}, back = [];
    st.queue.forEach(function (e) { queued[e.item] = true; });
    Object.keys(st.held).filter(function (item) { return st.held[item].seq > acked; })
      .sort(function (a, b) { return st.held[a].seq - st.held[b].seq; })
      .forEach(function (item) {
        var ts = st.held[item].ts;
        delete st.held[item];
        if (queued[item]) return;
        var response = st.answers[item] === undefined ? null : st.answers[item];
        back.push({ seq: 0, item: item, response: response, client_ts: ts });
      });
    st.queue = back.concat(st.queue);
    renumber(st, acked);
  }

  /* The server holds every event up to acked: forget those; the rest must follow it. */
  function ack(st, acked) {
    if (typeof acked !== 'number') return;
    if (acked < heard(st)) putBack(st, acked);
    st.queue = st.queue.filter(function (e) {
      if (e.seq > acked) return true;
      st.held[e.item] = { seq: e.seq, ts: e.client_ts };
      return false;
    });
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
    reconcile: reconcile, refuse: refuse, renumber: renumber, heard: heard, close: close, expire: expire,
    pendingItems: pendingItems, lateItems: lateItems, status: status
  };
})();
