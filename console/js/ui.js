// What every page shares: the error region, the status line, busy buttons, headings.
import { clear, h } from "./dom.js";

const errors = () => document.getElementById("errors");
const status = () => document.getElementById("status");

// Shows a refusal with the API's own errorCode and message, and moves the focus to it.
export function showError(err, what) {
  const box = errors();
  const code = err.errorCode || "ERROR";
  clear(box, h("div", { class: "error", tabindex: "-1" },
    h("strong", { class: "error-code" }, code),
    h("span", { class: "error-message" }, ` ${err.message}`),
    err.status ? h("span", { class: "error-meta" }, ` (HTTP ${err.status}${what ? `, ${what}` : ""}` +
      `${err.detail ? `; detail: ${err.detail}` : ""})`) : null,
    h("button", { type: "button", class: "link", onclick: () => clearError() }, "Dismiss")));
  box.firstChild.focus();
}

export function clearError() {
  clear(errors());
}

export function announce(text) {
  clear(status(), text);
}

// A success or information line inside a page (polite live region).
export function notice(el, text) {
  clear(el, text ? h("p", { class: "notice" }, text) : null);
}

// Runs fn while the button is disabled and marked busy; errors go to showError.
export async function busy(button, fn, what) {
  const hadFocus = button && document.activeElement === button;
  if (button) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
  try {
    clearError();
    return await fn();
  } catch (e) {
    if (e && e.errorCode) showError(e, what);
    else throw e;
    return undefined;
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      // A disabled button drops the focus: give it back unless something else took it.
      if (hadFocus && button.isConnected && (document.activeElement === document.body || !document.activeElement)) {
        button.focus();
      }
    }
  }
}

export function pageHeading(main, title, intro) {
  const h1 = h("h1", { tabindex: "-1" }, title);
  clear(main, h1, intro ? h("p", { class: "intro" }, intro) : null);
  document.title = `${title} · Boissipay console`;
  return h1;
}

export function section(title, ...children) {
  const hid = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { "aria-labelledby": hid }, h("h2", { id: hid }, title), ...children);
}
