/*
 * The REST API v1 as the workspace uses it: the shared client (addin/shared/api.js: ApiError carries
 * the problem+json `status`, `detail` and `errors[]` ({field, message}) from the server), relative to
 * the current workspace, and what the user reads for each kind of failure.
 */
import { ApiError, createApi as createClient } from "../../shared/api.js";

export { ApiError };

/** auth: {headers(): Promise<object>}; base(): the current workspace's path prefix. */
export function createApi(auth, base) {
  return createClient(auth, { base, timeoutMs: 30000 });
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
