/*
 * "New opportunity from this e-mail": the title from the subject, linked to the sender's business
 * contact, or to a contact created from the sender (with the account their domain matches).
 */
import { describeError } from "./api.js";
import { backButton, errorNotice, notice, withBusy } from "./components.js";
import { field, h } from "../../shared/dom.js";
import { personLabel, subjectTitle } from "../../shared/format.js";
import { counterpart, itemNoun } from "./views-item.js";

function domainOf(address) {
  return String(address || "").split("@").pop().toLowerCase();
}

/** Who the new opportunity is linked to: {contact} when known, else {create, account}. */
export function planLink(pane) {
  const person = counterpart(pane.item);
  if (!person) return null;
  const address = person.address.toLowerCase();
  const contact = pane.context.matched_contacts.find((c) =>
    (c.email_addresses || []).some((a) => a.toLowerCase() === address));
  if (contact) return { person, contact };
  const account = pane.context.matched_accounts.find((a) =>
    (a.email_domains || []).some((d) => d.toLowerCase() === domainOf(address))) || null;
  return { person, contact: null, account };
}

async function contactFor(pane, plan) {
  if (plan.contact) return plan.contact;
  const body = { display_name: plan.person.name || plan.person.address, email_addresses: [plan.person.address] };
  if (plan.account) body.account_id = plan.account.id;
  return pane.api.post(pane.ws("/contacts"), body);
}

export function renderNewOpportunity(container, pane) {
  const noun = itemNoun(pane.item);
  const plan = planLink(pane);
  container.append(backButton(pane), h("h1", null, "New opportunity"),
    h("p", { class: "muted" }, `From this ${noun}: its subject becomes the title.`));
  if (!plan) {
    container.append(notice("info", "Nobody to link it to.",
      `This ${noun} has no sender or recipient besides you, and an opportunity must be linked to a contact or an account.`));
    return;
  }
  const title = h("input", { type: "text", name: "title", required: true, maxlength: "200",
    value: subjectTitle(pane.item.subject) || `Opportunity with ${plan.person.name || plan.person.address}` });
  const linkThis = h("input", { type: "checkbox", name: "link_item", checked: Boolean(pane.item.itemId),
    disabled: !pane.item.itemId, id: "new-link-item" });
  const slot = h("div", { class: "slot" });
  const submit = h("button", { type: "submit", class: "button primary" }, "Create opportunity");

  const linkedTo = plan.contact
    ? h("p", null, "Linked to the business contact ", h("strong", null, plan.contact.display_name), ".")
    : h("p", null, "A new business contact is created for ", h("strong", null, personLabel(plan.person)),
      plan.account ? [" at ", h("strong", null, plan.account.name)] : null, ".");

  const form = h("form", {
    class: "form", novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      if (!title.value.trim()) {
        slot.replaceChildren(notice("error", "Give the opportunity a title."));
        title.focus();
        return;
      }
      await withBusy(submit, "Creating…", async () => {
        try {
          const contact = await contactFor(pane, plan);
          plan.contact = contact; // a retry must not create the contact twice
          const created = await pane.api.post(pane.ws("/opportunities"), {
            title: title.value.trim(), link: { type: "contact", id: contact.id } });
          let linkProblem = null;
          if (linkThis.checked && pane.item.itemId) {
            try {
              await pane.api.post(pane.ws(`/opportunities/${encodeURIComponent(created.id)}/links`), {
                item_id: pane.item.itemId, item_id_format: pane.item.itemIdFormat,
                item_type: pane.item.type === "event" ? "event" : "message" });
              pane.rememberLink(created.id);
            } catch (error) {
              linkProblem = error;
            }
          }
          await pane.refreshContext();
          pane.announce(`Opportunity ${created.title} created.`);
          pane.goOpportunity(created.id, linkProblem
            ? notice("warning", `The opportunity was created, but this ${noun} could not be added to its history.`,
              `${describeError(linkProblem).title} Use “Link to opportunity” to try again.`)
            : null);
        } catch (error) {
          slot.replaceChildren(errorNotice(pane, error));
        }
      });
    },
  },
  field("Title", title),
  linkedTo,
  h("div", { class: "check" }, linkThis, h("label", { for: linkThis.id }, `Add this ${noun} to its history`)),
  h("p", { class: "hint" }, "The stage is your workspace's default; change it once the opportunity is created."),
  slot, submit);
  container.append(form);
}
