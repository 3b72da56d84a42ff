/* Accounts, business contacts, marketing activities and products: lists (search, paging) and forms. */
import { h, field, replace, debounce } from "../../../shared/dom.js";
import { dateTime, day, money, number, percent } from "../../../shared/format.js";
import { announce, clearFieldErrors, confirmAction, dialog, errorNotice, notice, reportError, saveFile, show, shownDecimal, typedDecimal } from "../ui.js";
import { linkDialog } from "./dialogs.js";
import { kindName } from "./opportunities.js";
import { t } from "../../../shared/i18n.js";

const split = (text) => text.split(/[;,]/).map((v) => v.trim()).filter(Boolean);
const joined = (values) => (values || []).join("; ");

/** A kind's own words: its title, "New …", "No … found.", "Search …", "Delete this …?". */
const words = (name) => ({
  title: t(`workspace.records.${name}.title`),
  newLabel: t(`workspace.records.${name}.new`),
  none: t(`workspace.records.${name}.none`),
  searchLabel: t(`workspace.records.${name}.search`),
  deleteTitle: t(`workspace.records.${name}.delete`),
});

// Built when a view renders: its words in the page's language.
const kinds = () => ({
  accounts: {
    ...words("accounts"), nameField: "name", history: true, linkType: "account",
    columns: [[t("workspace.records.name"), (r) => r.name], [t("workspace.records.emailDomains"), (r) => joined(r.email_domains)],
      [t("workspace.records.phone"), (r) => r.phone || ""],
      [t("workspace.records.webPage"), (r) => r.web_site || ""], [t("workspace.field.categories"), (r) => joined(r.categories)]],
    fields: [
      { name: "name", label: t("workspace.records.accountName"), required: true },
      { name: "email_domains", label: t("workspace.records.emailDomains"), list: true, hint: t("workspace.records.domainsHint") },
      { name: "phone", label: t("workspace.records.phone") },
      { name: "web_site", label: t("workspace.records.webPageAddress"), type: "url" },
      { name: "address", label: t("workspace.records.address"), textarea: true },
      { name: "categories", label: t("workspace.field.categories"), list: true, hint: t("workspace.records.semicolon") },
    ],
  },
  contacts: {
    ...words("contacts"), nameField: "display_name", history: true, linkType: "contact",
    columns: [[t("workspace.records.fullName"), (r) => r.display_name], [t("workspace.records.email"), (r) => joined(r.email_addresses)],
      [t("workspace.records.account"), (r) => r.account_name || ""], [t("workspace.records.jobTitle"), (r) => r.job_title || ""],
      [t("workspace.records.phone"), (r) => r.phone || ""]],
    fields: [
      { name: "display_name", label: t("workspace.records.fullName"), required: true },
      { name: "email_addresses", label: t("workspace.records.emailAddresses"), list: true, hint: t("workspace.records.semicolon") },
      { name: "account_id", label: t("workspace.records.account"), account: true },
      { name: "job_title", label: t("workspace.records.jobTitle") },
      { name: "phone", label: t("workspace.records.phone") },
      { name: "categories", label: t("workspace.field.categories"), list: true, hint: t("workspace.records.semicolon") },
    ],
  },
  "marketing-activities": {
    ...words("marketing"), nameField: "name",
    columns: [[t("workspace.records.name"), (r) => r.name], [t("workspace.records.kind"), (r) => r.kind || ""],
      [t("workspace.records.start"), (r) => day(r.start_date)], [t("workspace.records.end"), (r) => day(r.end_date)]],
    fields: [
      { name: "name", label: t("workspace.records.name"), required: true },
      { name: "kind", label: t("workspace.records.kind"), hint: t("workspace.records.kindHint") },
      { name: "start_date", label: t("workspace.records.startDate"), type: "date" },
      { name: "end_date", label: t("workspace.records.endDate"), type: "date" },
    ],
  },
  products: {
    ...words("products"), nameField: "name",
    columns: [[t("workspace.records.name"), (r) => r.name], [t("workspace.field.description"), (r) => r.description || ""],
      [t("workspace.field.unitPrice"), (r, ctx) => money(r.unit_price, ctx.currency()), true]],
    fields: [
      { name: "name", label: t("workspace.records.name"), required: true },
      { name: "description", label: t("workspace.field.description"), textarea: true },
      { name: "unit_price", label: t("workspace.field.unitPrice"), decimal: true, hint: t("workspace.records.priceHint") },
    ],
  },
});

export async function render(ctx, path, id) {
  const kind = kinds()[path];
  if (id) await renderForm(ctx, path, kind, id);
  else await renderList(ctx, path, kind);
}

