/* Pieces the views share: notices, opportunity cards, the back button, busy buttons. */
import { describeError } from "./api.js";
import { h, replace } from "../../shared/dom.js";
import { day, money, percent } from "../../shared/format.js";
import { t } from "../../shared/i18n.js";

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
    }, error.kind === "graph-reconnect" ? t("pane.action.reconnect") : t("pane.action.signIn")));
  }
  if (about.retry && retry) actions.push(h("button", { type: "button", class: "button", onclick: retry }, t("pane.action.tryAgain")));
  return notice("error", about.title, about.text, ...actions);
}

/**
 * Where a value goes in bold inside a translated sentence: t("…", {name: MARK}) marks its place (the
 * word order is the language's), strongIn cuts the sentence there and puts the values, in order, in
 * <strong> as text.
 */
export const MARK = "\u0000";

export function strongIn(sentence, ...values) {
  const pieces = sentence.split(MARK);
  return pieces.flatMap((piece, i) => (i < pieces.length - 1 ? [piece, h("strong", null, values[i])] : [piece]));
}

/** Put a notice into a slot (replacing what was there). */
export function showIn(slot, node) {
  replace(slot, node);
  return node;
}

export function backButton(pane, label = t("pane.action.back")) {
  return h("button", { type: "button", class: "button subtle back", onclick: () => pane.goItem() },
    h("span", { "aria-hidden": "true" }, "←"), label);
}

function statusBadge(opportunity) {
  if (opportunity.status === "won") return h("span", { class: "badge badge-success" }, t("pane.status.won"));
  if (opportunity.status === "lost") return h("span", { class: "badge badge-danger" }, t("pane.status.lost"));
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
      linked ? h("span", { class: "badge badge-brand" }, t("pane.card.linked")) : null,
      statusBadge(opportunity)),
    opportunity.link && opportunity.link.name
      ? h("p", { class: "card-sub" }, t("pane.card.linkedRecord", { type: opportunity.link.type, name: opportunity.link.name }))
      : null,
    h("dl", { class: "facts" },
      h("div", null, h("dt", null, t("pane.field.stage")), h("dd", null, opportunity.stage_name || t("pane.field.noStage"))),
      h("div", null, h("dt", null, t("pane.field.probability")), h("dd", null, percent(opportunity.probability))),
      h("div", null, h("dt", null, t("pane.field.expectedRevenue")), h("dd", null, money(opportunity.expected_revenue, pane.currency))),
      h("div", null, h("dt", null, t("pane.field.closeDate")), h("dd", null, day(opportunity.close_date)))),
    actions.length ? h("div", { class: "card-actions" }, actions) : null);
}

/** A titled section; `name` makes its heading's id (section-<name>), the same in every language. */
export function section(name, title, ...children) {
  const id = `section-${name}`;
  return h("section", { class: "section", "aria-labelledby": id }, h("h2", { id }, title), children);
}
