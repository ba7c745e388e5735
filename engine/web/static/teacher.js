/* The teacher's dashboard: live progress, the score distribution, item analysis (ranked by how
   much each question needs a look, with a fix for a wrong key), schools and classes, each
   student's answers, integrity flags (teacher-flags.js) and exports. Every word comes from the
   catalogues (teacher-id.js first, teacher-en.js) through i18n.js; numbers and times are
   formatted in the chosen language, times in the exam's zone, else the school's (from the sign-in). Tables: teacher-table.js; item
   analysis and fixing a key: teacher-items.js.
   Charts are drawn by the server as SVG. No framework, no build step. */
(function () {
  'use strict';
  var I = window.ujI18n, t = I.t;
  var main = document.getElementById('main');
  var KEY = 'uj.teacher.auth';
  var ZONE = 'Asia/Jakarta';  // WIB: where the exam names no zone of its own
  var LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  var auth = null;
  try { auth = JSON.parse(sessionStorage.getItem(KEY) || 'null'); } catch (e) { auth = null; }
  var exam = null, tab = 'overview', poll = null, screen = null;

  function $(id) { return document.getElementById(id); }
  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var a in attrs || {}) {
      var v = attrs[a];
      if (v === null || v === undefined || v === false) continue;
      if (a === 'text') e.textContent = v;
      else if (a.slice(0, 2) === 'on') e.addEventListener(a.slice(2), v);
      else e.setAttribute(a, v === true ? '' : v);
    }
    (kids || []).forEach(function (k) { if (k !== null && k !== undefined) e.appendChild(typeof k === 'string' ? document.createTextNode(k) : k); });
    return e;
  }
  function rich(tag, attrs, html) {  // item HTML is sanitised by the server (question_bank/content.py)
    var e = h(tag, attrs);
    e.innerHTML = html || '';
    if (window.ujMath) window.ujMath.render(e);
    return e;
  }
  // a question's shared passage (QTI's stimulus), above the question as its students saw it: the
  // student page's markup, its body cleaned server-side as a stem is. `folded` (stimulus id ->
  // true), when given, keeps a teacher's fold when the table is drawn again (sorted, filtered).
  function stimulus(s, hint, folded) {
    var d = h('details', { class: 'stimulus', 'data-stimulus': s.id, open: !(folded && folded[s.id]), ontoggle: function () {
      if (!folded) return;
      if (d.open) delete folded[s.id]; else folded[s.id] = true;
    } }, [
      h('summary', {}, [h('span', { class: 'stimulus-title' }, [s.title]), hint ? h('span', { class: 'muted' }, [hint]) : null]),
      // scrolls on its own when it is long: focusable, so a keyboard can scroll it too
      rich('div', { class: 'stimulus-body', tabindex: '0', role: 'region', 'aria-label': s.title }, s.body)
    ]);
    return d;
  }
  function plain(html) { var d = document.createElement('div'); d.innerHTML = html || ''; return d.textContent; }
  function num(v, digits) {
    if (v === null || v === undefined || isNaN(v)) return '—';
    return I.number(v, { maximumFractionDigits: digits || 0, minimumFractionDigits: 0 });
  }
  function zone() { return (exam && exam.time_zone) || (auth && auth.time_zone) || ZONE; }
  function dateTime(when, options) { return I.dateTime(when, zone(), options); }
  function alertMsg(text) { var a = $('alert'); a.hidden = !text; a.textContent = text || ''; }
  function show(nodes) { main.textContent = ''; nodes.forEach(function (n) { if (n) main.appendChild(n); }); }
  function problem(r, fallback) {
    var d = r && r.data;
    var code = d && d.code ? t('problem.' + d.code) : null;
    if (code && code !== 'problem.' + d.code) return code + (d.detail ? ' (' + d.detail + ')' : '');
    return t(fallback) + (d && (d.detail || d.title) ? ': ' + (d.detail || d.title) : ' (' + (r ? r.status : '?') + ')');
  }

  function api(method, path, body, raw) {
    var headers = { Authorization: 'Bearer ' + (auth && auth.access_token), 'Accept-Language': I.acceptLanguage() };
    if (body) headers['Content-Type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, cache: 'no-store' }).then(function (r) {
      if (r.status === 401) { signOut(t('signin.expired')); throw new Error('signed out'); }
      if (raw) return r;
      return r.text().then(function (x) { var d = null; try { d = x ? JSON.parse(x) : null; } catch (e) { d = null; } return { status: r.status, data: d }; });
    });
  }
  function download(url, filename, body) {
    api(body ? 'POST' : 'GET', url, body, true).then(function (r) {
      if (!r.ok) { alertMsg(t('export.failed')); return; }
      return r.blob().then(function (blob) {
        var a = h('a', { href: URL.createObjectURL(blob), download: filename });
        document.body.appendChild(a); a.click(); a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      });
    });
  }
  function signOut(msg) { auth = null; sessionStorage.removeItem(KEY); clearInterval(poll); signIn(msg); }

  var ctx = {
    h: h, t: t, plain: plain, api: api, download: download, problem: problem,
    number: function (v) { return I.number(v); }, locale: I.locale, lang: I.lang,
    dateTime: dateTime, exam: function () { return exam; }, base: base,
    openSitting: function (id) { tab = 'students'; render({ sitting: id }); },
    num: num, rich: rich, stimulus: stimulus, help: function (k) { return help(k); }, svgInto: function (b, p) { svgInto(b, p); },
    statistics: function () { return statistics(); }, rerender: function () { render(); },
    answerText: function (r) { return answerText(r, null); }
  };

  // the device token a sign-in returns, kept per account on this device and sent with the next
  // sign-in to it: then nobody else's wrong passwords can lock this device out
  function deviceToken(u) { try { return localStorage.getItem('ujian.device.' + u.toLowerCase()) || undefined; } catch (e) { return undefined; } }
  function keepDeviceToken(u, tk) { try { if (tk) localStorage.setItem('ujian.device.' + u.toLowerCase(), tk); } catch (e) { /* private mode */ } }

  function signIn(msg) {
    screen = function () { signIn(); };
    var user = h('input', { id: 'username', autocomplete: 'username', required: true });
    var pass = h('input', { id: 'password', type: 'password', autocomplete: 'current-password', required: true });
    var err = h('p', { class: 'err', role: 'alert' }, [msg || '']);
    show([h('form', { class: 'card signin', onsubmit: function (e) {
      e.preventDefault();
      fetch('/v1/auth/token', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Accept-Language': I.acceptLanguage() }, body: JSON.stringify({ username: user.value.trim(), password: pass.value, device_token: deviceToken(user.value.trim()) }) })
        .then(function (r) { return r.json().then(function (d) { return { status: r.status, data: d }; }); })
        .then(function (r) {
          if (r.status !== 201 && r.status !== 200) { err.textContent = problem(r, 'signin.failed'); return; }
          if (r.data.role === 'student') { err.textContent = t('signin.student'); return; }
          keepDeviceToken(user.value.trim(), r.data.device_token);
          auth = r.data; sessionStorage.setItem(KEY, JSON.stringify(auth)); exams();
        }, function () { err.textContent = t('common.offline'); });
    } }, [h('h1', {}, [t('signin.title')]),
      h('label', { class: 'field', for: 'username' }, [h('span', {}, [t('signin.username')])]), user,
      h('label', { class: 'field', for: 'password' }, [h('span', {}, [t('signin.password')])]), pass, err,
      h('p', {}, [h('button', { class: 'primary', type: 'submit', id: 'signin' }, [t('signin.submit')])])])]);
    user.focus();
  }

  function exams() {
    clearInterval(poll);
    exam = null;
    screen = exams;
    api('GET', '/v1/exams').then(function (r) {
      var list = r.data || [];
      show([h('h1', {}, [t('exams.title')]),
        window.ujTable(ctx, {
          id: 'exams', name: 'exams', caption: t('exams.caption'), rows: list, onRow: open, sort: { key: 'window_open', dir: -1 },
          rowAttrs: function (e) { return { 'data-exam': e.id }; },
          columns: [
            { key: 'title', label: t('col.exam') },
            { key: 'status', label: t('col.status'), text: function (e) { return t('exam.status.' + e.status); } },
            { key: 'window_open', label: t('col.window'), text: function (e) { return dateTime(e.window_open) + ' – ' + dateTime(e.window_close); } },
            { key: 'item_count', label: t('col.items'), num: true, text: function (e) { return num(e.item_count); }, exportValue: function (e) { return e.item_count; } }]
        }),
        h('p', {}, [h('button', { type: 'button', id: 'signout', onclick: function () { signOut(); } }, [t('signin.out')])])]);
    });
  }

  var TABS = ['overview', 'items', 'groups', 'students', 'integrity', 'export'];
  function open(e) { exam = e; tab = 'overview'; render(); }
  function render(options) {
    clearInterval(poll);
    screen = function () { render(); };
    var panel = h('div', { id: 'panel', role: 'tabpanel', tabindex: '-1', 'aria-labelledby': 'tab-' + tab });
    var bar = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('tab.label') }, TABS.map(function (name) {
      return h('button', { role: 'tab', type: 'button', id: 'tab-' + name, 'aria-selected': String(name === tab), 'aria-controls': 'panel', tabindex: name === tab ? '0' : '-1', onclick: function () { tab = name; render(); },
        onkeydown: function (ev) {
          var i = TABS.indexOf(name), next = ev.key === 'ArrowRight' ? i + 1 : ev.key === 'ArrowLeft' ? i - 1 : null;
          if (next === null) return;
          tab = TABS[(next + TABS.length) % TABS.length]; render(); $('tab-' + tab).focus();
        } }, [t('tab.' + name)]);
    }));
    show([h('p', {}, [h('button', { type: 'button', id: 'back', onclick: exams }, ['← ' + t('exams.back')])]), h('h1', { id: 'exam-title' }, [exam.title]), bar, panel]);
    VIEWS[tab](panel, options || {});
  }
  function base() { return '/v1/exams/' + exam.id; }
  function statistics() { return api('GET', base() + '/statistics'); }
  function svgInto(box, path) {
    var holder = h('div', { class: 'svg' });
    box.insertBefore(holder, box.firstChild);
    api('GET', base() + path + '?lang=' + I.lang(), null, true).then(function (resp) { return resp.text(); }).then(function (svg) {
      holder.innerHTML = svg;  // drawn and escaped by the server (engine/web/charts.py)
    });
  }
  function kpi(id, value) { return h('div', { class: 'kpi', id: 'kpi-' + id }, [h('b', {}, [num(value)]), h('span', {}, [t('kpi.' + id)])]); }
  function help(key) { return h('p', { class: 'help muted' }, [t(key)]); }
  function passText(s, passMark) {
    if (!passMark) return '';
    if (s.passed === null || s.passed === undefined) return s.points === null ? '—' : t('passed.pending');
    return t(s.passed ? 'passed.yes' : 'passed.no');
  }
  function passMarkText(pm) {
    if (!pm) return t('passmark.none');
    return pm.unit === 'percent' ? t('passmark.percent', { n: num(pm.value, 1) }) : t('passmark.points', { n: num(pm.value, 2) });
  }

  var VIEWS = {
    overview: function (panel) {
      var live = h('section', { 'aria-labelledby': 'live-h' }, [h('h2', { id: 'live-h' }, [t('overview.live')])]);
      var kpis = h('div', { class: 'kpis', 'aria-live': 'polite' });
      var stamp = h('p', { class: 'muted' });
      live.appendChild(kpis); live.appendChild(stamp);
      var dist = h('section', { 'aria-labelledby': 'dist-h' }, [h('h2', { id: 'dist-h' }, [t('overview.scores')])]);
      panel.appendChild(live); panel.appendChild(dist);
      function progress() {
        api('GET', base() + '/progress').then(function (r) {
          if (r.status !== 200) { kpis.textContent = problem(r, 'overview.no_progress'); return; }
          var tot = r.data.totals;
          kpis.textContent = '';
          ['assigned', 'signed_in', 'started', 'submitted', 'online_now', 'graded'].forEach(function (k) { kpis.appendChild(kpi(k, tot[k])); });
          stamp.textContent = t('overview.updated', { time: dateTime(r.data.server_time_ms, { dateStyle: undefined, timeStyle: 'medium' }), s: r.data.online_window_s });
        });
      }
      progress();
      poll = setInterval(progress, 15000);
      statistics().then(function (r) {
        if (r.status !== 200) { dist.appendChild(h('p', {}, [problem(r, 'overview.no_stats')])); return; }
        var s = r.data, d = s.distribution;
        var dl = h('dl', { class: 'stats', id: 'stats' });
        function item(k, v, note) { dl.appendChild(h('div', {}, [h('dt', {}, [t(k)]), h('dd', {}, [v]), note ? h('dd', { class: 'muted note' }, [note]) : null])); }
        item('stat.sittings', num(s.sittings));
        if (d) {
          item('stat.mean', num(d.mean, 2)); item('stat.median', num(d.median, 2)); item('stat.sd', num(d.sd, 2));
          item('stat.range', num(d.minimum, 2) + ' – ' + num(d.maximum, 2));
        }
        item('stat.max', num(s.max_points, 2));
        var pm = s.pass_mark;
        item('stat.passmark', !pm ? t('passmark.value_none') : pm.unit === 'percent' ? t('passmark.value_percent', { n: num(pm.value, 1) }) : t('passmark.value_points', { n: num(pm.value, 2) }));
        var rel = s.cic_pct;
        item('stat.reliability', rel === null ? '—' : num(rel, 1) + '%', rel === null ? null : t(rel >= 80 ? 'reliability.good' : rel >= 70 ? 'reliability.fair' : 'reliability.low'));
        item('stat.se', num(s.standard_error, 2));
        dist.appendChild(dl);
        var chart = h('figure', { id: 'histogram', class: 'chart-box', tabindex: '0' });
        dist.appendChild(chart);
        chart.appendChild(h('figcaption', { class: 'muted' }, [t('overview.histogram_help')]));
        svgInto(chart, '/charts/scores.svg');
      });
    },

    items: function (panel) { window.ujItems(ctx, panel); },

    groups: function (panel) {
      api('GET', base() + '/progress').then(function (r) {
        if (r.status !== 200) { panel.appendChild(h('p', {}, [problem(r, 'overview.no_progress')])); return; }
        var rows = r.data.groups;
        function count(k) { return { key: k, label: t('kpi.' + k), num: true, text: function (g) { return num(g.counts[k]); }, value: function (g) { return g.counts[k]; }, exportValue: function (g) { return g.counts[k]; } }; }
        panel.appendChild(h('h2', {}, [t('tab.groups')]));
        panel.appendChild(window.ujTable(ctx, {
          id: 'groups', name: 'schools-classes', caption: t('groups.caption'), rows: rows, sort: { key: 'org_name', dir: 1 },
          columns: [{ key: 'org_name', label: t('col.school') }, { key: 'class_name', label: t('col.class'), text: function (g) { return g.class_name || '—'; } }]
            .concat(['assigned', 'signed_in', 'started', 'submitted', 'online_now', 'graded'].map(count))
            .concat([{ key: 'mean_percent', label: t('col.mean_pct'), num: true, text: function (g) { return num(g.mean_percent, 1); }, exportValue: function (g) { return g.mean_percent; } }])
        }));
      });
    },

    students: function (panel, options) {
      var detail = h('section', { id: 'student-detail' });
      Promise.all([api('GET', base() + '/results'), statistics()]).then(function (rs) {
        var r = rs[0], pm = rs[1].status === 200 ? rs[1].data.pass_mark : null;
        if (r.status !== 200) { panel.appendChild(h('p', {}, [problem(r, 'students.failed')])); return; }
        panel.appendChild(h('h2', {}, [t('tab.students')]));
        panel.appendChild(h('p', { class: 'muted', id: 'passmark-note' }, [passMarkText(pm)]));
        var columns = [
          { key: 'display_name', label: t('col.name'), text: function (s) { return s.display_name + ' (' + s.username + ')'; } },
          { key: 'state', label: t('col.state'), text: function (s) { return t('state.' + s.state); } },
          { key: 'points', label: t('col.points'), num: true, text: function (s) { return s.points === null ? '—' : num(s.points, 2) + ' / ' + num(s.max_points, 2); }, exportValue: function (s) { return s.points; } },
          { key: 'percent', label: t('col.percent'), num: true, text: function (s) { return num(s.percent, 1); }, exportValue: function (s) { return s.percent; } }];
        if (pm) columns.push({ key: 'passed', label: t('col.passed'), text: function (s) { return passText(s, pm); }, value: function (s) { return s.passed === null ? null : s.passed ? 1 : 0; } });
        columns.push({ key: 'submitted_at', label: t('col.submitted'), text: function (s) { return s.submitted_at ? dateTime(s.submitted_at) : '—'; } });
        panel.appendChild(window.ujTable(ctx, {
          id: 'results', name: 'results', caption: t('students.caption'), rows: r.data, sort: { key: 'display_name', dir: 1 },
          exportUrl: function (format) { return base() + '/exports/results?format=' + format; },
          rowAttrs: function (s) { return { 'data-sitting': s.sitting_id }; },
          onRow: function (s) { review(detail, s.sitting_id); }, columns: columns
        }));
        panel.appendChild(detail);
        if (options.sitting) review(detail, options.sitting);
      });
    },

    integrity: function (panel) { window.ujIntegrity(ctx, panel); },

    export: function (panel) {
      var list = [['results', 'csv'], ['results', 'xlsx'], ['items', 'csv'], ['items', 'xlsx']];
      panel.appendChild(h('h2', {}, [t('tab.export')]));
      panel.appendChild(help('export.help'));
      panel.appendChild(h('ul', { class: 'downloads' }, list.map(function (x) {
        return h('li', {}, [h('button', { type: 'button', 'data-export': x[0] + '.' + x[1], onclick: function () { download(base() + '/exports/' + x[0] + '?format=' + x[1], x[0] + '-' + exam.id.slice(0, 8) + '.' + x[1]); } }, [t('export.' + x[0] + '.' + x[1])])]);
      })));
    }
  };

  function answerText(resp, options) {
    if (!resp) return t('answer.blank');
    var letter = function (id) {
      var i = (options || []).map(function (o) { return o.id; }).indexOf(id);
      return i < 0 ? id : LETTERS.charAt(i) + '. ' + plain(options[i].text);
    };
    switch (resp.kind) {
      case 'single_choice': return letter(resp.choice);
      case 'multiple_response': return resp.choices.map(letter).join('; ');
      case 'true_false': return t(resp.value ? 'answer.true' : 'answer.false');
      case 'numeric': return num(resp.value, 6);
      case 'short_text': case 'essay': return resp.text;
      case 'ordering': return resp.order.map(letter).join(' → ');
      case 'matching': return resp.pairs.map(function (p) { return p[0] + '→' + p[1]; }).join(', ');
      case 'cloze': return Object.keys(resp.blanks).map(function (k) { var b = resp.blanks[k]; return k + ': ' + (b.choice || b.text || b.value); }).join(', ');
      case 'select_point': return resp.points.map(function (p) { return '(' + p[0] + ', ' + p[1] + ')'; }).join(' ');
      default: return JSON.stringify(resp);
    }
  }
  // item id -> the first and last numbers of the run of questions sharing its passage
  function passageRuns(items) {
    var byNumber = items.slice().sort(function (a, b) { return a.position - b.position; }), runs = {};
    byNumber.forEach(function (it, i) {
      if (!it.stimulus) return;
      var before = byNumber[i - 1];
      runs[it.item_id] = before && before.stimulus && before.stimulus.id === it.stimulus.id ? runs[before.item_id] : { from: it.position, to: it.position };
      runs[it.item_id].to = it.position;
    });
    return runs;
  }
  function review(box, sittingId) {
    api('GET', base() + '/sittings/' + sittingId + '/review').then(function (r) {
      if (r.status !== 200) { box.textContent = ''; box.appendChild(h('p', { class: 'err' }, [problem(r, 'students.review_failed')])); return; }
      var s = r.data;
      // a shared passage stands once above the questions in a row (by number) that ask about it,
      // as in the student's own review, saying which questions it is for
      var runs = passageRuns(s.items), folded = {};
      box.textContent = '';
      box.appendChild(h('h2', { id: 'review-h', tabindex: '-1' }, [s.display_name + ' (' + s.username + ') — ' + (s.points === null ? t('state.' + s.state) : num(s.points, 2) + ' / ' + num(s.max_points, 2))]));
      box.appendChild(h('p', { class: 'muted' }, [t('students.times', { start: s.started_at ? dateTime(s.started_at) : '—', end: s.submitted_at ? dateTime(s.submitted_at) : '—' })]));
      box.appendChild(window.ujTable(ctx, {
        id: 'review', name: 'answers-' + s.username.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 22), caption: t('students.review_caption'), rows: s.items, sort: { key: 'position', dir: 1 },
        rowAttrs: function (it) { return { 'data-item': it.item_id }; },
        above: function (it, previous) {
          if (!it.stimulus || (previous && previous.stimulus && previous.stimulus.id === it.stimulus.id)) return null;
          var run = runs[it.item_id];
          return stimulus(it.stimulus, run.from === run.to ? null : t('students.stimulus_for', { from: run.from, to: run.to }), folded);
        },
        columns: [
          { key: 'position', label: t('col.number'), num: true, text: function (it) { return t('answer.question_n', { n: it.position }); }, value: function (it) { return it.position; } },
          { key: 'stem', label: t('col.question'), text: function (it) { return plain(it.stem).slice(0, 100); } },
          { key: 'response', label: t('col.answer'), text: function (it) { return answerText(it.response, it.options); } },
          { key: 'points', label: t('col.points'), num: true, text: function (it) { return it.points === null ? (it.status ? t('status.' + it.status) : '—') : num(it.points, 2) + ' / ' + num(it.max_points, 2); }, exportValue: function (it) { return it.points; } },
          { key: 'answered_at', label: t('col.answered_at'), text: function (it) { return it.answered_at ? dateTime(it.answered_at, { dateStyle: undefined, timeStyle: 'medium' }) : '—'; } },
          { key: 'seconds', label: t('col.seconds'), num: true, text: function (it) { return num(it.seconds); }, exportValue: function (it) { return it.seconds; } },
          { key: 'changes', label: t('col.changes'), num: true, text: function (it) { return num(it.changes); } }]
      }));
      box.querySelector('#review-h').focus();
    });
  }

  // the header: the language switch, and every screen drawn again in the new language
  var header = document.querySelector('header.bar');
  header.appendChild(I.switcher());
  I.onChange(function () { document.title = t('page.title'); $('title').textContent = t('page.title'); if (screen) screen(); });
  document.title = t('page.title');
  $('title').textContent = t('page.title');
  var noscript = document.querySelector('noscript');
  if (noscript) noscript.remove();
  if (auth) exams(); else signIn();
})();
