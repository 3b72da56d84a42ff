/*
 * The sales workspace: boot (config, sign-in, workspace), the header (workspace picker, the demo's
 * "act as" switch, sign-out) and a hash router over the views. Views render into <main> from the REST API.
 *
 * Entra mode, once per sign-in: POST /api/v1/me/graph-connection, beside the view (never blocking it).
 * The server exchanges the user's token for Microsoft Graph (on-behalf-of); when that works, a mailbox
 * of theirs that was waiting for them to sign in syncs again at once. When Entra needs the user first
 * (consent, or MFA / Conditional Access: 401 graph-interaction-required with `claims` and `scopes`), a
 * banner above <main> offers Reconnect: an interactive sign-in carrying that challenge, then the check
 * again. https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#error-response-example
 */
import { ApiError, createApi, describeError } from "./api.js";
import { createAuth, loadConfig } from "./auth.js";
import { h, options, replace } from "../../shared/dom.js";
import { describeSignIn, renderSignIn } from "./signin.js";
import { announce, confirmAction, errorNotice, notice, withBusy } from "./ui.js";
import { language, locale, t, useLanguage } from "../../shared/i18n.js";
import * as opportunities from "./views/opportunities.js";
import * as opportunity from "./views/opportunity.js";
import * as records from "./views/records.js";
import * as dashboard from "./views/dashboard.js";
import * as transfer from "./views/transfer.js";
import * as customise from "./views/customise.js";
import * as board from "./views/board.js";
import * as reminders from "./views/reminders.js";

const WS_KEY = "dealpane.workspace.ws";
const GRAPH_CONNECTION = "/api/v1/me/graph-connection";
const GRAPH_CHALLENGE_TYPE = "/graph-interaction-required"; // the problem type's last segment
const ME = "/api/v1/me";
const main = document.getElementById("main");
const graphBanner = document.getElementById("graph-connection");
let graphChecked = false; // this sign-in's check has been started (start() begins a new sign-in)
let graphRun = 0; // the current check: answers of an earlier one (before a sign-out, a new sign-in) are dropped

const ctx = {
  main,
  config: null,
  auth: null,
  api: null,
  me: null,
  ws: null,
  members: [],
  stages: [],
  lists: {},
  languageChoice: null, // the user's saved language ("en", "fr") or null: the browser's
  dirtyForm: null, // the record form with unsaved input (a saved one is drawn again: a new form)
  announce,
  go(hash) {
    if (window.location.hash === hash) route();
    else window.location.hash = hash;
  },
  isOwner() {
    return ctx.ws && ctx.ws.role === "owner";
  },
  currency() {
    return (ctx.ws && ctx.ws.currency) || "USD";
  },
  memberName(userId) {
    const m = ctx.members.find((x) => x.user_id === userId);
    return m ? (m.display_name || m.email) : "";
  },
  async refreshStages() {
    ctx.stages = (await ctx.api.get("/sales-stages")).items;
    return ctx.stages;
  },
  async list(name, fresh = false) {
    if (fresh || !ctx.lists[name]) ctx.lists[name] = (await ctx.api.get(`/lists/${name}`)).values;
    return ctx.lists[name];
  },
};

const ROUTES = {
  opportunities: (p) => (p[0] ? opportunity.render(ctx, p[0]) : opportunities.render(ctx)),
  board: () => board.render(ctx),
  reminders: () => reminders.render(ctx),
  accounts: (p) => records.render(ctx, "accounts", p[0]),
  contacts: (p) => records.render(ctx, "contacts", p[0]),
  "marketing-activities": (p) => records.render(ctx, "marketing-activities", p[0]),
  products: (p) => records.render(ctx, "products", p[0]),
  dashboard: () => dashboard.render(ctx),
  transfer: () => transfer.render(ctx),
  customise: () => customise.render(ctx),
};

function parseHash() {
  const parts = window.location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const name = ROUTES[parts[0]] ? parts[0] : "opportunities";
  return { name, params: ROUTES[parts[0]] ? parts.slice(1) : [] };
}

/** Entra mode, nobody (or nobody valid) signed in: the sign-in screen, with what went wrong. */
function showSignIn(problem = null, info = null) {
  ctx.ws = null;
  clearGraphBanner();
  document.getElementById("tabs").hidden = true;
  document.getElementById("workspace-picker").hidden = true;
  document.getElementById("sign-out").hidden = true;
  document.getElementById("who").textContent = "";
  renderSignIn(main, ctx.auth, () => start(), problem && problem.code === "no_account" ? null : problem, info);
  main.setAttribute("aria-busy", "false");
}

const needsSignIn = (error) => ctx.auth && ctx.auth.mode === "entra" && error
  && (error.kind === "signin" || error.kind === "unauthorized");