async function renderList(ctx, path, kind) {
  const messages = h("div", { class: "slot" });
  const body = h("tbody");
  const foot = h("div", { class: "list-foot" });
  const q = h("input", { type: "search", maxlength: 200, placeholder: t("workspace.records.nameStarts") });
  let cursor = null;
  let shown = 0;
  const row = (record) => h("tr", null, kind.columns.map(([, value, num], index) => h("td", { class: num ? "num" : index === 0 ? "title-cell" : "" },
    index === 0 ? h("a", { href: `#/${path}/${encodeURIComponent(record.id)}` }, value(record, ctx)) : value(record, ctx))));
  const load = async (more) => {
    try {
      const page = await ctx.api.get(`/${path}`, { q: q.value.trim(), limit: 50, cursor: more ? cursor : null });
      if (!more) {
        replace(body);
        shown = 0;
      }
      body.append(...page.items.map(row));
      shown += page.items.length;
      cursor = page.next_cursor;
      if (!shown) replace(body, h("tr", null, h("td", { colspan: kind.columns.length, class: "empty" }, kind.none)));
      replace(foot, t("workspace.shown", { count: shown, more: cursor ? "yes" : "no" }),
        cursor ? h("button", { type: "button", class: "button", onclick: () => load(true) }, t("workspace.loadMore")) : null);
      replace(messages);
    } catch (error) {
      show(messages, errorNotice(error));
    }
  };
  q.addEventListener("input", debounce(() => load(false), 250));
  replace(ctx.main,
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, kind.title), h("span", { class: "spacer" }),
      h("button", { type: "button", class: "button primary", onclick: () => ctx.go(`#/${path}/new`) }, kind.newLabel)),
    h("form", { class: "filters", role: "search", "aria-label": kind.searchLabel, onsubmit: (e) => { e.preventDefault(); load(false); } },
      h("div", { class: "field search" }, h("label", { for: "record-search" }, t("workspace.search")), Object.assign(q, { id: "record-search" }))),
    messages,
    h("div", { class: "table-wrap" }, h("table", { class: "list", "aria-label": kind.title },
      h("thead", null, h("tr", null, kind.columns.map(([label, , num]) => h("th", { scope: "col", class: num ? "num" : "" }, label)))),
      body)),
    foot);
  await load(false);
}

