/* Import and export: CSV files with BCM's column names; a dry run first, then all or nothing. */
import { h, field, options, replace } from "../../../shared/dom.js";
import { announce, errorNotice, notice, saveFile, show, withBusy } from "../ui.js";

const KIND_LABELS = { opportunities: "Opportunities", accounts: "Accounts", contacts: "Business contacts" };
const COLUMNS = {
  accounts: "Account Name*, E-mail Domains, Business Phone, Web Page Address, Business Address, Categories",
  contacts: "Full Name*, E-mail Address, Job Title, Business Phone, Account, Categories",
  opportunities: "Opportunity ID, Opportunity Title*, Link To Type*, Link To*, Assigned To, Type, Sales Stage, Probability, "
    + "Close Date, Payment Terms, Expiration Date, Delivery Date, Source, Initiated By Type, Initiated By, Competitors, "
    + "Reminder, Categories, Comments, Total, Expected Revenue, Product or Service, Line Description, Quantity, Unit Price, "
    + "Discount (%), Line Total",
};

export async function render(ctx) {
  const messages = h("div", { class: "slot", id: "transfer-messages" });
  const exportButtons = Object.entries(KIND_LABELS).map(([kind, label]) =>
    h("button", { type: "button", class: "button", onclick: (event) => withBusy(event.currentTarget, "Exporting…", async () => {
      try {
        const file = await ctx.api.text(`/export/${kind}.csv`, "text/csv");
        const text = file.text.startsWith("\ufeff") ? file.text : `\ufeff${file.text}`;
        saveFile(text, file.filename || `${kind}.csv`, "text/csv;charset=utf-8");
        announce(`${label} exported.`);
      } catch (error) {
        show(messages, errorNotice(error));
      }
    }) }, `Export ${label.toLowerCase()}`));

  const kind = options(h("select", { id: "import-kind" }), Object.entries(KIND_LABELS), "accounts");
  const file = h("input", { type: "file", id: "import-file", accept: ".csv,text/csv" });
  const columns = h("p", { class: "hint", id: "import-columns" });
  const report = h("div", { id: "import-report", "aria-live": "polite" });
  const importButton = h("button", { type: "button", class: "button primary", disabled: true }, "Import");
  const checkButton = h("button", { type: "button", class: "button" }, "Check file");
  let checked = null; // {kind, text} of the last dry run that found no problem
  const paintColumns = () => { columns.textContent = `Columns: ${COLUMNS[kind.value]} (* required).`; };
  paintColumns();
  const reset = () => {
    checked = null;
    importButton.disabled = true;
    replace(report);
  };
  kind.addEventListener("change", () => { paintColumns(); reset(); });
  file.addEventListener("change", reset);

  const readFile = async () => {
    if (!file.files.length) throw new Error("Choose a CSV file first.");
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
  checkButton.addEventListener("click", () => withBusy(checkButton, "Checking…", async () => {
    replace(messages);
    try {
      const text = await readFile();
      const { result } = await run(true, text);
      replace(report, summary(result, true), reportTable(result));
      checked = result.ok ? { kind: kind.value, text } : null;
      importButton.disabled = !result.ok;
      announce(result.ok ? `${result.would_import} records can be imported.` : `${result.failed} records have problems; nothing can be imported yet.`);
    } catch (error) {
      show(messages, errorNotice(error));
    }
  }));
  importButton.addEventListener("click", async () => {
    await withBusy(importButton, "Importing…", () => importChecked());
    importButton.disabled = true; // a file is imported once; check it again to import it again
  });
  const importChecked = async () => {
    if (!checked || checked.kind !== kind.value) return;
    try {
      const { result, error } = await run(false, checked.text);
      replace(report, error ? errorNotice(error) : summary(result, false), reportTable(result));
      if (!error) {
        ctx.lists = {};
        announce(`${result.imported} records imported.`);
      }
    } catch (error) {
      show(messages, errorNotice(error));
    }
    checked = null;
  };

  replace(ctx.main,
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Import and export")),
    messages,
    h("div", { class: "dash" },
      h("section", { class: "card", "aria-labelledby": "export-title" },
        h("h2", { id: "export-title" }, "Export"),
        h("p", null, "CSV files (UTF-8) with Business Contact Manager's column names. Opportunities have one row per product or service line."),
        h("div", { class: "toolbar" }, exportButtons)),
      h("section", { class: "card", "aria-labelledby": "import-title" },
        h("h2", { id: "import-title" }, "Import"),
        h("p", null, "Import accounts first, then business contacts, then opportunities: names link them. ",
          "Check the file first; an import creates every record or none."),
        h("div", { class: "grid-2" }, field("What the file holds", kind), field("CSV file", file)),
        columns,
        h("div", { class: "toolbar actions-row" }, checkButton, importButton)),
      h("section", { class: "card wide", "aria-labelledby": "report-title" },
        h("h2", { id: "report-title" }, "Report"), report)));
}

function summary(result, dryRun) {
  const n = result.records.length;
  if (dryRun && result.ok) return notice("success", `The file is fine: ${n} record${n === 1 ? "" : "s"} can be imported.`, "Nothing has been imported yet.");
  if (dryRun) return notice("error", `Nothing can be imported: ${result.failed} of ${n} record${n === 1 ? "" : "s"} ${result.failed === 1 ? "has" : "have"} problems.`, "Correct the rows named below and check the file again.");
  return notice("success", `${result.imported} record${result.imported === 1 ? "" : "s"} imported.`);
}

function reportTable(result) {
  return h("div", { class: "table-wrap" }, h("table", { class: "list", "aria-label": "Import report" },
    h("thead", null, h("tr", null, ["Row", "Record", "Result", "Problems"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", null, result.records.map((r) => h("tr", { class: r.status === "error" ? "row-error" : "" },
      h("td", null, r.rows.length > 1 ? `${r.rows[0]}–${r.rows[r.rows.length - 1]}` : String(r.row)),
      h("td", null, r.name || "(no name)", r.lines ? h("span", { class: "muted" }, ` · ${r.lines} line${r.lines === 1 ? "" : "s"}`) : null),
      h("td", null, r.status === "ok"
        ? h("span", { class: "badge badge-success" }, result.dry_run ? "Would be created" : (r.id ? "Created" : "Not imported"))
        : h("span", { class: "badge badge-danger" }, "Error")),
      h("td", null, r.errors.length ? h("ul", { class: "report-errors" }, r.errors.map((e) =>
        h("li", null, `Row ${e.row}${e.column ? `, ${e.column}` : ""}: ${e.message}`))) : ""))))));
}
