/*
 * The pipeline board: a column per open sales stage (by position) with its open deals as cards, the
 * column's count, total and expected revenue, then the two closed stages (found by `outcome`, never by
 * name) as drop zones. The list's filters (assigned to, search, close date range) apply.
 *
 * A card moves by HTML5 drag and drop, or by keyboard: arrows go from card to card, Space picks the
 * focused card up, Left/Right choose the column, Enter (or Space) drops it there and Escape puts it
 * back; each step is said in the page's live region. A move is a PATCH of `stage_id` with If-Match (the
 * card's version): a 412 says that someone changed the deal and shows the card as it is now. A drop on
 * Closed Won/Lost first asks for the close date (today by default) and the close reason.
 *
 * 2,000 open deals: pages of 200 with the API's cursor, each page's cards built into one
 * DocumentFragment per column and appended once; totals in exact cents (BigInt), painted per page.
 */
import { h, field, options, replace, debounce } from "../../../shared/dom.js";
import { day, money, today, lineAmount, sumCents, centsToMoney } from "../../../shared/format.js";
import { dialog, errorNotice, notice, show } from "../ui.js";
import { t } from "../../../shared/i18n.js";

// Pages of 200: the first cards show after one short request, and no page's build is a long task.
const PAGE = 200;
const HINT_ID = "board-keys";

// Kept while the user goes to a deal and back.
const state = { filters: { q: "", assigned_to: "", close_after: "", close_before: "" } };

export async function render(ctx) {
  const board = new Board(ctx);
  await board.mount();
  return board;
}

/** "123.45" -> 12345n (cents); a missing amount counts 0. */
function cents(amount) {
  return amount === null || amount === undefined || amount === "" ? 0n : (lineAmount("1", String(amount), "0") ?? 0n);
}

class Board {
  constructor(ctx) {
    this.ctx = ctx;
    this.columns = []; // {stage, list, head, items: Map(id -> opportunity), zone}
    this.cards = new Map(); // id -> card element
    this.loadToken = 0;
    this.lifted = null; // keyboard move: {id, target (column index)}
    this.dragging = null;
  }

  async mount() {
    const { ctx } = this;
    const stages = await ctx.refreshStages();
    const open = stages.filter((s) => !s.outcome).sort((a, b) => a.position - b.position);
    const closed = ["won", "lost"].map((outcome) => stages.find((s) => s.outcome === outcome)).filter(Boolean);
    this.messages = h("div", { class: "slot", id: "board-messages" });
    this.progress = h("p", { class: "muted board-progress", role: "status" });
    this.columns = [...open, ...closed].map((stage) => this.column(stage));
    this.boardEl = h("div", { class: "board", role: "region", tabindex: "0", "aria-label": t("workspace.board.title"),
      "aria-describedby": HINT_ID }, this.columns.map((c) => c.el));
    this.boardEl.addEventListener("keydown", (event) => this.onKey(event));
    this.boardEl.addEventListener("dragstart", (event) => this.onDragStart(event));
    this.boardEl.addEventListener("dragend", () => this.endDrag());
    this.boardEl.addEventListener("dragover", (event) => this.onDragOver(event));
    this.boardEl.addEventListener("dragleave", (event) => this.onDragLeave(event));
    this.boardEl.addEventListener("drop", (event) => this.onDrop(event));
    this.boardEl.addEventListener("dblclick", (event) => {
      const card = event.target.closest(".board-card");
      if (card) ctx.go(`#/opportunities/${encodeURIComponent(card.dataset.id)}`);
    });
    this.boardEl.addEventListener("focusout", (event) => {
      if (this.lifted && !this.boardEl.contains(event.relatedTarget)) this.cancelLift();
    });
    replace(ctx.main,
      h("div", { class: "page-head" },
        h("h1", { tabindex: "-1" }, t("workspace.board.title")),
        h("span", { class: "spacer" }),
        h("button", { type: "button", class: "button primary", onclick: () => ctx.go("#/opportunities/new") },
          t("workspace.opportunities.new"))),
      this.filtersForm(),
      h("p", { class: "hint", id: HINT_ID }, t("workspace.board.keys")),
      this.messages,
      this.progress,
      this.boardEl);
    await this.reload();
  }

