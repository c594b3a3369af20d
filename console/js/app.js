// The console's shell: the API key (asked once, kept for the tab), the hash routes, the
// focus moved to each page's heading.
import { apiKey, forgetApiKey, setApiKey, whenUnauthenticated } from "./api.js";
import { clearError, showError } from "./ui.js";
import { contractsPage } from "./pages/contracts.js";
import { contractPage } from "./pages/contract.js";
import { invoicesPage } from "./pages/invoices.js";
import { paymentsPage } from "./pages/payments.js";
import { runsPage } from "./pages/runs.js";
import { deadLettersPage } from "./pages/dead-letters.js";

const ROUTES = [
  [/^\/contracts$/, "contracts", () => contractsPage],
  [/^\/contracts\/([^/]+)$/, "contracts", (m) => (main) => contractPage(main, decodeURIComponent(m[1]))],
  [/^\/invoices$/, "invoices", () => invoicesPage],
  [/^\/invoices\/([^/]+)$/, "invoices", (m) => (main) => invoicesPage(main, decodeURIComponent(m[1]))],
  [/^\/payments$/, "payments", () => paymentsPage],
  [/^\/billing-runs$/, "billing-runs", () => runsPage],
  [/^\/dead-letters$/, "dead-letters", () => deadLettersPage],
];

const main = document.getElementById("main");
const dialog = document.getElementById("key-dialog");

function askKey() {
  if (dialog.open) return;
  document.getElementById("key-input").value = "";
  dialog.showModal();
  document.getElementById("key-input").focus();
}

function showKeyState() {
  const has = Boolean(apiKey());
  document.getElementById("key-state").textContent = has ? "API key set for this tab" : "No API key";
  document.getElementById("forget-key").hidden = !has;
}

async function route() {
  const path = location.hash.replace(/^#/, "") || "/contracts";
  const found = ROUTES.map(([re, nav, make]) => [path.match(re), nav, make]).find(([m]) => m);
  if (!found) {
    location.replace("#/contracts");
    return;
  }
  const [m, nav, make] = found;
  for (const a of document.querySelectorAll("nav a[data-page]")) {
    if (a.dataset.page === nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  clearError();
  if (!apiKey()) {
    askKey();
    return;
  }
  main.setAttribute("aria-busy", "true");
  try {
    await make(m)(main);
  } catch (e) {
    if (e && e.errorCode) showError(e);
    else throw e;
  } finally {
    main.removeAttribute("aria-busy");
    document.body.dataset.page = nav;
    document.body.dataset.ready = path;
    const heading = main.querySelector("h1");
    if (heading) heading.focus();
  }
}

document.getElementById("key-form").addEventListener("submit", () => {
  const key = document.getElementById("key-input").value.trim();
  if (key) setApiKey(key);
  showKeyState();
  route();
});
dialog.addEventListener("cancel", (e) => {
  if (!apiKey()) e.preventDefault();
});
document.getElementById("forget-key").addEventListener("click", () => {
  forgetApiKey();
  showKeyState();
  askKey();
});
whenUnauthenticated(() => {
  forgetApiKey();
  showKeyState();
  askKey();
});

window.addEventListener("hashchange", route);
showKeyState();
route();
