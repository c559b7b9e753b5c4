// Every input format the widget checks before the server does, in one place. They are
// the server's (server/vocabulary.py and the request Structs in server/schemas.py), and
// tests/plugin/test_rules.py fails when the two differ: what the widget accepts, the
// server accepts. Keep one `export const NAME = value;` per line (the test reads them).

export const EMAIL_PATTERN = /^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
export const EMAIL_MAX_LENGTH = 254;
export const PHONE_PATTERN = /^\+?[0-9][0-9 ().\-/]{4,30}$/;
export const PHONE_MIN_LENGTH = 6;
export const PHONE_MAX_LENGTH = 32;
export const NAME_MAX_LENGTH = 100;
export const STREET_MAX_LENGTH = 200;
export const POSTAL_CODE_MAX_LENGTH = 20;
export const CITY_MAX_LENGTH = 100;

export function isEmail(v) {
  return v.length <= EMAIL_MAX_LENGTH && EMAIL_PATTERN.test(v);
}

export function isPhone(v) {
  return v.length >= PHONE_MIN_LENGTH && v.length <= PHONE_MAX_LENGTH && PHONE_PATTERN.test(v);
}
