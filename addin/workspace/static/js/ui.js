/* Pieces every view uses: notices, problem+json errors next to their fields, dialogs, busy buttons. */
import { describeError } from "./api.js";
import { h, replace, uid } from "../../shared/dom.js";
import { locale, t } from "../../shared/i18n.js";

// The views take withBusy from here with the rest of their pieces.
export { withBusy } from "../../shared/dom.js";

/** kind: "info" | "success" | "warning" | "error". Errors are announced at once (role=alert). */
export function notice(kind, title, text, ...extra) {
  return h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("p", { class: "notice-title" }, title),
    text ? h("p", { class: "notice-text" }, text) : null,
    extra);
}

/** A failed call as a notice: the problem's `detail`, and the field errors that no field shows. */
export function errorNotice(error, unplaced = null) {
  const about = describeError(error);
  const list = unplaced || (error && error.errors) || [];
  return notice("error", about.title, about.text,
    list.length > 1 || (list.length === 1 && list[0].message && !(about.text || "").includes(list[0].message))
      ? h("ul", null, list.map((e) => h("li", null, e.field ? t("workspace.error.fieldMessage", { field: e.field, message: e.message }) : e.message)))
      : null);
}

export function show(slot, node) {
  replace(slot, node);
  if (node && node.getAttribute && node.getAttribute("role") === "alert") slot.scrollIntoView({ block: "nearest" });
  return node;
}

export function clearFieldErrors(root) {
  for (const el of root.querySelectorAll(".field-error")) el.remove();
  for (const el of root.querySelectorAll("[aria-invalid='true']")) {
    el.removeAttribute("aria-invalid");
    const described = (el.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.startsWith("err-"));
    if (described.length) el.setAttribute("aria-describedby", described.join(" "));
    else el.removeAttribute("aria-describedby");
  }
}

/**
 * Put each errors[].field message next to the element with data-field equal to it (or to its
 * first segment: "lines[0].quantity" falls back to "lines[0]" then "lines"). Returns the errors
 * that found no field, for the notice.
 */
export function showFieldErrors(root, errors) {
  clearFieldErrors(root);
  const unplaced = [];
  let first = null;
  for (const error of errors || []) {
    const name = String(error.field || "");
    const candidates = [name];
    let rest = name;
    while (/[.[]/.test(rest)) {
      rest = rest.replace(/(\.[^.[]*|\[[^\]]*\])$/, "");
      candidates.push(rest);
    }
    let holder = null;
    for (const candidate of candidates) {
      holder = candidate ? root.querySelector(`[data-field="${CSS.escape(candidate)}"]`) : null;
      if (holder) break;
    }
    if (!holder) {
      unplaced.push(error);
      continue;
    }
    const control = holder.matches("input, select, textarea") ? holder : holder.querySelector("input, select, textarea");
    const message = h("p", { class: "field-error", id: uid("err") }, error.message);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", `${control.getAttribute("aria-describedby") || ""} ${message.id}`.trim());
      first = first || control;
    }
    (holder.matches("input, select, textarea") ? holder.parentElement : holder).append(message);
  }
  return { unplaced, first };
}

/** Show a failed save: messages by the fields, the rest (and `detail`) in the slot. */
export function reportError(slot, root, error) {
  const { unplaced, first } = showFieldErrors(root, error.errors || []);
  show(slot, errorNotice(error, unplaced));
  if (first) first.focus();
}

/** The page's decimal separator: "." in English, "," in French. */
function decimalSeparator() {
  return new Intl.NumberFormat(locale()).formatToParts(1.5).find((part) => part.type === "decimal").value;
}

/** A decimal the API gave ("1250.50") as the page writes it ("1250,50" in French) in an input. */
export function shownDecimal(value) {
  if (value === null || value === undefined) return "";
  return decimalSeparator() === "," ? String(value).replace(".", ",") : String(value);
}

