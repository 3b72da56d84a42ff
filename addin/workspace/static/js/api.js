/*
 * The REST API v1 as the workspace uses it. A failed call throws an ApiError carrying the
 * problem+json `status`, `detail` and `errors[]` ({field, message}) from the server.
 */

const TIMEOUT_MS = 30000;

export class ApiError extends Error {
  constructor(kind, { status = 0, type = "", detail = "", errors = [], body = null } = {}) {
    super(detail || kind);
    this.kind = kind;
    this.status = status;
    this.type = type;
    this.detail = detail;
    this.errors = errors;
    this.body = body;
  }
}

function kindOf(status) {
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

/** auth: {headers(): Promise<object>}; base(): the current workspace's path prefix. */
export function createApi(auth, base) {
  async function send(method, path, { query, body, ifMatch, accept } = {}) {
    const headers = { Accept: accept || "application/json, application/problem+json", ...(await auth.headers()) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (ifMatch !== undefined && ifMatch !== null) headers["If-Match"] = `"${ifMatch}"`;
    const url = (path.startsWith("/api/") ? path : `${base()}${path}`) + queryString(query);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
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
      throw new ApiError(kindOf(response.status), {
        status: response.status,
        type: problem.type || "",
        detail: typeof problem.detail === "string" ? problem.detail : "",
        errors: Array.isArray(problem.errors) ? problem.errors : [],
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
      throw new ApiError("server", { status: response.status, detail: "The server's answer was not JSON." });
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

/** What the user reads for an error. */
export function describeError(error) {
  if (!(error instanceof ApiError)) {
    return { title: "Something went wrong in the workspace.", text: String((error && error.message) || error) };
  }
  switch (error.kind) {
    case "network":
    case "timeout":
      return { title: "Dealpane cannot reach its server.", text: "Check your connection, then try again." };
    case "unauthorized":
      return { title: "You are not signed in to Dealpane.", text: error.detail || "Sign in with your work account." };
    case "signin": // Entra mode: no token without the user (auth.js SignInError)
      return { title: "Your sign-in to Dealpane has expired.", text: "Reload the page and sign in again; then repeat this change." };
    case "unavailable":
      return { title: "Dealpane is busy.", text: error.detail || "Try again in a moment." };
    case "not-found":
      return { title: "Not found.", text: error.detail || "It may have been deleted, or you no longer have access to it." };
    case "forbidden":
      return { title: "You are not allowed to do this.", text: error.detail };
    case "stale":
      return { title: "Someone else changed this record.", text: "Load it again, then make your change once more." };
    case "conflict":
      return { title: "That cannot be done now.", text: error.detail };
    case "invalid":
      return { title: "Please check what you entered.", text: error.detail };
    default:
      return { title: `The server had a problem (HTTP ${error.status || "?"}).`, text: error.detail || "Try again." };
  }
}
