/*
 * How the workspace proves who it is; the server says which way in /workspace/config.json:
 * - "dev" (demo): the X-Dev-User header names the user; the demo can switch between its people;
 * - "entra": an Entra access token for our API from MSAL.js, sent as a Bearer token.
 *
 * Entra mode is MSAL.js's standard public client: authorization code + PKCE for a single-page app.
 * Not Nested App Authentication: NAA needs the Office host's bridge, which only an add-in page that
 * Outlook itself hosts has. The workspace is never one: no manifest names it, and its CSP
 * (frame-ancestors 'self') keeps Outlook on the web from framing it. In a normal browser
 * createNestablePublicClientApplication would only fall back to this same client
 * (https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/v4-migration.md,
 * "Removal of PublicClientNext").
 *
 * Sign-in opens Entra in a popup, so the workspace keeps its place. Entra answers at the redirect page
 * (config.redirect_path, /workspace/auth-redirect.html), where MSAL's redirect bridge hands the
 * answer back over a BroadcastChannel and closes the popup; MSAL.js v5 needs that page because
 * Entra's Cross-Origin-Opener-Policy cuts the popup off from its opener:
 * https://learn.microsoft.com/entra/msal/javascript/browser/redirect-bridge
 * When the browser blocks the popup, the user can sign in in this window instead (a redirect through
 * the same page, which then returns here). Sign-out is a popup to Entra's logout, back to the same
 * page. All of it works under the workspace's CSP: top-level navigations and popups are not what CSP
 * restricts; MSAL only needs connect-src (token endpoint) and frame-src (silent renewal) for Entra.
 *
 * signIn(challenge) also answers the server's on-behalf-of exchange when Entra needs the user for
 * Microsoft Graph (POST /api/v1/me/graph-connection: 401 graph-interaction-required with `claims` and
 * `scopes`): the popup then carries the claims challenge (MFA / Conditional Access) and asks consent
 * for the Graph scopes the server uses (extraScopesToConsent), so the next token lets the exchange work:
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#error-response-example
 *
 * Loading MSAL.js, the claims challenge and watching the popup are shared with the pane
 * (addin/shared/msal.js).
 *
 * Tokens live in MSAL's cache in sessionStorage (this tab; a reload keeps them). acquireTokenSilent
 * returns a cached token or renews it (refresh token, then a hidden frame through the same redirect
 * page) without showing anything. Tokens are never logged.
 */
import { ApiError, loadConfig as loadPageConfig } from "../../shared/api.js";
import { challengeRequest, currentAccount, msalApplication, popupWatcher } from "../../shared/msal.js";
import { t } from "../../shared/i18n.js";

const MSAL_SCRIPT = "/workspace/vendor/msal-browser.min.js";
const ACT_AS_KEY = "dealpane.workspace.actAs";
// MSAL's default wait for the popup's answer is 60 s, too short for a password plus MFA. Where this
// page can see the popup close (popupIsVisible), a closed one is noticed within a second anyway, so a
// long wait costs nothing.
const POPUP_ANSWER_TIMEOUT_MS = 15 * 60 * 1000;

export function loadConfig() {
  return loadPageConfig("/workspace/config.json");
}

export function createAuth(config) {
  if (config.auth_mode === "dev") return devAuth(config);
  return entraAuth(config);
}

function devAuth(config) {
  const people = config.dev_users || [];
  let user = sessionStorage.getItem(ACT_AS_KEY) || new URLSearchParams(window.location.search).get("user")
    || (people[0] && people[0].email) || "";
  return {
    mode: "dev",
    people,
    user: () => user,
    setUser(email) {
      user = email;
      sessionStorage.setItem(ACT_AS_KEY, email);
    },
    async start() {
      return true;
    },
    /** Nothing to sign in to: the server trusts the header in dev mode (a challenge is ignored). */
    async signIn(challenge = null) {
      return null;
    },
    async headers() {
      if (!user) throw new ApiError("unauthorized", { status: 401, detail: t("workspace.auth.devUser") });
      return { "X-Dev-User": user };
    },
  };
}

/** A sign-in that did not happen: `code` is MSAL's errorCode (or "closed"), `error` the original. */
export class SignInError extends ApiError {
  constructor(code, error = null, detail = "") {
    super("signin", { status: 401, detail });
    this.code = code;
    this.cause = error;
  }
}

