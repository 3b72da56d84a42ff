/*
 * The REST API v1 as the pane uses it: the shared client (addin/shared/api.js, ApiError with a `kind`
 * the pane can act on: sign in, try again, ...) with the mailbox problems the pane handles, and what
 * the user reads for each.
 */
import { ApiError, createApi as createClient } from "../../shared/api.js";

export { ApiError };

const PROBLEM_KINDS = {
  "graph-interaction-required": "graph-reconnect",
  "graph-permission-missing": "graph-permission",
  "mailbox-needs-sign-in": "mailbox-sign-in",
  "graph-unavailable": "graph-unavailable",
  "graph-not-configured": "graph-not-configured",
  "send-failed": "send-failed",
};

/** auth: {headers(): Promise<object>} */
export function createApi(auth) {
  return createClient(auth, { timeoutMs: 20000, problemKinds: PROBLEM_KINDS });
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
