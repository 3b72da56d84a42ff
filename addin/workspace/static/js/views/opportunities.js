/*
 * The opportunities list: filters, sortable columns, keyset paging ("Load more"), multi-select as in
 * BCM (click, Shift+click, Ctrl+click, Ctrl+A, arrows and Space) with bulk "Assign to" and "Mark as
 * closed", and a reading pane with the selected record.
 */
import { h, field, options, replace, debounce } from "../../../shared/dom.js";
import { day, money, percent, today, dateTime } from "../../../shared/format.js";
import { dialog, errorNotice, notice, show, withBusy, announce } from "../ui.js";

const PAGE = 50;
// Every column is sorted by the server (keyset paging), so thousands of rows page normally.
const COLUMNS = [
  { key: "title", label: "Title", server: "title" },
  { key: "link", label: "Link to", server: "link", className: "col-link" },
  { key: "stage", label: "Sales stage", server: "stage" },
  { key: "probability", label: "Probability", server: "probability", num: true },
  { key: "total", label: "Total", server: "total", num: true },
  { key: "expected_revenue", label: "Expected revenue", server: "expected_revenue", num: true },
  { key: "close_date", label: "Close date", server: "close_date" },
  { key: "assigned_to", label: "Assigned to", server: "assigned_to" },
];

// Kept while the user goes to a record and back.
const state = {
  filters: { q: "", stage_id: "", status: "open", assigned_to: "", category: "", close_after: "", close_before: "" },
  sort: { key: "close_date", descending: false },
};

export async function render(ctx) {
  const view = new ListView(ctx);
  await view.mount();
}

class ListView {
  constructor(ctx) {
    this.ctx = ctx;
    this.items = [];
    this.cursor = null;
    this.selected = new Set();
    this.anchor = 0;
    this.focusIndex = 0;
    this.loadToken = 0;
  }

  async mount() {
    const { ctx } = this;
    this.messages = h("div", { class: "slot", id: "list-messages" });
    this.tbody = h("tbody");
    this.foot = h("div", { class: "list-foot" });
    this.reading = h("aside", { class: "card reading", "aria-label": "Reading pane", id: "reading-pane" },
      h("p", { class: "muted" }, "Select an opportunity to see it here."));
    this.selectionBar = h("div", { class: "selection-bar", role: "toolbar", "aria-label": "Selected opportunities" });
    this.table = h("table", { class: "list", role: "grid", "aria-multiselectable": "true", "aria-label": "Opportunities",
      "aria-rowcount": "-1" },
    h("thead", null, h("tr", null, COLUMNS.map((c) => this.header(c)))), this.tbody);
    this.table.addEventListener("keydown", (event) => this.onKey(event));
    replace(ctx.main,
      h("div", { class: "page-head" },
        h("h1", { tabindex: "-1" }, "Opportunities"),
        h("span", { class: "spacer" }),
        h("button", { type: "button", class: "button primary", onclick: () => ctx.go("#/opportunities/new") },
          "New opportunity")),
      this.filtersForm(),
      this.selectionBar,
      this.messages,
      h("div", { class: "split" },
        h("div", null, h("div", { class: "table-wrap" }, this.table), this.foot),
        this.reading));
    this.renderSelectionBar();
    await this.reload();
  }

  header(column) {
    const active = state.sort.key === column.key;
    const sort = active ? (state.sort.descending ? "descending" : "ascending") : "none";
    return h("th", { scope: "col", class: [column.num ? "num" : "", column.className || ""].join(" ").trim(), "aria-sort": sort },
      h("button", { type: "button", onclick: () => this.sortBy(column.key),
        title: `Sort by ${column.label.toLowerCase()}` },
      column.label, h("span", { class: "sort-mark", "aria-hidden": "true" }, active ? (state.sort.descending ? "▼" : "▲") : "")));
  }

