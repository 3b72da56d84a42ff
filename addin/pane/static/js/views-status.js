/* Whole-pane states: a problem, no workspace, not inside Outlook. */
import { describeError } from "./api.js";
import { errorNotice, notice, withBusy } from "./components.js";
import { field, h } from "./dom.js";
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
  }, field("Workspace name", name, "For example your company's or your team's name."), slot, button);
  container.append(
    h("h1", null, "You have no workspace"),
    h("p", null, "A workspace is your team's shared sales database: accounts, contacts and opportunities."),
    h("p", null, "Ask a colleague who owns your team's workspace to add you with your address ",
      h("strong", null, userEmail()), ", then reopen Dealpane. Or start a workspace of your own:"),
    form);
}
