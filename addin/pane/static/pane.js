/*
 * Dealpane task pane: the controller. Boots Office.js (or the demo stand-in), signs in, picks the
 * workspace, reads the selected item, asks the API for its context and shows the view that fits.
 * The views (js/views-*.js) render into <main>; every string from mail or users is set as text.
 */
import { createApi } from "./js/api.js";
import { createAuth, loadConfig } from "./js/auth.js";
import { h, replace } from "../shared/dom.js";
import { t, useLanguage } from "../shared/i18n.js";
import * as mailbox from "./js/mailbox.js";
import { renderItem, renderNoItem } from "./js/views-item.js";
import { renderComposePicker, renderLink } from "./js/views-link.js";
import { renderNewOpportunity } from "./js/views-new.js";
import { renderOpportunity } from "./js/views-opportunity.js";
import { checkGraphConnection } from "./js/views-reconnect.js";
import { renderNoWorkspace, renderOfficeSilent, renderOutsideOutlook, renderProblem } from "./js/views-status.js";

const WORKSPACE_KEY = "dealpane.workspace";

const main = document.getElementById("main");
const statusRegion = document.getElementById("status");
const workspacePicker = document.getElementById("workspace-picker");
const workspaceSelect = document.getElementById("workspace-select");

const pane = {
  api: null,
  auth: null,
  config: null,
  me: null,
  workspace: null,
  item: null,
  context: null,
  stages: null,
  stamp: null, // compose mode: {opportunityId, title} once the item is stamped
  initialView: new URLSearchParams(window.location.search).get("view"),
  loadSequence: 0,

  /** `…` of API.md: the current workspace's path. */
  ws(path) {
    return `/api/v1/workspaces/${encodeURIComponent(this.workspace.id)}${path}`;
  },

  get currency() {
    return (this.context && this.context.currency) || "USD";
  },

  announce(message) {
    // Cleared first so the same message twice is still read out.
    statusRegion.textContent = "";
    window.setTimeout(() => { statusRegion.textContent = message; }, 30);
  },

  /** Show a view: fn(container, pane) fills a fresh container; focus goes to its heading. */
  show(render, { focus = true } = {}) {
    const container = h("div", { class: "view" });
    replace(main, container);
    main.setAttribute("aria-busy", "false");
    render(container, this);
    // Only when the pane already has the keyboard: a pinned pane must not pull focus out of
    // Outlook's message list each time the user moves to the next item.
    if (focus && document.hasFocus()) {
      const heading = container.querySelector("h1");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: false });
      }
    }
  },

  loading(text) {
    main.setAttribute("aria-busy", "true");
    replace(main, h("p", { class: "loading muted" },
      h("span", { class: "spinner", "aria-hidden": "true" }), text || t("pane.loading")));
  },

  /** A full-pane problem with the actions the user can take (sign in, try again). */
  fail(error, retry) {
    this.show((container) => renderProblem(container, this, error, retry || (() => this.start())));
  },

  async stageList() {
    if (!this.stages) {
      const answer = await this.api.get(this.ws("/sales-stages"));
      this.stages = Array.isArray(answer) ? answer : answer.items;
    }
    return this.stages;
  },

  goItem() {
    this.show((c) => renderItem(c, this));
  },
  goLink() {
    this.show((c) => renderLink(c, this));
  },
  goNew() {
    this.show((c) => renderNewOpportunity(c, this));
  },
  goOpportunity(id, message = null) {
    this.show((c) => renderOpportunity(c, this, id, message));
  },

  /** Ask the API what this item is linked to, who is on it and their open deals. */
  async refreshContext() {
    const context = await this.api.get(this.ws("/context"), contextQuery(this.item));
    await this.addRememberedLinks(context);
    this.context = context;
    return context;
  },

  /**
   * The server finds an item's links by internetMessageId or immutable id; a meeting has neither in
   * Office.js (only its EWS id), so a meeting linked from this pane may not come back as linked.
   * Links made here in this session are remembered and shown, read fresh from the API.
   */
  rememberLink(opportunityId) {
    const key = linkMemoryKey(this.workspace, this.item);
    if (!key) return;
    const ids = new Set(readJson(key) || []);
    ids.add(opportunityId);
    writeJson(key, [...ids]);
  },

  async addRememberedLinks(context) {
    const key = linkMemoryKey(this.workspace, this.item);
    const missing = (readJson(key) || []).filter((id) => !context.linked_opportunities.some((o) => o.id === id));
    for (const id of missing) {
      try {
        context.linked_opportunities.push(await this.api.get(this.ws(`/opportunities/${encodeURIComponent(id)}`)));
      } catch (error) {
        if (error.kind !== "not-found") throw error;
      }
    }
  },

  async start() {
    this.loading(t("pane.signingIn"));
    try {
      this.me = await this.api.get("/api/v1/me");
    } catch (error) {
      this.fail(error);
      return;
    }
    // Signed in: check the link to the mailbox beside the item view, never before it (after /me,
    // which creates a first-time user: two first calls at once would race to). A banner says when
    // Reconnect is needed; otherwise nothing shows.
    checkGraphConnection(this);
    const workspaces = this.me.workspaces || [];
    if (!workspaces.length) {
      workspacePicker.hidden = true;
      this.show((c) => renderNoWorkspace(c, this));
      return;
    }
    const remembered = safeStorageGet(WORKSPACE_KEY);
    this.workspace = workspaces.find((w) => w.id === remembered) || workspaces[0];
    setUpWorkspacePicker(workspaces, this.workspace);
    await this.loadItem();
  },

  /** Read the selected item and show it; called at start and on every ItemChanged. */
  async loadItem() {
    const sequence = ++this.loadSequence;
    this.loading(t("pane.readingItem"));
    let item;
    try {
      item = await mailbox.readItem();
    } catch (error) {
      if (sequence === this.loadSequence) this.show((c) => renderNoItem(c, this, t("pane.outlook.cannotRead")));
      return;
    }
    if (sequence !== this.loadSequence) return;
    this.item = item;
    this.stamp = null;
    this.context = null;
    if (!item) {
      this.show((c) => renderNoItem(c, this));
      return;
    }
    try {
      await this.refreshContext();
    } catch (error) {
      if (sequence === this.loadSequence) this.fail(error, () => this.loadItem());
      return;
    }
    if (sequence !== this.loadSequence) return;
    if (item.mode === "compose") {
      this.show((c) => renderComposePicker(c, this));
    } else if (this.initialView === "link") {
      this.initialView = null;
      this.goLink();
    } else {
      this.goItem();
    }
  },
};

