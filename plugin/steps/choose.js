// The choice steps: subject, meeting type, office, agent (the address for ON_LOCATION is
// a form: steps/forms.js).
// A step returns true when it is skipped: one choice, or preselected.

import { h, icon, safeUrl } from '../dom.js';
import { addressLine } from '../format.js';

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
    return await w.api.get(path, { ...params, agent: w.s.choice.agent, invite: w.s.invite }, true);
  } catch (e) {
    const wrong = e.code === 'NOT_FOUND' ? e.details.map((d) => d.path) : [];
    if (wrong.includes('$.query.agent')) w.misconfigured('UNKNOWN_AGENT');
    if (wrong.includes('$.query.office')) w.misconfigured('UNKNOWN_OFFICE');
    throw e;
  }
}

async function fixedOffice(w) {
  const o = w.s.fixed.office;
  if (!o || !String(o).startsWith('ext:')) return o;
  const { offices = [] } = await w.api.get('offices', { lang: w.s.lang }, true);
  const found = find(offices, o);
  if (!found) w.misconfigured('UNKNOWN_OFFICE');
  w.s.fix('office', found.id);
  return found.id;
}

export async function subject(w) {
  const s = w.s;
  const office = await fixedOffice(w);
  const { categories = [] } = await catalog(w, 'subjects', { lang: s.lang, office, meeting_type: s.fixed.meetingType });
  // With an agent named, nothing to book means that agent cannot be booked online.
  const none = s.choice.agent ? 'UNKNOWN_AGENT' : 'NO_SUBJECTS';
  let cats = categories.filter((c) => c.subjects && c.subjects.length).sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  if (s.options.category) {
    cats = cats.filter((c) => c.id === s.options.category);
    if (!cats.length) w.misconfigured(categories.length ? 'UNKNOWN_CATEGORY' : none);
  }
  const all = cats.flatMap((c) => c.subjects);
  s.learnSubjects(all);
  if (!all.length) w.misconfigured(none);
  if (s.choice.subject) {
    const found = find(all, s.choice.subject);
    if (!found) w.misconfigured('UNKNOWN_SUBJECT');
    s.fix('subject', found.id);
    return true;
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

export async function meetingType(w) {
  const s = w.s;
  const subject = s.subject();
  const { meeting_types = [] } = await catalog(w, 'meeting-types', { subject: subject.id, office: s.fixed.office, lang: s.lang });
  const types = meeting_types.filter((m) => !subject.meeting_types || subject.meeting_types.includes(m.id));
  s.learnMeetingTypes(types);
  if (s.choice.meetingType) {
    if (!s.meetingTypes.has(s.choice.meetingType)) w.misconfigured('UNKNOWN_MEETING_TYPE');
    return true;
  }
  if (types.length <= 1) {
    if (!types.length) w.misconfigured('NO_MEETING_TYPES');
    s.choose('meetingType', types[0].id);
    return true;
  }
  w.render({
    title: w.t['meeting-type'],
    body: choices(types.map((m) => ({
      name: m.name,
      desc: w.t[m.id],
      icon: m.id,
      pick: () => { s.choose('meetingType', m.id); w.next(); },
    }))),
  });
}

export async function office(w) {
  const s = w.s;
  const c = s.choice;
  const mt = c.meetingType;
  s.choose('office', c.office, null);
  // For VIDEO and PHONE every office counts (SPEC 4), unless the page named one.
  if (!c.office && mt !== 'OFFICE' && mt !== 'ON_LOCATION') return true;
  const { offices = [] } = await catalog(w, 'offices', { subject: c.subject, meeting_type: mt, lang: s.lang, near: s.near });
  const list = s.near ? [...offices].sort((a, b) => (a.distance_km ?? 1e9) - (b.distance_km ?? 1e9)) : offices;
  if (c.office) {
    const o = find(list, c.office);
    if (!o) w.misconfigured('UNKNOWN_OFFICE');
    s.fix('office', o.id);
    s.choose('office', o.id, o);
    return true;
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
    body: [locate, choices(list.map((o) => ({
      name: o.name,
      desc: addressLine(o.address),
      meta: o.distance_km != null ? w.text('distance', { km: km.format(o.distance_km) }) : o.description,
      icon: 'pin',
      pick: () => { s.choose('office', o.id, o); w.next(); },
    })))],
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
    if (!a) w.misconfigured('UNKNOWN_AGENT');
    s.fix('agent', a.id);
    s.choose('agent', a.id, a);
    return true;
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
