/* The dashboard's tables: sortable by any column (a button in each header, aria-sort), filtered
   by a text box, scrolling sideways in their own box on a phone, each with "CSV" and "Excel"
   buttons that save the rows as shown (filtered and sorted). The file is written by the server
   (POST /v1/exports/table) so both formats escape cells the same way as the exam exports; a
   table may name its own export instead (results and item statistics: every row, server-side).

   ujTable(ctx, spec) -> element. spec: {id, name, caption, columns: [{key, label, num, help,
   text(row) -> string, cell(row) -> node|string, value(row) -> sortable}], rows, sort: {key,
   dir}, onRow(row), rowClass(row), rowAttrs(row), above(row, previous) -> node|null (shown in
   a row across the table above this one, given the row shown before it: a question's shared
   passage; not a row of the data, so neither counted, filtered on nor exported),
   exportUrl(format)}. */
(function () {
  'use strict';
  window.ujTable = function (ctx, spec) {
    var h = ctx.h, t = ctx.t;
    var sort = spec.sort || { key: spec.columns[0].key, dir: 1 };
    var query = '';
    var wrap = h('div', { class: 'table-block', id: spec.id + '-block' });
    var filterId = spec.id + '-filter';
    var filter = h('input', { id: filterId, type: 'search', class: 'filter', autocomplete: 'off', oninput: function () { query = filter.value.trim().toLowerCase(); draw(); } });
    var count = h('span', { class: 'muted count', 'aria-live': 'polite' });
    var tools = h('div', { class: 'table-tools' }, [
      h('label', { for: filterId }, [t('table.filter')]), filter, count,
      h('span', { class: 'exports' }, [
        h('button', { type: 'button', 'data-table-export': 'csv', onclick: function () { save('csv'); } }, [t('table.csv')]),
        h('button', { type: 'button', 'data-table-export': 'xlsx', onclick: function () { save('xlsx'); } }, [t('table.xlsx')])])]);
    // the caption sits above the scrolling box, so a phone shows all of it
    var captionId = spec.id + '-caption';
    var table = h('table', { class: 'data', id: spec.id, 'aria-labelledby': captionId });
    wrap.appendChild(h('p', { class: 'table-caption', id: captionId }, [spec.caption]));
    wrap.appendChild(tools);
    wrap.appendChild(h('div', { class: 'scroll', role: 'region', tabindex: '0', 'aria-labelledby': captionId }, [table]));

    function textOf(col, row) {
      if (col.text) return col.text(row);
      var v = row[col.key];
      return v === null || v === undefined ? '' : String(v);
    }
    function valueOf(col, row) {
      if (col.value) return col.value(row);
      var v = row[col.key];
      return v === undefined ? null : v;
    }
    function shown() {
      var rows = spec.rows.filter(function (r) {
        if (!query) return true;
        return spec.columns.some(function (c) { return textOf(c, r).toLowerCase().indexOf(query) >= 0; });
      });
      var col = spec.columns.filter(function (c) { return c.key === sort.key; })[0] || spec.columns[0];
      return rows.map(function (r, i) { return [r, i]; }).sort(function (a, b) {
        var x = valueOf(col, a[0]), y = valueOf(col, b[0]);
        if (x === null || x === undefined || x === '') return (y === null || y === undefined || y === '') ? a[1] - b[1] : 1;
        if (y === null || y === undefined || y === '') return -1;
        if (typeof x === 'string') { var c = x.localeCompare(y, ctx.locale(), { numeric: true }); return c * sort.dir || a[1] - b[1]; }
        return (x < y ? -1 : x > y ? 1 : 0) * sort.dir || a[1] - b[1];
      }).map(function (p) { return p[0]; });
    }
    function draw() {
      var rows = shown();
      table.textContent = '';
      table.appendChild(h('thead', {}, [h('tr', {}, spec.columns.map(function (c) {
        var state = c.key === sort.key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none';
        var label = c.label + (state === 'none' ? '' : state === 'ascending' ? ' ▲' : ' ▼');
        return h('th', { scope: 'col', class: c.num ? 'num' : null, 'aria-sort': state, 'data-col': c.key }, [
          h('button', { type: 'button', class: 'sort', title: c.help || null, 'aria-describedby': c.helpId || null, onclick: function () {
            sort = { key: c.key, dir: sort.key === c.key ? -sort.dir : (c.num ? -1 : 1) };
            draw();
          } }, [label])]);
      }))]));
      var body = h('tbody');
      rows.forEach(function (r, n) {
        var above = spec.above ? spec.above(r, n ? rows[n - 1] : null) : null;
        if (above) body.appendChild(h('tr', { class: 'above' }, [h('td', { colspan: String(spec.columns.length) }, [above])]));
        var attrs = Object.assign({ class: spec.rowClass ? spec.rowClass(r) : null }, spec.rowAttrs ? spec.rowAttrs(r) : {});
        // a click anywhere on the row opens it too (the keyboard uses the first cell's button)
        if (spec.onRow) attrs.onclick = function (ev) { if (!ev.target.closest('button, a, input')) spec.onRow(r); };
        body.appendChild(h('tr', attrs, spec.columns.map(function (c, i) {
          var content = c.cell ? c.cell(r) : textOf(c, r);
          if (i === 0 && spec.onRow) {
            content = h('button', { type: 'button', class: 'link', onclick: function () { spec.onRow(r); } }, [content]);
          }
          return h(i === 0 ? 'th' : 'td', { class: c.num ? 'num' : null, scope: i === 0 ? 'row' : null }, [content]);
        })));
      });
      table.appendChild(body);
      count.textContent = t('table.count', { n: rows.length, total: spec.rows.length });
    }
    function save(format) {
      if (spec.exportUrl) { ctx.download(spec.exportUrl(format), spec.name + '.' + format); return; }
      var body = { name: spec.name, header: spec.columns.map(function (c) { return c.label; }), rows: shown().map(function (r) {
        return spec.columns.map(function (c) { var v = c.exportValue ? c.exportValue(r) : textOf(c, r); return v === undefined ? null : v; });
      }) };
      ctx.download('/v1/exports/table?format=' + format, spec.name + '.' + format, body);
    }
    draw();
    return wrap;
  };
})();
