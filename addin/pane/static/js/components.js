/* Pieces the views share: notices, opportunity cards, the back button, busy buttons. */
import { describeError } from "./api.js";
import { h, replace } from "../../shared/dom.js";
import { day, money, percent } from "../../shared/format.js";

// The views take withBusy from here with the rest of their pieces.
export { withBusy } from "../../shared/dom.js";

/** kind: "info" | "success" | "warning" | "error". Errors are announced at once (role=alert). */
export function notice(kind, title, text, ...actions) {
  return h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("p", { class: "notice-title" }, title),
    text ? h("p", { class: "notice-text" }, text) : null,
    actions.length ? h("div", { class: "notice-actions" }, actions) : null);
}

/** An inline error for a failed action, with "Sign in" when that is what helps. */
export function errorNotice(pane, error, retry) {
  const about = describeError(error);
  const actions = [];
  if (about.signIn && pane.auth && pane.auth.mode === "entra") {
    actions.push(h("button", {
      type: "button", class: "button primary", onclick: async () => {
        try {
          await pane.auth.signIn(error.challenge);
          if (retry) retry();
        } catch (again) {
          pane.fail(again);
        }
      },
    }, error.kind === "graph-reconnect" ? "Reconnect" : "Sign in"));
  }
  if (about.retry && retry) actions.push(h("button", { type: "button", class: "button", onclick: retry }, "Try again"));
  return notice("error", about.title, about.text, ...actions);
}

/** Put a notice into a slot (replacing what was there). */
export function showIn(slot, node) {
  replace(slot, node);
  return node;
}

export function backButton(pane, label = "Back") {
  return h("button", { type: "button", class: "button subtle back", onclick: () => pane.goItem() },
    h("span", { "aria-hidden": "true" }, "←"), label);
}

function statusBadge(opportunity) {
  if (opportunity.status === "won") return h("span", { class: "badge badge-success" }, "Won");
  if (opportunity.status === "lost") return h("span", { class: "badge badge-danger" }, "Lost");
  return null;
}

/**
 * One opportunity as a card: title (opens it), stage, probability, expected revenue, close date.
 * `actions` are extra buttons; `linked` adds the "Linked" badge.
 */
export function opportunityCard(pane, opportunity, { linked = false, actions = [] } = {}) {
  const titleId = `opp-${opportunity.id}-title`;
  return h("li", { class: "card", "aria-labelledby": titleId },
    h("div", { class: "card-head" },
      h("h3", { class: "card-title", id: titleId },
        h("button", { type: "button", class: "link-button", onclick: () => pane.goOpportunity(opportunity.id) },
          opportunity.title)),
      linked ? h("span", { class: "badge badge-brand" }, "Linked") : null,
      statusBadge(opportunity)),
    opportunity.link && opportunity.link.name
      ? h("p", { class: "card-sub" }, `${opportunity.link.type === "account" ? "Account" : "Contact"}: ${opportunity.link.name}`)
      : null,
    h("dl", { class: "facts" },
      h("div", null, h("dt", null, "Stage"), h("dd", null, opportunity.stage_name || "No stage")),
      h("div", null, h("dt", null, "Probability"), h("dd", null, percent(opportunity.probability))),
      h("div", null, h("dt", null, "Expected revenue"), h("dd", null, money(opportunity.expected_revenue, pane.currency))),
      h("div", null, h("dt", null, "Close date"), h("dd", null, day(opportunity.close_date)))),
    actions.length ? h("div", { class: "card-actions" }, actions) : null);
}

export function section(title, ...children) {
  const id = `section-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { class: "section", "aria-labelledby": id }, h("h2", { id }, title), children);
}
