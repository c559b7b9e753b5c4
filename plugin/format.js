// How the widget writes dates, times, zones and addresses, and the summary of what was
// chosen: one module that every step imports (steps never import each other).
// Calendar dates travel as 'YYYY-MM-DD' keys; instants as the API's ISO strings.

import { h } from './dom.js';

/** The languages the widget has words for (plugin/i18n/*.js). */
export const LANGUAGES = ['en', 'nl', 'fr', 'de'];

const formats = new Map();

/** An Intl.DateTimeFormat in the widget's locale, made once per set of options. */
export function fmt(w, options) {
  const key = w.s.locale + JSON.stringify(options);
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(w.s.locale, options));
  return formats.get(key);
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function dateKey(date, tz) {
  const p = {};
  const parts = new Intl.DateTimeFormat('en', {
    timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit',
  }).formatToParts(date);
  for (const { type, value } of parts) p[type] = value;
  return `${p.year}-${p.month}-${p.day}`;
}

export function addDays(key, n) {
  const d = new Date(key + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Noon UTC of a calendar date: format it with timeZone UTC to name that date anywhere. */
export function keyDate(key) {
  return new Date(key + 'T12:00:00Z');
}

export function validZone(tz) {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return !!tz;
  } catch {
    return false;
  }
}

export function addressLine(a) {
  return a ? [a.street, [a.postal_code, a.city].filter(Boolean).join(' ')].filter(Boolean).join(', ') : '';
}

/** "Tuesday 25 November 2025, 10:00 – 11:00 (Central European Standard Time)". */
export function when(w, start, end, tz = w.s.tz) {
  const f = fmt(w, { dateStyle: 'full', timeStyle: 'short', timeZone: tz });
  const a = new Date(start);
  const text = end && f.formatRange ? f.formatRange(a, new Date(end)) : f.format(a);
  return text + ' (' + zoneName(w, tz, a) + ')';
}

/** A time of day as the locale writes it: "9:00 AM" in en-US, "09:00" in en-GB and nl. */
export function time(w, date, tz = w.s.tz) {
  return fmt(w, { timeStyle: 'short', timeZone: tz }).format(new Date(date));
}

/** A slot's length in minutes: its `duration` when the server gives one, else end - start. */
export function minutes(slot) {
  return slot.duration ?? Math.round((new Date(slot.end) - new Date(slot.start)) / 60000);
}

/** "60 min", "60 Min.": a length in the widget's language. */
export function duration(w, n) {
  try {
    return new Intl.NumberFormat(w.s.locale, { style: 'unit', unit: 'minute', unitDisplay: 'short' }).format(n);
  } catch {
    return n + ' min';
  }
}

export function number(w, n) {
  return new Intl.NumberFormat(w.s.locale).format(n);
}

export function zoneName(w, tz, date = new Date()) {
  const part = fmt(w, { timeZone: tz, timeZoneName: 'long' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part ? part.value : tz;
}

/** What has been chosen so far, or (with `a`) what was booked. */
export function summary(w, a) {
  const s = w.s;
  const c = s.choice;
  // ON_LOCATION meets at the customer's address, not at the office the agent comes from;
  // VIDEO and PHONE have no place.
  const place = a ? (a.meeting_type === 'ON_LOCATION' ? [addressLine(a.location)]
    : a.office && a.meeting_type === 'OFFICE' ? [a.office.name, addressLine(a.office.address)] : [])
    : c.meetingType === 'ON_LOCATION' ? [addressLine(c.location)]
      : s.office ? [s.office.name, addressLine(s.office.address)] : [];
  const who = a ? a.agent : s.agent;
  const start = a ? a.start : c.start;
  const end = a ? a.end : c.end;
  const mt = a ? a.meeting_type : c.meetingType;
  const listed = s.subject();
  const subject = a ? a.subject : listed;
  const person = a ? a.customer : c.customer;
  const rows = [
    [w.t.what, subject && subject.name],
    [w.t.how, (s.meetingTypes && s.meetingTypes.get(mt)) || w.t[mt]],
    [w.t.where, place.filter(Boolean).join(', ')],
    [w.t.with, who && [who.name, who.function].filter(Boolean).join(', ')],
    [w.t.when, start && when(w, start, end)],
    // What was booked says for whom, so a mistyped email shows before the customer leaves.
    [w.t.customer, a && person && [[person.first_name, person.last_name].filter(Boolean).join(' '), person.email].filter(Boolean).join(', ')],
    // A phone appointment repeats the number that will be called.
    [w.t.callOn, mt === 'PHONE' && person && person.phone],
    // The answers to the subject's questions (when its questions are known here).
    ...((listed && (!a || (a.subject && a.subject.id === listed.id)) && listed.questions) || [])
      .map((q) => [q.label, answerText(w, q, (a ? a.answers || {} : c.answers)[q.id])]),
  ];
  return h('dl', { class: 'rv-summary' }, rows.filter((r) => r[1]).map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v))));
}

/** An answer as the customer chose it: option labels, a number in the locale's digits. */
function answerText(w, q, v) {
  if (v == null || v === '' || (Array.isArray(v) && !v.length)) return null;
  if (q.options && q.options.length) {
    const label = (id) => (q.options.find((o) => o.id === id) || { label: id }).label;
    return [].concat(v).map(label).join(', ');
  }
  return q.type === 'number' && isFinite(Number(v)) ? number(w, Number(v)) : String(v);
}
