// Shared plumbing of the integration tests: starting treasurenetd on a free loopback port,
// JSON-RPC over HTTP, running tncli, and PASS/FAIL reporting with a non-zero exit on failure.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// ---- command line -------------------------------------------------------------------------------

// --treasurenetd PATH --tncli PATH (else env TREASURENETD / TNCLI, else build/bin/...).
export function binaries() {
  const argv = process.argv.slice(2);
  const opt = (name, env, def) => {
    const i = argv.indexOf(`--${name}`);
    if (i >= 0 && argv[i + 1]) return path.resolve(argv[i + 1]);
    if (process.env[env]) return path.resolve(process.env[env]);
    return path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../build/bin', def);
  };
  const b = { treasurenetd: opt('treasurenetd', 'TREASURENETD', 'treasurenetd'),
              tncli: opt('tncli', 'TNCLI', 'tncli') };
  if (!fs.existsSync(b.treasurenetd)) throw new Error(`treasurenetd not found at ${b.treasurenetd}`);
  return b;
}

// ---- reporting ----------------------------------------------------------------------------------

export class Checker {
  constructor(suite) {
    this.suite = suite;
    this.passed = 0;
    this.failed = [];
    this.started = Date.now();
  }

  // Runs one named check; a thrown error (assert or otherwise) is a FAIL, the suite goes on.
  async check(name, fn) {
    const t0 = Date.now();
    try {
      await fn();
      this.passed++;
      console.log(`PASS ${this.suite}: ${name} (${Date.now() - t0} ms)`);
      return true;
    } catch (e) {
      this.failed.push(name);
      console.log(`FAIL ${this.suite}: ${name}: ${e && e.stack ? e.stack : e}`);
      return false;
    }
  }

  // Prints the summary and exits: 0 only if every check passed (and at least one ran).
  finish(cleanup) {
    const secs = ((Date.now() - this.started) / 1000).toFixed(1);
    const ok = this.failed.length === 0 && this.passed > 0;
    if (cleanup) cleanup(ok);
    console.log(ok ? `PASS ${this.suite}: all ${this.passed} checks passed in ${secs} s`
                   : `FAIL ${this.suite}: ${this.failed.length} of ${this.passed + this.failed.length} checks failed` +
                     ` (${this.failed.join('; ')}) in ${secs} s`);
    process.exit(ok ? 0 : 1);
  }
}

