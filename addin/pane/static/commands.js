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

  function openPane(message) {
    return function (event) {
      var canShow = Office.addin && typeof Office.addin.showAsTaskpane === "function" &&
        Office.context.requirements && Office.context.requirements.isSetSupported("SharedRuntime", "1.1");
      if (canShow) {
        Office.addin.showAsTaskpane().then(function () { event.completed(); }, function () { tell(message, event); });
      } else {
        tell(message, event);
      }
    };
  }

  Office.onReady(function () {
    Office.actions.associate("openDealpane", openPane("Choose Dealpane on the ribbon to see this item's deals."));
    Office.actions.associate("openLinkToOpportunity",
      openPane("Choose Link to opportunity on the ribbon to file this item under a deal."));
  });
}());
