/*
 * Office stand-in: a small window.Office shaped like office.js's Mailbox API, for the demo preview
 * and the browser tests (loaded instead of office.js only with /pane/?standin=1 in demo mode).
 *
 * It starts as office.js does, never kinder: like every Outlook host file of office.js it loads
 * MicrosoftAjax.js from the Ajax CDN, over the page's own protocol, and Office.onReady resolves only
 * once that script ran and defined what the host files check for; when it cannot load, onReady never
 * resolves and "Not able to load MicrosoftAjax.js." is thrown, as office.js does
 * (https://github.com/microsoft/MHA/issues/125, https://github.com/OfficeDev/office-js/issues/6040,
 * https://github.com/OfficeDev/office-js-docs-pr/pull/5418).
 *
 * What it simulates: Office.onReady, Office.context.mailbox (item in read and compose mode,
 * userProfile, diagnostics, addHandlerAsync(ItemChanged), convertToRestId/convertToEwsId),
 * Office.context.requirements.isSetSupported, Office.actions.associate, and the async-callback
 * shape ({status, value, error, asyncContext}) of every *Async method.
 *
 * Driven by window.OfficeStandin: setItem(spec) / setUser(user) / stamps() / actions; by
 * postMessage from the same origin ({dealpaneStandin: "setItem", item, user}); or by
 * window.__DEALPANE_STANDIN__ = {user, item, displayLanguage, platform} set before this file runs; the display
 * language also from the page's ?displayLanguage=fr-FR.
 * `platform` "iOS" or "Android" plays Outlook mobile: Office.context.platform and diagnostics.platform say
 * so, mailbox.diagnostics.hostName is "OutlookIOS" / "OutlookAndroid", the Mailbox requirement set stops
 * at 1.5 (what Outlook on Android and iOS support) and a read item's itemId is already a REST id
 * (https://learn.microsoft.com/office/dev/add-ins/outlook/outlook-mobile-apis,
 * https://learn.microsoft.com/javascript/api/outlook/office.diagnostics,
 * https://learn.microsoft.com/office/dev/add-ins/outlook/use-rest-api#get-the-item-id). An item spec is plain JSON:
 * {itemType: "message"|"appointment", mode: "read"|"compose", itemId, internetMessageId,
 *  conversationId, subject, from, to, cc, start, end, location, organizer, requiredAttendees,
 *  optionalAttendees} with people as {displayName, emailAddress}.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "dealpane-standin";
  var MESSAGE_KEY = "dealpaneStandin";
  var AsyncResultStatus = { Succeeded: "succeeded", Failed: "failed" };
  var EventType = { ItemChanged: "olkItemSelectedChanged" };
  var SUPPORTED_SETS = { Mailbox: "1.13", IdentityAPI: "1.3", NestedAppAuth: "1.1" };
  var MOBILE_HOSTS = { iOS: "OutlookIOS", Android: "OutlookAndroid" };
  var PLATFORM = platform();
  var MOBILE = PLATFORM in MOBILE_HOSTS;
  if (MOBILE) SUPPORTED_SETS.Mailbox = "1.5";

  var handlers = [];
  var actions = {};
  var stamps = { internetHeaders: {}, customProperties: {}, cecp: null, saves: 0, sets: [] };
  var state = initialState();
  var currentItem = buildItem(state.item);

  function initialState() {
    var given = window.__DEALPANE_STANDIN__;
    if (given && typeof given === "object") {
      return { user: given.user || defaultUser(), item: given.item || null };
    }
    try {
      var stored = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
      if (stored && typeof stored === "object") {
        return { user: stored.user || defaultUser(), item: stored.item || null };
      }
    } catch (ignored) { /* private mode or bad JSON: start empty */ }
    return { user: defaultUser(), item: null };
  }

  /**
   * The display language Outlook would give: window.__DEALPANE_STANDIN__.displayLanguage (tests), else
   * the page's ?displayLanguage= (the preview's language menu), else "en-US".
   */
  function displayLanguage() {
    var given = window.__DEALPANE_STANDIN__;
    if (given && typeof given === "object" && typeof given.displayLanguage === "string" && given.displayLanguage) {
      return given.displayLanguage;
    }
    var asked = new URLSearchParams(window.location.search).get("displayLanguage");
    return asked && /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(asked) ? asked : "en-US";
  }

  /** "iOS" / "Android" (Outlook mobile) from window.__DEALPANE_STANDIN__.platform or ?platform=, else "OfficeOnline". */
  function platform() {
    var given = window.__DEALPANE_STANDIN__;
    var asked = given && typeof given === "object" && given.platform
      ? given.platform : new URLSearchParams(window.location.search).get("platform");
    return asked === "iOS" || asked === "Android" ? asked : "OfficeOnline";
  }

  function toRestId(id) { return String(id).replace(/\+/g, "-").replace(/\//g, "_"); }

  function defaultUser() {
    return { emailAddress: "demo@contoso.com", displayName: "Demo user" };
  }

  function persist() {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (ignored) { /* storage unavailable: the state lives in memory only */ }
  }

  // ---- async results ---------------------------------------------------------------------

  function callbackOf(args) {
    for (var i = args.length - 1; i >= 0; i--) {
      if (typeof args[i] === "function") return { fn: args[i], options: i > 0 ? args[i - 1] : null };
    }
    return { fn: null, options: null };
  }

  function answer(args, value, error) {
    var cb = callbackOf(args);
    var context = cb.options && typeof cb.options === "object" ? cb.options.asyncContext : undefined;
    setTimeout(function () {
      if (!cb.fn) return;
      cb.fn(error
        ? { status: AsyncResultStatus.Failed, value: undefined, error: error, asyncContext: context }
        : { status: AsyncResultStatus.Succeeded, value: value, error: null, asyncContext: context });
    }, 0);
  }

  // ---- item shapes -----------------------------------------------------------------------

  function person(p) {
    if (!p) return null;
    return { displayName: p.displayName || p.emailAddress || "", emailAddress: p.emailAddress || "",
      recipientType: "externalUser" };
  }

  function people(list) {
    return (list || []).map(person).filter(Boolean);
  }

  function date(value) {
    return value ? new Date(value) : null;
  }

  function recipients(list) {
    var items = people(list);
    return {
      getAsync: function () { answer(arguments, items.slice()); },
      setAsync: function (next) { items = people(next); answer(arguments); },
      addAsync: function (more) { items = items.concat(people(more)); answer(arguments); },
    };
  }

  function textField(value) {
    var current = value || "";
    return {
      getAsync: function () { answer(arguments, current); },
      setAsync: function (next) { current = String(next); answer(arguments); },
    };
  }

  function timeField(value) {
    var current = date(value);
    return {
      getAsync: function () { answer(arguments, current); },
      setAsync: function (next) { current = new Date(next); answer(arguments); },
    };
  }

  /*
   * Custom properties as office.js keeps them: loadCustomPropertiesAsync gives an in-memory copy; set and
   * remove change only that copy; saveAsync writes the whole copy to the item as one JSON object (the
   * named property cecp-<add-in id>, MS-OXCEXT 2.2.5), at most 2,500 characters
   * (https://learn.microsoft.com/javascript/api/outlook/office.customproperties; the error office.js gives
   * past it is not documented, so the stand-in's is its own). Values come back as JSON gave them.
   * stamps().cecp is that JSON string: what Graph reads on the item (graph_sync/stamp.py).
   */
  var CUSTOM_PROPERTIES_MAX = 2500;

  function customPropertiesApi() {
    return function loadCustomPropertiesAsync() {
      var values = stamps.cecp ? JSON.parse(stamps.cecp) : {};
      var props = {
        get: function (name) { return values[name]; },
        set: function (name, value) { values[name] = value; stamps.sets.push({ name: name, value: value }); },
        remove: function (name) { delete values[name]; },
        getAll: function () { return Object.assign({}, values); },
        saveAsync: function () {
          var json = JSON.stringify(values);
          if (json.length > CUSTOM_PROPERTIES_MAX) {
            answer(arguments, undefined, { name: "GenericResponseError",
              message: "The custom properties exceed 2,500 characters (stand-in).", code: 9020 });
            return;
          }
          stamps.cecp = json;
          stamps.customProperties = JSON.parse(json);
          answer(arguments);
        },
      };
      answer(arguments, props);
    };
  }

  function notificationMessages() {
    var messages = {};
    return {
      addAsync: function (key, message) { messages[key] = message; answer(arguments); },
      replaceAsync: function (key, message) { messages[key] = message; answer(arguments); },
      removeAsync: function (key) { delete messages[key]; answer(arguments); },
      getAllAsync: function () {
        answer(arguments, Object.keys(messages).map(function (k) { return Object.assign({ key: k }, messages[k]); }));
      },
    };
  }

  function buildItem(spec) {
    if (!spec) return null;
    var appointment = spec.itemType === "appointment";
    var item = {
      itemType: appointment ? "appointment" : "message",
      conversationId: spec.conversationId || null,
      loadCustomPropertiesAsync: customPropertiesApi(),
      notificationMessages: notificationMessages(),
    };
    if (spec.mode === "compose") {
      item.subject = textField(spec.subject);
      item.body = { getAsync: function () { answer(arguments, ""); }, setAsync: function () { answer(arguments); } };
      item.saveAsync = function () { stamps.saves += 1; answer(arguments, spec.itemId || "draft-" + stamps.saves); };
      item.getItemIdAsync = function () {
        answer(arguments, undefined, { name: "ItemNotSaved", message: "The item is not saved yet.", code: 9041 });
      };
      if (appointment) {
        item.start = timeField(spec.start);
        item.end = timeField(spec.end);
        item.location = textField(spec.location);
        item.requiredAttendees = recipients(spec.requiredAttendees);
        item.optionalAttendees = recipients(spec.optionalAttendees);
        item.organizer = { getAsync: function () { answer(arguments, person(spec.organizer || state.user)); } };
      } else {
        item.to = recipients(spec.to);
        item.cc = recipients(spec.cc);
        item.bcc = recipients([]);
        item.from = { getAsync: function () { answer(arguments, person(spec.from || state.user)); } };
        item.internetHeaders = {
          setAsync: function (headers) {
            Object.keys(headers || {}).forEach(function (k) { stamps.internetHeaders[k] = String(headers[k]); });
            answer(arguments);
          },
          getAsync: function (names) {
            var found = {};
            (names || []).forEach(function (n) { if (n in stamps.internetHeaders) found[n] = stamps.internetHeaders[n]; });
            answer(arguments, found);
          },
          removeAsync: function (names) {
            (names || []).forEach(function (n) { delete stamps.internetHeaders[n]; });
            answer(arguments);
          },
        };
      }
      return item;
    }
    item.itemId = spec.itemId ? (MOBILE ? toRestId(spec.itemId) : spec.itemId) : null;
    item.subject = spec.subject || "";
    item.normalizedSubject = (spec.subject || "").replace(/^((re|fw|fwd|aw|wg)\s*:\s*)+/i, "");
    item.dateTimeCreated = date(spec.dateTimeCreated) || new Date();
    item.dateTimeModified = item.dateTimeCreated;
    item.body = { getAsync: function () { answer(arguments, spec.body || ""); } };
    if (appointment) {
      item.start = date(spec.start);
      item.end = date(spec.end);
      item.location = spec.location || "";
      item.organizer = person(spec.organizer);
      item.requiredAttendees = people(spec.requiredAttendees);
      item.optionalAttendees = people(spec.optionalAttendees);
    } else {
      item.internetMessageId = spec.internetMessageId || null;
      item.from = person(spec.from);
      item.sender = person(spec.sender || spec.from);
      item.to = people(spec.to);
      item.cc = people(spec.cc);
    }
    return item;
  }

  // ---- Office ----------------------------------------------------------------------------

  function fireItemChanged() {
    handlers.slice().forEach(function (handler) {
      setTimeout(function () { handler({ type: EventType.ItemChanged }); }, 0);
    });
  }

  function versionAtLeast(have, want) {
    var a = String(have).split(".").map(Number);
    var b = String(want || "1.1").split(".").map(Number);
    for (var i = 0; i < Math.max(a.length, b.length); i++) {
      if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
    }
    return true;
  }

  var mailbox = {
    get item() { return currentItem; },
    get userProfile() {
      return {
        emailAddress: state.user.emailAddress,
        displayName: state.user.displayName || state.user.emailAddress,
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        accountType: "enterprise",
      };
    },
    diagnostics: MOBILE ? { hostName: MOBILE_HOSTS[PLATFORM], hostVersion: "standin" }
      : { hostName: "OutlookWebApp", hostVersion: "standin", OWAView: "ThreeColumn" },
    restUrl: window.location.origin,
    addHandlerAsync: function (type, handler) {
      if (type === EventType.ItemChanged && typeof handler === "function") {
        handlers.push(handler);
        answer(arguments);
      } else {
        answer(arguments, undefined, { name: "InvalidEventType", message: "Not supported by the stand-in", code: 5001 });
      }
    },
    removeHandlerAsync: function (type) {
      if (type === EventType.ItemChanged) handlers = [];
      answer(arguments);
    },
    convertToRestId: toRestId,
    convertToEwsId: function (id) { return String(id).replace(/-/g, "+").replace(/_/g, "/"); },
  };

  // ---- MicrosoftAjax.js, as office.js's Outlook host files load it ---------------------------

  // The host files' own URL: (https: on https pages, else http:) + this path.
  var MICROSOFT_AJAX_PATH = "//ajax.aspnetcdn.com/ajax/3.5/MicrosoftAjax.js";

  /** What the host files check before they go on (OfficeExt.MicrosoftAjaxFactory.isMsAjaxLoaded). */
  function isMsAjaxLoaded() {
    return typeof Sys !== "undefined" && typeof Type !== "undefined" &&
      typeof Sys.StringBuilder === "function" &&
      typeof Type.registerNamespace === "function" && typeof Type.registerClass === "function" &&
      typeof Function._validateParams === "function" &&
      Boolean(Sys.Serialization && Sys.Serialization.JavaScriptSerializer &&
        typeof Sys.Serialization.JavaScriptSerializer.serialize === "function");
  }

  var msAjaxReady = new Promise(function (resolve) {
    if (isMsAjaxLoaded()) {
      resolve();
      return;
    }
    var script = document.createElement("script");
    var loaded = function () {
      if (isMsAjaxLoaded()) resolve();
      else throw new Error("Not able to load MicrosoftAjax.js.");  // and onReady never resolves
    };
    script.type = "text/javascript";
    script.onload = loaded;
    script.onerror = loaded;
    script.setAttribute("crossOrigin", "anonymous");
    script.src = (window.location.protocol.toLowerCase() === "https:" ? "https:" : "http:") + MICROSOFT_AJAX_PATH;
    document.getElementsByTagName("head")[0].appendChild(script);
  });

  var readyPromise = null;

  window.Office = {
    AsyncResultStatus: AsyncResultStatus,
    EventType: EventType,
    HostType: { Outlook: "Outlook" },
    PlatformType: { OfficeOnline: "OfficeOnline", PC: "PC", Mac: "Mac", iOS: "iOS", Android: "Android" },
    CoercionType: { Text: "text", Html: "html" },
    MailboxEnums: {
      ItemType: { Message: "message", Appointment: "appointment" },
      RestVersion: { v1_0: "v1.0", v2_0: "v2.0", Beta: "beta" },
      ItemNotificationMessageType: { InformationalMessage: "informationalMessage", ErrorMessage: "errorMessage",
        ProgressIndicator: "progressIndicator" },
    },
    context: {
      mailbox: mailbox,
      host: "Outlook",
      platform: PLATFORM,
      // Outlook's UI language as office.js gives it ("fr-FR"): Office.context.displayLanguage,
      // https://learn.microsoft.com/javascript/api/office/office.context#office-office-context-displaylanguage-member
      displayLanguage: displayLanguage(),
      diagnostics: { host: "Outlook", platform: PLATFORM, version: "standin" },
      requirements: {
        isSetSupported: function (name, version) {
          return name in SUPPORTED_SETS && versionAtLeast(SUPPORTED_SETS[name], version);
        },
      },
    },
    actions: {
      associate: function (name, fn) { actions[name] = fn; },
    },
    onReady: function (callback) {
      if (!readyPromise) {
        readyPromise = new Promise(function (resolve) {
          var done = function () {
            var info = { host: "Outlook", platform: PLATFORM };
            if (typeof window.Office.initialize === "function") window.Office.initialize("standin");
            resolve(info);
          };
          var domReady = new Promise(function (domLoaded) {
            if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", domLoaded);
            else setTimeout(domLoaded, 0);
          });
          Promise.all([domReady, msAjaxReady]).then(done);
        });
      }
      if (typeof callback === "function") readyPromise.then(callback);
      return readyPromise;
    },
  };

  // ---- the control surface for the preview and the tests ---------------------------------

  window.OfficeStandin = {
    isStandin: true,
    setItem: function (spec) {
      state.item = spec || null;
      stamps = { internetHeaders: {}, customProperties: {}, cecp: null, saves: 0, sets: [] };
      currentItem = buildItem(state.item);
      persist();
      fireItemChanged();
    },
    setUser: function (user) {
      if (user && user.emailAddress) {
        state.user = { emailAddress: user.emailAddress, displayName: user.displayName || user.emailAddress };
        persist();
      }
    },
    getItemSpec: function () { return state.item; },
    stamps: function () { return JSON.parse(JSON.stringify(stamps)); },
    actions: actions,
    handlerCount: function () { return handlers.length; },
  };

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin || !event.data || typeof event.data !== "object") return;
    var command = event.data[MESSAGE_KEY];
    if (command === "setItem") {
      if (event.data.user) window.OfficeStandin.setUser(event.data.user);
      window.OfficeStandin.setItem(event.data.item || null);
    }
  });

  if (window.parent && window.parent !== window) {
    var ready = {};
    ready[MESSAGE_KEY] = "ready";
    window.parent.postMessage(ready, window.location.origin);
  }
}());
