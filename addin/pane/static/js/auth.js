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
 * Loading MSAL.js, the claims challenge and watching the popup (which MSAL.js v5 does not notice
 * closing) are shared with the workspace: addin/shared/msal.js.
 */
import { ApiError, loadConfig as loadPageConfig } from "../../shared/api.js";
import { t } from "../../shared/i18n.js";
import { challengeRequest, currentAccount, msalApplication, popupWatcher } from "../../shared/msal.js";

const MSAL_SCRIPT = "/pane/vendor/msal-browser.min.js";
const closedDetail = () => t("pane.signIn.closed");

/** What a failed interactive sign-in tells the user (ApiError detail), from MSAL's error. */
function signInDetail(error) {
  const code = (error && error.errorCode) || "";
  if (code === "popup_window_error" || code === "empty_window_error") {
    return t("pane.signIn.blocked");
  }
  if (code === "user_cancelled") return closedDetail();
  if (code === "timed_out") return t("pane.signIn.timedOut");
  const entra = /AADSTS\d+[^.]*\./.exec(`${(error && error.errorMessage) || ""}`);
  if (entra) return t("pane.signIn.entra", { reason: entra[0] });
  return t("pane.signIn.unfinished");
}

export function loadConfig() {
  return loadPageConfig("/pane/config.json");
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
  const popups = popupWatcher();

  function application() {
    if (!config.client_id || !config.scope) {
      return Promise.reject(new ApiError("auth-not-configured", {
        detail: t("pane.signIn.notConfigured"),
      }));
    }
    if (!appPromise) {
      const auth = { clientId: config.client_id, authority: config.authority };
      // Only the fallback (no NAA) uses it; NAA ignores it. MSAL.js v5's popup ends on this page, whose
      // redirect bridge hands Entra's answer back (the pane page itself runs no bridge):
      // https://learn.microsoft.com/entra/msal/javascript/browser/redirect-bridge
      if (config.redirect_path) auth.redirectUri = new URL(config.redirect_path, window.location.origin).href;
      appPromise = msalApplication(MSAL_SCRIPT, "createNestablePublicClientApplication", { auth });
      appPromise.catch(() => { appPromise = null; });
    }
    return appPromise;
  }

  async function token(interactive, challenge) {
    if (!interactive && cached && cached.expiresOn - Date.now() > 60000) return cached.token;
    const app = await application();
    const request = { scopes: [config.scope] };
    const account = currentAccount(app);
    if (account) request.account = account;
    if (interactive) Object.assign(request, challengeRequest(challenge));
    let result;
    if (interactive) {
      result = await popups.watch(app, (extra) => app.acquireTokenPopup({ ...request, ...extra }), {
        // Closed or replaced: said in words; MSAL's own error: signIn() puts it in words.
        fail: (code, error) => error || new ApiError("unauthorized", {
          status: 401, detail: code === "closed" ? closedDetail() : t("pane.signIn.replaced") }),
        onLate: (late) => keep(app, late), // the answer came after all: kept for the next call
      });
    } else {
      try {
        result = await app.acquireTokenSilent(request);
      } catch (error) {
        throw new ApiError("unauthorized", { status: 401, detail: t("pane.signIn.needed") });
      }
    }
    return keep(app, result);
  }

  function keep(app, result) {
    if (result.account) app.setActiveAccount(result.account);
    cached = { token: result.accessToken, expiresOn: result.expiresOn ? new Date(result.expiresOn).getTime() : Date.now() + 300000 };
    return cached.token;
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