// A scratch directory removed at the end when the suite passed (kept for inspection otherwise).
export function scratch(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tn-${prefix}-`));
  return {
    dir,
    sub: (name) => path.join(dir, name),
    cleanup(ok) {
      if (ok) fs.rmSync(dir, { recursive: true, force: true });
      else console.log(`(scratch files kept in ${dir})`);
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

// ---- processes ----------------------------------------------------------------------------------

const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

// Runs a command to completion: {code, signal, stdout, stderr}.
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    live.add(p);
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60000);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(p);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// A running treasurenetd. start() resolves once the RPC port is printed.
export class NodeProcess {
  constructor(bin, args) {
    this.bin = bin;
    this.args = args;
    this.stdout = '';
    this.stderr = '';
    this.exit = null;  // {code, signal} once exited
  }

  // Binds 127.0.0.1:0 (a free port) unless `extra` names --rpc-addr or useConfigAddr leaves the
  // choice to the home's config.json.
  static async start(bin, command, home, extra = [], { timeoutMs = 20000, useConfigAddr = false } = {}) {
    const args = [command, '--home', home];
    if (!useConfigAddr && !extra.includes('--rpc-addr')) args.push('--rpc-addr', '127.0.0.1:0');
    const n = new NodeProcess(bin, [...args, ...extra]);
    await n.launch(timeoutMs);
    return n;
  }

  launch(timeoutMs) {
    return new Promise((resolve, reject) => {
      const p = spawn(this.bin, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.proc = p;
      live.add(p);
      this.exited = new Promise((res) => {
        p.on('close', (code, signal) => {
          live.delete(p);
          this.exit = { code, signal };
          res(this.exit);
        });
      });
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`treasurenetd did not print its RPC port within ${timeoutMs} ms:\n${this.output()}`));
      }, timeoutMs);
      p.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      p.stderr.on('data', (d) => (this.stderr += d));
      p.stdout.on('data', (d) => {
        this.stdout += d;
        const m = /Listening on \S+ \(JSON-RPC over HTTP and WebSocket, port (\d+)\)/.exec(this.stdout);
        if (m && !this.port) {
          clearTimeout(timer);
          this.port = Number(m[1]);
          this.url = `http://127.0.0.1:${this.port}`;
          this.wsUrl = `ws://127.0.0.1:${this.port}`;
          resolve(this);
        }
      });
      this.exited.then(() => {
        clearTimeout(timer);
        if (!this.port) reject(new Error(`treasurenetd exited early (${JSON.stringify(this.exit)}):\n${this.output()}`));
      });
    });
  }

  output() {
    return `--- stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
  }

  get pid() { return this.proc.pid; }

  // Sends `signal` and waits for the exit; returns {code, signal}. Kills after timeoutMs.
  async stop(signal = 'SIGTERM', timeoutMs = 15000) {
    if (this.exit) return this.exit;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }

  async kill9() {
    if (this.exit) return this.exit;
    this.proc.kill('SIGKILL');
    return this.exited;
  }
}

// ---- JSON-RPC -----------------------------------------------------------------------------------

export class RpcError extends Error {
  constructor(method, error) {
    super(`${method}: JSON-RPC error ${error.code}: ${error.message}`);
    this.code = error.code;
    this.rpcMessage = error.message;
    this.data = error.data;
  }
}

// POSTs a body (object or raw string): {status, headers, text, json (or undefined)}.
export async function rpcRaw(url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

let nextId = 1;
export async function rpc(url, method, params = []) {
  const id = nextId++;
  const r = await rpcRaw(url, { jsonrpc: '2.0', id, method, params });
  if (!r.json) throw new Error(`${method}: HTTP ${r.status}, not JSON: ${r.text.slice(0, 200)}`);
  if (r.json.id !== id) throw new Error(`${method}: answer id ${r.json.id} != ${id}`);
  if (r.json.error) throw new RpcError(method, r.json.error);
  if (!('result' in r.json)) throw new Error(`${method}: answer has neither result nor error`);
  return r.json.result;
}

// The error a call must fail with; returns it.
export async function rpcError(url, method, params = []) {
  try {
    const v = await rpc(url, method, params);
    throw new Error(`${method} succeeded (${JSON.stringify(v).slice(0, 200)}) but an error was expected`);
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
}

export const hexNum = (q) => Number(BigInt(q));

export async function waitReceipt(url, hash, timeoutMs = 15000) {
  return waitFor(() => rpc(url, 'eth_getTransactionReceipt', [hash]), timeoutMs, `the receipt of ${hash}`);
}

export function devAccounts(home) {
  return JSON.parse(fs.readFileSync(path.join(home, 'dev-accounts.json'), 'utf8'));
}

// ---- GET /metrics -------------------------------------------------------------------------------

// Fetches and strictly parses the node's Prometheus text (docs/RPC.md "Metrics"): every sample
// inside its family, after that family's HELP and TYPE, each family and sample once. Returns
// {types, value(name, labels)}; value() throws for a sample that is not there.
export async function metrics(url) {
  const res = await fetch(new URL('/metrics', url));
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics: HTTP ${res.status}: ${text.slice(0, 200)}`);
  const type = res.headers.get('content-type');
  if (type !== 'text/plain; version=0.0.4; charset=utf-8') throw new Error(`GET /metrics: content type ${type}`);
  const types = new Map();
  const help = new Set();
  const samples = new Map();
  let family = null;
  const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.e+]+)$/;
  if (!text.endsWith('\n')) throw new Error('GET /metrics: no final newline');
  for (const line of text.slice(0, -1).split('\n')) {
    let m;
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line))) {
      if (help.has(m[1])) throw new Error(`metrics: HELP twice: ${line}`);
      help.add(m[1]);
      family = m[1];
    } else if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)$/.exec(line))) {
      if (m[1] !== family || types.has(m[1])) throw new Error(`metrics: TYPE not after its HELP: ${line}`);
      types.set(m[1], m[2]);
    } else if ((m = sampleLine.exec(line))) {
      if (m[1] !== family || !types.has(family)) throw new Error(`metrics: sample outside its family: ${line}`);
      const key = m[1] + (m[2] ?? '');
      if (samples.has(key)) throw new Error(`metrics: sample twice: ${line}`);
      const v = Number(m[3]);
      if (!Number.isFinite(v) || (types.get(family) === 'counter' && v < 0)) throw new Error(`metrics: bad value: ${line}`);
      samples.set(key, v);
    } else {
      throw new Error(`metrics: malformed line: ${JSON.stringify(line)}`);
    }
  }
  return {
    types,
    has: (name, labels = {}) => samples.has(metricKey(name, labels)),
    value(name, labels = {}) {
      const key = metricKey(name, labels);
      if (!samples.has(key)) throw new Error(`metrics: no sample ${key}`);
      return samples.get(key);
    },
  };
}

function metricKey(name, labels) {
  const entries = Object.entries(labels);
  return entries.length ? `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}` : name;
}
