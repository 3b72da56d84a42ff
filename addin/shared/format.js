/*
 * Numbers, money and dates for people, for the pane and the workspace alike: in the page's locale
 * (i18n.js: "fr-FR" gives 1 234,56 €, 18 déc. 2026, 14:30, 50 %), never a float for money. A value that is
 * not there shows as "—" (money, day, dateTime, percent).
 */
import { locale } from "./i18n.js";

const moneyFormats = new Map();

/** "12345.60" + "USD" -> "$12,345.60". Money is a decimal string: Intl formats the string exactly. */
export function money(amount, currency) {
  if (amount === null || amount === undefined || amount === "") return "—";
  const code = currency || "USD";
  const key = `${locale()} ${code}`;
  let format = moneyFormats.get(key);
  if (!format) {
    try {
      format = new Intl.NumberFormat(locale(), { style: "currency", currency: code });
    } catch (ignored) {
      format = { format: (value) => `${value} ${code}` };
    }
    moneyFormats.set(key, format);
  }
  return format.format(String(amount));
}

/** "2026-12-18" -> "Dec 18, 2026" (a date has no time zone: formatted as UTC so it never shifts). */
export function day(isoDate) {
  if (!isoDate) return "—";
  const parsed = new Date(`${isoDate}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime())) return String(isoDate);
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(parsed);
}

export function dateTime(value) {
  if (!value) return "—";
  const parsed = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(parsed.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(parsed);
}

/** 50 -> "50%" in English, "50 %" (narrow no-break space) in French. */
export function percent(value) {
  if (value === null || value === undefined || value === "") return "—";
  const number = Number(value);
  if (Number.isNaN(number)) return String(value);
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 2 }).format(number / 100);
}

/** 1234.5 -> "1,234.5" / "1 234,5" (a count or a quantity, in the page's locale). */
export function number(value) {
  if (value === null || value === undefined || value === "") return "—";
  const parsed = Number(value);
  return Number.isNaN(parsed) ? String(value) : new Intl.NumberFormat(locale()).format(parsed);
}

/** Today as YYYY-MM-DD in the user's time zone. */
export function today() {
  return isoDate(new Date());
}

export function isoDate(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** A datetime-local value ("2026-01-15T09:30") from an ISO date-time, in local time. */
export function localInput(value) {
  if (!value) return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return "";
  return localInputValue(d);
}

/** An ISO date-time with offset from a datetime-local value (the browser's zone). */
export function fromLocalInput(value) {
  if (!value) return null;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return null;
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  return `${value.length === 16 ? `${value}:00` : value}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

/** The person as "Name <address>" or just the address. */
export function personLabel(person) {
  if (!person) return "";
  if (person.name && person.name !== person.address) return `${person.name} <${person.address}>`;
  return person.address || person.name || "";
}

/** "RE: FW: Budget" -> "Budget": the title an opportunity gets from a subject. */
export function subjectTitle(subject) {
  return String(subject || "").replace(/^\s*((re|fw|fwd|aw|wg|sv|tr)\s*:\s*)+/i, "").trim();
}

/** Local wall-clock "YYYY-MM-DDTHH:MM" of a Date (for datetime-local inputs and meeting requests). */
export function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${isoDate(date)}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** "2026-12-01T10:00" + 30 minutes -> "2026-12-01T10:30" (wall-clock arithmetic, no zone involved). */
export function addMinutes(localValue, minutes) {
  const [datePart, timePart] = localValue.split("T");
  const [y, m, d] = datePart.split("-").map(Number);
  const [hh, mm] = timePart.split(":").map(Number);
  const shifted = new Date(Date.UTC(y, m - 1, d, hh, mm) + minutes * 60000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}T` +
    `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}`;
}

/* Exact decimal arithmetic for the live totals: amounts in cents as BigInt, half-up like the server. */
function toScaled(text, places) {
  const match = /^\s*(\d*)(?:\.(\d*))?\s*$/.exec(String(text ?? ""));
  if (!match || (match[1] === "" && (match[2] || "") === "")) return null;
  const whole = match[1] || "0";
  const frac = (match[2] || "").padEnd(places, "0");
  if (frac.length > places) return null;
  return BigInt(whole + frac);
}

function divRoundHalfUp(numerator, denominator) {
  const q = numerator / denominator;
  const r = numerator % denominator;
  return r * 2n >= denominator ? q + 1n : q;
}

function centsText(cents) {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const text = abs.toString().padStart(3, "0");
  return `${negative ? "-" : ""}${text.slice(0, -2)}.${text.slice(-2)}`;
}

/** quantity × unit price × (1 − discount/100), half-up to cents; null when a number is not valid. */
export function lineAmount(quantity, unitPrice, discount) {
  const q = toScaled(quantity === "" ? "1" : quantity, 3); // thousandths
  const p = toScaled(unitPrice, 2); // cents
  const d = toScaled(discount === "" ? "0" : discount, 2); // hundredths of a percent
  if (q === null || p === null || d === null) return null;
  // cents = q/1000 × p × (10000 − d)/10000
  return divRoundHalfUp(q * p * (10000n - d), 10000000n);
}

export function sumCents(list) {
  return list.reduce((total, cents) => total + (cents ?? 0n), 0n);
}

export function centsToMoney(cents) {
  return centsText(cents);
}

/** total × probability / 100, half-up to cents. */
export function expectedCents(totalCents, probability) {
  const p = BigInt(Math.max(0, Math.min(100, Number.parseInt(probability, 10) || 0)));
  return divRoundHalfUp(totalCents * p, 100n);
}

/** The IANA time zones the browser knows, for a meeting's time-zone choice: `current` first when the
 * browser does not list it, UTC always. */
export function timeZones(current) {
  let all = [];
  try {
    all = Intl.supportedValuesOf("timeZone");
  } catch (ignored) {
    all = [];
  }
  if (!all.includes(current)) all = [current, ...all];
  if (!all.includes("UTC")) all.push("UTC");
  return all;
}
