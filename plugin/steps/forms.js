// Form steps: the customer's address (ON_LOCATION), the subject's questions, the
// customer's details, and the booking itself. Validation is ours (novalidate), in the
// widget's language, shown inline with aria-invalid and aria-describedby; the server's
// VALIDATION_FAILED details are mapped back onto the same fields by their path
// ($.customer.email).

import { clean } from '../api.js';
import { h } from '../dom.js';
import { LANGUAGES, fmt, number, summary } from '../format.js';
import * as rules from '../rules.js';

let n = 0;

const empty = (v) => v == null || v === '' || (Array.isArray(v) && !v.length);

/** One labelled control (or a group of radios/checkboxes) with its error message. */
export function field(w, f) {
  const id = 'rv-f' + ++n;
  const err = h('p', { class: 'rv-error', id: id + 'e', hidden: true });
  const hint = f.hint && h('p', { class: 'rv-hint', id: id + 'h' }, f.hint);
  const describedBy = (hint ? id + 'h ' : '') + id + 'e';
  const label = [f.label, !f.required && h('span', { class: 'rv-opt' }, ' ' + w.t.optional)];
  const multi = f.type === 'multi_select';
  let shown = false;
  let el, controls, read;

  const changed = () => {
    f.oninput(read());
    if (shown) show(validate());
  };

  if (f.options && !f.dropdown && (multi || f.options.length <= 6)) {
    const now = f.value || (multi ? [] : '');
    controls = f.options.map((o) => h('input', {
      type: multi ? 'checkbox' : 'radio', name: id, value: o.id,
      checked: multi ? now.includes(o.id) : now === o.id, onchange: changed,
    }));
    el = h('fieldset', { class: 'rv-field rv-group-field', 'aria-describedby': describedBy },
      h('legend', null, label), hint,
      controls.map((c, i) => h('label', { class: 'rv-check' }, c, h('span', null, f.options[i].label))),
      err);
    read = () => (multi ? controls.filter((c) => c.checked).map((c) => c.value) : (controls.find((c) => c.checked) || {}).value);
  } else {
    const tag = f.type === 'long_text' ? 'textarea' : f.options ? 'select' : 'input';
    const input = h(tag, {
      id, name: f.name, type: tag === 'input' ? f.input || (f.type === 'number' ? 'number' : 'text') : null,
      autocomplete: f.autocomplete || (tag === 'select' ? null : 'off'), inputmode: f.inputmode,
      required: f.required, maxlength: f.max_length, min: f.min, max: f.max, rows: tag === 'textarea' ? 4 : null,
      'aria-describedby': describedBy, oninput: changed, onchange: changed,
      // Blur only adds a message: clearing one here would move the button being clicked.
      onblur: () => { const m = !empty(read()) && validate(); if (m) show(m); },
    }, f.options && [
      !f.required || !f.value ? h('option', { value: '' }, '') : null,
      f.options.map((o) => h('option', { value: o.id }, o.label)),
    ]);
    if (f.value != null) input.value = f.value;
    controls = [input];
    el = h('div', { class: 'rv-field' }, h('label', { for: id }, label), hint, input, err);
    read = () => (f.type === 'number' ? input.value : input.value.trim());
  }

  function validate() {
    const v = read();
    const t = w.t;
    if (empty(v)) return f.required ? (f.options ? t.chooseOne : t.required) : '';
    if (f.type === 'number') {
      if (controls[0].validity.badInput || !isFinite(Number(v))) return t.invalidNumber;
      if (f.min != null && Number(v) < f.min) return w.text('tooSmall', { n: number(w, f.min) });
      if (f.max != null && Number(v) > f.max) return w.text('tooLarge', { n: number(w, f.max) });
    }
    if (f.max_length && v.length > f.max_length) return w.text('tooLong', { n: f.max_length });
    if (f.input === 'email' && !rules.isEmail(v)) return t.invalidEmail;
    if (f.input === 'tel' && !rules.isPhone(v)) return t.invalidPhone;
    return '';
  }

  function show(message) {
    shown = !!message;
    err.textContent = message || '';
    err.hidden = !message;
    for (const c of controls) c.setAttribute('aria-invalid', String(!!message));
  }

  return { el, path: f.path, validate, show, focus: () => controls[0].focus() };
}

/** "Between 10,000 and 5,000,000", "At least 1": a number question's range, or null. */
function range(w, min, max) {
  if (min != null && max != null) return w.text('between', { min: number(w, min), max: number(w, max) });
  if (min != null) return w.text('atLeast', { min: number(w, min) });
  return max != null ? w.text('atMost', { max: number(w, max) }) : null;
}

