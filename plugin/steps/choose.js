// The choice steps: subject, meeting type, office, agent (the address for ON_LOCATION is
// a form: steps/forms.js).
// A step returns true when it is skipped: one choice, or preselected. A preselection
// that cannot be booked is no dead end: the full list, with a short notice.

import { firstFree } from '../api.js';
import { h, icon, safeUrl, choices } from '../dom.js';
import { addressLine, dateKey } from '../format.js';

/** Meeting types whose times need an office (for ON_LOCATION: where the agent comes from). */
const AT_OFFICE = ['OFFICE', 'ON_LOCATION'];
/** Why a preselection was dropped, as `rendezvous:error` names it. */
const REASONS = { subject: 'UNKNOWN_SUBJECT', meetingType: 'UNKNOWN_MEETING_TYPE', office: 'UNKNOWN_OFFICE', agent: 'UNKNOWN_AGENT', category: 'UNKNOWN_CATEGORY' };

/** An id, or `ext:` + an external id (as a host page knows it). */
function find(list, wanted) {
  const ext = String(wanted).startsWith('ext:') && String(wanted).slice(4);
  return list.find((x) => (ext ? x.external_id === ext : x.id === wanted));
}

/** A preselection (of the page, the URL hash or an invite) that cannot be booked now:
 * forget it, say so above the list, and tell the page (the operator can fix the link). */
function unbookable(w, key) {
  const s = w.s;
  if (key === 'invite') s.dropInvite();
  else if (key !== 'category') s.fix(key, null);
  w.notice = ['notBookable', 'warn'];
  w.emit('error', { code: REASONS[key] || 'UNKNOWN_AGENT', message: w.t.notBookable });
}

/** Query parameters a preselection travels in, and the state's name for it. */
const PARAMS = { agent: 'agent', office: 'office', meeting_type: 'meetingType', invite: 'invite' };

/**
 * A catalog answer, kept for the widget's life, narrowed to what the known agent
 * (preselected, from an invite, or chosen in an earlier step) can serve, so an invite
 * never leads to an office where that agent does not work. With an invite the API
 * answers what the invite allows, including a subject hidden from customers that only
 * an invite can book. A preselected id the API does not know (404) or a value it does
 * not take (422) is dropped, and the list asked again without it.
 */
async function catalog(w, path, params) {
  for (;;) {
    const s = w.s;
    try {
      return await w.api.get(path, { ...params, agent: s.choice.agent, invite: s.invite }, true);
    } catch (e) {
      const wrong = e.status === 404 || e.status === 422 ? e.details.map((d) => String(d.path).replace('$.query.', '')) : [];
      const name = Object.keys(PARAMS).find((k) => wrong.includes(k) && (k === 'invite' ? s.invite : s.fixed[PARAMS[k]]));
      if (!name) throw e;
      unbookable(w, PARAMS[name]);
      params = { ...params, [name]: null };
    }
  }
}

async function fixedOffice(w) {
  const o = w.s.fixed.office;
  if (!o || !String(o).startsWith('ext:')) return o;
  const { offices = [] } = await w.api.get('offices', { lang: w.s.lang }, true);
  const found = find(offices, o);
  if (!found) return unbookable(w, 'office');
  w.s.fix('office', found.id);
  return found.id;
}

