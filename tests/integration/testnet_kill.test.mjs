// Crash faults with real processes: a validator of four is killed with SIGKILL at random instants
// (8 kills, 0-1.5 s after each restart, the victim chosen at random each time) while transfers
// keep flowing through the live nodes; each time it is restarted from its home (chain database
// and signing log as the kill left them). Then the whole network is killed at once, 3 times at
// random instants (a power cut of every machine), and restarted. No node may ever log an equivocation (the engine's
// "signed two … votes" evidence report or double-sign evidence from a peer), and at the end the
// chain still commits, with the same block hash and state root at every height on every node.
// The generator is seeded: TN_KILL_SEED=<n> repeats a run (the seed is printed).
import assert from 'node:assert/strict';

import { Checker, binaries, rpc, scratch, sleep, waitReceipt } from './lib/harness.mjs';
import { Testnet, seededRandom } from './lib/testnet.mjs';

const bin = binaries();
const c = new Checker('testnet_kill');
const tmp = scratch('testnet-kill');
const V = 4;
const KILLS = Number(process.env.TN_KILL_COUNT ?? 8);
const seed = Number(process.env.TN_KILL_SEED ?? (Date.now() % 2 ** 31));
console.log(`testnet_kill: seed ${seed} (rerun with TN_KILL_SEED=${seed})`);
const random = seededRandom(seed);
const all = [0, 1, 2, 3];
let t;

// Background load: one transfer every ~40 ms from a rotating dev account through a random live
// node. Sends to a node being killed fail, and a restarted node's pool is empty: errors are
// counted, not fatal (the nonce is re-read from the node after a failure).
let loadRunning = true, sentOk = 0, sendErrors = 0;
async function load() {
  let k = 0;
  while (loadRunning) {
    const live = t.live();
    const via = live[Math.floor(random() * live.length)];
    const from = k++ % t.accounts.length;
    try {
      await t.transfer(via, from);
      sentOk++;
    } catch {
      sendErrors++;
      try { await t.syncNonce(t.live()[0], from); } catch { /* retried next time */ }
    }
    await sleep(40);
  }
}

try {
  await c.check('four validators commit blocks', async () => {
    t = await Testnet.create(bin, tmp.sub('net'), { validators: V, accounts: 20, commitDelayMs: 100 });
    await Promise.all(all.map((i) => t.start(i)));
    await t.waitPeers(all, V - 1);
    await t.waitHeight(all, 3, 30000);
  });

  const loader = load();
  await c.check(`${KILLS} SIGKILLs of a random validator at random instants, each restarted`, async () => {
    for (let k = 0; k < KILLS; k++) {
      const victim = all[Math.floor(random() * all.length)];
      const delay = Math.floor(random() * 1500);
      await sleep(delay);
      const before = await t.height(victim).catch(() => -1);
      await t.nodes[victim].kill9();
      console.log(`  kill ${k + 1}: node${victim} after ${delay} ms at height ${before}`);
      await t.start(victim);
    }
  });

  const NETWORK_KILLS = 3;
  await c.check(`${NETWORK_KILLS} SIGKILLs of all four validators at once, at random instants, each restarted`,
                async () => {
    for (let k = 0; k < NETWORK_KILLS; k++) {
      const delay = Math.floor(random() * 1500);
      await sleep(delay);
      const before = Math.max(...(await t.heights(all).catch(() => [-1])));
      await Promise.all(all.map((i) => t.nodes[i].kill9()));
      console.log(`  network kill ${k + 1}: after ${delay} ms at height ${before}`);
      await Promise.all(all.map((i) => t.start(i)));
      // Consensus runs again before the next cut, which then falls somewhere inside a height.
      await t.waitHeight(all, before + 1, 30000, `the restarted network to commit past height ${before}`);
    }
  });

  await c.check('after the kills the chain commits again on every node, transfers included', async () => {
    const h = Math.max(...(await t.heights(all)));
    await t.waitHeight(all, h + 3, 60000, `every node to pass height ${h + 3}`);
    loadRunning = false;
    await loader;
    console.log(`  load: ${sentOk} transfers accepted, ${sendErrors} send errors`);
    assert.ok(sentOk > 20, `only ${sentOk} transfers were accepted`);
    for (const via of all) {
      await t.syncNonce(via, via);
      const hash = await t.transfer(via, via);
      for (const i of all) assert.equal((await waitReceipt(t.url(i), hash, 30000)).status, '0x1');
    }
  });

  await c.check('every node holds the same chain: hash and state root at every height', async () => {
    const common = Math.min(...(await t.heights(all)));
    const txs = await t.assertSameChain(all, common);
    console.log(`  ${common} blocks, ${txs} transactions compared on 4 nodes`);
    assert.ok(txs > 20, `only ${txs} transactions committed`);
  });

  await c.check('no validator double-signed (no equivocation logged by any process)', async () => {
    const logs = t.logs();
    const lines = logs.split('\n').filter((l) => /signed two|double-signed|evidence/.test(l));
    assert.deepEqual(lines, [], 'equivocation reported');
    // The kills really hit running validators: each restart resumed from the signing log.
    assert.equal(t.history.length, V + KILLS + NETWORK_KILLS * V);
  });

  await c.check('validators stop cleanly on SIGTERM', async () => {
    await t.stopAllCleanly();
  });
} finally {
  loadRunning = false;
  if (t) await t.teardown(c.failed.length > 0);
  if (c.failed.length) console.log(`testnet_kill: seed ${seed}`);
  c.finish((ok) => tmp.cleanup(ok));
}
