// The app's only ways to the server: the patient API under /api/v1/, and the session it
// logs in to. The session cookie is HttpOnly: no script here can read it, and nothing
// here stores a credential. Writes send the CSRF cookie's value back as X-CSRFToken.
const BASE = document.body.dataset.api;
const SESSION = document.body.dataset.session;
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export class NetworkError extends Error {}

export class ApiError extends Error {
  constructor(status, body) {
    super(`The server answered ${status}`);
    this.status = status;
    this.body = body;
  }

  // The field errors of a 400 as one sentence a patient can read.
  describe() {
    if (!this.body || typeof this.body !== "object") return this.message;
    return Object.values(this.body).flat(2).map((part) =>
      typeof part === "object" ? Object.values(part).flat().join(" ") : String(part),
    ).join(" ");
  }
}

function csrfToken() {
  const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
}

async function send(method, url, body) {
  const headers = { Accept: "application/json" };
  if (!SAFE.has(method)) headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (error) {
    throw new NetworkError(error.message);
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    error.retryAfter = Number(response.headers.get("Retry-After") || 0);
    throw error;
  }
  return { status: response.status, data };
}

export const request = (method, path, body) => send(method, BASE + path, body);

// Log in (a patient's account only) and out: the server sets and ends the session.
export const session = {
  open: (username, password) => send("POST", SESSION, { username, password }),
  close: () => send("DELETE", SESSION),
};

export const get = (path) => request("GET", path).then((answer) => answer.data);

// Every page of a list (the API pages by 50), up to `limit` pages.
export async function getAll(path, limit = 10) {
  const results = [];
  let next = path;
  for (let page = 0; next && page < limit; page += 1) {
    const data = await get(next);
    results.push(...data.results);
    next = data.next ? data.next.slice(data.next.indexOf(BASE) + BASE.length) : null;
  }
  return results;
}
