/*
 * The words of the pane and the workspace, in the user's language: one catalogue per language
 * (storage/locales/<lang>/{common,pane,workspace}.json, fetched merged from the page's i18n/<lang>.json),
 * messages in ICU MessageFormat formatted by intl-messageformat (plurals, numbers and dates by CLDR's
 * rules through Intl: nothing home-made).
 *
 *   await useLanguage(["fr-FR"], { available: config.languages });   // once, before the first view
 *   t("pane.link.button")                                            // "Lier à cette opportunité"
 *   t("common.items", { count: 3 })                                   // "{count, plural, one {# élément} other {# éléments}}"
 *
 * Which language: in Outlook Office.context.displayLanguage (pane.js), in the workspace the user's
 * choice kept on the server or else the browser's languages (workspace app.js). The API is asked in the
 * same language (shared/api.js sends Accept-Language: language()).
 */
import { IntlMessageFormat } from "../vendor/intl-messageformat.js";

const state = { language: "en", locale: "en-US", messages: {}, formats: new Map() };

/** The language the page speaks ("en", "fr"). */
export function language() {
  return state.language;
}

/** The BCP 47 tag numbers and dates are formatted with ("fr-FR", "fr-CA", "en-GB", ...). */
export function locale() {
  return state.locale;
}

/**
 * The first of `tags` (most wanted first: "fr-FR", "fr", "en-US"...) whose language is in `available`,
 * as {language, locale}; English if none. The locale keeps the tag's region when it has one.
 */
export function pickLanguage(tags, available = ["en"]) {
  for (const tag of tags || []) {
    if (!tag) continue;
    const normal = String(tag).replace("_", "-");
    const base = normal.split("-")[0].toLowerCase();
    if (available.includes(base)) return { language: base, locale: normal.includes("-") ? normal : null };
  }
  return { language: available.includes("en") ? "en" : available[0], locale: null };
}

/**
 * Loads the catalogue of the best of `tags` and makes it the page's language (also <html lang> and every
 * element marked data-i18n="key", data-i18n-placeholder, data-i18n-title or data-i18n-aria-label).
 * `base` is where the page's i18n/ folder is ("" for the page's own folder).
 */
export async function useLanguage(tags, { available = ["en"], base = "" } = {}) {
  const choice = pickLanguage(tags, available);
  const response = await fetch(`${base}i18n/${choice.language}.json`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`The ${choice.language} messages could not be loaded (${response.status}).`);
  const catalogue = await response.json();
  setCatalogue(catalogue.language, choice.locale || catalogue.locale, catalogue.messages);
  return state.language;
}

/** Sets the catalogue directly (tests, and pages that already have it). */
export function setCatalogue(languageCode, localeTag, messages) {
  state.language = languageCode;
  state.locale = localeTag || languageCode;
  state.messages = messages || {};
  state.formats = new Map();
  document.documentElement.lang = state.language;
  translatePage(document);
}

/** The message `key` with `values` put in. A key the catalogue lacks shows as the key (and is logged). */
export function t(key, values) {
  const message = state.messages[key];
  if (message === undefined) {
    console.error(`dealpane i18n: no message "${key}" in ${state.language}`);
    return key;
  }
  if (!values && !message.includes("{")) return message;
  let format = state.formats.get(key);
  if (!format) {
    format = new IntlMessageFormat(message, state.locale);
    state.formats.set(key, format);
  }
  return String(format.format(values || {}));
}

/** Whether the catalogue has `key` (for messages chosen from data, such as a problem's type). */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(state.messages, key);
}

const ATTRIBUTES = [["i18nPlaceholder", "placeholder"], ["i18nTitle", "title"], ["i18nAriaLabel", "aria-label"]];

/** Puts the messages into the static markup of `root`: data-i18n (text) and the data-i18n-* attributes. */
export function translatePage(root) {
  for (const el of root.querySelectorAll("[data-i18n], [data-i18n-placeholder], [data-i18n-title], [data-i18n-aria-label]")) {
    if (el.dataset.i18n) el.textContent = t(el.dataset.i18n);
    for (const [dataKey, attribute] of ATTRIBUTES) {
      if (el.dataset[dataKey]) el.setAttribute(attribute, t(el.dataset[dataKey]));
    }
  }
}
