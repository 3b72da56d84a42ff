/*
 * The opportunities list: filters, sortable columns, keyset paging ("Load more"), multi-select as in
 * BCM (click, Shift+click, Ctrl+click, Ctrl+A, arrows and Space) with bulk "Assign to" and "Mark as
 * closed", and a reading pane with the selected record.
 */
import { h, field, options, replace, debounce } from "../../../shared/dom.js";
import { day, money, number, percent, today, dateTime } from "../../../shared/format.js";
import { dialog, errorNotice, notice, show, withBusy, announce } from "../ui.js";
import { t } from "../../../shared/i18n.js";

const PAGE = 50;
// `label`: the column's message (workspace.opportunities.<label>). Every column is sorted by the server (keyset paging), so thousands of rows page normally.
const COLUMNS = [
  { key: "title", label: "col.title", server: "title" },
  { key: "link", label: "col.link", server: "link", className: "col-link" },
  { key: "stage", label: "col.stage", server: "stage" },
  { key: "probability", label: "col.probability", server: "probability", num: true },
  { key: "total", label: "col.total", server: "total", num: true },
  { key: "expected_revenue", label: "col.expectedRevenue", server: "expected_revenue", num: true },
  { key: "close_date", label: "col.closeDate", server: "close_date" },
  { key: "assigned_to", label: "col.assignedTo", server: "assigned_to" },
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
    this.reading = h("aside", { class: "card reading", "aria-label": t("workspace.opportunities.readingPane"), id: "reading-pane" },
      h("p", { class: "muted" }, t("workspace.opportunities.selectOne")));
    this.selectionBar = h("div", { class: "selection-bar", role: "toolbar", "aria-label": t("workspace.opportunities.selectedBar") });
    this.table = h("table", { class: "list", role: "grid", "aria-multiselectable": "true", "aria-label": t("workspace.opportunities.title"),
      "aria-rowcount": "-1" },
    h("thead", null, h("tr", null, COLUMNS.map((c) => this.header(c)))), this.tbody);
    this.table.addEventListener("keydown", (event) => this.onKey(event));
    replace(ctx.main,
      h("div", { class: "page-head" },
        h("h1", { tabindex: "-1" }, t("workspace.opportunities.title")),
        h("span", { class: "spacer" }),
        h("button", { type: "button", class: "button primary", onclick: () => ctx.go("#/opportunities/new") },
          t("workspace.opportunities.new"))),
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
    const label = t(`workspace.opportunities.${column.label}`);
    const sort = active ? (state.sort.descending ? "descending" : "ascending") : "none";
    return h("th", { scope: "col", class: [column.num ? "num" : "", column.className || ""].join(" ").trim(), "aria-sort": sort },
      h("button", { type: "button", onclick: () => this.sortBy(column.key),
        title: t("workspace.opportunities.sortBy", { column: label.toLowerCase() }) },
      label, h("span", { class: "sort-mark", "aria-hidden": "true" }, active ? (state.sort.descending ? "▼" : "▲") : "")));
  }

  filtersForm() {
    const { ctx } = this;
    const f = state.filters;
    const q = h("input", { type: "search", value: f.q, placeholder: t("workspace.opportunities.titleContains"), maxlength: 200 });
    const stage = options(h("select"), [["", t("workspace.opportunities.anyStage")], ...ctx.stages.map((s) => [s.id, s.name])], f.stage_id);
    const status = options(h("select"), [["", t("workspace.opportunities.anyStatus")], ["open", t("workspace.status.open")], ["won", t("workspace.status.won")], ["lost", t("workspace.status.lost")]], f.status);
    const assignee = options(h("select"), [["", t("workspace.opportunities.anyone")], ...ctx.members.map((m) => [m.user_id, m.display_name || m.email])],
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
    } }, t("workspace.opportunities.clearFilters"));
    const search = field(t("workspace.search"), q);
    search.classList.add("search");
    return h("form", { class: "filters", role: "search", "aria-label": t("workspace.opportunities.filter"),
      onsubmit: (event) => { event.preventDefault(); apply(); } },
    search, field(t("workspace.opportunities.col.stage"), stage), field(t("workspace.opportunities.status"), status),
    field(t("workspace.opportunities.col.assignedTo"), assignee), field(t("workspace.opportunities.category"), category),
    field(t("workspace.opportunities.closeFrom"), after), field(t("workspace.opportunities.closeTo"), before), clear);
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
    replace(this.tbody, h("tr", null, h("td", { colspan: COLUMNS.length, class: "empty" }, t("workspace.loading"))));
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
    await withBusy(button, t("workspace.loading"), async () => {
      try {
        const page = await this.ctx.api.get("/opportunities", this.query(this.cursor));
        const start = this.items.length;
        this.items.push(...page.items);
        this.cursor = page.next_cursor;
        this.renderRows();
        announce(t("workspace.opportunities.moreLoaded", { count: page.items.length }));
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
        t("workspace.opportunities.noMatch"))));
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
        h("span", { class: "visually-hidden" }, o.link.type === "account" ? t("workspace.opportunities.linkAccount") : t("workspace.opportunities.linkContact"))),
      h("td", null, o.status === "open" ? (o.stage_name || "—")
        : h("span", { class: `badge ${o.status === "won" ? "badge-success" : "badge-danger"}` }, o.stage_name || o.status)),
      h("td", { class: "num" }, percent(o.probability)),
      h("td", { class: "num" }, money(o.total, o.currency || ctx.currency())),
      h("td", { class: "num" }, money(o.expected_revenue, o.currency || ctx.currency())),
      h("td", { class: "date" }, day(o.close_date)),
      h("td", null, o.assigned_to_name || "—"))));
    }
    const more = this.cursor
      ? h("button", { type: "button", class: "button", onclick: (event) => this.loadMore(event.currentTarget) }, t("workspace.loadMore"))
      : null;
    replace(this.foot, t("workspace.shown", { count: this.items.length, more: this.cursor ? "yes" : "no" }), more,
      h("span", null, t("workspace.opportunities.selectHelp")));
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
      announce(t("workspace.opportunities.allSelected", { count: this.items.length }));
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
      h("span", { class: "count", "aria-live": "polite" }, none ? t("workspace.opportunities.nothingSelected") : t("workspace.opportunities.countSelected", { count })),
      h("button", { type: "button", class: "button", disabled: none, onclick: () => this.bulkAssign() }, t("workspace.opportunities.assignTo")),
      h("button", { type: "button", class: "button", disabled: none, onclick: () => this.bulkClose() }, t("workspace.opportunities.markClosed")),
      h("button", { type: "button", class: "button subtle", disabled: none, onclick: () => {
        this.selected.clear();
        this.paintSelection();
      } }, t("workspace.opportunities.clearSelection")));
  }

  async bulkAssign() {
    const { ctx } = this;
    const chosen = this.selectedItems();
    const select = options(h("select", { autofocus: true }),
      [["", t("workspace.nobody")], ...ctx.members.map((m) => [m.user_id, m.display_name || m.email])], "");
    const answer = await dialog(t("workspace.opportunities.assignTitle", { count: chosen.length }), (close) =>
      h("form", { onsubmit: (event) => { event.preventDefault(); close({ assigned_to: select.value || null }); } },
        field(t("workspace.opportunities.assignLabel"), select),
        h("div", { class: "dialog-actions" },
          h("button", { type: "button", class: "button", onclick: () => close() }, t("workspace.action.cancel")),
          h("button", { type: "submit", class: "button primary" }, t("workspace.opportunities.assign")))));
    if (!answer) return;
    await this.bulk("/opportunities/bulk-assign", { ids: chosen.map((o) => o.id), ...answer },
      (n) => (answer.assigned_to ? t("workspace.opportunities.assigned", { count: n, name: ctx.memberName(answer.assigned_to) })
        : t("workspace.opportunities.assignedNobody", { count: n })));
  }

  async bulkClose() {
    const chosen = this.selectedItems();
    const won = h("input", { type: "radio", name: "outcome", value: "won", id: "outcome-won", checked: true });
    const lost = h("input", { type: "radio", name: "outcome", value: "lost", id: "outcome-lost" });
    const date = h("input", { type: "date", value: today() });
    // why they were won or lost: a value of the workspace's close_reason list (optional, as in the API)
    const reasons = await this.ctx.list("close_reason", true);
    const reason = options(h("select", { name: "close_reason" }),
      [["", t("workspace.closeReasons.noReason")], ...reasons.map((value) => [value, value])], "");
    const answer = await dialog(t("workspace.opportunities.closeTitle", { count: chosen.length }), (close) =>
      h("form", { onsubmit: (event) => {
        event.preventDefault();
        close({ outcome: won.checked ? "won" : "lost", close_date: date.value || null, close_reason: reason.value || null });
      } },
      h("fieldset", { class: "field" }, h("legend", null, t("workspace.opportunities.outcome")),
        h("div", { class: "toolbar" },
          h("span", { class: "check" }, won, h("label", { for: won.id }, t("workspace.status.closedWon"))),
          h("span", { class: "check" }, lost, h("label", { for: lost.id }, t("workspace.status.closedLost"))))),
      field(t("workspace.opportunities.actualCloseDate"), date, { hint: t("workspace.opportunities.emptyToday") }),
      field(t("workspace.closeReasons.field"), reason, { hint: t("workspace.closeReasons.bulkHint") }),
      h("p", { class: "hint" }, t("workspace.opportunities.closedHint")),
      h("div", { class: "dialog-actions" },
        h("button", { type: "button", class: "button", onclick: () => close() }, t("workspace.action.cancel")),
        h("button", { type: "submit", class: "button primary" }, t("workspace.opportunities.markClosedButton")))));
    if (!answer) return;
    await this.bulk("/opportunities/bulk-close", { ids: chosen.map((o) => o.id), ...answer },
      (n) => t("workspace.opportunities.closed", { count: n, outcome: answer.outcome }));
  }

  async bulk(path, body, successText) {
    const titles = new Map(this.items.map((o) => [o.id, o.title]));
    try {
      const result = await this.ctx.api.post(path, body);
      const parts = [];
      if (result.updated.length) parts.push(notice("success", successText(result.updated.length)));
      if (result.failed.length) {
        parts.push(notice("error", t("workspace.opportunities.bulkFailed", { count: result.failed.length }), null,
          h("ul", null, result.failed.map((f) => h("li", null, h("strong", null, titles.get(f.id) || f.id), t("workspace.opportunities.bulkFailedDetail", { detail: f.detail }))))));
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
        ? t("workspace.opportunities.manySelected", { count: chosen.length }) : t("workspace.opportunities.selectOne")));
      return;
    }
    const o = chosen[0];
    const currency = o.currency || ctx.currency();
    const historyList = h("ul", { class: "history" }, h("li", { class: "muted" }, t("workspace.opportunities.loadingHistory")));
    replace(this.reading,
      h("h2", null, o.title),
      h("p", { class: "muted" }, t("workspace.opportunities.linkedTo", { type: o.link.type }), o.link.name),
      h("div", { class: "toolbar" },
        h("button", { type: "button", class: "button primary", onclick: () => ctx.go(`#/opportunities/${encodeURIComponent(o.id)}`) },
          t("workspace.opportunities.open")),
        o.read_only ? h("span", { class: "badge badge-neutral" }, t("workspace.opportunities.readOnly")) : null),
      h("dl", { class: "facts" },
        fact(t("workspace.opportunities.col.stage"), o.stage_name || "—"),
        fact(t("workspace.opportunities.col.probability"), percent(o.probability)),
        fact(t("workspace.opportunities.col.total"), money(o.total, currency)),
        fact(t("workspace.opportunities.col.expectedRevenue"), money(o.expected_revenue, currency)),
        fact(t("workspace.opportunities.col.closeDate"), day(o.close_date)),
        fact(t("workspace.opportunities.col.assignedTo"), o.assigned_to_name || "—"),
        fact(t("workspace.field.type"), o.type || "—"), fact(t("workspace.field.source"), o.source || "—")),
      o.lines.length ? [h("h3", null, t("workspace.productsAndServices")),
        h("ul", { class: "mini-list" }, o.lines.map((l) => h("li", null, h("span", null, t("workspace.opportunities.lineQuantity", { quantity: number(l.quantity) }), l.name),
          h("span", { class: "num" }, money(l.amount, currency)))))] : null,
      o.activities.length ? [h("h3", null, t("workspace.salesActivities")),
        h("ul", { class: "mini-list" }, o.activities.map((a) => h("li", null,
          h("span", null, a.done ? "✓ " : "○ ", a.name), h("span", { class: "muted" }, a.due_date ? day(a.due_date) : ""))))] : null,
      h("h3", null, t("workspace.opportunities.recentHistory")), historyList);
    try {
      const page = await ctx.api.get(`/opportunities/${encodeURIComponent(o.id)}/history`, { limit: 5 });
      replace(historyList, page.items.length ? page.items.map((item) => h("li", null,
        h("div", { class: "history-head" }, h("span", { class: "kind" }, kindName(item.kind)),
          h("span", null, dateTime(item.occurred_at))),
        h("p", { class: "history-subject" }, item.subject || t("workspace.history.noSubject"))))
        : h("li", { class: "muted" }, t("workspace.history.none")));
    } catch (error) {
      replace(historyList, h("li", null, errorNotice(error)));
    }
  }
}

const KINDS = ["note", "phone_log", "task", "file", "email", "appointment"];

/** A history item's kind for people ("Business note", "Phone log", ...); an unknown kind as it is. */
export function kindName(kind) {
  return KINDS.includes(kind) ? t(`workspace.history.kind.${kind}`) : kind;
}

function fact(label, value) {
  return h("div", null, h("dt", null, label), h("dd", null, value));
}
