/*
 * The opportunity form: every field of BCM's record, product/service lines with live totals,
 * "Edit this list", the sales activity checklist, comments with "Add time stamp", history with
 * "New", Save / Save and new / Save and close, delete, print, reopen.
 */
import { h, field, options, replace } from "../../../shared/dom.js";
import {
  centsToMoney, dateTime, day, expectedCents, fromLocalInput, lineAmount, localInput, money, percent, sumCents,
} from "../../../shared/format.js";
import {
  announce, clearFieldErrors, confirmAction, dialog, errorNotice, notice, printHtml, reportError, show, shownDecimal, typedDecimal,
  withBusy,
} from "../ui.js";
import { editListDialog, historyDialog, HISTORY_KINDS, linkDialog } from "./dialogs.js";
import { kindName } from "./opportunities.js";
import { attachmentList } from "./attachments.js";
import { actionButtons, ChangesCard, ProjectsCard } from "./opportunity-actions.js";
import { t } from "../../../shared/i18n.js";

// The editable lists and their label's message.
const LISTS = [["type", "workspace.field.type"], ["payment_terms", "workspace.field.paymentTerms"], ["source", "workspace.field.source"]];
// Why a deal was won or lost: asked when its stage is a closing one (by the stage's outcome).
const CLOSE_REASON = ["close_reason", "workspace.opportunityActions.closeReason"];
const INITIATOR_PATHS = { account: "accounts", contact: "contacts", marketing_activity: "marketing-activities" };
const INITIATOR_NAMES = { account: "name", contact: "display_name", marketing_activity: "name" };

export async function render(ctx, id, flash) {
  const message = flash || ctx.flash;
  ctx.flash = null;
  const isNew = id === "new";
  const [record, products, lists, reasons] = await Promise.all([
    isNew ? Promise.resolve(null) : ctx.api.get(`/opportunities/${encodeURIComponent(id)}`),
    ctx.api.get("/products", { limit: 500 }).then((p) => p.items),
    Promise.all(LISTS.map(([name]) => ctx.list(name))),
    ctx.list(CLOSE_REASON[0]).catch(() => []),
  ]);
  const form = new OpportunityForm(ctx, record, products,
    { ...Object.fromEntries(LISTS.map(([name], i) => [name, lists[i]])), [CLOSE_REASON[0]]: reasons });
  form.mount(message);
}

class OpportunityForm {
  constructor(ctx, record, products, lists) {
    this.ctx = ctx;
    this.record = record;
    this.products = products;
    this.lists = lists;
    this.link = record ? { ...record.link } : null;
    this.initiator = record && record.initiated_by ? { ...record.initiated_by, name: "" } : null;
    this.lines = record ? record.lines.map((l) => ({ ...l })) : [];
    this.readOnly = Boolean(record && record.read_only);
    this.inputs = {};
  }

  get currency() {
    return (this.record && this.record.currency) || this.ctx.currency();
  }

  mount(flash) {
    const { ctx, record } = this;
    this.messages = h("div", { class: "slot", id: "form-messages" });
    this.form = h("form", { class: "form-layout", novalidate: true, "aria-labelledby": "form-title",
      onsubmit: (event) => { event.preventDefault(); this.save("stay"); } },
    h("div", { class: "column" }, this.generalCard(), this.linesCard()),
    h("div", { class: "column" }, this.activitiesCard(), this.commentsCard(), record ? this.historyCard() : null,
      record ? this.extraCards() : null));
    replace(ctx.main, this.head(), this.messages, this.form);
    if (flash) show(this.messages, notice("success", flash));
    if (this.readOnly) {
      show(this.messages, [flash ? notice("success", flash) : null,
        notice("info", t("workspace.opportunity.readOnly", { outcome: record.status }),
          t("workspace.opportunity.readOnlyText"))]);
      for (const el of this.form.querySelectorAll("input, select, textarea, button")) {
        if (!el.dataset.keep) el.disabled = true;
      }
    }
    this.updateTotals();
    this.showCloseReason();
    this.loadInitiatorName();
    document.getElementById("form-title").focus();
  }

