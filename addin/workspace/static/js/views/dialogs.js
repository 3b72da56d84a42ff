/* Dialogs the forms share: "Link to" search with "New", "Edit this list", a new history item. */
import { h, field, options, replace, debounce } from "../../../shared/dom.js";
import { fromLocalInput, localInput } from "../../../shared/format.js";
import { dialog, errorNotice, reportError, show, withBusy } from "../ui.js";
import { t } from "../../../shared/i18n.js";

// A record type's words: its plural (the filter), its singular (a match's type), "New …" and "New ……".
const TYPE_LABELS = { account: "workspace.nav.accounts", contact: "workspace.nav.contacts", marketing_activity: "workspace.nav.marketingActivities" };
const SINGULAR = (type) => t("workspace.link.type", { type });

/**
 * Search for a record by name, e-mail address or domain, filtered by record type, or create one.
 * Resolves {type, id, name} or undefined.
 */
export function linkDialog(ctx, { title = t("workspace.opportunities.col.link"), types = ["account", "contact"] } = {}) {
  return dialog(title, (close) => {
    const q = h("input", { type: "search", autofocus: true, maxlength: 200, placeholder: t("workspace.link.placeholder") });
    const filter = options(h("select"), [[types.join(","), t("workspace.link.all")], ...types.map((type) => [type, t(TYPE_LABELS[type])])], types.join(","));
    const results = h("ul", { class: "results", "aria-label": t("workspace.link.matches"), "aria-live": "polite" });
    const slot = h("div", { class: "slot" });
    const newArea = h("div");
    const search = async () => {
      const text = q.value.trim();
      if (!text) {
        replace(results, h("li", { class: "muted" }, t("workspace.link.typeToSearch")));
        return;
      }
      try {
        const found = await ctx.api.get("/search", { q: text, types: filter.value, limit: 20 });
        replace(results, found.items.length ? found.items.map((item) => h("li", null,
          h("button", { type: "button", class: "result", onclick: () => close({ type: item.type, id: item.id, name: item.name }) },
            h("span", null, h("span", { class: "result-name" }, item.name), " ",
              h("span", { class: "result-detail" }, item.detail || "")),
            h("span", { class: "result-detail" }, SINGULAR(item.type))))) : h("li", { class: "muted" }, t("workspace.link.noMatches")));
      } catch (error) {
        show(slot, errorNotice(error));
      }
    };
    const typed = debounce(search, 200);
    q.addEventListener("input", typed);
    filter.addEventListener("change", search);
    replace(results, h("li", { class: "muted" }, t("workspace.link.typeToSearch")));
    const newButtons = types.map((type) => h("button", { type: "button", class: "button", onclick: () =>
      replace(newArea, newRecordForm(ctx, type, q.value.trim(), close)) }, t("workspace.link.newMenu", { type })));
    return [
      h("div", { class: "grid-2" }, field(t("workspace.search"), q), field(t("workspace.link.recordType"), filter)),
      slot, results,
      h("div", { class: "toolbar" }, newButtons), newArea,
      h("div", { class: "dialog-actions" }, h("button", { type: "button", class: "button", onclick: () => close() }, t("workspace.action.cancel"))),
    ];
  });
}

function newRecordForm(ctx, type, text, close) {
  const slot = h("div", { class: "slot" });
  const name = h("input", { type: "text", value: text, maxlength: 200, required: true, autofocus: true });
  const extra = h("input", { type: type === "account" ? "text" : "email", maxlength: 320 });
  const path = { account: "/accounts", contact: "/contacts", marketing_activity: "/marketing-activities" }[type];
  const nameField = { account: "name", contact: "display_name", marketing_activity: "name" }[type];
  const form = h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const body = { [nameField]: name.value };
    if (type === "account" && extra.value.trim()) body.email_domains = [extra.value.trim()];
    if (type === "contact" && extra.value.trim()) body.email_addresses = [extra.value.trim()];
    if (type === "marketing_activity" && extra.value.trim()) body.kind = extra.value.trim();
    try {
      const record = await ctx.api.post(path, body);
      close({ type, id: record.id, name: record[nameField] });
    } catch (error) {
      reportError(slot, form, error);
    }
  } },
  h("h3", null, t("workspace.link.new", { type })), slot,
  h("div", { class: "grid-2" },
    field(type === "contact" ? t("workspace.records.fullName") : t("workspace.records.name"), name, { name: nameField, required: true }),
    type === "account" ? field(t("workspace.link.domain"), extra, { name: "email_domains", hint: t("workspace.link.domainHint") })
      : type === "contact" ? field(t("workspace.link.address"), extra, { name: "email_addresses" })
        : field(t("workspace.records.kind"), extra, { name: "kind" })),
  h("button", { type: "submit", class: "button primary" }, t("workspace.link.createAndLink")));
  window.setTimeout(() => name.focus(), 0);
  return form;
}

/**
 * "Edit this list" (Type, Payment terms, Source): add, rename, reorder, remove. Renamed values
 * change on every record that has them. Resolves the new values, or undefined.
 */
