/*
 * The sales workspace: boot (config, sign-in, workspace), the header (workspace picker, the demo's
 * "act as" switch) and a hash router over the views. Views render into <main> from the REST API.
 */
import { createApi } from "./api.js";
import { createAuth, loadConfig } from "./auth.js";
import { h, options, replace } from "./dom.js";
import { announce, errorNotice } from "./ui.js";
import * as opportunities from "./views/opportunities.js";
import * as opportunity from "./views/opportunity.js";
import * as records from "./views/records.js";
import * as dashboard from "./views/dashboard.js";
import * as transfer from "./views/transfer.js";
import * as customise from "./views/customise.js";

const WS_KEY = "dealpane.workspace.ws";
const main = document.getElementById("main");

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

async function route() {
  if (!ctx.ws) return;
  const { name, params } = parseHash();
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  main.setAttribute("aria-busy", "true");
  replace(main, h("p", { class: "muted" }, "Loading…"));
  try {
    await ROUTES[name](params);
  } catch (error) {
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
  options(select, ctx.me.workspaces.map((w) => [w.id, `${w.name}${w.role === "owner" ? " (owner)" : ""}`]), ws.id);
  document.getElementById("workspace-picker").hidden = false;
  document.getElementById("who").textContent =
    `${ctx.me.user.display_name || ctx.me.user.email} · ${ws.role === "owner" ? "owner" : "member"}`;
}

async function signedIn() {
  ctx.me = await ctx.api.get("/api/v1/me");
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
    h("h1", null, "No workspace yet"),
    h("p", null, "You are not a member of any workspace. Ask a colleague to share theirs, or create one."),
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
    h("div", { class: "field" }, h("label", { for: name.id }, "Workspace name"), name),
    h("button", { type: "submit", class: "button primary" }, "Create workspace")));
}

function setUpActAs() {
  const people = ctx.auth.people || [];
  if (ctx.auth.mode !== "dev" || !people.length) return;
  const select = document.getElementById("act-as-select");
  const current = ctx.auth.user();
  const list = people.some((p) => p.email === current) ? people : [...people, { email: current, label: current }];
  options(select, list.map((p) => [p.email, p.label]), current);
  document.getElementById("act-as").hidden = false;
  select.addEventListener("change", async () => {
    ctx.auth.setUser(select.value);
    announce(`Acting as ${select.options[select.selectedIndex].text}.`);
    main.setAttribute("aria-busy", "true");
    try {
      await signedIn();
    } catch (error) {
      replace(main, errorNotice(error));
      main.setAttribute("aria-busy", "false");
    }
  });
}

async function boot() {
  try {
    ctx.config = await loadConfig();
    ctx.auth = createAuth(ctx.config);
    ctx.api = createApi(ctx.auth, () => ctx.base);
    setUpActAs();
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
    window.addEventListener("hashchange", route);
    await signedIn();
  } catch (error) {
    main.setAttribute("aria-busy", "false");
    const retry = ctx.auth && ctx.auth.mode === "entra"
      ? h("button", { type: "button", class: "button primary", onclick: async () => {
        await ctx.auth.signIn();
        await signedIn();
      } }, "Sign in")
      : null;
    replace(main, errorNotice(error), retry);
  }
}

boot();
