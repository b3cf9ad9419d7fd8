// Crash test: stream signed transfers into a dev node and kill -9 it at random instants while it
// commits, several times (and once SIGTERM, which must stop it cleanly with exit 0). After every restart, each block (hash, state root) and each balance
// snapshot the node had reported over RPC before the kill must still be there, the balances must
// follow from the committed blocks, and the chain must go on. Finally `treasurenetd replay` into
// an empty home must reproduce every state root and block hash.
//
// Iterations: env TN_CRASH_ITERATIONS (default 6).
import assert from 'node:assert/strict';

import { Checker, NodeProcess, binaries, devAccounts, hexNum, rpc, rpcRaw, run, scratch, sleep,
         waitReceipt } from './lib/harness.mjs';
import { UNIT, signTx } from './lib/eth.mjs';

const bin = binaries();
const c = new Checker('crash_recovery');
const tmp = scratch('crash');
const home = tmp.sub('home');
const ITERATIONS = Number(process.env.TN_CRASH_ITERATIONS ?? 6);
const chainId = 7357n;
const baseFee = 1_000_000_000n;
const hex = (n) => '0x' + n.toString(16);

let accounts, senders, tracked;
const blocks = new Map();  // number -> {hash, stateRoot}: every block the node reported
const snapshots = [];      // {height, balances: {addr: bigint}} read atomically (see snapshot())
let totalSent = 0;

