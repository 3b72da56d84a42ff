/*
 * How the pane proves who it is. The server says which way in /pane/config.json:
 * - "dev" (demo mode): the X-Dev-User header carries the mailbox owner's address;
 * - "entra": an Entra access token for our API from MSAL.js Nested App Authentication
 *   (createNestablePublicClientApplication), sent as a Bearer token.
 *
 * signIn(challenge): an interactive sign-in. When the server's on-behalf-of exchange needed the user
 * (problem members {error, claims, scopes}), the popup carries the claims challenge (MFA / Conditional
 * Access) and asks consent for the Graph scopes the server uses (extraScopesToConsent), so the next
 * token lets the exchange succeed:
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#error-response-example
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge
 * https://azuread.github.io/microsoft-authentication-library-for-js/ref/types/_azure_msal_browser.PopupRequest.html
 *
 * Where the host offers no NAA (older Outlook builds, a plain browser), MSAL.js falls back to its
 * standard public client, whose popup sign-in ends on the app's redirect URI. MSAL.js v5 needs that
 * page to run its redirect bridge (and to be served without Cross-Origin-Opener-Policy); the pane
 * uses the workspace's, config.redirect_path (/workspace/auth-redirect.html), on this same origin:
 * https://learn.microsoft.com/entra/msal/javascript/browser/redirect-bridge
 * MSAL.js v5 does not notice a popup the user closes (it waits for the bridge until its timeout,
 * AzureAD/microsoft-authentication-library-for-js#8521), e.g. after Entra showed an error there
 * (AADSTS50011: that redirect URI is not registered). Where the pane can see its popup (see
 * popupIsVisible) it watches it and gives up at once, and the next sign-in takes over from the
 * abandoned one (overrideInteractionInProgress).
 */
import { ApiError } from "./api.js";

const MSAL_SCRIPT = "/pane/vendor/msal-browser.min.js";
// The redirect page (addin/workspace/static/js/auth-redirect.js) says "answered" on this channel just
// before its bridge hands MSAL the answer and closes the popup: so a popup closed *without* one shows.
const ANSWER_CHANNEL = "dealpane.auth-redirect";
const POLL_MS = 250;
const CLOSED_GRACE_MS = 750;
const CLOSED_DETAIL = "The sign-in window was closed before Microsoft Entra ID signed you in. Sign in again when you "
  + "are ready; if the window showed an error code (AADSTS…), give it to your administrator.";

/**
 * Whether `popup.closed` tells the truth: every frame above the pane is on its origin and its top
 * window has no opener from another origin. MSAL then sends pocd=1 and Entra leaves out the
 * Cross-Origin-Opener-Policy that would cut the popup off ("The pocd parameter" in
 * https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/configuration.md).
 * Inside Outlook on the web the pane is a cross-origin frame: not watched there.
 */