/** The query of GET …/context for an item (addresses comma-separated). */
export function contextQuery(item) {
  const addresses = (people) => (people || []).map((p) => p.address).join(",");
  return {
    internet_message_id: item.internetMessageId || undefined,
    item_id: item.itemId || undefined,
    item_id_format: item.itemId ? item.itemIdFormat : undefined,
    from: item.from ? item.from.address : undefined,
    to: addresses(item.to),
    cc: addresses(item.cc),
  };
}

function linkMemoryKey(workspace, item) {
  return workspace && item && item.itemId ? `dealpane.links.${workspace.id}.${item.itemId}` : null;
}

function readJson(key) {
  if (!key) return null;
  try {
    return JSON.parse(window.sessionStorage.getItem(key) || "null");
  } catch (ignored) {
    return null;
  }
}

function writeJson(key, value) {
  try {
    window.sessionStorage.setItem(key, JSON.stringify(value));
  } catch (ignored) { /* storage blocked: remembered for this view only */ }
}

function safeStorageGet(key) {
  try {
    return window.localStorage.getItem(key);
  } catch (ignored) {
    return null;
  }
}

function safeStorageSet(key, value) {
  try {
    window.localStorage.setItem(key, value);
  } catch (ignored) { /* storage blocked: the choice lasts for this pane only */ }
}

function setUpWorkspacePicker(workspaces, current) {
  workspacePicker.hidden = workspaces.length < 2;
  replace(workspaceSelect, workspaces.map((w) => h("option", { value: w.id, selected: w.id === current.id }, w.name)));
}

workspaceSelect.addEventListener("change", () => {
  const chosen = (pane.me.workspaces || []).find((w) => w.id === workspaceSelect.value);
  if (!chosen) return;
  pane.workspace = chosen;
  pane.stages = null;
  safeStorageSet(WORKSPACE_KEY, chosen.id);
  pane.announce(t("pane.workspace.chosen", { name: chosen.name }));
  pane.loadItem();
});

/** The browser's languages, most wanted first (outside Outlook, and after Outlook's own). */
function browserLanguages() {
  return navigator.languages && navigator.languages.length ? [...navigator.languages] : [navigator.language];
}

/**
 * Speak the first of `tags` the server has words for (config.json's languages), else English. In
 * Outlook the first tag is Office.context.displayLanguage, Outlook's own UI language ("fr-FR"); not
 * Office.context.contentLanguage, the language the item is written in:
 * https://learn.microsoft.com/javascript/api/office/office.context#office-office-context-displaylanguage-member
 * ("the locale (or language) of the user interface of the Office application":
 * https://learn.microsoft.com/office/dev/add-ins/develop/localization).
 */
async function speak(tags) {
  let available;
  try {
    pane.config = pane.config || await loadConfig();
    available = pane.config.languages;
  } catch (ignored) {
    available = undefined; // start() shows the config's failure; until then the source language
  }
  try {
    await useLanguage(tags.filter(Boolean), { available });
  } catch (error) {
    console.error("dealpane: the pane's words could not be loaded", error);
  }
}

/** Outlook's UI language, when Office gave one. */
function outlookLanguage() {
  const office = window.Office;
  return (office && office.context && office.context.displayLanguage) || null;
}

async function boot() {
  try {
    await mailbox.officeReady();
  } catch (error) {
    await speak(browserLanguages());
    if (!(error instanceof mailbox.OfficeSilent)) {
      pane.show((c) => renderOutsideOutlook(c));
      return;
    }
    // Office has not answered: say what to check, and carry on if it answers after all.
    pane.show((c) => renderOfficeSilent(c));
    try {
      await error.answer;
    } catch (late) {
      pane.show((c) => renderOutsideOutlook(c));
      return;
    }
  }
  await speak([outlookLanguage(), ...browserLanguages()]);
  await start();
}

/** Office answered with a mailbox: sign in and show the item. */
async function start() {
  try {
    pane.config = pane.config || await loadConfig();
  } catch (error) {
    pane.fail(error, () => start());
    return;
  }
  pane.auth = createAuth(pane.config, mailbox);
  pane.api = createApi(pane.auth);
  mailbox.onItemChanged(() => pane.loadItem());
  await pane.start();
}

window.addEventListener("unhandledrejection", (event) => {
  // A bug must never leave a blank pane: show a plain message instead of a stack trace.
  event.preventDefault();
  pane.fail(event.reason);
});

boot();