  column(stage) {
    const closed = Boolean(stage.outcome);
    const headId = `board-col-${stage.id}`;
    const list = h("ul", { class: "board-list", "aria-labelledby": headId });
    const totals = h("p", { class: "board-totals" });
    const el = h("section", { class: "board-column",
      dataset: { stage: stage.id, outcome: stage.outcome || "" } },
    h("h2", { id: headId, class: "board-head" }, stage.name),
    totals,
    closed ? h("p", { class: "board-drop-hint" }, t("workspace.board.dropToClose")) : list);
    if (closed) el.classList.add("board-zone");
    return { stage, el, list, totals, items: new Map(), closed };
  }

  filtersForm() {
    const { ctx } = this;
    const f = state.filters;
    const q = h("input", { type: "search", value: f.q, placeholder: t("workspace.opportunities.titleContains"), maxlength: 200 });
    const assignee = options(h("select"), [["", t("workspace.opportunities.anyone")],
      ...ctx.members.map((m) => [m.user_id, m.display_name || m.email])], f.assigned_to);
    const after = h("input", { type: "date", value: f.close_after });
    const before = h("input", { type: "date", value: f.close_before });
    const apply = () => {
      const wanted = { q: q.value.trim(), assigned_to: assignee.value, close_after: after.value, close_before: before.value };
      // Typing then Enter applies once: the late debounced call finds nothing changed and keeps the board.
      if (JSON.stringify(wanted) === JSON.stringify(state.filters) && this.loadToken) return;
      Object.assign(state.filters, wanted);
      this.reload();
    };
    q.addEventListener("input", debounce(apply, 300));
    for (const control of [assignee, after, before]) control.addEventListener("change", apply);
    const clear = h("button", { type: "button", class: "button", onclick: () => {
      q.value = ""; assignee.value = ""; after.value = ""; before.value = "";
      apply();
    } }, t("workspace.opportunities.clearFilters"));
    const search = field(t("workspace.search"), q);
    search.classList.add("search");
    return h("form", { class: "filters board-filters", role: "search", "aria-label": t("workspace.board.filter"),
      onsubmit: (event) => { event.preventDefault(); apply(); } },
    search, field(t("workspace.opportunities.col.assignedTo"), assignee),
    field(t("workspace.opportunities.closeFrom"), after), field(t("workspace.opportunities.closeTo"), before), clear);
  }

  /** The list's query, for open deals only, soonest close date first. */
  query(cursor) {
    const query = { status: "open", sort: "close_date", limit: PAGE };
    for (const [key, value] of Object.entries(state.filters)) if (value) query[key] = value;
    if (cursor) query.cursor = cursor;
    return query;
  }

  async reload() {
    const token = ++this.loadToken;
    this.cancelLift(false);
    this.cards.clear();
    for (const c of this.columns) {
      c.items.clear();
      if (!c.closed) replace(c.list);
    }
    this.paintTotals(); // every column at 0 until its cards come
    this.boardEl.setAttribute("aria-busy", "true");
    this.boardEl.dataset.loaded = "false";
    replace(this.progress, t("workspace.loading"));
    let cursor = null;
    let count = 0;
    try {
      do {
        const page = await this.ctx.api.get("/opportunities", this.query(cursor));
        if (token !== this.loadToken) return;
        this.addPage(page.items);
        count += page.items.length;
        cursor = page.next_cursor;
        if (cursor) replace(this.progress, t("workspace.board.loadingMore", { count }));
      } while (cursor);
      replace(this.messages);
      replace(this.progress, count ? t("workspace.board.shown", { count }) : t("workspace.board.none"));
    } catch (error) {
      if (token !== this.loadToken) return;
      show(this.messages, errorNotice(error));
      replace(this.progress);
    } finally {
      if (token === this.loadToken) {
        this.boardEl.setAttribute("aria-busy", "false");
        this.boardEl.dataset.loaded = "true";
        this.ensureTabStop();
      }
    }
  }

