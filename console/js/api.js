// The four services behind the gateway (deploy/nginx/boissipay.conf.template): one origin,
// /api/<service>/ with the service's own paths. The API key lives in sessionStorage only.

const KEY = "boissipay.apiKey";

export const SERVICES = ["contract", "billing", "payment", "invoice-mailer"];

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

export function setApiKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function forgetApiKey() {
  sessionStorage.removeItem(KEY);
}

// A refusal or failure, with the service's own ErrorResponse entry when it sent one.
export class ApiError extends Error {
  constructor(status, body, service, path) {
    const e = (body && Array.isArray(body.errors) && body.errors[0]) || {};
    const code = e.errorCode || (status ? `HTTP_${status}` : "NETWORK_ERROR");
    super(e.message || (status ? `HTTP ${status}` : "the gateway cannot be reached"));
    this.status = status;
    this.errorCode = code;
    this.detail = e.detail;
    this.service = service;
    this.path = path;
  }
}

let onUnauthenticated = () => {};
export function whenUnauthenticated(fn) {
  onUnauthenticated = fn;
}

// request("billing", "/operations", {method, body, query, accept, idempotencyKey})
// resolves with the parsed JSON (or a Blob when accept is not JSON), rejects with ApiError.
export async function request(service, path, opts = {}) {
  const url = new URL(`/api/${service}${path}`, location.origin);
  for (const [k, v] of Object.entries(opts.query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Accept: opts.accept || "application/json" };
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
  let res;
  try {
    res = await fetch(url, {
      method: opts.method || "GET",
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, null, service, path);
  }
  const type = res.headers.get("Content-Type") || "";
  if (!res.ok) {
    const body = type.includes("json") ? await res.json().catch(() => null) : null;
    const err = new ApiError(res.status, body, service, path);
    if (res.status === 401) onUnauthenticated(err);
    throw err;
  }
  if (opts.accept && !opts.accept.includes("json")) return res.blob();
  if (type.includes("json")) return res.json();
  return res.text();
}

export const get = (service, path, query) => request(service, path, { query });

export function newIdempotencyKey() {
  return crypto.randomUUID();
}
