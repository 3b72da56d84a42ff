/* Numbers, money and dates for people: the browser's locale, never a float for money. */

const moneyFormats = new Map();

/** "12345.60" + "USD" -> "$12,345.60". Money is a decimal string: Intl formats the string exactly. */
export function money(amount, currency) {
  if (amount === null || amount === undefined || amount === "") return "—";
  const code = currency || "USD";
  let format = moneyFormats.get(code);
  if (!format) {
    try {
      format = new Intl.NumberFormat(undefined, { style: "currency", currency: code });
    } catch (ignored) {
      format = { format: (value) => `${value} ${code}` };
    }
    moneyFormats.set(code, format);
  }
  return format.format(String(amount));
}

/** "2026-12-18" -> "Dec 18, 2026" (a date has no time zone: formatted as UTC so it never shifts). */
export function day(isoDate) {
  if (!isoDate) return "—";
  const parsed = new Date(`${isoDate}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime())) return String(isoDate);
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" }).format(parsed);
}

export function dateTime(value) {
  if (!value) return "";
  const parsed = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(parsed.getTime())) return String(value);
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(parsed);
}

export function percent(value) {
  return value === null || value === undefined ? "—" : `${value} %`;
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
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
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