function popupIsVisible() {
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

/** What a failed interactive sign-in tells the user (ApiError detail), from MSAL's error. */
function signInDetail(error) {
  const code = (error && error.errorCode) || "";
  if (code === "popup_window_error" || code === "empty_window_error") {
    return "Your browser blocked the sign-in window. Allow pop-ups for this site, then sign in again.";
  }
  if (code === "user_cancelled") return CLOSED_DETAIL;
  if (code === "timed_out") return "Signing in took too long. Sign in again.";
  const entra = /AADSTS\d+[^.]*\./.exec(`${(error && error.errorMessage) || ""}`);
  if (entra) return `Microsoft Entra ID did not sign you in: ${entra[0]}`;
  return "Sign-in did not finish. Try again.";
}

export async function loadConfig() {
  let response;
  try {
    response = await fetch("/pane/config.json", { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch (ignored) {
    throw new ApiError("network");
  }
  if (!response.ok) throw new ApiError(response.status >= 500 ? "unavailable" : "server", { status: response.status });
  return response.json();
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new ApiError("server", { detail: "MSAL.js could not be loaded from the Dealpane server." }));
    document.head.append(script);
  });
}

export function createAuth(config, mailbox) {
  if (config.auth_mode === "dev") {
    return {
      mode: "dev",
      async headers() {
        return { "X-Dev-User": mailbox.userEmail() };
      },
      async signIn(challenge) { /* nothing to do: the server trusts the header in dev mode */ },
    };
  }
  return entraAuth(config);
}

function entraAuth(config) {
  let appPromise = null;
  let cached = null; // {token, expiresOn}
  let abandoned = false; // a sign-in window closed without an answer: the next one takes over from it
  let pending = null; // the popup sign-in under way: {supersede()}
  let lastAnswer = 0;
  const watchable = popupIsVisible();
  if (config.redirect_path && typeof BroadcastChannel === "function") {
    new BroadcastChannel(ANSWER_CHANNEL).onmessage = () => { lastAnswer = Date.now(); };
  }

  function application() {
    if (!config.client_id || !config.scope) {
      return Promise.reject(new ApiError("auth-not-configured", {
        detail: "This Dealpane server has no Entra app registration configured; ask your administrator.",
      }));
    }
    if (!appPromise) {
      const auth = { clientId: config.client_id, authority: config.authority };
      // Only the fallback (no NAA) uses it; NAA ignores it. MSAL.js v5's popup ends on this page, whose
      // redirect bridge hands Entra's answer back (the pane page itself runs no bridge):
      // https://learn.microsoft.com/entra/msal/javascript/browser/redirect-bridge
      if (config.redirect_path) auth.redirectUri = new URL(config.redirect_path, window.location.origin).href;
      appPromise = (window.msal ? Promise.resolve() : loadScript(MSAL_SCRIPT)).then(() =>
        window.msal.createNestablePublicClientApplication({ auth }));
      appPromise.catch(() => { appPromise = null; });
    }
    return appPromise;
  }

  async function token(interactive, challenge) {
    if (!interactive && cached && cached.expiresOn - Date.now() > 60000) return cached.token;
    const app = await application();
    const request = { scopes: [config.scope] };
    const account = app.getActiveAccount() || app.getAllAccounts()[0];
    if (account) request.account = account;
    if (interactive && challenge) {
      if (challenge.claims) request.claims = challenge.claims;
      if (challenge.scopes && challenge.scopes.length) request.extraScopesToConsent = challenge.scopes;
    }
    let result;
    if (interactive) {
      result = await popup(app, request);
    } else {
      try {
        result = await app.acquireTokenSilent(request);
      } catch (error) {
        throw new ApiError("unauthorized", { status: 401, detail: "Sign in to Dealpane to continue." });
      }
    }
    return keep(app, result);
  }

  function keep(app, result) {
    if (result.account) app.setActiveAccount(result.account);
    cached = { token: result.accessToken, expiresOn: result.expiresOn ? new Date(result.expiresOn).getTime() : Date.now() + 300000 };
    return cached.token;
  }

  /**
   * acquireTokenPopup, settling as soon as its window closes without an answer (where the pane can see
   * it: MSAL's POPUP_OPENED event hands it over) or when a new sign-in replaces it. An answer that comes
   * after all is still kept for the next call.
   */
  function popup(app, request) {
    if (pending) pending.supersede();
    if (abandoned) request.overrideInteractionInProgress = true;
    abandoned = false;
    let opened = null;
    const openedAt = Date.now();
    const events = window.msal && window.msal.EventType && typeof app.addEventCallback === "function";
    const callbackId = events ? app.addEventCallback((event) => {
      if (event.eventType === window.msal.EventType.POPUP_OPENED && event.payload) opened = event.payload.popupWindow;
    }) : null;
    const attempt = app.acquireTokenPopup(request);
    return new Promise((resolve, reject) => {
      let settled = false;
      let closedAt = 0;
      const giveUp = (detail) => {
        settled = true;
        abandoned = true;
        clearInterval(watch);
        reject(new ApiError("unauthorized", { status: 401, detail }));
      };
      const watch = setInterval(() => {
        if (!watchable || settled || !opened || !opened.closed) return;
        closedAt = closedAt || Date.now();
        if (lastAnswer >= openedAt || Date.now() - closedAt < CLOSED_GRACE_MS) return;
        giveUp(CLOSED_DETAIL);
      }, POLL_MS);
      const self = { supersede: () => { if (!settled) giveUp("A new sign-in replaced this one."); } };
      pending = self;
      const done = () => {
        clearInterval(watch);
        if (callbackId) app.removeEventCallback(callbackId);
        if (pending === self) pending = null;
      };
      attempt.then((result) => {
        done();
        abandoned = false;
        if (settled) {
          keep(app, result); // the answer came after all
          return;
        }
        settled = true;
        resolve(result);
      }, (error) => {
        done();
        if (settled) return; // already reported; this is MSAL giving up on it later
        settled = true;
        reject(error);
      });
    });
  }

  return {
    mode: "entra",
    async headers() {
      return { Authorization: `Bearer ${await token(false)}` };
    },
    async signIn(challenge) {
      cached = null;
      try {
        await token(true, challenge);
      } catch (error) {
        if (error instanceof ApiError) throw error;
        throw new ApiError("unauthorized", { status: 401, detail: signInDetail(error) });
      }
    },
  };
}
