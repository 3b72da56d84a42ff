/*
 * The demo preview: lists the demo mailbox (GET /pane/preview/items) and plays Outlook for the
 * pane in the frame: choosing an item hands it to the Office stand-in there (postMessage), which
 * fires ItemChanged like a pinned pane in Outlook.
 *
 * "Outlook's language" plays Outlook's display language: the pane is reloaded with
 * ?displayLanguage=<tag>, which the stand-in gives as Office.context.displayLanguage (as Outlook
 * gives "fr-FR"); the preview itself speaks the same language. The choices are config.json's
 * languages, named by Intl.DisplayNames.
 */
import { loadConfig } from "../shared/api.js";
import { dateTime } from "../shared/format.js";
import { language, t, useLanguage } from "../shared/i18n.js";

{
  var KEY = "dealpaneStandin";
  var frame = document.getElementById("pane-frame");
  var statusLine = document.getElementById("mailbox-status");
  var messageList = document.getElementById("message-list");
  var eventList = document.getElementById("event-list");
  var linkView = document.getElementById("link-view");
  var languageSelect = document.getElementById("display-language");
  var LANGUAGE_KEY = "dealpane-preview-language";
  var data = null;
  var user = null;
  var current = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function when(value) {
    return value ? dateTime(value) : "";
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
    button.append(el("span", "item-from", title), el("span", "item-subject", item.subject || t("pane.item.noSubject")),
      el("span", "item-when", line));
    button.addEventListener("click", function () { choose(item, button); });
    var li = el("li");
    li.append(button);
    return li;
  }

  function show(answer) {
    data = answer || data;
    if (!data) return;
    user = data.user;
    document.getElementById("mailbox-user").textContent = user ? "(" + user.emailAddress + ")" : "";
    messageList.replaceChildren.apply(messageList, data.messages.map(function (m) {
      var from = m.from ? m.from.displayName : t("pane.preview.unknownSender");
      return entry(m, m.folder === "sentitems" ? t("pane.preview.sent", { from: from }) : from, when(m.dateTimeCreated));
    }));
    eventList.replaceChildren.apply(eventList, data.events.map(function (e) {
      var organizer = e.organizer ? e.organizer.displayName : "";
      return entry(e, organizer, when(e.start) + (e.location ? " · " + e.location : ""));
    }));
    statusLine.textContent = t("pane.preview.count", { messages: data.messages.length, events: data.events.length });
  }

  function load() {
    fetch("/pane/preview/items", { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return response.json();
      })
      .then(show)
      .catch(function (error) {
        statusLine.textContent = t("pane.preview.failed", { reason: error.message });
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

  /** The tag Outlook would give for `code` ("fr" -> "fr-FR"): the language's likeliest region. */
  function displayTag(code) {
    try {
      const likely = new Intl.Locale(code).maximize();
      return likely.region ? `${code}-${likely.region}` : code;
    } catch (ignored) {
      return code;
    }
  }

  function chosenLanguage() {
    try {
      return window.sessionStorage.getItem(LANGUAGE_KEY) || "";
    } catch (ignored) {
      return "";
    }
  }

  function paneUrl() {
    const query = new URLSearchParams({ standin: "1" });
    if (linkView.checked) query.set("view", "link");
    if (languageSelect.value) query.set("displayLanguage", languageSelect.value);
    return `/pane/?${query}`;
  }

  function reloadPane() {
    frame.src = paneUrl();
  }

  /** The language menu: config.json's languages, each named in its own language. */
  function fillLanguages(codes) {
    const chosen = chosenLanguage();
    languageSelect.replaceChildren(...codes.map((code) => {
      const tag = displayTag(code);
      const option = document.createElement("option");
      option.value = tag;
      option.textContent = new Intl.DisplayNames([code], { type: "language" }).of(code) || code;
      option.selected = chosen ? tag === chosen : code === language();
      return option;
    }));
  }

  async function speak(tags, available) {
    try {
      await useLanguage(tags, { available });
    } catch (error) {
      console.error("dealpane preview: the words could not be loaded", error);
    }
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

  const browserTags = navigator.languages && navigator.languages.length ? [...navigator.languages] : [navigator.language];
  let available;
  try {
    available = (await loadConfig("/pane/config.json")).languages;
  } catch (ignored) {
    available = undefined; // the source language only
  }
  await speak([chosenLanguage(), ...browserTags].filter(Boolean), available);
  fillLanguages(available || [language()]);
  languageSelect.addEventListener("change", async () => {
    try {
      window.sessionStorage.setItem(LANGUAGE_KEY, languageSelect.value);
    } catch (ignored) { /* storage blocked: the choice lasts until the page reloads */ }
    await speak([languageSelect.value], available);
    show(null);
    reloadPane();
  });
  if (languageSelect.value !== displayTag("en") || chosenLanguage()) reloadPane();
  load();
}
