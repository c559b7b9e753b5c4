// The timetable: a strip of the week's days, the free times of the chosen day below it,
// and a month overview to jump, all in the customer's time zone (which they can change).
// It opens on the first day with a free time. A week without one offers the next day
// that has one; nothing within the horizon offers the other ways to meet and the other
// offices that have times. Keyboard: the days, the times and the month are one tab stop
// each (the ARIA listbox and grid patterns); arrow keys move inside them.

import { clean, firstFree, WINDOW, HORIZON } from '../api.js';
import { h, fill, icon, choices } from '../dom.js';
import { fmt, dateKey, addDays, keyDate, addressLine, zoneName, time, minutes, duration } from '../format.js';

const AT_OFFICE = ['OFFICE', 'ON_LOCATION'];
let ids = 0;

// ---- loading ---------------------------------------------------------------------------

/** Load the free times up to the date `upTo` (within the horizon), a window at a time. */
async function load(w, tt, upTo) {
  const end = upTo < tt.last ? upTo : tt.last;
  while (tt.to < end) {
    const from = addDays(tt.to, 1);
    const to = addDays(tt.to, WINDOW) < end ? addDays(tt.to, WINDOW) : end;
    const { slots = [] } = await w.api.get(tt.path, { ...tt.query, from, to, tz: tt.tz });
    for (const slot of slots) {
      const k = dateKey(new Date(slot.start), tt.tz);
      if (!tt.days.has(k)) tt.days.set(k, []);
      tt.days.get(k).push(slot);
    }
    tt.to = to;
  }
}

/** The first day after `after` with a free time, loading further as needed; null: none. */
async function nextFree(w, tt, after) {
  for (;;) {
    const found = [...tt.days.keys()].find((k) => k > after);
    if (found || tt.to >= tt.last) return found || null;
    await load(w, tt, addDays(tt.to, WINDOW));
  }
}

// ---- calendar arithmetic --------------------------------------------------------------

/** The first day of the week in the widget's locale, as Date.getUTCDay counts (0: Sunday). */
function firstWeekday(w) {
  try {
    const l = new Intl.Locale(w.s.locale);
    return (l.getWeekInfo ? l.getWeekInfo() : l.weekInfo).firstDay % 7;
  } catch {
    return 1;
  }
}

function weekOf(w, key) {
  return addDays(key, -((keyDate(key).getUTCDay() - firstWeekday(w) + 7) % 7));
}

const monthOf = (key) => key.slice(0, 8) + '01';

function addMonths(key, n) {
  const d = keyDate(monthOf(key));
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.toISOString().slice(0, 10);
}

// ---- the time zone --------------------------------------------------------------------

const zoneLists = new Map();
/** Cities that browsers still name as they were once spelled (ICU keeps the old ids). */
const RENAMED = { Calcutta: 'Kolkata', Katmandu: 'Kathmandu', Saigon: 'Ho Chi Minh', Rangoon: 'Yangon', Kiev: 'Kyiv', Faeroe: 'Faroe', Godthab: 'Nuuk', Truk: 'Chuuk', Ponape: 'Pohnpei', Enderbury: 'Kanton' };
// Accents and the typographic minus (UTC−5 in French) do not have to be typed.
const plain = (x) => x.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/\u2212/g, '-').toLowerCase();

/** Every IANA zone the browser knows, named in the widget's language:
 * "Brussels — Central European Time (GMT+1)"; made once per locale. */
