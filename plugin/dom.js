// DOM helpers. Data only ever reaches the page as text nodes and attribute values: no
// innerHTML anywhere, so a subject called <img onerror=...> stays text.

export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const k in props) {
    const v = props[k];
    if (v == null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value' || k === 'checked') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  fill(el, kids, true);
  return el;
}

/** Put `kids` (nested arrays, strings as text, null and false left out) into `el`. */
export function fill(el, kids, add) {
  const flat = [kids].flat(9).filter((k) => k != null && k !== false);
  if (add) el.append(...flat);
  else el.replaceChildren(...flat);
}

const PATHS = {
  back: 'M19 12H5m6 6-6-6 6-6',
  prev: 'm15 6-6 6 6 6',
  next: 'm9 6 6 6-6 6',
  OFFICE: 'M4 21V6l8-3 8 3v15M2 21h20M9 9h1m4 0h1m-6 4h1m4 0h1m-5 8v-4h4v4',
  VIDEO: 'M3 7h12v10H3zm12 4 6-3.5v9L15 13',
  PHONE: 'M8 2h8v20H8zm3 16h2',
  ON_LOCATION: 'm3 11 9-8 9 8M5 9.5V21h14V9.5M10 21v-6h4v6',
  pin: 'M12 21s-7-6.2-7-11.5a7 7 0 0 1 14 0C19 14.8 12 21 12 21zm0-9a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5z',
  locate: 'M12 2v4m0 12v4M2 12h4m12 0h4m-10-5a5 5 0 1 0 0 10 5 5 0 0 0 0-10z',
  person: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-8 9c0-4 4-6 8-6s8 2 8 6',
  check: 'm5 12.5 4.5 4.5L19 7.5',
  calendar: 'M4 5h16v16H4zm0 5h16M8 3v4m8-4v4',
  clock: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm0 4v5l3 2',
};

export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const path = document.createElementNS(ns, 'path');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'rv-icon');
  path.setAttribute('d', PATHS[name] || PATHS.calendar);
  svg.append(path);
  return svg;
}

/** Only http(s) links from the API become hrefs (no javascript: URLs). */
export function safeUrl(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}

let ids = 0;

/** A list of big buttons; the button's name is the item's name, the rest describes it. */
export function choices(items) {
  return h('ul', { class: 'rv-choices', role: 'list' }, items.map((it) => {
    const id = 'rv-c' + ++ids;
    const extra = [it.desc, it.meta].filter(Boolean);
    return h('li', null, h('button', {
      type: 'button',
      class: 'rv-choice',
      'aria-labelledby': id,
      'aria-describedby': extra.length ? id + 'd' : null,
      onclick: it.pick,
    },
    it.icon && icon(it.icon),
    h('span', { class: 'rv-choice-text' },
      h('span', { class: 'rv-choice-name', id }, it.name),
      extra.length > 0 && h('span', { id: id + 'd' }, extra.map((x, i) => h('span', { class: i || !it.desc ? 'rv-choice-meta' : 'rv-choice-desc' }, x)))),
    icon('next')));
  }));
}
