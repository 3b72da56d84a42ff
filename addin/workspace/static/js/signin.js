/*
 * The signed-out workspace (Entra mode): one "Sign in" button, and what went wrong last time in words
 * a salesperson can act on, with Entra's AADSTS code kept for the administrator.
 */
import { h, replace } from "../../shared/dom.js";
import { notice } from "./ui.js";
import { has, t } from "../../shared/i18n.js";

// What an administrator does about the Entra errors a sign-in here can meet:
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes
// (their words: workspace.signin.aadsts.<number>)
const hint = (number) => (has(`workspace.signin.aadsts.${number}`) ? t(`workspace.signin.aadsts.${number}`) : null);

const admin = () => t("workspace.signin.admin");

/** Title, text and whether "Sign in in this window" helps, for a SignInError (or any error). */
export function describeSignIn(error) {
  const code = (error && error.code) || "unknown";
  switch (code) {
    case "no_account":
      return null;
    case "expired": // silent renewal needs the user now (Entra answered login_required or similar)
      return { title: t("workspace.signin.expired"), text: t("workspace.signin.expiredText") };
    case "closed":
    case "user_cancelled":
      return { title: t("workspace.signin.closed"), text: t("workspace.signin.closedText") };
    case "popup_window_error":
    case "empty_window_error":
      return { title: t("workspace.signin.blocked"), text: t("workspace.signin.blockedText"), here: true };
    case "interaction_in_progress":
      return { title: t("workspace.signin.stillOpen"), text: t("workspace.signin.stillOpenText"), here: true };
    case "timed_out":
      return { title: t("workspace.signin.tooLong"), text: t("workspace.signin.again") };
    case "no_network_connectivity":
    case "post_request_failed":
    case "get_request_failed":
      return { title: t("workspace.signin.unreachable"), text: t("workspace.signin.unreachableText") };
    default:
      break;
  }
  const server = serverError(error && error.cause);
  if (server) {
    return {
      title: t("workspace.signin.entraRefused", { code: `AADSTS${server.number}` }),
      text: [server.description, hint(server.number) || admin()].filter(Boolean).join(" "),
    };
  }
  return { title: t("workspace.signin.failed"), text: t("workspace.signin.adminCode", { admin: admin(), code }) };
}

/** Entra's own error (the redirect answer or the token endpoint): AADSTS number and first sentence(s). */
function serverError(error) {
  if (!error) return null;
  const text = `${error.errorMessage || ""}`;
  const match = /AADSTS(\d+):?\s*([^]*?)(?:\s*Trace ID:[^]*)?$/.exec(text);
  if (!match) return null;
  return { number: Number(match[1]), description: match[2].trim() };
}

/**
 * The sign-in screen: renders into `main`, calls auth.signIn() straight from the click (the popup
 * needs the click's user activation) and `onSignedIn` once it worked.
 */
export function renderSignIn(main, auth, onSignedIn, problem = null, info = null) {
  const slot = h("div", { class: "slot" });
  const waiting = h("p", { class: "muted", role: "status" });
  const here = h("button", { type: "button", class: "button", hidden: true, onclick: () => {
    if (pending && auth.watchesPopup) return;
    busy(true);
    auth.signInHere().catch((error) => fail(error));
  } }, t("workspace.signin.here"));
  let pending = false;
  // Where the workspace cannot see the popup close (auth.watchesPopup false), "Sign in" stays usable
  // while a window is open, to start again when that window got lost or closed.
  const button = h("button", { type: "button", class: "button primary", onclick: () => {
    if (pending && auth.watchesPopup) return;
    busy(true);
    waiting.textContent = auth.watchesPopup
      ? t("workspace.graph.windowOpen")
      : t("workspace.signin.windowOpenAgain");
    auth.signIn().then(() => {
      waiting.textContent = "";
      onSignedIn();
    }, (error) => {
      if (error && error.code === "superseded") return; // the user started again
      fail(error);
    });
  } }, t("workspace.signin.button"));

  function busy(on) {
    pending = on;
    if (auth.watchesPopup) button.setAttribute("aria-disabled", String(on));
    here.setAttribute("aria-disabled", String(on));
  }

  function fail(error) {
    busy(false);
    waiting.textContent = "";
    show(error);
  }

  function show(error) {
    const about = error && error.kind === "signin" ? describeSignIn(error) : errorAbout(error);
    replace(slot, about ? notice("error", about.title, about.text) : null);
    here.hidden = !(about && about.here);
  }

  replace(main,
    h("section", { class: "card sign-in" },
      h("h1", null, t("workspace.signin.title")),
      h("p", null, t("workspace.signin.text")),
      slot,
      h("div", { class: "actions" }, button, here),
      waiting));
  if (problem) show(problem);
  else if (info) replace(slot, notice("success", info.title, info.text));
}

function errorAbout(error) {
  if (!error) return null;
  if (error.kind === "unauthorized") {
    return { title: t("workspace.signin.refused"), text: t("workspace.signin.adminAfter", { detail: error.detail || t("workspace.signin.tokenRefused"), admin: admin() }) };
  }
  return { title: t("workspace.signin.failed"), text: String((error && (error.detail || error.message)) || error) };
}
