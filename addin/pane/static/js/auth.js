/*
 * How the pane proves who it is. The server says which way in /pane/config.json:
 * - "dev" (demo mode): the X-Dev-User header carries the mailbox owner's address;
 * - "entra": an Entra access token for our API from MSAL.js Nested App Authentication
 *   (createNestablePublicClientApplication), sent as a Bearer token.
 */
import { ApiError } from "./api.js";

const MSAL_SCRIPT = "/pane/vendor/msal-browser.min.js";

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
      async signIn() { /* nothing to do: the server trusts the header in dev mode */ },
    };
  }
  return entraAuth(config);
}

function entraAuth(config) {
  let appPromise = null;
  let cached = null; // {token, expiresOn}

  function application() {
    if (!config.client_id || !config.scope) {
      return Promise.reject(new ApiError("auth-not-configured", {
        detail: "This Dealpane server has no Entra app registration configured; ask your administrator.",
      }));
    }
    if (!appPromise) {
      appPromise = (window.msal ? Promise.resolve() : loadScript(MSAL_SCRIPT)).then(() =>
        window.msal.createNestablePublicClientApplication({
          auth: { clientId: config.client_id, authority: config.authority },
        }));
      appPromise.catch(() => { appPromise = null; });
    }
    return appPromise;
  }

  async function token(interactive) {
    if (!interactive && cached && cached.expiresOn - Date.now() > 60000) return cached.token;
    const app = await application();
    const request = { scopes: [config.scope] };
    const account = app.getActiveAccount() || app.getAllAccounts()[0];
    if (account) request.account = account;
    let result;
    if (interactive) {
      result = await app.acquireTokenPopup(request);
    } else {
      try {
        result = await app.acquireTokenSilent(request);
      } catch (error) {
        throw new ApiError("unauthorized", { status: 401, detail: "Sign in to Dealpane to continue." });
      }
    }
    if (result.account) app.setActiveAccount(result.account);
    cached = { token: result.accessToken, expiresOn: result.expiresOn ? new Date(result.expiresOn).getTime() : Date.now() + 300000 };
    return cached.token;
  }

  return {
    mode: "entra",
    async headers() {
      return { Authorization: `Bearer ${await token(false)}` };
    },
    async signIn() {
      cached = null;
      try {
        await token(true);
      } catch (error) {
        if (error instanceof ApiError) throw error;
        throw new ApiError("unauthorized", { status: 401, detail: "Sign-in did not finish. Try again." });
      }
    },
  };
}
