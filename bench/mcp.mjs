// bench/mcp.mjs: the MCP front against the HTTP API, run by bench/mcp.sh
// from a directory where @modelcontextprotocol/sdk is installed.
//
// Starts `ward mcp --pool N` (through the SDK's StdioClientTransport) and
// `ward serve --listen 127.0.0.1:PORT --pool N` side by side and times the
// same one-shot run, Python print(1), through each:
//   mcp   Client.callTool run_code {language: python, code: print(1)}
//   http  POST /v1/runs {"language":"python","code":"print(1)"} with node's
//         http module, a keep-alive Agent holding one connection
// in blocks of BLOCK calls, alternating, the path that goes first rotating
// from round to round, each block starting once both pools are full again
// and quiet. Every answer is checked; one that is not a successful run
// printing "1\n" stops the benchmark (exit 1).
//
// Environment (bench/mcp.sh checks and sets them): WARD, RUNS, WARMUP,
// BLOCK, POOL, PIDS_FILE (the two servers' pids go there, one "name pid"
// a line, so the script can stop them should this process die first).
// Prints the table on stdout, progress on stderr. Exit status: 0 done,
// 1 a call failed or a server left a process behind, 2 setup failed.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { spawn } from "node:child_process";
import { appendFileSync, readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { loadavg } from "node:os";

const WARD = process.env.WARD;
const RUNS = Number(process.env.RUNS || 200);
const WARMUP = Number(process.env.WARMUP || 20);
const BLOCK = Number(process.env.BLOCK || 10);
const POOL = Number(process.env.POOL || 16);
const PIDS_FILE = process.env.PIDS_FILE;
const CODE = "print(1)";
const CALL_TIMEOUT_MS = 30000; // one call
const START_TIMEOUT_MS = 15000; // a server up and answering
const FILL_TIMEOUT_MS = 120000; // a pool full (3 languages x POOL sandboxes)
const STOP_TIMEOUT_MS = 30000; // a server gone after SIGTERM
const LANGS = 3; // the pool keeps POOL warm sandboxes for each of python, node, bash

class SetupError extends Error {}
class CallError extends Error {}

const note = (msg) => process.stderr.write(`bench/mcp: ${msg}\n`);
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// The last 4 KiB a server wrote to stderr, for messages.
function tail(stream) {
  const t = { text: "" };
  stream?.on("data", (d) => { t.text = (t.text + d).slice(-4096); });
  return t;
}

// ---- processes ----------------------------------------------------------

function stat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { state: f[0], ppid: f[1], start: f[19], cpu: Number(f[11]) + Number(f[12]) };
  } catch { return null; }
}

function comm(pid) {
  try { return readFileSync(`/proc/${pid}/comm`, "utf8").trim(); } catch { return ""; }
}

// Every process below root: pid -> start time (so a reused pid is not
// mistaken for one of them later).
function descendants(root) {
  const kids = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const st = stat(d);
    if (!st) continue;
    if (!kids.has(st.ppid)) kids.set(st.ppid, []);
    kids.get(st.ppid).push([d, st.start]);
  }
  const out = new Map();
  const todo = [String(root)];
  while (todo.length) {
    for (const [pid, start] of kids.get(todo.pop()) || []) { out.set(pid, start); todo.push(pid); }
  }
  return out;
}

const alive = (pid, start) => { const st = stat(pid); return st !== null && st.start === start && st.state !== "Z"; };

// Warm sandboxes of a ward mcp: its children named ward-warm (ward mcp has
// no /metrics; ward serve's ward_pool_warm counts the same processes).
function warmChildren(pid) {
  let n = 0;
  for (const d of readdirSync("/proc")) {
    if (/^\d+$/.test(d) && stat(d)?.ppid === String(pid) && comm(d) === "ward-warm") n++;
  }
  return n;
}

// ---- the HTTP side --------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let connections = 0;

