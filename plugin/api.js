// The HTTP API of SPEC 5. Every failure becomes an ApiError with the one error
// shape's code, message and details; a failed fetch is the code NETWORK.

import { addDays } from './format.js';

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || (status ? 'HTTP_' + status : 'NETWORK');
    this.details = Array.isArray(e.details) ? e.details : [];
  }
}

export function client(base) {
  const root = base.replace(/\/*$/, '/api/v1/');
  const cache = new Map();

  // The API answers a page whose origin is not in allowed_origins without CORS headers
  // (server/middleware/cors.py), so the browser fails the fetch exactly as if the network
  // had. Two questions tell them apart: the API's own description answers a page it
  // allows, so when it answers, this one request failed (NETWORK, worth a retry); when
  // only the public loader next door answers (Access-Control-Allow-Origin: *), the
  // server is up and says no to this page.
  async function refused() {
    const head = (url) => fetch(url, { method: 'HEAD', credentials: 'omit', cache: 'no-store' }).then((r) => r.ok, () => false);
    return !(await head(root + 'openapi.json')) && head(new URL('../../embed.js', root));
  }

  async function request(method, path, params, body, headers) {
    const url = new URL(path, root);
    for (const k in params) {
      if (params[k] != null && params[k] !== '') url.searchParams.set(k, params[k]);
    }
    let res;
    try {
      res = await fetch(url, {
        method,
        // No cookies: the widget identifies nobody; tokens travel in the URL or body.
        credentials: 'omit',
        headers: body ? { 'Content-Type': 'application/json', ...headers } : headers,
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw (await refused()) ? new ApiError(0, { error: { code: 'ORIGIN_NOT_ALLOWED', message: 'This website is not in the organisation\'s allowed_origins.' } }) : new ApiError(0, null);
    }
    let data = null;
    try {
      data = await res.json();
    } catch {
      // a body that is not JSON is an error below, or an empty answer
    }
    if (!res.ok) throw new ApiError(res.status, data);
    return data || {};
  }

  return {
    base: root,
    /** GET; catalog answers (subjects, offices, ...) are kept for this widget's life. */
    get(path, params, keep) {
      if (!keep) return request('GET', path, params);
      const key = path + JSON.stringify(params);
      if (!cache.has(key)) {
        cache.set(key, request('GET', path, params).catch((e) => {
          cache.delete(key);
          throw e;
        }));
      }
      return cache.get(key);
    },
    /** POST; a hold or booking the server wants proof of work for (docs/bots.md) is
     * sent again once with the answer to a challenge (plugin/altcha.js, loaded then). */
    async post(path, body, headers) {
      try {
        return await request('POST', path, null, body || {}, headers);
      } catch (e) {
        if (!/^CHALLENGE_/.test(e.code) || !body || body.altcha) throw e;
        const { solve } = await import('./altcha.js');
        const altcha = await solve(await request('GET', 'challenge'));
        return request('POST', path, null, { ...body, altcha }, headers);
      }
    },
    /** DELETE, fire-and-forget: it outlives the page (keepalive), its promise never fails. */
    drop(path) {
      return fetch(new URL(path, root), { method: 'DELETE', keepalive: true, credentials: 'omit' }).catch(() => {});
    },
    token(path, token, action) {
      return path + '/' + encodeURIComponent(token) + (action ? '/' + action : '');
    },
  };
}

/** A copy without null, undefined and empty strings (optional fields are left out). */
export function clean(o) {
  const out = {};
  for (const k in o) if (o[k] != null && o[k] !== '') out[k] = o[k];
  return out;
}

/** The days the API answers per call, and how far ahead the widget looks for free times. */
export const WINDOW = 62;
export const HORIZON = 366;

/** The first free slot of `query` (GET `path`, the slots by default) from the date `from`
 * on, in `tz`, asking one window at a time until the horizon; null when there is none.
 * Asked once per widget (`cache`, the state's firstFree). */
export function firstFree(api, cache, query, from, tz, path = 'slots') {
  const key = path + JSON.stringify(query) + from + tz;
  if (!cache.has(key)) {
    const look = async (first) => {
      if (first > addDays(from, HORIZON)) return null;
      const { slots = [] } = await api.get(path, { ...query, from: first, to: addDays(first, WINDOW - 1), tz });
      return slots[0] || look(addDays(first, WINDOW));
    };
    cache.set(key, look(from).catch((e) => {
      cache.delete(key);
      throw e;
    }));
  }
  return cache.get(key);
}
