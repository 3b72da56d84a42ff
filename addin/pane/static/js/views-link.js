/*
 * Picking an opportunity: "Link to opportunity" for a received/sent item (POST …/links), and the
 * compose picker that stamps the item being written so the sent item is filed by the sync.
 */
import { backButton, errorNotice, notice, withBusy } from "./components.js";
import { debounce, field, h, replace, uid } from "../../shared/dom.js";
import { stampOpportunity } from "./mailbox.js";
import { linkItem, itemNoun } from "./views-item.js";

const SEARCH_DELAY_MS = 250;

/**
 * A search box over …/search?types=opportunity with a list of results as buttons.
 * Before anything is typed it offers `suggestions` (the open opportunities of the people on the item).
 */
function opportunityPicker(pane, { label, onPick, suggestions }) {
  const input = h("input", { type: "search", autocomplete: "off", spellcheck: "false", maxlength: "200",
    placeholder: "Title of the opportunity" });
  const listId = uid("results");
  input.setAttribute("aria-controls", listId);
  const count = h("p", { class: "hint", role: "status", "aria-live": "polite" });
  const list = h("ul", { class: "results", id: listId, "aria-label": "Matching opportunities" });
  let sequence = 0;

  function show(items, emptyText) {
    replace(list, items.map((hit) => h("li", null,
      h("button", { type: "button", class: "result", onclick: (event) => onPick(hit, event.currentTarget) },
        h("span", { class: "result-name" }, hit.name),
        hit.detail ? h("span", { class: "result-detail" }, hit.detail) : null))));
    count.textContent = items.length ? `${items.length} ${items.length === 1 ? "opportunity" : "opportunities"} found.` : emptyText;
  }

  const suggested = (suggestions || []).map((o) => ({ id: o.id, name: o.title, detail: o.stage_name || "" }));
  const showSuggestions = () => {
    show(suggested, "Type to search all opportunities.");
    if (suggested.length) count.textContent = "Suggested: the open opportunities of the people on this item. Type to search all.";
  };

  const search = debounce(async (q) => {
    const mine = ++sequence;
    try {
      const answer = await pane.api.get(pane.ws("/search"), { q, types: "opportunity", limit: 20 });
      if (mine === sequence) show(answer.items, `No opportunity matches “${q}”.`);
    } catch (error) {
      if (mine === sequence) replace(list, h("li", null, errorNotice(pane, error, () => search(q))));
    }
  }, SEARCH_DELAY_MS);

  input.addEventListener("input", () => {
    const q = input.value.trim();
    if (!q) {
      sequence += 1;
      showSuggestions();
    } else {
      count.textContent = "Searching…";
      search(q);
    }
  });
  showSuggestions();
  return { element: h("div", { class: "picker" }, field(label, input), count, list), input };
}

export function renderLink(container, pane) {
  const noun = itemNoun(pane.item);
  const slot = h("div", { class: "slot" });
  const picker = opportunityPicker(pane, {
    label: "Search opportunities",
    suggestions: pane.context.open_opportunities,
    onPick: (hit, button) => linkItem(pane, { id: hit.id, title: hit.name }, button, slot),
  });
  container.append(
    backButton(pane),
    h("h1", null, "Link to opportunity"),
    h("p", { class: "muted" }, `Choose the opportunity this ${noun} belongs to. It then shows in the opportunity's history.`),
    slot,
    pane.item.itemId ? picker.element
      : notice("info", `This ${noun} cannot be linked yet.`, "Outlook has not given it an id."));
}

export function renderComposePicker(container, pane) {
  const noun = itemNoun(pane.item);
  const slot = h("div", { class: "slot" });
  const stamped = h("div", { class: "slot" });
  const suggestions = [...pane.context.linked_opportunities, ...pane.context.open_opportunities];

  const picker = opportunityPicker(pane, {
    label: "Search opportunities",
    suggestions,
    onPick: async (hit, button) => {
      await withBusy(button, "Filing…", async () => {
        try {
          await stampOpportunity(hit.id);
          pane.stamp = { opportunityId: hit.id, title: hit.name };
          container.querySelectorAll(".result[aria-pressed]").forEach((b) => b.removeAttribute("aria-pressed"));
          button.setAttribute("aria-pressed", "true");
          replace(slot);
          const message = `This ${noun} will be filed under ${hit.name} when sent.`;
          replace(stamped, notice("success", message, "Dealpane links it to the opportunity's history once it is in your Sent Items."));
          pane.announce(message);
        } catch (error) {
          replace(slot, notice("error", `Dealpane could not mark this ${noun}.`,
            `${error.message} You can link the ${noun} after it is sent instead.`));
        }
      });
    },
  });
  container.append(
    h("h1", null, `File this ${noun} under an opportunity`),
    h("p", { class: "muted" }, `Pick the opportunity this ${noun} is about. Dealpane files it there when it is sent.`),
    stamped, slot, picker.element);
  if (pane.stamp) {
    stamped.append(notice("success", `This ${noun} will be filed under ${pane.stamp.title} when sent.`));
  }
}