  head() {
    const { record } = this;
    const buttons = [];
    if (!this.readOnly) {
      buttons.push(h("button", { type: "button", class: "button primary", onclick: () => this.save("stay") }, t("workspace.action.save")),
        h("button", { type: "button", class: "button", onclick: () => this.save("new") }, t("workspace.action.saveAndNew")),
        h("button", { type: "button", class: "button", onclick: () => this.save("close") }, t("workspace.action.saveAndClose")));
    } else {
      buttons.push(h("button", { type: "button", class: "button primary", onclick: () => this.reopen() }, t("workspace.opportunity.reopenMenu")));
    }
    if (record) {
      buttons.push(...actionButtons(this.ctx, record, this.messages, {
        history: () => this.loadHistory(), projects: () => this.projects.load(),
      }));
      buttons.push(h("button", { type: "button", class: "button", onclick: (e) => this.print(e.currentTarget) }, t("workspace.opportunity.print")));
      if (!this.readOnly) buttons.push(h("button", { type: "button", class: "button", onclick: () => this.remove() }, t("workspace.action.delete")));
    }
    buttons.push(h("button", { type: "button", class: "button subtle", onclick: () => this.ctx.go("#/opportunities") },
      t("workspace.action.backToList")));
    return h("div", { class: "form-head" },
      h("h1", { id: "form-title", tabindex: "-1" }, record ? record.title : t("workspace.opportunities.new")),
      record && record.status !== "open"
        ? h("span", { class: `badge ${record.status === "won" ? "badge-success" : "badge-danger"}` },
          record.status === "won" ? t("workspace.status.closedWon") : t("workspace.status.closedLost")) : null,
      h("div", { class: "toolbar", role: "toolbar", "aria-label": t("workspace.opportunity.actions") }, buttons));
  }

  // ---- General ---------------------------------------------------------------------------

  generalCard() {
    const { ctx, record } = this;
    const r = record || {};
    const i = this.inputs;
    i.title = h("input", { type: "text", value: r.title || "", maxlength: 200, required: true });
    i.assigned_to = options(h("select"), [["", t("workspace.nobody")], ...ctx.members.map((m) => [m.user_id, m.display_name || m.email])],
      record ? (r.assigned_to || "") : (ctx.me.user.id || ""));
    const stageChoices = [["", t("workspace.opportunity.noStage")], ...ctx.stages.map((s) => [s.id, s.name])];
    const defaultStage = ctx.stages.find((s) => s.is_default);
    i.stage_id = options(h("select"), stageChoices, record ? (r.stage_id || "") : (defaultStage ? defaultStage.id : ""));
    i.probability = h("input", { type: "number", min: 0, max: 100, step: 1, value: record ? r.probability : 0,
      oninput: () => this.updateTotals() });
    i.stage_id.addEventListener("change", () => this.stageChanged());
    i.close_date = h("input", { type: "date", value: r.close_date || "" });
    i.expiration_date = h("input", { type: "date", value: r.expiration_date || "" });
    i.delivery_date = h("input", { type: "date", value: r.delivery_date || "" });
    i.competitors = h("input", { type: "text", value: r.competitors || "", maxlength: 4000 });
    i.reminder_at = h("input", { type: "datetime-local", value: localInput(r.reminder_at) });
    i.categories = h("input", { type: "text", value: (r.categories || []).join("; "), maxlength: 2000 });
    this.expected = h("div", { class: "readonly-value num", id: "expected-revenue", "aria-live": "polite" });
    this.linkText = h("input", { type: "text", readOnly: true, value: this.linkLabel(), "aria-describedby": "link-hint" });
    this.initiatorText = h("input", { type: "text", readOnly: true, value: "" });
    this.stageHint = h("p", { class: "hint", id: "stage-hint" });
    i.stage_id.setAttribute("aria-describedby", "stage-hint");
    return h("section", { class: "card", "aria-labelledby": "general-title" },
      h("h2", { id: "general-title" }, t("workspace.opportunity.general")),
      field(t("workspace.opportunities.col.title"), i.title, { name: "title", required: true }),
      h("div", { class: "field", dataset: { field: "link" } },
        h("label", { for: this.linkText.id || (this.linkText.id = "link-to") }, t("workspace.opportunities.col.link"), h("span", { "aria-hidden": "true" }, " *")),
        h("div", { class: "with-button" }, this.linkText,
          h("button", { type: "button", class: "button", onclick: () => this.changeLink() }, this.link ? t("workspace.action.change") : t("workspace.action.choose"))),
        h("p", { class: "hint", id: "link-hint" }, t("workspace.opportunity.linkHint"))),
      h("div", { class: "grid-2" },
        field(t("workspace.opportunities.col.assignedTo"), i.assigned_to, { name: "assigned_to" }),
        this.listField("type", t("workspace.field.type")),
        h("div", { class: "field", dataset: { field: "stage_id" } },
          h("label", { for: i.stage_id.id || (i.stage_id.id = "stage-select") }, t("workspace.opportunities.col.stage")), i.stage_id, this.stageHint),
        field(t("workspace.opportunity.probability"), i.probability, { name: "probability" }),
        h("div", { class: "field" }, h("span", { class: "field-label", id: "expected-label" }, t("workspace.opportunities.col.expectedRevenue")),
          this.expected),
        field(t("workspace.opportunities.col.closeDate"), i.close_date, { name: "close_date" }),
        this.closeReasonField = this.listField(CLOSE_REASON[0], t(CLOSE_REASON[1])),
        this.listField("payment_terms", t("workspace.field.paymentTerms")),
        field(t("workspace.opportunity.expirationDate"), i.expiration_date, { name: "expiration_date" }),
        field(t("workspace.opportunity.deliveryDate"), i.delivery_date, { name: "delivery_date" }),
        this.listField("source", t("workspace.field.source")),
        field(t("workspace.opportunity.reminder"), i.reminder_at, { name: "reminder_at" }),
        field(t("workspace.opportunity.competitors"), i.competitors, { name: "competitors" })),
      h("div", { class: "field", dataset: { field: "initiated_by" } },
        h("label", { for: this.initiatorText.id || (this.initiatorText.id = "initiated-by") }, t("workspace.opportunity.initiatedBy")),
        h("div", { class: "with-button" }, this.initiatorText,
          h("button", { type: "button", class: "button", onclick: () => this.changeInitiator() }, t("workspace.action.change")),
          h("button", { type: "button", class: "button", onclick: () => { this.initiator = null; this.initiatorText.value = ""; } },
            t("workspace.action.clear")))),
      field(t("workspace.field.categories"), i.categories, { name: "categories", hint: t("workspace.opportunity.categoriesHint") }));
  }

