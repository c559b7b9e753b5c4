// The timetable: a week of days, the free times of the chosen day, in the customer's
// time zone. It opens on the first day with a free slot: 14 days are asked for, then
// the next 62 (the API's limit per call) if those were all full.

import { clean } from '../api.js';
import { h, fill, icon } from '../dom.js';
import { fmt, dateKey, addDays, keyDate, summary, zoneName } from '../format.js';

const ZONES = [
  'UTC', 'Europe/London', 'Europe/Lisbon', 'Europe/Brussels', 'Europe/Amsterdam', 'Europe/Paris',
  'Europe/Berlin', 'Europe/Luxembourg', 'Europe/Madrid', 'Europe/Rome', 'Europe/Warsaw',
  'Europe/Helsinki', 'Europe/Istanbul', 'America/New_York', 'America/Chicago', 'America/Denver',
  'America/Los_Angeles', 'America/Sao_Paulo', 'Africa/Casablanca', 'Asia/Dubai', 'Asia/Kolkata',
  'Asia/Singapore', 'Asia/Tokyo', 'Australia/Sydney',
];
const HORIZON = 366; // days ahead the week navigation may go

async function load(w, tt, path, query, days) {
  const from = addDays(tt.to, 1);
  const to = addDays(tt.to, days);
  const { slots = [] } = await w.api.get(path, { ...query, from, to, tz: tt.tz });
  for (const s of slots) {
    const k = dateKey(new Date(s.start), tt.tz);
    if (!tt.days.has(k)) tt.days.set(k, []);
    tt.days.get(k).push(s);
  }
  tt.to = to;
}

