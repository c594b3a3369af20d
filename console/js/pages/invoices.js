// Invoices (billing's GET /invoices?period=&status=&contractRef=), and one invoice: its
// lines and VAT breakdown (GET /invoices/{ref}), its mail (invoice-mailer's
// GET /mails/{ref}), its direct debit (payment's GET /payments?invoiceRef=), and the PDF
// (GET /invoices/{ref} with Accept: application/pdf).
import { get, request } from "../api.js";
import { badge, clear, field, h, input, pager, select, table, values } from "../dom.js";
import { date, money, percent, period, previousMonth, timestamp } from "../format.js";
import { announce, busy, pageHeading, section, showError } from "../ui.js";
import { contractLink } from "./contracts.js";

const STATUSES = ["ISSUED", "SENT", "PAID", "PAYMENT_FAILED"];
const filters = { period: previousMonth(), status: "", contractRef: "", page: 1, size: 20 };

export function invoiceLink(ref) {
  return h("a", { href: `#/invoices/${encodeURIComponent(ref)}` }, ref);
}

export async function invoicesPage(main, selected) {
  pageHeading(main, selected ? `Invoice ${selected}` : "Invoices",
    "Month-end invoices from billing, with their e-mail and their direct debit.");
  const list = h("div", { id: "invoice-list", "aria-live": "polite" });
  const detail = h("div", { id: "invoice-detail" });
  const form = h("form", { class: "filters", "aria-label": "Filter the invoices" },
    field("Period", input("period", { type: "month", value: filters.period })),
    field("Status", select("status", [["", "Any"], ...STATUSES.map((s) => [s, s])], filters.status)),
    field("Contract ref", input("contractRef", { value: filters.contractRef })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Filter")));
  const load = async (page = 1) => {
    filters.page = page;
    const res = await get("billing", "/invoices", filters);
    clear(list,
      table(`Invoices of ${filters.period ? period(filters.period) : "every period"} (${res.metadata.totalItems})`, [
        { label: "Invoice", cell: (i) => invoiceLink(i.invoiceRef) },
        { label: "Contract", cell: (i) => contractLink(i.contractRef) },
        { label: "Period", cell: (i) => i.period },
        { label: "Issued", cell: (i) => date(i.issueDate) },
        { label: "Due", cell: (i) => date(i.dueDate) },
        { label: "Total", num: true, cell: (i) => money(i.totalWithTax) },
        { label: "Status", cell: (i) => badge(i.status) },
      ], res.invoices, "No invoice matches."),
      pager(res.metadata, (p) => busy(null, () => load(p))));
    announce(`${res.metadata.totalItems} invoices`);
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = values(form);
    Object.assign(filters, { period: v.period || "", status: v.status || "", contractRef: v.contractRef || "" });
    busy(form.querySelector("button"), () => load(1), "list invoices");
  });
  if (selected) main.append(section("Invoice", detail));
  main.append(section("List", form, list));
  await load(filters.page);
  if (selected) await showInvoice(detail, selected);
}

async function showInvoice(el, ref) {
  const inv = await get("billing", `/invoices/${encodeURIComponent(ref)}`);
  const pdf = h("button", { type: "button", id: "invoice-pdf" }, "Download the PDF");
  pdf.addEventListener("click", () => busy(pdf, () => downloadPdf(ref), "the PDF"));
  const mail = h("div", { id: "invoice-mail" });
  const pay = h("div", { id: "invoice-payment" });
  clear(el,
    h("dl", { class: "pairs" },
      h("dt", {}, "Status"), h("dd", { id: "invoice-status" }, badge(inv.status)),
      h("dt", {}, "Contract"), h("dd", {}, contractLink(inv.contractRef), ` (${inv.customerRef})`),
      h("dt", {}, "Period"), h("dd", {}, period(inv.period)),
      h("dt", {}, "Issued / due"), h("dd", {}, `${date(inv.issueDate)} / ${date(inv.dueDate)}`),
      h("dt", {}, "Sent to"), h("dd", {}, inv.invoiceEmail ?? "—"),
      h("dt", {}, "Mandate"), h("dd", {}, inv.mandateReference ?? "—"),
      inv.sentAt ? [h("dt", {}, "Sent"), h("dd", {}, timestamp(inv.sentAt))] : null,
      inv.paidAt ? [h("dt", {}, "Paid"), h("dd", {}, timestamp(inv.paidAt))] : null,
      inv.paymentFailure ? [h("dt", {}, "Payment failed"),
        h("dd", {}, [inv.paymentFailure.reasonCode, inv.paymentFailure.reason].filter(Boolean).join(" "))] : null),
    h("p", {}, pdf),
    table("Lines", [
      { label: "Order", cell: (l) => l.orderRef },
      { label: "Type", cell: (l) => l.operationType },
      { label: "Date", cell: (l) => date(l.operationDate) },
      { label: "Without VAT", num: true, cell: (l) => money(l.amountWithoutTax) },
      { label: "VAT", num: true, cell: (l) => money(l.amountTax) },
      { label: "With VAT", num: true, cell: (l) => money(l.amountWithTax) },
    ], inv.lines || [], "No line."),
    table("VAT breakdown", [
      { label: "Rate", num: true, cell: (v) => percent(v.vatRate) },
      { label: "Base", num: true, cell: (v) => money(v.base) },
      { label: "VAT", num: true, cell: (v) => money(v.tax) },
    ], inv.vatBreakdown || [], "No VAT."),
    h("dl", { class: "pairs totals" },
      h("dt", {}, "Total without VAT"), h("dd", {}, money(inv.totalWithoutTax)),
      h("dt", {}, "VAT"), h("dd", {}, money(inv.totalTax)),
      h("dt", {}, "Total"), h("dd", { id: "invoice-total" }, money(inv.totalWithTax))),
    h("div", { class: "columns" }, section("E-mail", mail), section("Direct debit", pay)));
  try {
    const m = await get("invoice-mailer", `/mails/${encodeURIComponent(ref)}`);
    clear(mail, h("dl", { class: "pairs" },
      h("dt", {}, "Status"), h("dd", { id: "mail-status" }, badge(m.status)),
      h("dt", {}, "To"), h("dd", {}, m.to),
      h("dt", {}, "Subject"), h("dd", {}, m.subject),
      h("dt", {}, "Attempts"), h("dd", {}, `${m.attempts}${m.possibleDuplicate ? " (possibly sent twice)" : ""}`),
      h("dt", {}, "Last reply"), h("dd", {}, m.smtpReply ?? m.lastError ?? "—"),
      h("dt", {}, "Sent"), h("dd", {}, timestamp(m.sentAt))));
  } catch (e) {
    if (!e.errorCode) throw e;
    clear(mail, h("p", { class: "inline-error" }, h("strong", {}, e.errorCode), ` ${e.message}`));
  }
  try {
    const p = await get("payment", "/payments", { invoiceRef: ref });
    clear(pay, table("Debits", [
      { label: "Status", cell: (x) => h("span", { id: "payment-status" }, badge(x.status)) },
      { label: "Amount", num: true, cell: (x) => money(x.amount) },
      { label: "Due", cell: (x) => date(x.dueDate) },
      { label: "Mandate", cell: (x) => x.mandateReference },
      { label: "Result", cell: (x) => x.status === "FAILED" ? `${x.reasonCode} ${x.reason ?? ""} (${timestamp(x.failedAt)})`
        : x.collectedAt ? `collected ${timestamp(x.collectedAt)}` : `requested ${timestamp(x.requestedAt)}` },
    ], p.payments, "No debit requested yet."));
  } catch (e) {
    if (!e.errorCode) throw e;
    clear(pay, h("p", { class: "inline-error" }, h("strong", {}, e.errorCode), ` ${e.message}`));
  }
}

// The PDF needs the key, so it is fetched, then saved from a blob URL.
async function downloadPdf(ref) {
  let blob;
  try {
    blob = await request("billing", `/invoices/${encodeURIComponent(ref)}`, { accept: "application/pdf" });
  } catch (e) {
    if (e.errorCode) return showError(e, "the PDF");
    throw e;
  }
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: `${ref}.pdf`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  announce(`${ref}.pdf downloaded`);
  return undefined;
}
