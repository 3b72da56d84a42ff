/*
 * The REST API v1 as the pane uses it. Every failure becomes an ApiError whose `kind` the pane can
 * act on (sign in, try again, ...); problem+json `type`/`status`/`detail` come from the server.
 */

const TIMEOUT_MS = 20000;
const PROBLEM_TYPES = {
  "graph-interaction-required": "graph-reconnect",
  "graph-permission-missing": "graph-permission",
  "mailbox-needs-sign-in": "mailbox-sign-in",
  "graph-unavailable": "graph-unavailable",
  "graph-not-configured": "graph-not-configured",
  "send-failed": "send-failed",
};

export class ApiError extends Error {
  constructor(kind, { status = 0, type = "", detail = "", errors = [], retryAfter = null, challenge = null } = {}) {
    super(detail || kind);
    this.kind = kind;
    this.status = status;
    this.type = type;
    this.detail = detail;
    this.errors = errors;
    this.retryAfter = retryAfter;
    // What Entra asked the user for, when the server's Graph exchange needs them (consent, MFA):
    // {error, claims, scopes}, for an interactive sign-in (auth.js).
    this.challenge = challenge;
  }
}

/** The problem's extension members naming an Entra challenge (addin/errors.py GraphChallenge), or null. */
function challengeOf(problem) {
  if (typeof problem.error !== "string") return null;
  return {
    error: problem.error,
    claims: typeof problem.claims === "string" ? problem.claims : null,
    scopes: Array.isArray(problem.scopes) ? problem.scopes.filter((s) => typeof s === "string") : [],
  };
}

function kindOf(status, type) {
  const suffix = String(type || "").split("/").pop();
  if (PROBLEM_TYPES[suffix]) return PROBLEM_TYPES[suffix];
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 412) return "stale";
  if (status === 400 || status === 413 || status === 422) return "invalid";
  if (status === 503 || status === 502 || status === 504 || status === 429) return "unavailable";
  return "server";
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** auth: {headers(): Promise<object>} */
export function createApi(auth) {
  async function request(method, path, { query, body, ifMatch } = {}) {
    const headers = { Accept: "application/json, application/problem+json", ...(await auth.headers()) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (ifMatch !== undefined && ifMatch !== null) headers["If-Match"] = `"${ifMatch}"`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(path + queryString(query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        signal: controller.signal,
      });
    } catch (error) {
      throw new ApiError(error && error.name === "AbortError" ? "timeout" : "network");
    } finally {
      clearTimeout(timer);
    }
    if (response.status === 204) return null;
    let data = null;
    try {
      data = await response.json();
    } catch (ignored) {
      data = null;
    }
    if (!response.ok) {
      const problem = data && typeof data === "object" ? data : {};
      throw new ApiError(kindOf(response.status, problem.type), {
        status: response.status,
        type: problem.type || "",
        detail: typeof problem.detail === "string" ? problem.detail : "",
        errors: Array.isArray(problem.errors) ? problem.errors : [],
        retryAfter: response.headers.get("Retry-After"),
        challenge: challengeOf(problem),
      });
    }
    if (data === null) throw new ApiError("server", { status: response.status, detail: "The server's answer was not JSON." });
    return data;
  }

  return {
    request,
    get: (path, query) => request("GET", path, { query }),
    post: (path, body) => request("POST", path, { body: body || {} }),
    patch: (path, body, version) => request("PATCH", path, { body, ifMatch: version }),
  };
}

/** What the user reads for an error, and what they can do about it. */
export function describeError(error) {
  if (!(error instanceof ApiError)) {
    return { title: "Something went wrong in the pane.", text: "Close and reopen Dealpane. If it keeps happening, tell your administrator.", retry: true };
  }
  switch (error.kind) {
    case "network":
    case "timeout":
      return { title: "Dealpane cannot reach its server.", text: "Check your connection, then try again.", retry: true };
    case "unauthorized":
      // A failed sign-in (auth.js: no problem type) says why, e.g. the window closed or an AADSTS code;
      // the server's own 401 (a problem with a type) keeps the plain wording.
      return { title: "You are not signed in to Dealpane.",
        text: (!error.type && error.detail) || "Sign in with your work account to see your deals.", signIn: true, retry: true };
    case "graph-reconnect":
      return { title: "Reconnect Dealpane to your mailbox.",
        text: error.detail || "Your organization asks you to sign in again before Dealpane can use your mailbox.",
        signIn: true, retry: true };
    case "graph-permission":
      return { title: "Dealpane is missing a permission for your mailbox.",
        text: `${error.detail || "Microsoft Graph refused a call."} Ask your administrator to grant it.`, retry: false };
    case "mailbox-sign-in":
      return { title: "Dealpane cannot reach your mailbox — sign in again.",
        text: "Your permission for Dealpane to use your mailbox has expired or was withdrawn. Sign in, then try once more.",
        signIn: true, retry: true };
    case "graph-unavailable":
      return { title: "Microsoft Graph is unavailable, try again.", text: "Your mailbox service is busy or unreachable right now; nothing was changed.", retry: true };
    case "graph-not-configured":
      return { title: "This Dealpane server is not connected to your mailbox.", text: error.detail || "Ask your administrator to connect it to Microsoft Graph.", retry: false };
    case "send-failed":
      return { title: "Outlook could not send it.", text: error.detail || "Nothing was sent twice; try again.", retry: true };
    case "auth-not-configured":
      return { title: "Dealpane is not set up for sign-in yet.", text: error.detail, retry: false };
    case "unavailable":
      return { title: "Dealpane is busy.", text: error.detail || "Try again in a moment.", retry: true };
    case "not-found":
      return { title: "Not found.", text: error.detail || "It may have been deleted, or you no longer have access to it.", retry: true };
    case "forbidden":
      return { title: "You are not allowed to do this.", text: error.detail, retry: false };
    case "stale":
      return { title: "Someone else changed this opportunity.", text: "It has been loaded again: check it and make your change once more.", retry: false };
    case "conflict":
    case "invalid":
      return { title: "That did not work.", text: fieldErrors(error), retry: false };
    default:
      return { title: `The server had a problem (HTTP ${error.status || "?"}).`, text: "Try again. If it keeps happening, tell your administrator.", retry: true };
  }
}

function fieldErrors(error) {
  if (error.errors.length > 1) return error.errors.map((e) => `${e.field}: ${e.message}`).join("; ");
  return error.detail || "The server refused the change.";
}
