// One contract: its details and lifecycle actions (contract service), and its account as
// billing sees it (limit, outstanding, available), its operations of the month, accepted
// and refused with their reason, and a chart of the outstanding balance over the month.
import { get, newIdempotencyKey, request } from "../api.js";
import { badge, clear, field, h, input, table, values } from "../dom.js";
import { outstandingChart } from "../chart.js";
import { date, digitsOf, money, monthOf, timestamp, today } from "../format.js";
import { announce, busy, pageHeading, section, showError } from "../ui.js";

export async function contractPage(main, ref) {
  pageHeading(main, `Contract ${ref}`);
  const details = h("div", { id: "contract-details" });
  const account = h("div", { id: "account", "aria-live": "polite" });
  const ops = h("div", { id: "operations" });
  const actions = h("div", { id: "contract-actions" });
  main.append(
    h("p", {}, h("a", { href: "#/contracts" }, "All contracts")),
    h("div", { class: "columns" },
      section("Contract", details, actions),
      section("Account", account)),
    section("Operations this month", ops));

  const reload = async () => {
    const c = await get("contract", `/contracts/${encodeURIComponent(ref)}`);
    renderDetails(details, c);
    renderActions(actions, c, reload);
    await loadAccount(account, ops, ref);
  };
  await reload();
}

function dl(pairs) {
  return h("dl", { class: "pairs" }, pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function renderDetails(el, c) {
  const m = c.payment?.mandate;
  clear(el, dl([
    ["Status", badge(c.status)],
    ["Customer", c.subscriber?.customerRef ?? "—"],
    ["Contact", `${c.subscriber?.contactPerson?.lastName ?? ""} <${c.subscriber?.contactPerson?.mail ?? ""}>`],
    ["Valid", `${date(c.activatedAt)} – ${date(c.expireAt)}`],
    ["Credit limit", money(c.billing?.creditLimit)],
    ["Invoices to", c.billing?.invoiceEmail ?? "—"],
    ["Payment term", `${c.billing?.paymentTermDays ?? 0} days`],
    ["Mandate", m ? `${m.reference}, ${m.iban}, signed ${date(m.signedAt)} (${m.status})` : "none"],
    ["Version", `${c.version}, ${timestamp(c.updatedAt)}`],
    c.cancellationReason ? ["Cancelled because", c.cancellationReason] : null,
  ].filter(Boolean)));
}

// Each action: a small form posting to the contract service; the answer reloads the page.
function renderActions(el, c, reload) {
  const ref = encodeURIComponent(c.contractRef);
  const act = (label, method, path, fields, body, what) => {
    const form = h("form", { class: "action", "aria-label": label },
      fields.map(([l, name, attrs]) => field(l, input(name, attrs || {}))),
      h("button", { type: "submit" }, label));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const v = values(form);
      busy(form.querySelector("button"), async () => {
        await request("contract", `/contracts/${ref}${path}`, {
          method, body: body ? body(v) : undefined, idempotencyKey: method === "POST" ? newIdempotencyKey() : undefined,
        });
        announce(`${what} done`);
        await new Promise((r) => setTimeout(r, 300)); // billing learns it from Kafka
        await reload();
      }, what);
    });
    return form;
  };
  const cur = c.billing?.creditLimit?.currency || "EUR";
  const forms = [];
  if (c.status === "CREATED") forms.push(act("Activate", "POST", "/activate", [], null, "activate"));
  if (c.status === "ACTIVE") {
    forms.push(act("Suspend", "POST", "/suspend", [["Reason (optional)", "reason"]],
      (v) => (v.reason ? { reason: v.reason } : {}), "suspend"));
  }
  if (c.status === "SUSPENDED") forms.push(act("Reactivate", "POST", "/reactivate", [], null, "reactivate"));
  if (["CREATED", "ACTIVE", "SUSPENDED"].includes(c.status)) {
    forms.push(act("Change the credit limit", "PUT", "/credit-limit",
      [[`New limit (${cur})`, "amount", { required: true, inputmode: "decimal" }]],
      (v) => ({ amount: v.amount, currency: cur }), "change the credit limit"));
    forms.push(act("Replace the mandate", "PUT", "/mandate", [
      ["Mandate reference", "reference", { required: true }],
      ["IBAN", "iban", { required: true, spellcheck: "false" }],
      ["Signed on", "signedAt", { type: "date", required: true, value: today() }],
    ], (v) => v, "replace the mandate"));
    if (c.payment?.mandate?.status === "VALID") {
      forms.push(act("Revoke the mandate", "POST", "/mandate/revoke", [], null, "revoke the mandate"));
    }
    forms.push(act("Cancel the contract", "POST", "/cancel", [["Reason", "reason", { required: true }]],
      (v) => ({ reason: v.reason }), "cancel the contract"));
  }
  clear(el, forms.length ? h("div", { class: "action-list" }, forms)
    : h("p", { class: "empty" }, `A ${c.status} contract takes no more changes.`));
}

