/* The teacher's dashboard: live progress, score distribution, item analysis, schools and
   classes, each student's answers, integrity flags, exports. Reads the staff API only; the
   histogram is drawn by the server as SVG. No framework, no build step. */
(function () {
  'use strict';
  var main = document.getElementById('main');
  var KEY = 'uj.teacher.auth';
  var auth = null;
  try { auth = JSON.parse(sessionStorage.getItem(KEY) || 'null'); } catch (e) { auth = null; }
  var exam = null, tab = 'overview', poll = null, sortKey = 'position', sortDir = 1;

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
  function plain(html) { var d = document.createElement('div'); d.innerHTML = html || ''; return d.textContent; }
  function num(v, digits) { return v === null || v === undefined ? '—' : (Math.round(v * Math.pow(10, digits || 0)) / Math.pow(10, digits || 0)).toString(); }
  function alertMsg(t) { var a = $('alert'); a.hidden = !t; a.textContent = t || ''; }
  function show(nodes) { main.textContent = ''; nodes.forEach(function (n) { if (n) main.appendChild(n); }); }

  function api(method, path, body, raw) {
    var headers = { Authorization: 'Bearer ' + (auth && auth.access_token) };
    if (body) headers['Content-Type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, cache: 'no-store' }).then(function (r) {
      if (r.status === 401) { signOut('Your session has ended: sign in again.'); throw new Error('signed out'); }
      if (raw) return r;
      return r.text().then(function (t) { var d = null; try { d = t ? JSON.parse(t) : null; } catch (e) { d = null; } return { status: r.status, data: d }; });
    });
  }
  function signOut(msg) { auth = null; sessionStorage.removeItem(KEY); clearInterval(poll); signIn(msg); }

  // the device token a sign-in returns, kept per account on this device and sent with the next
  // sign-in to it: then nobody else's wrong passwords can lock this device out
  function deviceToken(u) { try { return localStorage.getItem('ujian.device.' + u.toLowerCase()) || undefined; } catch (e) { return undefined; } }
  function keepDeviceToken(u, t) { try { if (t) localStorage.setItem('ujian.device.' + u.toLowerCase(), t); } catch (e) { /* private mode */ } }

  function signIn(msg) {
    $('who').textContent = '';
    var user = h('input', { id: 'username', autocomplete: 'username', required: true });
    var pass = h('input', { id: 'password', type: 'password', autocomplete: 'current-password', required: true });
    var err = h('p', { class: 'err', role: 'alert', text: msg || '' });
    show([h('form', { class: 'card', onsubmit: function (e) {
      e.preventDefault();
      fetch('/v1/auth/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user.value.trim(), password: pass.value, device_token: deviceToken(user.value.trim()) }) })
        .then(function (r) { return r.json().then(function (d) { return { status: r.status, data: d }; }); })
        .then(function (r) {
          if (r.status !== 201 && r.status !== 200) { err.textContent = r.data.detail || r.data.title || 'Sign-in failed'; return; }
          if (r.data.role === 'student') { err.textContent = 'This dashboard is for teachers; students sit exams at /'; return; }
          keepDeviceToken(user.value.trim(), r.data.device_token);
          auth = r.data; sessionStorage.setItem(KEY, JSON.stringify(auth)); exams();
        }, function () { err.textContent = 'No connection'; });
    } }, [h('h1', { text: 'Teacher sign-in' }),
      h('label', { class: 'field', for: 'username' }, [h('span', { text: 'Username' })]), user,
      h('label', { class: 'field', for: 'password' }, [h('span', { text: 'Password' })]), pass, err,
      h('p', {}, [h('button', { class: 'primary', type: 'submit', id: 'signin' }, ['Sign in'])])])]);
    user.focus();
  }

  function exams() {
    clearInterval(poll);
    $('who').textContent = '';
    api('GET', '/v1/exams').then(function (r) {
      var rows = (r.data || []).map(function (e) {
        return h('tr', { tabindex: '0', 'data-exam': e.id, onclick: function () { open(e); }, onkeydown: function (ev) { if (ev.key === 'Enter') open(e); } }, [
          h('td', { text: e.title }), h('td', { text: e.status }), h('td', { text: new Date(e.window_open).toLocaleString() + ' – ' + new Date(e.window_close).toLocaleString() }),
          h('td', { class: 'num', text: String(e.item_count) })]);
      });
      show([h('h1', { text: 'Exams' }), h('table', { class: 'data' }, [h('thead', {}, [h('tr', {}, [h('th', { text: 'Exam' }), h('th', { text: 'Status' }), h('th', { text: 'Window' }), h('th', { class: 'num', text: 'Items' })])]), h('tbody', {}, rows)]),
        h('p', {}, [h('button', { onclick: function () { signOut(); } }, ['Sign out'])])]);
    });
  }

  var TABS = [['overview', 'Overview'], ['items', 'Item analysis'], ['groups', 'Schools and classes'], ['students', 'Students'], ['integrity', 'Integrity'], ['export', 'Export']];
  function open(e) { exam = e; tab = 'overview'; render(); }
  function render() {
    clearInterval(poll);
    var panel = h('div', { id: 'panel', role: 'tabpanel', tabindex: '-1' });
    var bar = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Views' }, TABS.map(function (t) {
      return h('button', { role: 'tab', id: 'tab-' + t[0], 'aria-selected': String(t[0] === tab), onclick: function () { tab = t[0]; render(); } }, [t[1]]);
    }));
    show([h('p', {}, [h('button', { onclick: exams }, ['← All exams'])]), h('h1', { id: 'exam-title', text: exam.title }), bar, panel]);
    VIEWS[tab](panel);
  }
  function base() { return '/v1/exams/' + exam.id; }

  function kpi(id, label, value) { return h('div', { class: 'kpi', id: 'kpi-' + id }, [h('b', { text: String(value) }), h('span', { text: label })]); }

  var VIEWS = {
    overview: function (panel) {
      var live = h('section', { 'aria-labelledby': 'live-h' }, [h('h2', { id: 'live-h', text: 'Live progress' })]);
      var kpis = h('div', { class: 'kpis', 'aria-live': 'polite' });
      var stamp = h('p', { class: 'muted' });
      live.appendChild(kpis); live.appendChild(stamp);
      var dist = h('section', { 'aria-labelledby': 'dist-h' }, [h('h2', { id: 'dist-h', text: 'Scores' })]);
      panel.appendChild(live); panel.appendChild(dist);
      function progress() {
        api('GET', base() + '/progress').then(function (r) {
          if (r.status !== 200) { kpis.textContent = (r.data && r.data.title) || 'No progress'; return; }
          var t = r.data.totals;
          kpis.textContent = '';
          [['assigned', 'Assigned'], ['signed_in', 'Signed in'], ['started', 'Started'], ['submitted', 'Submitted'], ['online_now', 'Online now'], ['graded', 'Graded']].forEach(function (k) { kpis.appendChild(kpi(k[0], k[1], t[k[0]])); });
          stamp.textContent = 'Updated ' + new Date(r.data.server_time_ms).toLocaleTimeString() + ' (server time). Online = seen in the last ' + r.data.online_window_s + ' s.';
        });
      }
      progress();
      poll = setInterval(progress, 15000);
      api('GET', base() + '/statistics').then(function (r) {
        if (r.status !== 200) { dist.appendChild(h('p', { text: (r.data && r.data.title) || 'No statistics' })); return; }
        var s = r.data, d = s.distribution;
        var dl = h('dl', { class: 'stats', id: 'stats' });
        function item(k, v) { dl.appendChild(h('div', {}, [h('dt', { text: k }), h('dd', { text: v })])); }
        item('Graded sittings', String(s.sittings));
        if (d) {
          item('Mean', num(d.mean, 2)); item('Median', num(d.median, 2)); item('Standard deviation', num(d.sd, 2));
          item('Lowest – highest', num(d.minimum, 2) + ' – ' + num(d.maximum, 2));
        }
        item('Reliability (Cronbach’s α / KR-20)', s.cic_pct === null ? '—' : num(s.cic_pct, 1) + '%');
        item('Standard error', num(s.standard_error, 2));
        dist.appendChild(dl);
        var chart = h('figure', { id: 'histogram' });
        dist.appendChild(chart);
        api('GET', base() + '/charts/scores.svg', null, true).then(function (resp) { return resp.text(); }).then(function (svg) {
          chart.innerHTML = svg;  // drawn and escaped by the server (engine/web/charts.py)
        });
      });
    },

    items: function (panel) {
      api('GET', base() + '/statistics').then(function (r) {
        if (r.status !== 200) { panel.appendChild(h('p', { text: (r.data && r.data.title) || 'No statistics' })); return; }
        var items = r.data.items.slice();
        var cols = [['position', '#', 1], ['section', 'Section'], ['kind', 'Type'], ['stem', 'Question'], ['facility_pct', 'Facility %', 1], ['discrimination_index_pct', 'Discrimination %', 1], ['discriminative_efficiency_pct', 'Efficiency %', 1], ['mean_time_s', 'Mean time (s)', 1], ['warnings', 'Review']];
        var detail = h('section', { id: 'item-detail', 'aria-live': 'polite' });
        var table = h('table', { class: 'data', id: 'items' });
        function draw() {
          items.sort(function (a, b) {
            var x = a[sortKey], y = b[sortKey];
            if (sortKey === 'warnings') { x = x.length; y = y.length; }
            if (x === null || x === undefined) return 1;
            if (y === null || y === undefined) return -1;
            return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
          });
          table.textContent = '';
          table.appendChild(h('caption', { class: 'muted', text: 'Items flagged for review are highlighted. Select a row for the options.' }));
          table.appendChild(h('thead', {}, [h('tr', {}, cols.map(function (c) {
            var sorted = c[0] === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none';
            return h('th', { class: c[2] ? 'num' : null, 'aria-sort': sorted }, [h('button', { type: 'button', onclick: function () { sortDir = sortKey === c[0] ? -sortDir : 1; sortKey = c[0]; draw(); } }, [c[1] + (sorted === 'none' ? '' : sorted === 'ascending' ? ' ▲' : ' ▼')])]);
          }))]));
          table.appendChild(h('tbody', {}, items.map(function (it) {
            return h('tr', { class: it.warnings.length ? 'warn' : null, tabindex: '0', 'data-item': it.item_id, onclick: function () { itemDetail(detail, it); }, onkeydown: function (e) { if (e.key === 'Enter') itemDetail(detail, it); } }, [
              h('td', { class: 'num', text: String(it.position) }), h('td', { text: it.section }), h('td', { text: it.kind.replace('_', ' ') }),
              h('td', { text: plain(it.stem).slice(0, 80) }), h('td', { class: 'num', text: num(it.facility_pct, 1) }),
              h('td', { class: 'num', text: num(it.discrimination_index_pct, 1) }), h('td', { class: 'num', text: num(it.discriminative_efficiency_pct, 1) }),
              h('td', { class: 'num', text: num(it.mean_time_s, 0) }),
              h('td', {}, it.warnings.map(function (w) { return h('span', { class: 'badge', text: w.replace(/_/g, ' ') }); }))]);
          })));
        }
        draw();
        panel.appendChild(h('div', { class: 'scroll' }, [table]));
        panel.appendChild(detail);
      });
    },

    groups: function (panel) {
      api('GET', base() + '/progress').then(function (r) {
        if (r.status !== 200) return;
        var head = ['School', 'Class', 'Assigned', 'Signed in', 'Started', 'Submitted', 'Online now', 'Graded', 'Mean %'];
        panel.appendChild(h('div', { class: 'scroll' }, [h('table', { class: 'data', id: 'groups' }, [
          h('thead', {}, [h('tr', {}, head.map(function (t, i) { return h('th', { class: i > 1 ? 'num' : null, text: t }); }))]),
          h('tbody', {}, r.data.groups.map(function (g) {
            var c = g.counts;
            return h('tr', {}, [h('td', { text: g.org_name }), h('td', { text: g.class_name || '—' })].concat(
              [c.assigned, c.signed_in, c.started, c.submitted, c.online_now, c.graded, num(g.mean_percent, 1)].map(function (v) { return h('td', { class: 'num', text: String(v) }); })));
          }))])]));
      });
    },

    students: function (panel) {
      var detail = h('section', { id: 'student-detail' });
      api('GET', base() + '/results').then(function (r) {
        if (r.status !== 200) return;
        panel.appendChild(h('div', { class: 'scroll' }, [h('table', { class: 'data', id: 'results' }, [
          h('thead', {}, [h('tr', {}, ['Student', 'Name', 'State', 'Points', '%', 'Passed'].map(function (t, i) { return h('th', { class: i > 2 ? 'num' : null, text: t }); }))]),
          h('tbody', {}, r.data.map(function (s) {
            var go = function () { review(detail, s.sitting_id); };
            return h('tr', { tabindex: '0', onclick: go, onkeydown: function (e) { if (e.key === 'Enter') go(); } }, [h('td', { text: s.username }), h('td', { text: s.display_name }), h('td', { text: s.state }),
              h('td', { class: 'num', text: s.points === null ? '—' : num(s.points, 2) + ' / ' + num(s.max_points, 2) }), h('td', { class: 'num', text: num(s.percent, 1) }),
              h('td', { class: 'num', text: s.passed === null ? '—' : s.passed ? 'yes' : 'no' })]);
          }))])]));
        panel.appendChild(detail);
      });
    },

    integrity: function (panel) {
      // the review queue: flags of this exam, riskiest sittings first; open one for its
      // evidence, then confirm or dismiss it with a note (audited; scores never change)
      api('GET', '/v1/integrity/flags?exam_id=' + exam.id).then(function (r) {
        if (r.status !== 200) { panel.appendChild(h('p', { id: 'flags-missing', text: 'Integrity flags could not be loaded (' + r.status + ').' })); return; }
        var flags = r.data || [];
        if (!flags.length) { panel.appendChild(h('p', { id: 'no-flags', text: 'No integrity flags.' })); return; }
        panel.appendChild(h('p', { class: 'muted', text: 'Flags are evidence for a person to weigh, never a verdict: nothing here changes a score.' }));
        panel.appendChild(h('ul', { id: 'flags', class: 'plain' }, flags.map(flagCard)));
      });
    },

    export: function (panel) {
      var list = [['results.csv', 'Results (CSV)'], ['results.xlsx', 'Results (Excel)'], ['items.csv', 'Item statistics (CSV)'], ['items.xlsx', 'Item statistics (Excel)']];
      panel.appendChild(h('ul', {}, list.map(function (x) {
        return h('li', {}, [h('button', { type: 'button', 'data-export': x[0], onclick: function () { download(x[0]); } }, [x[1]])]);
      })));
    }
  };

  function flagCard(f) {
    var body = h('div', { class: 'flag-body' });
    var head = h('h3', { text: (f.rule || '').replace(/_/g, ' ') + ' — ' + f.student + (f.subject ? ' (with ' + f.subject.slice(0, 8) + ')' : '') });
    var facts = h('p', { text: 'statistic ' + num(f.statistic, 3) + ' (' + f.direction + ' ' + num(f.threshold, 3) + ')' + (f.p_value !== null ? ', p = ' + num(f.p_value, 4) + (f.correction !== 'none' ? ' (' + f.correction + ')' : '') : '') + ' · ' + f.kind + ' · risk ' + f.severity + ' · ' + f.status });
    var open = h('button', { type: 'button', class: 'flag-open', onclick: function () { showFlag(f.id, body); } }, ['Evidence (' + f.evidence_count + ')']);
    return h('li', { class: 'card flag', 'data-flag': f.id, 'data-status': f.status }, [head, facts, f.note ? h('p', { class: 'muted', text: f.note }) : null, open, body]);
  }

  function showFlag(id, body) {
    api('GET', '/v1/integrity/flags/' + id).then(function (r) {
      body.textContent = '';
      if (r.status !== 200) { body.appendChild(h('p', { text: 'Could not load this flag (' + r.status + ').' })); return; }
      var d = r.data;
      body.appendChild(h('ul', { class: 'evidence' }, d.evidence.map(function (e) {
        return h('li', { text: Object.keys(e).filter(function (k) { return e[k] !== null && e[k] !== ''; }).map(function (k) { return k + ': ' + (typeof e[k] === 'object' ? JSON.stringify(e[k]) : e[k]); }).join(' · ') });
      })));
      if (d.flag.status !== 'open') {
        body.appendChild(h('p', { class: 'muted', text: d.flag.status + ': ' + (d.flag.review_note || '') }));
        return;
      }
      var note = h('textarea', { 'aria-label': 'Review note', rows: '2', class: 'review-note', placeholder: 'Your note (required): what you checked and why' });
      function decide(decision) {
        if (!note.value.trim()) { note.focus(); return; }
        api('POST', '/v1/integrity/flags/' + id + '/review', { decision: decision, note: note.value.trim() }).then(function (rr) {
          if (rr.status !== 200) { alertMsg('Review failed (' + rr.status + ')'); return; }
          body.closest('li').setAttribute('data-status', rr.data.flag.status);
          showFlag(id, body);
        });
      }
      body.appendChild(h('div', { class: 'review' }, [note,
        h('button', { type: 'button', class: 'confirm', onclick: function () { decide('confirm'); } }, ['Confirm']),
        h('button', { type: 'button', class: 'dismiss', onclick: function () { decide('dismiss'); } }, ['Dismiss'])]));
    });
  }

  function download(name) {
    api('GET', base() + '/exports/' + name.replace('.', '?format='), null, true).then(function (r) {
      if (!r.ok) { alertMsg('Export failed'); return; }
      return r.blob().then(function (blob) {
        var a = h('a', { href: URL.createObjectURL(blob), download: name.replace('.', '-' + exam.id.slice(0, 8) + '.') });
        document.body.appendChild(a); a.click(); a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      });
    });
  }

  function itemDetail(box, it) {
    box.textContent = '';
    box.appendChild(h('h2', { text: 'Question ' + it.position }));
    box.appendChild(rich('div', { class: 'stem' }, it.stem));
    var dl = h('dl', { class: 'stats' });
    [['Facility', num(it.facility_pct, 1) + '%'], ['SD', num(it.sd_pct, 1) + '%'], ['Discrimination', num(it.discrimination_index_pct, 1) + '%'], ['Efficiency', num(it.discriminative_efficiency_pct, 1) + '%'],
      ['IRT a / b / c', [it.irt_a, it.irt_b, it.irt_c].map(function (v) { return num(v, 2); }).join(' / ')]].forEach(function (x) { dl.appendChild(h('div', {}, [h('dt', { text: x[0] }), h('dd', { text: x[1] })])); });
    box.appendChild(dl);
    if (it.options) {
      box.appendChild(h('table', { class: 'data' }, [h('thead', {}, [h('tr', {}, ['Option', 'All', 'Top group', 'Bottom group'].map(function (t) { return h('th', { text: t }); }))]),
        h('tbody', {}, it.options.map(function (o) {
          function bar(v) {
            var s = h('span', { class: 'share' + (o.correct ? ' ok' : ''), role: 'img', 'aria-label': Math.round(v * 100) + '%' }, [h('i')]);
            s.firstChild.style.width = Math.round(v * 100) + '%';
            return h('td', {}, [s, Math.round(v * 100) + '%']);
          }
          return h('tr', {}, [rich('td', {}, (o.correct ? '✓ ' : '') + o.text), bar(o.share_all), bar(o.share_upper), bar(o.share_lower)]);
        }))]));
    }
    box.scrollIntoView();
  }

  function answerText(resp) {
    if (!resp) return '—';
    switch (resp.kind) {
      case 'single_choice': return resp.choice;
      case 'multiple_response': return resp.choices.join(', ');
      case 'true_false': return resp.value ? 'true' : 'false';
      case 'numeric': return String(resp.value);
      case 'short_text': case 'essay': return resp.text;
      case 'ordering': return resp.order.join(' → ');
      case 'matching': return resp.pairs.map(function (p) { return p[0] + '→' + p[1]; }).join(', ');
      case 'cloze': return Object.keys(resp.blanks).map(function (k) { var b = resp.blanks[k]; return k + ': ' + (b.choice || b.text || b.value); }).join(', ');
      case 'select_point': return resp.points.map(function (p) { return '(' + p[0] + ', ' + p[1] + ')'; }).join(' ');
      default: return JSON.stringify(resp);
    }
  }
  function review(box, sittingId) {
    api('GET', base() + '/sittings/' + sittingId + '/review').then(function (r) {
      if (r.status !== 200) return;
      var s = r.data;
      box.textContent = '';
      box.appendChild(h('h2', { id: 'review-h', text: s.display_name + ' (' + s.username + ') — ' + (s.points === null ? s.state : num(s.points, 2) + ' / ' + num(s.max_points, 2)) }));
      box.appendChild(h('table', { class: 'data', id: 'review' }, [h('thead', {}, [h('tr', {}, ['#', 'Question', 'Answer', 'Points'].map(function (t) { return h('th', { text: t }); }))]),
        h('tbody', {}, s.items.map(function (it) {
          return h('tr', {}, [h('td', { text: String(it.position) }), h('td', { text: plain(it.stem).slice(0, 100) }), h('td', { text: answerText(it.response) }),
            h('td', { class: 'num', text: it.points === null ? (it.status || '—') : num(it.points, 2) + ' / ' + num(it.max_points, 2) })]);
        }))]));
      box.scrollIntoView();
    });
  }

  if (auth) { $('who').textContent = ''; exams(); } else signIn();
})();
