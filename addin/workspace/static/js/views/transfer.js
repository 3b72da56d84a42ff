/* Import and export: CSV files with BCM's column names; a dry run first, then all or nothing. */
import { h, field, options, replace } from "../../../shared/dom.js";
import { announce, errorNotice, notice, saveFile, show, withBusy } from "../ui.js";
import { t } from "../../../shared/i18n.js";

// The kinds of file (their words: workspace.transfer.kind). The column names a file has are in the
// catalogue (workspace.transfer.columnNames.<kind>): the headers the import reads.
const KINDS = ["opportunities", "accounts", "contacts"];

export async function render(ctx) {
  const messages = h("div", { class: "slot", id: "transfer-messages" });
  const exportButtons = KINDS.map((kind) =>
    h("button", { type: "button", class: "button", onclick: (event) => withBusy(event.currentTarget, t("workspace.transfer.exporting"), async () => {
      try {
        const file = await ctx.api.text(`/export/${kind}.csv`, "text/csv");
        const text = file.text.startsWith("\ufeff") ? file.text : `\ufeff${file.text}`;
        saveFile(text, file.filename || `${kind}.csv`, "text/csv;charset=utf-8");
        announce(t("workspace.transfer.exported", { kind }));
      } catch (error) {
        show(messages, errorNotice(error));
      }
    }) }, t("workspace.transfer.export", { kind })));

  const kind = options(h("select", { id: "import-kind" }), KINDS.map((name) => [name, t("workspace.transfer.kind", { kind: name })]), "accounts");
  const file = h("input", { type: "file", id: "import-file", accept: ".csv,text/csv" });
  const columns = h("p", { class: "hint", id: "import-columns" });
  const report = h("div", { id: "import-report", "aria-live": "polite" });
  const importButton = h("button", { type: "button", class: "button primary", disabled: true }, t("workspace.transfer.import"));
  const checkButton = h("button", { type: "button", class: "button" }, t("workspace.transfer.check"));
  let checked = null; // {kind, text} of the last dry run that found no problem
  const paintColumns = () => {
    columns.textContent = t("workspace.transfer.columns", { columns: t(`workspace.transfer.columnNames.${kind.value}`) });
  };
  paintColumns();
  const reset = () => {
    checked = null;
    importButton.disabled = true;
    replace(report);
  };
  kind.addEventListener("change", () => { paintColumns(); reset(); });
  file.addEventListener("change", reset);

  const readFile = async () => {
    if (!file.files.length) throw new Error(t("workspace.transfer.chooseFile"));
    return file.files[0].text();
  };
  const run = async (dryRun, text) => {
    const path = `/import/${kind.value}`;
    try {
      const result = await ctx.api.post(path, { csv: text }, { dry_run: dryRun ? "true" : "false" });
      return { result, error: null };
    } catch (error) {
      if (error.body && error.body.report) return { result: error.body.report, error };
      throw error;
    }
  };
  checkButton.addEventListener("click", () => withBusy(checkButton, t("workspace.transfer.checking"), async () => {
    replace(messages);
    try {
      const text = await readFile();
      const { result } = await run(true, text);
      replace(report, summary(result, true), reportTable(result));
      checked = result.ok ? { kind: kind.value, text } : null;
      importButton.disabled = !result.ok;
      announce(result.ok ? t("workspace.transfer.canImport", { count: result.would_import }) : t("workspace.transfer.haveProblems", { count: result.failed }));
    } catch (error) {
      show(messages, errorNotice(error));
    }
  }));
  importButton.addEventListener("click", async () => {
    await withBusy(importButton, t("workspace.transfer.importing"), () => importChecked());
    importButton.disabled = true; // a file is imported once; check it again to import it again
  });
  const importChecked = async () => {
    if (!checked || checked.kind !== kind.value) return;
    try {
      const { result, error } = await run(false, checked.text);
      replace(report, error ? errorNotice(error) : summary(result, false), reportTable(result));
      if (!error) {
        ctx.lists = {};
        announce(t("workspace.transfer.imported", { count: result.imported }));
      }
    } catch (error) {
      show(messages, errorNotice(error));
    }
    checked = null;
  };

  replace(ctx.main,
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, t("workspace.nav.transfer"))),
    messages,
    h("div", { class: "dash" },
      h("section", { class: "card", "aria-labelledby": "export-title" },
        h("h2", { id: "export-title" }, t("workspace.transfer.exportTitle")),
        h("p", null, t("workspace.transfer.exportText")),
        h("div", { class: "toolbar" }, exportButtons)),
      h("section", { class: "card", "aria-labelledby": "import-title" },
        h("h2", { id: "import-title" }, t("workspace.transfer.import")),
        h("p", null, t("workspace.transfer.importText")),
        h("div", { class: "grid-2" }, field(t("workspace.transfer.holds"), kind), field(t("workspace.transfer.file"), file)),
        columns,
        h("div", { class: "toolbar actions-row" }, checkButton, importButton)),
      h("section", { class: "card wide", "aria-labelledby": "report-title" },
        h("h2", { id: "report-title" }, t("workspace.transfer.report")), report)));
}

function summary(result, dryRun) {
  const n = result.records.length;
  if (dryRun && result.ok) return notice("success", t("workspace.transfer.fine", { count: n }), t("workspace.transfer.nothingYet"));
  if (dryRun) {
    return notice("error", t("workspace.transfer.problems", { failed: result.failed, count: n }), t("workspace.transfer.correct"));
  }
  return notice("success", t("workspace.transfer.importedNotice", { count: result.imported }));
}

function reportTable(result) {
  return h("div", { class: "table-wrap" }, h("table", { class: "list", "aria-label": t("workspace.transfer.importReport") },
    h("thead", null, h("tr", null, [t("workspace.transfer.row"), t("workspace.transfer.record"), t("workspace.transfer.result"),
      t("workspace.transfer.problemsHead")].map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", null, result.records.map((r) => h("tr", { class: r.status === "error" ? "row-error" : "" },
      h("td", null, r.rows.length > 1 ? `${r.rows[0]}–${r.rows[r.rows.length - 1]}` : String(r.row)),
      h("td", null, r.name || t("workspace.transfer.noName"), r.lines ? h("span", { class: "muted" }, t("workspace.transfer.lines", { count: r.lines })) : null),
      h("td", null, r.status === "ok"
        ? h("span", { class: "badge badge-success" }, result.dry_run ? t("workspace.transfer.wouldCreate") : (r.id ? t("workspace.transfer.created") : t("workspace.transfer.notImported")))
        : h("span", { class: "badge badge-danger" }, t("workspace.transfer.error"))),
      h("td", null, r.errors.length ? h("ul", { class: "report-errors" }, r.errors.map((e) =>
        h("li", null, t("workspace.transfer.rowError", { row: String(e.row), hasColumn: e.column ? "yes" : "no", column: e.column || "", message: e.message })))) : ""))))));
}