function request(port, method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const headers = data ? { "Content-Type": "application/json", "Content-Length": data.length } : {};
    const req = http.request({ host: "127.0.0.1", port, method, path, agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("socket", () => { if (!req.reusedSocket) connections++; });
    req.setTimeout(CALL_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${CALL_TIMEOUT_MS / 1000} s`)));
    req.on("error", reject);
    req.end(data);
  });
}

async function metrics(port) {
  const r = await request(port, "GET", "/metrics");
  if (r.status !== 200) throw new SetupError(`GET /metrics answered ${r.status}`);
  const m = {};
  for (const line of r.body.split("\n")) {
    const f = line.split(" ");
    if (f.length === 2 && !line.startsWith("#")) m[f[0]] = Number(f[1]);
  }
  return m;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// ---- the two paths ------------------------------------------------------

let mcp, serve; // { name, pid, stderr, ... }

async function callMcp(i) {
  let r;
  try {
    r = await mcp.client.callTool({ name: "run_code", arguments: { language: "python", code: CODE } },
      undefined, { timeout: CALL_TIMEOUT_MS });
  } catch (e) {
    throw new CallError(`MCP call ${i}: ${e?.message || e}\nward mcp stderr: ${mcp.stderr.text.slice(-1000)}`);
  }
  const sc = r?.structuredContent;
  if (r?.isError || sc?.status !== "ok" || sc?.stdout !== "1\n") {
    throw new CallError(`MCP call ${i} did not run print(1): ${JSON.stringify(r).slice(0, 600)}`);
  }
}

async function callHttp(i) {
  let r;
  try {
    r = await request(serve.port, "POST", "/v1/runs", { language: "python", code: CODE });
  } catch (e) {
    throw new CallError(`HTTP call ${i}: ${e?.message || e}\nward serve stderr: ${serve.stderr.text.slice(-1000)}`);
  }
  let doc = null;
  try { doc = JSON.parse(r.body); } catch { /* checked below */ }
  if (r.status !== 200 || doc?.status !== "ok" || doc?.stdout !== "1\n") {
    throw new CallError(`HTTP call ${i} did not run print(1): ${r.status} ${r.body.slice(0, 600)}`);
  }
}

const paths = {
  mcp: { label: "MCP tools/call run_code (SDK, stdio)", call: callMcp, xs: [] },
  http: { label: "HTTP POST /v1/runs (node, keep-alive)", call: callHttp, xs: [] },
};

// ---- start, stop --------------------------------------------------------

function recordPid(name, pid) {
  if (PIDS_FILE) appendFileSync(PIDS_FILE, `${name} ${pid}\n`);
}

async function startServe() {
  const port = await freePort();
  const child = spawn(WARD, ["serve", "--listen", `127.0.0.1:${port}`, "--pool", String(POOL)],
    { env: getDefaultEnvironment(), stdio: ["ignore", "ignore", "pipe"] });
  serve = { name: "ward serve", child, pid: child.pid, port, stderr: tail(child.stderr), exited: null };
  child.on("exit", (code, sig) => { serve.exited = sig || code; });
  child.on("error", (e) => { serve.exited = e.message; });
  if (child.pid) recordPid("serve", child.pid);
  const end = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (serve.exited !== null) throw new SetupError(`ward serve exited (${serve.exited}): ${serve.stderr.text}`);
    try {
      if ((await request(port, "GET", "/healthz")).status === 200) return;
    } catch { /* not listening yet */ }
    if (Date.now() > end) throw new SetupError(`ward serve did not answer /healthz on port ${port}: ${serve.stderr.text}`);
    await sleep(20);
  }
}

async function startMcp() {
  const transport = new StdioClientTransport({ command: WARD, args: ["mcp", "--pool", String(POOL)], stderr: "pipe" });
  const stderr = tail(transport.stderr);
  const client = new Client({ name: "ward-bench-mcp", version: "1.0.0" });
  mcp = { name: "ward mcp", client, transport, pid: null, stderr };
  try {
    await client.connect(transport, { timeout: START_TIMEOUT_MS });
  } catch (e) {
    mcp.pid = transport.pid;
    throw new SetupError(`ward mcp: the MCP handshake failed: ${e?.message || e}: ${stderr.text}`);
  }
  mcp.pid = transport.pid;
  recordPid("mcp", mcp.pid);
  // As a client does before it calls a tool; it also makes the SDK check
  // each result's structuredContent against run_code's outputSchema.
  const { tools } = await client.listTools(undefined, { timeout: CALL_TIMEOUT_MS });
  if (!tools.some((t) => t.name === "run_code")) throw new SetupError("ward mcp lists no run_code tool");
}

// The processes below both servers and the CPU time they have used, as a
// string that changes when a process comes, goes or runs.
function activity() {
  const parts = [];
  for (const s of [mcp, serve]) {
    for (const [pid] of descendants(s.pid)) parts.push(`${pid}:${stat(pid)?.cpu}`);
  }
  return parts.join(" ");
}

// Until both pools hold POOL warm sandboxes for every language and nothing
// below either server runs: a warm sandbox still starting (its process is
// there, its interpreter not yet ready) would be passed over for a cold one.
async function waitFull(what) {
  const want = LANGS * POOL;
  const end = Date.now() + FILL_TIMEOUT_MS;
  let h = 0, m = 0;
  for (;;) {
    h = (await metrics(serve.port)).ward_pool_warm ?? 0;
    m = warmChildren(mcp.pid);
    if (h >= want && m >= want) {
      const a = activity();
      await sleep(30);
      if (activity() === a) return;
      continue;
    }
    if (Date.now() > end) {
      throw new SetupError(`the pools did not fill ${what} in ${FILL_TIMEOUT_MS / 1000} s: ` +
        `ward serve ${h} warm, ward mcp ${m}, of ${want}`);
    }
    await sleep(20);
  }
}

let stopping = null;
// Stops both servers: ward mcp by the end of its stdin (the MCP way; the SDK
// sends SIGTERM after 2 s, SIGKILL after 4), ward serve by SIGTERM; waits
// for both, then for every process they had started. Returns the problems.
function stopAll() {
  stopping ??= (async () => {
    const problems = [];
    const below = new Map();
    for (const s of [mcp, serve]) if (s?.pid) for (const [p, t] of descendants(s.pid)) below.set(p, t);
    const waits = [];
    if (mcp?.client) {
      const pid = mcp.pid;
      waits.push((async () => {
        await mcp.client.close().catch(() => {});
        const end = Date.now() + STOP_TIMEOUT_MS;
        while (pid && stat(pid) && stat(pid).state !== "Z" && Date.now() < end) await sleep(20);
        if (pid && stat(pid) && stat(pid).state !== "Z") {
          problems.push(`ward mcp (pid ${pid}) still runs; SIGKILL`);
          try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
        }
      })());
    }
    if (serve?.child && serve.exited === null) {
      waits.push((async () => {
        const gone = new Promise((res) => serve.child.once("exit", res));
        serve.child.kill("SIGTERM");
        const done = await Promise.race([gone.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
        if (!done) {
          problems.push(`ward serve (pid ${serve.pid}) did not stop ${STOP_TIMEOUT_MS / 1000} s after SIGTERM; SIGKILL`);
          serve.child.kill("SIGKILL");
          await gone;
        } else if (serve.exited !== 0) {
          problems.push(`ward serve exited with ${serve.exited}: ${serve.stderr.text.slice(-500)}`);
        }
      })());
    }
    await Promise.all(waits);
    agent.destroy();
    let left = [];
    for (let i = 0; i < 50; i++) {
      left = [...below].filter(([p, t]) => alive(p, t));
      if (left.length === 0) break;
      await sleep(100);
    }
    if (left.length) problems.push(`processes the servers started are left: ${left.map(([p]) => `${p} ${comm(p)}`).join(", ")}`);
    return problems;
  })();
  return stopping;
}

// A signal stops the servers; the call it cut short is no failure.
let interrupted = 0;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, async () => {
    if (interrupted) return;
    interrupted = sig === "SIGINT" ? 130 : 143;
    note(`${sig}: stopping the servers`);
    for (const p of await stopAll()) note(p);
    process.exit(interrupted);
  });
}

// ---- numbers ------------------------------------------------------------

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { min: s[0], median, p90: s[Math.ceil(n * 0.9) - 1], mean: s.reduce((a, b) => a + b, 0) / n };
}

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

async function main() {
  const load0 = loadavg()[0];
  note(`starting ward mcp and ward serve, --pool ${POOL} each`);
  await startMcp();
  await startServe();
  await waitFull("at start");

  note(`${WARMUP} warmup calls per path`);
  for (let i = 1; i <= WARMUP; i++) { await callMcp(`warmup ${i}`); await callHttp(`warmup ${i}`); }
  await waitFull("after the warmup");

  note(`timing ${RUNS} calls per path in blocks of ${BLOCK}`);
  const m0 = await metrics(serve.port);
  const order = ["mcp", "http"];
  let mcpHits = 0;
  for (let round = 0, done = 0; done < RUNS; round++) {
    const n = Math.min(BLOCK, RUNS - done);
    for (const key of round % 2 ? [...order].reverse() : order) {
      const p = paths[key];
      // Every block starts with both pools full, so that no sandbox is
      // starting beside it: ward refills a pool only once its requests
      // pause for 20 ms, which is the other path's block otherwise.
      await waitFull(`before block ${round + 1}`);
      const warm0 = key === "mcp" ? warmChildren(mcp.pid) : 0;
      for (let j = 0; j < n; j++) {
        const t0 = process.hrtime.bigint();
        await p.call(done + j + 1);
        p.xs.push(ms(t0));
      }
      if (key === "mcp") mcpHits += Math.max(0, warm0 - warmChildren(mcp.pid));
    }
    done += n;
  }
  const m1 = await metrics(serve.port);
  const load1 = loadavg()[0];

  const problems = await stopAll();

  const sdk = JSON.parse(readFileSync(new URL("./node_modules/@modelcontextprotocol/sdk/package.json", import.meta.url), "utf8")).version;
  const st = { mcp: stats(paths.mcp.xs), http: stats(paths.http.xs) };
  const f = (x) => x.toFixed(3).padStart(9);
  const lines = [];
  lines.push(`# bench/mcp: run_code python print(1), ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}; ` +
    `RUNS=${RUNS} WARMUP=${WARMUP} BLOCK=${BLOCK} POOL=${POOL}; node ${process.version}, ` +
    `@modelcontextprotocol/sdk ${sdk}; load ${load0.toFixed(2)} -> ${load1.toFixed(2)}; times in ms`);
  lines.push(`${"path".padEnd(38)}${"min".padStart(9)}${"median".padStart(9)}${"p90".padStart(9)}${"mean".padStart(9)}`);
  for (const key of ["mcp", "http"]) {
    const s = st[key];
    lines.push(`${paths[key].label.padEnd(38)}${f(s.min)}${f(s.median)}${f(s.p90)}${f(s.mean)}`);
  }
  const diff = st.mcp.median - st.http.median;
  lines.push(`# MCP - HTTP median: ${diff >= 0 ? "+" : ""}${diff.toFixed(3)} ms (x${(st.mcp.median / st.http.median).toFixed(2)}); ` +
    `target: MCP adds under 1 ms: ${diff < 1 ? "target met" : "target MISSED"}`);
  const hits = (m1.ward_pool_hits_total ?? NaN) - (m0.ward_pool_hits_total ?? NaN);
  const misses = (m1.ward_pool_misses_total ?? NaN) - (m0.ward_pool_misses_total ?? NaN);
  lines.push(`# pool hits over the timed calls: ward serve ${hits} of ${RUNS} (${misses} cold, from /metrics); ` +
    `ward mcp about ${mcpHits} of ${RUNS} (its warm sandboxes that went, as it has no /metrics); ` +
    `HTTP connections opened: ${connections}`);
  process.stdout.write(lines.join("\n") + "\n");
  if (problems.length) {
    for (const p of problems) note(p);
    return 1;
  }
  return 0;
}

let status;
try {
  status = await main();
} catch (e) {
  if (interrupted) { await stopAll(); process.exit(interrupted); } // the signal handler has it
  if (e instanceof CallError) { note(`a call failed, so there is nothing to time: ${e.message}`); status = 1; }
  else if (e instanceof SetupError) { note(e.message); status = 2; }
  else { note(`unexpected: ${e?.stack || e}`); status = 2; }
  for (const p of await stopAll()) note(p);
}
process.exit(status);
