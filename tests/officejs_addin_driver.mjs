// Calls a running xlwings Server the way Excel does: loads the add-in's own
// custom-functions-code.js from the server, runs it with stand-ins for what Excel provides
// (Office, Excel, CustomFunctions, the XHR helper), and calls the functions it registers
// with CustomFunctions.associate, as Excel calls a custom function.
//
// Usage: node officejs_addin_driver.mjs JOB.json   (prints one JSON object on stdout)
// JOB: {url: "http://127.0.0.1:PORT", calls: [[NAME, [arg, ...]], ...]}
// Only the server on 127.0.0.1 is ever contacted.

import { readFileSync } from "node:fs";
import vm from "node:vm";

const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const origin = new URL(job.url);
if (origin.hostname !== "127.0.0.1") throw new Error(`only 127.0.0.1 is allowed, not ${origin}`);
const realFetch = globalThis.fetch;
const requests = [];

async function localFetch(url, init) {
  const u = new URL(url);
  if (u.host !== origin.host) throw new Error(`blocked: ${url} is not the server under test`);
  requests.push(u.pathname);
  return realFetch(url, init);
}

// the same contract as xlwings Server's XHR helper (static/js/utils.js): resolve {data,
// status} on 2xx, else reject with error.response = {data, status, statusText}
async function post(url, body, { headers = {} } = {}) {
  const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v != null));
  const r = await localFetch(url, { method: "POST", headers: clean, body: JSON.stringify(body) });
  let data = await r.text();
  if ((r.headers.get("Content-Type") || "").includes("application/json") && data) {
    try { data = JSON.parse(data); } catch { /* raw text */ }
  }
  const response = { data, status: r.status, statusText: r.statusText };
  if (r.status >= 200 && r.status < 300) return response;
  const error = new Error(`Request failed with status ${r.status}`);
  error.response = response;
  throw error;
}

class CustomFunctionsError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const registered = {};
const logs = [];
const storage = new Map();
const context = {
  console: { log: (...a) => logs.push(a.join(" ")), error: (...a) => logs.push(a.join(" ")),
             warn: (...a) => logs.push(a.join(" ")) },
  crypto: globalThis.crypto,
  setTimeout, clearTimeout, URL, JSON, Promise, Map, Set, Error,
  localStorage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => storage.set(k, v) },
  window: { location: { origin: job.url }, alert: () => {} },
  Office: { onReady: async (callback) => { const info = { host: "Excel" }; callback?.(info); return info; },
            context: { requirements: { isSetSupported: () => true } } },
  Excel: {
    RequestContext: class { constructor() { this.workbook = { name: "Book1.xlsx", load() {} }; }
                            async sync() {} },
    run: async (f) => f({ workbook: { worksheets: { onCalculated: { add() {} } } },
                          sync: async () => {} }),
  },
  CustomFunctions: { Error: CustomFunctionsError, ErrorCode: { invalidValue: "#VALUE!" },
                     associate: (name, fn) => { registered[name] = fn; } },
  config: { customFunctionsMaxRetries: 3, customFunctionsRetryCodes: [500, 502, 503, 504],
            requestTimeout: 30, onWasm: false, authProviders: [] },
  xlwings: { getCultureInfoName: async () => "en-US", getDateFormat: async () => "M/d/yyyy" },
  socket: null,
  xwRequest: { post, get: (url) => localFetch(url) },
};
context.globalThis = context;
vm.createContext(context);

const code = await (await localFetch(`${job.url}/xlwings/custom-functions-code.js`)).text();
vm.runInContext(code, context, { filename: "custom-functions-code.js" });

const out = { registered: Object.keys(registered).sort(), results: [] };
for (const [name, args] of job.calls) {
  const before = requests.length;
  const invocation = { address: "Sheet1!B2", setResult() {}, onCanceled: null };
  const entry = { posts: 0 };
  try {
    if (!(name in registered)) throw new Error(`the add-in registers no function ${name}`);
    entry.value = await registered[name](...args, invocation);
  } catch (err) {
    if (err instanceof CustomFunctionsError) {
      entry.excel_error = err.code;
      entry.message = err.message;
    } else {
      entry.js_error = String(err);
    }
  }
  entry.posts = requests.slice(before).filter((p) => p.endsWith("/custom-functions-call")).length;
  out.results.push(entry);
}
out.logs = logs.slice(-20);
process.stdout.write(JSON.stringify(out));
process.exit(0);
