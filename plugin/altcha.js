// The answer to a proof-of-work challenge of the open ALTCHA protocol (v1), asked for by
// the server (CHALLENGE_REQUIRED: docs/bots.md): find the number n <= maxNumber with
// SHA-256(salt + n) = challenge, with the browser's own crypto.subtle, a batch of
// digests at a time, compared as bytes. Loaded only when a hold or a booking needs it.

const BATCH = 1000;

export async function solve(c) {
  const max = c.maxNumber ?? c.maxnumber;
  const encoder = new TextEncoder();
  const want = c.challenge.match(/../g).map((x) => parseInt(x, 16));
  const hit = (d) => new Uint8Array(d).every((b, i) => b === want[i]);
  for (let first = 0; first <= max; first += BATCH) {
    const count = Math.min(BATCH, max - first + 1);
    const digests = await Promise.all(Array.from({ length: count }, (_, i) => crypto.subtle.digest('SHA-256', encoder.encode(c.salt + (first + i)))));
    const i = digests.findIndex(hit);
    if (i >= 0) {
      return btoa(JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: first + i, salt: c.salt, signature: c.signature }));
    }
  }
  throw new Error('unsolvable challenge');
}