  linkLabel() {
    if (!this.link) return "";
    return t("workspace.opportunity.linkLabel", { name: this.link.name, type: this.link.type });
  }

  listField(name, label) {
    const select = h("select");
    this.inputs[name] = select;
    this.fillList(name, this.record ? this.record[name] : null);
    return h("div", { class: "field", dataset: { field: name } },
      h("label", { for: select.id || (select.id = `list-${name}`) }, label),
      h("div", { class: "with-button" }, select,
        h("button", { type: "button", class: "button small", "aria-label": t("workspace.lists.editLabel", { list: label }),
          onclick: async () => {
            const values = await editListDialog(this.ctx, name, label);
            if (values) {
              this.lists[name] = values;
              this.fillList(name, select.value);
              announce(t("workspace.lists.saved", { list: label }));
            }
          } }, t("workspace.lists.editButton"))));
  }

  fillList(name, current) {
    const values = this.lists[name] || [];
    const choices = [["", "—"], ...values.map((v) => [v, v])];
    if (current && !values.includes(current)) choices.push([current, t("workspace.lists.removedValue", { value: current })]);
    options(this.inputs[name], choices, current || "");
  }

  stageChanged() {
    const stage = this.ctx.stages.find((s) => s.id === this.inputs.stage_id.value);
    if (stage && stage.outcome) {
      this.inputs.probability.value = stage.outcome === "won" ? 100 : 0;
      this.stageHint.textContent = t("workspace.opportunity.closingStage", { stage: stage.name, probability: percent(stage.outcome === "won" ? 100 : 0) });
    } else {
      const changed = !this.record || (this.record.stage_id || "") !== this.inputs.stage_id.value;
      this.stageHint.textContent = changed && this.record ? t("workspace.opportunity.saveForActivities") : "";
    }
    this.showCloseReason();
    this.updateTotals();
  }

  /** The close reason is asked for (and sent) only while a closing stage is chosen. */
  closingStage() {
    const stage = this.ctx.stages.find((s) => s.id === this.inputs.stage_id.value);
    return Boolean(stage && stage.outcome);
  }