/** Validate every field; show the messages and focus the first wrong one. */
export function check(w, fields) {
  let first;
  for (const f of fields) {
    const message = f.validate();
    f.show(message);
    if (message && !first) first = f;
  }
  if (first) {
    first.focus();
    w.live.textContent = w.t.fixErrors;
  }
  return !first;
}

export function form(w, fields, label, submit) {
  return h('form', {
    class: 'rv-form',
    novalidate: true,
    onsubmit: (e) => {
      e.preventDefault();
      if (!w.isBusy) submit(e.currentTarget.querySelector('[type=submit]'));
    },
  }, fields.map((f) => f.el), h('div', { class: 'rv-actions' }, h('button', { type: 'submit', class: 'rv-primary' }, label)));
}

/** Server-side messages onto the fields (SPEC 5 details); true when one matched. */
function showPending(w, fields) {
  const details = w.pending || [];
  w.pending = null;
  let first;
  for (const d of details) {
    const f = fields.find((x) => x.path === d.path);
    if (f) {
      f.show(d.message);
      first = first || f;
    }
  }
  if (first) first.focus();
}

/** Countries by ISO 3166-1 code (what the API takes), named in the widget's language. */
function countries(w) {
  let names;
  try {
    names = new Intl.DisplayNames(w.s.lang, { type: 'region', fallback: 'none' });
  } catch {
    return null;
  }
  const list = [];
  for (let a = 65; a < 91; a++) {
    for (let b = 65; b < 91; b++) {
      const id = String.fromCharCode(a, b);
      // Skip unions, pseudo-regions and old codes that now have another (DD is DE).
      if (/^(EU|EZ|UN|QO|XA|XB|ZZ)$/.test(id) || Intl.getCanonicalLocales('und-' + id)[0] !== 'und-' + id) continue;
      const label = names.of(id);
      if (label) list.push({ id, label });
    }
  }
  return list.sort((x, y) => x.label.localeCompare(y.label, w.s.lang));
}

export function address(w) {
  const s = w.s;
  if (s.choice.meetingType !== 'ON_LOCATION') return true;
  const loc = s.choice.location;
  const options = countries(w);
  // The organisation's country (where most of its offices are), else the browser's.
  let region = s.organisation && s.organisation.country;
  try {
    region ||= new Intl.Locale(s.locale).region;
  } catch {
    // a language without a region: the customer chooses
  }
  if (!loc.country && options && options.some((o) => o.id === region)) s.setLocation('country', region);
  const fields = [
    ['street', 'street', 'street-address', rules.STREET_MAX_LENGTH],
    ['postal_code', 'postalCode', 'postal-code', rules.POSTAL_CODE_MAX_LENGTH],
    ['city', 'city', 'address-level2', rules.CITY_MAX_LENGTH],
    ['country', 'country', options ? 'country' : 'country-name', options ? null : 2],
  ].map(([name, label, autocomplete, max]) => field(w, {
    name, label: w.t[label], path: '$.location.' + name, required: true, autocomplete, max_length: max,
    options: name === 'country' ? options : null, dropdown: true,
    value: loc[name], oninput: (v) => s.setLocation(name, v),
  }));
  w.render({
    title: w.t.address,
    body: form(w, fields, w.t.continue, () => {
      if (check(w, fields)) w.next();
    }),
  });
}

export function questions(w) {
  const qs = w.s.subject().questions || [];
  if (!qs.length) return true;
  const answers = w.s.choice.answers;
  const fields = qs.map((q) => field(w, {
    name: q.id,
    label: q.label,
    path: '$.answers.' + q.id,
    required: q.required,
    type: q.type,
    // A number's range is said before the customer gets it wrong.
    hint: q.type === 'number' && range(w, q.min, q.max),
    options: q.type === 'select' || q.type === 'multi_select' ? q.options || [] : null,
    min: q.min,
    max: q.max,
    max_length: q.max_length,
    value: answers[q.id],
    oninput: (v) => w.s.answer(q.id, v),
  }));
  w.render({
    title: w.t.questions,
    body: [summary(w), form(w, fields, w.t.continue, () => { if (check(w, fields)) w.next(); })],
  });
  showPending(w, fields);
}

/** A honeypot (docs/bots.md): out of sight, out of the tab order; filled, no booking. */
function trap(el) {
  el.append(h('input', { name: 'website', class: 'rv-sr', tabindex: -1, autocomplete: 'off', 'aria-hidden': 'true' }));
  return el;
}

