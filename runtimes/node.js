'use strict';
// ward's Node.js REPL driver (protocol: runtimes/README.md).
//
// Started as `node /run/ward/driver.js FD`. Cells run through node's own
// `repl` module, whose default eval already gives what a REPL user
// expects: one persistent vm context, top-level `await` (declarations
// made with it persist), the value of the last expression, `require`
// relative to the working directory, and breakEvalOnSigint: SIGINT stops
// synchronous code (vm breakOnSigint) and abandons a pending top-level
// await. The control socket stays open in the event loop, so timers and
// promises a cell starts keep running between cells.
//
// Node marks inherited descriptors close-on-exec at start-up, so the
// control socket is not passed to child processes; node has no dup2, so
// it keeps its number.

const fs = require('fs');
const net = require('net');
const path = require('path');
const util = require('util');

const HEADER_MAX = 64; // bytes in a request's header line, newline included
const BODY_MAX = 16 << 20; // bytes of code in one request
const TEXT_MAX = 1 << 20; // characters of text/plain or evalue kept
const JSON_MAX = 1 << 20; // bytes of application/json kept
const SCRIPT_PATH = '/run/ward/main.js'; // what a script sees as its file
const INTERRUPTED = 'ERR_SCRIPT_EXECUTION_INTERRUPTED';

// Private references: cells run in their own vm context (their JSON,
// Object... are not these), but share process, console and Buffer, whose
// methods they may replace.
const stringify = JSON.stringify;
const inspect = util.inspect;
const stderrWrite = process.stderr.write.bind(process.stderr);
const exit = process.exit.bind(process);

function die(status, message) {
  try {
    fs.writeSync(2, `ward node driver: ${message}\n`);
  } finally {
    exit(status);
  }
}

// Lone surrogates would make JSON that strict parsers reject.
const wellFormed = (s) => (typeof s.toWellFormed === 'function' ? s.toWellFormed() : s);

function truncate(text, limit = TEXT_MAX) {
  if (text.length > limit)
    text = `${text.slice(0, limit)}\n[... ${text.length - limit} more characters not shown]`;
  return wellFormed(text);
}

// ---- the control socket ----------------------------------------------

const fdArg = process.argv[2];
if (process.argv.length !== 3 || !/^[0-9]+$/.test(fdArg)) die(2, 'usage: driver.js CONTROL_FD');
let ctl;
try {
  ctl = new net.Socket({ fd: Number(fdArg), readable: true, writable: true });
} catch (e) {
  die(2, `control socket ${fdArg}: ${e.message}`);
}

function send(msg) {
  ctl.write(`${stringify(msg)}\n`);
}

// Framed requests, parsed as bytes arrive; one runs at a time.
let chunks = [];
let buffered = 0;
let pending = null; // {op, id, size} once a header is read
let busy = false;

function take(n) {
  const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, buffered);
  chunks = n < all.length ? [all.subarray(n)] : [];
  buffered -= n;
  return all.subarray(0, n);
}

function parseRequest() {
  if (!pending) {
    const head = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, buffered);
    chunks = head.length ? [head] : [];
    const nl = head.subarray(0, HEADER_MAX).indexOf(10);
    if (nl < 0) {
      if (buffered >= HEADER_MAX) die(2, `request header longer than ${HEADER_MAX} bytes`);
      return null;
    }
    const header = take(nl + 1).toString('latin1').slice(0, -1);
    const m = /^(cell|script) ([0-9]+) ([0-9]+)$/.exec(header);
    if (!m) die(2, `malformed request header ${stringify(header)}`);
    const size = Number(m[3]);
    if (size > BODY_MAX) die(2, `request of ${m[3]} bytes exceeds ${BODY_MAX}`);
    pending = { op: m[1], id: Number(m[2]), size };
  }
  if (buffered < pending.size) return null;
  const req = pending;
  pending = null;
  req.code = take(req.size).toString('utf8');
  return req;
}

function pump() {
  while (!busy) {
    const req = parseRequest();
    if (!req) return;
    if (req.op === 'script') {
      runScript(req.code, req.id);
      return;
    }
    busy = true;
    runCell(req).finally(() => {
      busy = false;
      setImmediate(pump);
    });
  }
}

ctl.on('data', (data) => {
  chunks.push(data);
  buffered += data.length;
  pump();
});
ctl.on('end', () => {
  if (buffered || pending) die(2, 'control socket closed in the middle of a request');
  exit(0);
});
ctl.on('error', () => exit(1)); // ward is gone: nobody left to report to

