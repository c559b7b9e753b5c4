// The choice steps: subject, meeting type, office, agent (the address for ON_LOCATION is
// a form: steps/forms.js).
// A step returns true when it is skipped: one choice, or preselected.

import { h, icon, safeUrl } from '../dom.js';

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

/** An id, or `ext:` + an external id (as a host page knows it). */
function find(list, wanted) {
  const ext = String(wanted).startsWith('ext:') && String(wanted).slice(4);
  return list.find((x) => (ext ? x.external_id === ext : x.id === wanted));
}

export function addressLine(a) {
  return a ? [a.street, [a.postal_code, a.city].filter(Boolean).join(' ')].filter(Boolean).join(', ') : '';
}

/**
 * A catalog answer, kept for the widget's life, narrowed to what the known agent
 * (preselected, from an invite, or chosen in an earlier step) can serve, so an invite
 * never leads to an office where that agent does not work. With an invite the API
 * answers what the invite allows, including a subject hidden from customers that only
 * an invite can book. A preselected id the API does not know is a misconfiguration,
 * not a failure.
 */
async function catalog(w, path, params) {
  try {
    return await w.api.get(path, { ...params, agent: w.sel.agent, invite: w.invite }, true);
  } catch (e) {
    const wrong = e.code === 'NOT_FOUND' ? e.details.map((d) => d.path) : [];
    if (wrong.includes('$.query.agent')) w.misconfigured('UNKNOWN_AGENT');
    if (wrong.includes('$.query.office')) w.misconfigured('UNKNOWN_OFFICE');
    throw e;
  }
}

async function fixedOffice(w) {
  const o = w.fixed.office;
  if (!o || !String(o).startsWith('ext:')) return o;
  const { offices = [] } = await w.api.get('offices', { lang: w.lang }, true);
  const found = find(offices, o);
  if (!found) w.misconfigured('UNKNOWN_OFFICE');
  return (w.fixed.office = w.sel.office = found.id);
}

export async function subject(w) {
  const office = await fixedOffice(w);
  const { categories = [], reason } = await catalog(w, 'subjects', { lang: w.lang, office, meeting_type: w.fixed.meetingType });
  // With an agent named, nothing to book means that agent cannot be booked online.
  const none = w.sel.agent ? 'UNKNOWN_AGENT' : 'NO_SUBJECTS';
  let cats = categories.filter((c) => c.subjects && c.subjects.length).sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  if (w.o.category) {
    cats = cats.filter((c) => c.id === w.o.category);
    if (!cats.length) w.misconfigured(categories.length ? 'UNKNOWN_CATEGORY' : none);
  }
  const all = cats.flatMap((c) => c.subjects);
  w.subjects = new Map(all.map((s) => [s.id, s]));
  // The API names why nothing is left when it knows (CALENDAR_UNAVAILABLE: SPEC 12).
  if (!all.length) w.misconfigured(reason || none);
  if (w.sel.subject) {
    const s = find(all, w.sel.subject);
    if (!s) w.misconfigured('UNKNOWN_SUBJECT');
    w.fixed.subject = w.sel.subject = s.id;
    return true;
  }
  if (all.length === 1) {
    w.sel.subject = all[0].id;
    return true;
  }
  w.render({
    title: w.t.subject,
    body: cats.map((c) => {
      const img = safeUrl(c.image);
      return h('div', { class: 'rv-group' },
        cats.length > 1 && h('h3', { class: 'rv-group-title' }, img && h('img', { src: img, alt: '', class: 'rv-group-img', onerror: (e) => e.target.remove() }), c.name),
        choices(c.subjects.map((s) => ({
          name: s.name,
          desc: s.description,
          pick: () => { w.sel.subject = s.id; w.next(); },
        }))));
    }),
  });
}

export async function meetingType(w) {
  const s = w.subject();
  const { meeting_types = [] } = await catalog(w, 'meeting-types', { subject: s.id, office: w.fixed.office, lang: w.lang });
  const types = meeting_types.filter((m) => !s.meeting_types || s.meeting_types.includes(m.id));
  w.meetingTypes = new Map(types.map((m) => [m.id, m.name]));
  if (w.sel.meetingType) {
    if (!w.meetingTypes.has(w.sel.meetingType)) w.misconfigured('UNKNOWN_MEETING_TYPE');
    return true;
  }
  if (types.length <= 1) {
    if (!types.length) w.misconfigured('NO_MEETING_TYPES');
    w.sel.meetingType = types[0].id;
    return true;
  }
  w.render({
    title: w.t['meeting-type'],
    body: choices(types.map((m) => ({
      name: m.name,
      desc: w.t[m.id],
      icon: m.id,
      pick: () => { w.sel.meetingType = m.id; w.next(); },
    }))),
  });
}

