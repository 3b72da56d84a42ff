/* Accounts, business contacts, marketing activities and products: lists (search, paging) and forms. */
import { h, field, replace, debounce } from "../../../shared/dom.js";
import { dateTime, day, money, percent } from "../../../shared/format.js";
import { announce, clearFieldErrors, confirmAction, errorNotice, notice, reportError, show } from "../ui.js";
import { linkDialog } from "./dialogs.js";
import { KIND_NAMES } from "./opportunities.js";

const split = (text) => text.split(/[;,]/).map((v) => v.trim()).filter(Boolean);
const joined = (values) => (values || []).join("; ");

const KINDS = {
  accounts: {
    title: "Accounts", singular: "account", nameField: "name", history: true, linkType: "account",
    columns: [["Name", (r) => r.name], ["E-mail domains", (r) => joined(r.email_domains)], ["Business phone", (r) => r.phone || ""],
      ["Web page", (r) => r.web_site || ""], ["Categories", (r) => joined(r.categories)]],
    fields: [
      { name: "name", label: "Account name", required: true },
      { name: "email_domains", label: "E-mail domains", list: true, hint: "Separate with a semicolon, e.g. contoso.com; contoso.de" },
      { name: "phone", label: "Business phone" },
      { name: "web_site", label: "Web page address", type: "url" },
      { name: "address", label: "Business address", textarea: true },
      { name: "categories", label: "Categories", list: true, hint: "Separate with a semicolon." },
    ],
  },
  contacts: {
    title: "Business contacts", singular: "business contact", nameField: "display_name", history: true, linkType: "contact",
    columns: [["Full name", (r) => r.display_name], ["E-mail", (r) => joined(r.email_addresses)],
      ["Account", (r) => r.account_name || ""], ["Job title", (r) => r.job_title || ""], ["Business phone", (r) => r.phone || ""]],
    fields: [
      { name: "display_name", label: "Full name", required: true },
      { name: "email_addresses", label: "E-mail addresses", list: true, hint: "Separate with a semicolon." },
      { name: "account_id", label: "Account", account: true },
      { name: "job_title", label: "Job title" },
      { name: "phone", label: "Business phone" },
      { name: "categories", label: "Categories", list: true, hint: "Separate with a semicolon." },
    ],
  },
  "marketing-activities": {
    title: "Marketing activities", singular: "marketing activity", nameField: "name",
    columns: [["Name", (r) => r.name], ["Kind", (r) => r.kind || ""], ["Start", (r) => day(r.start_date)], ["End", (r) => day(r.end_date)]],
    fields: [
      { name: "name", label: "Name", required: true },
      { name: "kind", label: "Kind", hint: "e.g. Trade show, E-mail campaign" },
      { name: "start_date", label: "Start date", type: "date" },
      { name: "end_date", label: "End date", type: "date" },
    ],
  },
  products: {
    title: "Products and services", singular: "product", nameField: "name",
    columns: [["Name", (r) => r.name], ["Description", (r) => r.description || ""], ["Unit price", (r, ctx) => money(r.unit_price, ctx.currency()), true]],
    fields: [
      { name: "name", label: "Name", required: true },
      { name: "description", label: "Description", textarea: true },
      { name: "unit_price", label: "Unit price", decimal: true, hint: "A decimal number with at most two places, e.g. 1250.00" },
    ],
  },
};

export async function render(ctx, path, id) {
  const kind = KINDS[path];
  if (id) await renderForm(ctx, path, kind, id);
  else await renderList(ctx, path, kind);
}

