// Billing runs: a dry run first (POST /billing-runs {period, dryRun: true}: the invoices it
// would issue, none issued), then the run itself (201, its counts); the runs so far
// (GET /billing-runs).
import { get, newIdempotencyKey, request } from "../api.js";
import { badge, clear, field, h, input, pager, table } from "../dom.js";
import { money, period, previousMonth, timestamp } from "../format.js";
import { announce, busy, pageHeading, section } from "../ui.js";
import { contractLink } from "./contracts.js";

export async function runsPage(main) {
  pageHeading(main, "Billing runs",
    "Issue the month's invoices: preview with a dry run (nothing issued), then run.");
  const preview = h("div", { id: "run-preview", "aria-live": "polite" });
  const list = h("div", { id: "run-list" });
  const periodInput = input("period", { type: "month", required: true, value: previousMonth() });
  const dryButton = h("button", { type: "submit", id: "run-dry" }, "Preview (dry run)");
  const runButton = h("button", { type: "button", id: "run-real", disabled: true }, "Run the billing");
  const form = h("form", { class: "filters", "aria-label": "Billing run" },
    field("Period", periodInput, "The month to invoice"),
    h("div", { class: "actions" }, dryButton, runButton));
  let previewed = null;
  periodInput.addEventListener("input", () => {
    runButton.disabled = true;
    previewed = null;
  });
  const loadRuns = async (page = 1) => {
    const res = await get("billing", "/billing-runs", { page, size: 20 });
    clear(list, table(`Runs (${res.metadata.totalItems})`, [
      { label: "Period", cell: (r) => r.period },
      { label: "Started", cell: (r) => timestamp(r.startedAt) },
      { label: "Trigger", cell: (r) => r.trigger },
      { label: "Status", cell: (r) => badge(r.status) },
      { label: "Contracts", num: true, cell: (r) => r.counts?.contracts ?? "—" },
      { label: "Issued", num: true, cell: (r) => r.counts?.invoicesIssued ?? "—" },
      { label: "Already invoiced", num: true, cell: (r) => r.counts?.alreadyInvoiced ?? "—" },
      { label: "Failed", num: true, cell: (r) => r.counts?.failed ?? "—" },
    ], res.billingRuns, "No run yet."), pager(res.metadata, (p) => busy(null, () => loadRuns(p))));
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const p = periodInput.value;
    busy(dryButton, async () => {
      const res = await request("billing", "/billing-runs", { method: "POST", body: { period: p, dryRun: true } });
      const invoices = res.invoices || [];
      clear(preview,
        h("p", { class: "notice" }, `Dry run of ${period(p)}: ${invoices.length} invoice(s) would be issued. Nothing was issued.`),
        table(`Invoices the run would issue for ${p}`, [
          { label: "Number (provisional)", cell: (i) => i.invoiceRef },
          { label: "Contract", cell: (i) => contractLink(i.contractRef) },
          { label: "Lines", num: true, cell: (i) => (i.lines || []).length },
          { label: "Without VAT", num: true, cell: (i) => money(i.totalWithoutTax) },
          { label: "VAT", num: true, cell: (i) => money(i.totalTax) },
          { label: "Total", num: true, cell: (i) => money(i.totalWithTax) },
        ], invoices, "No invoice to issue."));
      previewed = p;
      runButton.disabled = false;
      announce(`Dry run: ${invoices.length} invoices`);
    }, "the dry run");
  });
  runButton.addEventListener("click", async () => {
    const p = previewed;
    if (!p) return;
    await busy(runButton, async () => {
      const run = await request("billing", "/billing-runs", {
        method: "POST", body: { period: p }, idempotencyKey: newIdempotencyKey(),
      });
      const c = run.counts || {};
      clear(preview, h("p", { class: "notice", id: "run-result", tabindex: "-1" },
        `Run of ${period(p)} ${run.status}: ${c.invoicesIssued ?? 0} issued, ${c.alreadyInvoiced ?? 0} already invoiced, ${c.failed ?? 0} failed. `,
        h("a", { href: "#/invoices" }, "See the invoices")));
      announce(`Billing run ${run.status}`);
      await loadRuns();
    }, "the billing run");
    runButton.disabled = true;
    previewed = null;
    // The button is disabled now: the focus goes to the outcome (or the error shown).
    const result = document.getElementById("run-result");
    if (result) result.focus();
  });
  main.append(section("Run a month", form, preview), section("Runs so far", list));
  await loadRuns();
}
