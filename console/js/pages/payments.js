// Payments: the direct debits of the payment service (GET /payments?status=&contractRef=&invoiceRef=).
import { get } from "../api.js";
import { badge, clear, field, h, input, pager, select, table, values } from "../dom.js";
import { date, money, timestamp } from "../format.js";
import { announce, busy, pageHeading, section } from "../ui.js";
import { contractLink } from "./contracts.js";
import { invoiceLink } from "./invoices.js";

const filters = { status: "", contractRef: "", invoiceRef: "", page: 1, size: 20 };

export async function paymentsPage(main) {
  pageHeading(main, "Payments", "SEPA direct debits, one per invoice above zero, from the payment service.");
  const list = h("div", { id: "payment-list", "aria-live": "polite" });
  const form = h("form", { class: "filters", "aria-label": "Filter the payments" },
    field("Status", select("status", [["", "Any"], ["PENDING", "PENDING"], ["SUCCEEDED", "SUCCEEDED"], ["FAILED", "FAILED"]], filters.status)),
    field("Contract ref", input("contractRef", { value: filters.contractRef })),
    field("Invoice ref", input("invoiceRef", { value: filters.invoiceRef })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Filter")));
  const load = async (page = 1) => {
    filters.page = page;
    const res = await get("payment", "/payments", filters);
    clear(list,
      table(`Payments (${res.metadata.totalItems})`, [
        { label: "Invoice", cell: (p) => invoiceLink(p.invoiceRef) },
        { label: "Contract", cell: (p) => p.contractRef ? contractLink(p.contractRef) : "—" },
        { label: "Amount", num: true, cell: (p) => money(p.amount) },
        { label: "Mandate", cell: (p) => p.mandateReference ?? "—" },
        { label: "Due", cell: (p) => date(p.dueDate) },
        { label: "Status", cell: (p) => badge(p.status) },
        { label: "When", cell: (p) => timestamp(p.collectedAt || p.failedAt || p.requestedAt) },
        { label: "Reason", cell: (p) => p.reasonCode ? `${p.reasonCode} ${p.reason ?? ""}` : "—" },
      ], res.payments, "No payment matches."),
      pager(res.metadata, (p) => busy(null, () => load(p))));
    announce(`${res.metadata.totalItems} payments`);
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = values(form);
    Object.assign(filters, { status: v.status || "", contractRef: v.contractRef || "", invoiceRef: v.invoiceRef || "" });
    busy(form.querySelector("button"), () => load(1), "list payments");
  });
  main.append(section("List", form, list));
  await load(filters.page);
}