  filtersForm() {
    const { ctx } = this;
    const f = state.filters;
    const q = h("input", { type: "search", value: f.q, placeholder: "Title contains…", maxlength: 200 });
    const stage = options(h("select"), [["", "Any stage"], ...ctx.stages.map((s) => [s.id, s.name])], f.stage_id);
    const status = options(h("select"), [["", "Any status"], ["open", "Open"], ["won", "Won"], ["lost", "Lost"]], f.status);
    const assignee = options(h("select"), [["", "Anyone"], ...ctx.members.map((m) => [m.user_id, m.display_name || m.email])],
      f.assigned_to);
    const category = h("input", { type: "text", value: f.category, maxlength: 100 });
    const after = h("input", { type: "date", value: f.close_after });
    const before = h("input", { type: "date", value: f.close_before });
    const apply = () => {
      Object.assign(state.filters, {
        q: q.value.trim(), stage_id: stage.value, status: status.value, assigned_to: assignee.value,
        category: category.value.trim(), close_after: after.value, close_before: before.value,
      });
      this.reload();
    };
    const typed = debounce(apply, 300);
    q.addEventListener("input", typed);
    category.addEventListener("input", typed);
    for (const control of [stage, status, assignee, after, before]) control.addEventListener("change", apply);
    const clear = h("button", { type: "button", class: "button", onclick: () => {
      q.value = ""; stage.value = ""; status.value = ""; assignee.value = ""; category.value = "";
      after.value = ""; before.value = "";
      apply();
    } }, "Clear filters");
    const search = field("Search", q);
    search.classList.add("search");
    return h("form", { class: "filters", role: "search", "aria-label": "Filter opportunities",
      onsubmit: (event) => { event.preventDefault(); apply(); } },
    search, field("Sales stage", stage), field("Status", status), field("Assigned to", assignee),
    field("Category", category), field("Close from", after), field("Close to", before), clear);
  }

  query(cursor) {
    const column = COLUMNS.find((c) => c.key === state.sort.key);
    const sort = column && column.server ? `${state.sort.descending ? "-" : ""}${column.server}` : "close_date";
    return { ...state.filters, sort, limit: PAGE, cursor };
  }

  async reload() {
    const token = ++this.loadToken;
    this.items = [];
    this.cursor = null;
    this.selected.clear();
    replace(this.tbody, h("tr", null, h("td", { colspan: COLUMNS.length, class: "empty" }, "Loading…")));
    try {
      const page = await this.ctx.api.get("/opportunities", this.query(null));
      if (token !== this.loadToken) return;
      this.items = page.items;
      this.cursor = page.next_cursor;
      replace(this.messages);
    } catch (error) {
      if (token !== this.loadToken) return;
      show(this.messages, errorNotice(error));
    }
    this.renderRows();
    this.renderSelectionBar();
    this.showReading();
  }

  async loadMore(button) {
    await withBusy(button, "Loading…", async () => {
      try {
        const page = await this.ctx.api.get("/opportunities", this.query(this.cursor));
        const start = this.items.length;
        this.items.push(...page.items);
        this.cursor = page.next_cursor;
        this.renderRows();
        announce(`${page.items.length} more opportunities loaded.`);
        const row = this.tbody.children[start];
        if (row) this.focusRow(start);
      } catch (error) {
        show(this.messages, errorNotice(error));
      }
    });
  }

  sortBy(key) {
    state.sort = state.sort.key === key ? { key, descending: !state.sort.descending } : { key, descending: false };
    const head = this.table.tHead.rows[0];
    replace(head, COLUMNS.map((c) => this.header(c)));
    head.querySelector(`th[aria-sort="${state.sort.descending ? "descending" : "ascending"}"] button`).focus();
    this.reload();
  }

