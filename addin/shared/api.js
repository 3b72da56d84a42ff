/*
 * The REST API v1 client of the pane and the workspace. A failed call throws an ApiError whose `kind`
 * the page can act on (sign in, try again, check the input, ...), carrying the problem+json `type`,
 * `status`, `detail` and `errors[]` ({field, message}) from the server; a change sends the version it
 * read as If-Match (the ETag), so a stale one comes back as 412 ("stale").
 * Each app says in its own api.js what the user reads for each kind (describeError).
 */
import { language, t } from "./i18n.js";

export class ApiError extends Error {
  constructor(kind, { status = 0, type = "", detail = "", errors = [], retryAfter = null, challenge = null,
    body = null } = {}) {
    super(detail || kind);
    this.kind = kind;
    this.status = status;
    this.type = type;
    this.detail = detail;
    this.errors = errors;
    this.retryAfter = retryAfter;
    // What Entra asked the user for, when the server's Graph exchange needs them (consent, MFA):
    // {error, claims, scopes}, for an interactive sign-in (msal.js challengeRequest).
    this.challenge = challenge;
    this.body = body; // the whole problem document
  }
}

/** The problem's extension members naming an Entra challenge (addin/errors.py GraphChallenge), or null. */
function challengeOf(problem) {
  if (typeof problem.error !== "string") return null;
  return {
    error: problem.error,
    claims: typeof problem.claims === "string" && problem.claims ? problem.claims : null,
    scopes: Array.isArray(problem.scopes) ? problem.scopes.filter((s) => typeof s === "string" && s) : [],
  };
}

/**
 * The kind of a failed answer: a problem type the app names (`problemKinds`, by the type's last path
 * segment) first, else by status. 415 (a body of a type the server does not take, e.g. an import
 * file that is not CSV) is "invalid": the server's detail says what to send.
 */
export function kindOf(status, type, problemKinds = {}) {
  const suffix = String(type || "").split("/").pop();
  if (Object.prototype.hasOwnProperty.call(problemKinds, suffix)) return problemKinds[suffix];
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 412) return "stale";
  if (status === 400 || status === 413 || status === 415 || status === 422) return "invalid";
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

/**
 * auth: {headers(): Promise<object>}. Options: `base()`, the path prefix for paths not starting with
 * /api/ (the workspace's current workspace); `timeoutMs`; `problemKinds`, problem types the app acts on.
 */
export function createApi(auth, { base = () => "", timeoutMs = 20000, problemKinds = {} } = {}) {
  async function send(method, path, { query, body, ifMatch, accept } = {}) {
    // The API answers in the page's language (problem+json titles and details, CSV headers).
    const headers = { Accept: accept || "application/json, application/problem+json", "Accept-Language": language(),
      ...(await auth.headers()) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (ifMatch !== undefined && ifMatch !== null) headers["If-Match"] = `"${ifMatch}"`;
    const url = (path.startsWith("/api/") ? path : `${base()}${path}`) + queryString(query);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response;
    try {
      response = await fetch(url, {
        method, headers, credentials: "same-origin", signal: controller.signal,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(error && error.name === "AbortError" ? "timeout" : "network");
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) {
      let problem = {};
      try {
        problem = await response.json();
      } catch (ignored) {
        problem = {};
      }
      if (!problem || typeof problem !== "object") problem = {};
      throw new ApiError(kindOf(response.status, problem.type, problemKinds), {
        status: response.status,
        type: problem.type || "",
        detail: typeof problem.detail === "string" ? problem.detail : "",
        errors: Array.isArray(problem.errors) ? problem.errors : [],
        retryAfter: response.headers.get("Retry-After"),
        challenge: challengeOf(problem),
        body: problem,
      });
    }
    return response;
  }

  async function request(method, path, options = {}) {
    const response = await send(method, path, options);
    if (response.status === 204) return null;
    try {
      return await response.json();
    } catch (ignored) {
      throw new ApiError("server", { status: response.status, detail: t("common.error.notJson") });
    }
  }

  return {
    request,
    get: (path, query) => request("GET", path, { query }),
    post: (path, body, query) => request("POST", path, { body: body || {}, query }),
    put: (path, body) => request("PUT", path, { body }),
    patch: (path, body, version) => request("PATCH", path, { body, ifMatch: version }),
    del: (path, version, query) => request("DELETE", path, { ifMatch: version, query }),
    /** Text answers (a CSV export, the print page). */
    async text(path, accept) {
      const response = await send("GET", path, { accept });
      const disposition = response.headers.get("Content-Disposition") || "";
      const match = /filename="([^"]+)"/.exec(disposition);
      return { text: await response.text(), filename: match ? match[1] : null, type: response.headers.get("Content-Type") };
    },
    /** Binary answers (an e-mail's attachment): a Blob with the answer's type. */
    async blob(path) {
      const response = await send("GET", path, { accept: "*/*" });
      return response.blob();
    },
    /** Every page of a list (for small lists: members' pickers, the dashboard's quarter). */
    async all(path, query = {}, max = 5000) {
      const items = [];
      let cursor = null;
      do {
        const page = await request("GET", path, { query: { ...query, limit: 500, cursor } });
        items.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor && items.length < max);
      return items;
    },
  };
}

/** GET a page's config.json (how it signs in); failures as ApiError. */
export async function loadConfig(url) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch (ignored) {
    throw new ApiError("network");
  }
  if (!response.ok) throw new ApiError(response.status >= 500 ? "unavailable" : "server", { status: response.status });
  return response.json();
}
