/* Dialogs the forms share: "Link to" search with "New", "Edit this list", a new history item. */
import { h, field, options, replace, debounce } from "../../../shared/dom.js";
import { fromLocalInput, localInput } from "../../../shared/format.js";
import { dialog, errorNotice, reportError, show, withBusy } from "../ui.js";

const TYPE_LABELS = { account: "Accounts", contact: "Business contacts", marketing_activity: "Marketing activities" };
const SINGULAR = { account: "account", contact: "business contact", marketing_activity: "marketing activity",
  opportunity: "opportunity" };

/**
 * Search for a record by name, e-mail address or domain, filtered by record type, or create one.
 * Resolves {type, id, name} or undefined.
 */
export function linkDialog(ctx, { title = "Link to", types = ["account", "contact"] } = {}) {
  return dialog(title, (close) => {
    const q = h("input", { type: "search", autofocus: true, maxlength: 200, placeholder: "Name, e-mail address or domain" });
    const filter = options(h("select"), [[types.join(","), "All"], ...types.map((t) => [t, TYPE_LABELS[t]])], types.join(","));
    const results = h("ul", { class: "results", "aria-label": "Matches", "aria-live": "polite" });
    const slot = h("div", { class: "slot" });
    const newArea = h("div");
    const search = async () => {
      const text = q.value.trim();
      if (!text) {
        replace(results, h("li", { class: "muted" }, "Type to search."));
        return;
      }
      try {
        const found = await ctx.api.get("/search", { q: text, types: filter.value, limit: 20 });
        replace(results, found.items.length ? found.items.map((item) => h("li", null,
          h("button", { type: "button", class: "result", onclick: () => close({ type: item.type, id: item.id, name: item.name }) },
            h("span", null, h("span", { class: "result-name" }, item.name), " ",
              h("span", { class: "result-detail" }, item.detail || "")),
            h("span", { class: "result-detail" }, SINGULAR[item.type])))) : h("li", { class: "muted" }, "No matches."));
      } catch (error) {
        show(slot, errorNotice(error));
      }
    };
    const typed = debounce(search, 200);
    q.addEventListener("input", typed);
    filter.addEventListener("change", search);
    replace(results, h("li", { class: "muted" }, "Type to search."));
    const newButtons = types.map((t) => h("button", { type: "button", class: "button", onclick: () =>
      replace(newArea, newRecordForm(ctx, t, q.value.trim(), close)) }, `New ${SINGULAR[t]}…`));
    return [
      h("div", { class: "grid-2" }, field("Search", q), field("Record type", filter)),
      slot, results,
      h("div", { class: "toolbar" }, newButtons), newArea,
      h("div", { class: "dialog-actions" }, h("button", { type: "button", class: "button", onclick: () => close() }, "Cancel")),
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
  h("h3", null, `New ${SINGULAR[type]}`), slot,
  h("div", { class: "grid-2" },
    field(type === "contact" ? "Full name" : "Name", name, { name: nameField, required: true }),
    type === "account" ? field("E-mail domain", extra, { name: "email_domains", hint: "e.g. contoso.com" })
      : type === "contact" ? field("E-mail address", extra, { name: "email_addresses" })
        : field("Kind", extra, { name: "kind" })),
  h("button", { type: "submit", class: "button primary" }, `Create and link`));
  window.setTimeout(() => name.focus(), 0);
  return form;
}

/**
 * "Edit this list" (Type, Payment terms, Source): add, rename, reorder, remove. Renamed values
 * change on every record that has them. Resolves the new values, or undefined.
 */
export function editListDialog(ctx, listName, label) {
  return dialog(`Edit this list: ${label}`, (close) => {
    const slot = h("div", { class: "slot" });
    const list = h("ul", { class: "value-list", "aria-label": `${label} values` });
    const rows = [];
    const paint = () => {
      replace(list, rows.map((row, index) => {
        const input = h("input", { type: "text", value: row.value, maxlength: 100, "aria-label": `Value ${index + 1}`,
          oninput: (event) => { row.value = event.target.value; } });
        return h("li", { dataset: { field: `values[${index}]` } }, input,
          h("button", { type: "button", class: "button small icon", "aria-label": `Move ${row.value} up`, disabled: index === 0,
            onclick: () => { rows.splice(index - 1, 0, rows.splice(index, 1)[0]); paint(); } }, "↑"),
          h("button", { type: "button", class: "button small icon", "aria-label": `Move ${row.value} down`,
            disabled: index === rows.length - 1,
            onclick: () => { rows.splice(index + 1, 0, rows.splice(index, 1)[0]); paint(); } }, "↓"),
          h("button", { type: "button", class: "button small", "aria-label": `Remove ${row.value}`,
            onclick: () => { rows.splice(index, 1); paint(); } }, "Remove"));
      }));
    };
    const added = h("input", { type: "text", maxlength: 100 });
    const form = h("form", { onsubmit: async (event) => {
      event.preventDefault();
      const values = rows.map((r) => r.value.trim()).filter(Boolean);
      const rename = {};
      for (const row of rows) if (row.original && row.value.trim() && row.original !== row.value.trim()) rename[row.original] = row.value.trim();
      const button = form.querySelector("button[type=submit]");
      await withBusy(button, "Saving…", async () => {
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
    h("div", { class: "inline-form" }, field("New value", added),
      h("button", { type: "button", class: "button", onclick: () => {
        if (!added.value.trim()) return;
        rows.push({ original: null, value: added.value.trim() });
        added.value = "";
        paint();
        added.focus();
      } }, "Add")),
    h("p", { class: "hint" }, "Removed values stay on the records that have them but cannot be chosen again."),
    h("div", { class: "dialog-actions" },
      h("button", { type: "button", class: "button", onclick: () => close() }, "Cancel"),
      h("button", { type: "submit", class: "button primary" }, "Save list")));
    ctx.list(listName, true).then((values) => {
      rows.push(...values.map((value) => ({ original: value, value })));
      paint();
    }, (error) => show(slot, errorNotice(error)));
    return form;
  });
}

const HISTORY_KINDS = { note: "Business note", phone_log: "Phone log", task: "Task", file: "File link" };

/** A new business note, phone log, task or file link in an opportunity's history. */
export function historyDialog(ctx, opportunityId, kind) {
  return dialog(`New ${HISTORY_KINDS[kind].toLowerCase()}`, (close) => {
    const slot = h("div", { class: "slot" });
    const subject = h("input", { type: "text", maxlength: 500, autofocus: true });
    const body = h("textarea", { rows: 4 });
    const when = h("input", { type: "datetime-local", value: localInput(new Date().toISOString()) });
    const duration = h("input", { type: "number", min: 0, step: 1 });
    const direction = options(h("select"), [["", "—"], ["outgoing", "Outgoing"], ["incoming", "Incoming"]], "outgoing");
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
      await withBusy(form.querySelector("button[type=submit]"), "Saving…", async () => {
        try {
          close(await ctx.api.post(`/opportunities/${encodeURIComponent(opportunityId)}/history`, data));
        } catch (error) {
          reportError(slot, form, error);
        }
      });
    } },
    slot,
    field("Subject", subject, { name: "subject" }),
    kind === "file" ? h("div", { class: "grid-2" }, field("File name", fileName, { name: "file.name" }),
      field("Link to the file", fileUrl, { name: "file.url", hint: "A link to an existing file; nothing is uploaded." })) : null,
    field(kind === "file" ? "Notes" : "Text", body, { name: "body" }),
    h("div", { class: "grid-2" },
      field("Date and time", when, { name: "occurred_at" }),
      kind === "phone_log" ? field("Duration (minutes)", duration, { name: "duration_minutes" }) : null,
      kind === "phone_log" ? field("Direction", direction, { name: "direction" }) : null,
      kind === "task" ? field("Due date", due, { name: "due_date" }) : null),
    h("div", { class: "dialog-actions" },
      h("button", { type: "button", class: "button", onclick: () => close() }, "Cancel"),
      h("button", { type: "submit", class: "button primary" }, "Save")));
    return form;
  });
}

export { HISTORY_KINDS };
