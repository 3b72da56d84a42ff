/*
 * The signed-out workspace (Entra mode): one "Sign in" button, and what went wrong last time in words
 * a salesperson can act on, with Entra's AADSTS code kept for the administrator.
 */
import { h, replace } from "../../shared/dom.js";
import { notice } from "./ui.js";

// What an administrator does about the Entra errors a sign-in here can meet:
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes
const AADSTS_HINTS = {
  50011: "The app registration does not list this page's redirect URI. Your administrator adds it under Authentication → Single-page application.",
  50020: "This account belongs to another organisation. Sign in with your account at the organisation that runs Dealpane, or ask its administrator to invite you.",
  50034: "There is no such account in your organisation.",
  50053: "Your account is locked for now. Wait, or ask your administrator.",
  50076: "Your organisation requires multi-factor authentication: sign in again and complete it.",
  50105: "Your administrator has not given you access to Dealpane (Enterprise applications → Users and groups).",
  53003: "A Conditional Access policy of your organisation blocked the sign-in.",
  65001: "Dealpane needs consent in your organisation: an administrator grants it under API permissions.",
  65004: "You declined the permissions Dealpane asked for. Sign in again and accept them, or ask your administrator.",
  70011: "Dealpane asked for a scope the app registration does not expose (Expose an API → access_as_user).",
  700016: "Dealpane's app registration was not found in your organisation: ask your administrator.",
  9002326: "Register this page's redirect URI under the Single-page application platform, not Web.",
};

const ADMIN = "If this keeps happening, give the code to your administrator.";

/** Title, text and whether "Sign in in this window" helps, for a SignInError (or any error). */
export function describeSignIn(error) {
  const code = (error && error.code) || "unknown";
  switch (code) {
    case "no_account":
      return null;
    case "expired": // silent renewal needs the user now (Entra answered login_required or similar)
      return { title: "Your sign-in has expired.", text: "Sign in again to continue." };
    case "closed":
    case "user_cancelled":
      return { title: "The sign-in window was closed.", text: "Sign in again when you are ready. If the window showed an error code (AADSTS…), give it to your administrator." };
    case "popup_window_error":
    case "empty_window_error":
      return { title: "Your browser blocked the sign-in window.", text: "Allow pop-ups for this site and sign in again, or sign in in this window instead.", here: true };
    case "interaction_in_progress":
      return { title: "A sign-in window is still open.", text: "Finish signing in there, or close it and sign in again.", here: true };
    case "timed_out":
      return { title: "Signing in took too long.", text: "Sign in again." };
    case "no_network_connectivity":
    case "post_request_failed":
    case "get_request_failed":
      return { title: "Microsoft sign-in cannot be reached.", text: "Check your connection, then sign in again." };
    default:
      break;
  }
  const server = serverError(error && error.cause);
  if (server) {
    return {
      title: `Microsoft Entra ID did not sign you in (AADSTS${server.number}).`,
      text: [server.description, AADSTS_HINTS[server.number] || ADMIN].filter(Boolean).join(" "),
    };
  }
  return { title: "Signing in did not work.", text: `${ADMIN} (${code})` };
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
  } }, "Sign in in this window");
  let pending = false;
  // Where the workspace cannot see the popup close (auth.watchesPopup false), "Sign in" stays usable
  // while a window is open, to start again when that window got lost or closed.
  const button = h("button", { type: "button", class: "button primary", onclick: () => {
    if (pending && auth.watchesPopup) return;
    busy(true);
    waiting.textContent = auth.watchesPopup
      ? "A Microsoft sign-in window is open. Finish signing in there."
      : "A Microsoft sign-in window is open. Finish signing in there, or press Sign in to start again.";
    auth.signIn().then(() => {
      waiting.textContent = "";
      onSignedIn();
    }, (error) => {
      if (error && error.code === "superseded") return; // the user started again
      fail(error);
    });
  } }, "Sign in");

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
      h("h1", null, "Sign in to Dealpane"),
      h("p", null, "Sign in with your work account to open your sales workspaces."),
      slot,
      h("div", { class: "actions" }, button, here),
      waiting));
  if (problem) show(problem);
  else if (info) replace(slot, notice("success", info.title, info.text));
}

function errorAbout(error) {
  if (!error) return null;
  if (error.kind === "unauthorized") {
    return { title: "The Dealpane server did not accept your sign-in.", text: `${error.detail || "Your access token was refused."} ${ADMIN}` };
  }
  return { title: "Signing in did not work.", text: String((error && (error.detail || error.message)) || error) };
}