  /** One page of deals: the cards of each column built off the document, then one append per column. */
  addPage(items) {
    const byStage = new Map();
    for (const o of items) {
      const c = this.columnOf(o.stage_id);
      if (!c || c.closed) continue; // a deal in no open stage has no column
      c.items.set(o.id, o);
      if (!byStage.has(c)) byStage.set(c, document.createDocumentFragment());
      const card = this.card(o);
      byStage.get(c).append(card);
    }
    for (const [c, fragment] of byStage) c.list.append(fragment);
    this.paintTotals(Array.from(byStage.keys()));
  }

  columnOf(stageId) {
    return this.columns.find((c) => c.stage.id === stageId);
  }

  card(o) {
    const currency = o.currency || this.ctx.currency();
    const el = h("li", { class: "board-card", tabindex: "-1", draggable: "true", dataset: { id: o.id },
      "aria-describedby": HINT_ID },
    h("a", { class: "board-title", href: `#/opportunities/${encodeURIComponent(o.id)}`, tabindex: "-1", draggable: "false" }, o.title),
    h("span", { class: "board-link" }, o.link ? o.link.name : ""),
    h("dl", { class: "board-facts" },
      h("div", null, h("dt", null, t("workspace.opportunities.col.total")), h("dd", null, money(o.total, currency))),
      h("div", null, h("dt", null, t("workspace.opportunities.col.expectedRevenue")),
        h("dd", null, money(o.expected_revenue, currency))),
      h("div", null, h("dt", null, t("workspace.opportunities.col.closeDate")), h("dd", null, day(o.close_date))),
      h("div", null, h("dt", null, t("workspace.opportunities.col.assignedTo")), h("dd", null, o.assigned_to_name || "—"))));
    this.cards.set(o.id, el);
    return el;
  }

  /** The totals of `columns` (default: all of them), in exact cents. */
  paintTotals(columns = this.columns) {
    const currency = this.ctx.currency();
    for (const c of columns) {
      if (!c || c.closed) continue;
      const values = Array.from(c.items.values());
      replace(c.totals,
        h("span", { class: "board-count" }, t("workspace.board.count", { count: values.length })),
        h("span", null, t("workspace.board.total", { amount: money(centsToMoney(sumCents(values.map((o) => cents(o.total)))), currency) })),
        h("span", null, t("workspace.board.expected", {
          amount: money(centsToMoney(sumCents(values.map((o) => cents(o.expected_revenue)))), currency) })));
    }
  }

  /** One card is the board's tab stop (roving tabindex): the focused one, else the first. */
  ensureTabStop(card = null) {
    const current = this.boardEl.querySelector(".board-card[tabindex='0']");
    const chosen = card || (current && current.isConnected ? current : this.boardEl.querySelector(".board-card"));
    if (current && current !== chosen) current.setAttribute("tabindex", "-1");
    if (chosen) chosen.setAttribute("tabindex", "0");
  }

  focusCard(card) {
    if (!card) return;
    this.ensureTabStop(card);
    card.focus();
  }

  itemOf(id) {
    for (const c of this.columns) if (c.items.has(id)) return { column: c, item: c.items.get(id) };
    return null;
  }

  // ---- keyboard --------------------------------------------------------------------------------

