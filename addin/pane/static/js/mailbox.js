/*
 * The Outlook item through Office.js (Mailbox 1.5+): read mode gives properties, compose mode gives
 * objects with getAsync. Everything is turned into one plain record the pane works with:
 *   {mode: "read"|"compose", type: "message"|"event", itemId, itemIdFormat, internetMessageId,
 *    conversationId, subject, from, to, cc, start, end, location}
 * with people as {name, address}.
 */

import { t } from "../../shared/i18n.js";

/** Our custom property on a stamped item; the sync reads it back through Graph (graph_sync/stamp.py). */
export const OPPORTUNITY_PROPERTY = "DealpaneOpportunity";
/**
 * How long the pane waits for Office.onReady before it tells the user what to check. office.js
 * neither resolves nor rejects onReady when one of its scripts cannot load (a blocked CDN, an old
 * build): https://github.com/OfficeDev/office-js/issues/6040, /issues/6148,
 * https://github.com/OfficeDev/office-js-docs-pr/pull/5418. When Office answers later after all,
 * the pane carries on. Tests may shorten the wait by setting window.DEALPANE_OFFICE_TIMEOUT_MS before
 * the pane's scripts run (a Playwright init script); nothing else sets it.
 */
const READY_TIMEOUT_MS = 8000;

/** Not inside Outlook: office.js answered without a mailbox, or there is no office.js at all. */
export class OfficeUnavailable extends Error {}

/**
 * Office did not answer in time. `answer` settles when (if ever) it does: with onReady's info, or
 * with OfficeUnavailable.
 */
export class OfficeSilent extends Error {
  constructor(answer) {
    super("Outlook did not answer.");
    this.answer = answer;
  }
}

function office() {
  return window.Office;
}

function readyTimeoutMs() {
  const given = Number(window.DEALPANE_OFFICE_TIMEOUT_MS);
  return Number.isFinite(given) && given > 0 ? given : READY_TIMEOUT_MS;
}

/** Outlook opened this page: it frames the pane (on the web) or names itself in the URL. */
function openedByOutlook() {
  return window.parent !== window || new URLSearchParams(window.location.search).has("_host_Info");
}

/**
 * Office.onReady with Outlook's mailbox; OfficeUnavailable when the page is not inside Outlook,
 * OfficeSilent when Office does not answer within a few seconds.
 */
