/*
 * How the workspace proves who it is; the server says which way in /workspace/config.json:
 * - "dev" (demo): the X-Dev-User header names the user; the demo can switch between its people;
 * - "entra": an Entra access token for our API from MSAL.js (Nested App Authentication inside
 *   Outlook; MSAL falls back to a normal browser sign-in elsewhere), sent as a Bearer token.
 */
import { ApiError } from "./api.js";

const MSAL_SCRIPT = "/workspace/vendor/msal-browser.min.js";
const ACT_AS_KEY = "dealpane.workspace.actAs";

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
    async headers() {
      if (!user) throw new ApiError("unauthorized", { status: 401, detail: "Dev mode: open /workspace/?user=you@example.com to act as someone." });
      return { "X-Dev-User": user };
    },
    async signIn() {},
  };
}

function entraAuth(config) {
  let appPromise = null;
  let cached = null;

  function application() {
    if (!config.client_id || !config.scope) {
      return Promise.reject(new ApiError("server", {
        detail: "This Dealpane server has no Entra app registration configured; ask your administrator.",
      }));
    }
    if (!appPromise) {
      appPromise = (window.msal ? Promise.resolve() : loadScript(MSAL_SCRIPT)).then(() =>
        window.msal.createNestablePublicClientApplication({
          auth: { clientId: config.client_id, authority: config.authority, redirectUri: `${window.location.origin}/workspace/` },
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
    people: [],
    user: () => null,
    setUser() {},
    async headers() {
      return { Authorization: `Bearer ${await token(false)}` };
    },
    async signIn() {
      cached = null;
      await token(true);
    },
  };
}
