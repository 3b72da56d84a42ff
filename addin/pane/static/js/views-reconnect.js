/*
 * The pane's link to the user's mailbox, checked once at start: POST /api/v1/me/graph-connection.
 * The server exchanges the pane's token for Microsoft Graph; when that works, a mailbox that was
 * waiting for its owner to sign in syncs again at once. When Entra needs the user first (consent, or
 * MFA / Conditional Access: 401 graph-interaction-required), a banner above the view offers Reconnect:
 * an interactive sign-in carrying Entra's claims challenge and the Graph scopes to consent to, then the
 * check again. A permission an administrator must grant is shown too; there is nothing to click.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#error-response-example
 */
import { ApiError, describeError } from "./api.js";
import { notice, withBusy } from "./components.js";
import { h, replace } from "../../shared/dom.js";
import { t } from "../../shared/i18n.js";

const PATH = "/api/v1/me/graph-connection";
const SLOT_ID = "graph-connection";

/** The banner's place: above <main>, so every view keeps it. */
function bannerSlot() {
  let slot = document.getElementById(SLOT_ID);
  if (!slot) {
    const main = document.getElementById("main");
    slot = h("div", { id: SLOT_ID, class: "slot graph-connection" });
    main.parentNode.insertBefore(slot, main);
  }
  return slot;
}

/** Check the connection and show what needs the user, if anything. Never throws. */
export async function checkGraphConnection(pane) {
  const slot = bannerSlot();
  let answer;
  try {
    answer = await pane.api.post(PATH);
  } catch (error) {
    pane.graphConnection = null;
    // Only what the user can fix here is shown; any other failure shows where they act next.
    replace(slot, error instanceof ApiError && error.kind === "graph-reconnect" ? reconnectNotice(pane, error) : []);
    return null;
  }
  pane.graphConnection = answer;
  const waiting = (answer.mailboxes || []).filter((m) => m.status === "missing_permission");
  replace(slot, waiting.length ? permissionNotice(waiting) : []);
  if ((answer.recovered || []).length) pane.announce(t("pane.graph.recovered"));
  return answer;
}

function reconnectNotice(pane, error) {
  const about = describeError(error);
  const button = h("button", { type: "button", class: "button primary", id: "graph-reconnect" }, t("pane.action.reconnect"));
  const slot = h("div", { class: "slot" });
  button.addEventListener("click", () => withBusy(button, t("pane.busy.reconnecting"), async () => {
    try {
      await pane.auth.signIn(error.challenge);
    } catch (failed) {
      replace(slot, notice("error", t("pane.graph.signInUnfinished"), failed.detail || t("pane.graph.tryReconnect")));
      return;
    }
    const answer = await checkGraphConnection(pane);
    if (answer) pane.announce(t("pane.graph.reconnected"));
  }));
  return h("div", null, notice("warning", about.title, about.text, button), slot);
}

function permissionNotice(mailboxes) {
  return notice("warning", t("pane.error.graphPermission"),
    t("pane.graph.permissionText", { detail: mailboxes[0].status_detail }));
}
