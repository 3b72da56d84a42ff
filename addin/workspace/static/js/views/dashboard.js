/*
 * Dashboard: pipeline by stage and forecast by close month (Chart.js, served by the app from npm),
 * won and lost this quarter. Each chart has its numbers as a table too, for screen readers.
 */
import { h, field, options, replace } from "../../../shared/dom.js";
import { centsToMoney, day, isoDate, money, number } from "../../../shared/format.js";
import { locale, t } from "../../../shared/i18n.js";
import { errorNotice, show } from "../ui.js";

const charts = [];
const BRAND = "#0f6cbd";
const BRAND_LIGHT = "#96c6fa";
const SUCCESS = "#0e700e";

function cents(text) {
  const [whole, frac = ""] = String(text || "0").split(".");
  return BigInt(whole) * 100n + BigInt((frac + "00").slice(0, 2)) * (whole.startsWith("-") ? -1n : 1n);
}

function quarter(date = new Date()) {
  const first = new Date(date.getFullYear(), Math.floor(date.getMonth() / 3) * 3, 1);
  const last = new Date(first.getFullYear(), first.getMonth() + 3, 0);
  return { start: isoDate(first), end: isoDate(last),
    label: t("workspace.dashboard.quarter", { quarter: Math.floor(first.getMonth() / 3) + 1, year: String(first.getFullYear()) }) };
}

