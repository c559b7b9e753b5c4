// The booking widget: mount/unmount on a host element, options, and the walk through
// the steps (SPEC 7). Each step lives in steps/ and either renders or says "skip".

import { client, ApiError, clean } from './api.js';
import { h, icon } from './dom.js';
import { LANGUAGES, validZone, addressLine, duration } from './format.js';
import { State } from './state.js';
import { subject, meetingType, office, agent } from './steps/choose.js';

// The later steps' code is not needed for the first step: it is imported when a step
// first needs it, and fetched in the background once the first step is on screen
// (`prefetch`), so it is there by the time the customer gets to it. Relative paths, so
// the files come from this same /plugin/{version}/.
const MODULES = {
  timetable: () => import('./steps/timetable.js'),
  forms: () => import('./steps/forms.js'),
  done: () => import('./steps/done.js'),
};

/** A step whose code lives in a module loaded on first use (with the later steps' styles). */
function later(module, name) {
  return async (w) => {
    let m;
    try {
      [m] = await Promise.all([MODULES[module](), w.styles()]);
    } catch (e) {
      console.warn('Rendezvous: could not load a step', e);
      throw new ApiError(0, null); // NETWORK: the customer can retry
    }
    return m[name](w);
  };
}

const STEPS = {
  subject, 'meeting-type': meetingType, address: later('forms', 'address'), office, agent,
  timetable: later('timetable', 'bookingTimetable'), questions: later('forms', 'questions'),
  customer: later('forms', 'customer'), confirmation: later('done', 'confirmation'),
  manage: later('done', 'manage'), reschedule: later('done', 'reschedule'),
};

let prefetched = false;

/** Run `work` once the browser is idle (after the first step is painted). */
function idle(work) {
  if (window.requestIdleCallback) requestIdleCallback(work, { timeout: 2000 });
  else setTimeout(work, 200);
}

/** Fetch every later step's code in idle time after the first step, once per page. */
function prefetch() {
  if (prefetched) return;
  prefetched = true;
  idle(() => {
    for (const load of Object.values(MODULES)) load().catch(() => {}); // a step retries when needed
  });
}

const BOOKING = ['subject', 'meeting-type', 'address', 'office', 'agent', 'timetable', 'questions', 'customer', 'confirmation'];
const MANAGING = ['manage', 'reschedule'];

const KEYS = [
  'subject', 'category', 'meetingType', 'office', 'agent', 'invite', 'language', 'timezone',
  'customerFirstName', 'customerLastName', 'customerEmail', 'customerPhone', 'metadata',
  'showAgents', 'apiBase', 'manage',
];
const HASH = '#rendezvous:';

/** attributes < URL hash < JavaScript options. */
export function readOptions(el, js) {
  const o = {};
  for (const k of KEYS) if (el.dataset[k]) o[k] = el.dataset[k];
  if (location.hash.startsWith(HASH)) {
    for (const [k, v] of new URLSearchParams(location.hash.slice(HASH.length))) {
      const key = k.replace(/[-_](\w)/g, (_, c) => c.toUpperCase());
      // A link must not be able to send a customer's details elsewhere, nor tag them.
      if (KEYS.includes(key) && key !== 'apiBase' && key !== 'metadata' && v) o[key] = v;
    }
  }
  Object.assign(o, js);
  o.showAgents = o.showAgents === true || (typeof o.showAgents === 'string' && o.showAgents !== 'false');
  if (typeof o.metadata === 'string') {
    try {
      o.metadata = JSON.parse(o.metadata);
    } catch {
      console.warn('Rendezvous: data-metadata is not JSON; ignored');
      delete o.metadata;
    }
  }
  return o;
}

/** The page's language, else the browser's, among `allowed`; else the first allowed. */
export function pickLanguage(wanted, allowed = LANGUAGES) {
  for (const l of [wanted, ...(navigator.languages || [])]) {
    const short = String(l || '').slice(0, 2).toLowerCase();
    if (allowed.includes(short)) return short;
  }
  return allowed[0] || 'en';
}

/** Dates follow the visitor's regional variant of the language (en-GB: a 24-hour clock). */
function localeFor(lang, wanted) {
  return [wanted, ...(navigator.languages || [])].find((l) => l && String(l).slice(0, 2).toLowerCase() === lang && /^[a-z]{2}(-[A-Za-z0-9]{2,8})*$/i.test(l)) || lang;
}

