/*
 * The REST API v1 as the pane uses it: the shared client (addin/shared/api.js, ApiError with a `kind`
 * the pane can act on: sign in, try again, ...) with the mailbox problems the pane handles, and what
 * the user reads for each.
 */
import { ApiError, createApi as createClient } from "../../shared/api.js";
import { t } from "../../shared/i18n.js";

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
    return { title: t("pane.error.bug"), text: t("pane.error.bugText"), retry: true };
  }
  switch (error.kind) {
    case "network":
    case "timeout":
      return { title: t("pane.error.network"), text: t("pane.error.networkText"), retry: true };
    case "unauthorized":
      // A failed sign-in (auth.js: no problem type) says why, e.g. the window closed or an AADSTS code;
      // the server's own 401 (a problem with a type) keeps the plain wording.
      return { title: t("pane.error.unauthorized"),
        text: (!error.type && error.detail) || t("pane.error.unauthorizedText"), signIn: true, retry: true };
    case "graph-reconnect":
      return { title: t("pane.error.graphReconnect"), text: error.detail || t("pane.error.graphReconnectText"),
        signIn: true, retry: true };
    case "graph-permission":
      return { title: t("pane.error.graphPermission"),
        text: t("pane.error.graphPermissionText", { detail: error.detail || t("pane.error.graphRefused") }), retry: false };
    case "mailbox-sign-in":
      return { title: t("pane.error.mailboxSignIn"), text: t("pane.error.mailboxSignInText"), signIn: true, retry: true };
    case "graph-unavailable":
      return { title: t("pane.error.graphUnavailable"), text: t("pane.error.graphUnavailableText"), retry: true };
    case "graph-not-configured":
      return { title: t("pane.error.graphNotConfigured"), text: error.detail || t("pane.error.graphNotConfiguredText"), retry: false };
    case "send-failed":
      return { title: t("pane.error.sendFailed"), text: error.detail || t("pane.error.sendFailedText"), retry: true };
    case "auth-not-configured":
      return { title: t("pane.error.authNotConfigured"), text: error.detail, retry: false };
    case "unavailable":
      return { title: t("pane.error.unavailable"), text: error.detail || t("pane.error.unavailableText"), retry: true };
    case "not-found":
      return { title: t("pane.error.notFound"), text: error.detail || t("pane.error.notFoundText"), retry: true };
    case "forbidden":
      return { title: t("pane.error.forbidden"), text: error.detail, retry: false };
    case "stale":
      return { title: t("pane.error.stale"), text: t("pane.error.staleText"), retry: false };
    case "conflict":
    case "invalid":
      return { title: t("pane.error.invalid"), text: fieldErrors(error), retry: false };
    default:
      return { title: t("pane.error.server", { status: String(error.status || "?") }), text: t("pane.error.serverText"), retry: true };
  }
}

function fieldErrors(error) {
  if (error.errors.length > 1) {
    return error.errors.map((e) => t("pane.error.field", { field: e.field, message: e.message })).join(t("pane.error.fieldSeparator"));
  }
  return error.detail || t("pane.error.refused");
}