export async function subject(w) {
  const s = w.s;
  let cats;
  for (;;) {
    const office = await fixedOffice(w);
    const { categories = [], reason } = await catalog(w, 'subjects', { lang: s.lang, office, meeting_type: s.fixed.meetingType });
    cats = categories.filter((c) => c.subjects && c.subjects.length).sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
    const wanted = s.choice.subject;
    if (cats.length && (!wanted || find(cats.flatMap((c) => c.subjects), wanted))) break;
    // Nothing (or not the preselected subject) for the preselected agent, office or way
    // to meet: without them, maybe. With nothing preselected, nothing can be booked here;
    // the server's reason is the event's code, and when no agent's own calendar can be
    // read (SPEC 12: CALENDAR_UNAVAILABLE) the customer is told times cannot be offered.
    const key = s.invite ? 'invite' : ['agent', 'office', 'meetingType'].find((k) => s.fixed[k]);
    if (key) unbookable(w, key);
    else if (!cats.length) w.misconfigured(reason === 'CALENDAR_UNAVAILABLE' ? reason : 'NO_SUBJECTS', reason);
    else break;
  }
  const category = s.options.category;
  if (category && cats.some((c) => c.id === category)) cats = cats.filter((c) => c.id === category);
  else if (category) unbookable(w, 'category');
  const all = cats.flatMap((c) => c.subjects);
  s.learnSubjects(all);
  if (s.choice.subject) {
    const found = find(all, s.choice.subject);
    if (found) {
      s.fix('subject', found.id);
      return true;
    }
    unbookable(w, 'subject');
  }
  if (all.length === 1) {
    s.choose('subject', all[0].id);
    return true;
  }
  w.render({
    title: w.t.subject,
    body: cats.map((c) => {
      const img = safeUrl(c.image);
      return h('div', { class: 'rv-group' },
        cats.length > 1 && h('h3', { class: 'rv-group-title' }, img && h('img', { src: img, alt: '', class: 'rv-group-img', onerror: (e) => e.target.remove() }), c.name),
        choices(c.subjects.map((it) => ({
          name: it.name,
          desc: it.description,
          pick: () => { s.choose('subject', it.id); w.next(); },
        }))));
    }),
  });
}

/** Whether `mt` has a free time for the chosen subject within the widget's horizon: at
 * the preselected office, else at any office that offers it. */
async function hasTimes(w, mt) {
  const s = w.s;
  const c = s.choice;
  let offices = [c.office];
  if (!c.office && AT_OFFICE.includes(mt)) {
    const { offices: list = [] } = await catalog(w, 'offices', { subject: c.subject, meeting_type: mt, lang: s.lang });
    offices = list.map((o) => o.id);
  }
  const today = dateKey(new Date(), s.tz);
  const found = await Promise.all(offices.map((office) => firstFree(w.api, s.firstFree,
    { subject: c.subject, meeting_type: mt, office, agent: c.agent, invite: s.invite }, today, s.tz)));
  return found.some(Boolean);
}

export async function meetingType(w) {
  const s = w.s;
  const subject = s.subject();
  const { meeting_types = [] } = await catalog(w, 'meeting-types', { subject: subject.id, office: s.fixed.office, lang: s.lang });
  let types = meeting_types.filter((m) => !subject.meeting_types || subject.meeting_types.includes(m.id));
  s.learnMeetingTypes(types);
  if (s.choice.meetingType) {
    if (s.meetingTypes.has(s.choice.meetingType)) return true;
    unbookable(w, 'meetingType');
  }
  if (!types.length) w.misconfigured('NO_MEETING_TYPES');
  // Never offer a way to meet that has no free time (the timetable would be a dead end).
  if (types.length > 1) {
    const open = await Promise.all(types.map((m) => hasTimes(w, m.id)));
    types = types.filter((_, i) => open[i]);
  }
  if (types.length === 1) {
    s.choose('meetingType', types[0].id);
    return true;
  }
  w.render({
    title: w.t['meeting-type'],
    body: types.length ? choices(types.map((m) => ({
      name: m.name,
      desc: w.t[m.id],
      icon: m.id,
      pick: () => { s.choose('meetingType', m.id); w.next(); },
    }))) : [
      h('p', { class: 'rv-notice rv-warn' }, w.t.noSlotsSubject),
      h('button', { type: 'button', class: 'rv-secondary', onclick: () => w.restart() }, w.t.otherSubject),
    ],
  });
}