function zones(w) {
  const locale = w.s.locale;
  if (!zoneLists.has(locale)) {
    let known = [];
    try {
      known = Intl.supportedValuesOf('timeZone');
    } catch {
      // an older browser: the zones named on this page only
    }
    const now = new Date();
    const part = (timeZone, timeZoneName) => {
      try {
        return new Intl.DateTimeFormat(locale, { timeZone, timeZoneName }).formatToParts(now).find((p) => p.type === 'timeZoneName').value;
      } catch {
        return '';
      }
    };
    const all = [...new Set(['UTC', w.s.tz, Intl.DateTimeFormat().resolvedOptions().timeZone, ...known])].filter(Boolean);
    zoneLists.set(locale, all.map((id) => {
      const city = id.split('/').pop().replace(/_/g, ' ');
      const label = `${RENAMED[city] || city} — ${part(id, 'longGeneric')} (${part(id, 'shortOffset')})`;
      return { id, label, words: plain(label + ' ' + id.replace(/_/g, ' ')) };
    }).sort((a, b) => a.label.localeCompare(b.label, locale)));
  }
  return zoneLists.get(locale);
}

/** The zone named on screen, and a button that opens a searchable list of every zone
 * (an ARIA combobox): type a city, a zone's name or an offset, pick with arrows and Enter. */
