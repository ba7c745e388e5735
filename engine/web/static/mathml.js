/* A tiny TeX-to-MathML converter for exam items: the browser draws MathML itself (MathML Core,
   Chromium 109+, Firefox, Safari), so we need no font files and no 300 KB renderer. It covers
   school mathematics: fractions, roots, powers and indices, Greek letters, relations, big
   operators, \left...\right, \text, accents, binomials. Anything it does not know is shown as
   the TeX source, so nothing is ever lost. Math is written \( ... \), \[ ... \] or $$ ... $$
   (question_bank/content.py). Elements are built with createElementNS: no HTML is parsed. */
(function () {
  'use strict';
  var NS = 'http://www.w3.org/1998/Math/MathML';
  var SYM = {
    alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ϵ', varepsilon: 'ε', zeta: 'ζ',
    eta: 'η', theta: 'θ', vartheta: 'ϑ', iota: 'ι', kappa: 'κ', lambda: 'λ', mu: 'μ', nu: 'ν',
    xi: 'ξ', pi: 'π', rho: 'ρ', sigma: 'σ', tau: 'τ', upsilon: 'υ', phi: 'ϕ', varphi: 'φ',
    chi: 'χ', psi: 'ψ', omega: 'ω', Gamma: 'Γ', Delta: 'Δ', Theta: 'Θ', Lambda: 'Λ', Xi: 'Ξ',
    Pi: 'Π', Sigma: 'Σ', Phi: 'Φ', Psi: 'Ψ', Omega: 'Ω', infty: '∞', partial: '∂',
    nabla: '∇', ell: 'ℓ', emptyset: '∅', degree: '°'
  };
  var OPS = {
    times: '×', cdot: '⋅', div: '÷', pm: '±', mp: '∓', le: '≤', leq: '≤', ge: '≥', geq: '≥',
    ne: '≠', neq: '≠', approx: '≈', equiv: '≡', sim: '∼', propto: '∝', to: '→',
    rightarrow: '→', leftarrow: '←', Rightarrow: '⇒', Leftarrow: '⇐', Leftrightarrow: '⇔',
    iff: '⇔', in: '∈', notin: '∉', subset: '⊂', subseteq: '⊆', cup: '∪', cap: '∩',
    angle: '∠', perp: '⊥', parallel: '∥', circ: '∘', ldots: '…', cdots: '⋯', dots: '…',
    forall: '∀', exists: '∃', neg: '¬', wedge: '∧', vee: '∨', sum: '∑', prod: '∏', int: '∫',
    oint: '∮', lim: 'lim', langle: '⟨', rangle: '⟩', mid: '∣', triangle: '△', star: '⋆',
    '{': '{', '}': '}', '|': '‖', '%': '%'
  };
  var FN = /^(sin|cos|tan|cot|sec|csc|arcsin|arccos|arctan|sinh|cosh|tanh|log|ln|exp|max|min|det|gcd|lim)$/;
  var BIG = /^(sum|prod|int|oint|lim|max|min)$/;
  var ACCENT = { vec: '→', bar: '‾', overline: '‾', hat: '^', widehat: '^', tilde: '~', dot: '˙' };
  var SPACE = { ',': '0.17em', ':': '0.22em', ';': '0.28em', ' ': '0.25em', quad: '1em', qquad: '2em', '!': '0em' };

  function el(name, kids, attrs) {
    var e = document.createElementNS(NS, name);
    (kids || []).forEach(function (k) { e.appendChild(k); });
    for (var a in attrs || {}) e.setAttribute(a, attrs[a]);
    return e;
  }
  function leaf(name, text, attrs) { var e = el(name, [], attrs); e.textContent = text; return e; }
  function row(kids) { return kids.length === 1 ? kids[0] : el('mrow', kids); }

  function Parser(src) { this.s = src; this.i = 0; }
  Parser.prototype.peek = function () { return this.s[this.i]; };
  Parser.prototype.ws = function () { while (/\s/.test(this.s[this.i] || '')) this.i++; };
  Parser.prototype.cmd = function () {
    var m = /^\\([A-Za-z]+|.)/.exec(this.s.slice(this.i));
    if (!m) throw new Error('bad command');
    this.i += m[0].length;
    return m[1];
  };
  Parser.prototype.group = function () {  // {...} or one token
    this.ws();
    if (this.peek() === '{') {
      this.i++;
      var kids = this.list('}');
      this.i++;
      return row(kids);
    }
    var t = this.atom();
    if (!t) throw new Error('missing argument');
    return t;
  };
  Parser.prototype.raw = function () {  // {text} verbatim
    this.ws();
    if (this.peek() !== '{') throw new Error('expected {');
    var depth = 0, start = ++this.i;
    for (; this.i < this.s.length; this.i++) {
      if (this.s[this.i] === '{') depth++;
      else if (this.s[this.i] === '}' && depth-- === 0) return this.s.slice(start, this.i++);
    }
    throw new Error('unclosed {');
  };
  Parser.prototype.list = function (end) {
    var out = [];
    for (;;) {
      this.ws();
      var c = this.peek();
      if (c === undefined) { if (end) throw new Error('unclosed group'); return out; }
      if (c === end || (end === 'right' && this.s.slice(this.i, this.i + 6) === '\\right')) return out;
      if (end === 'cell' && (c === '&' || this.s.slice(this.i, this.i + 2) === '\\\\' || this.s.slice(this.i, this.i + 4) === '\\end')) return out;
      if (c === '^' || c === '_') {
        this.i++;
        var base = out.pop() || leaf('mi', '');
        var sub = null, sup = null;
        if (c === '^') sup = this.group(); else sub = this.group();
        this.ws();
        var d = this.peek();
        if ((d === '^' && !sup) || (d === '_' && !sub)) {
          this.i++;
          if (d === '^') sup = this.group(); else sub = this.group();
        }
        var big = base.getAttribute && base.getAttribute('data-big');
        var name = sub && sup ? (big ? 'munderover' : 'msubsup') : sup ? (big ? 'mover' : 'msup') : (big ? 'munder' : 'msub');
        out.push(el(name, sub && sup ? [base, sub, sup] : [base, sub || sup]));
        continue;
      }
      var a = this.atom();
      if (a) out.push(a);
    }
  };
  Parser.prototype.atom = function () {
    var c = this.peek();
    if (c === '{') return this.group();
    if (c === '\\') return this.command(this.cmd());
    if (/[0-9.]/.test(c)) {
      var m = /^[0-9]*\.?[0-9]+|^[0-9]+/.exec(this.s.slice(this.i));
      this.i += m[0].length;
      return leaf('mn', m[0]);
    }
    this.i++;
    if (/[A-Za-z]/.test(c)) return leaf('mi', c);
    if (c === '}') throw new Error('unexpected }');
    if (c === '&' || c === '#' || c === '$') throw new Error('unsupported ' + c);
    return leaf('mo', c === '-' ? '−' : c === '*' ? '∗' : c === "'" ? '′' : c);
  };
  Parser.prototype.command = function (name) {
    if (SYM[name]) return leaf('mi', SYM[name], name.length > 1 && /^[A-Z]/.test(name) ? { mathvariant: 'normal' } : {});
    if (SPACE[name]) return el('mspace', [], { width: SPACE[name] });
    if (name === 'frac' || name === 'dfrac' || name === 'tfrac') return el('mfrac', [this.group(), this.group()]);
    if (name === 'binom') return row([leaf('mo', '('), el('mfrac', [this.group(), this.group()], { linethickness: '0' }), leaf('mo', ')')]);
    if (name === 'sqrt') {
      this.ws();
      if (this.peek() === '[') {
        var end = this.s.indexOf(']', this.i);
        var index = new Parser(this.s.slice(this.i + 1, end)).list(null);
        this.i = end + 1;
        return el('mroot', [this.group(), row(index)]);
      }
      return el('msqrt', [this.group()]);
    }
    if (name === 'text' || name === 'mathrm' || name === 'textrm' || name === 'operatorname') {
      var t = this.raw();
      return name === 'text' || name === 'textrm' ? leaf('mtext', t) : leaf('mi', t, { mathvariant: 'normal' });
    }
    if (name === 'mathbf') return el('mrow', [this.group()], { mathvariant: 'bold' });
    if (ACCENT[name]) return el('mover', [this.group(), leaf('mo', ACCENT[name], { stretchy: 'true' })], { accent: 'true' });
    if (name === 'begin') return this.environment(this.raw());
    if (name === 'left') {
      var open = this.delim();
      var inner = this.list('right');
      this.i += 6;
      var close = this.delim();
      return el('mrow', [leaf('mo', open, { fence: 'true' })].concat(inner, [leaf('mo', close, { fence: 'true' })]));
    }
    if (FN.test(name)) {
      var f = leaf('mi', name, name.length > 1 ? {} : {});
      if (BIG.test(name)) f.setAttribute('data-big', '1');
      return f;
    }
    if (OPS[name]) {
      var o = leaf('mo', OPS[name]);
      if (BIG.test(name)) { o.setAttribute('data-big', '1'); o.setAttribute('largeop', 'true'); }
      return o;
    }
    throw new Error('unknown \\' + name);
  };
  /* matrix, pmatrix, bmatrix, Bmatrix, vmatrix, Vmatrix and cases: cells split by & and rows
     by \\, drawn as an mtable between the environment's fences */
  var FENCES = { matrix: ['', ''], pmatrix: ['(', ')'], bmatrix: ['[', ']'], Bmatrix: ['{', '}'], vmatrix: ['|', '|'], Vmatrix: ['‖', '‖'], cases: ['{', ''] };
  Parser.prototype.environment = function (env) {
    if (!FENCES[env]) throw new Error('unknown environment ' + env);
    var rows = [], cells = [];
    for (;;) {
      var kids = this.list('cell');
      cells.push(el('mtd', [row(kids.length ? kids : [leaf('mi', '')])], env === 'cases' ? { columnalign: 'left' } : {}));
      if (this.s[this.i] === '&') { this.i++; continue; }
      if (this.s.slice(this.i, this.i + 2) === '\\\\') { this.i += 2; rows.push(cells); cells = []; continue; }
      this.i += 4;  // \end
      if (this.raw() !== env) throw new Error('unmatched \\end');
      // a trailing \\ leaves one empty cell: not a row
      if (!(cells.length === 1 && !cells[0].textContent)) rows.push(cells);
      break;
    }
    var table = el('mtable', rows.map(function (r) { return el('mtr', r); }));
    var f = FENCES[env], out = [];
    if (f[0]) out.push(leaf('mo', f[0], { fence: 'true' }));
    out.push(table);
    if (f[1]) out.push(leaf('mo', f[1], { fence: 'true' }));
    return el('mrow', out);
  };
  Parser.prototype.delim = function () {
    this.ws();
    var c = this.s[this.i];
    if (c === '\\') { var n = this.cmd(); return OPS[n] || (n === '{' ? '{' : n === '}' ? '}' : ''); }
    this.i++;
    return c === '.' ? '' : c;
  };

  function toMathML(tex, display) {
    var kids = new Parser(tex).list(null);
    var m = el('math', [row(kids.length ? kids : [leaf('mi', '')])], display ? { display: 'block' } : {});
    var ann = m.querySelectorAll('[data-big]');
    for (var i = 0; i < ann.length; i++) ann[i].removeAttribute('data-big');
    m.setAttribute('aria-label', tex);
    return m;
  }

  /* ---- linear text: for <option>s (which hold no markup) and browsers without MathML ---- */
  var SUP = { '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '+': '⁺', '-': '⁻', '−': '⁻', '=': '⁼', '(': '⁽', ')': '⁾',
    a: 'ᵃ', b: 'ᵇ', c: 'ᶜ', d: 'ᵈ', e: 'ᵉ', f: 'ᶠ', g: 'ᵍ', h: 'ʰ', i: 'ⁱ', j: 'ʲ', k: 'ᵏ', l: 'ˡ', m: 'ᵐ', n: 'ⁿ', o: 'ᵒ', p: 'ᵖ', r: 'ʳ', s: 'ˢ', t: 'ᵗ', u: 'ᵘ', v: 'ᵛ', w: 'ʷ', x: 'ˣ', y: 'ʸ', z: 'ᶻ' };
  var SUB = { '0': '₀', '1': '₁', '2': '₂', '3': '₃', '4': '₄', '5': '₅', '6': '₆', '7': '₇', '8': '₈', '9': '₉', '+': '₊', '-': '₋', '−': '₋', '=': '₌', '(': '₍', ')': '₎',
    a: 'ₐ', e: 'ₑ', h: 'ₕ', i: 'ᵢ', j: 'ⱼ', k: 'ₖ', l: 'ₗ', m: 'ₘ', n: 'ₙ', o: 'ₒ', p: 'ₚ', r: 'ᵣ', s: 'ₛ', t: 'ₜ', u: 'ᵤ', v: 'ᵥ', x: 'ₓ' };
  // a script in Unicode when every character has a small form (x³, a₁), else x^(n+1)
  function script(text, map, mark) {
    var out = '';
    for (var i = 0; i < text.length; i++) { if (!map[text[i]]) return mark + (text.length > 1 ? '(' + text + ')' : text); out += map[text[i]]; }
    return out;
  }
  function group(text) { return text.length > 1 && !/^[0-9.]+$|^[A-Za-zα-ω]$/.test(text) ? '(' + text + ')' : text; }
  function linear(node) {
    var name = node.localName, k = Array.prototype.map.call(node.children, linear);
    switch (name) {
      case 'mi': case 'mn': case 'mo': case 'mtext': return node.textContent;
      case 'mspace': return ' ';
      case 'msup': return k[0] + script(k[1], SUP, '^');
      case 'msub': return k[0] + script(k[1], SUB, '_');
      case 'msubsup': return k[0] + script(k[1], SUB, '_') + script(k[2], SUP, '^');
      case 'munder': return k[0] + script(k[1], SUB, '_');
      case 'mover': return node.getAttribute('accent') ? k[0] + (k[1] === '→' ? '\u20d7' : k[1] === '‾' ? '\u0305' : k[1] === '^' ? '\u0302' : k[1] === '~' ? '\u0303' : '\u0307') : k[0] + script(k[1], SUP, '^');
      case 'munderover': return k[0] + script(k[1], SUB, '_') + script(k[2], SUP, '^');
      case 'mfrac': return node.getAttribute('linethickness') === '0' ? 'C(' + k[0] + ', ' + k[1] + ')' : group(k[0]) + '/' + group(k[1]);
      case 'msqrt': return '√' + group(k.join(''));
      case 'mroot': return script(k[1], SUP, '') + '√' + group(k[0]);
      case 'mtable': return '[' + k.join('; ') + ']';
      case 'mtr': return k.join(', ');
    }
    return k.join(name === 'math' || name === 'mrow' || name === 'mtd' ? '' : ' ');
  }
  function toText(tex) { return linear(toMathML(tex, false)).replace(/\s+/g, ' ').trim(); }

  /* Does this browser draw MathML? A 20-px mspace is 20 px wide only where it does. */
  var drawsMathML = null;
  function mathmlWorks() {
    if (drawsMathML === null) {
      try {
        var probe = el('math', [el('mspace', [], { width: '20px' })]);
        probe.setAttribute('style', 'position:absolute;visibility:hidden');
        document.body.appendChild(probe);
        var w = probe.getBoundingClientRect().width;
        probe.remove();
        drawsMathML = w > 15 && w < 25;
      } catch (e) { drawsMathML = false; }
    }
    // a reader may ask for maths as plain text (a screen reader or a very old phone)
    try { if (localStorage.getItem('uj.math') === 'text') return false; } catch (e) { /* private mode */ }
    return drawsMathML;
  }
  function say(key, fallback) { return window.ujI18n ? window.ujI18n.t(key) : fallback; }

  /* A formula wider than its column scrolls sideways, says so, and can be scrolled by keyboard. */
  function fitWide(box) {
    if (box.scrollWidth <= box.clientWidth + 1 || box.classList.contains('wide')) return;
    box.classList.add('wide');
    box.tabIndex = 0;
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', say('math.wide', 'Wide formula: scroll sideways'));
    var hint = document.createElement('span');
    hint.className = 'scroll-hint';
    hint.setAttribute('aria-hidden', 'true');
    hint.textContent = say('math.scrollHint', 'Scroll sideways to see the whole formula →');
    box.parentNode.insertBefore(hint, box.nextSibling);
  }

  var SPAN = /\$\$([\s\S]+?)\$\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;

  /* Replace every math span in the text nodes under root with MathML, or with linear text when
     asText is set (an <option>) or the browser cannot draw MathML. */
  function render(root, asText) {
    var text = asText || !mathmlWorks();
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var nodes = [], wide = [];
    while (walker.nextNode()) if (/\$\$|\\\(|\\\[/.test(walker.currentNode.nodeValue)) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      var value = node.nodeValue, frag = document.createDocumentFragment(), last = 0, m;
      SPAN.lastIndex = 0;
      while ((m = SPAN.exec(value))) {
        frag.appendChild(document.createTextNode(value.slice(last, m.index)));
        var tex = m[1] || m[2] || m[3], display = !m[2], made;
        try {
          if (text) {
            made = document.createElement('span');
            made.className = 'math-text';
            made.textContent = toText(tex);
          } else made = toMathML(tex, display);
        } catch (e) { made = document.createTextNode(m[0]); }
        if (display && !asText && made.nodeType === 1) {
          var box = document.createElement('span');
          box.className = 'math-scroll';
          box.appendChild(made);
          made = box;
          wide.push(box);
        }
        frag.appendChild(made);
        last = SPAN.lastIndex;
      }
      frag.appendChild(document.createTextNode(value.slice(last)));
      node.parentNode.replaceChild(frag, node);
    });
    // once laid out: the page puts root into the document right after rendering it
    if (wide.length) requestAnimationFrame(function () { wide.forEach(function (b) { if (b.isConnected) fitWide(b); }); });
  }

  /* An item's HTML as one line of text, maths included (x³, √2): what an <option> can hold. */
  function plain(html) {
    var box = document.createElement('span');
    box.innerHTML = html;  // server-sanitised item HTML only
    render(box, true);
    return box.textContent;
  }

  window.ujMath = { render: render, toMathML: toMathML, toText: toText, plain: plain };
})();
