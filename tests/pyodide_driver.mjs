// Runs an xlwings Lite main.py in real Pyodide (Node), through xlwings' own Pyodide-side
// runtime, and calls its functions the way the add-in's JavaScript does.
//
// Usage: node pyodide_driver.mjs JOB.json  (prints one JSON object on stdout)
// JOB: {pyodide_dir, wheels_dir, xlwings_wheel, wasm_dir, officejs_code, main_py,
//       calls: [body, ...], repeats: {key: {body, n}}, probe_network: bool}
//
// No network: fetch and every socket are replaced before Pyodide loads; any attempt is
// recorded (and fails), and the caller fails the test if the list is not empty.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import path from "node:path";
import { pathToFileURL } from "node:url";

const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = { network_attempts: [], timings: {}, results: [] };

// --- the network guard ------------------------------------------------------------------
function blocked(what) {
  return (...args) => {
    const target = String(args[0]?.href ?? args[0]?.host ?? args[0]?.url ?? args[0] ?? "");
    out.network_attempts.push(`${what} ${target}`);
    throw new Error(`network access blocked in this test: ${what} ${target}`);
  };
}
globalThis.fetch = async (...args) => blocked("fetch")(...args);
net.connect = net.createConnection = blocked("net.connect");
net.Socket.prototype.connect = blocked("socket.connect");
tls.connect = blocked("tls.connect");
for (const [name, mod] of [["http", http], ["https", https]]) {
  mod.request = blocked(`${name}.request`);
  mod.get = blocked(`${name}.get`);
}

// --- the add-in's own Wasm call path, taken from xlwings Server's JavaScript ------------
function extractFunction(source, header) {
  const start = source.indexOf(header);
  if (start < 0) throw new Error(`'${header}' not found in custom-functions-code.js`);
  let depth = 0;
  for (let i = source.indexOf("{", start); i < source.length; i++) {
    if (source[i] === "{") depth++;
    else if (source[i] === "}" && --depth === 0) return source.slice(start, i + 1);
  }
  throw new Error(`unbalanced braces after '${header}'`);
}

// Office's CustomFunctions.Error is an Error subclass: new Error(obj) stringifies obj.
class CustomFunctionsError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const CustomFunctions = { Error: CustomFunctionsError, ErrorCode: { invalidValue: "#VALUE!" } };
const Office = { context: { requirements: { isSetSupported: () => true } } };
const js = readFileSync(job.officejs_code, "utf8");
const makeWasmCall = new Function(
  "Office", "CustomFunctions", "ensureCalculatedHandler", "enqueueFollowUpScript",
  `${extractFunction(js, "async function makeWasmCall(")}
   ${extractFunction(js, "function showError(")}
   return makeWasmCall;`,
)(Office, CustomFunctions, async () => {}, () => {});

function plain(value) {
  // Pyodide's to_js gives Maps/arrays of JS values; JSON keeps what Excel would get.
  return JSON.parse(JSON.stringify(value, (k, v) => (v instanceof Map ? Object.fromEntries(v) : v)));
}

async function callLikeTheAddIn(body) {
  try {
    return { value: plain(await makeWasmCall(body)) };
  } catch (err) {
    if (err instanceof CustomFunctionsError) return { excel_error: err.code, message: err.message };
    return { js_error: String(err) };
  }
}