  onKey(event) {
    const card = event.target.closest && event.target.closest(".board-card");
    if (!card) return;
    if (this.lifted) {
      this.onLiftedKey(event, card);
      return;
    }
    const column = this.columns.findIndex((c) => c.list.contains(card));
    const cardsIn = (c) => Array.from(this.columns[c].list.children);
    const mine = cardsIn(column);
    const at = mine.indexOf(card);
    const key = event.key;
    if (key === "ArrowDown" || key === "ArrowUp" || key === "Home" || key === "End") {
      event.preventDefault();
      const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: mine.length - 1 }[key];
      this.focusCard(mine[Math.max(0, Math.min(to, mine.length - 1))]);
    } else if (key === "ArrowLeft" || key === "ArrowRight") {
      event.preventDefault();
      const step = key === "ArrowRight" ? 1 : -1;
      for (let c = column + step; c >= 0 && c < this.columns.length; c += step) {
        if (this.columns[c].closed) break;
        const there = cardsIn(c);
        if (there.length) {
          this.focusCard(there[Math.min(at, there.length - 1)]);
          break;
        }
      }
    } else if (key === " ") {
      event.preventDefault();
      const { item } = this.itemOf(card.dataset.id);
      this.lifted = { id: card.dataset.id, from: column, target: column };
      card.classList.add("lifted");
      this.ctx.announce(t("workspace.board.lifted", { title: item.title, stage: this.columns[column].stage.name }));
    } else if (key === "Enter") {
      event.preventDefault();
      this.ctx.go(`#/opportunities/${encodeURIComponent(card.dataset.id)}`);
    }
  }

  onLiftedKey(event, card) {
    const key = event.key;
    if (key === "ArrowLeft" || key === "ArrowRight") {
      event.preventDefault();
      const target = Math.max(0, Math.min(this.lifted.target + (key === "ArrowRight" ? 1 : -1), this.columns.length - 1));
      this.lifted.target = target;
      this.markTarget(target === this.lifted.from ? null : this.columns[target]);
      this.ctx.announce(t("workspace.board.over", { stage: this.columns[target].stage.name }));
    } else if (key === "Enter" || key === " ") {
      event.preventDefault();
      const { id, target, from } = this.lifted;
      this.cancelLift(false);
      if (target === from) this.ctx.announce(t("workspace.board.notMoved"));
      else this.move(id, this.columns[target]);
    } else if (key === "Escape") {
      event.preventDefault();
      this.cancelLift();
      this.focusCard(card);
    } else if (key === "Tab") {
      this.cancelLift();
    } else if (/^Arrow/.test(key)) {
      event.preventDefault();
    }
  }

  cancelLift(say = true) {
    if (!this.lifted) return;
    const card = this.cards.get(this.lifted.id);
    if (card) card.classList.remove("lifted");
    this.lifted = null;
    this.markTarget(null);
    if (say) this.ctx.announce(t("workspace.board.cancelled"));
  }

  markTarget(column) {
    for (const c of this.columns) c.el.classList.toggle("drop-target", c === column);
  }

  // ---- drag and drop (mouse) ---------------------------------------------------------------------

  onDragStart(event) {
    const card = event.target.closest && event.target.closest(".board-card");
    if (!card) return;
    this.cancelLift(false);
    this.dragging = card.dataset.id;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.id);
  }

  columnAt(event) {
    const el = event.target.closest && event.target.closest(".board-column");
    return el ? this.columns.find((c) => c.el === el) : null;
  }

  onDragOver(event) {
    if (!this.dragging) return;
    const c = this.columnAt(event);
    if (!c) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    const here = this.itemOf(this.dragging);
    this.markTarget(here && here.column === c ? null : c);
  }

  onDragLeave(event) {
    if (!this.dragging) return;
    const c = this.columnAt(event);
    if (c && !c.el.contains(event.relatedTarget)) c.el.classList.remove("drop-target");
  }

  onDrop(event) {
    const id = this.dragging;
    const c = this.columnAt(event);
    this.endDrag();
    if (!id || !c) return;
    event.preventDefault();
    const here = this.itemOf(id);
    if (here && here.column !== c) this.move(id, c);
  }

  endDrag() {
    if (this.dragging) {
      const card = this.cards.get(this.dragging);
      if (card) card.classList.remove("dragging");
    }
    this.dragging = null;
    this.markTarget(null);
  }

  // ---- the move ------------------------------------------------------------------------------------

  /** PATCH the deal's stage (If-Match its version); a closed stage asks for the close date and reason. */
  async move(id, target) {
    const here = this.itemOf(id);
    if (!here) return;
    const { item, column } = here;
    const card = this.cards.get(id);
    const body = { stage_id: target.stage.id };
    if (target.closed) {
      const closing = await this.askClose(item, target.stage);
      if (!closing) {
        this.ctx.announce(t("workspace.board.notMoved"));
        this.focusCard(card);
        return;
      }
      Object.assign(body, closing);
    }
    card.classList.add("moving");
    card.setAttribute("aria-busy", "true");
    try {
      const updated = await this.ctx.api.patch(`/opportunities/${encodeURIComponent(id)}`, body, item.version);
      replace(this.messages);
      this.place(updated, column);
      this.ctx.announce(t("workspace.board.moved", { title: updated.title, stage: target.stage.name }));
    } catch (error) {
      card.classList.remove("moving");
      card.removeAttribute("aria-busy");
      if (error && error.status === 412) await this.conflict(id, column);
      else {
        show(this.messages, errorNotice(error));
        this.focusCard(card);
      }
    }
  }

  /** The deal as the server has it now: its card in its stage's column (gone when closed), totals again. */
  place(o, from) {
    const old = this.cards.get(o.id);
    const hadFocus = old && old === document.activeElement;
    from.items.delete(o.id);
    if (old) old.remove();
    this.cards.delete(o.id);
    const to = this.columnOf(o.stage_id);
    let card = null;
    if (o.status === "open" && to && !to.closed) {
      to.items.set(o.id, o);
      card = this.card(o);
      // Where the list order puts it: soonest close date first (no date last).
      const later = Array.from(to.list.children).find((el) => {
        const other = to.items.get(el.dataset.id);
        return other && o.close_date && (!other.close_date || other.close_date > o.close_date);
      });
      to.list.insertBefore(card, later || null);
    }
    this.paintTotals([from, to]);
    if (card && hadFocus) this.focusCard(card);
    else if (hadFocus || !this.boardEl.querySelector(".board-card[tabindex='0']")) {
      const next = (from.list && from.list.firstElementChild) || this.boardEl.querySelector(".board-card");
      if (hadFocus && next) this.focusCard(next);
      else this.ensureTabStop();
    }
    return card;
  }

  async conflict(id, column) {
    let fresh = null;
    try {
      fresh = await this.ctx.api.get(`/opportunities/${encodeURIComponent(id)}`);
    } catch (error) {
      show(this.messages, errorNotice(error));
      return;
    }
    const card = this.place(fresh, column);
    const text = t("workspace.board.conflictText", { title: fresh.title });
    show(this.messages, notice("error", t("workspace.board.conflict"), text));
    if (card) this.focusCard(card);
    this.ctx.announce(text);
  }

  /** The close date (today by default) and the close reason, or undefined when the user cancels. */
  async askClose(o, stage) {
    const { ctx } = this;
    let reasons = [];
    let failed = null;
    try {
      reasons = await ctx.list("close_reason", true);
    } catch (error) {
      failed = error;
    }
    return dialog(t("workspace.board.closeTitle", { title: o.title, stage: stage.name }), (close) => {
      const date = h("input", { type: "date", value: today(), required: true, autofocus: true });
      const reason = options(h("select"), [["", t("workspace.board.noReason")], ...reasons.map((r) => [r, r])], "");
      const form = h("form", { onsubmit: (event) => {
        event.preventDefault();
        const answer = { close_date: date.value };
        if (reason.value) answer.close_reason = reason.value;
        close(answer);
      } },
      failed ? errorNotice(failed) : null,
      field(t("workspace.board.closeDate"), date, { name: "close_date", required: true }),
      field(t("workspace.board.closeReason"), reason, { name: "close_reason" }),
      h("div", { class: "dialog-actions" },
        h("button", { type: "button", class: "button", onclick: () => close() }, t("workspace.action.cancel")),
        h("button", { type: "submit", class: "button primary" }, t("workspace.board.closeAction", { stage: stage.name }))));
      return form;
    });
  }
}
