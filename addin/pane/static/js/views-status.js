/* Whole-pane states: a problem, no workspace, not inside Outlook. */
import { describeError } from "./api.js";
import { errorNotice, notice, withBusy } from "./components.js";
import { field, h } from "../../shared/dom.js";
import { userEmail } from "./mailbox.js";

export function renderProblem(container, pane, error, retry) {
  const about = describeError(error);
  container.append(
    h("h1", { class: "visually-hidden" }, about.title),
    errorNotice(pane, error, retry));
}

export function renderOutsideOutlook(container) {
  container.append(
    h("h1", null, "Open Dealpane from Outlook"),
    notice("info", "This page is Dealpane's Outlook task pane.",
      "Open an e-mail or a meeting in Outlook and choose Dealpane on the ribbon. Outlook could not be reached from this page."));
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
    h("h1", null, "Outlook did not start Dealpane"),
    notice("warning", "Outlook has not answered Dealpane yet.",
      "Dealpane keeps waiting and starts as soon as Outlook answers. If nothing happens, check:"),
    h("ul", { class: "checklist" },
      h("li", null, "Microsoft's scripts are reachable: a firewall, proxy or content blocker must let Outlook load ",
        h("strong", null, "appsforoffice.microsoft.com"), " and ", h("strong", null, "ajax.aspnetcdn.com"), "."),
      h("li", null, "Outlook is up to date: Dealpane needs an Outlook with the Mailbox 1.5 requirement set. ",
        "Outlook 2016 without a Microsoft 365 subscription stops at 1.4.")),
    h("button", { type: "button", class: "button primary", onclick: () => window.location.reload() }, "Try again"));
}

export function renderNoWorkspace(container, pane) {
  const name = h("input", { type: "text", name: "name", required: true, maxlength: "200", autocomplete: "organization" });
  const slot = h("div");
  const button = h("button", { type: "submit", class: "button primary" }, "Create workspace");
  const form = h("form", {
    class: "form", onsubmit: async (event) => {
      event.preventDefault();
      if (!name.value.trim()) {
        name.focus();
        return;
      }
      await withBusy(button, "Creating…", async () => {
        try {
          await pane.api.post("/api/v1/workspaces", { name: name.value.trim() });
          pane.announce("Workspace created.");
          await pane.start();
        } catch (error) {
          slot.replaceChildren(errorNotice(pane, error));
        }
      });
    },
  }, field("Workspace name", name, { hint: "For example your company's or your team's name." }), slot, button);
  container.append(
    h("h1", null, "You have no workspace"),
    h("p", null, "A workspace is your team's shared sales database: accounts, contacts and opportunities."),
    h("p", null, "Ask a colleague who owns your team's workspace to add you with your address ",
      h("strong", null, userEmail()), ", then reopen Dealpane. Or start a workspace of your own:"),
    form);
}
