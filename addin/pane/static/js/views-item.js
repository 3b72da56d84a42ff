/* The item view: what this e-mail or meeting is linked to, who is on it, and their open deals. */
import { errorNotice, notice, opportunityCard, section, withBusy } from "./components.js";
import { h } from "../../shared/dom.js";
import { dateTime, personLabel } from "../../shared/format.js";
import { userEmail } from "./mailbox.js";

export function itemNoun(item) {
  return item && item.type === "event" ? "meeting" : "e-mail";
}

/** The other party: the sender, or (for mail the user sent) the first recipient who is not the user. */
export function counterpart(item) {
  const me = userEmail().toLowerCase();
  const candidates = [item.from, ...(item.to || []), ...(item.cc || [])].filter(Boolean);
  return candidates.find((p) => p.address && p.address.toLowerCase() !== me) || null;
}

export function renderNoItem(container, pane, reason) {
  container.append(
    h("h1", null, "Select an e-mail or meeting"),
    h("p", { class: "muted" }, reason || "Dealpane shows the deals behind the e-mail or meeting you select in Outlook."));
}

function itemSummary(item) {
  const rows = [];
  if (item.type === "event") {
    if (item.start) rows.push(h("p", { class: "item-meta" }, `${dateTime(item.start)}${item.location ? ` · ${item.location}` : ""}`));
    if (item.from) rows.push(h("p", { class: "item-meta" }, `Organizer: ${personLabel(item.from)}`));
  } else if (item.from) {
    rows.push(h("p", { class: "item-meta" }, `From: ${personLabel(item.from)}`));
  }
  return h("div", { class: "item-card" },
    h("p", { class: "eyebrow" }, item.type === "event" ? "Meeting" : "E-mail"),
    h("h1", { class: "item-subject", id: "item-subject" }, item.subject || "(no subject)"),
    rows);
}

async function linkItem(pane, opportunity, button, slot) {
  await withBusy(button, "Linking…", async () => {
    try {
      await pane.api.post(pane.ws(`/opportunities/${encodeURIComponent(opportunity.id)}/links`), {
        item_id: pane.item.itemId,
        item_id_format: pane.item.itemIdFormat,
        item_type: pane.item.type === "event" ? "event" : "message",
      });
      pane.rememberLink(opportunity.id);
      await pane.refreshContext();
      pane.announce(`Linked to ${opportunity.title}.`);
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
      "Link to opportunity"),
    h("button", { type: "button", class: "button", id: "open-new", onclick: () => pane.goNew() },
      `New opportunity from this ${noun}`)));

  container.append(section("Linked to",
    context.linked_opportunities.length
      ? h("ul", { class: "cards" }, context.linked_opportunities.map((o) => opportunityCard(pane, o, { linked: true })))
      : h("p", { class: "muted" }, `This ${noun} is not linked to an opportunity yet.`)));

  const people = [
    ...context.matched_contacts.map((c) => h("li", { class: "person" },
      h("span", { class: "person-name" }, c.display_name),
      h("span", { class: "person-detail" }, [c.job_title, (c.email_addresses || [])[0]].filter(Boolean).join(" · ")))),
    ...context.matched_accounts.map((a) => h("li", { class: "person" },
      h("span", { class: "person-name" }, a.name),
      h("span", { class: "person-detail" }, ["Account", ...(a.email_domains || [])].join(" · ")))),
  ];
  container.append(section("Contacts and accounts",
    people.length ? h("ul", { class: "people" }, people)
      : h("p", { class: "muted" }, `Nobody on this ${noun} is a business contact yet.`)));

  const open = context.open_opportunities.filter((o) => !linkedIds.has(o.id));
  container.append(section("Open opportunities",
    open.length
      ? h("ul", { class: "cards" }, open.map((o) => {
        const button = h("button", { type: "button", class: "button small", disabled: !canLink,
          "aria-label": `Link this ${noun} to ${o.title}` }, `Link this ${noun}`);
        button.addEventListener("click", () => linkItem(pane, o, button, slot));
        return opportunityCard(pane, o, { actions: [button] });
      }))
      : h("p", { class: "muted" }, context.matched_contacts.length || context.matched_accounts.length
        ? "No open opportunities for these contacts and accounts."
        : "No open opportunities for the people on it.")));

  if (!canLink) {
    slot.append(notice("info", `This ${noun} cannot be linked yet.`, "Outlook has not given it an id; open it from your mailbox."));
  }
}