async function renderList(ctx, path, kind) {
  const messages = h("div", { class: "slot" });
  const body = h("tbody");
  const foot = h("div", { class: "list-foot" });
  const q = h("input", { type: "search", maxlength: 200, placeholder: "Name starts with…" });
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
      if (!shown) replace(body, h("tr", null, h("td", { colspan: kind.columns.length, class: "empty" }, `No ${kind.title.toLowerCase()} found.`)));
      replace(foot, `${shown} shown${cursor ? ", more available" : ""}.`,
        cursor ? h("button", { type: "button", class: "button", onclick: () => load(true) }, "Load more") : null);
      replace(messages);
    } catch (error) {
      show(messages, errorNotice(error));
    }
  };
  q.addEventListener("input", debounce(() => load(false), 250));
  replace(ctx.main,
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, kind.title), h("span", { class: "spacer" }),
      h("button", { type: "button", class: "button primary", onclick: () => ctx.go(`#/${path}/new`) }, `New ${kind.singular}`)),
    h("form", { class: "filters", role: "search", "aria-label": `Search ${kind.title.toLowerCase()}`, onsubmit: (e) => { e.preventDefault(); load(false); } },
      h("div", { class: "field search" }, h("label", { for: "record-search" }, "Search"), Object.assign(q, { id: "record-search" }))),
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
            const chosen = await linkDialog(ctx, { title: "Account of this contact", types: ["account"] });
            if (chosen) {
              accountChoice = chosen;
              shownName.value = chosen.name;
            }
          } }, "Change…"),
          h("button", { type: "button", class: "button", onclick: () => { accountChoice = null; shownName.value = ""; } }, "Clear")));
    }
    const control = f.textarea ? h("textarea", { rows: 3 })
      : h("input", { type: f.type || "text", inputmode: f.decimal ? "decimal" : undefined, maxlength: f.type === "date" ? undefined : 2000 });
    control.value = f.list ? joined(value) : (value ?? "");
    inputs[f.name] = control;
    return field(f.label, control, { name: f.name, required: f.required, hint: f.hint });
  });
  const data = () => {
    const out = {};
    for (const f of kind.fields) {
      if (f.account) out.account_id = accountChoice ? accountChoice.id : null;
      else if (f.list) out[f.name] = split(inputs[f.name].value);
      else out[f.name] = inputs[f.name].value.trim() === "" ? null : inputs[f.name].value;
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
      announce(`Saved ${saved[kind.nameField]}.`);
      if (andClose) ctx.go(`#/${path}`);
      else {
        ctx.flash = "Saved.";
        if (record) await renderForm(ctx, path, kind, saved.id);
        else ctx.go(`#/${path}/${encodeURIComponent(saved.id)}`);
      }
    } catch (error) {
      reportError(messages, form, error);
    }
  };
  const remove = async () => {
    if (!await confirmAction(`Delete this ${kind.singular}?`, `“${record[kind.nameField]}” is deleted.`)) return;
    try {
      await ctx.api.del(`/${path}/${encodeURIComponent(record.id)}`, record.version);
      ctx.go(`#/${path}`);
    } catch (error) {
      show(messages, errorNotice(error));
    }
  };
  replace(ctx.main,
    h("div", { class: "form-head" },
      h("h1", { tabindex: "-1", id: "form-title" }, record ? record[kind.nameField] : `New ${kind.singular}`),
      h("div", { class: "toolbar" },
        h("button", { type: "button", class: "button primary", onclick: () => save(false) }, "Save"),
        h("button", { type: "button", class: "button", onclick: () => save(true) }, "Save and close"),
        record ? h("button", { type: "button", class: "button", onclick: remove }, "Delete") : null,
        h("button", { type: "button", class: "button subtle", onclick: () => ctx.go(`#/${path}`) }, "Back to the list"))),
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
  return h("section", { class: "card", "aria-labelledby": "results-title" }, h("h2", { id: "results-title" }, "Results"),
    h("dl", { class: "facts" },
      h("div", null, h("dt", null, "Opportunities initiated"), h("dd", null, String(record.opportunity_count ?? 0))),
      h("div", null, h("dt", null, "Pipeline total"), h("dd", null, money(record.pipeline_total, ctx.currency()))),
      h("div", null, h("dt", null, "Won"), h("dd", null, String(record.won_count ?? 0))),
      h("div", null, h("dt", null, "Won total"), h("dd", null, money(record.won_total, ctx.currency())))));
}

function related(ctx, kind, record) {
  const opportunities = h("ul", { class: "mini-list" }, h("li", { class: "muted" }, "Loading…"));
  const history = h("ul", { class: "history" }, h("li", { class: "muted" }, "Loading…"));
  const path = kind.linkType === "account" ? "accounts" : "contacts";
  ctx.api.get("/opportunities", { link_id: record.id, link_type: kind.linkType, limit: 50, sort: "title" }).then((page) => {
    replace(opportunities, page.items.length ? page.items.map((o) => h("li", null,
      h("a", { href: `#/opportunities/${encodeURIComponent(o.id)}` }, o.title),
      h("span", { class: "muted" }, `${o.stage_name || "—"} · ${percent(o.probability)} · ${money(o.total, ctx.currency())}`)))
      : h("li", { class: "muted" }, "No opportunities."));
  }, (error) => replace(opportunities, h("li", null, errorNotice(error))));
  ctx.api.get(`/${path}/${encodeURIComponent(record.id)}/history`, { limit: 30 }).then((page) => {
    replace(history, page.items.length ? page.items.map((item) => h("li", null,
      h("div", { class: "history-head" }, h("span", { class: "kind" }, KIND_NAMES[item.kind] || item.kind), h("span", null, dateTime(item.occurred_at))),
      h("p", { class: "history-subject" }, item.subject || "(no subject)"))) : h("li", { class: "muted" }, "No history yet."));
  }, (error) => replace(history, h("li", null, errorNotice(error))));
  return h("div", { class: "grid-2" },
    h("section", { class: "card", "aria-labelledby": "rel-opps" }, h("h2", { id: "rel-opps" }, "Opportunities"), opportunities),
    h("section", { class: "card", "aria-labelledby": "rel-hist" }, h("h2", { id: "rel-hist" }, "History"), history));
}
