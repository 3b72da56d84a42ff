/*
 * One opportunity: quick edit of stage and probability (closing asks first), its recent history,
 * a business note or phone log, and a meeting request to its contact.
 */
import { backButton, errorNotice, notice, section, withBusy } from "./components.js";
import { append, field, h, replace, safeUrl, uid } from "../../shared/dom.js";
import { dateTime, day, money, percent } from "../../shared/format.js";
import { meetingRequestForm } from "./views-meeting.js";

const HISTORY_LIMIT = 5;
const KIND_LABELS = { note: "Note", phone_log: "Phone log", task: "Task", file: "File", email: "E-mail", appointment: "Meeting" };

function oppPath(pane, id, rest = "") {
  return pane.ws(`/opportunities/${encodeURIComponent(id)}${rest}`);
}

export function renderOpportunity(container, pane, id, message = null) {
  const heading = h("h1", null, "Opportunity");
  const body = h("div", { "aria-busy": "true" }, h("p", { class: "loading muted" }, "Loading the opportunity…"));
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
    h("div", null, h("dt", null, opportunity.link.type === "account" ? "Account" : "Contact"), h("dd", null, opportunity.link.name || "—")),
    h("div", null, h("dt", null, "Stage"), h("dd", null, opportunity.stage_name || "No stage")),
    h("div", null, h("dt", null, "Probability"), h("dd", null, percent(opportunity.probability))),
    h("div", null, h("dt", null, "Total"), h("dd", null, money(opportunity.total, currency))),
    h("div", null, h("dt", null, "Expected revenue"), h("dd", null, money(opportunity.expected_revenue, currency))),
    h("div", null, h("dt", null, "Close date"), h("dd", null, day(opportunity.close_date))));
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
      ? notice("info", `Closed ${opportunity.status === "won" ? "won" : "lost"}: this opportunity is read-only.`)
      : null,
    summary(pane, opportunity),
    opportunity.read_only ? message : quickEdit(pane, body, opportunity, stages, historyItems, message),
    section("Recent history", historyList),
    opportunity.read_only ? null : historyForm(pane, opportunity, refreshHistory),
    opportunity.read_only ? null : meetingRequestForm(pane, opportunity, refreshHistory));
}

function showHistory(list, items) {
  if (!items.length) {
    replace(list, h("li", { class: "muted" }, "Nothing yet."));
    return;
  }
  replace(list, items.map((item) => {
    const link = item.graph && safeUrl(item.graph.web_link);
    return h("li", { class: "history-item" },
      h("p", { class: "history-head" },
        h("span", { class: `kind kind-${item.kind}` }, KIND_LABELS[item.kind] || item.kind),
        h("span", { class: "history-date" }, dateTime(item.occurred_at))),
      h("p", { class: "history-subject" }, link
        ? h("a", { href: link, target: "_blank", rel: "noopener noreferrer" }, item.subject || "(no subject)")
        : (item.subject || "(no subject)")),
      item.summary ? h("p", { class: "history-summary" }, item.summary) : null,
      item.cancelled ? h("p", { class: "hint" }, "Cancelled by the organizer.") : null,
      item.removed_in_mailbox ? h("p", { class: "hint" }, "No longer in the mailbox.") : null);
  }));
}

function quickEdit(pane, body, opportunity, stages, historyItems, message) {
  const stage = h("select", { name: "stage_id" },
    opportunity.stage_id ? null : h("option", { value: "", selected: true }, "No stage"),
    stages.map((s) => h("option", { value: s.id, selected: s.id === opportunity.stage_id }, s.name)));
  const probability = h("input", { type: "number", name: "probability", min: "0", max: "100", step: "1",
    inputmode: "numeric", value: String(opportunity.probability ?? 0) });
  const slot = h("div", { class: "slot" }, message);
  const save = h("button", { type: "submit", class: "button primary" }, "Save changes");

  async function send(changes) {
    await withBusy(save, "Saving…", async () => {
      try {
        const updated = await pane.api.patch(oppPath(pane, opportunity.id), changes, opportunity.version);
        const saved = `Saved: ${updated.stage_name || "no stage"}, ${updated.probability} %.`;
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
      won ? "Close as won" : "Close as lost");
    const cancel = h("button", { type: "button", class: "button" }, "Cancel");
    const titleId = uid("confirm");
    const box = h("div", { class: "confirm", role: "alertdialog", "aria-labelledby": titleId },
      h("p", { class: "notice-title", id: titleId }, `Close “${opportunity.title}” as ${won ? "won" : "lost"}?`),
      h("p", null, `Its probability becomes ${won ? "100" : "0"} % and the opportunity becomes read-only.`),
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
        replace(slot, notice("error", "Probability must be a whole number from 0 to 100."));
        probability.focus();
        return;
      }
      if (value !== opportunity.probability) changes.probability = value;
      if (!Object.keys(changes).length) {
        replace(slot, notice("info", "Nothing to save: change the stage or the probability first."));
        return;
      }
      const chosen = stages.find((s) => s.id === changes.stage_id);
      if (chosen && chosen.outcome) confirmClose(chosen, changes);
      else send(changes);
    },
  },
  h("div", { class: "row" }, field("Sales stage", stage), field("Probability (%)", probability)),
  slot, save);
  return section("Quick edit", form);
}

function historyForm(pane, opportunity, refreshHistory) {
  const name = uid("kind");
  const note = h("input", { type: "radio", name, value: "note", checked: true, id: uid("kind-note") });
  const phone = h("input", { type: "radio", name, value: "phone_log", id: uid("kind-phone") });
  const subject = h("input", { type: "text", name: "subject", maxlength: "500", required: true });
  const details = h("textarea", { name: "body", rows: "3" });
  const slot = h("div", { class: "slot" });
  const add = h("button", { type: "submit", class: "button primary" }, "Add to history");
  const form = h("form", {
    class: "form", novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      if (!subject.value.trim()) {
        replace(slot, notice("error", "Give the entry a subject."));
        subject.focus();
        return;
      }
      const kind = phone.checked ? "phone_log" : "note";
      await withBusy(add, "Adding…", async () => {
        try {
          await pane.api.post(oppPath(pane, opportunity.id, "/history"), {
            kind, subject: subject.value.trim(), body: details.value.trim() || undefined,
            occurred_at: new Date().toISOString() });
          subject.value = "";
          details.value = "";
          replace(slot, notice("success", kind === "note" ? "Note added." : "Phone log added."));
          pane.announce(kind === "note" ? "Note added to the history." : "Phone log added to the history.");
          await refreshHistory();
        } catch (error) {
          replace(slot, errorNotice(pane, error));
        }
      });
    },
  },
  h("fieldset", { class: "choice" }, h("legend", null, "Kind"),
    h("span", { class: "check" }, note, h("label", { for: note.id }, "Business note")),
    h("span", { class: "check" }, phone, h("label", { for: phone.id }, "Phone log"))),
  field("Subject", subject), field("Details", details), slot, add);
  return section("Add a note or phone log", form);
}
