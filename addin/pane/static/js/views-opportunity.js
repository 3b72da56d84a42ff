/*
 * One opportunity: quick edit of stage and probability (closing asks first), its recent history,
 * a business note or phone log, and a meeting request to its contact.
 */
import { backButton, errorNotice, notice, section, withBusy } from "./components.js";
import { append, field, h, replace, safeUrl, uid } from "../../shared/dom.js";
import { dateTime, day, money, percent } from "../../shared/format.js";
import { has, t } from "../../shared/i18n.js";
import { meetingRequestForm } from "./views-meeting.js";

const HISTORY_LIMIT = 5;

/** A history entry's kind in words (pane.kind.note, pane.kind.phone_log, ...); an unknown kind as given. */
function kindLabel(kind) {
  return has(`pane.kind.${kind}`) ? t(`pane.kind.${kind}`) : kind;
}

function oppPath(pane, id, rest = "") {
  return pane.ws(`/opportunities/${encodeURIComponent(id)}${rest}`);
}

export function renderOpportunity(container, pane, id, message = null) {
  const heading = h("h1", null, t("pane.opportunity.title"));
  const body = h("div", { "aria-busy": "true" }, h("p", { class: "loading muted" }, t("pane.opportunity.loading")));
  append(container, [backButton(pane), heading, message, body]);
  load(pane, id, heading, body);
}

async function load(pane, id, heading, body) {
  try {
    const [opportunity, stages, history] = await Promise.all([
      pane.api.get(oppPath(pane, id)), pane.stageList(), pane.api.get(oppPath(pane, id, "/history"), { limit: HISTORY_LIMIT })]);
    heading.textContent = opportunity.title;
    body.setAttribute("aria-busy", "false");
    fill(pane, body, opportunity, stages, history.items);
  } catch (error) {
    body.setAttribute("aria-busy", "false");
    replace(body, errorNotice(pane, error, () => load(pane, id, heading, body)));
  }
}

function summary(pane, opportunity) {
  const currency = opportunity.currency || pane.currency;
  return h("dl", { class: "facts facts-wide" },
    h("div", null, h("dt", null, t("pane.field.linkType", { type: opportunity.link.type })), h("dd", null, opportunity.link.name || "—")),
    h("div", null, h("dt", null, t("pane.field.stage")), h("dd", null, opportunity.stage_name || t("pane.field.noStage"))),
    h("div", null, h("dt", null, t("pane.field.probability")), h("dd", null, percent(opportunity.probability))),
    h("div", null, h("dt", null, t("pane.field.total")), h("dd", null, money(opportunity.total, currency))),
    h("div", null, h("dt", null, t("pane.field.expectedRevenue")), h("dd", null, money(opportunity.expected_revenue, currency))),
    h("div", null, h("dt", null, t("pane.field.closeDate")), h("dd", null, day(opportunity.close_date))));
}

function fill(pane, body, opportunity, stages, historyItems, message = null) {
  const historyList = h("ul", { class: "history" });
  const refreshHistory = async () => {
    const answer = await pane.api.get(oppPath(pane, opportunity.id, "/history"), { limit: HISTORY_LIMIT });
    showHistory(historyList, answer.items);
  };
  showHistory(historyList, historyItems);
  replace(body,
    opportunity.read_only
      ? notice("info", t("pane.opportunity.readOnly", { status: opportunity.status }))
      : null,
    summary(pane, opportunity),
    opportunity.read_only ? message : quickEdit(pane, body, opportunity, stages, historyItems, message),
    section("recent-history", t("pane.history.title"), historyList),
    opportunity.read_only ? null : historyForm(pane, opportunity, refreshHistory),
    opportunity.read_only ? null : meetingRequestForm(pane, opportunity, refreshHistory));
}

function showHistory(list, items) {
  if (!items.length) {
    replace(list, h("li", { class: "muted" }, t("pane.history.empty")));
    return;
  }
  replace(list, items.map((item) => {
    const link = item.graph && safeUrl(item.graph.web_link);
    return h("li", { class: "history-item" },
      h("p", { class: "history-head" },
        h("span", { class: `kind kind-${item.kind}` }, kindLabel(item.kind)),
        h("span", { class: "history-date" }, dateTime(item.occurred_at))),
      h("p", { class: "history-subject" }, link
        ? h("a", { href: link, target: "_blank", rel: "noopener noreferrer" }, item.subject || t("pane.item.noSubject"))
        : (item.subject || t("pane.item.noSubject"))),
      item.summary ? h("p", { class: "history-summary" }, item.summary) : null,
      item.cancelled ? h("p", { class: "hint" }, t("pane.history.cancelled")) : null,
      item.removed_in_mailbox ? h("p", { class: "hint" }, t("pane.history.removed")) : null);
  }));
}