  showCloseReason() {
    if (this.closeReasonField) this.closeReasonField.hidden = !this.closingStage();
  }

  extraCards() {
    this.projects = new ProjectsCard(this.ctx, this.record);
    this.changes = new ChangesCard(this.ctx, this.record);
    this.projects.load();
    this.changes.load();
    return [this.projects.element, this.changes.element];
  }

  async changeLink() {
    const chosen = await linkDialog(this.ctx, { title: t("workspace.opportunity.linkTitle"), types: ["account", "contact"] });
    if (chosen) {
      this.link = chosen;
      this.linkText.value = this.linkLabel();
      announce(t("workspace.opportunity.linked", { name: chosen.name }));
    }
  }

  async changeInitiator() {
    const chosen = await linkDialog(this.ctx, { title: t("workspace.opportunity.initiatedBy"), types: ["account", "contact", "marketing_activity"] });
    if (chosen) {
      this.initiator = chosen;
      this.initiatorText.value = chosen.name;
    }
  }

  async loadInitiatorName() {
    const who = this.initiator;
    if (!who) return;
    try {
      const record = await this.ctx.api.get(`/${INITIATOR_PATHS[who.type]}/${encodeURIComponent(who.id)}`);
      who.name = record[INITIATOR_NAMES[who.type]];
      this.initiatorText.value = t("workspace.opportunity.initiatorLabel", { name: who.name, type: who.type });
    } catch (error) {
      this.initiatorText.value = t("workspace.opportunity.notFound");
    }
  }

  // ---- Products and services ---------------------------------------------------------------