export function editListDialog(ctx, listName, label) {
  return dialog(t("workspace.lists.editLabel", { list: label }), (close) => {
    const slot = h("div", { class: "slot" });
    const list = h("ul", { class: "value-list", "aria-label": t("workspace.lists.values", { list: label }) });
    const rows = [];
    const paint = () => {
      replace(list, rows.map((row, index) => {
        const input = h("input", { type: "text", value: row.value, maxlength: 100, "aria-label": t("workspace.lists.value", { n: index + 1 }),
          oninput: (event) => { row.value = event.target.value; } });
        return h("li", { dataset: { field: `values[${index}]` } }, input,
          h("button", { type: "button", class: "button small icon", "aria-label": t("workspace.moveUp", { name: row.value }), disabled: index === 0,
            onclick: () => { rows.splice(index - 1, 0, rows.splice(index, 1)[0]); paint(); } }, "↑"),
          h("button", { type: "button", class: "button small icon", "aria-label": t("workspace.moveDown", { name: row.value }),
            disabled: index === rows.length - 1,
            onclick: () => { rows.splice(index + 1, 0, rows.splice(index, 1)[0]); paint(); } }, "↓"),
          h("button", { type: "button", class: "button small", "aria-label": t("workspace.removeName", { name: row.value }),
            onclick: () => { rows.splice(index, 1); paint(); } }, t("workspace.action.remove")));
      }));
    };
    const added = h("input", { type: "text", maxlength: 100 });
    const form = h("form", { onsubmit: async (event) => {
      event.preventDefault();
      const values = rows.map((r) => r.value.trim()).filter(Boolean);
      const rename = {};
      for (const row of rows) if (row.original && row.value.trim() && row.original !== row.value.trim()) rename[row.original] = row.value.trim();
      const button = form.querySelector("button[type=submit]");
      await withBusy(button, t("workspace.saving"), async () => {
        try {
          const result = await ctx.api.put(`/lists/${listName}`, { values, rename });
          ctx.lists[listName] = result.values;
          close(result.values);
        } catch (error) {
          reportError(slot, form, error);
        }
      });
    } },
    slot, list,
    h("div", { class: "inline-form" }, field(t("workspace.lists.newValue"), added),
      h("button", { type: "button", class: "button", onclick: () => {
        if (!added.value.trim()) return;
        rows.push({ original: null, value: added.value.trim() });
        added.value = "";
        paint();
        added.focus();
      } }, t("workspace.lists.add"))),
    h("p", { class: "hint" }, t("workspace.lists.removedHint")),
    h("div", { class: "dialog-actions" },
      h("button", { type: "button", class: "button", onclick: () => close() }, t("workspace.action.cancel")),
      h("button", { type: "submit", class: "button primary" }, t("workspace.lists.save"))));
    ctx.list(listName, true).then((values) => {
      rows.push(...values.map((value) => ({ original: value, value })));
      paint();
    }, (error) => show(slot, errorNotice(error)));
    return form;
  });
}

// The history items a person adds (their names: workspace.history.new / added).
const HISTORY_KINDS = ["note", "phone_log", "task", "file"];

/** A new business note, phone log, task or file link in an opportunity's history. */
export function historyDialog(ctx, opportunityId, kind) {
  return dialog(t("workspace.history.new", { kind }), (close) => {
    const slot = h("div", { class: "slot" });
    const subject = h("input", { type: "text", maxlength: 500, autofocus: true });
    const body = h("textarea", { rows: 4 });
    const when = h("input", { type: "datetime-local", value: localInput(new Date().toISOString()) });
    const duration = h("input", { type: "number", min: 0, step: 1 });
    const direction = options(h("select"), [["", "—"], ["outgoing", t("workspace.history.outgoing")], ["incoming", t("workspace.history.incoming")]], "outgoing");
    const due = h("input", { type: "date" });
    const fileName = h("input", { type: "text", maxlength: 300 });
    const fileUrl = h("input", { type: "url", maxlength: 2000, placeholder: "https://…" });
    const form = h("form", { onsubmit: async (event) => {
      event.preventDefault();
      const data = { kind, subject: subject.value, body: body.value || null, occurred_at: fromLocalInput(when.value) };
      if (kind === "phone_log") {
        if (duration.value) data.duration_minutes = Number(duration.value);
        if (direction.value) data.direction = direction.value;
      }
      if (kind === "task" && due.value) data.due_date = due.value;
      if (kind === "file") data.file = { name: fileName.value, url: fileUrl.value };
      await withBusy(form.querySelector("button[type=submit]"), t("workspace.saving"), async () => {
        try {
          close(await ctx.api.post(`/opportunities/${encodeURIComponent(opportunityId)}/history`, data));
        } catch (error) {
          reportError(slot, form, error);
        }
      });
    } },
    slot,
    field(t("workspace.history.subject"), subject, { name: "subject" }),
    kind === "file" ? h("div", { class: "grid-2" }, field(t("workspace.history.fileName"), fileName, { name: "file.name" }),
      field(t("workspace.history.fileLink"), fileUrl, { name: "file.url", hint: t("workspace.history.fileHint") })) : null,
    field(kind === "file" ? t("workspace.history.notes") : t("workspace.history.text"), body, { name: "body" }),
    h("div", { class: "grid-2" },
      field(t("workspace.history.when"), when, { name: "occurred_at" }),
      kind === "phone_log" ? field(t("workspace.history.duration"), duration, { name: "duration_minutes" }) : null,
      kind === "phone_log" ? field(t("workspace.history.direction"), direction, { name: "direction" }) : null,
      kind === "task" ? field(t("workspace.history.dueDate"), due, { name: "due_date" }) : null),
    h("div", { class: "dialog-actions" },
      h("button", { type: "button", class: "button", onclick: () => close() }, t("workspace.action.cancel")),
      h("button", { type: "submit", class: "button primary" }, t("workspace.action.save"))));
    return form;
  });
}

export { HISTORY_KINDS };