export async function render(ctx, assignedTo = "") {
  for (const chart of charts.splice(0)) chart.destroy();
  const messages = h("div", { class: "slot" });
  const who = options(h("select"), [["", t("workspace.dashboard.everyone")], ...ctx.members.map((m) => [m.user_id, m.display_name || m.email])], assignedTo);
  who.addEventListener("change", () => render(ctx, who.value));
  const q = quarter();
  const filter = { assigned_to: assignedTo };
  const [pipeline, forecast, won, lost] = await Promise.all([
    ctx.api.get("/reports/pipeline", filter),
    ctx.api.get("/reports/forecast", { ...filter, months: 6 }),
    ctx.api.all("/opportunities", { ...filter, status: "won", close_after: q.start, close_before: q.end }),
    ctx.api.all("/opportunities", { ...filter, status: "lost", close_after: q.start, close_before: q.end }),
  ]);
  const currency = pipeline.currency || ctx.currency();
  const sum = (rows, key) => centsToMoney(rows.reduce((t, r) => t + cents(r[key]), 0n));
  const openCount = pipeline.items.reduce((n, r) => n + r.count, 0);
  const reasons = h("section", { class: "card wide", "aria-labelledby": "reasons-title" });
  const pipelineCanvas = h("canvas", { role: "img", "aria-label": t("workspace.dashboard.pipelineChart") });
  const forecastCanvas = h("canvas", { role: "img", "aria-label": t("workspace.dashboard.forecastChart") });
  replace(ctx.main,
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, t("workspace.nav.dashboard")), h("span", { class: "spacer" }),
      h("div", { class: "control" }, field(t("workspace.dashboard.dealsOf"), who))),
    messages,
    h("div", { class: "dash" },
      h("div", { class: "kpis wide" },
        kpi(t("workspace.dashboard.openPipeline"), money(sum(pipeline.items, "total"), currency),
          t("workspace.dashboard.openCount", { count: openCount })),
        kpi(t("workspace.opportunities.col.expectedRevenue"), money(sum(pipeline.items, "expected_revenue"), currency),
          t("workspace.dashboard.expectedHow")),
        kpi(t("workspace.dashboard.wonIn", { quarter: q.label }), money(sum(won, "total"), currency),
          t("workspace.dashboard.count", { count: won.length }), "won"),
        kpi(t("workspace.dashboard.lostIn", { quarter: q.label }), money(sum(lost, "total"), currency),
          t("workspace.dashboard.count", { count: lost.length }), "lost")),
      h("section", { class: "card", "aria-labelledby": "pipeline-title" },
        h("h2", { id: "pipeline-title" }, t("workspace.dashboard.pipeline")),
        h("div", { class: "chart-box" }, pipelineCanvas),
        dataTable([t("workspace.opportunities.col.stage"), t("workspace.dashboard.countHead"), t("workspace.opportunities.col.total"),
          t("workspace.opportunities.col.expectedRevenue")], pipeline.items.map((r) =>
          [r.stage_name, number(r.count), money(r.total, currency), money(r.expected_revenue, currency)]))),
      h("section", { class: "card", "aria-labelledby": "forecast-title" },
        h("h2", { id: "forecast-title" }, t("workspace.dashboard.forecast")),
        h("div", { class: "chart-box" }, forecastCanvas),
        dataTable([t("workspace.dashboard.month"), t("workspace.dashboard.openHead"), t("workspace.dashboard.openTotal"),
          t("workspace.opportunities.col.expectedRevenue"), t("workspace.dashboard.wonHead"), t("workspace.records.wonTotal")], forecast.items.map((r) =>
          [monthLabel(r.month), number(r.count), money(r.total, currency), money(r.expected_revenue, currency), number(r.won_count),
            money(r.won_total, currency)]))),
      h("section", { class: "card wide", "aria-labelledby": "quarter-title" },
        h("h2", { id: "quarter-title" }, t("workspace.dashboard.wonAndLost", { quarter: q.label })),
        quarterTable(ctx, [...won, ...lost], currency)),
      reasons));
  await reasonsSection(ctx, reasons, filter, q, currency, "quarter");
  if (!window.Chart) {
    show(messages, errorNotice(new Error(t("workspace.dashboard.noChartJs"))));
    return;
  }
  // Whole amounts on the axis, in the page's locale ("$12,000", "12 000 €").
  const axis = new Intl.NumberFormat(locale(), { style: "currency", currency, maximumFractionDigits: 0 });
  const moneyTick = (value) => axis.format(value);
  const common = {
    responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: (c) => t("workspace.dashboard.tooltip", { series: c.dataset.label, amount: money(String(c.raw), currency) }) } } },
    scales: { y: { beginAtZero: true, ticks: { callback: moneyTick } } },
  };
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  charts.push(new window.Chart(pipelineCanvas, {
    type: "bar",
    data: {
      labels: pipeline.items.map((r) => r.stage_name),
      datasets: [
        { label: t("workspace.opportunities.col.total"), data: pipeline.items.map((r) => Number(r.total)), backgroundColor: BRAND_LIGHT },
        { label: t("workspace.opportunities.col.expectedRevenue"), data: pipeline.items.map((r) => Number(r.expected_revenue)), backgroundColor: BRAND },
      ],
    },
    options: common,
  }));
  charts.push(new window.Chart(forecastCanvas, {
    type: "bar",
    data: {
      labels: forecast.items.map((r) => monthLabel(r.month)),
      datasets: [
        { label: t("workspace.opportunities.col.expectedRevenue"), data: forecast.items.map((r) => Number(r.expected_revenue)), backgroundColor: BRAND },
        { label: t("workspace.dashboard.openTotal"), data: forecast.items.map((r) => Number(r.total)), backgroundColor: BRAND_LIGHT },
        { label: t("workspace.dashboard.wonHead"), data: forecast.items.map((r) => Number(r.won_total)), backgroundColor: SUCCESS },
      ],
    },
    options: common,
  }));
}

function monthLabel(month) {
  const [y, m] = month.split("-").map(Number);
  return new Intl.DateTimeFormat(locale(), { month: "short", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, 1)));
}

function kpi(label, value, sub, tone) {
  return h("div", { class: `kpi${tone ? ` kpi-${tone}` : ""}` }, h("p", { class: "kpi-label" }, label),
    h("p", { class: "kpi-value" }, value), h("p", { class: "kpi-sub" }, sub));
}

function dataTable(headers, rows) {
  return h("details", { class: "data-table" }, h("summary", null, t("workspace.dashboard.showNumbers")),
    h("table", { class: "list" }, h("thead", null, h("tr", null, headers.map((text, i) => h("th", { scope: "col", class: i ? "num" : "" }, text)))),
      h("tbody", null, rows.map((row) => h("tr", null, row.map((cell, i) => h("td", { class: i ? "num" : "" }, cell)))))));
}

