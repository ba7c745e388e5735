/* Item analysis: the questions ranked by how much each needs a look (one line saying why),
   column help with Moodle-style bands for good values, the facility-against-discrimination
   chart, each question's options and common answers, and the form that fixes a wrong key
   (PUT /v1/exams/{id}/items/{item}/key: every sitting re-graded, on that question only). */
(function () {
  'use strict';
  var LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  var ctx, h, t, num, plain, rich, api, base, help, render;
  function bind(c) {
    ctx = c; h = c.h; t = c.t; num = c.num; plain = c.plain; rich = c.rich; api = c.api;
    base = c.base; help = c.help; render = c.rerender;
  }
  function statistics() { return ctx.statistics(); }
  function svgInto(box, path) { ctx.svgInto(box, path); }
  function problem(r, key) { return ctx.problem(r, key); }
  function $(id) { return document.getElementById(id); }

  window.ujItems = function (c, panel) {
    bind(c);
    statistics().then(function (r) {
      if (r.status !== 200) { panel.appendChild(h('p', {}, [problem(r, 'overview.no_stats')])); return; }
      var s = r.data;
      var detail = h('section', { id: 'item-detail', 'aria-live': 'polite' });
      panel.appendChild(h('h2', {}, [t('items.title')]));
      panel.appendChild(help(s.sittings < 20 ? 'items.few' : 'items.intro'));
      panel.appendChild(guidance());
      var chart = h('figure', { id: 'item-chart', class: 'chart-box', tabindex: '0' }, [h('figcaption', { class: 'muted' }, [t('items.chart_help')])]);
      chart.addEventListener('click', function (ev) {
        var dot = ev.target.closest && ev.target.closest('[data-item]');
        if (!dot) return;
        var it = s.items.filter(function (x) { return x.item_id === dot.getAttribute('data-item'); })[0];
        if (it) itemDetail(detail, it);
      });
      panel.appendChild(chart);
      svgInto(chart, '/charts/items.svg');
      panel.appendChild(window.ujTable(ctx, {
        id: 'items', name: 'items', caption: t('items.caption'), rows: s.items, onRow: function (it) { itemDetail(detail, it); },
        sort: { key: 'severity', dir: -1 },
        exportUrl: function (format) { return base() + '/exports/items?format=' + format; },
        rowClass: function (it) { return 'sev-' + it.severity + (it.severity >= 2 ? ' warn' : ''); },
        rowAttrs: function (it) { return { 'data-item': it.item_id, 'data-severity': String(it.severity) }; },
        columns: [
          { key: 'position', label: t('col.number'), num: true, text: function (it) { return t('answer.question_n', { n: it.position }); }, value: function (it) { return it.position; }, helpId: 'help-position' },
          { key: 'severity', label: t('col.review'), text: function (it) { return reason(it); }, value: function (it) { return it.severity * 1000 - it.position; }, helpId: 'help-review',
            cell: function (it) { return h('span', { class: 'reason sev-' + it.severity }, [reason(it)]); } },
          { key: 'facility_pct', label: t('col.facility'), num: true, text: function (it) { return num(it.facility_pct, 1); }, exportValue: function (it) { return it.facility_pct; }, helpId: 'help-facility' },
          { key: 'discrimination_index_pct', label: t('col.discrimination'), num: true, text: function (it) { return num(it.discrimination_index_pct, 1); }, exportValue: function (it) { return it.discrimination_index_pct; }, helpId: 'help-discrimination' },
          { key: 'discriminative_efficiency_pct', label: t('col.efficiency'), num: true, text: function (it) { return num(it.discriminative_efficiency_pct, 1); }, helpId: 'help-efficiency' },
          { key: 'mean_time_s', label: t('col.time'), num: true, text: function (it) { return num(it.mean_time_s); }, helpId: 'help-time' },
          { key: 'kind', label: t('col.kind'), text: function (it) { return t('kind.' + it.kind); } },
          { key: 'section', label: t('col.section') },
          { key: 'stem', label: t('col.question'), text: function (it) { return plain(it.stem).slice(0, 80); } }]
      }));
      panel.appendChild(detail);
    });
  };

  // the one line that says why a question needs a look (most serious warning first)
  function reason(it) {
    var w = it.warnings[0];
    if (!w) return t('reason.none');
    var letter = it.suspect_option && it.options ? optionLetter(it.options, it.suspect_option) : '';
    var key = it.options ? optionLetter(it.options, (it.options.filter(function (o) { return o.correct; })[0] || {}).id) : '';
    var text = t('reason.' + w, { facility: num(it.facility_pct, 0), discrimination: num(it.discrimination_index_pct, 0), option: letter, key: key });
    return it.warnings.length > 1 ? text + ' ' + t('reason.more', { n: it.warnings.length - 1 }) : text;
  }
  function optionLetter(options, id) {
    var i = options.map(function (o) { return o.id; }).indexOf(id);
    return i < 0 ? '' : LETTERS.charAt(i);
  }

  function guidance() {
    var cols = ['position', 'review', 'facility', 'discrimination', 'efficiency', 'time'];
    return h('details', { class: 'guidance', id: 'guidance' }, [h('summary', {}, [t('guide.title')]),
      h('dl', { id: 'column-help' }, cols.reduce(function (acc, c) {
        acc.push(h('dt', {}, [t('guide.' + c + '.term')]));
        acc.push(h('dd', { id: 'help-' + c }, [t('guide.' + c)]));
        return acc;
      }, [])),
      h('p', { class: 'muted' }, [t('guide.source')])]);
  }

  function itemDetail(box, it) {
    box.textContent = '';
    box.appendChild(h('h2', { id: 'item-h', tabindex: '-1' }, [t('answer.question_n', { n: it.position }) + (it.key_fixed ? ' · ' + t('items.key_fixed') : '')]));
    box.appendChild(h('p', { class: 'reason sev-' + it.severity }, [reason(it)]));
    // the shared passage the question asks about goes above it, as the students saw it; it
    // comes with the item's answers (the statistics list carries no passages)
    var passage = h('div', { id: 'item-stimulus' });
    box.appendChild(passage);
    box.appendChild(rich('div', { class: 'stem' }, it.stem));
    var dl = h('dl', { class: 'stats' });
    [['col.facility', num(it.facility_pct, 1) + '%'], ['stat.item_sd', num(it.sd_pct, 1) + '%'], ['col.discrimination', num(it.discrimination_index_pct, 1) + '%'], ['col.efficiency', num(it.discriminative_efficiency_pct, 1) + '%'],
      ['stat.irt', [it.irt_a, it.irt_b, it.irt_c].map(function (v) { return num(v, 2); }).join(' / ')]].forEach(function (x) { dl.appendChild(h('div', {}, [h('dt', {}, [t(x[0])]), h('dd', {}, [x[1]])])); });
    box.appendChild(dl);
    if (it.options) {
      var rows = it.options.map(function (o, i) { return Object.assign({ letter: LETTERS.charAt(i) }, o); });
      var share = function (k) {
        return { key: k, label: t({ share_all: 'col.all', share_upper: 'col.upper', share_lower: 'col.lower' }[k]), num: true,
          text: function (o) { return num(Math.round(o[k] * 100)) + '%'; }, exportValue: function (o) { return o[k]; },
          cell: function (o) {
            var s = h('span', { class: 'share' + (o.correct ? ' ok' : ''), 'aria-hidden': 'true' }, [h('i')]);
            s.firstChild.style.width = Math.round(o[k] * 100) + '%';
            return h('span', {}, [s, num(Math.round(o[k] * 100)) + '%']);
          } };
      };
      box.appendChild(window.ujTable(ctx, {
        id: 'options', name: 'options-' + it.position, caption: t('items.options'), rows: rows, sort: { key: 'letter', dir: 1 },
        rowClass: function (o) { return o.correct ? 'key-row' : null; },
        columns: [{ key: 'letter', label: t('col.option'), text: function (o) { return o.letter + '. ' + plain(o.text) + (o.correct ? ' ✓ ' + t('items.key') : ''); },
          cell: function (o) {
            return h('span', {}, [o.letter + '. ', rich('span', {}, o.text), o.correct ? h('b', { class: 'key-mark' }, [' ✓ ' + t('items.key')]) : null,
              o.id === it.suspect_option ? h('span', { class: 'badge' }, [t('items.suspect')]) : null]);
          } }, share('share_all'), share('share_upper'), share('share_lower')]
      }));
    }
    var answersBox = h('section', { id: 'common-answers' });
    box.appendChild(answersBox);
    api('GET', base() + '/items/' + it.item_id + '/answers').then(function (r) {
      if (r.status !== 200) return;
      var d = r.data;
      if (d.stimulus) passage.appendChild(ctx.stimulus(d.stimulus));
      if (!it.options && d.answers.length) {
        answersBox.appendChild(h('h3', {}, [t('items.common')]));
        answersBox.appendChild(help('items.common_help'));
        answersBox.appendChild(window.ujTable(ctx, {
          id: 'answers-table', name: 'common-answers', caption: t('items.common_caption', { n: d.answered }), rows: d.answers, sort: { key: 'count', dir: -1 },
          columns: [{ key: 'answer', label: t('col.answer') },
            { key: 'count', label: t('col.count'), num: true, text: function (a) { return num(a.count); }, exportValue: function (a) { return a.count; } },
            { key: 'share', label: t('col.share'), num: true, text: function (a) { return num(100 * a.count / Math.max(d.answered, 1), 1) + '%'; }, value: function (a) { return a.count; } },
            { key: 'credited', label: t('col.credited'), text: function (a) { return t(a.credited ? 'answer.credited' : 'answer.not_credited'); } }]
        }));
      }
      box.appendChild(keyForm(it, d.key));
    });
    box.querySelector('#item-h').focus();
  }

  // fixing the key: one form per kind, the change sent as authoring fields (engine/analytics/key_fix.py)
  function keyForm(it, key) {
    var kind = key && key.kind;
    var form = h('form', { class: 'card key-fix', id: 'key-fix' });
    var out = h('p', { class: 'key-result', role: 'status' });
    var fields = h('div', {});
    var read;
    function radio(name, value, label, checked) {
      var id = name + '-' + value;
      return h('label', { class: 'opt', for: id }, [h('input', { type: 'radio', name: name, id: id, value: value, checked: checked }), label]);
    }
    function check(name, value, label, checked) {
      var id = name + '-' + value;
      return h('label', { class: 'opt', for: id }, [h('input', { type: 'checkbox', name: name, id: id, value: value, checked: checked }), label]);
    }
    if (kind === 'single_choice' || kind === 'multiple_response') {
      var correct = kind === 'single_choice' ? [key.correct] : key.correct;
      fields.appendChild(h('fieldset', {}, [h('legend', {}, [t('fix.correct_option')])].concat((it.options || []).map(function (o, i) {
        var label = h('span', {}, [LETTERS.charAt(i) + '. ', rich('span', {}, o.text)]);
        return (kind === 'single_choice' ? radio : check)('fix-option', o.id, label, correct.indexOf(o.id) >= 0);
      }))));
      read = function () {
        var chosen = Array.prototype.map.call(form.querySelectorAll('input[name=fix-option]:checked'), function (x) { return x.value; });
        return { correct: kind === 'single_choice' ? chosen[0] : chosen };
      };
    } else if (kind === 'true_false') {
      fields.appendChild(h('fieldset', {}, [h('legend', {}, [t('fix.correct_value')]), radio('fix-tf', 'true', t('answer.true'), key.correct), radio('fix-tf', 'false', t('answer.false'), !key.correct)]));
      read = function () { return { correct: form.querySelector('input[name=fix-tf]:checked').value === 'true' }; };
    } else if (kind === 'short_text') {
      var accepted = h('textarea', { id: 'fix-accepted', rows: '3' });
      accepted.value = key.accepted.join('\n');
      var cs = h('input', { type: 'checkbox', id: 'fix-case', checked: key.case_sensitive });
      fields.appendChild(h('label', { class: 'field', for: 'fix-accepted' }, [h('span', {}, [t('fix.accepted')])]));
      fields.appendChild(accepted);
      fields.appendChild(h('label', { class: 'opt', for: 'fix-case' }, [cs, t('fix.case_sensitive')]));
      read = function () { return { accepted: accepted.value.split('\n').map(function (x) { return x.trim(); }).filter(Boolean), case_sensitive: cs.checked }; };
    } else if (kind === 'numeric') {
      var value = h('input', { id: 'fix-value', inputmode: 'decimal', value: String(key.value) });
      var tol = h('input', { id: 'fix-tolerance', inputmode: 'decimal', value: String(key.absolute_tolerance || 0) });
      fields.appendChild(h('label', { class: 'field', for: 'fix-value' }, [h('span', {}, [t('fix.value')])])); fields.appendChild(value);
      fields.appendChild(h('label', { class: 'field', for: 'fix-tolerance' }, [h('span', {}, [t('fix.tolerance')])])); fields.appendChild(tol);
      read = function () { return { value: Number(value.value.replace(',', '.')), absolute_tolerance: Number(tol.value.replace(',', '.')) }; };
    } else {
      form.appendChild(h('h3', {}, [t('fix.title')]));
      form.appendChild(help(kind === 'essay' ? 'fix.essay' : 'fix.unsupported'));
      return form;
    }
    var reasonBox = h('textarea', { id: 'fix-reason', rows: '2', 'aria-required': 'true' });
    form.appendChild(h('h3', {}, [t('fix.title')]));
    form.appendChild(help('fix.help'));
    form.appendChild(fields);
    form.appendChild(h('label', { class: 'field', for: 'fix-reason' }, [h('span', {}, [t('fix.reason')])]));
    form.appendChild(reasonBox);
    form.appendChild(h('p', {}, [h('button', { type: 'submit', class: 'primary', id: 'fix-submit' }, [t('fix.submit')])]));
    form.appendChild(out);
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (!reasonBox.value.trim()) { out.className = 'key-result err'; out.textContent = t('fix.reason_required'); reasonBox.focus(); return; }
      var submit = $('fix-submit');
      submit.disabled = true;
      api('PUT', base() + '/items/' + it.item_id + '/key', { changes: read(), reason: reasonBox.value.trim() }).then(function (r) {
        submit.disabled = false;
        if (r.status !== 200) { out.className = 'key-result err'; out.textContent = problem(r, 'fix.failed'); return; }
        var d = r.data;
        out.className = 'key-result ok';
        out.textContent = t('fix.done', { regraded: d.sittings_regraded, changed: d.results_changed, up: d.points_gained, down: d.points_lost });
        var again = h('button', { type: 'button', id: 'fix-reload', onclick: function () { render(); } }, [t('fix.reload')]);
        out.appendChild(document.createTextNode(' '));
        out.appendChild(again);
      });
    });
    return form;
  }

})();
