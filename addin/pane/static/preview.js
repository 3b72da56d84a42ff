/*
 * The demo preview: lists the demo mailbox (GET /pane/preview/items) and plays Outlook for the
 * pane in the frame: choosing an item hands it to the Office stand-in there (postMessage), which
 * fires ItemChanged like a pinned pane in Outlook.
 */
(function () {
  "use strict";

  var KEY = "dealpaneStandin";
  var frame = document.getElementById("pane-frame");
  var statusLine = document.getElementById("mailbox-status");
  var messageList = document.getElementById("message-list");
  var eventList = document.getElementById("event-list");
  var linkView = document.getElementById("link-view");
  var user = null;
  var current = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function when(value) {
    if (!value) return "";
    var date = new Date(value);
    return isNaN(date.getTime()) ? "" : new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(date);
  }

  function send() {
    if (!frame.contentWindow) return;
    var message = {};
    message[KEY] = "setItem";
    message.item = current;
    message.user = user;
    frame.contentWindow.postMessage(message, window.location.origin);
  }

  function choose(item, button) {
    current = item;
    document.querySelectorAll(".item-list button[aria-current]").forEach(function (b) { b.removeAttribute("aria-current"); });
    if (button) button.setAttribute("aria-current", "true");
    send();
  }

  function entry(item, title, line) {
    var button = el("button");
    button.type = "button";
    button.append(el("span", "item-from", title), el("span", "item-subject", item.subject || "(no subject)"),
      el("span", "item-when", line));
    button.addEventListener("click", function () { choose(item, button); });
    var li = el("li");
    li.append(button);
    return li;
  }

  function show(data) {
    user = data.user;
    document.getElementById("mailbox-user").textContent = user ? "(" + user.emailAddress + ")" : "";
    messageList.replaceChildren.apply(messageList, data.messages.map(function (m) {
      var from = m.from ? m.from.displayName : "(unknown sender)";
      var folder = m.folder === "sentitems" ? "Sent · " : "";
      return entry(m, folder + from, when(m.dateTimeCreated));
    }));
    eventList.replaceChildren.apply(eventList, data.events.map(function (e) {
      var organizer = e.organizer ? e.organizer.displayName : "";
      return entry(e, organizer, when(e.start) + (e.location ? " · " + e.location : ""));
    }));
    statusLine.textContent = data.messages.length + " messages and " + data.events.length + " meetings. Choose one.";
  }

  function load() {
    fetch("/pane/preview/items", { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(show)
      .catch(function (error) {
        statusLine.textContent = "The demo mailbox could not be read (" + error.message + "). Is the demo's fake Graph running?";
      });
  }

  function counterpart(item) {
    var me = user ? user.emailAddress.toLowerCase() : "";
    var people = [item.from, item.organizer].concat(item.to || [], item.requiredAttendees || []);
    return people.filter(function (p) { return p && p.emailAddress && p.emailAddress.toLowerCase() !== me; })[0] || null;
  }

  function compose(itemType) {
    var draft = { itemType: itemType, mode: "compose", subject: "", to: [], cc: [] };
    if (itemType === "appointment") {
      var start = new Date(Date.now() + 86400000);
      start.setMinutes(0, 0, 0);
      draft.start = start.toISOString();
      draft.end = new Date(start.getTime() + 1800000).toISOString();
      draft.requiredAttendees = [];
    }
    var other = current && current.mode !== "compose" ? counterpart(current) : null;
    if (other) {  // a reply to the selected item, so the pane can suggest that person's deals
      draft.subject = "RE: " + (current.subject || "");
      if (itemType === "message") draft.to = [other];
      else draft.requiredAttendees = [other];
    }
    choose(draft, null);
  }

  function reloadPane() {
    frame.src = "/pane/?standin=1" + (linkView.checked ? "&view=link" : "");
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || event.source !== frame.contentWindow) return;
    if (event.data && event.data[KEY] === "ready" && (current || user)) send();
  });
  document.getElementById("compose-mail").addEventListener("click", function () { compose("message"); });
  document.getElementById("compose-meeting").addEventListener("click", function () { compose("appointment"); });
  document.getElementById("no-item").addEventListener("click", function () { choose(null, null); });
  document.getElementById("reload-pane").addEventListener("click", reloadPane);
  linkView.addEventListener("change", reloadPane);
  load();
}());
