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
 * Tokens live in MSAL's cache in sessionStorage (this tab; a reload keeps them). acquireTokenSilent
 * returns a cached token or renews it (refresh token, then a hidden frame through the same redirect
 * page) without showing anything. Tokens are never logged.
 */
import { ApiError } from "./api.js";

const MSAL_SCRIPT = "/workspace/vendor/msal-browser.min.js";
const ACT_AS_KEY = "dealpane.workspace.actAs";
// The redirect page says "Entra answered" on this channel just before the bridge closes the popup,
// so a popup that closes *without* an answer can be told apart (see signIn).
export const ANSWER_CHANNEL = "dealpane.auth-redirect";
const POLL_MS = 250;
const CLOSED_GRACE_MS = 750;
// MSAL's default wait for the popup's answer is 60 s, too short for a password plus MFA. Where this
// page can see the popup close (popupIsVisible), a closed one is noticed within a second anyway, so a
// long wait costs nothing.
const POPUP_ANSWER_TIMEOUT_MS = 15 * 60 * 1000;

/**
 * Whether `popup.closed` will tell the truth: MSAL's own "popup origin check" (pocd), which passes
 * when every frame above this page is same-origin and its top window has no opener from another
 * origin. Then MSAL sends pocd=1 and Entra leaves out the Cross-Origin-Opener-Policy header that
 * would otherwise cut the popup off ("closed" reads true while it is open): "The pocd parameter" in
 * https://github.com/AzureAD/microsoft-authentication-library-for-js/blob/dev/lib/msal-browser/docs/configuration.md
 * (MSAL.js utils/PopupOriginCheck.ts computes the same).
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

export async function loadConfig() {
  let response;
  try {
    response = await fetch("/workspace/config.json", { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch (ignored) {
    throw new ApiError("network");
  }
  if (!response.ok) throw new ApiError("server", { status: response.status });
  return response.json();
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.addEventListener("load", resolve);
    script.addEventListener("error", () => reject(new ApiError("server", { detail: "MSAL.js could not be loaded." })));
    document.head.append(script);
  });
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
      if (!user) throw new ApiError("unauthorized", { status: 401, detail: "Dev mode: open /workspace/?user=you@example.com to act as someone." });
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
  let abandoned = false; // a sign-in window was closed without an answer: the next one takes over from it
  let lastAnswer = 0;
  let pending = null; // the popup interaction under way: {supersede()}
  const watchable = popupIsVisible();
  const lateSignIns = new Set();

  if (typeof BroadcastChannel === "function") {
    new BroadcastChannel(ANSWER_CHANNEL).onmessage = () => {
      lastAnswer = Date.now();
    };
  }

  const request = () => ({ scopes: [config.scope] });
  const account = () => (app ? app.getActiveAccount() || app.getAllAccounts()[0] || null : null);

  /** Load MSAL and finish a sign-in that came back by redirect. True when someone is signed in. */
  function start() {
    if (!starting) {
      starting = (async () => {
        if (!config.client_id || !config.scope) {
          throw new ApiError("server", { detail: "This Dealpane server has no Entra app registration configured; ask your administrator." });
        }
        if (!window.msal) await loadScript(MSAL_SCRIPT);
        app = await window.msal.createStandardPublicClientApplication({
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

  /**
   * `open()` starts an MSAL popup interaction; the promise settles with it, or rejects with
   * SignInError("closed") once the popup closed without the redirect page having answered, or with
   * SignInError("superseded") when a new interaction replaced it.
   *
   * MSAL.js v5 does not notice a popup the user closes: it waits for the bridge until its timeout
   * (AzureAD/microsoft-authentication-library-for-js#8521). So where the popup stays visible to us
   * (popupIsVisible) this watches it (MSAL's POPUP_OPENED event hands it over); elsewhere the user
   * can start again. Either way the next interaction overrides the abandoned one
   * (overrideInteractionInProgress, "a last resort in case user closed popup window":
   * AzureAD/microsoft-authentication-library-for-js#8118).
   */
  function watchPopup(open, onLate) {
    if (pending) pending.supersede();
    let popup = null;
    const openedAt = Date.now();
    const callbackId = app.addEventCallback((event) => {
      if (event.eventType === window.msal.EventType.POPUP_OPENED && event.payload) popup = event.payload.popupWindow;
    });
    const override = abandoned;
    abandoned = false;
    const attempt = open(override ? { overrideInteractionInProgress: true } : {});
    return new Promise((resolve, reject) => {
      let settled = false;
      let closedAt = 0;
      const giveUp = (code) => {
        settled = true;
        abandoned = true;
        clearInterval(watch);
        reject(new SignInError(code));
      };
      const watch = setInterval(() => {
        if (!watchable || settled || !popup || !popup.closed) return;
        closedAt = closedAt || Date.now();
        if (lastAnswer >= openedAt || Date.now() - closedAt < CLOSED_GRACE_MS) return;
        giveUp("closed");
      }, POLL_MS);
      const self = { supersede: () => { if (!settled) giveUp("superseded"); } };
      pending = self;
      const done = () => {
        clearInterval(watch);
        app.removeEventCallback(callbackId);
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
        reject(new SignInError((error && error.errorCode) || "unknown", error));
      });
    });
  }

  /**
   * What an interactive sign-in adds for the server's Graph challenge ({error, claims, scopes} from a
   * 401 graph-interaction-required): Entra's claims challenge (JSON, passed on as given) and the Graph
   * scopes to consent to; and the signed-in account, so Entra asks the same user again.
   * https://azuread.github.io/microsoft-authentication-library-for-js/ref/types/_azure_msal_browser.PopupRequest.html
   */
  function challenged(challenge) {
    if (!challenge) return {};
    const extra = {};
    if (typeof challenge.claims === "string" && challenge.claims) extra.claims = challenge.claims;
    const scopes = Array.isArray(challenge.scopes) ? challenge.scopes.filter((s) => typeof s === "string" && s) : [];
    if (scopes.length) extra.extraScopesToConsent = scopes;
    const current = account();
    if (current) extra.account = current;
    return extra;
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
    await app.acquireTokenRedirect({ ...request(), ...(abandoned ? { overrideInteractionInProgress: true } : {}) });
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
