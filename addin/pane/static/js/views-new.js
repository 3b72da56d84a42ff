/*
 * "New opportunity from this e-mail": the title from the subject, linked to the sender's business
 * contact, or to a contact created from the sender (with the account their domain matches).
 */
import { describeError } from "./api.js";
import { MARK, backButton, errorNotice, notice, strongIn, withBusy } from "./components.js";
import { field, h } from "../../shared/dom.js";
import { personLabel, subjectTitle } from "../../shared/format.js";
import { t } from "../../shared/i18n.js";
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
  container.append(backButton(pane), h("h1", null, t("pane.new.title")),
    h("p", { class: "muted" }, t("pane.new.intro", { noun })));
  if (!plan) {
    container.append(notice("info", t("pane.new.nobody"), t("pane.new.nobodyText", { noun })));
    return;
  }
  const title = h("input", { type: "text", name: "title", required: true, maxlength: "200",
    value: subjectTitle(pane.item.subject) || t("pane.new.defaultTitle", { name: plan.person.name || plan.person.address }) });
  const linkThis = h("input", { type: "checkbox", name: "link_item", checked: Boolean(pane.item.itemId),
    disabled: !pane.item.itemId, id: "new-link-item" });
  const slot = h("div", { class: "slot" });
  const submit = h("button", { type: "submit", class: "button primary" }, t("pane.new.create"));

  const linkedTo = plan.contact
    ? h("p", null, ...strongIn(t("pane.new.linkedContact", { name: MARK }), plan.contact.display_name))
    : h("p", null, ...strongIn(plan.account
      ? t("pane.new.newContactAt", { person: MARK, account: MARK })
      : t("pane.new.newContact", { person: MARK }), personLabel(plan.person), plan.account && plan.account.name));

  const form = h("form", {
    class: "form", novalidate: true, onsubmit: async (event) => {
      event.preventDefault();
      if (!title.value.trim()) {
        slot.replaceChildren(notice("error", t("pane.new.needTitle")));
        title.focus();
        return;
      }
      await withBusy(submit, t("pane.busy.creating"), async () => {
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
          pane.announce(t("pane.new.created", { title: created.title }));
          pane.goOpportunity(created.id, linkProblem
            ? notice("warning", t("pane.new.linkFailed", { noun }),
              t("pane.new.linkFailedText", { reason: describeError(linkProblem).title }))
            : null);
        } catch (error) {
          slot.replaceChildren(errorNotice(pane, error));
        }
      });
    },
  },
  field(t("pane.new.titleField"), title),
  linkedTo,
  h("div", { class: "check" }, linkThis, h("label", { for: linkThis.id }, t("pane.new.addToHistory", { noun }))),
  h("p", { class: "hint" }, t("pane.new.stageHint")),
  slot, submit);
  container.append(form);
}
