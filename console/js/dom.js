// Building the pages from data without innerHTML: every text goes through a text node.

let uid = 0;

// h("tag", {attr: value, onclick: fn, class: "x"}, child, ...): an element.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function id(prefix = "f") {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A labelled form field: field("Customer ref", input("customerRef", {...})).
export function field(label, control, hint) {
  const cid = control.id || (control.id = id("field"));
  const hid = hint ? `${cid}-hint` : undefined;
  if (hid) control.setAttribute("aria-describedby", hid);
  return h("div", { class: "field" }, h("label", { for: cid }, label), control,
    hint ? h("small", { id: hid }, hint) : null);
}

export function input(name, attrs = {}) {
  return h("input", { name, type: "text", ...attrs });
}

export function select(name, options, value, attrs = {}) {
  return h("select", { name, ...attrs },
    options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}

// A table: columns [{label, cell: row => node|text, num: bool}], with a caption.
export function table(caption, columns, rows, empty = "Nothing to show.") {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("div", { class: "table-wrap" },
    h("table", {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c, i) => {
        const v = c.cell(r);
        return i === 0 ? h("th", { scope: "row", class: c.num ? "num" : null }, v)
          : h("td", { class: c.num ? "num" : null }, v);
      }))))));
}

export function badge(status) {
  return h("span", { class: `badge badge-${String(status).toLowerCase()}` }, status);
}

// The form's values as an object of trimmed strings (empty ones left out).
export function values(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) {
    const s = String(v).trim();
    if (s !== "") out[k] = s;
  }
  return out;
}

export function pager(meta, go) {
  if (!meta || meta.totalPages <= 1) return null;
  return h("nav", { class: "pager", "aria-label": "Pages of results" },
    h("button", { type: "button", disabled: meta.page <= 1, onclick: () => go(meta.page - 1) }, "Previous"),
    h("span", {}, `Page ${meta.page} of ${meta.totalPages} (${meta.totalItems} in all)`),
    h("button", { type: "button", disabled: meta.page >= meta.totalPages, onclick: () => go(meta.page + 1) }, "Next"));
}
