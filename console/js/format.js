// Amounts, dates and statuses for people: Intl, in the browser's locale.

const formats = new Map();

function moneyFormat(currency) {
  if (!formats.has(currency)) {
    formats.set(currency, new Intl.NumberFormat(undefined, { style: "currency", currency }));
  }
  return formats.get(currency);
}

// A Money object of the API ({amount: "21.08", currency: "EUR", minorUnits: 2108}).
export function money(m) {
  if (!m || m.amount === undefined) return "—";
  try {
    return moneyFormat(m.currency).format(Number(m.amount));
  } catch {
    return `${m.amount} ${m.currency}`;
  }
}

// A number of minor units of a currency, as money (the chart's axis).
export function minor(units, currency, digits) {
  return money({ amount: (units / 10 ** digits).toFixed(digits), currency });
}

export function digitsOf(m) {
  const frac = String(m.amount).split(".")[1];
  return frac ? frac.length : 0;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const timeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export function date(d) {
  if (!d) return "—";
  const [y, m, day] = d.split("-").map(Number);
  return dateFmt.format(new Date(y, m - 1, day));
}

export function timestamp(t) {
  return t ? timeFmt.format(new Date(t)) : "—";
}

export function period(p) {
  if (!p) return "—";
  const [y, m] = p.split("-").map(Number);
  return new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long" }).format(
    new Date(y, m - 1, 1));
}

export function percent(rate) {
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(rate) + " %";
}

// YYYY-MM of a date (default: today) and of the month before.
export function monthOf(d = new Date()) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

export function previousMonth(d = new Date()) {
  return monthOf(new Date(d.getFullYear(), d.getMonth() - 1, 1));
}

export function today() {
  const d = new Date();
  return `${monthOf(d)}-${String(d.getDate()).padStart(2, "0")}`;
}
