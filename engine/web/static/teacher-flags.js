/* Integrity flags a teacher can act on. Each flag says, in words: what was found, how unusual
   it is (a probability as "about 1 in 4,000", never a statistic next to a significance level),
   and what to check. Its evidence is the questions with both students' answers side by side,
   each with the time it was given, and a link to each sitting's answer sheet. The statistic
   and threshold stay available under "technical details", each on its own line.

   Reads what a flag carries and nothing more: fields the detectors add later (p_value, words
   of evidence) show when present. */
(function () {
  'use strict';
  var PAIR_RULES = ['answer_similarity', 'answer_similarity_screen', 'timestamp_synchrony'];
  var LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

  // a probability in words: "about 1 in 4,000" and how rare that is
  function chance(t, number, p) {
    if (p === null || p === undefined) return null;
    if (p <= 0.0001) return { odds: t('flag.odds.tiny', { n: number(10000) }), level: t('flag.level.very_rare') };
    var n = 1 / p;
    var rounded = n >= 100 ? Number(n.toPrecision(2)) : Math.round(n);
    var odds = rounded <= 1 ? t('flag.odds.common') : t('flag.odds', { n: number(rounded) });
    var level = p < 0.001 ? 'very_rare' : p < 0.01 ? 'rare' : p < 0.05 ? 'unusual' : 'common';
    return { odds: odds, level: t('flag.level.' + level) };
  }

  function evidenceItems(evidence) {
    var seen = {}, out = [];
    evidence.forEach(function (e) { if (e.item && !seen[e.item]) { seen[e.item] = true; out.push(e.item); } });
    return out;
  }
  function pairOf(evidence) { return evidence.filter(function (e) { return e.kind === 'pair'; })[0] || null; }

  function answerText(ctx, item) {
    var r = item.response;
    if (!r) return ctx.t('answer.blank');
    var letter = function (id) {
      var i = (item.options || []).map(function (o) { return o.id; }).indexOf(id);
      return i < 0 ? id : LETTERS.charAt(i) + '. ' + ctx.plain(item.options[i].text);
    };
    switch (r.kind) {
      case 'single_choice': return letter(r.choice);
      case 'multiple_response': return r.choices.map(letter).join('; ');
      case 'true_false': return ctx.t(r.value ? 'answer.true' : 'answer.false');
      case 'numeric': return ctx.number(r.value);
      case 'short_text': case 'essay': return r.text;
      default: return ctx.answerText(r);
    }
  }

  function findings(ctx, f, evidence) {
    var t = ctx.t, pair = pairOf(evidence);
    var params = { n: evidence.filter(function (e) { return e.kind === 'match' || e.kind === 'answer'; }).length };
    if (pair) { params.observed = ctx.number(Math.round(pair.observed)); params.expected = ctx.number(Math.round(pair.expected * 10) / 10); }
    var events = evidence.filter(function (e) { return e.kind === 'event'; });
    params.events = events.length;
    var key = 'rule.' + f.rule + '.found';
    var text = t(key, params);
    return text === key ? t('rule.generic.found') : text;
  }

  function flagCard(ctx, f) {
    var t = ctx.t, h = ctx.h;
    var body = h('div', { class: 'flag-body' });
    var title = t('rule.' + f.rule + '.title');
    if (title === 'rule.' + f.rule + '.title') title = f.rule.replace(/_/g, ' ');
    var odds = chance(t, ctx.number, f.p_value);
    var how = odds ? t('flag.how.test', { odds: odds.odds, level: odds.level }) : t('flag.how.behaviour');
    var check = t('rule.' + f.rule + '.check');
    if (check === 'rule.' + f.rule + '.check') check = t('rule.generic.check');
    var status = t('flag.status.' + f.status);
    var technical = h('details', { class: 'technical' }, [h('summary', {}, [t('flag.technical')]),
      h('ul', {}, [
        h('li', {}, [t('flag.tech.statistic', { value: ctx.number(Math.round(f.statistic * 1000) / 1000), limit: ctx.number(Math.round(f.threshold * 1000) / 1000), direction: t('flag.tech.' + f.direction) })]),
        f.p_value !== null && f.p_value !== undefined ? h('li', {}, [(f.p_value < 0.0001 ? t('flag.tech.p_below', { p: ctx.number(0.0001) }) : t('flag.tech.p', { p: ctx.number(Math.round(f.p_value * 10000) / 10000) })) + (f.correction && f.correction !== 'none' ? ' ' + t('flag.tech.correction.' + f.correction) : '')]) : null,
        h('li', {}, [t('flag.tech.kind.' + f.kind)])])]);
    var open = h('button', { type: 'button', class: 'flag-open', 'aria-expanded': 'false', onclick: function () {
      var expanded = open.getAttribute('aria-expanded') === 'true';
      open.setAttribute('aria-expanded', String(!expanded));
      if (expanded) { body.textContent = ''; return; }
      showFlag(ctx, f.id, body);
    } }, [t('flag.evidence')]);
    return h('li', { class: 'card flag sev-' + f.severity, 'data-flag': f.id, 'data-status': f.status, 'data-rule': f.rule }, [
      h('h3', {}, [title + ' — ', h('span', { class: 'who' }, [f.student])]),
      h('p', { class: 'flag-meta muted' }, [t('flag.risk.' + f.severity) + ' · ' + status + ' · ' + ctx.dateTime(f.created_at)]),
      h('dl', { class: 'flag-words' }, [
        h('dt', {}, [t('flag.found')]), h('dd', { class: 'found' }, [findings(ctx, f, [])]),
        h('dt', {}, [t('flag.how')]), h('dd', { class: 'how' }, [how]),
        h('dt', {}, [t('flag.check')]), h('dd', { class: 'check' }, [check])]),
      technical, open, body]);
  }

  function sittingReview(ctx, sittingId) {
    return ctx.api('GET', ctx.base() + '/sittings/' + sittingId + '/review').then(function (r) { return r.status === 200 ? r.data : null; });
  }

  function showFlag(ctx, id, body) {
    var t = ctx.t, h = ctx.h;
    body.textContent = '';
    body.appendChild(h('p', { class: 'muted' }, [t('common.loading')]));
    ctx.api('GET', '/v1/integrity/flags/' + id).then(function (r) {
      if (r.status !== 200) { body.textContent = ''; body.appendChild(h('p', { class: 'err' }, [t('flag.load_failed')])); return; }
      var d = r.data, f = d.flag, evidence = d.evidence || [];
      var pair = pairOf(evidence);
      var other = pair ? pair.other_sitting : (PAIR_RULES.indexOf(f.rule) >= 0 && f.subject ? f.subject : null);
      return Promise.all([sittingReview(ctx, f.sitting_id), other ? sittingReview(ctx, other) : Promise.resolve(null)]).then(function (reviews) {
        body.textContent = '';
        var found = body.closest('li') && body.closest('li').querySelector('.found');
        if (found) found.textContent = findings(ctx, f, evidence);
        body.appendChild(comparison(ctx, f, evidence, reviews[0], reviews[1], other));
        var events = evidence.filter(function (e) { return e.kind === 'event'; });
        if (events.length) {
          body.appendChild(h('h4', {}, [t('flag.events')]));
          body.appendChild(h('ul', { class: 'evidence events' }, events.map(function (e) {
            var label = t('event.' + e.event);
            return h('li', {}, [(label === 'event.' + e.event ? e.event : label) + (e.detail ? ' — ' + e.detail : '') + ' · ' + ctx.dateTime(e.ts, { timeStyle: 'medium', dateStyle: undefined })]);
          })));
        }
        var values = evidence.filter(function (e) { return e.kind === 'value'; });
        if (values.length) body.appendChild(h('ul', { class: 'evidence values' }, values.map(function (e) { return h('li', {}, [e.label + ': ' + ctx.number(Math.round(e.value * 100) / 100)]); })));
        reviewBox(ctx, id, f, body);
      });
    });
  }

  function timeCell(ctx, it) {
    if (!it || !it.answered_at) return '';
    var when = ctx.dateTime(it.answered_at, { dateStyle: undefined, timeStyle: 'medium' });
    var spent = it.seconds === null || it.seconds === undefined ? '' : ' · ' + ctx.t('answer.seconds', { n: Math.round(it.seconds) });
    var changed = it.changes ? ' · ' + ctx.t('answer.changes', { n: it.changes }) : '';
    return when + spent + changed;
  }

  function comparison(ctx, f, evidence, mine, theirs, otherId) {
    var t = ctx.t, h = ctx.h;
    var box = h('div', { class: 'comparison' });
    if (!mine) { box.appendChild(h('p', { class: 'err' }, [t('flag.sitting_missing')])); return box; }
    var wanted = evidenceItems(evidence);
    var all = false;
    var byId = function (rev) { var m = {}; (rev ? rev.items : []).forEach(function (it) { m[it.item_id] = it; }); return m; };
    var a = byId(mine), b = byId(theirs);
    var caption = h('p', { class: 'table-caption', id: 'compare-caption-' + f.id });
    var table = h('table', { class: 'data compare', id: 'compare-' + f.id, 'aria-labelledby': 'compare-caption-' + f.id });
    var links = h('p', { class: 'sitting-links' }, [
      h('button', { type: 'button', class: 'link open-sitting', 'data-sitting': f.sitting_id, onclick: function () { ctx.openSitting(f.sitting_id); } }, [t('flag.open_sitting', { name: mine.display_name })]),
      theirs ? ' · ' : null,
      theirs ? h('button', { type: 'button', class: 'link open-sitting', 'data-sitting': otherId, onclick: function () { ctx.openSitting(otherId); } }, [t('flag.open_sitting', { name: theirs.display_name })]) : null]);
    function draw() {
      var rows = mine.items.filter(function (it) { return all || !wanted.length || wanted.indexOf(it.item_id) >= 0; });
      table.textContent = '';
      caption.textContent = wanted.length && !all ? t('flag.compare.caption_evidence', { n: rows.length }) : t('flag.compare.caption_all');
      var head = [t('col.number'), t('col.question'), mine.display_name + ' (' + mine.username + ')'];
      if (theirs) head.push(theirs.display_name + ' (' + theirs.username + ')');
      else if (otherId) head.push(t('flag.other_hidden'));
      table.appendChild(h('thead', {}, [h('tr', {}, head.map(function (x) { return h('th', { scope: 'col' }, [x]); }))]));
      table.appendChild(h('tbody', {}, rows.map(function (it) {
        var mark = wanted.indexOf(it.item_id) >= 0;
        var cells = [h('th', { scope: 'row' }, [t('answer.question_n', { n: it.position })]), h('td', { class: 'q' }, [it.stimulus ? h('span', { class: 'muted', text: it.stimulus.title + ' · ' }) : null, ctx.plain(it.stem).slice(0, 140)]), answerCell(it)];
        if (theirs) cells.push(answerCell(b[it.item_id]));
        else if (otherId) cells.push(h('td', { class: 'muted' }, ['—']));
        return h('tr', { class: mark ? 'evidence-row' : null, 'data-item': it.item_id }, cells);
      })));
    }
    function answerCell(it) {
      if (!it) return h('td', {}, ['—']);
      var same = theirs && a[it.item_id] && b[it.item_id] && JSON.stringify(a[it.item_id].response) === JSON.stringify(b[it.item_id].response) && a[it.item_id].response;
      var verdict = it.status ? t('status.' + it.status) : '';
      return h('td', { class: same ? 'same' : null }, [
        h('span', { class: 'answer' }, [answerText(ctx, it)]),
        verdict ? h('span', { class: 'verdict status-' + it.status }, [' (' + verdict + ')']) : null,
        same ? h('span', { class: 'badge same-badge' }, [t('flag.same')]) : null,
        h('br'), h('small', { class: 'muted time' }, [timeCell(ctx, it)])]);
    }
    function save(format) {
      var rows = Array.prototype.map.call(table.querySelectorAll('tbody tr'), function (tr) {
        return Array.prototype.map.call(tr.children, function (c) { return c.textContent.trim(); });
      });
      var header = Array.prototype.map.call(table.querySelectorAll('thead th'), function (c) { return c.textContent; });
      ctx.download('/v1/exports/table?format=' + format, 'flag-evidence.' + format, { name: 'flag-evidence', header: header, rows: rows });
    }
    draw();
    box.appendChild(links);
    box.appendChild(h('p', { class: 'exports' }, [
      h('button', { type: 'button', 'data-table-export': 'csv', onclick: function () { save('csv'); } }, [t('table.csv')]), ' ',
      h('button', { type: 'button', 'data-table-export': 'xlsx', onclick: function () { save('xlsx'); } }, [t('table.xlsx')])]));
    if (pairOf(evidence)) box.appendChild(h('p', { class: 'muted' }, [t('flag.compare.help')]));
    box.appendChild(caption);
    box.appendChild(h('div', { class: 'scroll', role: 'region', tabindex: '0', 'aria-labelledby': 'compare-caption-' + f.id }, [table]));
    if (wanted.length && wanted.length < mine.items.length) {
      var toggle = h('button', { type: 'button', class: 'show-all', onclick: function () { all = !all; toggle.textContent = t(all ? 'flag.compare.evidence_only' : 'flag.compare.all'); draw(); } }, [t('flag.compare.all')]);
      box.appendChild(toggle);
    }
    return box;
  }

  function reviewBox(ctx, id, f, body) {
    var t = ctx.t, h = ctx.h;
    if (f.status !== 'open') {
      body.appendChild(h('p', { class: 'muted decided' }, [t('flag.status.' + f.status) + ': ' + (f.review_note || '')]));
      return;
    }
    var noteId = 'note-' + id;
    var note = h('textarea', { id: noteId, rows: '2', class: 'review-note', placeholder: t('flag.note.placeholder') });
    var err = h('p', { class: 'err', role: 'alert' });
    function decide(decision) {
      if (!note.value.trim()) { err.textContent = t('flag.note.required'); note.focus(); return; }
      ctx.api('POST', '/v1/integrity/flags/' + id + '/review', { decision: decision, note: note.value.trim() }).then(function (rr) {
        if (rr.status !== 200) { err.textContent = ctx.problem(rr, 'flag.review_failed'); return; }
        var li = body.closest('li');
        li.setAttribute('data-status', rr.data.flag.status);
        var meta = li.querySelector('.flag-meta');
        if (meta) meta.textContent = t('flag.risk.' + rr.data.flag.severity) + ' · ' + t('flag.status.' + rr.data.flag.status);
        showFlag(ctx, id, body);
      });
    }
    body.appendChild(h('div', { class: 'review' }, [
      h('label', { for: noteId, class: 'field' }, [h('span', {}, [t('flag.note.label')])]), note, err,
      h('div', { class: 'review-actions' }, [
        h('button', { type: 'button', class: 'confirm', onclick: function () { decide('confirm'); } }, [t('flag.confirm')]),
        h('button', { type: 'button', class: 'dismiss', onclick: function () { decide('dismiss'); } }, [t('flag.dismiss')])])]));
  }

  window.ujIntegrity = function (ctx, panel) {
    var t = ctx.t, h = ctx.h;
    ctx.api('GET', '/v1/integrity/flags?exam_id=' + ctx.exam().id).then(function (r) {
      if (r.status !== 200) { panel.appendChild(h('p', { id: 'flags-missing', class: 'err' }, [ctx.problem(r, 'flag.list_failed')])); return; }
      var flags = r.data || [];
      panel.appendChild(h('h2', {}, [t('tab.integrity')]));
      panel.appendChild(h('p', { class: 'muted' }, [t('flag.intro')]));
      if (!flags.length) { panel.appendChild(h('p', { id: 'no-flags' }, [t('flag.none')])); return; }
      panel.appendChild(h('ul', { id: 'flags', class: 'plain' }, flags.map(function (f) { return flagCard(ctx, f); })));
    });
  };
  window.ujIntegrity.chance = chance;
  window.ujIntegrity.answerText = answerText;
})();