// ---- cells -------------------------------------------------------------

let server = null; // the REPLServer, made on the first cell
let executionCount = 0;
let current = null; // the running cell

function replServer() {
  if (server) return server;
  const repl = require('repl');
  const { PassThrough, Writable } = require('stream');
  // The REPL reads no input and its own printing goes nowhere: cells are
  // evaluated through server.eval, and their output is fd 1/2.
  const sink = new Writable({ write: (chunk, enc, cb) => cb() });
  server = repl.start({
    input: new PassThrough(),
    output: sink,
    prompt: '',
    terminal: false,
    useColors: false,
    useGlobal: false,
    breakEvalOnSigint: true,
  });
  // The REPL gives its context a console that prints to its own output;
  // cells print to fd 1/2 like programs.
  Object.defineProperty(server.context, 'console', { configurable: true, writable: true, value: console });
  // The REPL reports a cell's exceptions (sync and awaited) and those of
  // callbacks it scheduled through its domain, not through eval's
  // callback; they become the running cell's error, or, between cells,
  // are printed as the REPL would.
  server._domain.removeAllListeners('error');
  server._domain.on('error', (err) => {
    if (current) finishCell(current, err);
    else printUncaught(err);
  });
  return server;
}

function onSigint() {
  const cell = current;
  // Between cells an interrupt is dropped. While a cell's synchronous part
  // runs this listener is detached (see runCell), so here the cell is
  // awaiting: the REPL rejects its pending await on its own SIGINT event.
  if (!cell) return;
  server.emit('SIGINT');
  setImmediate(() => {
    if (current === cell) finishCell(cell, interruptError());
  });
}
process.on('SIGINT', onSigint);

// A rejection nobody handles is reported, not fatal to the session.
function onUnhandledRejection(reason) {
  if (current) finishCell(current, reason);
  else printUncaught(reason);
}
process.on('unhandledRejection', onUnhandledRejection);

function interruptError() {
  const err = new Error('Script execution was interrupted by `SIGINT`');
  err.code = INTERRUPTED;
  return err;
}

function runCell(req) {
  executionCount += 1;
  const r = replServer();
  return new Promise((resolve) => {
    const cell = { id: req.id, count: executionCount, resolve };
    current = cell;
    // vm's breakOnSigint only works while no process SIGINT listener is
    // attached: node's vm detaches them itself, which restores the
    // default disposition under the REPL's watchdog and kills the process.
    // So they are all (this driver's and any a cell added) set aside while
    // the cell's synchronous part runs, and attached again for its await.
    const listeners = process.rawListeners('SIGINT');
    process.removeAllListeners('SIGINT');
    try {
      r.eval(req.code, r.context, `<cell ${cell.count}>`, (err, value) => {
        if (err && err.err && err instanceof require('repl').Recoverable) err = err.err;
        finishCell(cell, err, value);
      });
    } catch (err) {
      finishCell(cell, err);
    } finally {
      // Attached afresh, also those the cell added meanwhile: that makes
      // node install its signal handler again, in place of the watchdog's.
      listeners.push(...process.rawListeners('SIGINT'));
      process.removeAllListeners('SIGINT');
      for (const listener of listeners) process.on('SIGINT', listener);
    }
  });
}

function finishCell(cell, err, value) {
  if (current !== cell) return; // already reported (e.g. abandoned)
  current = null;
  const messages = [];
  let status = 'ok';
  if (err !== null && err !== undefined) {
    status = err && err.code === INTERRUPTED ? 'interrupted' : 'error';
    messages.push(errorMessage(cell.id, err));
  } else if (value !== undefined) {
    messages.push({ type: 'result', id: cell.id, data: bundle(value) });
  }
  flushStdio().then(() => {
    for (const msg of messages) send(msg);
    send({ type: 'done', id: cell.id, status, execution_count: cell.count });
    cell.resolve();
  });
}

// Every byte a cell wrote to fd 1/2 goes out before `done`: node queues
// what a pipe does not take at once, and an empty write calls back only
// once the writes before it are done.
function flushStdio() {
  const waits = [process.stdout, process.stderr]
    .filter((s) => s && s.writableLength > 0 && !s.destroyed)
    .map((s) => new Promise((resolve) => s.write('', resolve)));
  return Promise.all(waits);
}

function bundle(value) {
  const data = { 'text/plain': truncate(safeInspect(value)) };
  const json = plainJson(value);
  if (json !== undefined) data['application/json'] = json;
  return data;
}

function safeInspect(value) {
  try {
    return inspect(value, { showProxy: true });
  } catch (e) {
    return `[value could not be inspected: ${e && e.message}]`;
  }
}

