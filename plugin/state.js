// What one widget knows about its booking while it runs. Every field is declared here
// with what it means, and the object is sealed: a field that is not declared here
// cannot be written. Steps read the fields and change them through the methods below.

/** What each step chooses: going back to a step forgets its choice and every later one. */
const CHOICES = {
  subject: ['subject', 'duration'],
  'meeting-type': ['meetingType', 'duration'],
  office: ['office', 'duration'],
  agent: ['agent', 'duration'],
  timetable: ['start', 'end', 'hold', 'expires'],
};
const PRESELECTABLE = ['subject', 'meetingType', 'office', 'agent'];

export class State {
  constructor(options, lang, locale, tz) {
    /** The page's options (attributes < URL hash < JavaScript), as read at mount. */
    this.options = options;
    /** The widget's language (a key of LANGUAGES) and the locale its dates follow (en-GB). */
    this.lang = lang;
    this.locale = locale;
    /** The customer's time zone (IANA): every time is shown in it. */
    this.tz = tz;
    /** GET /api/v1/organisation: {name, languages, timezone, country}; null if unknown. */
    this.organisation = null;
    /** What the page or an invite preselected: those steps are skipped. Ids, or `ext:` ids
     * until a step resolves them. */
    this.fixed = Object.seal({ subject: options.subject, meetingType: options.meetingType, office: options.office, agent: options.agent });
    /** The invite token while it is valid; its agent ({id, name, function}) and customer prefill. */
    this.invite = options.invite || null;
    this.inviteAgent = null;
    this.inviteCustomer = {};
    /** The customer's choices, as the hold and the booking send them. */
    this.choice = Object.seal({
      subject: null, meetingType: null, office: null, agent: null, // ids
      start: null, end: null, // ISO instants of the chosen time
      duration: null, // minutes of what is offered (all free times alike) or chosen
      hold: null, expires: null, // the hold token on that time, and when it lapses
      location: {}, // ON_LOCATION: {street, postal_code, city, country}
      answers: {}, // question id -> value as typed or chosen
      customer: {}, // {first_name, last_name, email, phone, language}
    });
    /** From the catalog: the listed subjects by id (with their questions), meeting type
     * names by id, and the chosen office's and agent's details. */
    this.subjects = null;
    this.meetingTypes = null;
    this.office = null;
    this.agent = null;
    /** "LAT,LON" of the customer once they asked to sort offices by distance. */
    this.near = null;
    /** The timetable's free times, loaded for one query and zone (steps/timetable.js);
     * null: ask the server again. */
    this.timetable = null;
    /** The first free slot of a query (JSON of it) -> a promise of the slot or null: what
     * the meeting-type step and a timetable without times already asked. */
    this.firstFree = new Map();
    /** The customer's details have been prefilled (page options, invite) once. */
    this.prefilled = false;
    /** The Idempotency-Key of the booking under way, kept for a retry after a network failure. */
    this.attempt = null;
    /** The booking's answer: {appointment, links}. */
    this.booked = null;
    /** Manage mode: the appointment behind the manage token, and its links. */
    this.appointment = null;
    this.links = {};
    Object.assign(this.choice, this.fixed);
    Object.seal(this);
  }

  // ---- reading -----------------------------------------------------------------------

  /** The chosen subject as the catalog listed it ({id, name, questions, ...}). */
  subject() {
    return this.subjects && this.subjects.get(this.choice.subject);
  }

  /** The choice as the API's query parameters. */
  query() {
    const c = this.choice;
    return { subject: c.subject, meeting_type: c.meetingType, office: c.office, agent: c.agent, invite: this.invite };
  }

  // ---- preselection and invites ------------------------------------------------------

  /** A preselected `key` resolved to its id (an `ext:` id found in the catalog). */
  fix(key, id) {
    this.fixed[key] = this.choice[key] = id;
  }

  /** What a valid invite says: it preselects what it names. */
  acceptInvite(inv) {
    this.inviteAgent = inv.agent || null;
    this.inviteCustomer = inv.customer || {};
    const wanted = { agent: inv.agent && inv.agent.id, subject: inv.subject, meetingType: inv.meeting_type, office: inv.office };
    for (const k of PRESELECTABLE) if (wanted[k]) this.fix(k, wanted[k]);
  }

  /** The invite cannot be used: book without it (nor its agent). */
  dropInvite() {
    if (this.inviteAgent && this.fixed.agent === this.inviteAgent.id) this.fix('agent', null);
    this.invite = null;
    this.inviteAgent = null;
  }

  /** What the organisation speaks (and so the widget): another language, another locale. */
  learnOrganisation(organisation, lang, locale) {
    this.organisation = organisation;
    this.lang = lang;
    this.locale = locale;
  }

  // ---- choices -----------------------------------------------------------------------

  /** The customer chose `id` for `key` (subject, meetingType, office, agent); `info` is
   * the office's or agent's details as listed, to show. */
  choose(key, id, info) {
    this.choice[key] = id;
    if (key === 'office' || key === 'agent') this[key] = info || null;
  }

  /** Forget what `steps` chose, back to what was preselected. */
  forget(steps) {
    for (const step of steps) for (const k of CHOICES[step] || []) this.choice[k] = PRESELECTABLE.includes(k) ? this.fixed[k] : null;
  }

  /** The chosen time (of `minutes`) and the hold taken on it. */
  hold(slot, minutes, hold) {
    Object.assign(this.choice, { start: slot.start, end: slot.end, duration: minutes, hold: hold.hold, expires: hold.expires_at });
  }

  /** Every free time on offer lasts `minutes` (null: they differ). */
  setDuration(minutes) {
    this.choice.duration = minutes;
  }

  /** The hold token to give back, forgotten here (null when there is none). */
  takeHold() {
    const token = this.choice.hold;
    this.choice.hold = null;
    return token;
  }

  answer(id, value) {
    this.choice.answers[id] = value;
  }

  setLocation(name, value) {
    this.choice.location[name] = value;
  }

  setCustomer(name, value) {
    this.choice.customer[name] = value;
  }

  /** Prefill the customer's details once, from what the page and the invite know. */
  prefill(values) {
    if (this.prefilled) return;
    this.prefilled = true;
    Object.assign(this.choice.customer, values);
  }

  // ---- what the server told us ----------------------------------------------------------

  learnSubjects(list) {
    this.subjects = new Map(list.map((s) => [s.id, s]));
  }

  learnMeetingTypes(list) {
    this.meetingTypes = new Map(list.map((m) => [m.id, m.name]));
  }

  setNear(near) {
    this.near = near;
  }

  /** Another zone: times are asked again in it. */
  setZone(tz) {
    this.tz = tz;
    this.timetable = null;
  }

  setTimetable(tt) {
    this.timetable = tt;
  }

  /** Free times may have changed (a 409, a new zone): ask the server again. */
  dropTimetable() {
    this.timetable = null;
  }

  // ---- booking and managing ----------------------------------------------------------

  /** The Idempotency-Key of this booking attempt: the same one for a retry. */
  attemptKey() {
    return (this.attempt ||= uuid());
  }

  /** The attempt is over: a new one gets a new key. */
  endAttempt() {
    this.attempt = null;
  }

  /** Booked: the hold became the appointment and is never given back. */
  book(answer) {
    this.booked = answer;
    this.attempt = null;
    this.choice.hold = null;
  }

  /** Manage mode: the appointment as the server has it now, and its links when given. */
  manage(appointment, links) {
    this.appointment = appointment;
    if (links) this.links = links;
    this.timetable = null;
  }
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