  renderRows() {
    const { ctx } = this;
    if (!this.items.length) {
      replace(this.tbody, h("tr", null, h("td", { colspan: COLUMNS.length, class: "empty" },
        "No opportunities match these filters.")));
    } else {
      replace(this.tbody, this.items.map((o, index) => h("tr", {
        dataset: { id: o.id, index: String(index) },
        class: o.status !== "open" ? "closed" : "",
        tabindex: index === this.focusIndex ? "0" : "-1",
        "aria-selected": this.selected.has(o.id) ? "true" : "false",
        onclick: (event) => this.onClick(event, index),
        ondblclick: () => ctx.go(`#/opportunities/${encodeURIComponent(o.id)}`),
      },
      h("td", { class: "title-cell" }, h("span", { class: "title-text" }, o.title),
        h("span", { class: "title-sub", "aria-hidden": "true" }, o.link.name)),
      h("td", { class: "link-cell col-link" }, o.link.name,
        h("span", { class: "visually-hidden" }, o.link.type === "account" ? " (account)" : " (contact)")),
      h("td", null, o.status === "open" ? (o.stage_name || "—")
        : h("span", { class: `badge ${o.status === "won" ? "badge-success" : "badge-danger"}` }, o.stage_name || o.status)),
      h("td", { class: "num" }, percent(o.probability)),
      h("td", { class: "num" }, money(o.total, o.currency || ctx.currency())),
      h("td", { class: "num" }, money(o.expected_revenue, o.currency || ctx.currency())),
      h("td", null, day(o.close_date)),
      h("td", null, o.assigned_to_name || "—"))));
    }
    const more = this.cursor
      ? h("button", { type: "button", class: "button", onclick: (event) => this.loadMore(event.currentTarget) }, "Load more")
      : null;
    replace(this.foot, `${this.items.length} shown${this.cursor ? ", more available" : ""}.`, more,
      h("span", null, "Click, Shift+click, Ctrl+click or Ctrl+A to select; Enter or double-click opens."));
  }

  rows() {
    return Array.from(this.tbody.querySelectorAll("tr[data-id]"));
  }

  paintSelection() {
    for (const row of this.rows()) row.setAttribute("aria-selected", this.selected.has(row.dataset.id) ? "true" : "false");
    this.renderSelectionBar();
    this.showReading();
  }

  focusRow(index) {
    const rows = this.rows();
    if (!rows.length) return;
    this.focusIndex = Math.max(0, Math.min(index, rows.length - 1));
    rows.forEach((row, i) => row.setAttribute("tabindex", i === this.focusIndex ? "0" : "-1"));
    rows[this.focusIndex].focus();
  }

  selectRange(from, to, add) {
    if (!add) this.selected.clear();
    const [a, b] = from < to ? [from, to] : [to, from];
    for (let i = a; i <= b; i += 1) this.selected.add(this.items[i].id);
  }

  onClick(event, index) {
    const id = this.items[index].id;
    if (event.shiftKey) {
      this.selectRange(this.anchor, index, event.ctrlKey || event.metaKey);
    } else if (event.ctrlKey || event.metaKey) {
      if (this.selected.has(id)) this.selected.delete(id);
      else this.selected.add(id);
      this.anchor = index;
    } else {
      this.selected = new Set([id]);
      this.anchor = index;
    }
    this.focusIndex = index;
    this.rows().forEach((row, i) => row.setAttribute("tabindex", i === index ? "0" : "-1"));
    this.paintSelection();
  }

