// After booking: the confirmation; and the manage mode behind a manage link
// (the hosted /book?manage=TOKEN page): show, cancel, reschedule.

import { clean } from '../api.js';
import { h, icon, safeUrl } from '../dom.js';
import { summary } from '../format.js';
import { timetable } from './timetable.js';

function calendarLinks(w, links, manage) {
  const items = [['ics', links.ics], ['google', links.google], ['outlook', links.outlook], manage && ['manageLink', links.manage]];
  return h('ul', { class: 'rv-links', role: 'list' }, items.filter((x) => x && safeUrl(x[1])).map(([k, url]) => h('li', null,
    h('a', {
      href: safeUrl(url),
      class: 'rv-link',
      // The calendar file downloads; the web calendars open beside the host page.
      target: k === 'ics' ? null : '_blank',
      rel: 'noopener',
    }, icon(k === 'manageLink' ? 'next' : 'calendar'), w.t[k]))));
}

/** The video call's link, once the appointment is confirmed (a request may be declined). */
function videoLink(w, a) {
  const url = a.status === 'confirmed' && safeUrl(a.video_url);
  return url && h('p', null, h('a', { href: url, class: 'rv-link', target: '_blank', rel: 'noopener' }, icon('VIDEO'), w.t.video));
}

export function confirmation(w) {
  const { appointment: a, links = {} } = w.s.booked;
  // A request waits for the agent: its own mark, colour and words, and an e-mail to come.
  const requested = a.status === 'requested';
  w.render({
    title: requested ? w.t.requested : w.t.confirmed,
    back: false,
    body: [
      h('div', { class: 'rv-done rv-done-' + a.status }, icon(requested ? 'clock' : 'check'), h('p', null, requested ? w.t.requestedNote : w.t.confirmedNote)),
      summary(w, a),
      videoLink(w, a),
      calendarLinks(w, links, true),
    ],
  });
}

export async function manage(w) {
  const s = w.s;
  const token = s.options.manage;
  if (!s.appointment) {
    try {
      const r = await w.api.get(w.api.token('appointments', token));
      s.manage(r.appointment || r, r.links || {});
    } catch (e) {
      if (!(e.status >= 400 && e.status < 500) || e.code === 'RATE_LIMITED' || e.code === 'ORIGIN_NOT_ALLOWED') throw e;
      w.emit('error', { code: e.code, message: e.message });
      return w.render({ title: w.t.manage, back: false, body: h('p', { class: 'rv-notice rv-warn' }, w.t.linkInvalid) });
    }
  }
  const a = s.appointment;
  if (!s.meetingTypes && a.subject) {
    try {
      const { meeting_types = [] } = await w.api.get('meeting-types', { subject: a.subject.id, lang: s.lang }, true);
      s.learnMeetingTypes(meeting_types);
    } catch {
      // the summary falls back to its own words for the meeting type
    }
  }
  const links = { ics: new URL(w.api.token('appointments', token, 'calendar.ics'), w.api.base).href, ...s.links };
  const active = (a.status === 'confirmed' || a.status === 'requested') && new Date(a.start) > new Date();
  const actions = h('div', { class: 'rv-actions' });
  const buttons = () => actions.replaceChildren(
    h('button', { type: 'button', class: 'rv-primary', onclick: () => w.next() }, w.t.reschedule),
    h('button', { type: 'button', class: 'rv-secondary', onclick: ask }, w.t.cancel),
  );
  function ask() {
    const yes = h('button', { type: 'button', class: 'rv-danger', onclick: cancel }, w.t.cancelYes);
    actions.replaceChildren(
      h('p', { class: 'rv-ask', role: 'alert' }, w.t.cancelAsk),
      yes,
      h('button', { type: 'button', class: 'rv-secondary', onclick: () => { buttons(); actions.firstChild.focus(); } }, w.t.cancelNo),
    );
    yes.focus();
  }
  async function cancel() {
    if (w.isBusy) return;
    w.busy(true);
    let r;
    try {
      r = await w.api.post(w.api.token('appointments', token, 'cancel'));
    } catch (e) {
      w.busy(false);
      w.emit('error', { code: e.code, message: e.message });
      return w.redo([w.t[e.code] ? e.code : 'error', 'error']);
    }
    w.busy(false);
    s.manage((r && (r.appointment || (r.id && r))) || { ...a, status: 'cancelled' });
    w.emit('appointment-cancelled', { appointment: s.appointment });
    w.redo('cancelled');
  }
  if (active) buttons();
  w.render({
    title: w.t.manage,
    back: false,
    body: [
      h('p', { class: 'rv-status rv-status-' + a.status }, w.t['status_' + a.status] || a.status),
      active && a.status === 'requested' && h('p', { class: 'rv-muted' }, w.t.requestedManage),
      summary(w, a),
      active && [videoLink(w, a), calendarLinks(w, links, false), actions],
      // A cancelled (or declined) appointment is no dead end: book a new one here.
      !active && h('div', { class: 'rv-actions' }, h('button', { type: 'button', class: 'rv-primary', onclick: () => w.restart() }, w.t.bookAgain)),
    ],
  });
}

export function reschedule(w) {
  const s = w.s;
  const token = s.options.manage;
  return timetable(w, {
    title: w.t.rescheduleTitle,
    // The appointment's own free times: the server applies the reschedule's rules (its
    // office, an invite's agent and hidden subject) and does not count it as busy, so
    // times overlapping it are offered. /slots with the agent pinned would hide them.
    path: w.api.token('appointments', token, 'slots'),
    query: {},
    async pick(slot) {
      w.busy(true);
      let r;
      try {
        r = await w.api.post(w.api.token('appointments', token, 'reschedule'), clean({ start: slot.start, duration: slot.duration }));
      } catch (e) {
        w.busy(false);
        s.dropTimetable();
        if (e.status === 409) return w.redo(['taken', 'warn']);
        w.emit('error', { code: e.code, message: e.message });
        return w.redo([w.t[e.code] ? e.code : 'error', 'error']);
      }
      w.busy(false);
      s.manage(r.appointment || r, r.links);
      w.emit('appointment-rescheduled', { appointment: s.appointment });
      w.notice = 'rescheduled';
      w.back('manage');
    },
  });
}
