// Starts treasurenetd (env TREASURENETD, default ../../build/bin/treasurenetd from tests/e2e) as a
// dev chain on a free loopback port in a scratch home; tncli is taken from env TNCLI or next to it.
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const e2eDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const TREASURENETD = path.resolve(e2eDir, process.env.TREASURENETD ?? '../../build/bin/treasurenetd');
export const TNCLI = path.resolve(e2eDir, process.env.TNCLI ?? path.join(path.dirname(TREASURENETD), 'tncli'));

export const MULSIG = '0x0000000000000000000000000000000000001002';
export const ROLES = '0x0000000000000000000000000000000000001000';

const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* gone */ }
  }
});

export function scratchDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tn-e2e-${prefix}-`));
}

// {url, wsUrl, home, accounts, stop() -> exit code}
export async function startDevNode(prefix, extraArgs = []) {
  if (!fs.existsSync(TREASURENETD)) throw new Error(`treasurenetd not found at ${TREASURENETD} (set TREASURENETD)`);
  const home = path.join(scratchDir(prefix), 'home');
  const proc = spawn(TREASURENETD, ['dev', '--home', home, '--rpc-addr', '127.0.0.1:0', ...extraArgs],
                     { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let out = '', err = '';
  const exited = new Promise((res) => proc.on('close', (code, signal) => { live.delete(proc); res({ code, signal }); }));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`treasurenetd did not start:\n${out}${err}`)), 20000);
    proc.stderr.on('data', (d) => (err += d));
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)\)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`treasurenetd exited (${JSON.stringify(e)}):\n${out}${err}`));
    });
  });
  // A test that fails before stopping the node must not hang its file: the child does not keep
  // the event loop alive (the exit handler above kills it).
  proc.unref();
  proc.stdout.unref();
  proc.stderr.unref();
  const accounts = JSON.parse(fs.readFileSync(path.join(home, 'dev-accounts.json'), 'utf8'));
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    home,
    accounts,
    output: () => out + err,
    async stop() {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
      const e = await exited;
      clearTimeout(timer);
      fs.rmSync(path.dirname(home), { recursive: true, force: true });
      return e;
    },
  };
}

export async function tncli(args, env = {}) {
  try {
    const r = await promisify(execFile)(TNCLI, args, { env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
