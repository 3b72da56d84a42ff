/*
 * Picking an opportunity: "Link to opportunity" for a received/sent item (POST …/links), and the
 * compose picker that stamps the item being written so the sent item is filed by the sync.
 */
import { backButton, errorNotice, notice, withBusy } from "./components.js";
import { debounce, field, h, replace, uid } from "../../shared/dom.js";
import { t } from "../../shared/i18n.js";
import { stampOpportunity } from "./mailbox.js";
import { linkItem, itemNoun } from "./views-item.js";

const SEARCH_DELAY_MS = 250;

/**
 * A search box over …/search?types=opportunity with a list of results as buttons.
 * Before anything is typed it offers `suggestions` (the open opportunities of the people on the item).
 */
function opportunityPicker(pane, { label, onPick, suggestions }) {
  const input = h("input", { type: "search", autocomplete: "off", spellcheck: "false", maxlength: "200",
    placeholder: t("pane.picker.placeholder") });
  const listId = uid("results");
  input.setAttribute("aria-controls", listId);
  const count = h("p", { class: "hint", role: "status", "aria-live": "polite" });
  const list = h("ul", { class: "results", id: listId, "aria-label": t("pane.picker.results") });
  let sequence = 0;

  function show(items, emptyText) {
    replace(list, items.map((hit) => h("li", null,
      h("button", { type: "button", class: "result", onclick: (event) => onPick(hit, event.currentTarget) },
        h("span", { class: "result-name" }, hit.name),
        hit.detail ? h("span", { class: "result-detail" }, hit.detail) : null))));
    count.textContent = items.length ? t("pane.picker.found", { count: items.length }) : emptyText;
  }

  const suggested = (suggestions || []).map((o) => ({ id: o.id, name: o.title, detail: o.stage_name || "" }));
  const showSuggestions = () => {
    show(suggested, t("pane.picker.typeToSearch"));
    if (suggested.length) count.textContent = t("pane.picker.suggested");
  };

  const search = debounce(async (q) => {
    const mine = ++sequence;
    try {
      const answer = await pane.api.get(pane.ws("/search"), { q, types: "opportunity", limit: 20 });
      if (mine === sequence) show(answer.items, t("pane.picker.noMatch", { q }));
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
      count.textContent = t("pane.picker.searching");
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
    label: t("pane.picker.label"),
    suggestions: pane.context.open_opportunities,
    onPick: (hit, button) => linkItem(pane, { id: hit.id, title: hit.name }, button, slot),
  });
  container.append(
    backButton(pane),
    h("h1", null, t("pane.link.title")),
    h("p", { class: "muted" }, t("pane.link.intro", { noun })),
    slot,
    pane.item.itemId ? picker.element
      : notice("info", t("pane.item.cannotLink", { noun }), t("pane.link.noId")));
}

export function renderComposePicker(container, pane) {
  const noun = itemNoun(pane.item);
  const slot = h("div", { class: "slot" });
  const stamped = h("div", { class: "slot" });
  const suggestions = [...pane.context.linked_opportunities, ...pane.context.open_opportunities];

  const picker = opportunityPicker(pane, {
    label: t("pane.picker.label"),
    suggestions,
    onPick: async (hit, button) => {
      await withBusy(button, t("pane.compose.busy"), async () => {
        try {
          await stampOpportunity(hit.id);
          pane.stamp = { opportunityId: hit.id, title: hit.name };
          container.querySelectorAll(".result[aria-pressed]").forEach((b) => b.removeAttribute("aria-pressed"));
          button.setAttribute("aria-pressed", "true");
          replace(slot);
          const message = t("pane.compose.filed", { noun, title: hit.name });
          replace(stamped, notice("success", message, t("pane.compose.filedText")));
          pane.announce(message);
        } catch (error) {
          replace(slot, notice("error", t("pane.compose.failed", { noun }),
            t("pane.compose.failedText", { noun, reason: error.message })));
        }
      });
    },
  });
  container.append(
    h("h1", null, t("pane.compose.title", { noun })),
    h("p", { class: "muted" }, t("pane.compose.intro", { noun })),
    stamped, slot, picker.element);
  if (pane.stamp) {
    stamped.append(notice("success", t("pane.compose.filed", { noun, title: pane.stamp.title })));
  }
}
