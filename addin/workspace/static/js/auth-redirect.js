/*
 * The redirect page's only job: MSAL.js v5's redirect bridge hands Entra's answer in this URL to the
 * page that asked for it, the workspace or the Outlook pane where Outlook offers no nested app
 * authentication (popup and hidden frame: over a BroadcastChannel, then the popup closes; redirect
 * sign-in and sign-out: back to the page that started it).
 * https://learn.microsoft.com/entra/msal/javascript/browser/redirect-bridge
 * Before that, it tells that page *that* an answer came (no content), so it can tell a popup the
 * bridge closed from one the user closed (workspace and pane auth.js). A classic script, not a module:
 * the bridge's UMD build defines the global `msalRedirectBridge`.
 */
(function () {
  "use strict";
  var status = document.getElementById("status");
  var answered = /[?#&]state=/.test(window.location.search + "&" + window.location.hash);
  if (answered && typeof BroadcastChannel === "function") {
    var channel = new BroadcastChannel("dealpane.auth-redirect");
    channel.postMessage("answered");
    channel.close();
  }
  window.msalRedirectBridge.broadcastResponseToMainFrame().catch(function (error) {
    // Opened without an answer from Entra (a bookmark, a reload): nothing to hand over.
    // The sentence in the page's language (data-text, from the server: workspace.redirect.unanswered).
    var code = String((error && error.errorCode) || "no_answer");
    status.textContent = String(status.getAttribute("data-text") || "({code})").replace("{code}", code);
  });
}());
