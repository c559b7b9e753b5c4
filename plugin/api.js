// The HTTP API of SPEC 5. Every failure becomes an ApiError with the one error
// shape's code, message and details; a failed fetch is the code NETWORK.

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
  // (server/cors.py), so the browser fails the fetch exactly as if the server were down.
  // The loader next door is public (Access-Control-Allow-Origin: *): when it answers,
  // the server is up and it is this page that is refused.
  function refused() {
    const probe = new URL('../../embed.js', root);
    return fetch(probe, { method: 'HEAD', credentials: 'omit', cache: 'no-store' }).then((r) => r.ok, () => false);
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
    post(path, body, headers) {
      return request('POST', path, null, body || {}, headers);
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
