// Contracts: the list with its filters (GET /contracts?status=&customerRef=&page=&size=),
// and the creation form (POST /contracts). One contract's page: contract.js.
import { get, newIdempotencyKey, request } from "../api.js";
import { badge, clear, field, h, input, pager, select, table, values } from "../dom.js";
import { date, money, today } from "../format.js";
import { announce, busy, pageHeading, section } from "../ui.js";

export const STATUSES = ["CREATED", "ACTIVE", "SUSPENDED", "CANCELLED", "EXPIRED"];
const CURRENCIES = ["EUR", "GBP", "CHF", "USD", "SEK", "DKK", "PLN", "CZK", "JPY"];

const filters = { status: "", customerRef: "", page: 1, size: 20 };

export function contractLink(ref) {
  return h("a", { href: `#/contracts/${encodeURIComponent(ref)}` }, ref);
}

export async function contractsPage(main) {
  pageHeading(main, "Contracts", "Deferred-payment contracts, from the contract service.");
  const list = h("div", { id: "contract-list", "aria-live": "polite" });
  const filterForm = h("form", { class: "filters", "aria-label": "Filter the contracts" },
    field("Status", select("status", [["", "Any"], ...STATUSES.map((s) => [s, s])], filters.status)),
    field("Customer ref", input("customerRef", { value: filters.customerRef })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Filter")));
  const load = async (page = 1) => {
    filters.page = page;
    const res = await get("contract", "/contracts", filters);
    clear(list,
      table(`Contracts (${res.metadata.totalItems})`, [
        { label: "Contract", cell: (c) => contractLink(c.contractRef) },
        { label: "Customer", cell: (c) => c.subscriber?.customerRef ?? "—" },
        { label: "Status", cell: (c) => badge(c.status) },
        { label: "Credit limit", num: true, cell: (c) => money(c.billing?.creditLimit) },
        { label: "Mandate", cell: (c) => c.payment?.mandate ? `${c.payment.mandate.reference} (${c.payment.mandate.status})` : "—" },
        { label: "Valid", cell: (c) => `${date(c.activatedAt)} – ${date(c.expireAt)}` },
        { label: "Version", num: true, cell: (c) => c.version },
      ], res.contracts, "No contract matches."),
      pager(res.metadata, (p) => busy(null, () => load(p))));
    announce(`${res.metadata.totalItems} contracts`);
  };
  filterForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = values(filterForm);
    filters.status = v.status || "";
    filters.customerRef = v.customerRef || "";
    busy(filterForm.querySelector("button"), () => load(1), "list contracts");
  });
  main.append(section("List", filterForm, list), section("New contract", createForm(load)));
  await load(filters.page);
}

function createForm(reload) {
  const t = today();
  const form = h("form", { id: "create-contract", class: "grid" },
    h("fieldset", {}, h("legend", {}, "Contract"),
      field("Contract ref", input("contractRef", { required: true, pattern: "[A-Za-z0-9._\\-]+", maxlength: 64 })),
      field("Activated on", input("activatedAt", { type: "date", required: true, value: t })),
      field("Expires on", input("expireAt", { type: "date", required: true })),
      field("Distributor ref", input("distributorRef", { required: true, value: "esgi SA" }))),
    h("fieldset", {}, h("legend", {}, "Customer"),
      field("Customer ref", input("customerRef", { required: true })),
      field("Contact last name", input("lastName", { required: true })),
      field("Contact e-mail", input("mail", { type: "email", required: true })),
      field("Invoice e-mail", input("invoiceEmail", { type: "email", required: true }))),
    h("fieldset", {}, h("legend", {}, "Credit and payment"),
      field("Credit limit", input("limit", { required: true, inputmode: "decimal", pattern: "[0-9]+([.][0-9]{1,3})?" }),
        "A decimal amount, such as 5000.00"),
      field("Currency", select("currency", CURRENCIES.map((c) => [c, c]), "EUR")),
      field("Payment term (days)", input("paymentTermDays", { type: "number", min: 0, max: 365, value: 0 })),
      field("Mandate reference", input("mandateRef", { required: true })),
      field("IBAN", input("iban", { required: true, spellcheck: "false" })),
      field("Mandate signed on", input("signedAt", { type: "date", required: true, value: t }))),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Create the contract")),
    h("div", { class: "result", "aria-live": "polite" }));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = values(form);
    const body = {
      contractRef: v.contractRef,
      contractType: "DEFERRED_BILLING",
      createdAt: today(),
      activatedAt: v.activatedAt,
      expireAt: v.expireAt,
      distributor: { distributorRef: v.distributorRef },
      subscriber: {
        subscriberType: "PROFESSIONNAL",
        party: { customerRef: v.customerRef },
        contactPerson: { lastName: v.lastName, mail: v.mail },
      },
      payment: { mandate: { reference: v.mandateRef, iban: v.iban, signedAt: v.signedAt } },
      billing: {
        creditLimit: { amount: v.limit, currency: v.currency },
        invoiceEmail: v.invoiceEmail,
        paymentTermDays: Number(v.paymentTermDays || 0),
      },
    };
    busy(form.querySelector("button[type=submit]"), async () => {
      const c = await request("contract", "/contracts", { method: "POST", body, idempotencyKey: newIdempotencyKey() });
      clear(form.querySelector(".result"), h("p", { class: "notice" }, "Created ",
        contractLink(c.contractRef), ` (${c.status}).`));
      announce(`Contract ${c.contractRef} created`);
      await reload(1);
    }, "create the contract");
  });
  return form;
}