// Plain data only: arrays and objects straight from an object literal or
// JSON.parse (any realm), which JSON represents without loss.
function plainJson(value) {
  if (value === null || typeof value !== 'object') return undefined;
  const proto = Object.getPrototypeOf(value);
  const plain = Array.isArray(value) || proto === null || Object.getPrototypeOf(proto) === null;
  if (!plain || Object.prototype.toString.call(value) !== '[object ' + (Array.isArray(value) ? 'Array]' : 'Object]'))
    return undefined;
  try {
    const text = stringify(value);
    if (text === undefined || text.length > JSON_MAX) return undefined;
    return JSON.parse(wellFormed(text));
  } catch {
    return undefined; // cycles, BigInt, throwing toJSON...
  }
}

// An Error from any realm (cells run in their own vm context).
const isError = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.stack === 'string';

// The first frame of the machinery that called into the cell: vm, the
// REPL, its domain, this driver. It and the frames below it are dropped.
const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const plumbing = new RegExp(`^\\s+at (?:.*[ (])?(?:node:(?:vm|repl|domain):|${escapeRegExp(__filename)}:)`);

function stackLines(err) {
  let lines;
  try {
    lines = String(err.stack).split('\n');
  } catch {
    return [];
  }
  const cut = lines.findIndex((l) => plumbing.test(l));
  return cut > 0 ? lines.slice(0, cut) : lines;
}

function errorMessage(id, err) {
  let ename, evalue, traceback;
  if (isError(err)) {
    ename = String(err.name);
    evalue = String(err.message);
    traceback = err.code === INTERRUPTED ? [`${ename}: ${evalue}`] : stackLines(err);
  } else {
    // `throw 42`, `Promise.reject('no')`
    ename = 'Uncaught';
    evalue = safeInspect(err);
    traceback = [`Uncaught ${evalue}`];
  }
  traceback = truncate(traceback.join('\n')).split('\n');
  try {
    stderrWrite(`${traceback.join('\n')}\n`);
  } catch {}
  return { type: 'error', id, ename: truncate(ename), evalue: truncate(evalue), traceback };
}

function printUncaught(err) {
  const text = isError(err) ? stackLines(err).join('\n') : safeInspect(err);
  try {
    stderrWrite(`Uncaught ${text}\n`);
  } catch {}
}

// ---- script ------------------------------------------------------------

// Runs code as `node /run/ward/main.js` would: a CommonJS main module,
// node's own handling of uncaught errors (stack on stderr, status 1) and
// of process.exit; the process ends when the event loop is empty.
function runScript(code, id) {
  // The control socket no longer reads nor keeps the process alive; it
  // is kept for the status, said as the process exits (as the Python
  // driver does): tearing node down takes milliseconds that the answer
  // need not wait for. Only when no exit listener of the script's would
  // run after this one (it could still print, or change the status). A
  // signal or a crash says nothing: ward reads the status from the init.
  ctl.removeAllListeners('data');
  ctl.removeAllListeners('end');
  ctl.removeAllListeners('error');
  ctl.on('error', () => {});
  ctl.pause();
  ctl.unref();
  process.on('exit', (status) => {
    if (process.listenerCount('exit') !== 1) return;
    try {
      fs.writeSync(Number(fdArg), `{"type":"exit","id":${id},"status":${status & 0xff}}\n`);
      // Then a short wait for ward to end the sandbox, so that the CPU
      // the answer is sent from is not busy with this teardown.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    } catch {}
  });
  process.removeListener('SIGINT', onSigint);
  process.removeListener('unhandledRejection', onUnhandledRejection);
  process.argv = [process.argv[0], SCRIPT_PATH];
  const main = new Module(SCRIPT_PATH, null);
  main.id = '.';
  main.filename = SCRIPT_PATH;
  main.paths = Module._nodeModulePaths(path.dirname(SCRIPT_PATH));
  process.mainModule = main;
  Module._cache[SCRIPT_PATH] = main;
  // From a fresh tick, so that an uncaught error's stack starts in the
  // script rather than in this driver's socket handler.
  setImmediate(() => {
    main._compile(code, SCRIPT_PATH);
    main.loaded = true;
  });
}

// Loaded before the first request rather than during it: the module
// system a script runs in, and the stdout and stderr streams that node
// makes on first use (together about a millisecond of a warm run).
const Module = require('module');
void process.stdout;
void process.stderr;

send({ type: 'ready', language: 'node', version: process.versions.node });
