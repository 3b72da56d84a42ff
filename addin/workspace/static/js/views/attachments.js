/*
 * An e-mail's attachments in a deal's history: name, type and size, each downloaded on demand from the
 * mailbox through the API (GET …/history/{id}/attachments/{attachment_id}: nothing is stored by Dealpane).
 * The API needs the Authorization header, so a download is a fetch to a Blob saved through an object URL
 * (ui.js saveFile), not a plain link. Inline images (a logo, a signature) are counted, not listed.
 * `attachments` on the item: [] none, null not known yet (asked of the mailbox when the user wants them).
 */
import { h, replace } from "../../../shared/dom.js";
import { locale, t } from "../../../shared/i18n.js";
import { announce, errorNotice, saveFile } from "../ui.js";

const UNITS = [["megabyte", 1024 * 1024], ["kilobyte", 1024]];

/** 48213 -> "47.1 kB" in the page's language. */
export function fileSize(bytes) {
  const size = Math.max(0, Number(bytes) || 0);
  for (const [unit, factor] of UNITS) {
    if (size >= factor) {
      return new Intl.NumberFormat(locale(), { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 })
        .format(size / factor);
    }
  }
  return new Intl.NumberFormat(locale(), { style: "unit", unit: "byte", unitDisplay: "long" }).format(size);
}

/** "PDF" from "Quote.pdf", else the MIME type. */
function typeName(attachment) {
  const match = /\.([A-Za-z0-9]{1,8})$/.exec(attachment.name || "");
  return match ? match[1].toUpperCase() : attachment.content_type || t("workspace.attachments.unknownType");
}

function itemPath(item) {
  return `/history/${encodeURIComponent(item.id)}/attachments`;
}

function rows(api, item, attachments, status) {
  const files = attachments.filter((a) => !a.is_inline);
  const inline = attachments.length - files.length;
  if (!files.length && !inline) return [h("p", { class: "muted" }, t("workspace.attachments.none"))];
  const list = h("ul", { class: "attachment-list" }, files.map((attachment) => {
    const button = h("button", { type: "button", class: "link-button",
      title: t("workspace.attachments.download", { name: attachment.name }) }, attachment.name || "—");
    button.addEventListener("click", async () => {
      button.disabled = true;
      replace(status);
      try {
        const blob = await api.blob(`${itemPath(item)}/${encodeURIComponent(attachment.id)}`);
        saveFile(blob, attachment.name || "attachment", blob.type || "application/octet-stream");
        announce(t("workspace.attachments.downloaded", { name: attachment.name }));
      } catch (error) {
        replace(status, errorNotice(error));
      } finally {
        button.disabled = false;
      }
    });
    return h("li", null, button, " ",
      h("span", { class: "muted" }, t("workspace.attachments.details", { type: typeName(attachment), size: fileSize(attachment.size) })));
  }));
  return [files.length ? list : null,
    inline ? h("p", { class: "muted" }, t("workspace.attachments.inline", { count: inline })) : null];
}

/** The attachments block of one history item, or null when it is not an e-mail or has none. */
export function attachmentList(api, item) {
  if (!item || item.kind !== "email" || !item.graph) return null;
  if (Array.isArray(item.attachments) && !item.attachments.length) return null;
  const status = h("div", { role: "status" });
  const body = h("div", null);
  const block = h("div", { class: "attachments", role: "group", "aria-label": t("workspace.attachments.title") },
    h("p", { class: "attachments-title" }, t("workspace.attachments.title")), body, status);
  if (Array.isArray(item.attachments)) {
    replace(body, ...rows(api, item, item.attachments, status));
    return block;
  }
  const show = h("button", { type: "button" }, t("workspace.attachments.show"));
  show.addEventListener("click", async () => {
    show.disabled = true;
    replace(status, h("span", { class: "muted" }, t("workspace.attachments.loading")));
    try {
      const answer = await api.get(itemPath(item));
      replace(status);
      replace(body, ...rows(api, item, answer.items, status));
      const first = body.querySelector("button");
      if (first) first.focus();
    } catch (error) {
      show.disabled = false;
      replace(status, errorNotice(error));
    }
  });
  replace(body, show);
  return block;
}