/** A decimal the user typed, as the API takes it: in French "1 250,50" (or "1250.50") -> "1250.50". */
export function typedDecimal(text) {
  const value = String(text ?? "").trim();
  return decimalSeparator() === "," ? value.replace(/[\s\u00a0\u202f]/g, "").replace(",", ".") : value;
}

let announcer = null;
export function announce(text) {
  announcer = announcer || document.getElementById("status");
  if (!announcer) return;
  announcer.textContent = "";
  window.setTimeout(() => { announcer.textContent = text; }, 30);
}

/**
 * A modal dialog (native <dialog>: focus is trapped, Escape closes). build(close) returns the body.
 * Resolves with what close(value) was given (undefined on Escape).
 */
export function dialog(title, build, { wide = false, label } = {}) {
  return new Promise((resolve) => {
    const titleId = uid("dlg");
    const el = h("dialog", { class: wide ? "wide" : "", "aria-labelledby": titleId, "aria-label": label });
    let result;
    const close = (value) => {
      result = value;
      el.close();
    };
    const opener = document.activeElement;
    el.addEventListener("close", () => {
      el.remove();
      if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
      resolve(result);
    });
    el.append(h("div", { class: "dialog-body" }, h("h2", { id: titleId }, title), build(close)));
    document.body.append(el);
    el.showModal();
    const autofocus = el.querySelector("[autofocus]") || el.querySelector("input, select, textarea, button");
    if (autofocus) autofocus.focus();
  });
}

/** "Are you sure?" with a danger button; resolves true or false. */
export async function confirmAction(title, text, action = t("workspace.action.delete")) {
  const answer = await dialog(title, (close) => [
    h("p", null, text),
    h("div", { class: "dialog-actions" },
      h("button", { type: "button", class: "button", onclick: () => close(false) }, t("workspace.action.cancel")),
      h("button", { type: "button", class: "button danger", onclick: () => close(true) }, action)),
  ]);
  return answer === true;
}

/** A download from text (CSV export) without leaving the page. */
export function saveFile(text, filename, type) {
  const url = URL.createObjectURL(new Blob([text], { type: type || "text/plain" }));
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10000);
}

const PRINT_TAGS = new Set(["H1", "H2", "H3", "H4", "P", "DIV", "SECTION", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD",
  "UL", "OL", "LI", "DL", "DT", "DD", "STRONG", "EM", "B", "I", "SPAN", "BR", "SMALL", "HEADER", "FOOTER", "TIME", "PRE"]);

/** Copy only plain structure and text from a parsed page: no scripts, styles, handlers or links. */
function cleanCopy(node) {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.textContent);
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  if (!PRINT_TAGS.has(node.tagName)) {
    return ["SCRIPT", "STYLE", "LINK", "META", "TITLE", "IFRAME", "OBJECT", "EMBED", "TEMPLATE", "SVG", "IMG"]
      .includes(node.tagName) ? null : h("span", null, Array.from(node.childNodes).map(cleanCopy));
  }
  const copy = document.createElement(node.tagName.toLowerCase());
  for (const name of ["colspan", "rowspan"]) {
    const value = node.getAttribute(name);
    if (value && /^\d{1,3}$/.test(value)) copy.setAttribute(name, value);
  }
  append(copy, Array.from(node.childNodes).map(cleanCopy));
  return copy;
}

function append(el, nodes) {
  for (const node of nodes) if (node) el.append(node);
}

/**
 * Print the server's printable page (…/print): its HTML is parsed inertly (DOMParser runs nothing),
 * copied as plain structure and text into the print area, printed, then removed.
 */
export function printHtml(html) {
  const parsed = new DOMParser().parseFromString(html, "text/html");
  const area = document.getElementById("print-area");
  area.replaceChildren(...Array.from(parsed.body.childNodes).map(cleanCopy).filter(Boolean));
  document.body.classList.add("printing"); // the print style sheet then shows only the print area
  const done = () => {
    document.body.classList.remove("printing");
    window.removeEventListener("afterprint", done);
  };
  window.addEventListener("afterprint", done);
  window.print();
}
