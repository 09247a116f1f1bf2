// contrast.js — run in the page by the browser test (wd_js): the WCAG 2
// contrast ratio of every piece of visible text against the background it
// is drawn on (backgrounds composited up the tree over white). Returns the
// worst one relative to its requirement: 4.5:1, or 3:1 for large text
// (24 px, or 18.66 px bold). Element opacity and background images are not
// taken into account (the pages use neither for text).
const parse = (s) => {
  const m = /rgba?\(([^)]+)\)/.exec(s);
  if (!m) return null;
  const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
  return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 };
};
const over = (top, under) => top.rgb.map((v, i) => v * top.a + under[i] * (1 - top.a));
const luminance = (rgb) => {
  const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const background = (el) => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255]);
};
let worst = null, count = 0;
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!n.textContent.trim() || !el || !el.getClientRects().length) continue;
  const st = getComputedStyle(el);
  if (st.visibility !== 'visible' || el.closest('[hidden], [aria-hidden="true"]')) continue;
  const bg = background(el);
  const fg = over(parse(st.color), bg);
  const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
  const ratio = (hi + 0.05) / (lo + 0.05);
  const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
  const need = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
  count++;
  if (!worst || ratio / need < worst.ratio / worst.need) {
    worst = { ratio: Math.round(ratio * 100) / 100, need, text: n.textContent.trim().slice(0, 40), color: st.color };
  }
}
return { count, worst };