export function officeReady() {
  const Office = office();
  if (!Office || typeof Office.onReady !== "function") {
    // office.js itself did not load. Inside Outlook that is a blocked CDN: Office will never answer.
    if (openedByOutlook()) return Promise.reject(new OfficeSilent(new Promise(() => {})));
    return Promise.reject(new OfficeUnavailable("Office.js did not load."));
  }
  const answer = new Promise((resolve, reject) => {
    Office.onReady((info) => {
      if (!Office.context || !Office.context.mailbox) reject(new OfficeUnavailable("Not running in Outlook."));
      else resolve(info);
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new OfficeSilent(answer)), readyTimeoutMs());
    answer.then((info) => {
      clearTimeout(timer);
      resolve(info);
    }, (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export function mailbox() {
  return office().context.mailbox;
}

export function userEmail() {
  const profile = mailbox().userProfile || {};
  return profile.emailAddress || "";
}

export function isSetSupported(name, version) {
  const requirements = office().context.requirements;
  return Boolean(requirements && requirements.isSetSupported(name, version));
}

/** Call handler whenever the selected item changes (pinned pane). */
export function onItemChanged(handler) {
  const Office = office();
  if (!Office.EventType || !mailbox().addHandlerAsync) return;
  mailbox().addHandlerAsync(Office.EventType.ItemChanged, handler, () => {});
}

function asyncValue(target) {
  return new Promise((resolve, reject) => {
    target.getAsync((result) => {
      if (result.status === office().AsyncResultStatus.Succeeded) resolve(result.value);
      else reject(new Error((result.error && result.error.message) || t("pane.outlook.readFailed")));
    });
  });
}

function person(details) {
  if (!details || !details.emailAddress) return null;
  return { name: details.displayName || details.emailAddress, address: details.emailAddress };
}

function people(list) {
  return (list || []).map(person).filter(Boolean);
}

function isCompose(item) {
  return Boolean(item.subject && typeof item.subject.getAsync === "function");
}

/** On Outlook mobile, itemId is already a REST id; everywhere else it is an EWS id. */
function itemIdFormat() {
  const Office = office();
  const host = (mailbox().diagnostics && mailbox().diagnostics.hostName) || "";
  const platform = Office.context.platform;
  return host === "OutlookIOS" || host === "OutlookAndroid" || platform === "iOS" || platform === "Android" ? "rest" : "ews";
}

/** The selected item as a plain record, or null when nothing (or several items) is selected. */
export async function readItem() {
  const item = mailbox().item;
  if (!item) return null;
  const type = item.itemType === "appointment" ? "event" : "message";
  if (isCompose(item)) return readCompose(item, type);
  if (type === "event") {
    return {
      mode: "read", type, itemId: item.itemId || null, itemIdFormat: itemIdFormat(), internetMessageId: null,
      conversationId: null, subject: item.subject || "", from: person(item.organizer),
      to: people(item.requiredAttendees), cc: people(item.optionalAttendees),
      start: item.start ? new Date(item.start) : null, end: item.end ? new Date(item.end) : null,
      location: typeof item.location === "string" ? item.location : "",
    };
  }
  return {
    mode: "read", type, itemId: item.itemId || null, itemIdFormat: itemIdFormat(),
    internetMessageId: item.internetMessageId || null, conversationId: item.conversationId || null,
    subject: item.subject || "", from: person(item.from) || person(item.sender), to: people(item.to),
    cc: people(item.cc), start: null, end: null, location: "",
  };
}

async function readCompose(item, type) {
  const optional = (target) => (target && typeof target.getAsync === "function" ? asyncValue(target) : Promise.resolve(null));
  if (type === "event") {
    const [subject, organizer, required, optionalAttendees, start, end] = await Promise.all([
      asyncValue(item.subject), optional(item.organizer), optional(item.requiredAttendees),
      optional(item.optionalAttendees), optional(item.start), optional(item.end)]);
    return {
      mode: "compose", type, itemId: null, itemIdFormat: itemIdFormat(), internetMessageId: null,
      conversationId: null, subject: subject || "", from: person(organizer), to: people(required),
      cc: people(optionalAttendees), start: start ? new Date(start) : null, end: end ? new Date(end) : null, location: "",
    };
  }
  const [subject, from, to, cc] = await Promise.all([
    asyncValue(item.subject), optional(item.from), optional(item.to), optional(item.cc)]);
  return {
    mode: "compose", type, itemId: null, itemIdFormat: itemIdFormat(), internetMessageId: null,
    conversationId: item.conversationId || null, subject: subject || "", from: person(from), to: people(to),
    cc: people(cc), start: null, end: null, location: "",
  };
}

function callAsync(fn) {
  return new Promise((resolve, reject) => {
    fn((result) => {
      if (result.status === office().AsyncResultStatus.Succeeded) resolve(result.value);
      else reject(new Error((result.error && result.error.message) || t("pane.outlook.refused")));
    });
  });
}

/**
 * Stamp the item being written with the opportunity, so the sync links the sent item by itself: the
 * add-in's custom property (Mailbox 1.1), on messages and meetings alike. Outlook keeps custom
 * properties on the copy in Sent Items ("When a message or appointment with custom properties is sent,
 * its properties can be accessed from the item in the Sent Items folder",
 * https://learn.microsoft.com/javascript/api/outlook/office.customproperties), where Graph reads them as
 * the extended property cecp-<add-in id> (https://learn.microsoft.com/office/dev/add-ins/outlook/metadata-for-an-outlook-add-in).
 * No internet header: the copy in Sent Items has none of them
 * (https://github.com/OfficeDev/office-js-docs-pr/issues/5057,
 * https://github.com/microsoftgraph/microsoft-graph-docs/issues/2716), and the recipients, the
 * customer among them, would get our opportunity id. Classic Outlook on Windows writes custom
 * properties set in compose when the item is closed (sending closes it) or saved (same page, "Using
 * custom properties"). A fresh load each time: a reused CustomProperties object can save stale values
 * (https://github.com/OfficeDev/office-js/issues/5643).
 */
export async function stampOpportunity(opportunityId) {
  const item = mailbox().item;
  if (!item) throw new Error(t("pane.outlook.noItem"));
  const props = await callAsync((done) => item.loadCustomPropertiesAsync(done));
  props.set(OPPORTUNITY_PROPERTY, opportunityId);
  await callAsync((done) => props.saveAsync(done));
  return "property";
}