// --- boot ---------------------------------------------------------------------------------
const t0 = performance.now();
const step = (s) => process.env.XLMODEL_DRIVER_DEBUG && process.stderr.write(`step: ${s}\n`);
const { loadPyodide } = await import(pathToFileURL(path.join(job.pyodide_dir, "pyodide.mjs")));
const lock = JSON.parse(readFileSync(path.join(job.pyodide_dir, "pyodide-lock.json"), "utf8"));
out.pyodide_version = lock.info.version;
out.wheel_sha256 = {};
for (const name of ["numpy", "micropip", "packaging"]) {
  const entry = lock.packages[name];
  const digest = createHash("sha256")
    .update(readFileSync(path.join(job.wheels_dir, entry.file_name)))
    .digest("hex");
  out.wheel_sha256[name] = { file: entry.file_name, lock: entry.sha256, actual: digest };
  if (digest !== entry.sha256) throw new Error(`${entry.file_name}: sha256 differs from the lock`);
}
step("lock checked");
const stdout = [];
console.error = console.log = (...a) => stdout.push(a.map(String).join(" "));
const pyodide = await loadPyodide({
  indexURL: job.pyodide_dir + path.sep,
  packageCacheDir: job.wheels_dir + path.sep,
  stdout: (s) => stdout.push(s),
  stderr: (s) => stdout.push(s),
});
step("booted");
out.timings.boot_s = (performance.now() - t0) / 1000;
await pyodide.loadPackage(["numpy", "micropip"], { messageCallback: (m) => stdout.push(m) });
out.timings.packages_s = (performance.now() - t0) / 1000 - out.timings.boot_s;

step("packages");
// xlwings' pure wheel through micropip, from a local file
const wheelName = path.basename(job.xlwings_wheel);
pyodide.FS.writeFile(`/tmp/${wheelName}`, readFileSync(job.xlwings_wheel));
await pyodide.runPythonAsync(`
import os, micropip
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
await micropip.install("emfs:/tmp/${wheelName}")
`);

step("xlwings installed");
// the xlwings Server wasm/ layout: config.py, wasm_runtime.py, custom_functions/, custom_scripts/
const mainPy = readFileSync(job.main_py, "utf8");
const home = pyodide.FS.cwd();
for (const dir of ["custom_functions", "custom_scripts"]) pyodide.FS.mkdirTree(`${home}/${dir}`);
pyodide.FS.writeFile(`${home}/custom_functions/__init__.py`, mainPy);
pyodide.FS.writeFile(`${home}/custom_scripts/__init__.py`, "");
for (const f of ["config.py", "wasm_runtime.py"]) {
  pyodide.FS.writeFile(`${home}/${f}`, readFileSync(path.join(job.wasm_dir, f), "utf8"));
}
step("files written");
await pyodide.runPythonAsync(pyodide.FS.readFile(`${home}/wasm_runtime.py`, { encoding: "utf8" }));
globalThis.wasmCustomFunctionsCall = pyodide.globals.get("custom_functions_call");
out.timings.ready_s = (performance.now() - t0) / 1000;
out.versions = plain(pyodide.runPython(
  "import sys, numpy, xlwings; [sys.version.split()[0], numpy.__version__, xlwings.__version__]"
).toJs());

// what xlwings Lite registers: the functions' metadata and their JavaScript
const meta = pyodide.globals.get("custom_functions_meta")(mainPy);
out.meta = plain(meta.toJs ? meta.toJs({ dict_converter: Object.fromEntries }) : meta);
out.code = pyodide.globals.get("custom_functions_code")(mainPy);

for (const body of job.calls) out.results.push(await callLikeTheAddIn(body));

// timed loops for the benchmarks: {key: {body, n}} -> out.timings.repeats[key] = {n, s, last}
out.timings.repeats = {};
for (const [key, { body, n }] of Object.entries(job.repeats ?? {})) {
  let last;
  const t = performance.now();
  for (let i = 0; i < n; i++) last = await callLikeTheAddIn(body);
  out.timings.repeats[key] = { n, s: (performance.now() - t) / 1000, last };
}

if (job.probe_network) {
  // the guard itself: Python's fetch and micropip's index look-up must both be stopped
  const before = out.network_attempts.length;
  out.probe = plain((await pyodide.runPythonAsync(`
import micropip
from pyodide.http import pyfetch
outcomes = []
try:
    await pyfetch("http://127.0.0.1:9/")
    outcomes.append("fetched")
except Exception as exc:
    outcomes.append("blocked: " + str(exc)[:200])
try:
    await micropip.install("six")
    outcomes.append("installed")
except Exception as exc:
    outcomes.append("blocked: " + str(exc)[:200])
outcomes
`)).toJs());
  out.probe_attempts = out.network_attempts.splice(before);
}
out.stdout = stdout.slice(-50);
process.stdout.write(JSON.stringify(out));
process.exit(0);