async function route() {
  if (!ctx.ws) return;
  const { name, params } = parseHash();
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  main.setAttribute("aria-busy", "true");
  ctx.dirtyForm = null;
  replace(main, h("p", { class: "muted" }, t("workspace.loading")));
  try {
    await ROUTES[name](params);
  } catch (error) {
    if (needsSignIn(error)) {
      showSignIn(error);
      return;
    }
    replace(main, errorNotice(error));
  } finally {
    main.setAttribute("aria-busy", "false");
  }
}

async function loadWorkspace(id) {
  const ws = ctx.me.workspaces.find((w) => w.id === id) || ctx.me.workspaces[0];
  ctx.ws = ws;
  ctx.lists = {};
  sessionStorage.setItem(WS_KEY, ws.id);
  ctx.base = `/api/v1/workspaces/${encodeURIComponent(ws.id)}`;
  const [members] = await Promise.all([ctx.api.get("/members"), ctx.refreshStages()]);
  ctx.members = members.items;
  const select = document.getElementById("workspace-select");
  document.getElementById("workspace-picker").hidden = false;
  document.getElementById("tabs").hidden = false;
  paintHeader();
}

/** The header's words that depend on data (workspace names, who is signed in), in the page's language. */
function paintHeader() {
  paintLanguagePicker();
  paintActAs();
  if (!ctx.ws || !ctx.me) return;
  const select = document.getElementById("workspace-select");
  options(select, ctx.me.workspaces.map((w) => [w.id, w.role === "owner" ? t("workspace.header.ownedWorkspace", { name: w.name }) : w.name]),
    ctx.ws.id);
  document.getElementById("who").textContent = t("workspace.header.who", {
    name: ctx.me.user.display_name || ctx.me.user.email, role: ctx.ws.role === "owner" ? "owner" : "member" });
}

// ---- the page's language ----------------------------------------------------------------------

/** The browser's languages, most wanted first (["fr-FR", "fr", "en"]). */
function browserTags() {
  const tags = Array.from(navigator.languages || []);
  return tags.length ? tags : [navigator.language].filter(Boolean);
}

/** The tags to load for a choice: the saved language (with the browser's region for it, when the
 * browser names one: "fr-CA" keeps Canadian dates), or the browser's own list when none is chosen. */
function wantedTags(choice) {
  if (!choice) return browserTags();
  const regional = browserTags().find((tag) => String(tag).split("-")[0].toLowerCase() === choice && tag.includes("-"));
  return [regional || choice];
}

/** Loads the messages of `choice` (null: the browser's languages) unless the page already speaks it. */
async function speak(choice, force = false) {
  const before = language();
  await useLanguage(wantedTags(choice), { available: (ctx.config && ctx.config.languages) || ["en"] });
  return force || language() !== before;
}

function paintLanguagePicker() {
  const select = document.getElementById("language-select");
  const available = (ctx.config && ctx.config.languages) || [];
  // Each language named in its own words ("Français" in an English page too).
  options(select, [["", t("workspace.language.automatic")],
    ...available.map((code) => [code, t(`workspace.language.name.${code}`)])], ctx.languageChoice || "");
  document.getElementById("language-picker").hidden = !(ctx.me && available.length > 1);
}

/** The picker changed: saved on the server for this user (PATCH /api/v1/me), then the view again in it. */
async function chooseLanguage(select) {
  const choice = select.value || null;
  const unsaved = ctx.dirtyForm && ctx.dirtyForm.isConnected;
  if (unsaved && !await confirmAction(t("workspace.language.confirmTitle"), t("workspace.language.confirmText"),
    t("workspace.language.confirmAction"))) {
    select.value = ctx.languageChoice || "";
    return;
  }
  try {
    const answer = await ctx.api.patch(ME, { language: choice });
    ctx.languageChoice = (answer && answer.user ? answer.user.language : answer && answer.language) ?? choice;
  } catch (error) {
    select.value = ctx.languageChoice || "";
    main.prepend(errorNotice(error)); // above the view, which stays as it was
    return;
  }
  await speak(ctx.languageChoice, true);
  paintHeader();
  announce(t("workspace.language.changed"));
  if (ctx.ws) await route();
}

async function signedIn() {
  ctx.me = await ctx.api.get(ME);
  ctx.languageChoice = (ctx.me.user && ctx.me.user.language) || null;
  if (await speak(ctx.languageChoice)) paintHeader();
  paintLanguagePicker();
  document.getElementById("sign-out").hidden = ctx.auth.mode !== "entra";
  if (ctx.auth.mode === "entra" && !graphChecked) {
    graphChecked = true;
    checkGraphConnection(); // not awaited: the view loads meanwhile
  }
  if (!ctx.me.workspaces.length) {
    replace(main, noWorkspace());
    main.setAttribute("aria-busy", "false");
    return;
  }
  const wanted = sessionStorage.getItem(WS_KEY);
  const demo = ctx.me.workspaces.find((w) => w.name === "Demo");
  await loadWorkspace(ctx.me.workspaces.some((w) => w.id === wanted) ? wanted : (demo || ctx.me.workspaces[0]).id);
  await route();
}

