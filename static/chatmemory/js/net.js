/* Talking to the server: CSRF, JSON requests, and failures explained in plain words.
 *
 * Every failure becomes a RequestError whose message a person can act on: offline, the server
 * down or restarting, a proxy error, an expired login, a stale page, or the server's own JSON
 * error ({"error", "detail"}, see sessions_app's web/views/errors.py). Never "Failed to fetch".
 */

export class RequestError extends Error {
  constructor(message, { status = 0, code = "", retryAfter = null } = {}) {
    super(message);
    this.name = "RequestError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (field && field.value) { return field.value; }
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function capitalize(text) { return text ? text.charAt(0).toUpperCase() + text.slice(1) : text; }
function sentence(text) { const t = capitalize(String(text || "").trim()); return /[.!?]$/.test(t) ? t : t + "."; }

/** A RequestError for a fetch() that threw (no HTTP answer at all). */
export function networkError(error) {
  if (error && error.name === "AbortError") { return error; }
  if (typeof navigator !== "undefined" && navigator.onLine === false) {
    return new RequestError("You are offline. Check your connection and try again.", { code: "offline" });
  }
  return new RequestError(
    "The chatmemory server is not responding (it may be down or restarting). Try again in a moment.",
    { code: "unreachable" },
  );
}

/** A RequestError for an HTTP answer that is not what was asked for. */
export async function responseError(response) {
  const type = response.headers.get("Content-Type") || "";
  const retryAfter = parseInt(response.headers.get("Retry-After") || "", 10) || null;
  const base = { status: response.status, retryAfter };
  if (type.startsWith("application/json")) {
    try {
      const body = await response.json();
      if (body && body.detail) {
        let message = sentence(body.detail);
        if (response.status === 429 && retryAfter) { message += ` Try again in ${retryAfter} s.`; }
        return new RequestError(message, { ...base, code: body.error || "" });
      }
    } catch (ignored) { /* not our JSON: fall through */ }
  }
  if (response.redirected && new URL(response.url).pathname.includes("/login")) {
    return new RequestError("Your login has expired: reload the page and log in again.", { ...base, code: "login" });
  }
  if (response.status === 401) {
    return new RequestError("Your login has expired: reload the page and log in again.", { ...base, code: "login" });
  }
  if (response.status === 403) {
    return new RequestError("This page is out of date (its security token expired): reload it and try again.",
      { ...base, code: "csrf" });
  }
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    return new RequestError(`The server is unavailable right now (HTTP ${response.status}). Try again in a moment.`,
      { ...base, code: "unavailable" });
  }
  if (response.status >= 500) {
    return new RequestError(`The server failed (HTTP ${response.status}). Try again; if it keeps failing, tell your administrator.`,
      { ...base, code: "server" });
  }
  return new RequestError(`The server answered HTTP ${response.status}.`, { ...base, code: "http" });
}

/** fetch() that turns a network failure into a RequestError (HTTP errors are the caller's). */
export async function request(url, options = {}) {
  try {
    return await fetch(url, { credentials: "same-origin", ...options });
  } catch (error) {
    throw networkError(error);
  }
}

/** POST form fields (an object or FormData) with the CSRF token; returns the Response. */
export async function postForm(url, fields, { accept = "application/json", signal } = {}) {
  const body = fields instanceof FormData ? fields : new FormData();
  if (!(fields instanceof FormData)) {
    for (const [key, value] of Object.entries(fields || {})) { body.append(key, value); }
  }
  if (!body.has("csrfmiddlewaretoken")) { body.append("csrfmiddlewaretoken", csrfToken()); }
  return request(url, { method: "POST", body, signal, headers: { Accept: accept, "X-CSRFToken": csrfToken() } });
}

/** POST, expect JSON back; throws RequestError otherwise. */
export async function postJSON(url, fields, options = {}) {
  const response = await postForm(url, fields, options);
  if (!response.ok || !(response.headers.get("Content-Type") || "").startsWith("application/json")) {
    throw await responseError(response);
  }
  return response.json();
}

/** GET JSON; throws RequestError otherwise. */
export async function getJSON(url, { signal } = {}) {
  const response = await request(url, { headers: { Accept: "application/json" }, signal });
  if (!response.ok || !(response.headers.get("Content-Type") || "").startsWith("application/json")) {
    throw await responseError(response);
  }
  return response.json();
}