async function renderForm(ctx, path, kind, id) {
  const isNew = id === "new";
  const record = isNew ? null : await ctx.api.get(`/${path}/${encodeURIComponent(id)}`);
  const messages = h("div", { class: "slot" });
  const inputs = {};
  let accountChoice = record && record.account_id ? { id: record.account_id, name: record.account_name || "" } : null;
  const controls = kind.fields.map((f) => {
    const value = record ? record[f.name] : null;
    if (f.account) {
      const shownName = h("input", { type: "text", readOnly: true, value: accountChoice ? accountChoice.name : "", id: "account-name" });
      return h("div", { class: "field", dataset: { field: "account_id" } }, h("label", { for: "account-name" }, f.label),
        h("div", { class: "with-button" }, shownName,
          h("button", { type: "button", class: "button", onclick: async () => {
            const chosen = await linkDialog(ctx, { title: t("workspace.records.accountOfContact"), types: ["account"] });
            if (chosen) {
              accountChoice = chosen;
              shownName.value = chosen.name;
            }
          } }, t("workspace.action.change")),
          h("button", { type: "button", class: "button", onclick: () => { accountChoice = null; shownName.value = ""; } },
            t("workspace.action.clear"))));
    }
    const control = f.textarea ? h("textarea", { rows: 3 })
      : h("input", { type: f.type || "text", inputmode: f.decimal ? "decimal" : undefined, maxlength: f.type === "date" ? undefined : 2000 });
    control.value = f.list ? joined(value) : f.decimal ? shownDecimal(value) : (value ?? "");
    inputs[f.name] = control;
    return field(f.label, control, { name: f.name, required: f.required, hint: f.hint });
  });
  const data = () => {
    const out = {};
    for (const f of kind.fields) {
      if (f.account) out.account_id = accountChoice ? accountChoice.id : null;
      else if (f.list) out[f.name] = split(inputs[f.name].value);
      else if (inputs[f.name].value.trim() === "") out[f.name] = null;
      else out[f.name] = f.decimal ? typedDecimal(inputs[f.name].value) : inputs[f.name].value;
    }
    return out;
  };
  const form = h("form", { class: "card", novalidate: true, onsubmit: (e) => { e.preventDefault(); save(false); } },
    h("div", { class: "grid-2" }, controls));
  const save = async (andClose) => {
    clearFieldErrors(form);
    try {
      const saved = record
        ? await ctx.api.patch(`/${path}/${encodeURIComponent(record.id)}`, data(), record.version)
        : await ctx.api.post(`/${path}`, data());
      announce(t("workspace.savedName", { name: saved[kind.nameField] }));
      if (andClose) ctx.go(`#/${path}`);
      else {
        ctx.flash = t("workspace.saved");
        if (record) await renderForm(ctx, path, kind, saved.id);
        else ctx.go(`#/${path}/${encodeURIComponent(saved.id)}`);
      }
    } catch (error) {
      reportError(messages, form, error);
    }
  };
  const remove = async () => {
    if (!await confirmAction(kind.deleteTitle, t("workspace.records.deleteText", { name: record[kind.nameField] }))) return;
    try {
      await ctx.api.del(`/${path}/${encodeURIComponent(record.id)}`, record.version);
      ctx.go(`#/${path}`);
    } catch (error) {
      show(messages, errorNotice(error));
    }
  };
  replace(ctx.main,
    h("div", { class: "form-head" },
      h("h1", { tabindex: "-1", id: "form-title" }, record ? record[kind.nameField] : kind.newLabel),
      h("div", { class: "toolbar" },
        h("button", { type: "button", class: "button primary", onclick: () => save(false) }, t("workspace.action.save")),
        h("button", { type: "button", class: "button", onclick: () => save(true) }, t("workspace.action.saveAndClose")),
        record ? h("button", { type: "button", class: "button", onclick: remove }, t("workspace.action.delete")) : null,
        record && path === "contacts" ? h("button", { type: "button", class: "button", onclick: () => exportPerson(ctx, record, messages) },
          t("workspace.erasure.export")) : null,
        record && path === "contacts" && ctx.isOwner() ? h("button", { type: "button", class: "button danger",
          onclick: () => erasePerson(ctx, record, messages) }, t("workspace.erasure.erase")) : null,
        h("button", { type: "button", class: "button subtle", onclick: () => ctx.go(`#/${path}`) }, t("workspace.action.backToList")))),
    messages, form,
    record && path === "marketing-activities" ? marketingResults(ctx, record) : null,
    record && kind.history ? related(ctx, kind, record) : null);
  if (ctx.flash) {
    show(messages, notice("success", ctx.flash));
    ctx.flash = null;
  }
  document.getElementById("form-title").focus();
}

function marketingResults(ctx, record) {
  return h("section", { class: "card", "aria-labelledby": "results-title" }, h("h2", { id: "results-title" }, t("workspace.records.results")),
    h("dl", { class: "facts" },
      h("div", null, h("dt", null, t("workspace.records.initiated")), h("dd", null, number(record.opportunity_count ?? 0))),
      h("div", null, h("dt", null, t("workspace.records.pipelineTotal")), h("dd", null, money(record.pipeline_total, ctx.currency()))),
      h("div", null, h("dt", null, t("workspace.status.won")), h("dd", null, number(record.won_count ?? 0))),
      h("div", null, h("dt", null, t("workspace.records.wonTotal")), h("dd", null, money(record.won_total, ctx.currency())))));
}

function related(ctx, kind, record) {
  const opportunities = h("ul", { class: "mini-list" }, h("li", { class: "muted" }, t("workspace.loading")));
  const history = h("ul", { class: "history" }, h("li", { class: "muted" }, t("workspace.loading")));
  const path = kind.linkType === "account" ? "accounts" : "contacts";
  ctx.api.get("/opportunities", { link_id: record.id, link_type: kind.linkType, limit: 50, sort: "title" }).then((page) => {
    replace(opportunities, page.items.length ? page.items.map((o) => h("li", null,
      h("a", { href: `#/opportunities/${encodeURIComponent(o.id)}` }, o.title),
      h("span", { class: "muted" }, `${o.stage_name || "—"} · ${percent(o.probability)} · ${money(o.total, ctx.currency())}`)))
      : h("li", { class: "muted" }, t("workspace.records.noOpportunities")));
  }, (error) => replace(opportunities, h("li", null, errorNotice(error))));
  ctx.api.get(`/${path}/${encodeURIComponent(record.id)}/history`, { limit: 30 }).then((page) => {
    replace(history, page.items.length ? page.items.map((item) => h("li", null,
      h("div", { class: "history-head" }, h("span", { class: "kind" }, kindName(item.kind)), h("span", null, dateTime(item.occurred_at))),
      h("p", { class: "history-subject" }, item.subject || t("workspace.history.noSubject"))))
      : h("li", { class: "muted" }, t("workspace.history.none")));
  }, (error) => replace(history, h("li", null, errorNotice(error))));
  return h("div", { class: "grid-2" },
    h("section", { class: "card", "aria-labelledby": "rel-opps" }, h("h2", { id: "rel-opps" }, t("workspace.opportunities.title")), opportunities),
    h("section", { class: "card", "aria-labelledby": "rel-hist" }, h("h2", { id: "rel-hist" }, t("workspace.history.title")), history));
}