function noWorkspace() {
  const name = h("input", { type: "text", id: "new-ws-name", required: true, maxlength: 200 });
  const slot = h("div", { class: "slot" });
  return h("section", { class: "card" },
    h("h1", null, t("workspace.noWorkspace.title")),
    h("p", null, t("workspace.noWorkspace.text")),
    slot,
    h("form", { class: "inline-form", onsubmit: async (event) => {
      event.preventDefault();
      try {
        await ctx.api.post("/api/v1/workspaces", { name: name.value });
        await signedIn();
      } catch (error) {
        replace(slot, errorNotice(error));
      }
    } },
    h("div", { class: "field" }, h("label", { for: name.id }, t("workspace.noWorkspace.name")), name),
    h("button", { type: "submit", class: "button primary" }, t("workspace.noWorkspace.create"))));
}

/** The demo's people to act as, named in the page's language. */
function paintActAs() {
  const people = (ctx.auth && ctx.auth.people) || [];
  if (ctx.auth.mode !== "dev" || !people.length) return;
  const select = document.getElementById("act-as-select");
  const current = ctx.auth.user();
  const list = people.some((p) => p.email === current) ? people : [...people, { email: current, label: current }];
  options(select, list.map((p) => [p.email, p.name ? t("workspace.header.person", { name: p.name, role: p.role }) : p.label]), current);
}

function setUpActAs() {
  const people = ctx.auth.people || [];
  if (ctx.auth.mode !== "dev" || !people.length) return;
  const select = document.getElementById("act-as-select");
  paintActAs();
  document.getElementById("act-as").hidden = false;
  select.addEventListener("change", async () => {
    ctx.auth.setUser(select.value);
    announce(t("workspace.header.actingAs", { name: select.options[select.selectedIndex].text }));
    main.setAttribute("aria-busy", "true");
    try {
      await signedIn();
    } catch (error) {
      replace(main, errorNotice(error));
      main.setAttribute("aria-busy", "false");
    }
  });
}

function setUpSignOut() {
  const button = document.getElementById("sign-out");
  button.addEventListener("click", () => {
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    // Called straight from the click: Entra's sign-out opens in a popup.
    ctx.auth.signOut().then((how) => {
      showSignIn(null, how === "entra" ? { title: t("workspace.signOut.done"), text: "" } : {
        title: t("workspace.signOut.local"),
        text: t("workspace.signOut.localText"),
      });
    }, (error) => {
      const about = describeSignIn(error) || {};
      replace(main, notice("error", t("workspace.signOut.failed"), about.text || String(error && error.message)));
    }).finally(() => button.removeAttribute("aria-disabled"));
  });
}

// ---- the user's mailbox link (Entra mode) ------------------------------------------------------

/** Entra's challenge in a 401 graph-interaction-required problem ({error, claims, scopes}), else null:
 * a 401 of another type is our API refusing the token, which the normal sign-in flow handles. */
function graphChallenge(error) {
  if (!(error instanceof ApiError) || error.status !== 401 || !String(error.type || "").endsWith(GRAPH_CHALLENGE_TYPE)) {
    return null;
  }
  const body = error.body || {};
  return {
    error: typeof body.error === "string" ? body.error : "interaction_required",
    claims: typeof body.claims === "string" && body.claims ? body.claims : null,
    scopes: Array.isArray(body.scopes) ? body.scopes.filter((s) => typeof s === "string" && s) : [],
  };
}

/** The check itself; never throws: {answer} or {error, challenge}. */
async function askGraphConnection() {
  try {
    return { answer: await ctx.api.post(GRAPH_CONNECTION) };
  } catch (error) {
    return { error, challenge: graphChallenge(error) };
  }
}

function clearGraphBanner() {
  graphRun += 1;
  graphBanner.hidden = true;
  replace(graphBanner);
}

function recoveredText(answer) {
  const recovered = (answer && Array.isArray(answer.recovered) ? answer.recovered : []).filter((a) => typeof a === "string");
  if (!recovered.length) return "";
  return t("workspace.graph.recovered", { count: recovered.length,
    mailboxes: new Intl.ListFormat(locale(), { type: "conjunction" }).format(recovered) });
}