function quickEdit(pane, body, opportunity, stages, historyItems, message) {
  const stage = h("select", { name: "stage_id" },
    opportunity.stage_id ? null : h("option", { value: "", selected: true }, t("pane.field.noStage")),
    stages.map((s) => h("option", { value: s.id, selected: s.id === opportunity.stage_id }, s.name)));
  const probability = h("input", { type: "number", name: "probability", min: "0", max: "100", step: "1",
    inputmode: "numeric", value: String(opportunity.probability ?? 0) });
  const slot = h("div", { class: "slot" }, message);
  const save = h("button", { type: "submit", class: "button primary" }, t("pane.edit.save"));

  async function send(changes) {
    await withBusy(save, t("pane.busy.saving"), async () => {
      try {
        const updated = await pane.api.patch(oppPath(pane, opportunity.id), changes, opportunity.version);
        const saved = t("pane.edit.saved", { stage: updated.stage_name || t("pane.edit.savedNoStage"),
          probability: percent(updated.probability) });
        pane.announce(saved);
        fill(pane, body, updated, stages, historyItems, notice("success", saved));
        pane.refreshContext().catch(() => {});
      } catch (error) {
        if (error.kind === "stale") {
          const fresh = await pane.api.get(oppPath(pane, opportunity.id));
          fill(pane, body, fresh, stages, historyItems);
          body.prepend(errorNotice(pane, error));
          return;
        }
        replace(slot, errorNotice(pane, error));
      }
    });
  }

  function confirmClose(chosen, changes) {
    const won = chosen.outcome === "won";
    const confirmButton = h("button", { type: "button", class: `button ${won ? "primary" : "danger"}` },
      t("pane.edit.closeAs", { outcome: chosen.outcome }));
    const cancel = h("button", { type: "button", class: "button" }, t("pane.action.cancel"));
    const titleId = uid("confirm");
    const box = h("div", { class: "confirm", role: "alertdialog", "aria-labelledby": titleId },
      h("p", { class: "notice-title", id: titleId }, t("pane.edit.confirmTitle", { title: opportunity.title, outcome: chosen.outcome })),
      h("p", null, t("pane.edit.confirmText", { probability: percent(won ? 100 : 0) })),
      h("div", { class: "notice-actions" }, confirmButton, cancel));
    confirmButton.addEventListener("click", () => {
      replace(slot);
      delete changes.probability; // the server sets it for a closing stage
      send(changes);
    });
    cancel.addEventListener("click", () => {
      replace(slot);
      stage.value = opportunity.stage_id || "";
      stage.focus();
    });
    replace(slot, box);
    confirmButton.focus();
  }

  const form = h("form", {
    class: "form quick-edit", novalidate: true, onsubmit: (event) => {
      event.preventDefault();
      const changes = {};
      if (stage.value && stage.value !== opportunity.stage_id) changes.stage_id = stage.value;
      const value = Number(probability.value);
      if (!Number.isInteger(value) || value < 0 || value > 100) {
        replace(slot, notice("error", t("pane.edit.badProbability")));
        probability.focus();
        return;
      }
      if (value !== opportunity.probability) changes.probability = value;
      if (!Object.keys(changes).length) {
        replace(slot, notice("info", t("pane.edit.nothing")));
        return;
      }
      const chosen = stages.find((s) => s.id === changes.stage_id);
      if (chosen && chosen.outcome) confirmClose(chosen, changes);
      else send(changes);
    },
  },
  h("div", { class: "row" }, field(t("pane.edit.stage"), stage), field(t("pane.edit.probability"), probability)),
  slot, save);
  return section("quick-edit", t("pane.edit.title"), form);
}

function historyForm(pane, opportunity, refreshHistory) {
  const name = uid("kind");
  const note = h("input", { type: "radio", name, value: "note", checked: true, id: uid("kind-note") });
  const phone = h("input", { type: "radio", name, value: "phone_log", id: uid("kind-phone") });
  const subject = h("input", { type: "text", name: "subject", maxlength: "500", required: true });
  const details = h("textarea", { name: "body", rows: "3" });
  const slot = h("div", { class: "slot" });
  const add = h("button", { type: "submit", class: "button primary" }, t("pane.note.add"));
  const form = h("form", {
    class: "form", novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      if (!subject.value.trim()) {
        replace(slot, notice("error", t("pane.note.needSubject")));
        subject.focus();
        return;
      }
      const kind = phone.checked ? "phone_log" : "note";
      await withBusy(add, t("pane.busy.adding"), async () => {
        try {
          await pane.api.post(oppPath(pane, opportunity.id, "/history"), {
            kind, subject: subject.value.trim(), body: details.value.trim() || undefined,
            occurred_at: new Date().toISOString() });
          subject.value = "";
          details.value = "";
          replace(slot, notice("success", t("pane.note.added", { kind })));
          pane.announce(t("pane.note.addedToHistory", { kind }));
          await refreshHistory();
        } catch (error) {
          replace(slot, errorNotice(pane, error));
        }
      });
    },
  },
  h("fieldset", { class: "choice" }, h("legend", null, t("pane.note.kind")),
    h("span", { class: "check" }, note, h("label", { for: note.id }, t("pane.note.note"))),
    h("span", { class: "check" }, phone, h("label", { for: phone.id }, t("pane.note.phone")))),
  field(t("pane.note.subject"), subject), field(t("pane.note.details"), details), slot, add);
  return section("add-a-note-or-phone-log", t("pane.note.title"), form);
}