function zoneSelect(w) {
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zones = [...new Set([w.s.tz, here, ...ZONES])].filter(Boolean);
  const offset = (z) => {
    try {
      return fmt(w, { timeZone: z, timeZoneName: 'shortOffset' }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName').value;
    } catch {
      return '';
    }
  };
  return h('label', { class: 'rv-zone-pick' }, w.t.timeZone,
    h('select', {
      'data-focus': 'zone',
      onchange: (e) => {
        w.s.setZone(e.target.value);
        w.focusKey = 'zone';
        w.redo();
      },
    }, zones.map((z) => h('option', { value: z, selected: z === w.s.tz }, z.replace(/_/g, ' ') + (offset(z) ? ` (${offset(z)})` : '')))));
}

/** The shared timetable; `pick(slot)` is what choosing a time does. `path` answers the
 * free times (GET /api/v1/slots by default; a reschedule asks its appointment's own). */
export async function timetable(w, { title, path = 'slots', query, pick }) {
  const key = path + JSON.stringify(query) + w.s.tz;
  let tt = w.s.timetable;
  if (!tt || tt.key !== key) {
    const today = dateKey(new Date(), w.s.tz);
    tt = { key, tz: w.s.tz, today, to: addDays(today, -1), days: new Map(), day: null, start: null };
    w.s.setTimetable(tt);
    await load(w, tt, path, query, 14);
    if (!tt.days.size) await load(w, tt, path, query, 62);
    tt.day = [...tt.days.keys()].sort()[0];
    tt.start = tt.day || today;
  }
  const zone = h('div', { class: 'rv-zone' },
    h('p', null, w.text('timesIn', { zone: zoneName(w, tt.tz) + ' — ' + tt.tz.replace(/_/g, ' ') })),
    zoneSelect(w));
  if (!tt.day && !tt.days.size) {
    w.notice = w.notice || 'noSlots';
    return w.render({ title, body: [summary(w), zone] });
  }
  const view = h('div', { class: 'rv-week-view' });
  const dayName = (k) => fmt(w, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(keyDate(k));

  async function move(days, focus) {
    if (w.isBusy) return;
    let start = addDays(tt.start, days);
    if (start < tt.today) start = tt.today;
    if (addDays(start, 6) > tt.to) {
      w.busy(true);
      try {
        await load(w, tt, path, query, 28);
      } catch (e) {
        return w.fail(e);
      } finally {
        w.busy(false);
      }
    }
    tt.start = start;
    tt.day = [...Array(7)].map((_, i) => addDays(start, i)).find((k) => tt.days.has(k));
    draw(focus);
  }

  function draw(focus) {
    const end = addDays(tt.start, 6);
    const range = fmt(w, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
    const week = [...Array(7)].map((_, i) => addDays(tt.start, i));
    const later = [...tt.days.keys()].sort().find((k) => k > end);
    const slots = tt.day && tt.days.get(tt.day);
    const time = fmt(w, { hour: '2-digit', minute: '2-digit', timeZone: tt.tz });
    fill(view, [
      h('div', { class: 'rv-week' },
        h('button', { type: 'button', class: 'rv-icon-button', 'aria-label': w.t.prevWeek, 'data-focus': 'prev', disabled: tt.start <= tt.today, onclick: () => move(-7, 'prev') }, icon('prev')),
        h('p', { class: 'rv-range' }, range.formatRange ? range.formatRange(keyDate(tt.start), keyDate(end)) : range.format(keyDate(tt.start))),
        h('button', { type: 'button', class: 'rv-icon-button', 'aria-label': w.t.nextWeek, 'data-focus': 'next', disabled: tt.start >= addDays(tt.today, HORIZON), onclick: () => move(7, 'next') }, icon('next'))),
      h('div', { class: 'rv-days', role: 'group', 'aria-label': w.t.days }, week.map((k) => {
        const n = (tt.days.get(k) || []).length;
        return h('button', {
          type: 'button',
          class: 'rv-day',
          'data-focus': k,
          disabled: !n,
          'aria-pressed': String(k === tt.day),
          'aria-label': w.text(n ? 'dayFree' : 'dayNone', { date: dayName(k), count: n }),
          onclick: () => { tt.day = k; draw(k); },
        },
        h('span', { class: 'rv-dow' }, fmt(w, { weekday: 'short', timeZone: 'UTC' }).format(keyDate(k))),
        h('span', { class: 'rv-dom' }, fmt(w, { day: 'numeric', timeZone: 'UTC' }).format(keyDate(k))),
        h('span', { class: 'rv-dot' }));
      })),
      slots ? [
        h('h3', { class: 'rv-subtitle' }, w.text('timesOn', { date: dayName(tt.day) })),
        h('ul', { class: 'rv-slots', role: 'list' }, slots.map((s) => h('li', null, h('button', {
          type: 'button',
          class: 'rv-slot',
          onclick: async (e) => {
            if (w.isBusy) return;
            e.currentTarget.classList.add('rv-pending');
            w.live.textContent = w.t.holding;
            await pick(s);
          },
        }, time.format(new Date(s.start)))))),
      ] : h('div', { class: 'rv-empty' },
        h('p', null, w.t.noSlotsWeek),
        later && h('button', {
          type: 'button',
          class: 'rv-secondary',
          onclick: () => {
            tt.start = later;
            tt.day = later;
            draw(later);
          },
        }, w.text('nextFree', { date: dayName(later) }))),
    ]);
    // Keep keyboard focus where it was; Previous turns disabled on the first week.
    const target = focus && (view.querySelector(`[data-focus="${focus}"]:not([disabled])`) || view.querySelector('[data-focus="next"]'));
    if (target) target.focus();
  }

  draw();
  w.render({ title, body: [summary(w), zone, view] });
}

/** The booking flow's timetable: choosing a time takes a hold on it. */
export function bookingTimetable(w) {
  const query = w.s.query();
  return timetable(w, {
    title: w.t.timetable,
    query,
    async pick(slot) {
      let hold;
      w.busy(true);
      try {
        await w.release(); // the time held before, if any: freed before this one is asked for
        hold = await w.api.post('holds', clean({ ...query, start: slot.start }));
      } catch (e) {
        w.busy(false);
        if (e.status === 409) {
          w.s.dropTimetable(); // fresh times
          return w.redo(['taken', 'warn']);
        }
        if (e.code === 'ORIGIN_NOT_ALLOWED') return w.fail(e);
        w.emit('error', { code: e.code, message: e.message });
        w.notice = [w.t[e.code] ? e.code : 'error', 'error'];
        return w.redo();
      }
      w.busy(false);
      w.s.hold(slot, hold);
      w.next();
    },
  });
}