/** Once per sign-in: only Entra's challenge shows a banner; any other failure shows nothing here. */
function checkGraphConnection() {
  clearGraphBanner();
  const run = graphRun;
  askGraphConnection().then((result) => {
    if (run !== graphRun) return;
    if (result.challenge) showReconnect(run, result.error, result.challenge);
    const recovered = recoveredText(result.answer);
    if (recovered) announce(recovered);
  });
}

function showReconnect(run, error, challenge, problem = null) {
  const slot = h("div", { class: "slot" });
  const button = h("button", { type: "button", class: "button primary", id: "graph-reconnect" }, t("workspace.graph.reconnect"));
  button.addEventListener("click", () => {
    if (button.disabled) return;
    // signIn() runs inside this click (withBusy calls it at once): the popup needs the click's activation.
    // Where the workspace cannot see the window close (auth.watchesPopup false), Reconnect stays usable
    // to start again; the new window takes over from the lost one.
    if (ctx.auth.watchesPopup) withBusy(button, t("workspace.graph.reconnecting"), () => reconnect(run, challenge, slot));
    else reconnect(run, challenge, slot);
  });
  replace(graphBanner,
    notice("warning", t("workspace.graph.needed"),
      error.detail || t("workspace.graph.neededText"),
      h("div", { class: "actions" }, button)),
    slot);
  if (problem) replace(slot, problem);
  graphBanner.hidden = false;
}

async function reconnect(run, challenge, slot) {
  const before = ctx.auth.account();
  const signingIn = ctx.auth.signIn(challenge);
  replace(slot, h("p", { class: "muted", role: "status" }, ctx.auth.watchesPopup
    ? t("workspace.graph.windowOpen")
    : t("workspace.graph.windowOpenAgain")));
  try {
    await signingIn;
  } catch (error) {
    if (run !== graphRun) return;
    if (error && error.code === "superseded") return; // another sign-in window took over
    const about = (error && error.kind === "signin" && describeSignIn(error)) || describeError(error);
    replace(slot, notice("error", t("workspace.graph.failed", { reason: about.title }), about.text));
    return;
  }
  if (run !== graphRun) return;
  const after = ctx.auth.account();
  if (!before || !after || before.username !== after.username) {
    start(); // signed in as someone else: everything loads again for them (and checks their mailbox)
    return;
  }
  const result = await askGraphConnection();
  if (run !== graphRun) return;
  if (result.answer) {
    // The (busy, so disabled) button had the focus: it goes with the banner, so the view takes it.
    const focus = document.activeElement;
    const lost = !focus || focus === document.body || graphBanner.contains(focus);
    clearGraphBanner();
    if (lost) main.focus({ preventScroll: true });
    announce(recoveredText(result.answer) || t("workspace.graph.reconnected"));
  } else if (result.challenge) {
    showReconnect(run, result.error, result.challenge, notice("error", t("workspace.graph.stillAsks"),
      t("workspace.graph.stillAsksText")));
  } else {
    replace(slot, errorNotice(result.error));
  }
}

/** Signed in (or dev mode): the user's workspaces; otherwise the sign-in screen. */
async function start() {
  graphChecked = false;
  main.setAttribute("aria-busy", "true");
  try {
    if (ctx.auth.mode === "entra" && !(await ctx.auth.start())) {
      showSignIn();
      return;
    }
    await signedIn();
  } catch (error) {
    if (needsSignIn(error)) {
      showSignIn(error);
      return;
    }
    main.setAttribute("aria-busy", "false");
    replace(main, errorNotice(error));
  }
}

async function boot() {
  try {
    ctx.config = await loadConfig();
    // The browser's language until the user's saved choice is known (the sign-in screen too).
    await speak(null, true);
  } catch (error) {
    await speak(null).catch(() => {});
    main.setAttribute("aria-busy", "false");
    replace(main, errorNotice(error));
    return;
  }
  ctx.auth = createAuth(ctx.config);
  ctx.api = createApi(ctx.auth, () => ctx.base);
  setUpActAs();
  if (ctx.auth.mode === "entra") {
    setUpSignOut();
    ctx.auth.onLateSignIn(() => start());
  }
  document.getElementById("workspace-select").addEventListener("change", async (event) => {
    // Busy from the first moment: the old view must not take input while the new workspace loads.
    main.setAttribute("aria-busy", "true");
    try {
      await loadWorkspace(event.target.value);
      await route();
    } catch (error) {
      replace(main, errorNotice(error));
      main.setAttribute("aria-busy", "false");
    }
  });
  document.getElementById("language-select").addEventListener("change", (event) => chooseLanguage(event.target));
  // Input in a record form (not the list filters, nor dialogs) is unsaved until the view changes.
  main.addEventListener("input", (event) => {
    const form = event.target.closest && event.target.closest("form.form-layout, form.card");
    if (form) ctx.dirtyForm = form;
  });
  window.addEventListener("hashchange", route);
  await start();
}

boot();
