/* The item view: what this e-mail or meeting is linked to, who is on it, and their open deals. */
import { errorNotice, notice, opportunityCard, section, withBusy } from "./components.js";
import { h } from "../../shared/dom.js";
import { dateTime, personLabel } from "../../shared/format.js";
import { t } from "../../shared/i18n.js";
import { userEmail } from "./mailbox.js";

/** "message" or "event": the messages choose their words by it (ICU select), so "e-mail" and "meeting"
 * agree with the sentence in every language. */
export function itemNoun(item) {
  return item && item.type === "event" ? "event" : "message";
}

/** The other party: the sender, or (for mail the user sent) the first recipient who is not the user. */
export function counterpart(item) {
  const me = userEmail().toLowerCase();
  const candidates = [item.from, ...(item.to || []), ...(item.cc || [])].filter(Boolean);
  return candidates.find((p) => p.address && p.address.toLowerCase() !== me) || null;
}

export function renderNoItem(container, pane, reason) {
  container.append(
    h("h1", null, t("pane.noItem.title")),
    h("p", { class: "muted" }, reason || t("pane.noItem.text")));
}

function itemSummary(item) {
  const rows = [];
  if (item.type === "event") {
    if (item.start) rows.push(h("p", { class: "item-meta" }, `${dateTime(item.start)}${item.location ? ` · ${item.location}` : ""}`));
    if (item.from) rows.push(h("p", { class: "item-meta" }, t("pane.item.organizer", { person: personLabel(item.from) })));
  } else if (item.from) {
    rows.push(h("p", { class: "item-meta" }, t("pane.item.from", { person: personLabel(item.from) })));
  }
  return h("div", { class: "item-card" },
    h("p", { class: "eyebrow" }, t("pane.item.kind", { noun: itemNoun(item) })),
    h("h1", { class: "item-subject", id: "item-subject" }, item.subject || t("pane.item.noSubject")),
    rows);
}

async function linkItem(pane, opportunity, button, slot) {
  await withBusy(button, t("pane.link.busy"), async () => {
    try {
      await pane.api.post(pane.ws(`/opportunities/${encodeURIComponent(opportunity.id)}/links`), {
        item_id: pane.item.itemId,
        item_id_format: pane.item.itemIdFormat,
        item_type: pane.item.type === "event" ? "event" : "message",
      });
      pane.rememberLink(opportunity.id);
      await pane.refreshContext();
      pane.announce(t("pane.link.done", { title: opportunity.title }));
      pane.goItem();
    } catch (error) {
      slot.replaceChildren(errorNotice(pane, error, () => linkItem(pane, opportunity, button, slot)));
    }
  });
}

export { linkItem };

export function renderItem(container, pane) {
  const { item, context } = pane;
  const noun = itemNoun(item);
  const slot = h("div", { class: "slot" });
  const linkedIds = new Set(context.linked_opportunities.map((o) => o.id));
  container.append(itemSummary(item), slot);

  const canLink = Boolean(item.itemId);
  container.append(h("div", { class: "actions" },
    h("button", { type: "button", class: "button primary", id: "open-link", onclick: () => pane.goLink(), disabled: !canLink },
      t("pane.item.linkButton")),
    h("button", { type: "button", class: "button", id: "open-new", onclick: () => pane.goNew() },
      t("pane.item.newButton", { noun }))));

  container.append(section("linked-to", t("pane.item.linkedTo"),
    context.linked_opportunities.length
      ? h("ul", { class: "cards" }, context.linked_opportunities.map((o) => opportunityCard(pane, o, { linked: true })))
      : h("p", { class: "muted" }, t("pane.item.notLinked", { noun }))));

  const people = [
    ...context.matched_contacts.map((c) => h("li", { class: "person" },
      h("span", { class: "person-name" }, c.display_name),
      h("span", { class: "person-detail" }, [c.job_title, (c.email_addresses || [])[0]].filter(Boolean).join(" · ")))),
    ...context.matched_accounts.map((a) => h("li", { class: "person" },
      h("span", { class: "person-name" }, a.name),
      h("span", { class: "person-detail" }, [t("pane.item.account"), ...(a.email_domains || [])].join(" · ")))),
  ];
  container.append(section("contacts-and-accounts", t("pane.item.people"),
    people.length ? h("ul", { class: "people" }, people)
      : h("p", { class: "muted" }, t("pane.item.noPeople", { noun }))));

  const open = context.open_opportunities.filter((o) => !linkedIds.has(o.id));
  container.append(section("open-opportunities", t("pane.item.open"),
    open.length
      ? h("ul", { class: "cards" }, open.map((o) => {
        const button = h("button", { type: "button", class: "button small", disabled: !canLink,
          "aria-label": t("pane.item.linkThisTo", { noun, title: o.title }) }, t("pane.item.linkThis", { noun }));
        button.addEventListener("click", () => linkItem(pane, o, button, slot));
        return opportunityCard(pane, o, { actions: [button] });
      }))
      : h("p", { class: "muted" }, context.matched_contacts.length || context.matched_accounts.length
        ? t("pane.item.noOpenForPeople")
        : t("pane.item.noOpen"))));

  if (!canLink) {
    slot.append(notice("info", t("pane.item.cannotLink", { noun }), t("pane.item.noIdOpen")));
  }
}