function quarterTable(ctx, rows, currency) {
  if (!rows.length) return h("p", { class: "muted" }, t("workspace.dashboard.nothingClosed"));
  return h("div", { class: "table-wrap" }, h("table", { class: "list" },
    h("thead", null, h("tr", null, [["opportunity", t("workspace.dashboard.opportunity")], ["outcome", t("workspace.opportunities.outcome")],
      ["close", t("workspace.opportunities.col.closeDate")], ["total", t("workspace.opportunities.col.total")],
      ["assigned", t("workspace.opportunities.col.assignedTo")]].map(([name, text]) => h("th", { scope: "col", class: name === "total" ? "num" : "" }, text)))),
    h("tbody", null, rows.map((o) => h("tr", null,
      h("td", { class: "title-cell" }, h("a", { href: `#/opportunities/${encodeURIComponent(o.id)}` }, o.title)),
      h("td", null, h("span", { class: `badge ${o.status === "won" ? "badge-success" : "badge-danger"}` }, o.status === "won" ? t("workspace.status.won") : t("workspace.status.lost"))),
      h("td", null, day(o.close_date)), h("td", { class: "num" }, money(o.total, currency)), h("td", null, o.assigned_to_name || "—"))))));
}

// ---- won and lost by close reason and by competitor (GET …/reports/close-reasons) ----------------

let reasonChart = null;
const DANGER = "#c50f1f";

function periodRange(period, q) {
  if (period === "quarter") return { from: q.start, to: q.end };
  if (period === "year") {
    const start = new Date();
    start.setFullYear(start.getFullYear() - 1);
    return { from: isoDate(start), to: isoDate(new Date()) };
  }
  return {};
}

async function reasonsSection(ctx, section, filter, q, currency, period) {
  if (reasonChart) { reasonChart.destroy(); reasonChart = null; }
  const report = await ctx.api.get("/reports/close-reasons", { ...filter, ...periodRange(period, q) });
  const choose = options(h("select", { name: "reason-period" }), [["quarter", q.label],
    ["year", t("workspace.closeReasons.lastYear")], ["all", t("workspace.closeReasons.allTime")]], period);
  choose.addEventListener("change", async () => {
    await reasonsSection(ctx, section, filter, q, currency, choose.value);
    section.querySelector("select[name=reason-period]").focus();
  });
  const label = (row) => row.name ?? t("workspace.closeReasons.noReasonGiven");
  const canvas = h("canvas", { role: "img", "aria-label": t("workspace.closeReasons.chart") });
  const empty = !report.reasons.length;
  replace(section,
    h("div", { class: "section-head" }, h("h2", { id: "reasons-title" }, t("workspace.closeReasons.title")),
      h("div", { class: "control" }, field(t("workspace.closeReasons.period"), choose))),
    empty ? h("p", { class: "muted" }, t("workspace.closeReasons.nothing")) : [
      h("div", { class: "chart-box" }, canvas),
      reasonTable(t("workspace.closeReasons.field"), report.reasons.map((r) => ({ ...r, name: label(r) })), currency,
        t("workspace.closeReasons.byReason")),
      report.competitors.length
        ? reasonTable(t("workspace.closeReasons.competitor"), report.competitors, currency, t("workspace.closeReasons.byCompetitor"))
        : h("p", { class: "muted" }, t("workspace.closeReasons.noCompetitors")),
    ]);
  if (empty || !window.Chart) return;
  reasonChart = new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: report.reasons.map(label),
      datasets: [
        { label: t("workspace.closeReasons.won"), data: report.reasons.map((r) => r.won_count), backgroundColor: SUCCESS },
        { label: t("workspace.closeReasons.lost"), data: report.reasons.map((r) => r.lost_count), backgroundColor: DANGER },
      ],
    },
    options: { responsive: true, maintainAspectRatio: false, animation: false, indexAxis: "y",
      plugins: { legend: { position: "bottom" } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

function reasonTable(firstHead, rows, currency, caption) {
  const heads = [firstHead, t("workspace.closeReasons.won"), t("workspace.closeReasons.wonTotal"),
    t("workspace.closeReasons.lost"), t("workspace.closeReasons.lostTotal")];
  return h("div", { class: "table-wrap" }, h("table", { class: "list" }, h("caption", null, caption),
    h("thead", null, h("tr", null, heads.map((text, i) => h("th", { scope: "col", class: i ? "num" : "" }, text)))),
    h("tbody", null, rows.map((r) => h("tr", null, h("th", { scope: "row" }, r.name),
      h("td", { class: "num" }, number(r.won_count)), h("td", { class: "num" }, money(r.won_total, currency)),
      h("td", { class: "num" }, number(r.lost_count)), h("td", { class: "num" }, money(r.lost_total, currency)))))));
}
