/* The pages' language: Indonesian first, English second.

   Each page loads this file and one catalogue per language (student-id.js, student-en.js,
   teacher-id.js, teacher-en.js), which call ujI18n.add(lang, messages). The language is the
   one the user chose on this device, else the first of the browser's languages that we speak,
   else Indonesian. Numbers, dates and times go through Intl in that locale, and times in the
   sitting's zone (WIB, WITA, WIT), never in the phone's own zone, which may be set wrong.

   A message is a string with {name} place-holders, or {one: ..., other: ...} where English
   needs a plural (Indonesian never does). A key missing in a catalogue falls back to the
   Indonesian message, then to the key itself, so a gap shows up in tests, not as a blank. */
(function () {
  'use strict';
  var LANGS = ['id', 'en'];
  var LOCALES = { id: 'id-ID', en: 'en-GB' };
  var KEY = 'uj.lang';
  var catalogues = { id: {}, en: {} };
  var listeners = [];

  function stored() { try { return window.localStorage.getItem(KEY); } catch (e) { return null; } }
  function fromBrowser() {
    var wanted = navigator.languages || [navigator.language || ''];
    for (var i = 0; i < wanted.length; i++) {
      var base = String(wanted[i]).toLowerCase().split('-')[0];
      if (base === 'ms') base = 'id';  // Malay readers read Indonesian better than English
      if (LANGS.indexOf(base) >= 0) return base;
    }
    return 'id';
  }
  var lang = LANGS.indexOf(stored()) >= 0 ? stored() : fromBrowser();

  function apply() { document.documentElement.lang = lang; }

  function lookup(key) {
    var m = catalogues[lang][key];
    if (m === undefined) m = catalogues.id[key];
    return m === undefined ? key : m;
  }

  function t(key, params) {
    var m = lookup(key);
    params = params || {};
    if (typeof m === 'object') {
      var rule = new Intl.PluralRules(LOCALES[lang]).select(Number(params.n) || 0);
      m = m[rule] !== undefined ? m[rule] : m.other;
    }
    return String(m).replace(/\{(\w+)\}/g, function (all, name) {
      if (!(name in params)) return all;
      var v = params[name];
      return typeof v === 'number' ? number(v) : String(v);
    });
  }

  function number(v, options) { return new Intl.NumberFormat(LOCALES[lang], options).format(v); }

  // an instant (epoch ms or ISO string) as the sitting's zone reads it, with the zone's name
  function dateTime(when, zone, options) {
    var d = typeof when === 'number' ? new Date(when) : new Date(String(when));
    var o = Object.assign({ dateStyle: 'medium', timeStyle: 'short' }, options || {});
    if (zone) o.timeZone = zone;
    try {
      var text = new Intl.DateTimeFormat(LOCALES[lang], o).format(d);
      if (!zone || o.timeZoneName) return text;
      var name = new Intl.DateTimeFormat(LOCALES.id, { timeZone: zone, timeZoneName: 'short' })
        .formatToParts(d).filter(function (p) { return p.type === 'timeZoneName'; })[0];
      return name ? text + ' ' + name.value : text;
    } catch (e) {
      return d.toISOString();  // an unknown zone: still an unambiguous instant
    }
  }

  function setLang(next) {
    if (LANGS.indexOf(next) < 0 || next === lang) return;
    lang = next;
    try { window.localStorage.setItem(KEY, lang); } catch (e) { /* private mode: this load only */ }
    apply();
    listeners.forEach(function (f) { f(lang); });
  }

  // a small "Bahasa Indonesia | English" switch; the page re-renders through onChange
  function switcher() {
    var nav = document.createElement('span');
    nav.className = 'langs';
    LANGS.forEach(function (code) {
      var b = document.createElement('button');
      b.type = 'button';
      b.lang = code;
      b.textContent = code === 'id' ? 'Bahasa Indonesia' : 'English';
      b.setAttribute('aria-pressed', String(code === lang));
      b.addEventListener('click', function () { setLang(code); });
      nav.appendChild(b);
    });
    listeners.push(function () {
      Array.prototype.forEach.call(nav.children, function (b) {
        b.setAttribute('aria-pressed', String(b.lang === lang));
      });
    });
    return nav;
  }

  window.ujI18n = {
    add: function (code, messages) { Object.assign(catalogues[code], messages); },
    t: t,
    number: number,
    dateTime: dateTime,
    lang: function () { return lang; },
    locale: function () { return LOCALES[lang]; },
    setLang: setLang,
    onChange: function (f) { listeners.push(f); },
    switcher: switcher,
    // for API calls: problem documents come back in the page's language
    acceptLanguage: function () { return lang === 'id' ? 'id, en;q=0.5' : 'en, id;q=0.5'; }
  };
  apply();
})();
