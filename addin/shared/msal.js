/*
 * MSAL.js sign-in pieces the pane (nested app authentication) and the workspace (standard public client)
 * share: loading MSAL.js from our server, creating the application, the signed-in account, the claims
 * challenge of the server's Graph exchange, and watching a popup sign-in. Each app keeps its own flow
 * (the pane's cached token and NAA, the workspace's redirect sign-in and sign-out) in its auth.js.
 *
 * MSAL.js v5 ends a popup on the redirect page (/workspace/auth-redirect.html), whose redirect bridge
 * hands Entra's answer back and closes the popup:
 * https://learn.microsoft.com/entra/msal/javascript/browser/redirect-bridge
 * MSAL.js v5 does not notice a popup the user closes: it waits for the bridge until its timeout
 * (AzureAD/microsoft-authentication-library-for-js#8521), e.g. after Entra showed an error there
 * (AADSTS50011: that redirect URI is not registered). Where the page can see its popup
 * (popupIsVisible) the watcher gives up at once; either way the next interaction overrides the
 * abandoned one (overrideInteractionInProgress, "a last resort in case user closed popup window":
 * AzureAD/microsoft-authentication-library-for-js#8118).
 */
import { ApiError } from "./api.js";
import { t } from "./i18n.js";

// The redirect page (addin/workspace/static/js/auth-redirect.js) says "answered" on this channel just
// before its bridge hands MSAL the answer and closes the popup: so a popup closed *without* one shows.
export const ANSWER_CHANNEL = "dealpane.auth-redirect";
const POLL_MS = 250;
const CLOSED_GRACE_MS = 750;

/**
 * Whether `popup.closed` will tell the truth: MSAL's own "popup origin check" (pocd), which passes
 * when every frame above this page is same-origin and its top window has no opener from another
 * origin. Then MSAL sends pocd=1 and Entra leaves out the Cross-Origin-Opener-Policy header that
 * would otherwise cut the popup off ("closed" reads true while it is open): "The pocd parameter" in
 * https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/configuration.md
 * (MSAL.js utils/PopupOriginCheck.ts computes the same). Inside Outlook on the web the pane is a
 * cross-origin frame: not watched there.
 */
export function popupIsVisible() {
  try {
    let current = window;
    while (current !== current.parent) {
      current = current.parent;
      void current.location.href; // throws for an ancestor of another origin
    }
    const opener = window.top.opener;
    if (opener && opener !== window.top) void opener.location.href; // throws for an opener of another origin
    return true;
  } catch (ignored) {
    return false;
  }
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.addEventListener("load", resolve);
    script.addEventListener("error", () => reject(new ApiError("server", {
      detail: t("common.error.msalNotLoaded") })));
    document.head.append(script);
  });
}

/**
 * The MSAL application: MSAL.js from `script` (our own server, never a CDN) unless loaded already,
 * then window.msal[factory](options) ("createNestablePublicClientApplication" for the pane,
 * "createStandardPublicClientApplication" for the workspace).
 */
export async function msalApplication(script, factory, options) {
  if (!window.msal) await loadScript(script);
  return window.msal[factory](options);
}

/** The signed-in account MSAL knows: the active one, else the first. */
export function currentAccount(app) {
  return (app && (app.getActiveAccount() || app.getAllAccounts()[0])) || null;
}

/**
 * What an interactive sign-in adds for the server's Graph challenge ({error, claims, scopes} from a
 * 401 whose problem names an Entra error, ApiError.challenge): Entra's claims challenge (JSON, passed
 * on as given; MFA / Conditional Access) and the Graph scopes to consent to, so the next token lets the
 * server's on-behalf-of exchange succeed:
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#error-response-example
 * https://azuread.github.io/microsoft-authentication-library-for-js/ref/types/_azure_msal_browser.PopupRequest.html
 */
export function challengeRequest(challenge) {
  if (!challenge) return {};
  const extra = {};
  if (typeof challenge.claims === "string" && challenge.claims) extra.claims = challenge.claims;
  const scopes = Array.isArray(challenge.scopes) ? challenge.scopes.filter((s) => typeof s === "string" && s) : [];
  if (scopes.length) extra.extraScopesToConsent = scopes;
  return extra;
}

/**
 * Watches the page's popup interactions (one at a time). watch(app, open, {fail, onLate}):
 * `open(extra)` starts the MSAL popup interaction (extra: the override of an abandoned one); the
 * promise settles with it, or rejects with fail("closed") once the popup closed without the redirect
 * page having answered, fail("superseded") when a new interaction replaced it, and fail(errorCode,
 * error) when MSAL failed. An answer that comes after the promise gave up goes to onLate(result).
 */
export function popupWatcher() {
  const watchable = popupIsVisible();
  let abandoned = false; // a sign-in window was closed without an answer: the next one takes over from it
  let pending = null; // the interaction under way: {supersede()}
  let lastAnswer = 0;
  if (typeof BroadcastChannel === "function") {
    new BroadcastChannel(ANSWER_CHANNEL).onmessage = () => { lastAnswer = Date.now(); };
  }

  function watch(app, open, { fail, onLate = () => {} }) {
    if (pending) pending.supersede();
    let popup = null;
    const openedAt = Date.now();
    const events = window.msal && window.msal.EventType && typeof app.addEventCallback === "function";
    const callbackId = events ? app.addEventCallback((event) => {
      if (event.eventType === window.msal.EventType.POPUP_OPENED && event.payload) popup = event.payload.popupWindow;
    }) : null;
    const attempt = open(override());
    abandoned = false;
    return new Promise((resolve, reject) => {
      let settled = false;
      let closedAt = 0;
      const giveUp = (code) => {
        settled = true;
        abandoned = true;
        clearInterval(timer);
        reject(fail(code, null));
      };
      const timer = setInterval(() => {
        if (!watchable || settled || !popup || !popup.closed) return;
        closedAt = closedAt || Date.now();
        if (lastAnswer >= openedAt || Date.now() - closedAt < CLOSED_GRACE_MS) return;
        giveUp("closed");
      }, POLL_MS);
      const self = { supersede: () => { if (!settled) giveUp("superseded"); } };
      pending = self;
      const done = () => {
        clearInterval(timer);
        if (callbackId) app.removeEventCallback(callbackId);
        if (pending === self) pending = null;
      };
      attempt.then((result) => {
        done();
        abandoned = false;
        if (settled) {
          onLate(result); // the answer came after all (a window we could not watch, or a slow one)
          return;
        }
        settled = true;
        resolve(result);
      }, (error) => {
        done();
        if (settled) return; // already reported; this is MSAL giving up on it later
        settled = true;
        reject(fail((error && error.errorCode) || "unknown", error));
      });
    });
  }

  /** What the next interaction adds: the override of an abandoned one, if any. */
  function override() {
    return abandoned ? { overrideInteractionInProgress: true } : {};
  }

  return { watchable, watch, override };
}