/** « Export this person »: everything stored about the contact, as a JSON file (GDPR article 15). */
async function exportPerson(ctx, record, messages) {
  try {
    const data = await ctx.api.get(`/contacts/${encodeURIComponent(record.id)}/export`);
    saveFile(JSON.stringify(data, null, 2), `contact-${record.id}.json`, "application/json");
    announce(t("workspace.erasure.exported", { name: record.display_name }));
  } catch (error) {
    show(messages, errorNotice(error));
  }
}

/** « Erase this person… » (owner only, GDPR article 17): says what goes, asks for the name typed, then the receipt. */
async function erasePerson(ctx, record, messages) {
  const name = record.display_name;
  const confirmed = await dialog(t("workspace.erasure.title", { name }), (close) => {
    const typed = h("input", { type: "text", id: "erase-name", autocomplete: "off", spellcheck: "false",
      "aria-describedby": "erase-name-hint" });
    const go = h("button", { type: "submit", class: "button danger", disabled: true }, t("workspace.erasure.confirm"));
    const matches = () => typed.value.trim() === name.trim();
    typed.addEventListener("input", () => { go.disabled = !matches(); });
    return h("form", { novalidate: true, onsubmit: (e) => { e.preventDefault(); if (matches()) close(true); } },
      h("p", null, t("workspace.erasure.intro", { name })),
      h("ul", null,
        h("li", null, t("workspace.erasure.removesContact")),
        h("li", null, t("workspace.erasure.removesHistory")),
        h("li", null, t("workspace.erasure.removesAddresses")),
        h("li", null, t("workspace.erasure.blocks"))),
      h("p", null, t("workspace.erasure.cannotUndo")),
      h("div", { class: "field" },
        h("label", { for: "erase-name" }, t("workspace.erasure.typeName", { name })),
        typed,
        h("p", { class: "hint", id: "erase-name-hint" }, t("workspace.erasure.typeNameHint"))),
      h("div", { class: "dialog-actions" },
        h("button", { type: "button", class: "button", onclick: () => close(false) }, t("workspace.action.cancel")), go));
  });
  if (confirmed !== true) return;
  let receipt;
  try {
    receipt = await ctx.api.post(`/contacts/${encodeURIComponent(record.id)}/erase`);
  } catch (error) {
    show(messages, errorNotice(error));
    return;
  }
  const removed = receipt.addresses_removed_from;
  const fact = (label, value) => h("div", null, h("dt", null, label), h("dd", null, number(value)));
  replace(ctx.main,
    h("div", { class: "form-head" }, h("h1", { tabindex: "-1", id: "form-title" }, t("workspace.erasure.doneTitle"))),
    h("div", { class: "slot" }, notice("success", t("workspace.erasure.done", { name }))),
    h("section", { class: "card", "aria-labelledby": "receipt-title" },
      h("h2", { id: "receipt-title" }, t("workspace.erasure.receipt")),
      h("dl", { class: "facts" },
        fact(t("workspace.erasure.itemsRemoved"), receipt.history_items_removed),
        fact(t("workspace.erasure.itemsKept"), receipt.history_items_kept),
        fact(t("workspace.erasure.fromItems"), removed.history_items),
        fact(t("workspace.erasure.fromContacts"), removed.contacts),
        fact(t("workspace.erasure.fromOpportunities"), removed.opportunities_initiated),
        fact(t("workspace.erasure.fromProjects"), removed.projects),
        fact(t("workspace.erasure.addressesBlocked"), receipt.addresses_blocked),
        fact(t("workspace.erasure.mailboxes"), receipt.mailboxes_blocking)),
      h("p", { class: "muted" }, t("workspace.erasure.audit", { id: receipt.audit_event_id }))),
    h("p", null, h("a", { href: "#/contacts" }, t("workspace.erasure.backToContacts"))));
  announce(t("workspace.erasure.done", { name }));
  document.getElementById("form-title").focus();
}