  onKey(event) {
    const row = event.target.closest("tr[data-id]");
    if (!row) return;
    const index = Number(row.dataset.index);
    const key = event.key;
    if ((event.ctrlKey || event.metaKey) && key.toLowerCase() === "a") {
      event.preventDefault();
      this.selected = new Set(this.items.map((o) => o.id));
      this.paintSelection();
      announce(`All ${this.items.length} shown opportunities selected.`);
      return;
    }
    const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: this.items.length - 1,
      PageDown: index + 10, PageUp: index - 10 };
    if (key in moves) {
      event.preventDefault();
      const target = Math.max(0, Math.min(moves[key], this.items.length - 1));
      this.focusRow(target);
      if (event.shiftKey) this.selectRange(this.anchor, target, event.ctrlKey || event.metaKey);
      else if (!(event.ctrlKey || event.metaKey)) {
        this.selected = new Set([this.items[target].id]);
        this.anchor = target;
      }
      this.paintSelection();
    } else if (key === " ") {
      event.preventDefault();
      const id = this.items[index].id;
      if (this.selected.has(id)) this.selected.delete(id);
      else this.selected.add(id);
      this.anchor = index;
      this.paintSelection();
    } else if (key === "Enter") {
      event.preventDefault();
      this.ctx.go(`#/opportunities/${encodeURIComponent(this.items[index].id)}`);
    } else if (key === "Escape") {
      this.selected.clear();
      this.paintSelection();
    }
  }

  selectedItems() {
    return this.items.filter((o) => this.selected.has(o.id));
  }

  renderSelectionBar() {
    const count = this.selected.size;
    const none = count === 0;
    replace(this.selectionBar,
      h("span", { class: "count", "aria-live": "polite" }, none ? "Nothing selected" : `${count} selected`),
      h("button", { type: "button", class: "button", disabled: none, onclick: () => this.bulkAssign() }, "Assign to…"),
      h("button", { type: "button", class: "button", disabled: none, onclick: () => this.bulkClose() }, "Mark as closed…"),
      h("button", { type: "button", class: "button subtle", disabled: none, onclick: () => {
        this.selected.clear();
        this.paintSelection();
      } }, "Clear selection"));
  }

  async bulkAssign() {
    const { ctx } = this;
    const chosen = this.selectedItems();
    const select = options(h("select", { autofocus: true }),
      [["", "Nobody"], ...ctx.members.map((m) => [m.user_id, m.display_name || m.email])], "");
    const answer = await dialog(`Assign ${chosen.length} opportunit${chosen.length === 1 ? "y" : "ies"}`, (close) =>
      h("form", { onsubmit: (event) => { event.preventDefault(); close({ assigned_to: select.value || null }); } },
        field("Assign to", select),
        h("div", { class: "dialog-actions" },
          h("button", { type: "button", class: "button", onclick: () => close() }, "Cancel"),
          h("button", { type: "submit", class: "button primary" }, "Assign"))));
    if (!answer) return;
    await this.bulk("/opportunities/bulk-assign", { ids: chosen.map((o) => o.id), ...answer },
      (n) => `${n} opportunit${n === 1 ? "y" : "ies"} assigned to ${answer.assigned_to ? ctx.memberName(answer.assigned_to) : "nobody"}.`);
  }

  async bulkClose() {
    const chosen = this.selectedItems();
    const won = h("input", { type: "radio", name: "outcome", value: "won", id: "outcome-won", checked: true });
    const lost = h("input", { type: "radio", name: "outcome", value: "lost", id: "outcome-lost" });
    const date = h("input", { type: "date", value: today() });
    const answer = await dialog(`Mark ${chosen.length} opportunit${chosen.length === 1 ? "y" : "ies"} as closed`, (close) =>
      h("form", { onsubmit: (event) => {
        event.preventDefault();
        close({ outcome: won.checked ? "won" : "lost", close_date: date.value || null });
      } },
      h("fieldset", { class: "field" }, h("legend", null, "Outcome"),
        h("div", { class: "toolbar" },
          h("span", { class: "check" }, won, h("label", { for: won.id }, "Closed Won")),
          h("span", { class: "check" }, lost, h("label", { for: lost.id }, "Closed Lost")))),
      field("Actual close date", date, { hint: "Leave empty for today." }),
      h("p", { class: "hint" }, "Closed opportunities become read-only; the owner or the assignee can reopen them."),
      h("div", { class: "dialog-actions" },
        h("button", { type: "button", class: "button", onclick: () => close() }, "Cancel"),
        h("button", { type: "submit", class: "button primary" }, "Mark as closed"))));
    if (!answer) return;
    const label = answer.outcome === "won" ? "Closed Won" : "Closed Lost";
    await this.bulk("/opportunities/bulk-close", { ids: chosen.map((o) => o.id), ...answer },
      (n) => `${n} opportunit${n === 1 ? "y" : "ies"} marked ${label}.`);
  }

  async bulk(path, body, successText) {
    const titles = new Map(this.items.map((o) => [o.id, o.title]));
    try {
      const result = await this.ctx.api.post(path, body);
      const parts = [];
      if (result.updated.length) parts.push(notice("success", successText(result.updated.length)));
      if (result.failed.length) {
        parts.push(notice("error", `${result.failed.length} could not be changed:`, null,
          h("ul", null, result.failed.map((f) => h("li", null, h("strong", null, titles.get(f.id) || f.id), `: ${f.detail}`)))));
      }
      await this.reload();
      show(this.messages, parts);
      announce(parts.map((p) => p.textContent).join(" "));
    } catch (error) {
      show(this.messages, errorNotice(error));
    }
  }

  async showReading() {
    const { ctx } = this;
    const chosen = this.selectedItems();
    if (chosen.length !== 1) {
      replace(this.reading, h("p", { class: "muted" }, chosen.length
        ? `${chosen.length} opportunities selected.` : "Select an opportunity to see it here."));
      return;
    }
    const o = chosen[0];
    const currency = o.currency || ctx.currency();
    const historyList = h("ul", { class: "history" }, h("li", { class: "muted" }, "Loading history…"));
    replace(this.reading,
      h("h2", null, o.title),
      h("p", { class: "muted" }, `${o.link.type === "account" ? "Account" : "Business contact"}: `, o.link.name),
      h("div", { class: "toolbar" },
        h("button", { type: "button", class: "button primary", onclick: () => ctx.go(`#/opportunities/${encodeURIComponent(o.id)}`) },
          "Open"),
        o.read_only ? h("span", { class: "badge badge-neutral" }, "Read-only") : null),
      h("dl", { class: "facts" },
        fact("Sales stage", o.stage_name || "—"), fact("Probability", percent(o.probability)),
        fact("Total", money(o.total, currency)), fact("Expected revenue", money(o.expected_revenue, currency)),
        fact("Close date", day(o.close_date)), fact("Assigned to", o.assigned_to_name || "—"),
        fact("Type", o.type || "—"), fact("Source", o.source || "—")),
      o.lines.length ? [h("h3", null, "Products and services"),
        h("ul", { class: "mini-list" }, o.lines.map((l) => h("li", null, h("span", null, `${l.quantity} × `, l.name),
          h("span", { class: "num" }, money(l.amount, currency)))))] : null,
      o.activities.length ? [h("h3", null, "Sales activities"),
        h("ul", { class: "mini-list" }, o.activities.map((a) => h("li", null,
          h("span", null, a.done ? "✓ " : "○ ", a.name), h("span", { class: "muted" }, a.due_date ? day(a.due_date) : ""))))] : null,
      h("h3", null, "Recent history"), historyList);
    try {
      const page = await ctx.api.get(`/opportunities/${encodeURIComponent(o.id)}/history`, { limit: 5 });
      replace(historyList, page.items.length ? page.items.map((item) => h("li", null,
        h("div", { class: "history-head" }, h("span", { class: "kind" }, KIND_NAMES[item.kind] || item.kind),
          h("span", null, dateTime(item.occurred_at))),
        h("p", { class: "history-subject" }, item.subject || "(no subject)"))) : h("li", { class: "muted" }, "No history yet."));
    } catch (error) {
      replace(historyList, h("li", null, errorNotice(error)));
    }
  }
}

export const KIND_NAMES = { note: "Business note", phone_log: "Phone log", task: "Task", file: "File", email: "E-mail",
  appointment: "Appointment" };

function fact(label, value) {
  return h("div", null, h("dt", null, label), h("dd", null, value));
}
