/*
 * The REST API v1 as the workspace uses it: the shared client (addin/shared/api.js: ApiError carries
 * the problem+json `status`, `detail` and `errors[]` ({field, message}) from the server), relative to
 * the current workspace, and what the user reads for each kind of failure.
 */
import { ApiError, createApi as createClient } from "../../shared/api.js";
import { t } from "../../shared/i18n.js";

export { ApiError };

/** auth: {headers(): Promise<object>}; base(): the current workspace's path prefix. */
export function createApi(auth, base) {
  return createClient(auth, { base, timeoutMs: 30000 });
}

/** What the user reads for an error. */
export function describeError(error) {
  if (!(error instanceof ApiError)) {
    return { title: t("workspace.error.unexpected"), text: String((error && error.message) || error) };
  }
  switch (error.kind) {
    case "network":
    case "timeout":
      return { title: t("workspace.error.network"), text: t("workspace.error.networkText") };
    case "unauthorized":
      return { title: t("workspace.error.unauthorized"), text: error.detail || t("workspace.error.unauthorizedText") };
    case "signin": // Entra mode: no token without the user (auth.js SignInError)
      return { title: t("workspace.error.signin"), text: t("workspace.error.signinText") };
    case "unavailable":
      return { title: t("workspace.error.unavailable"), text: error.detail || t("workspace.error.unavailableText") };
    case "not-found":
      return { title: t("workspace.error.notFound"), text: error.detail || t("workspace.error.notFoundText") };
    case "forbidden":
      return { title: t("workspace.error.forbidden"), text: error.detail };
    case "stale":
      return { title: t("workspace.error.stale"), text: t("workspace.error.staleText") };
    case "conflict":
      return { title: t("workspace.error.conflict"), text: error.detail };
    case "invalid":
      return { title: t("workspace.error.invalid"), text: error.detail };
    default:
      return { title: t("workspace.error.server", { status: String(error.status || "?") }), text: error.detail || t("workspace.error.serverText") };
  }
}