/** Steps that show the context header: what has been chosen, in one line that stays. */
const CONTEXT = ['subject', 'meeting-type', 'address', 'office', 'agent', 'timetable', 'reschedule'];

class Misconfigured extends Error {
  // `code`: the server's own reason for an empty catalog (SPEC 4's code, such as
  // AGENT_NOT_ONLINE), for the operator; `reason` picks the words the customer reads.
  constructor(reason, code) {
    super(reason);
    this.reason = reason;
    this.code = code;
  }
}

class Widget {
  constructor(host, options) {
    const lang = pickLanguage(options.language);
    const locale = localeFor(lang, options.language);
    const tz = validZone(options.timezone) ? options.timezone : Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    /** The booking: what was preselected, chosen and answered (state.js). */
    this.s = new State(options, lang, locale, tz);
    /** The host element, and what was inside it before (put back on unmount). */
    this.host = host;
    this.fallback = [];
    this.api = client(options.apiBase || new URL('../../', import.meta.url).href);
    /** The words of the widget's language (i18n/*.js). */
    this.t = null;
    /** In the shadow root: the widget's root, its step area and a polite live region. */
    this.root = null;
    this.main = null;
    this.live = null;
    /** The steps of this mode (BOOKING or MANAGING), the current one, and the rendered
     * ones in order (what Back goes back through). */
    this.mode = options.manage ? MANAGING : BOOKING;
    this.step = null;
    this.history = [];
    /** A notice for the next render: a key of the words, or [key, 'info' | 'warn' | 'error']. */
    this.notice = null;
    /** The server's VALIDATION_FAILED details for the next form step to show on its fields. */
    this.pending = null;
    /** The data-focus key of the control to focus after the next render. */
    this.focusKey = null;
    /** The customer has seen a step: from now on a new step takes focus. */
    this.touched = false;
    this.isBusy = false;
    this.dead = false;
    /** The last hold release under way: a new hold waits for it. */
    this.released = null;
    /** The later steps' stylesheet (steps.css) in the shadow root, once loaded. */
    this.sheet = null;
    Object.seal(this);
  }

  async start() {
    const host = this.host;
    this.fallback = [...host.childNodes];
    const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
    const css = h('link', { rel: 'stylesheet', href: new URL('widget.css', import.meta.url).href });
    this.live = h('div', { class: 'rv-sr', 'aria-live': 'polite' });
    this.main = h('div', { class: 'rv-main' });
    this.root = h('div', { class: 'rv', lang: this.s.lang }, this.live, this.main);
    this.root.style.visibility = 'hidden'; // until the stylesheet is in: no flash of raw markup
    root.replaceChildren(css, this.root);
    host.replaceChildren();
    const styled = new Promise((done) => { css.onload = css.onerror = done; });
    const manage = this.s.options.manage;
    // Without a subject list to show first, the first step shown is likely a later one:
    // fetch its code beside the rest (the other steps' code follows in idle time).
    if (manage) MODULES.done().catch(() => {});
    else if (this.s.fixed.subject || this.s.invite) MODULES.timetable().catch(() => {});
    if (manage || this.s.fixed.subject || this.s.invite) this.styles();
    const words = (lang) => import(`./i18n/${lang}.js`).then((m) => m.default);
    try {
      let organisation;
      [this.t, organisation] = await Promise.all([
        words(this.s.lang),
        // Unknown (an older server, a failure the first step will meet again): every language.
        this.api.get('organisation', {}, true).catch(() => null),
        manage ? null : this.loadInvite(),
        styled,
      ]);
      // Only the languages the organisation has text in; else its first (docs/embedding.md).
      const spoken = organisation ? organisation.languages.filter((l) => LANGUAGES.includes(l)) : LANGUAGES;
      const lang = pickLanguage(this.s.options.language, spoken);
      this.s.learnOrganisation(organisation, lang, localeFor(lang, this.s.options.language));
      if (lang !== this.root.lang) {
        this.root.lang = lang;
        this.t = await words(lang);
      }
    } catch (e) {
      this.destroy(); // the fallback link is better than nothing
      throw e;
    }
    if (this.dead) return;
    this.root.style.visibility = '';
    await this.go(this.mode[0]);
    this.emit('ready', { language: this.s.lang });
    prefetch();
    idle(() => this.dead || this.styles());
  }

