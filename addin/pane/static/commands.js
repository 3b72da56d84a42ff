/*
 * The ribbon's function file (/pane/commands.html). The manifest's buttons open the task pane
 * (ShowTaskpane / openPage actions); these functions are the same commands for hosts that run
 * them as functions: they open the pane where the host can (shared runtime), and otherwise tell
 * the user where the pane is, on the item's notification bar. Each calls event.completed().
 */
(function () {
  "use strict";

  var NOTICE_KEY = "dealpane-command";

  function tell(message, event) {
    var item = Office.context.mailbox && Office.context.mailbox.item;
    if (!item || !item.notificationMessages) {
      event.completed();
      return;
    }
    item.notificationMessages.replaceAsync(NOTICE_KEY, {
      type: Office.MailboxEnums.ItemNotificationMessageType.InformationalMessage,
      message: message,
      icon: "Icon.16x16",
      persistent: false,
    }, function () { event.completed(); });
  }

  function openPane(messageOf) {
    return function (event) {
      var message = messageOf();
      var canShow = Office.addin && typeof Office.addin.showAsTaskpane === "function" &&
        Office.context.requirements && Office.context.requirements.isSetSupported("SharedRuntime", "1.1");
      if (canShow) {
        Office.addin.showAsTaskpane().then(function () { event.completed(); }, function () { tell(message, event); });
      } else {
        tell(message, event);
      }
    };
  }

  /*
   * The notices in Outlook's UI language (Office.context.displayLanguage:
   * https://learn.microsoft.com/javascript/api/office/office.context#office-office-context-displaylanguage-member),
   * from the pane's catalogue (/pane/i18n/<lang>.json), English when Outlook speaks a language we lack.
   * A plain script (function files run without modules), so the words are fetched rather than imported.
   */
  var words = {};

  function say(key) {
    return words[key] || key;
  }

  function loadWords() {
    var tag = String((Office.context && Office.context.displayLanguage) || "en").split("-")[0].toLowerCase();
    return fetch("config.json", { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { languages: [] }; })
      .then(function (config) {
        var language = (config.languages || []).indexOf(tag) >= 0 ? tag : "en";
        return fetch("i18n/" + language + ".json", { credentials: "same-origin" });
      })
      .then(function (response) { return response.ok ? response.json() : { messages: {} }; })
      .then(function (catalogue) {
        words = catalogue.messages || {};
        document.documentElement.lang = catalogue.language || "en";
        Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (el) {
          if (words[el.getAttribute("data-i18n")]) el.textContent = words[el.getAttribute("data-i18n")];
        });
      })
      .catch(function () { /* keys shown: better than no notice */ });
  }

  var loaded = null;

  /** The command for the notice `key`, run once the words are there. */
  function openPaneWith(key) {
    var open = openPane(function () { return say(key); });
    return function (event) {
      (loaded || Promise.resolve()).then(function () { open(event); });
    };
  }

  Office.onReady(function () {
    loaded = loadWords();
    Office.actions.associate("openDealpane", openPaneWith("pane.command.openDealpane"));
    Office.actions.associate("openLinkToOpportunity", openPaneWith("pane.command.openLink"));
  });
}());