async function loadAccount(el, opsEl, ref) {
  let acc;
  try {
    acc = await get("billing", `/contracts/${encodeURIComponent(ref)}/account`);
  } catch (e) {
    if (!e.errorCode) throw e;
    clear(el, h("p", { class: "inline-error" }, h("strong", {}, e.errorCode), ` ${e.message}`));
    clear(opsEl);
    return;
  }
  clear(el,
    h("div", { class: "figures" },
      figure("Credit limit", money(acc.creditLimit), "limit"),
      figure("Outstanding", money(acc.outstanding), "outstanding"),
      figure("Available", money(acc.available), "available")),
    dl([
      ["Billing sees", `${acc.status}, version ${acc.version}, ${timestamp(acc.lastChangedAt)}`],
      ["Mandate", acc.mandate ? `${acc.mandate.reference} (${acc.mandate.status})` : "none"],
    ]),
    acc.failedPayments?.length ? table("Failed payments", [
      { label: "Invoice", cell: (f) => h("a", { href: `#/invoices/${encodeURIComponent(f.invoiceRef)}` }, f.invoiceRef) },
      { label: "Amount", num: true, cell: (f) => money(f.amount || f.totalWithTax) },
      { label: "Reason", cell: (f) => [f.reasonCode, f.reason].filter(Boolean).join(" ") || "—" },
    ], acc.failedPayments) : null);

  const month = monthOf();
  const res = await get("billing", "/operations", { contractRef: ref, from: `${month}-01`, size: 100 });
  const rows = res.operations;
  clear(opsEl, table(`Operations of ${month} (${res.metadata.totalItems})`, [
    { label: "Order", cell: (o) => o.operationRef || o.order?.orderRef },
    { label: "Type", cell: (o) => o.operationType },
    { label: "Date", cell: (o) => date(o.operationDate) },
    { label: "Amount", num: true, cell: (o) => money(o.order?.totalWithTax) },
    { label: "Decision", cell: (o) => badge(o.status) },
    { label: "Reason", cell: (o) => o.rejection ? h("span", { class: "reason" }, h("strong", {}, o.rejection.code), ` ${o.rejection.message}`) : "—" },
    { label: "Invoice", cell: (o) => o.invoice ? h("a", { href: `#/invoices/${encodeURIComponent(o.invoice.invoiceRef)}` }, o.invoice.invoiceRef) : "—" },
  ], rows, "No operation this month."));
  try {
    const inv = await get("billing", "/invoices", { contractRef: ref, status: "PAID", size: 100 });
    el.append(chartOf(acc, rows, inv.invoices || [], month));
  } catch (e) {
    if (e.errorCode) showError(e, "the invoices of the chart");
    else throw e;
  }
}

function figure(label, value, key) {
  return h("div", { class: `figure figure-${key}` }, h("span", { class: "figure-label" }, label),
    h("span", { class: "figure-value", dataset: { figure: key } }, value));
}

// The balance over the month, rebuilt backwards from today's outstanding: accepted
// purchases raise it, accepted refunds and invoices paid this month lower it.
function chartOf(acc, ops, paid, month) {
  const [y, m] = month.split("-").map(Number);
  const days = new Date(y, m, 0).getDate();
  const changes = [];
  for (const o of ops) {
    if (o.status !== "ACCEPTED" || !o.operationDate?.startsWith(month)) continue;
    const v = o.order?.totalWithTax?.minorUnits || 0;
    changes.push({ day: Number(o.operationDate.slice(8, 10)), delta: o.operationType === "REFUND" ? -v : v, at: o.createdAt });
  }
  for (const i of paid) {
    if (!i.paidAt || monthOf(new Date(i.paidAt)) !== month) continue;
    changes.push({ day: new Date(i.paidAt).getDate(), delta: -i.totalWithTax.minorUnits, at: i.paidAt });
  }
  changes.sort((a, b) => a.day - b.day || String(a.at).localeCompare(String(b.at)));
  const start = acc.outstanding.minorUnits - changes.reduce((s, c) => s + c.delta, 0);
  let v = start;
  const points = changes.map((c) => ({ day: c.day, value: (v += c.delta) }));
  return h("figure", { class: "chart-box" },
    outstandingChart({
      start, points, days, limit: acc.creditLimit.minorUnits, currency: acc.currency,
      digits: digitsOf(acc.creditLimit), title: `Outstanding balance of ${acc.contractRef} in ${month}`,
    }),
    h("figcaption", {}, "Outstanding over the month, rebuilt from the accepted operations and the invoices paid."));
}