// Batch helper: answers in request order; throws on any error answer.
async function batch(url, calls) {
  const out = [];
  for (let i = 0; i < calls.length; i += 500) {
    const chunk = calls.slice(i, i + 500).map(([method, params], j) => ({ jsonrpc: '2.0', id: i + j, method, params }));
    const r = await rpcRaw(url, chunk);
    if (!Array.isArray(r.json)) throw new Error(`batch failed: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    const byId = new Map(r.json.map((x) => [x.id, x]));
    for (let j = 0; j < chunk.length; j++) {
      const a = byId.get(i + j);
      if (!a || a.error) throw new Error(`${chunk[j].method}: ${JSON.stringify(a?.error)}`);
      out.push(a.result);
    }
  }
  return out;
}

// Balances of the tracked accounts at one height: the batch is answered in order on one
// connection, so equal block numbers before and after mean no commit happened in between.
async function snapshot(url) {
  const r = await batch(url, [['eth_blockNumber', []], ...tracked.map((a) => ['eth_getBalance', [a, 'latest']]),
                              ['eth_blockNumber', []]]);
  if (r[0] !== r[r.length - 1]) return null;
  return { height: hexNum(r[0]), balances: Object.fromEntries(tracked.map((a, i) => [a, BigInt(r[i + 1])])) };
}

// The balances implied by the committed chain: genesis allocation plus every transaction's
// value and fee, per height. Returns {head, at(height) -> balances of the tracked accounts}.
async function replayBalances(url) {
  const head = hexNum(await rpc(url, 'eth_blockNumber'));
  const nums = Array.from({ length: head }, (_, i) => i + 1);
  const full = await batch(url, nums.map((n) => ['eth_getBlockByNumber', [hex(n), true]]));
  const txs = full.flatMap((b) => b.transactions);
  const receipts = await batch(url, txs.map((t) => ['eth_getTransactionReceipt', [t.hash]]));
  const receiptOf = new Map(receipts.map((r) => [r.transactionHash, r]));
  const bal = Object.fromEntries(tracked.map((a) => [a, accounts.some((d) => d.address.toLowerCase() === a) ? 1_000_000n * UNIT : 0n]));
  const history = [{ ...bal }];  // index = height
  for (const b of full) {
    for (const t of b.transactions) {
      const r = receiptOf.get(t.hash);
      assert.ok(r, `receipt of ${t.hash}`);
      assert.equal(r.blockHash, b.hash, `receipt of ${t.hash} points at its block`);
      const from = t.from.toLowerCase(), to = t.to.toLowerCase();
      const fee = BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice);
      if (from in bal) bal[from] -= fee + (r.status === '0x1' ? BigInt(t.value) : 0n);
      if (r.status === '0x1' && to in bal) bal[to] += BigInt(t.value);
    }
    history.push({ ...bal });
  }
  return { head, full, at: (h) => history[h] };
}

// Everything reported before must still be there, and the state must follow from the blocks.
async function verify(url, label) {
  const recorded = [...blocks.keys()].sort((a, b) => a - b);
  const model = await replayBalances(url);
  const maxRecorded = recorded.length ? recorded[recorded.length - 1] : 0;
  assert.ok(model.head >= maxRecorded, `${label}: head ${model.head} is below the reported block ${maxRecorded}`);
  for (const n of recorded) {
    const b = model.full[n - 1];
    assert.equal(b.hash, blocks.get(n).hash, `${label}: block ${n} changed`);
    assert.equal(b.stateRoot, blocks.get(n).stateRoot, `${label}: state root of block ${n} changed`);
  }
  for (const s of snapshots) {
    assert.ok(s.height <= model.head);
    assert.deepEqual(model.at(s.height), s.balances, `${label}: balances reported at height ${s.height} differ`);
  }
  const now = await snapshot(url);  // nothing is being sent: the head is still
  assert.ok(now, 'stable head');
  assert.equal(now.height, model.head);
  assert.deepEqual(now.balances, model.at(model.head), `${label}: the current balances do not follow from the blocks`);
  for (let n = 1; n <= model.head; n++) blocks.set(n, { hash: model.full[n - 1].hash, stateRoot: model.full[n - 1].stateRoot });
  return model.head;
}

// Streams transfers from every sender until `state.running` turns false; observes blocks and
// balance snapshots meanwhile. Errors once `state.killed` is set (connection refused/reset) are
// expected; any earlier one is a failure.
async function stream(url, state) {
  const nonces = await batch(url, senders.map((s) => ['eth_getTransactionCount', [s.address, 'latest']]));
  const errors = [];
  const send = async (s, nonce) => {
    while (state.running) {
      const to = tracked[Math.floor(Math.random() * tracked.length)];
      const value = BigInt(1 + Math.floor(Math.random() * 1000)) * 10n ** 15n;
      const t = signTx({ type: Math.random() < 0.3 ? 0 : 2, chainId, nonce, to, value, gas: 21000,
                         gasPrice: 2n * baseFee, maxFeePerGas: 2n * baseFee, maxPriorityFeePerGas: 1n + BigInt(nonce % 3) },
                       s.privateKey);
      try {
        await rpc(url, 'eth_sendRawTransaction', [t.raw]);
        nonce++;
        totalSent++;
      } catch (e) {
        if (!state.killed) errors.push(e);
        return;
      }
      await sleep(0);
    }
  };
  const observe = async () => {
    while (state.running) {
      try {
        const s = await snapshot(url);
        if (s) snapshots.push(s);
        const head = hexNum(await rpc(url, 'eth_blockNumber'));
        const first = Math.max(0, ...blocks.keys()) + 1;
        const nums = Array.from({ length: Math.max(0, head - first + 1) }, (_, i) => first + i);
        const got = await batch(url, nums.map((n) => ['eth_getBlockByNumber', [hex(n), false]]));
        for (const b of got) blocks.set(hexNum(b.number), { hash: b.hash, stateRoot: b.stateRoot });
      } catch (e) {
        if (!state.killed) errors.push(e);
        return;
      }
      await sleep(5);
    }
  };
  const tasks = [...senders.map((s, i) => send(s, hexNum(nonces[i]))), observe()];
  return { done: Promise.all(tasks), errors };
}

let node;
await c.check('dev node starts; accounts are tracked', async () => {
  node = await NodeProcess.start(bin.treasurenetd, 'dev', home);
  accounts = devAccounts(home);
  senders = accounts.slice(1, 5);
  tracked = [...accounts.slice(1, 9).map((a) => a.address.toLowerCase()),
             '0x' + '77'.repeat(20), '0x' + '88'.repeat(20)];
});

for (let iter = 1; iter <= ITERATIONS && node; iter++) {
  const ok = await c.check(`iteration ${iter}: stream transfers, kill -9 while committing, restart, verify`, async () => {
    if (!node) node = await NodeProcess.start(bin.treasurenetd, 'dev', home);
    const startHead = await verify(node.url, `restart ${iter - 1}`);
    const state = { running: true, killed: false };
    const s = await stream(node.url, state);
    // Let blocks flow, then kill at a random instant.
    await waitUntilHeight(node.url, startHead + 3);
    const delay = 100 + Math.floor(Math.random() * 700);
    await sleep(delay);
    const reported = Math.max(...blocks.keys());
    state.killed = true;  // from here on, failing requests are expected
    await node.kill9();
    state.running = false;
    await s.done;
    assert.deepEqual(s.errors, [], 'no RPC error while the node was up');
    assert.equal(node.exit.signal, 'SIGKILL');
    assert.ok(reported > startHead, `the chain advanced (${startHead} -> ${reported})`);
    console.log(`  iteration ${iter}: killed ${delay} ms into streaming at reported height ${reported} ` +
                `(${totalSent} transactions sent so far, ${snapshots.length} balance snapshots)`);
    node = await NodeProcess.start(bin.treasurenetd, 'dev', home);
    assert.match(node.stdout, /resuming/);
    const head = await verify(node.url, `restart ${iter}`);
    assert.ok(head >= reported);
  });
  if (!ok) break;
}

async function waitUntilHeight(url, h) {
  const deadline = Date.now() + 15000;
  while (hexNum(await rpc(url, 'eth_blockNumber')) < h) {
    if (Date.now() > deadline) throw new Error(`the chain did not reach height ${h}`);
    await sleep(10);
  }
}

await c.check('SIGTERM while transfers stream in: exit 0, and nothing reported is lost', async () => {
  if (!node || node.exit) node = await NodeProcess.start(bin.treasurenetd, 'dev', home);
  const startHead = await verify(node.url, 'before SIGTERM');
  const state = { running: true, killed: false };
  const s = await stream(node.url, state);
  await waitUntilHeight(node.url, startHead + 3);
  await sleep(Math.floor(Math.random() * 300));
  const reported = Math.max(...blocks.keys());
  state.killed = true;
  const exit = await node.stop('SIGTERM');
  state.running = false;
  await s.done;
  assert.deepEqual(s.errors, [], 'no RPC error while the node was up');
  assert.deepEqual(exit, { code: 0, signal: null }, node.output());
  const stopped = Number(/stopped at block (\d+)/.exec(node.stdout)?.[1]);
  assert.ok(stopped >= reported, `stopped at ${stopped}, reported ${reported}`);
  node = await NodeProcess.start(bin.treasurenetd, 'dev', home);
  assert.equal(await verify(node.url, 'after SIGTERM'), stopped, 'resumes at the block it said it stopped at');
});

let finalHead;
await c.check('after the crashes the chain continues on top of the last block, and stops cleanly', async () => {
  if (!node || node.exit) node = await NodeProcess.start(bin.treasurenetd, 'dev', home);
  const head = await verify(node.url, 'final');
  const s = senders[0];
  const nonce = hexNum(await rpc(node.url, 'eth_getTransactionCount', [s.address, 'latest']));
  const t = signTx({ type: 2, chainId, nonce, to: tracked[5], value: UNIT, maxFeePerGas: 2n * baseFee }, s.privateKey);
  await rpc(node.url, 'eth_sendRawTransaction', [t.raw]);
  const r = await waitReceipt(node.url, t.hash);
  assert.equal(hexNum(r.blockNumber), head + 1);
  const b = await rpc(node.url, 'eth_getBlockByNumber', [r.blockNumber, false]);
  assert.equal(b.parentHash, blocks.get(head).hash);
  finalHead = await verify(node.url, 'final+1');
  assert.deepEqual(await node.stop('SIGTERM'), { code: 0, signal: null }, node.output());
  console.log(`  final height ${finalHead}, ${totalSent + 1} transactions sent, ${snapshots.length} snapshots checked`);
});

await c.check('`treasurenetd replay` into an empty home reproduces every state root and block', async () => {
  if (node && !node.exit) await node.stop('SIGTERM');  // after an earlier failure
  const target = tmp.sub('replayed');
  const r = await run(bin.treasurenetd, ['replay', '--source', home, '--home', target], { timeoutMs: 120000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`replayed ${finalHead} blocks; every state root matches`));
  const n = await NodeProcess.start(bin.treasurenetd, 'start', target);
  try {
    const nums = Array.from({ length: finalHead }, (_, i) => i + 1);
    const got = await batch(n.url, nums.map((k) => ['eth_getBlockByNumber', [hex(k), false]]));
    for (const b of got) {
      const want = blocks.get(hexNum(b.number));
      assert.equal(b.hash, want.hash, `replayed block ${hexNum(b.number)}`);
      assert.equal(b.stateRoot, want.stateRoot);
    }
    assert.equal(hexNum(await rpc(n.url, 'eth_blockNumber')), finalHead);
  } finally {
    await n.stop('SIGTERM');
  }
});

if (node && !node.exit) await node.kill9();
c.finish((ok) => tmp.cleanup(ok));