export function customer(w) {
  const s = w.s;
  const c = s.choice.customer;
  const o = s.options;
  const inv = s.inviteCustomer;
  s.prefill(clean({
    first_name: o.customerFirstName || inv.first_name,
    last_name: o.customerLastName || inv.last_name,
    email: o.customerEmail || inv.email,
    phone: o.customerPhone || inv.phone,
    language: inv.language || s.lang,
  }));
  const phoneNeeded = s.choice.meetingType === 'PHONE';
  const spoken = s.organisation ? s.organisation.languages : LANGUAGES;
  if (!spoken.includes(c.language)) s.setCustomer('language', spoken.includes(s.lang) ? s.lang : spoken[0]);
  let names;
  try {
    names = new Intl.DisplayNames(s.lang, { type: 'language' });
  } catch {
    names = { of: (x) => x };
  }
  const spec = [
    { name: 'first_name', label: w.t.firstName, required: true, autocomplete: 'given-name', max_length: rules.NAME_MAX_LENGTH },
    { name: 'last_name', label: w.t.lastName, required: true, autocomplete: 'family-name', max_length: rules.NAME_MAX_LENGTH },
    { name: 'email', label: w.t.email, required: true, autocomplete: 'email', input: 'email', inputmode: 'email', max_length: rules.EMAIL_MAX_LENGTH },
    { name: 'phone', label: w.t.phone, required: phoneNeeded, autocomplete: 'tel', input: 'tel', inputmode: 'tel', max_length: rules.PHONE_MAX_LENGTH, hint: phoneNeeded && w.t.phoneHint },
    // The languages the organisation can answer in (its texts' languages).
    { name: 'language', label: w.t.language, required: true, dropdown: true, options: spoken.map((l) => ({ id: l, label: names.of(l) })) },
  ];
  const fields = spec.map((f) => field(w, {
    ...f, path: '$.customer.' + f.name, value: c[f.name], oninput: (v) => s.setCustomer(f.name, v),
  }));
  const until = s.choice.expires && new Date(s.choice.expires);
  w.render({
    title: w.t.customer,
    body: [
      summary(w),
      until > new Date() && h('p', { class: 'rv-muted rv-held' }, w.text('held', { time: fmt(w, { timeStyle: 'short', timeZone: s.tz }).format(until) })),
      trap(form(w, fields, w.t.book, (button) => { if (check(w, fields)) book(w, fields, button); })),
    ],
  });
  showPending(w, fields);
}

async function book(w, fields, button) {
  const s = w.s;
  const c = s.choice;
  const answers = {};
  for (const q of s.subject().questions || []) {
    const v = c.answers[q.id];
    if (!empty(v)) answers[q.id] = q.type === 'number' ? Number(v) : v;
  }
  const body = clean({
    ...s.query(),
    start: c.start,
    duration: c.duration,
    hold: c.hold,
    customer: clean({ ...c.customer, timezone: s.tz }),
    location: c.meetingType === 'ON_LOCATION' ? c.location : null,
    answers,
    metadata: s.options.metadata,
    website: button.form.elements.website.value,
  });
  const label = button.textContent;
  button.textContent = w.t.booking;
  w.busy(true);
  let r;
  try {
    // One key per attempt, kept for a retry after a network failure, so nothing is booked twice.
    r = await w.api.post('appointments', body, { 'Idempotency-Key': s.attemptKey() });
  } catch (e) {
    w.busy(false);
    button.textContent = label;
    if (e.status && e.status < 500) s.endAttempt();
    return bookingFailed(w, e, fields);
  }
  s.book(r); // the hold is the appointment's now: never to be released
  w.busy(false);
  w.history = [];
  w.emit('appointment-created', { appointment: r.appointment });
  w.next();
}

function bookingFailed(w, e, fields) {
  if (e.code === 'APPOINTMENT_NO_AVAILABILITY' || e.code === 'HOLD_EXPIRED' || e.status === 409) {
    w.s.dropTimetable();
    w.notice = [e.code === 'HOLD_EXPIRED' ? 'expired' : 'taken', 'warn'];
    return w.back('timetable');
  }
  if (e.code === 'ORIGIN_NOT_ALLOWED') return w.fail(e);
  w.emit('error', { code: e.code, message: e.message });
  if (e.code === 'VALIDATION_FAILED' && e.details.length) {
    // The earliest step that owns a wrong field, so the customer fixes it where it was asked.
    const owners = { address: '$.location.', questions: '$.answers.', customer: '$.customer.' };
    const step = w.history.find((st) => owners[st] && e.details.some((d) => String(d.path).startsWith(owners[st])));
    if (step && step !== 'customer') return w.back(step, e.details);
    if (step) {
      w.pending = e.details;
      showPending(w, fields);
      w.live.textContent = w.t.fixErrors;
      return;
    }
  }
  w.notice = [w.t[e.code] ? e.code : 'error', 'error'];
  w.redo();
}