  /** The later steps' stylesheet, put in once: resolves when it has loaded (or failed). */
  styles() {
    if (!this.sheet) {
      const css = h('link', { rel: 'stylesheet', href: new URL('steps.css', import.meta.url).href });
      this.sheet = new Promise((done) => { css.onload = css.onerror = done; });
      this.host.shadowRoot.insertBefore(css, this.root);
    }
    return this.sheet;
  }

  destroy() {
    this.dead = true;
    this.release();
    // Show the original fallback content again.
    this.host.shadowRoot.replaceChildren(h('slot'));
    this.host.replaceChildren(...this.fallback);
  }

  async loadInvite() {
    const s = this.s;
    if (!s.invite) return;
    try {
      s.acceptInvite(await this.api.get(this.api.token('invites', s.invite), { lang: s.lang }));
    } catch (e) {
      // Unreachable or broken: keep the invite, the next calls will tell.
      if (!(e.status >= 400 && e.status < 500)) return;
      s.dropInvite();
      const why = { INVITE_USED: 'inviteUsed', TOKEN_EXPIRED: 'inviteExpired' };
      this.notice = [why[e.code] || 'inviteInvalid', 'warn'];
      this.emit('error', { code: e.code, message: e.message });
    }
  }

  /** A new booking from the first step, with nothing preselected (after a cancellation,
   * or when nothing can be booked for the subject the page chose). */
  restart() {
    const s = this.s;
    const fresh = new State({ ...s.options, manage: null, subject: null, category: null, meetingType: null, office: null, agent: null, invite: null }, s.lang, s.locale, s.tz);
    fresh.learnOrganisation(s.organisation, s.lang, s.locale);
    this.s = fresh;
    this.mode = BOOKING;
    this.history = [];
    return this.go(BOOKING[0]);
  }

  // ---- text and events ---------------------------------------------------------------

