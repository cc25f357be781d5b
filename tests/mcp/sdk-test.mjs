// ward mcp through the official MCP TypeScript SDK client (Client +
// StdioClientTransport): the handshake, tools/list, run_code in Python and
// JavaScript, a session's state across session_exec calls, files, a
// matplotlib chart as image content (unless the sandbox's Python has no
// matplotlib), a cancelled long run that stops, error paths as McpError
// with the right code, and close(): the server exits and leaves no ward-*
// process.
// Run by run-sdk-test.sh with WARD set; exits 0 pass, 1 fail.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { McpError, ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const WARD = process.env.WARD;
let fails = 0, checks = 0;
const ok = (cond, what) => { checks++; if (!cond) { fails++; console.error(`FAIL: ${what}`); } };
const text = (r) => (r.content || []).filter((c) => c.type === "text").map((c) => c.text).join("\n");

// ward-* processes now: pid -> comm.
function wardProcs() {
  const out = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const comm = readFileSync(`/proc/${d}/comm`, "utf8").trim();
      if (comm.startsWith("ward-")) out.set(d, comm);
    } catch { /* gone */ }
  }
  return out;
}
const before = wardProcs();

// Every process below the server, with its start time, recorded while it
// runs (orphans are re-parented, so they must be seen before).
function stat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { ppid: f[1], start: f[19], state: f[0] };
  } catch { return null; }
}
const tracked = new Map(); // pid -> start time
function trackBelow(root) {
  const kids = new Map();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const st = stat(d);
    if (st) { if (!kids.has(st.ppid)) kids.set(st.ppid, []); kids.get(st.ppid).push([d, st.start]); }
  }
  const todo = [String(root)];
  while (todo.length) {
    for (const [pid, start] of kids.get(todo.pop()) || []) { tracked.set(pid, start); todo.push(pid); }
  }
}

const transport = new StdioClientTransport({ command: WARD, args: ["mcp"], stderr: "pipe" });
let stderr = "";
transport.stderr?.on("data", (d) => { stderr += d; });
const client = new Client({ name: "ward-sdk-test", version: "1.0.0" });
await client.connect(transport);
const serverPid = transport.pid;
const tracker = setInterval(() => trackBelow(serverPid), 50);

ok(client.getServerVersion()?.name === "ward", "serverInfo.name");
ok(client.getServerCapabilities()?.tools !== undefined, "tools capability");

// tools/list
const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
ok(JSON.stringify(names) === JSON.stringify(["run_code", "session_create", "session_end", "session_exec",
  "session_files_list", "session_files_read", "session_files_write"]), `tool names ${names}`);
for (const t of tools) {
  ok(t.inputSchema?.type === "object", `${t.name}: inputSchema type object`);
  ok(t.annotations?.openWorldHint === false, `${t.name}: openWorldHint false`);
  ok(typeof t.description === "string" && t.description.length > 40, `${t.name}: description`);
}
const run = tools.find((t) => t.name === "run_code");
ok(run?.outputSchema?.type === "object", "run_code outputSchema");
ok(run?.annotations?.readOnlyHint === false && run?.annotations?.destructiveHint === false, "run_code annotations");
ok(/network: none/.test(run?.description || ""), "run_code description says the network policy");

// run_code: Python, JavaScript, and a failing run as isError.
let r = await client.callTool({ name: "run_code", arguments: { language: "python", code: "print(sum(range(10)))" } });
ok(!r.isError && text(r).includes("45") && r.structuredContent?.status === "ok", `python run: ${JSON.stringify(r).slice(0, 300)}`);
r = await client.callTool({ name: "run_code", arguments: { language: "javascript", code: "console.log('js', 6 * 7)" } });
ok(!r.isError && text(r).includes("js 42"), `javascript run: ${JSON.stringify(r).slice(0, 300)}`);
r = await client.callTool({ name: "run_code", arguments: { language: "python", code: "import sys\nsys.exit(3)" } });
ok(r.isError === true && r.structuredContent?.exit_code === 3 && /code 3/.test(text(r)), "failing run is isError");
r = await client.callTool({ name: "run_code", arguments: { language: "python", code: "import time\ntime.sleep(5)", timeout: 0.5 } });
ok(r.isError === true && r.structuredContent?.status === "timeout", `timeout: ${JSON.stringify(r.structuredContent?.status)}`);

