/* Whole-pane states: a problem, no workspace, not inside Outlook. */
import { describeError } from "./api.js";
import { MARK, errorNotice, notice, strongIn, withBusy } from "./components.js";
import { field, h } from "../../shared/dom.js";
import { t } from "../../shared/i18n.js";
import { userEmail } from "./mailbox.js";

// The hosts office.js loads from (names, not words: the same in every language).
const OFFICE_HOST = "appsforoffice.microsoft.com";
const AJAX_HOST = "ajax.aspnetcdn.com";

export function renderProblem(container, pane, error, retry) {
  const about = describeError(error);
  container.append(
    h("h1", { class: "visually-hidden" }, about.title),
    errorNotice(pane, error, retry));
}

export function renderOutsideOutlook(container) {
  container.append(
    h("h1", null, t("pane.outside.title")),
    notice("info", t("pane.outside.notice"), t("pane.outside.text")));
}

/**
 * Office did not answer (office.js's onReady neither resolves nor rejects when a script it needs is
 * blocked: https://github.com/OfficeDev/office-js/issues/6040, /issues/5733, /issues/4131). The
 * Mailbox requirement set the pane needs, and Outlook 2016 MSI stopping at 1.4:
 * https://learn.microsoft.com/javascript/api/requirement-sets/outlook/outlook-api-requirement-sets,
 * https://github.com/OfficeDev/office-js/issues/725
 */
export function renderOfficeSilent(container) {
  container.append(
    h("h1", null, t("pane.silent.title")),
    notice("warning", t("pane.silent.notice"), t("pane.silent.text")),
    h("ul", { class: "checklist" },
      h("li", null, ...strongIn(t("pane.silent.scripts", { office: MARK, ajax: MARK }), OFFICE_HOST, AJAX_HOST)),
      h("li", null, t("pane.silent.version"))),
    h("button", { type: "button", class: "button primary", onclick: () => window.location.reload() }, t("pane.action.tryAgain")));
}

export function renderNoWorkspace(container, pane) {
  const name = h("input", { type: "text", name: "name", required: true, maxlength: "200", autocomplete: "organization" });
  const slot = h("div");
  const button = h("button", { type: "submit", class: "button primary" }, t("pane.workspace.create"));
  const form = h("form", {
    class: "form", onsubmit: async (event) => {
      event.preventDefault();
      if (!name.value.trim()) {
        name.focus();
        return;
      }
      await withBusy(button, t("pane.busy.creating"), async () => {
        try {
          await pane.api.post("/api/v1/workspaces", { name: name.value.trim() });
          pane.announce(t("pane.workspace.created"));
          await pane.start();
        } catch (error) {
          slot.replaceChildren(errorNotice(pane, error));
        }
      });
    },
  }, field(t("pane.workspace.name"), name, { hint: t("pane.workspace.nameHint") }), slot, button);
  container.append(
    h("h1", null, t("pane.workspace.none")),
    h("p", null, t("pane.workspace.what")),
    h("p", null, ...strongIn(t("pane.workspace.ask", { address: MARK }), userEmail())),
    form);
}