export async function office(w) {
  const mt = w.sel.meetingType;
  w.officeInfo = null;
  // For VIDEO and PHONE every office counts (SPEC 4), unless the page named one.
  if (!w.sel.office && mt !== 'OFFICE' && mt !== 'ON_LOCATION') return true;
  const { offices = [] } = await catalog(w, 'offices', { subject: w.sel.subject, meeting_type: mt, lang: w.lang, near: w.near });
  const list = w.near ? [...offices].sort((a, b) => (a.distance_km ?? 1e9) - (b.distance_km ?? 1e9)) : offices;
  if (w.sel.office) {
    const o = find(list, w.sel.office);
    if (!o) w.misconfigured('UNKNOWN_OFFICE');
    w.fixed.office = w.sel.office = o.id;
    w.officeInfo = o;
    return true;
  }
  if (list.length <= 1) {
    if (!list.length && mt === 'OFFICE') w.misconfigured('NO_OFFICES');
    w.officeInfo = list[0];
    w.sel.office = list[0] && list[0].id;
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
          w.near = p.coords.latitude.toFixed(4) + ',' + p.coords.longitude.toFixed(4);
          w.redo();
        }, () => { status.textContent = w.t.locationFailed; }, { timeout: 15000, maximumAge: 600000 });
      },
    }, icon('locate'), w.t.useLocation),
    status);
  const km = new Intl.NumberFormat(w.lang, { maximumFractionDigits: 1 });
  w.render({
    title: w.t.office,
    body: [locate, choices(list.map((o) => ({
      name: o.name,
      desc: addressLine(o.address),
      meta: o.distance_km != null ? w.text('distance', { km: km.format(o.distance_km) }) : o.description,
      icon: 'pin',
      pick: () => { w.sel.office = o.id; w.officeInfo = o; w.next(); },
    })))],
  });
}

export async function agent(w) {
  const wanted = w.sel.agent;
  w.agentInfo = null;
  if (w.inviteAgent && wanted === w.inviteAgent.id) {
    w.agentInfo = w.inviteAgent;
    return true;
  }
  if (!wanted && !w.o.showAgents) return true;
  const { agents = [] } = await w.api.get('agents', { subject: w.sel.subject, meeting_type: w.sel.meetingType, office: w.sel.office, invite: w.invite }, true);
  if (wanted) {
    const a = find(agents, wanted);
    if (!a) w.misconfigured('UNKNOWN_AGENT');
    w.fixed.agent = w.sel.agent = a.id;
    w.agentInfo = a;
    return true;
  }
  if (agents.length <= 1) return true;
  let names;
  try {
    names = new Intl.DisplayNames(w.lang, { type: 'language' });
  } catch {
    names = { of: (x) => x };
  }
  const list = Intl.ListFormat ? new Intl.ListFormat(w.lang) : { format: (x) => x.join(', ') };
  w.render({
    title: w.t.agent,
    body: choices([
      { name: w.t.anyAgent, desc: w.t.anyAgentNote, icon: 'person', pick: () => { w.sel.agent = null; w.next(); } },
      ...agents.map((a) => ({
        name: a.name,
        desc: a.function,
        meta: a.languages && a.languages.length ? w.text('speaks', { languages: list.format(a.languages.map((l) => names.of(l))) }) : null,
        icon: 'person',
        pick: () => { w.sel.agent = a.id; w.agentInfo = a; w.next(); },
      })),
    ]),
  });
}

/** What has been chosen so far, or what was booked. */
export function summary(w, a) {
  const s = w.sel;
  // ON_LOCATION meets at the customer's address, not at the office the agent comes from;
  // VIDEO and PHONE have no place.
  const place = a ? (a.meeting_type === 'ON_LOCATION' ? [addressLine(a.location)]
    : a.office && a.meeting_type === 'OFFICE' ? [a.office.name, addressLine(a.office.address)] : [])
    : s.meetingType === 'ON_LOCATION' ? [addressLine(s.location)]
      : w.officeInfo ? [w.officeInfo.name, addressLine(w.officeInfo.address)] : [];
  const who = a ? a.agent : w.agentInfo;
  const start = a ? a.start : s.start;
  const end = a ? a.end : s.end;
  const mt = a ? a.meeting_type : s.meetingType;
  const rows = [
    ['what', a ? a.subject && a.subject.name : w.subject() && w.subject().name],
    ['how', (w.meetingTypes && w.meetingTypes.get(mt)) || w.t[mt]],
    ['where', place.filter(Boolean).join(', ')],
    ['with', who && [who.name, who.function].filter(Boolean).join(', ')],
    ['when', start && when(w, start, end)],
    // What was booked says for whom, so a mistyped email shows before the customer leaves.
    ['customer', a && a.customer && [[a.customer.first_name, a.customer.last_name].filter(Boolean).join(' '), a.customer.email].filter(Boolean).join(', ')],
  ];
  return h('dl', { class: 'rv-summary' }, rows.filter((r) => r[1]).map(([k, v]) => h('div', null, h('dt', null, w.t[k]), h('dd', null, v))));
}

/** "Tuesday 25 November 2025, 10:00 – 11:00 (Central European Standard Time)". */
export function when(w, start, end, tz = w.tz) {
  const f = w.fmt({ dateStyle: 'full', timeStyle: 'short', timeZone: tz });
  const a = new Date(start);
  const text = end && f.formatRange ? f.formatRange(a, new Date(end)) : f.format(a);
  return text + ' (' + zoneName(w, tz, a) + ')';
}

export function zoneName(w, tz, date = new Date()) {
  const part = w.fmt({ timeZone: tz, timeZoneName: 'long' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part ? part.value : tz;
}