// Progress notifications while a run streams.
let progress = 0;
r = await client.callTool({ name: "run_code", arguments: { language: "bash", code: "echo a; sleep 0.2; echo b" } },
  undefined, { onprogress: () => { progress++; } });
ok(!r.isError && progress >= 2, `progress notifications: ${progress}`);

// A session keeps its state; files in and out.
r = await client.callTool({ name: "session_create", arguments: { language: "python" } });
const sid = r.structuredContent?.id;
ok(typeof sid === "string" && sid.startsWith("ses_"), `session id ${sid}`);
r = await client.callTool({ name: "session_exec", arguments: { session_id: sid, code: "x = 41" } });
ok(!r.isError, "x = 41");
r = await client.callTool({ name: "session_exec", arguments: { session_id: sid, code: "x + 1" } });
ok(!r.isError && text(r).includes("42"), `x + 1: ${JSON.stringify(r.content)}`);
r = await client.callTool({ name: "session_exec", arguments: { session_id: sid, code: "1/0" } });
ok(r.isError === true && /ZeroDivisionError/.test(text(r)), "a raising cell is isError");
r = await client.callTool({ name: "session_files_write", arguments: { session_id: sid, path: "hello.txt", content: "héllo\n" } });
ok(!r.isError, "files_write");
r = await client.callTool({ name: "session_files_read", arguments: { session_id: sid, path: "hello.txt" } });
ok(!r.isError && r.content?.[0]?.type === "text" && r.content[0].text === "héllo\n", "files_read text");
r = await client.callTool({ name: "session_files_list", arguments: { session_id: sid } });
ok(!r.isError && text(r).includes("hello.txt"), "files_list");
r = await client.callTool({ name: "session_files_read", arguments: { session_id: sid, path: "../../etc/passwd" } });
ok(r.isError === true, "reading outside the session is refused");

// A matplotlib chart as image content. Whether there is matplotlib is asked
// of the sandbox (its python3 need not be the first one on this PATH): only
// a ModuleNotFoundError skips the check; anything else runs it.
r = await client.callTool({ name: "run_code", arguments: { language: "python", code: "import matplotlib" } });
const noMatplotlib = r.isError === true &&
  /ModuleNotFoundError/.test(`${text(r)}\n${r.structuredContent?.stderr ?? ""}`);
ok(noMatplotlib || (!r.isError && r.structuredContent?.status === "ok"),
  `import matplotlib in the sandbox: ${JSON.stringify(r).slice(0, 300)}`);
if (noMatplotlib) {
  console.error("SKIP: the chart check did not run: import matplotlib in the sandbox raised ModuleNotFoundError");
} else {
  r = await client.callTool({ name: "session_exec", arguments: { session_id: sid,
    code: "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nplt.plot([1, 3, 2])" } });
  const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const img = (r.content || []).find((c) => c.type === "image" && c.mimeType === "image/png");
  ok(!r.isError && img && typeof img.data === "string" && Buffer.from(img.data, "base64").subarray(0, 8).equals(PNG),
    `chart as image/png with the PNG signature: ${JSON.stringify(r.content).slice(0, 300)}`);
}
// Cancel a long cell: it is interrupted, and the session, with its
// state, takes the next call at once.
{
  const acCell = new AbortController();
  const tc = Date.now();
  const longCell = client.callTool({ name: "session_exec", arguments: { session_id: sid, code: "import time\nx += 1\ntime.sleep(30)" } },
    undefined, { signal: acCell.signal });
  await new Promise((res) => setTimeout(res, 1000));
  acCell.abort("test cancels");
  let cellAborted = false;
  try { await longCell; } catch { cellAborted = true; }
  ok(cellAborted, "the cancelled session_exec rejects");
  r = await client.callTool({ name: "session_exec", arguments: { session_id: sid, code: "x" } });
  ok(!r.isError && text(r).includes("42") && Date.now() - tc < 15000,
    `the session answers after a cancelled cell, state kept (${Date.now() - tc} ms): ${JSON.stringify(r.content).slice(0, 200)}`);
}
r = await client.callTool({ name: "session_end", arguments: { session_id: sid } });
ok(!r.isError, "session_end");
r = await client.callTool({ name: "session_exec", arguments: { session_id: sid, code: "x" } });
ok(r.isError === true, "an ended session is gone");