export async function office(w) {
  const s = w.s;
  const c = s.choice;
  const mt = c.meetingType;
  s.choose('office', c.office, null);
  // For VIDEO and PHONE every office counts (SPEC 4), unless the page named one.
  if (!c.office && !AT_OFFICE.includes(mt)) return true;
  const { offices = [] } = await catalog(w, 'offices', { subject: c.subject, meeting_type: mt, lang: s.lang, near: s.near });
  const list = s.near ? [...offices].sort((a, b) => (a.distance_km ?? 1e9) - (b.distance_km ?? 1e9)) : offices;
  if (c.office) {
    const o = find(list, c.office);
    if (o) {
      s.fix('office', o.id);
      s.choose('office', o.id, o);
      return true;
    }
    unbookable(w, 'office');
    if (!AT_OFFICE.includes(mt)) return true;
  }
  if (list.length <= 1) {
    if (!list.length && mt === 'OFFICE') w.misconfigured('NO_OFFICES');
    s.choose('office', list[0] ? list[0].id : null, list[0]);
    return true;
  }
  const status = h('p', { class: 'rv-muted', role: 'status' });
  const locate = navigator.geolocation && list.some((o) => o.geo) && h('div', { class: 'rv-locate' },
    h('button', {
      type: 'button',
      class: 'rv-secondary',
      onclick: () => {
        status.textContent = w.t.locating;
        navigator.geolocation.getCurrentPosition((p) => {
          s.setNear(p.coords.latitude.toFixed(4) + ',' + p.coords.longitude.toFixed(4));
          w.redo();
        }, () => { status.textContent = w.t.locationFailed; }, { timeout: 15000, maximumAge: 600000 });
      },
    }, icon('locate'), w.t.useLocation),
    status);
  const km = new Intl.NumberFormat(s.lang, { maximumFractionDigits: 1 });
  w.render({
    title: w.t.office,
    body: [
      // At the customer's address, the office is where the advisor comes from.
      mt === 'ON_LOCATION' && h('p', { class: 'rv-muted rv-intro' }, w.t.officeVisitNote),
      locate,
      choices(list.map((o) => ({
        name: o.name,
        desc: addressLine(o.address),
        meta: o.distance_km != null ? w.text('distance', { km: km.format(o.distance_km) }) : o.description,
        icon: 'pin',
        pick: () => { s.choose('office', o.id, o); w.next(); },
      }))),
    ],
  });
}

export async function agent(w) {
  const s = w.s;
  const c = s.choice;
  const wanted = c.agent;
  s.choose('agent', wanted, null);
  if (s.inviteAgent && wanted === s.inviteAgent.id) {
    s.choose('agent', wanted, s.inviteAgent);
    return true;
  }
  if (!wanted && !s.options.showAgents) return true;
  const { agents = [] } = await w.api.get('agents', { subject: c.subject, meeting_type: c.meetingType, office: c.office, invite: s.invite }, true);
  if (wanted) {
    const a = find(agents, wanted);
    if (a) {
      s.fix('agent', a.id);
      s.choose('agent', a.id, a);
      return true;
    }
    unbookable(w, 'agent');
    if (!s.options.showAgents) return true;
  }
  if (agents.length <= 1) return true;
  let names;
  try {
    names = new Intl.DisplayNames(s.lang, { type: 'language' });
  } catch {
    names = { of: (x) => x };
  }
  const list = Intl.ListFormat ? new Intl.ListFormat(s.lang) : { format: (x) => x.join(', ') };
  w.render({
    title: w.t.agent,
    body: choices([
      { name: w.t.anyAgent, desc: w.t.anyAgentNote, icon: 'person', pick: () => { s.choose('agent', null); w.next(); } },
      ...agents.map((a) => ({
        name: a.name,
        desc: a.function,
        meta: a.languages && a.languages.length ? w.text('speaks', { languages: list.format(a.languages.map((l) => names.of(l))) }) : null,
        icon: 'person',
        pick: () => { s.choose('agent', a.id, a); w.next(); },
      })),
    ]),
  });
}