function entraAuth(config) {
  // The redirect page on this origin (the bridge talks to same-origin windows only).
  const redirectUri = new URL(config.redirect_path, window.location.origin).href;
  let app = null;
  let starting = null;
  const popups = popupWatcher();
  const watchable = popups.watchable;
  const lateSignIns = new Set();

  const request = () => ({ scopes: [config.scope] });
  const account = () => currentAccount(app);

  /** Load MSAL and finish a sign-in that came back by redirect. True when someone is signed in. */
  function start() {
    if (!starting) {
      starting = (async () => {
        if (!config.client_id || !config.scope) {
          throw new ApiError("server", { detail: t("workspace.auth.noRegistration") });
        }
        app = await msalApplication(MSAL_SCRIPT, "createStandardPublicClientApplication", {
          auth: { clientId: config.client_id, authority: config.authority, redirectUri, postLogoutRedirectUri: redirectUri },
          cache: { cacheLocation: "sessionStorage" },
          system: watchable ? { popupBridgeTimeout: POPUP_ANSWER_TIMEOUT_MS } : {},
        });
      })();
      starting.catch(() => { starting = null; });
    }
    return starting.then(async () => {
      // Returning from a redirect sign-in: the bridge left Entra's answer for this call to redeem.
      // https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/v4-migration.md#cross-origin-opener-policy-coop-support
      let result;
      try {
        result = await app.handleRedirectPromise();
      } catch (error) {
        throw new SignInError(error.errorCode || "unknown", error);
      }
      if (result && result.account) app.setActiveAccount(result.account);
      const current = account();
      if (current && !app.getActiveAccount()) app.setActiveAccount(current);
      return Boolean(current);
    });
  }

  async function headers() {
    if (!app) await start();
    const current = account();
    if (!current) throw new SignInError("no_account");
    let result;
    try {
      result = await app.acquireTokenSilent({ ...request(), account: current });
    } catch (error) {
      if (error instanceof window.msal.InteractionRequiredAuthError) throw new SignInError("expired", error);
      if (error && error.errorCode === "no_network_connectivity") throw new ApiError("network");
      throw new SignInError(error.errorCode || "unknown", error);
    }
    return { Authorization: `Bearer ${result.accessToken}` };
  }

  /** A popup interaction watched (shared/msal.js popupWatcher): failures as SignInError. */
  function watchPopup(open, onLate) {
    return popups.watch(app, open, { fail: (code, error) => new SignInError(code, error), onLate });
  }

  /** The server's Graph challenge (shared/msal.js challengeRequest), for the signed-in account. */
  function challenged(challenge) {
    if (!challenge) return {};
    const current = account();
    return { ...challengeRequest(challenge), ...(current ? { account: current } : {}) };
  }

  /**
   * Sign in in a popup. Call it straight from the click (no await before it): the popup opens
   * inside acquireTokenPopup, and only a click's user activation gets it past popup blockers.
   * `challenge` (optional): the server's Graph challenge, see challenged().
   */
  function signIn(challenge = null) {
    if (!app) return Promise.reject(new SignInError("not_started"));
    const asked = { ...request(), ...challenged(challenge) };
    return watchPopup((extra) => app.acquireTokenPopup({ ...asked, ...extra }), (result) => {
      app.setActiveAccount(result.account);
      for (const listener of lateSignIns) listener();
    }).then((result) => {
      app.setActiveAccount(result.account);
      return result.account;
    });
  }

  /** Sign in in this window: Entra, the redirect page, then back to this page (start() finishes it). */
  async function signInHere() {
    if (!app) await start();
    await app.acquireTokenRedirect({ ...request(), ...popups.override() });
  }

  /**
   * Sign out: MSAL forgets this account's tokens at once, then Entra ends its session in a popup
   * that returns to the redirect page (the bridge reports it done and closes it):
   * https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/v4-migration.md#cross-origin-opener-policy-coop-support
   * Not logoutRedirect: its bridge sends the window to the site's root, not back here (MSAL keeps no
   * start page for a sign-out). Resolves to "entra" when Entra confirmed, "local" when only this
   * browser's tokens are gone (popup blocked or closed: the Entra session may live on).
   */
  function signOut() {
    if (!app) return Promise.reject(new SignInError("not_started"));
    const current = account();
    return watchPopup((extra) => app.logoutPopup({ account: current || undefined, postLogoutRedirectUri: redirectUri,
      ...extra }), () => {}).then(() => "entra", (error) => {
      if (account()) throw error; // MSAL failed before it forgot the tokens
      return "local";
    });
  }

  return {
    mode: "entra",
    people: [],
    redirectUri,
    user: () => null,
    setUser() {},
    start,
    headers,
    signIn,
    signInHere,
    signOut,
    watchesPopup: watchable,
    account: () => {
      const current = account();
      return current ? { name: current.name || current.username, username: current.username } : null;
    },
    onLateSignIn(listener) {
      lateSignIns.add(listener);
    },
  };
}