  text(key, vars) {
    return String(this.t[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => vars[k]);
  }

  emit(name, detail) {
    if (!this.dead) this.host.dispatchEvent(new CustomEvent('rendezvous:' + name, { bubbles: true, composed: true, detail }));
  }

  // ---- navigation --------------------------------------------------------------

  /** Run steps from `name` on until one renders. */
  async go(name, pending) {
    this.busy(true);
    this.pending = pending || null;
    let i = this.mode.indexOf(name);
    try {
      for (; i < this.mode.length; i++) {
        this.step = this.mode[i];
        if (!(await STEPS[this.step](this))) break;
      }
      if (this.history.at(-1) !== this.step) this.history.push(this.step);
    } catch (e) {
      this.fail(e);
    } finally {
      this.busy(false);
    }
  }

  next() {
    if (!this.isBusy) return this.go(this.mode[this.mode.indexOf(this.step) + 1]);
  }

  /** Back to an earlier rendered step (the previous one by default), choosing again from there. */
  back(target, pending) {
    if (this.isBusy) return;
    const i = target ? this.history.lastIndexOf(target) : this.history.length - 2;
    if (i < 0) return;
    target = this.history[i];
    this.history.length = i;
    const again = this.mode.slice(this.mode.indexOf(target));
    if (again.includes('timetable')) this.release();
    this.s.forget(again);
    return this.go(target, pending);
  }

  /** Give the held time back at once, so that others may take it (a booking used it: kept).
   * Fire-and-forget; the promise (of this or an earlier release) lets a new hold wait for it. */
  release() {
    const t = this.s.takeHold();
    if (t) this.released = this.api.drop(this.api.token('holds', t));
    return this.released;
  }

  /** Render the current step again (after a new zone, a location, a 409). */
  redo(notice) {
    if (notice) this.notice = notice;
    return this.go(this.step);
  }

  busy(on) {
    this.isBusy = on;
    this.root.classList.toggle('rv-busy', on);
    this.main.setAttribute('aria-busy', on);
  }

  /** Put a step on screen: Back, heading, an optional notice, content. */
  render({ title, body, back }) {
    if (this.dead) return;
    // A Back button when some earlier step was shown (the current one may be on top already).
    back ??= this.history.length - (this.history.at(-1) === this.step ? 1 : 0) > 0;
    const heading = h('h2', { class: 'rv-title', tabindex: '-1' }, title);
    const [key, kind = 'info'] = [].concat(this.notice || []);
    const notice = key && h('p', { class: 'rv-notice rv-' + kind, role: kind === 'error' ? 'alert' : null }, this.text(key, {}));
    this.notice = null;
    this.main.replaceChildren(h('section', { class: 'rv-step', 'data-step': this.step },
      CONTEXT.includes(this.step) && this.context(),
      back && h('button', { type: 'button', class: 'rv-back', onclick: () => this.back() }, icon('back'), this.t.back),
      heading, notice, body));
    // Move focus only once the customer is using the widget, never on page load.
    const keep = this.focusKey && this.main.querySelector(`[data-focus="${this.focusKey}"]`);
    this.focusKey = null;
    if (keep) keep.focus();
    else if (this.touched) {
      heading.focus({ preventScroll: true });
      if (heading.getBoundingClientRect().top < 0) heading.scrollIntoView({ block: 'start', behavior: 'smooth' });
      this.live.textContent = title + (notice ? '. ' + notice.textContent : '');
    }
    this.touched = true;
    this.emit('step', { step: this.step });
  }

  /** What has been chosen, in one compact line above the step: subject, meeting type,
   * place, length and (with an invite, or once chosen) the agent. */
  context() {
    const s = this.s;
    const c = s.choice;
    const a = s.appointment; // manage mode: the appointment being moved
    const subject = a ? a.subject : s.subject();
    const mt = a ? a.meeting_type : c.meetingType;
    const who = a ? null : s.agent || s.inviteAgent;
    const minutes = a ? Math.round((new Date(a.end) - new Date(a.start)) / 60000) : c.duration;
    const rows = [
      ['what', subject && subject.name],
      ['how', mt && ((s.meetingTypes && s.meetingTypes.get(mt)) || this.t[mt])],
      ['where', !a && (mt === 'ON_LOCATION' ? addressLine(c.location) : s.office && s.office.name)],
      ['length', minutes && duration(this, minutes)],
      ['with', who && [who.name, who.function].filter(Boolean).join(', ')],
    ].filter((r) => r[1]);
    return rows.length > 0 && h('dl', { class: 'rv-context' }, rows.map(([k, v]) => h('div', { class: 'rv-context-' + k },
      h('dt', { class: 'rv-sr' }, this.t[k]), h('dd', null, v))));
  }

  misconfigured(reason, code) {
    throw new Misconfigured(reason, code);
  }

  fail(e) {
    if (e instanceof Misconfigured || e.code === 'ORIGIN_NOT_ALLOWED') {
      const reason = e.reason || e.code;
      const message = this.t[reason] || this.t.UNKNOWN;
      this.history = [];
      this.render({ title: this.t.unavailable, body: h('p', { class: 'rv-muted' }, message) });
      this.emit('misconfigured', clean({ reason, code: e instanceof Misconfigured ? e.code : null, message }));
      return;
    }
    if (!(e instanceof ApiError)) console.error(e);
    this.emit('error', { code: e.code || 'SCRIPT', message: e.message });
    const step = this.step;
    if (this.history.at(-1) !== step) this.history.push(step);
    // A network failure or a server error: worth another try, from the same step.
    this.notice = [this.t[e.code] ? e.code : 'error', 'error'];
    this.render({
      title: this.t.failed,
      body: h('button', { type: 'button', class: 'rv-primary', onclick: () => this.go(step) }, this.t.retry),
    });
  }
}

const mounted = new WeakMap();

/** Mount the widget on `el`. Mounting a mounted element again with options remounts it. */
export function mount(el, options) {
  if (mounted.has(el)) {
    if (!options) return;
    unmount(el);
  }
  let w;
  try {
    w = new Widget(el, readOptions(el, options || {}));
  } catch (e) {
    return console.warn('Rendezvous: cannot mount here', e);
  }
  mounted.set(el, w);
  w.start().catch((e) => console.warn('Rendezvous:', e));
}

export function unmount(el) {
  const w = mounted.get(el);
  if (w) {
    mounted.delete(el);
    w.destroy();
  }
}

