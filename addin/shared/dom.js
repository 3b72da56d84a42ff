/*
 * Building the DOM, for the pane and the workspace alike. Every string is set as text (textContent,
 * text nodes, attribute values), never parsed as HTML: mail subjects, names, titles and comments are
 * data, not markup.
 */

// Set as DOM properties, not attributes (their live state matters).
const PROPERTIES = new Set(["value", "checked", "selected", "disabled", "hidden", "readOnly", "required", "multiple",
  "indeterminate"]);

/** h("button", {class: "primary", onclick: fn}, "Save") -> <button class="primary">Save</button> */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let uniqueId = 0;
/** A fresh id for label/aria wiring. */
export function uid(prefix) {
  uniqueId += 1;
  return `${prefix}-${uniqueId}`;
}

/**
 * A labelled field: <div class="field" data-field=name><label for=id>text</label> control hint?</div>.
 * `hint` is a line under the control (its aria-describedby); `name` is the API's field name, where
 * problem+json errors[].field are shown; `required` marks the label with an asterisk.
 */
export function field(labelText, control, { hint, name, required } = {}) {
  if (!control.id) control.id = uid("field");
  let hintEl = null;
  if (hint) {
    hintEl = h("p", { class: "hint", id: uid("hint") }, hint);
    control.setAttribute("aria-describedby", hintEl.id);
  }
  if (required) control.setAttribute("aria-required", "true");
  return h("div", { class: "field", dataset: name ? { field: name } : undefined },
    h("label", { for: control.id }, labelText, required ? h("span", { "aria-hidden": "true" }, " *") : null),
    control, hintEl);
}

/** Fill a <select> with [value, label] pairs, `selected` chosen. */
export function options(select, items, selected) {
  replace(select, items.map(([value, label]) =>
    h("option", { value, selected: String(value) === String(selected ?? "") }, label)));
  return select;
}

/** Disable the button and mark it busy while fn runs (its text says so when busyText is given). */
export async function withBusy(button, busyText, fn) {
  const content = Array.from(button.childNodes);
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  if (busyText) button.textContent = busyText;
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.replaceChildren(...content);
  }
}

/** Only http(s) links from data (a Graph webLink, a file link) become hrefs; anything else is dropped. */
export function safeUrl(value) {
  try {
    const url = new URL(String(value), window.location.href);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch (ignored) {
    return null;
  }
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