function zoneLine(w) {
  const s = w.s;
  const panel = h('div', { class: 'rv-zone-panel' });
  const toggle = h('button', {
    type: 'button', class: 'rv-text-button', 'aria-expanded': 'false', 'data-focus': 'zone',
    onclick: () => (panel.firstChild ? close() : open()),
  }, w.t.changeZone);
  function close(focus = true) {
    panel.replaceChildren();
    toggle.setAttribute('aria-expanded', 'false');
    if (focus) toggle.focus();
  }
  function open() {
    const id = 'rv-z' + ++ids;
    const list = zones(w);
    const here = [s.tz, Intl.DateTimeFormat().resolvedOptions().timeZone, s.organisation && s.organisation.timezone];
    const first = list.filter((z) => here.includes(z.id));
    let shown = [];
    let active = 0;
    const box = h('ul', { id: id + 'l', role: 'listbox', class: 'rv-zone-list', 'aria-label': w.t.timeZone });
    const input = h('input', {
      id, type: 'text', role: 'combobox', class: 'rv-zone-search', autocomplete: 'off', spellcheck: 'false',
      'aria-autocomplete': 'list', 'aria-expanded': 'true', 'aria-controls': id + 'l', 'aria-describedby': id + 'h',
      oninput: () => { active = 0; update(); },
      onkeydown: (e) => {
        const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: 8, PageUp: -8 };
        if (e.key in moves) active = Math.max(0, Math.min(shown.length - 1, active + moves[e.key]));
        else if (e.key === 'Enter' && shown[active]) pick(shown[active].id);
        else if (e.key === 'Escape') close();
        else return;
        e.preventDefault();
        if (e.key in moves) update();
      },
    });
    function update() {
      const words = plain(input.value).split(/\s+/).filter(Boolean);
      shown = (words.length ? list : [...first, ...list.filter((z) => !first.includes(z))])
        .filter((z) => words.every((x) => z.words.includes(x))).slice(0, 40);
      fill(box, shown.length ? shown.map((z, i) => h('li', {
        id: id + '-' + i, role: 'option', class: 'rv-zone-option', 'aria-selected': String(i === active),
        onmousedown: (e) => e.preventDefault(), // keep focus in the search field
        onclick: () => pick(z.id),
      }, z.label)) : h('li', { role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false', class: 'rv-zone-none' }, w.t.noZone));
      if (shown.length) input.setAttribute('aria-activedescendant', id + '-' + active);
      else input.removeAttribute('aria-activedescendant');
      const on = box.children[active];
      if (on && on.scrollIntoView) on.scrollIntoView({ block: 'nearest' });
    }
    function pick(zone) {
      s.setZone(zone);
      w.focusKey = 'zone';
      w.redo();
    }
    panel.replaceChildren(
      h('label', { for: id, class: 'rv-zone-label' }, w.t.timeZone),
      h('p', { id: id + 'h', class: 'rv-hint' }, w.t.zoneHint),
      input, box);
    toggle.setAttribute('aria-expanded', 'true');
    update();
    input.focus();
  }
  return h('div', { class: 'rv-zone' },
    h('p', null, w.text('timesIn', { zone: zoneName(w, s.tz) + ' — ' + s.tz.replace(/_/g, ' ') })),
    toggle, panel);
}

// ---- the timetable ----------------------------------------------------------------------

/** The shared timetable; `pick(slot)` is what choosing a time does. `path` answers the
 * free times (GET /api/v1/slots by default; a reschedule asks its appointment's own);
 * `alternatives()` offers other choices when nothing is free at all. */
export async function timetable(w, { title, path = 'slots', query, pick, alternatives }) {
  const s = w.s;
  const key = path + JSON.stringify(query) + s.tz;
  let tt = s.timetable;
  if (!tt || tt.key !== key) {
    const today = dateKey(new Date(), s.tz);
    tt = { key, path, query, tz: s.tz, today, last: addDays(today, HORIZON), to: addDays(today, -1), days: new Map(), first: null, day: null, start: null, month: null, cursor: null };
    await load(w, tt, addDays(today, 13));
    tt.first = await nextFree(w, tt, addDays(today, -1));
    if (tt.first) await show(tt.first);
    s.setTimetable(tt);
  }
  const lengths = new Set([...tt.days.values()].flat().map(minutes));
  s.setDuration(lengths.size === 1 ? [...lengths][0] : null);
  const zone = zoneLine(w);
  if (!tt.first) {
    // Nothing free within the horizon: no dead end, but what else has times.
    w.notice = w.notice || ['noSlots', 'warn'];
    return w.render({ title, body: [alternatives && (await alternatives()), zone] });
  }
  const view = h('div', { class: 'rv-week-view' });
  const dayName = (k) => fmt(w, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(keyDate(k));
  const count = (k) => (tt.days.get(k) || []).length;
  const open = (k) => k >= tt.today && k <= tt.last;
  const label = (k) => (k === tt.today ? w.t.today + ', ' : '') + w.text(count(k) ? 'dayFree' : 'dayNone', { date: dayName(k), count: count(k) });

  /** Show the week of day `k` with `k` chosen (loading that week first). */
  async function show(k) {
    tt.start = weekOf(w, k);
    await load(w, tt, addDays(tt.start, 6));
    tt.day = k;
  }

  /** Do `work` (which may load), then draw and focus `focus`; one at a time. */
  async function step(work, focus) {
    if (w.isBusy) return;
    w.busy(true);
    try {
      await work();
    } catch (e) {
      return w.fail(e);
    } finally {
      w.busy(false);
    }
    draw(focus);
  }

  /** The week `days` away from the one shown, opened on its first free day. */
  function moveWeek(days, focus) {
    return step(async () => {
      const start = addDays(tt.start, days);
      await load(w, tt, addDays(start, 6));
      const week = [...Array(7)].map((_, i) => addDays(start, i)).filter(open);
      if (week.length) await show(week.find(count) || week[0]);
    }, focus);
  }

  function moveDay(k) {
    if (open(k)) step(() => show(k), () => 'day-' + k);
  }

  function moveMonth(n, focus) {
    return step(async () => {
      tt.month = addMonths(tt.month, n);
      tt.cursor = [tt.month, tt.today].sort()[1];
      await load(w, tt, addDays(addMonths(tt.month, 1), -1));
    }, focus);
  }

  const keys = (map) => (e) => {
    const to = map[e.key];
    if (to === undefined) return;
    e.preventDefault();
    to();
  };

  function weekBar() {
    const month = tt.month;
    const months = fmt(w, { month: 'long', year: 'numeric', timeZone: 'UTC' });
    const end = addDays(tt.start, 6);
    const shown = month ? months.format(keyDate(month))
      : months.formatRange ? months.formatRange(keyDate(tt.start), keyDate(end)) : months.format(keyDate(tt.start));
    const prev = month ? month <= monthOf(tt.today) : tt.start <= tt.today;
    const next = month ? addMonths(month, 1) > tt.last : addDays(tt.start, 7) > tt.last;
    return h('div', { class: 'rv-week' },
      h('button', { type: 'button', class: 'rv-icon-button', 'aria-label': month ? w.t.prevMonth : w.t.prevWeek, 'data-focus': 'prev', disabled: prev, onclick: () => (month ? moveMonth(-1, 'prev') : moveWeek(-7, 'prev')) }, icon('prev')),
      h('button', {
        type: 'button', class: 'rv-month-button', 'aria-expanded': String(!!month), 'data-focus': 'month',
        onclick: () => (month ? (tt.month = null, draw('month')) : step(async () => {
          tt.month = monthOf(tt.day);
          tt.cursor = tt.day;
          await load(w, tt, addDays(addMonths(tt.month, 1), -1));
        }, () => 'm-' + tt.cursor)),
      }, icon('calendar'), h('span', { class: 'rv-sr' }, w.t.monthView + ': '), shown),
      h('button', { type: 'button', class: 'rv-icon-button', 'aria-label': month ? w.t.nextMonth : w.t.nextWeek, 'data-focus': 'next', disabled: next, onclick: () => (month ? moveMonth(1, 'next') : moveWeek(7, 'next')) }, icon('next')));
  }

  function dayStrip() {
    const week = [...Array(7)].map((_, i) => addDays(tt.start, i));
    const first = week.filter(open)[0];
    const last = week.filter(open).at(-1);
    return h('div', {
      class: 'rv-days', role: 'listbox', 'aria-label': w.t.days, 'aria-orientation': 'horizontal',
      onkeydown: keys({
        ArrowLeft: () => moveDay(addDays(tt.day, -1)),
        ArrowRight: () => moveDay(addDays(tt.day, 1)),
        Home: () => moveDay(first),
        End: () => moveDay(last),
        PageUp: () => moveWeek(-7, () => 'day-' + tt.day),
        PageDown: () => moveWeek(7, () => 'day-' + tt.day),
      }),
    }, week.map((k) => h('div', {
      role: 'option',
      class: 'rv-day' + (k === tt.today ? ' rv-today' : '') + (count(k) ? ' rv-free' : ''),
      tabindex: k === tt.day ? '0' : '-1',
      'aria-selected': String(k === tt.day),
      'aria-disabled': open(k) ? null : 'true',
      'aria-label': label(k),
      'data-focus': 'day-' + k,
      onclick: () => moveDay(k),
    },
    h('span', { class: 'rv-dow' }, fmt(w, { weekday: 'short', timeZone: 'UTC' }).format(keyDate(k))),
    h('span', { class: 'rv-dom' }, fmt(w, { day: 'numeric', timeZone: 'UTC' }).format(keyDate(k))),
    h('span', { class: 'rv-dot' }))));
  }

  function times() {
    const slots = tt.days.get(tt.day);
    if (!slots) {
      const weekFree = [...Array(7)].some((_, i) => count(addDays(tt.start, i)));
      const later = [...tt.days.keys()].find((k) => k > tt.day);
      return h('div', { class: 'rv-empty' },
        h('p', null, weekFree ? w.text('noSlotsDay', { date: dayName(tt.day) }) : w.t.noSlotsWeek),
        later && h('button', { type: 'button', class: 'rv-secondary', 'data-focus': 'later', onclick: () => moveDay(later) },
          w.text('nextFree', { date: dayName(later) })));
    }
    const id = 'rv-t' + ++ids;
    const mixed = new Set(slots.map(minutes)).size > 1;
    const options = () => [...view.querySelectorAll('.rv-slot')];
    const move = (by) => () => {
      const list = options();
      const i = list.indexOf(view.getRootNode().activeElement);
      const to = list[Math.max(0, Math.min(list.length - 1, by === 'first' ? 0 : by === 'last' ? list.length - 1 : i + by))];
      for (const o of list) o.tabIndex = o === to ? 0 : -1;
      to.focus();
    };
    return [
      h('h3', { class: 'rv-subtitle', id }, w.text('timesOn', { date: dayName(tt.day) })),
      h('ul', {
        class: 'rv-slots', role: 'listbox', 'aria-labelledby': id,
        onkeydown: keys({
          ArrowRight: move(1), ArrowDown: move(1), ArrowLeft: move(-1), ArrowUp: move(-1), Home: move('first'), End: move('last'),
          Enter: () => view.getRootNode().activeElement.click(),
          ' ': () => view.getRootNode().activeElement.click(),
        }),
      }, slots.map((slot, i) => h('li', {
        role: 'option', class: 'rv-slot', tabindex: i ? '-1' : '0', 'aria-selected': 'false',
        onclick: async (e) => {
          if (w.isBusy) return;
          e.currentTarget.classList.add('rv-pending');
          e.currentTarget.setAttribute('aria-selected', 'true');
          w.live.textContent = w.t.holding;
          await pick(slot);
        },
      }, time(w, slot.start, tt.tz), mixed && h('span', { class: 'rv-slot-length' }, duration(w, minutes(slot)))))),
    ];
  }

  function monthGrid() {
    const month = tt.month;
    const id = 'rv-m' + ++ids;
    const start = weekOf(w, month);
    const end = addDays(addMonths(month, 1), -1);
    const weeks = [];
    for (let k = start; k <= end; k = addDays(k, 7)) weeks.push([...Array(7)].map((_, i) => addDays(k, i)));
    const go = (k) => {
      if (!open(k)) return;
      if (monthOf(k) !== month) return moveMonth(k < month ? -1 : 1, () => 'm-' + (tt.cursor = k));
      tt.cursor = k;
      draw('m-' + k);
    };
    const choose = (k) => {
      if (!open(k)) return;
      tt.month = null;
      moveDay(k);
    };
    return h('table', {
      class: 'rv-month', role: 'grid', 'aria-labelledby': id,
      onkeydown: keys({
        ArrowLeft: () => go(addDays(tt.cursor, -1)),
        ArrowRight: () => go(addDays(tt.cursor, 1)),
        ArrowUp: () => go(addDays(tt.cursor, -7)),
        ArrowDown: () => go(addDays(tt.cursor, 7)),
        Home: () => go(weekOf(w, tt.cursor)),
        End: () => go(addDays(weekOf(w, tt.cursor), 6)),
        PageUp: () => month > monthOf(tt.today) && moveMonth(-1, () => 'm-' + tt.cursor),
        PageDown: () => addMonths(month, 1) <= tt.last && moveMonth(1, () => 'm-' + tt.cursor),
        Enter: () => choose(tt.cursor),
        ' ': () => choose(tt.cursor),
        Escape: () => { tt.month = null; draw('month'); },
      }),
    },
    h('caption', { id, class: 'rv-sr' }, fmt(w, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(keyDate(month))),
    h('thead', null, h('tr', null, weeks[0].map((k) => h('th', { scope: 'col', abbr: fmt(w, { weekday: 'long', timeZone: 'UTC' }).format(keyDate(k)) },
      fmt(w, { weekday: 'narrow', timeZone: 'UTC' }).format(keyDate(k)))))),
    h('tbody', null, weeks.map((week) => h('tr', null, week.map((k) => (monthOf(k) !== month ? h('td', { class: 'rv-out' })
      : h('td', {
        role: 'gridcell',
        class: 'rv-mday' + (k === tt.today ? ' rv-today' : '') + (count(k) ? ' rv-free' : ''),
        tabindex: k === tt.cursor ? '0' : '-1',
        'aria-selected': String(k === tt.day),
        'aria-disabled': open(k) ? null : 'true',
        'aria-label': label(k),
        'data-focus': 'm-' + k,
        onclick: () => choose(k),
      }, fmt(w, { day: 'numeric', timeZone: 'UTC' }).format(keyDate(k)))))))));
  }

  function draw(focus) {
    const late = tt.first > addDays(tt.today, 6) && tt.start === weekOf(w, tt.first);
    fill(view, [
      weekBar(),
      tt.month ? monthGrid() : [
        late && h('p', { class: 'rv-muted rv-first' }, w.text('firstFreeOn', { date: dayName(tt.first) })),
        dayStrip(),
        times(),
      ],
    ]);
    // Keep keyboard focus where it was; Previous turns disabled on the first week.
    if (typeof focus === 'function') focus = focus();
    const target = focus && (view.querySelector(`[data-focus="${focus}"]:not([disabled])`) || view.querySelector('[data-focus="next"]:not([disabled])') || view.querySelector('[data-focus="month"]'));
    if (target) target.focus();
  }

  draw();
  w.render({ title, body: [view, zone] });
}

/** Nothing free for the chosen way to meet: the other offices and the other ways to meet
 * that have free times, each with its first free day. */
async function alternatives(w) {
  const s = w.s;
  const c = s.choice;
  const today = dateKey(new Date(), s.tz);
  const base = { subject: c.subject, agent: c.agent, invite: s.invite };
  const offices = (mt) => w.api.get('offices', { subject: c.subject, meeting_type: mt, lang: s.lang, agent: c.agent, invite: s.invite }, true).then((r) => r.offices || []);
  const tries = [];
  if (AT_OFFICE.includes(c.meetingType)) {
    for (const o of await offices(c.meetingType)) {
      if (o.id !== c.office) tries.push({ name: o.name, desc: addressLine(o.address), icon: 'pin', places: [o.id], pick: () => { s.choose('office', o.id, o); w.redo(); } });
    }
  }
  // Every way to meet for the subject, at any office (the subject step may have listed it
  // for one way or office only). Taking one leaves the office to choose again.
  const { meeting_types: types = [] } = await w.api.get('meeting-types', { subject: c.subject, lang: s.lang, agent: c.agent, invite: s.invite }, true);
  for (const { id: mt, name } of types) {
    if (mt === c.meetingType) continue;
    const places = AT_OFFICE.includes(mt) ? (await offices(mt)).map((o) => o.id) : [null];
    tries.push({
      name, desc: w.t[mt], icon: mt, places, mt,
      pick: () => {
        s.learnMeetingTypes(types);
        s.fix('office', null);
        s.choose('meetingType', mt);
        w.go('address');
      },
    });
  }
  const found = await Promise.all(tries.map(async (t) => {
    const slots = await Promise.all(t.places.map((office) => firstFree(w.api, s.firstFree, { ...base, meeting_type: t.mt || c.meetingType, office }, today, s.tz)));
    const starts = slots.filter(Boolean).map((slot) => dateKey(new Date(slot.start), s.tz)).sort();
    return starts[0] && { ...t, meta: w.text('firstFree', { date: fmt(w, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(keyDate(starts[0])) }) };
  }));
  const open = found.filter(Boolean);
  return open.length ? h('div', { class: 'rv-alternatives' }, h('h3', { class: 'rv-subtitle' }, w.t.tryInstead), choices(open))
    // Nothing else for this subject either: another subject, from the start.
    : h('button', { type: 'button', class: 'rv-secondary rv-alternatives', onclick: () => w.restart() }, w.t.otherSubject);
}

/** The booking flow's timetable: choosing a time takes a hold on it. */
export function bookingTimetable(w) {
  const query = w.s.query();
  return timetable(w, {
    title: w.t.timetable,
    query,
    alternatives: () => alternatives(w),
    async pick(slot) {
      let hold;
      w.busy(true);
      try {
        await w.release(); // the time held before, if any: freed before this one is asked for
        hold = await w.api.post('holds', clean({ ...query, start: slot.start, duration: slot.duration }));
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
      w.s.hold(slot, minutes(slot), hold);
      w.next();
    },
  });
}