// Cancel a long run: the request rejects, the run stops at once.
const ac = new AbortController();
const t0 = Date.now();
const long = client.callTool({ name: "run_code", arguments: { language: "python", code: "import time\ntime.sleep(60)" } },
  undefined, { signal: ac.signal });
await new Promise((res) => setTimeout(res, 1000));
trackBelow(serverPid);
ok([...wardProcs().entries()].some(([pid, comm]) => comm === "ward-run" && tracked.has(pid)), "the long run is running");
ac.abort("test cancels");
let aborted = false;
try { await long; } catch { aborted = true; }
ok(aborted, "the cancelled call rejects");
let runGone = false;
for (let i = 0; i < 50 && !runGone; i++) {
  await new Promise((res) => setTimeout(res, 100));
  trackBelow(serverPid);
  runGone = ![...wardProcs().entries()].some(([pid, comm]) => comm === "ward-run" && tracked.has(pid));
}
ok(runGone && Date.now() - t0 < 10000, "the cancelled run stopped");
r = await client.callTool({ name: "run_code", arguments: { language: "bash", code: "echo still here" } });
ok(text(r).includes("still here"), "the server serves after a cancel");

// Error paths: McpError with the JSON-RPC code.
async function expectCode(p, code, what) {
  try { await p; ok(false, `${what}: no error`); } catch (e) {
    ok(e instanceof McpError && e.code === code, `${what}: ${e?.code} ${e?.message}`);
  }
}
await expectCode(client.callTool({ name: "no_such_tool", arguments: {} }), ErrorCode.InvalidParams, "unknown tool");
await expectCode(client.callTool({ name: "run_code", arguments: { language: "python" } }), ErrorCode.InvalidParams, "missing code");
await expectCode(client.callTool({ name: "run_code", arguments: { language: "python", code: 5 } }), ErrorCode.InvalidParams, "code not a string");
await expectCode(client.callTool({ name: "run_code", arguments: { language: "python", code: "1", x: 1 } }), ErrorCode.InvalidParams, "unknown argument");
await expectCode(client.request({ method: "no/such/method" }, (await import("zod")).z.any()), ErrorCode.MethodNotFound, "unknown method");

// A session left open is ended by close(); the server exits.
r = await client.callTool({ name: "session_create", arguments: { language: "node" } });
ok(!r.isError, "a second session");
await client.close();
let exited = false;
for (let i = 0; i < 100 && !exited; i++) {
  await new Promise((res) => setTimeout(res, 100));
  try { process.kill(serverPid, 0); } catch { exited = true; }
}
ok(exited, "the server exited after close()");
clearInterval(tracker);
let left = [];
for (let i = 0; i < 30; i++) {
  left = [...tracked.entries()].filter(([pid, start]) => { const st = stat(pid); return st && st.start === start && st.state !== "Z"; });
  if (left.length === 0) break;
  await new Promise((res) => setTimeout(res, 100));
}
ok(tracked.size > 0 && left.length === 0, `processes the server started, left: ${JSON.stringify(left)} (of ${tracked.size})`);

if (fails) {
  console.error(`sdk-test: ${fails} of ${checks} checks failed; server stderr:\n${stderr.slice(-2000)}`);
  process.exit(1);
}
console.log(`sdk-test: ${checks} checks passed`);