  linesCard() {
    this.linesBody = h("tbody");
    this.totalText = h("span", { id: "total", "aria-live": "polite" });
    this.paintLines();
    return h("section", { class: "card", "aria-labelledby": "lines-title", dataset: { field: "lines" } },
      h("div", { class: "section-head" }, h("h2", { id: "lines-title" }, t("workspace.productsAndServices")),
        h("button", { type: "button", class: "button small", onclick: () => this.addLine() }, t("workspace.opportunity.addLine"))),
      h("div", { class: "table-wrap" }, h("table", { class: "lines" },
        h("thead", null, h("tr", null, h("th", { scope: "col" }, t("workspace.opportunity.product")),
          h("th", { scope: "col" }, t("workspace.opportunity.quantity")), h("th", { scope: "col" }, t("workspace.field.unitPrice")),
          h("th", { scope: "col" }, t("workspace.opportunity.discount")),
          h("th", { scope: "col", class: "num" }, t("workspace.opportunity.amount")),
          h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, t("workspace.action.remove"))))),
        this.linesBody)),
      h("p", { class: "totals" }, h("span", null, t("workspace.opportunity.totalLabel"), this.totalText)));
  }

  addLine() {
    this.lines.push({ id: null, product_id: null, name: "", description: "", quantity: "1", unit_price: "", discount_percent: "0" });
    this.paintLines();
    const inputs = this.linesBody.querySelectorAll("tr:last-child select");
    if (inputs.length) inputs[0].focus();
  }

  paintLines() {
    if (!this.lines.length) {
      replace(this.linesBody, h("tr", null, h("td", { colspan: 6, class: "muted" }, t("workspace.opportunity.noLines"))));
      this.updateTotals();
      return;
    }
    replace(this.linesBody, this.lines.map((line, index) => {
      const n = index + 1;
      const product = options(h("select", { "aria-label": t("workspace.opportunity.lineProduct", { n }) }),
        [["", t("workspace.opportunity.freeText")], ...this.products.map((p) => [p.id, p.name])], line.product_id || "");
      if (line.product_id && !this.products.some((p) => p.id === line.product_id)) {
        product.append(h("option", { value: line.product_id, selected: true }, line.name));
      }
      const name = h("input", { type: "text", value: line.name, maxlength: 200, "aria-label": t("workspace.opportunity.lineName", { n }) });
      const description = h("input", { type: "text", value: line.description || "", maxlength: 4000, placeholder: t("workspace.field.description"),
        "aria-label": t("workspace.opportunity.lineDescription", { n }) });
      const quantity = h("input", { type: "text", inputmode: "decimal", class: "qty", value: shownDecimal(line.quantity), "aria-label": t("workspace.opportunity.lineQuantity", { n }) });
      const price = h("input", { type: "text", inputmode: "decimal", class: "price", value: shownDecimal(line.unit_price), "aria-label": t("workspace.opportunity.linePrice", { n }) });
      const discount = h("input", { type: "text", inputmode: "decimal", class: "disc", value: shownDecimal(line.discount_percent), "aria-label": t("workspace.opportunity.lineDiscount", { n }) });
      const amount = h("td", { class: "num", dataset: { amount: String(index) } });
      product.addEventListener("change", () => {
        const chosen = this.products.find((p) => p.id === product.value);
        line.product_id = product.value || null;
        if (chosen) {
          line.name = chosen.name;
          name.value = chosen.name;
          line.unit_price = chosen.unit_price;
          price.value = shownDecimal(chosen.unit_price);
        }
        this.updateTotals();
      });
      const bind = (input, key) => input.addEventListener("input", () => { line[key] = input.value; this.updateTotals(); });
      bind(name, "name");
      bind(description, "description");
      // Amounts as typed in the page's language ("1 250,50" in French), kept as the API takes them.
      const bindDecimal = (input, key) => input.addEventListener("input", () => {
        line[key] = typedDecimal(input.value);
        this.updateTotals();
      });
      bindDecimal(quantity, "quantity");
      bindDecimal(price, "unit_price");
      bindDecimal(discount, "discount_percent");
      return h("tr", { dataset: { field: `lines[${index}]` } },
        h("td", { dataset: { field: `lines[${index}].product_id` } }, product,
          h("div", { dataset: { field: `lines[${index}].name` } }, name),
          h("div", { dataset: { field: `lines[${index}].description` } }, description)),
        h("td", { dataset: { field: `lines[${index}].quantity` } }, quantity),
        h("td", { dataset: { field: `lines[${index}].unit_price` } }, price),
        h("td", { dataset: { field: `lines[${index}].discount_percent` } }, discount),
        amount,
        h("td", null, h("button", { type: "button", class: "button small", "aria-label": t("workspace.opportunity.removeLine", { n }), onclick: () => {
          this.lines.splice(index, 1);
          this.paintLines();
        } }, t("workspace.action.remove"))));
    }));
    this.updateTotals();
  }

  updateTotals() {
    if (!this.totalText || !this.expected) return;
    const amounts = this.lines.map((line) => lineAmount(line.quantity, line.unit_price, line.discount_percent));
    for (const cell of this.linesBody.querySelectorAll("[data-amount]")) {
      const cents = amounts[Number(cell.dataset.amount)];
      cell.textContent = cents === null || cents === undefined ? "—" : money(centsToMoney(cents), this.currency);
    }
    const total = sumCents(amounts);
    this.totalText.textContent = money(centsToMoney(total), this.currency);
    this.expected.textContent = money(centsToMoney(expectedCents(total, this.inputs.probability.value)), this.currency);
  }

  // ---- Sales activities, comments, history -------------------------------------------------

  activitiesCard() {
    const activities = this.record ? this.record.activities : [];
    this.checks = activities.map((a) => h("input", { type: "checkbox", checked: a.done, id: `activity-${a.activity_id}`,
      dataset: { activity: a.activity_id } }));
    return h("section", { class: "card", "aria-labelledby": "activities-title", dataset: { field: "activities" } },
      h("h2", { id: "activities-title" }, t("workspace.salesActivities")),
      activities.length ? h("ul", { class: "checklist" }, activities.map((a, index) => h("li", null,
        h("span", { class: "check" }, this.checks[index], h("label", { for: this.checks[index].id }, a.name)),
        h("span", { class: "muted" }, a.due_date ? t("workspace.opportunity.due", { date: day(a.due_date) }) : ""))))
        : h("p", { class: "muted" }, this.record ? t("workspace.opportunity.noActivities") : t("workspace.opportunity.activitiesAfterSave")));
  }

  commentsCard() {
    const comments = h("textarea", { rows: 7, class: "comments-text", maxlength: 100000 });
    comments.value = this.record ? this.record.comments : "";
    this.inputs.comments = comments;
    const addText = h("input", { type: "text", maxlength: 10000 });
    const slot = h("div", { class: "slot" });
    const add = h("button", { type: "button", class: "button", disabled: !this.record, onclick: async () => {
      if (comments.value !== this.record.comments) {
        show(slot, notice("warning", t("workspace.opportunity.saveCommentsFirst")));
        return;
      }
      await withBusy(add, t("workspace.opportunity.adding"), async () => {
        try {
          const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
          const updated = await this.ctx.api.post(`/opportunities/${encodeURIComponent(this.record.id)}/comments`,
            { text: addText.value, timestamp: true, time_zone: zone });
          this.record.comments = updated.comments;
          this.record.version = updated.version;
          comments.value = updated.comments;
          addText.value = "";
          replace(slot);
          announce(t("workspace.opportunity.commentAdded"));
        } catch (error) {
          reportError(slot, add.closest("section"), error);
        }
      });
    } }, t("workspace.opportunity.addTimeStamp"));
    return h("section", { class: "card", "aria-labelledby": "comments-title" },
      h("h2", { id: "comments-title" }, t("workspace.opportunity.comments")),
      field(t("workspace.opportunity.comments"), comments, { name: "comments" }),
      slot,
      h("div", { class: "inline-form" }, field(t("workspace.opportunity.newComment"), addText, { name: "text" }), add),
      this.record ? null : h("p", { class: "hint" }, t("workspace.opportunity.saveBeforeComments")));
  }

  historyCard() {
    this.historyList = h("ul", { class: "history" }, h("li", { class: "muted" }, t("workspace.loading")));
    const kinds = HISTORY_KINDS.map((kind) =>
      h("button", { type: "button", class: "button small", dataset: { keep: "1" }, onclick: async () => {
        const item = await historyDialog(this.ctx, this.record.id, kind);
        if (item) {
          announce(t("workspace.history.added", { kind }));
          this.loadHistory();
        }
      } }, t("workspace.history.new", { kind })));
    this.loadHistory();
    return h("section", { class: "card", "aria-labelledby": "history-title" },
      h("h2", { id: "history-title" }, t("workspace.history.title")),
      this.readOnly ? null : h("div", { class: "toolbar", role: "group", "aria-label": t("workspace.history.newItem") }, kinds),
      this.historyList);
  }

  async loadHistory() {
    try {
      const page = await this.ctx.api.get(`/opportunities/${encodeURIComponent(this.record.id)}/history`, { limit: 50 });
      replace(this.historyList, page.items.length ? page.items.map((item) => h("li", null,
        h("div", { class: "history-head" }, h("span", { class: "kind" }, kindName(item.kind)),
          h("span", null, dateTime(item.occurred_at))),
        h("p", { class: "history-subject" }, item.subject || t("workspace.history.noSubject")),
        item.summary ? h("p", { class: "history-summary" }, item.summary) : null,
        item.cancelled ? h("p", { class: "muted" }, t("workspace.history.cancelled")) : null,
        item.removed_in_mailbox ? h("p", { class: "muted" }, t("workspace.history.removed")) : null,
        item.file && item.file.url ? h("p", { class: "history-summary" }, t("workspace.history.file", { name: item.file.name || "", url: item.file.url })) : null,
        attachmentList(this.ctx.api, item)))
        : h("li", { class: "muted" }, t("workspace.history.none")));
    } catch (error) {
      replace(this.historyList, h("li", null, errorNotice(error)));
    }
  }

  // ---- Saving ----------------------------------------------------------------------------

  payload() {
    const i = this.inputs;
    const data = {
      title: i.title.value,
      assigned_to: i.assigned_to.value || null,
      type: i.type.value || null,
      probability: i.probability.value === "" ? null : Number(i.probability.value),
      close_date: i.close_date.value || null,
      payment_terms: i.payment_terms.value || null,
      expiration_date: i.expiration_date.value || null,
      delivery_date: i.delivery_date.value || null,
      source: i.source.value || null,
      initiated_by: this.initiator ? { type: this.initiator.type, id: this.initiator.id } : null,
      competitors: i.competitors.value || null,
      stage_id: i.stage_id.value || null,
      reminder_at: fromLocalInput(i.reminder_at.value),
      comments: i.comments.value,
      categories: i.categories.value.split(/[;,]/).map((c) => c.trim()).filter(Boolean),
      lines: this.lines.map((line) => ({
        ...(line.id ? { id: line.id } : {}),
        product_id: line.product_id || null,
        name: line.name || null,
        description: line.description || null,
        quantity: String(line.quantity || "1").trim(),
        unit_price: line.unit_price === "" || line.unit_price === null ? null : String(line.unit_price).trim(),
        discount_percent: String(line.discount_percent || "0").trim(),
      })),
    };
    if (this.link) data.link = { type: this.link.type, id: this.link.id };
    const stageKept = this.record && (this.record.stage_id || "") === i.stage_id.value;
    if (stageKept && this.checks.length) {
      data.activities = this.checks.map((box) => ({ activity_id: box.dataset.activity, done: box.checked }));
    }
    const stage = this.ctx.stages.find((s) => s.id === i.stage_id.value);
    if (stage && stage.outcome && !stageKept) delete data.probability; // the server sets 100 / 0
    if (stage && stage.outcome) data.close_reason = i.close_reason.value || null;
    return data;
  }

  async save(then) {
    const { ctx } = this;
    clearFieldErrors(this.form);
    replace(this.messages);
    const data = this.payload();
    if (!this.link) {
      reportError(this.messages, this.form, { kind: "invalid", errors: [{ field: "link", message: t("workspace.opportunity.chooseLink") }],
        detail: t("workspace.opportunity.chooseLinkDetail") });
      return;
    }
    const buttons = Array.from(document.querySelectorAll(".form-head button"));
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const saved = this.record
        ? await ctx.api.patch(`/opportunities/${encodeURIComponent(this.record.id)}`, data, this.record.version)
        : await ctx.api.post("/opportunities", data);
      announce(t("workspace.savedName", { name: saved.title }));
      if (then === "close") ctx.go("#/opportunities");
      else if (then === "new") {
        ctx.flash = t("workspace.opportunity.savedNext", { name: saved.title });
        ctx.go("#/opportunities/new");
      } else if (!this.record) {
        ctx.flash = t("workspace.saved");
        ctx.go(`#/opportunities/${encodeURIComponent(saved.id)}`);
      } else await render(ctx, saved.id, t("workspace.saved"));
    } catch (error) {
      buttons.forEach((b) => { b.disabled = false; });
      reportError(this.messages, this.form, error);
    }
  }

  async remove() {
    const ok = await confirmAction(t("workspace.opportunity.deleteTitle"),
      t("workspace.opportunity.deleteText", { name: this.record.title }));
    if (!ok) return;
    try {
      await this.ctx.api.del(`/opportunities/${encodeURIComponent(this.record.id)}`, this.record.version);
      announce(t("workspace.opportunity.deleted"));
      this.ctx.go("#/opportunities");
    } catch (error) {
      show(this.messages, errorNotice(error));
    }
  }

  async print(button) {
    await withBusy(button, t("workspace.opportunity.preparing"), async () => {
      try {
        const page = await this.ctx.api.text(`/opportunities/${encodeURIComponent(this.record.id)}/print`, "text/html");
        printHtml(page.text);
      } catch (error) {
        show(this.messages, errorNotice(error));
      }
    });
  }

  async reopen() {
    const open = this.ctx.stages.filter((s) => !s.outcome);
    const stage = options(h("select", { autofocus: true }), open.map((s) => [s.id, s.name]), (open[open.length - 1] || {}).id);
    const probability = h("input", { type: "number", min: 0, max: 100, step: 1 });
    const slot = h("div", { class: "slot" });
    const done = await dialog(t("workspace.opportunity.reopenTitle"), (close) => {
      const form = h("form", { onsubmit: async (event) => {
        event.preventDefault();
        const body = { stage_id: stage.value };
        if (probability.value !== "") body.probability = Number(probability.value);
        try {
          close(await this.ctx.api.post(`/opportunities/${encodeURIComponent(this.record.id)}/reopen`, body));
        } catch (error) {
          reportError(slot, form, error);
        }
      } },
      slot, field(t("workspace.opportunity.openStage"), stage, { name: "stage_id" }),
      field(t("workspace.opportunity.probability"), probability, { name: "probability", hint: t("workspace.opportunity.keepEmpty") }),
      h("div", { class: "dialog-actions" },
        h("button", { type: "button", class: "button", onclick: () => close() }, t("workspace.action.cancel")),
        h("button", { type: "submit", class: "button primary" }, t("workspace.opportunity.reopen"))));
      return form;
    });
    if (done) await render(this.ctx, done.id, t("workspace.opportunity.reopened"));
  }
}
