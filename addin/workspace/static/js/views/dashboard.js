/*
 * Dashboard: pipeline by stage and forecast by close month (Chart.js, served by the app from npm),
 * won and lost this quarter. Each chart has its numbers as a table too, for screen readers.
 */
import { h, field, options, replace } from "../../../shared/dom.js";
import { centsToMoney, isoDate, money } from "../../../shared/format.js";
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
  return { start: isoDate(first), end: isoDate(last), label: `Q${Math.floor(first.getMonth() / 3) + 1} ${first.getFullYear()}` };
}

export async function render(ctx, assignedTo = "") {
  for (const chart of charts.splice(0)) chart.destroy();
  const messages = h("div", { class: "slot" });
  const who = options(h("select"), [["", "Everyone"], ...ctx.members.map((m) => [m.user_id, m.display_name || m.email])], assignedTo);
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
  const openCount = pipeline.items.reduce((t, r) => t + r.count, 0);
  const pipelineCanvas = h("canvas", { role: "img", "aria-label": "Bar chart: total and expected revenue of open opportunities per sales stage" });
  const forecastCanvas = h("canvas", { role: "img", "aria-label": "Bar chart: expected revenue, open total and won total per close month" });
  replace(ctx.main,
    h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Dashboard"), h("span", { class: "spacer" }),
      h("div", { class: "control" }, field("Show the deals of", who))),
    messages,
    h("div", { class: "dash" },
      h("div", { class: "kpis wide" },
        kpi("Open pipeline", money(sum(pipeline.items, "total"), currency), `${openCount} open opportunit${openCount === 1 ? "y" : "ies"}`),
        kpi("Expected revenue", money(sum(pipeline.items, "expected_revenue"), currency), "probability × total"),
        kpi(`Won in ${q.label}`, money(sum(won, "total"), currency), `${won.length} opportunit${won.length === 1 ? "y" : "ies"}`, "won"),
        kpi(`Lost in ${q.label}`, money(sum(lost, "total"), currency), `${lost.length} opportunit${lost.length === 1 ? "y" : "ies"}`, "lost")),
      h("section", { class: "card", "aria-labelledby": "pipeline-title" },
        h("h2", { id: "pipeline-title" }, "Pipeline by sales stage"),
        h("div", { class: "chart-box" }, pipelineCanvas),
        dataTable(["Sales stage", "Count", "Total", "Expected revenue"], pipeline.items.map((r) =>
          [r.stage_name, String(r.count), money(r.total, currency), money(r.expected_revenue, currency)]))),
      h("section", { class: "card", "aria-labelledby": "forecast-title" },
        h("h2", { id: "forecast-title" }, "Forecast by close month"),
        h("div", { class: "chart-box" }, forecastCanvas),
        dataTable(["Month", "Open", "Open total", "Expected revenue", "Won", "Won total"], forecast.items.map((r) =>
          [r.month, String(r.count), money(r.total, currency), money(r.expected_revenue, currency), String(r.won_count),
            money(r.won_total, currency)]))),
      h("section", { class: "card wide", "aria-labelledby": "quarter-title" },
        h("h2", { id: "quarter-title" }, `Won and lost in ${q.label}`),
        quarterTable(ctx, [...won, ...lost], currency))));
  if (!window.Chart) {
    show(messages, errorNotice(new Error("Chart.js is not installed on this server (run `make node`); the numbers are in the tables.")));
    return;
  }
  const moneyTick = (value) => money(String(value), currency).replace(/\.00$/, "");
  const common = {
    responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${money(String(c.raw), currency)}` } } },
    scales: { y: { beginAtZero: true, ticks: { callback: moneyTick } } },
  };
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  charts.push(new window.Chart(pipelineCanvas, {
    type: "bar",
    data: {
      labels: pipeline.items.map((r) => r.stage_name),
      datasets: [
        { label: "Total", data: pipeline.items.map((r) => Number(r.total)), backgroundColor: BRAND_LIGHT },
        { label: "Expected revenue", data: pipeline.items.map((r) => Number(r.expected_revenue)), backgroundColor: BRAND },
      ],
    },
    options: common,
  }));
  charts.push(new window.Chart(forecastCanvas, {
    type: "bar",
    data: {
      labels: forecast.items.map((r) => monthLabel(r.month)),
      datasets: [
        { label: "Expected revenue", data: forecast.items.map((r) => Number(r.expected_revenue)), backgroundColor: BRAND },
        { label: "Open total", data: forecast.items.map((r) => Number(r.total)), backgroundColor: BRAND_LIGHT },
        { label: "Won", data: forecast.items.map((r) => Number(r.won_total)), backgroundColor: SUCCESS },
      ],
    },
    options: common,
  }));
}

function monthLabel(month) {
  const [y, m] = month.split("-").map(Number);
  return new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, 1)));
}

function kpi(label, value, sub, tone) {
  return h("div", { class: `kpi${tone ? ` kpi-${tone}` : ""}` }, h("p", { class: "kpi-label" }, label),
    h("p", { class: "kpi-value" }, value), h("p", { class: "kpi-sub" }, sub));
}

function dataTable(headers, rows) {
  return h("details", { class: "data-table" }, h("summary", null, "Show the numbers"),
    h("table", { class: "list" }, h("thead", null, h("tr", null, headers.map((t, i) => h("th", { scope: "col", class: i ? "num" : "" }, t)))),
      h("tbody", null, rows.map((row) => h("tr", null, row.map((cell, i) => h("td", { class: i ? "num" : "" }, cell)))))));
}

function quarterTable(ctx, rows, currency) {
  if (!rows.length) return h("p", { class: "muted" }, "Nothing was closed this quarter yet.");
  return h("div", { class: "table-wrap" }, h("table", { class: "list" },
    h("thead", null, h("tr", null, ["Opportunity", "Outcome", "Close date", "Total", "Assigned to"].map((t) => h("th", { scope: "col", class: t === "Total" ? "num" : "" }, t)))),
    h("tbody", null, rows.map((o) => h("tr", null,
      h("td", { class: "title-cell" }, h("a", { href: `#/opportunities/${encodeURIComponent(o.id)}` }, o.title)),
      h("td", null, h("span", { class: `badge ${o.status === "won" ? "badge-success" : "badge-danger"}` }, o.status === "won" ? "Won" : "Lost")),
      h("td", null, o.close_date || "—"), h("td", { class: "num" }, money(o.total, currency)), h("td", null, o.assigned_to_name || "—"))))));
}
