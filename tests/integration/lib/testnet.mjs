// Shared plumbing of the multi-process testnet tests (testnet_sync, testnet_kill): a local network
// written by `treasurenetd testnet`, its nodes started and killed, transfers, and whole-chain
// comparisons over JSON-RPC.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { NodeProcess, devAccounts, hexNum, rpc, rpcRaw, run, waitFor } from './harness.mjs';
import { UNIT, signTx } from './eth.mjs';

export const chainId = 7357n;
export const baseFee = 1_000_000_000n;

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

// `count` consecutive free ports (p2p and RPC of each node).
export async function freeBasePort(count) {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below Linux's ephemeral range (32768-60999): a restarted node must get its port back,
    // which an outgoing connection's local port could otherwise hold.
    const base = 20000 + 2 * Math.floor(Math.random() * 6000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no free port range found');
}

// mulberry32: a small seeded generator, so that a failing run can be repeated with its seed.
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Testnet {
  // Writes the network (`treasurenetd testnet`) with short consensus timeouts.
  static async create(bin, dir, { validators = 4, followers = 0, commitDelayMs = 300, accounts = 20 } = {}) {
    const total = validators + followers;
    const base = await freeBasePort(2 * total);
    const r = await run(bin.treasurenetd, [
      'testnet', '--validators', String(validators), '--followers', String(followers), '--home', dir,
      '--base-port', String(base), '--commit-delay', String(commitDelayMs), '--accounts', String(accounts),
      // Shorter than the defaults: rounds whose proposer is down stay short.
      '--timeout-propose', '1000', '--timeout-prevote', '500', '--timeout-precommit', '500', '--timeout-delta', '250',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const t = new Testnet(bin, dir, validators, followers);
    t.accounts = devAccounts(dir);
    t.nonces = t.accounts.map(() => 0n);
    return t;
  }

  constructor(bin, dir, validators, followers) {
    this.bin = bin;
    this.dir = dir;
    this.validators = validators;
    this.size = validators + followers;
    this.homes = Array.from({ length: this.size }, (_, i) => path.join(dir, `node${i}`));
    this.nodes = new Array(this.size).fill(null);
    this.history = [];  // every process ever started: [{i, node}]
  }

  async start(i) {
    this.nodes[i] = await NodeProcess.start(this.bin.treasurenetd, 'start', this.homes[i], [], { useConfigAddr: true });
    this.history.push({ i, node: this.nodes[i] });
    return this.nodes[i];
  }

  url(i) { return this.nodes[i].url; }
  live() { return this.nodes.map((n, i) => (n && !n.exit ? i : -1)).filter((i) => i >= 0); }
  async height(i) { return hexNum(await rpc(this.url(i), 'eth_blockNumber')); }
  async heights(ids) { return Promise.all(ids.map((i) => this.height(i))); }

  async waitPeers(ids, want, timeoutMs = 20000) {
    await waitFor(async () => {
      const counts = await Promise.all(ids.map((i) => rpc(this.url(i), 'net_peerCount')));
      return counts.every((q) => hexNum(q) >= want);
    }, timeoutMs, `nodes ${ids.join(',')} to report ${want} peers`);
  }

  async waitHeight(ids, target, timeoutMs, what) {
    await waitFor(async () => (await this.heights(ids)).every((h) => h >= target), timeoutMs,
                  what ?? `nodes ${ids.join(',')} to reach height ${target}`);
  }

  // A signed transfer from dev account `from` (nonces tracked here), sent through node `via`.
  signTransfer(from, value = UNIT) {
    const a = this.accounts[from];
    const to = this.accounts[(from + 1) % this.accounts.length].address;
    const t = signTx({ type: 2, chainId, nonce: this.nonces[from], to, value, maxFeePerGas: 2n * baseFee,
                       maxPriorityFeePerGas: 1n }, a.privateKey);
    this.nonces[from]++;
    return t;
  }

  async transfer(via, from, value = UNIT) {
    const t = this.signTransfer(from, value);
    await rpc(this.url(via), 'eth_sendRawTransaction', [t.raw]);
    return t.hash;
  }

  // Sets the tracked nonce of `from` to its pending nonce on node `via`.
  async syncNonce(via, from) {
    this.nonces[from] = BigInt(await rpc(this.url(via), 'eth_getTransactionCount', [this.accounts[from].address, 'pending']));
  }

  // Block headers 0..upTo of node i, by JSON-RPC batches of 100.
  async blocks(i, upTo) {
    const out = [];
    for (let first = 0; first <= upTo; first += 100) {
      const batch = [];
      for (let h = first; h <= Math.min(upTo, first + 99); h++)
        batch.push({ jsonrpc: '2.0', id: h, method: 'eth_getBlockByNumber', params: ['0x' + h.toString(16), false] });
      const r = await rpcRaw(this.url(i), batch);
      assert.ok(Array.isArray(r.json), `node${i}: batch answer is not an array: ${r.text.slice(0, 200)}`);
      const byId = new Map(r.json.map((x) => [x.id, x]));
      for (let h = first; h <= Math.min(upTo, first + 99); h++) {
        const x = byId.get(h);
        assert.ok(x && x.result, `node${i}: no block ${h}: ${JSON.stringify(x?.error)}`);
        out.push(x.result);
      }
    }
    return out;
  }

  // Every height 0..upTo: identical block hash, state root and transaction count on `ids`.
  async assertSameChain(ids, upTo) {
    const chains = await Promise.all(ids.map((i) => this.blocks(i, upTo)));
    let txs = 0;
    for (let h = 0; h <= upTo; h++) {
      const ref = chains[0][h];
      assert.equal(hexNum(ref.number), h);
      txs += ref.transactions.length;
      for (let k = 1; k < ids.length; k++) {
        const b = chains[k][h];
        assert.equal(b.hash, ref.hash, `block ${h}: node${ids[k]} hash ${b.hash} != node${ids[0]} ${ref.hash}`);
        assert.equal(b.stateRoot, ref.stateRoot, `block ${h}: node${ids[k]} state root differs from node${ids[0]}`);
        assert.equal(b.transactions.length, ref.transactions.length, `block ${h}: node${ids[k]} tx count differs`);
      }
    }
    return txs;
  }

  // The output of every process ever started for node i (or all nodes).
  logs(i) {
    return this.history.filter((h) => i === undefined || h.i === i).map((h) => h.node.output()).join('\n');
  }

  async killAll() {
    for (const n of this.nodes) if (n && !n.exit) await n.kill9();
  }

  // SIGTERM to every running node; each must exit 0.
  async stopAllCleanly() {
    for (const i of this.live()) {
      const r = await this.nodes[i].stop('SIGTERM');
      assert.equal(r.code, 0, `node${i}: ${JSON.stringify(r)}`);
    }
  }

  // A test's last step, passed or not: kill what still runs, keep every log if it failed.
  async teardown(failed) {
    await this.killAll();
    this.dumpOnFailure(failed);
  }

  // On failure: every process's output to DIR/nodeI.log (the scratch directory is kept), and the
  // tail of each node's last process on the console.
  dumpOnFailure(failed) {
    if (!failed) return;
    for (let i = 0; i < this.size; i++) {
      const text = this.history.filter((h) => h.i === i).map((h, k) => `=== process ${k} (pid ${h.node.pid})\n${h.node.output()}`);
      fs.writeFileSync(path.join(this.dir, `node${i}.log`), text.join('\n'));
    }
    console.log(`(full logs of every process in ${this.dir}/nodeI.log)`);
    for (let i = 0; i < this.size; i++)
      if (this.nodes[i]) console.log(`--- node${i} (last process) ---\n${this.nodes[i].output().slice(-3000)}`);
  }
}

// Keeps the files that identify a validator (keys, signing log, genesis, config), removes the rest
// of its home (the chain database).
export function wipeData(home) {
  const keep = new Set(['config.json', 'genesis.json', 'dev-accounts.json', 'node_key.json', 'validator_key.json',
                        'consensus']);
  for (const f of fs.readdirSync(home)) if (!keep.has(f)) fs.rmSync(path.join(home, f), { recursive: true, force: true });
}
