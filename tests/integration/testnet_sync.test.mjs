// Block sync with real processes: four validators commit blocks with transactions; then (1) a
// follower (a node of the same genesis without a validator key, `treasurenetd testnet
// --followers 1`) started late reaches the tip and holds the same chain at every height; (2) a
// validator whose chain database was wiped (keys and signing log kept) syncs back from genesis,
// takes part in consensus again, and also holds the same chain at every height.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Checker, binaries, hexNum, rpc, scratch, sleep, waitReceipt } from './lib/harness.mjs';
import { Testnet, wipeData } from './lib/testnet.mjs';

const bin = binaries();
const c = new Checker('testnet_sync');
const tmp = scratch('testnet-sync');
const V = 4, FOLLOWER = 4;
const validators = [0, 1, 2, 3];
let t;

// `count` transfers from distinct dev accounts through the validators in turn; waits for them all.
async function transfers(count, firstAccount, via = validators) {
  const hashes = [];
  for (let k = 0; k < count; k++) hashes.push(await t.transfer(via[k % via.length], firstAccount + k));
  for (const h of hashes) assert.equal((await waitReceipt(t.url(via[0]), h, 30000)).status, '0x1');
  return hashes;
}

try {
  await c.check('testnet --followers 1 writes four validator homes and one follower home', async () => {
    t = await Testnet.create(bin, tmp.sub('net'), { validators: V, followers: 1, accounts: 20 });
    for (let i = 0; i < V; i++) assert.ok(fs.existsSync(path.join(t.homes[i], 'validator_key.json')));
    assert.ok(fs.existsSync(path.join(t.homes[FOLLOWER], 'node_key.json')));
    assert.ok(!fs.existsSync(path.join(t.homes[FOLLOWER], 'validator_key.json')), 'a follower has no validator key');
    const cfg = JSON.parse(fs.readFileSync(path.join(t.homes[FOLLOWER], 'config.json'), 'utf8'));
    assert.equal(cfg.p2p.persistentPeers.length, V);
    assert.equal(cfg.consensus.timeoutProposeMs, 1000);
    const genesis = JSON.parse(fs.readFileSync(path.join(t.dir, 'genesis.json'), 'utf8'));
    assert.equal(genesis.validators.length, V, 'the follower is not a validator');
  });

  let sent = [];
  await c.check('four validators commit blocks with transactions', async () => {
    await Promise.all(validators.map((i) => t.start(i)));
    await t.waitPeers(validators, V - 1);
    sent = sent.concat(await transfers(8, 0));
    sent = sent.concat(await transfers(8, 8));
    // Enough blocks that the syncing nodes below fetch a real history (about 2.5 blocks/s).
    await t.waitHeight(validators, 20, 40000);
    sent = sent.concat(await transfers(8, 0));
  });

  await c.check('a follower started late syncs to the tip: same hash and state root at every height', async () => {
    const tip = Math.max(...(await t.heights(validators)));
    assert.ok(tip >= 5, `tip ${tip}`);
    const t0 = Date.now();
    await t.start(FOLLOWER);
    await t.waitHeight([FOLLOWER], tip, 60000, `the follower to reach the tip ${tip}`);
    console.log(`  follower reached height ${tip} in ${Date.now() - t0} ms`);
    // It keeps following: new blocks with transactions reach it too.
    const more = await transfers(4, 16);
    for (const h of sent.concat(more)) {
      const r = await waitReceipt(t.url(FOLLOWER), h, 20000);
      assert.equal(r.status, '0x1');
    }
    const common = Math.min(...(await t.heights([...validators, FOLLOWER])));
    const txs = await t.assertSameChain([0, 1, 2, 3, FOLLOWER], common);
    assert.ok(txs >= 20, `only ${txs} transactions in blocks 0..${common}`);
    assert.ok(hexNum(await rpc(t.url(FOLLOWER), 'net_peerCount')) >= 1);
  });

  const victim = 3;
  await c.check('a validator whose data directory was wiped (keys and signing log kept) syncs back', async () => {
    const r = await t.nodes[victim].stop('SIGTERM');
    assert.equal(r.code, 0);
    assert.ok(fs.existsSync(path.join(t.homes[victim], 'data')), 'the home has a data directory');
    wipeData(t.homes[victim]);
    assert.ok(fs.existsSync(path.join(t.homes[victim], 'consensus', 'signlog.wal')), 'the signing log is kept');
    assert.ok(!fs.existsSync(path.join(t.homes[victim], 'data')), 'the chain database is gone');
    // The chain goes on with three meanwhile.
    await transfers(3, 0, [0, 1, 2]);
    const tip = Math.max(...(await t.heights([0, 1, 2])));
    const t0 = Date.now();
    await t.start(victim);
    await t.waitHeight([victim], tip, 60000, `the wiped validator to reach ${tip}`);
    console.log(`  wiped validator synced ${tip} blocks in ${Date.now() - t0} ms`);
    const common = Math.min(...(await t.heights([0, 1, 2, victim, FOLLOWER])));
    await t.assertSameChain([0, 1, 2, victim, FOLLOWER], common);
  });

  // With node2 down the chain needs node3's votes. Known to fail in about 7 runs of 10: votes of
  // the height the peers were deciding while node3 synced were dropped by its engine as too far
  // ahead, but its p2p host had already marked them seen, so their re-gossip never reaches the
  // engine and node3 never sees the nil prevotes/precommits of round 0 (see the report in
  // docs/NETWORK.md, "Known issue").
  await c.check('the resynced validator votes again: the chain goes on with node2 down', async () => {
    await t.nodes[2].kill9();
    const h = Math.max(...(await t.heights([0, 1, victim])));
    try {
      await t.waitHeight([0, 1, victim], h + 3, 30000, 'the chain to go on with node3 instead of node2');
    } catch (e) {
      for (const i of [0, 1, victim])
        console.log(`  node${i} tn_getConsensusState: ${JSON.stringify(await rpc(t.url(i), 'tn_getConsensusState'))
          .replace(/"validators":\[[^\]]*\],/, '')}`);
      throw e;
    }
    await t.syncNonce(victim, 5);
    const tx = await t.transfer(victim, 5);
    assert.equal((await waitReceipt(t.url(0), tx, 30000)).status, '0x1');
  });

  await c.check('with node2 back every node holds the same chain', async () => {
    if (!t.nodes[2] || t.nodes[2].exit) await t.start(2);
    const h = Math.max(...(await t.heights([0, 1, victim])));
    await t.waitHeight([0, 1, 2, victim, FOLLOWER], h + 2, 40000);
    const common = Math.min(...(await t.heights([0, 1, 2, victim, FOLLOWER])));
    await t.assertSameChain([0, 1, 2, victim, FOLLOWER], common);
  });

  await c.check('no node reports a double sign', async () => {
    const logs = t.logs();
    assert.ok(!/signed two/.test(logs), 'a node logged an equivocation');
    assert.ok(!/double-signed/.test(logs), 'a node received double-sign evidence');
  });

  await c.check('nodes stop cleanly on SIGTERM', async () => {
    await t.stopAllCleanly();
  });
} finally {
  if (t) await t.teardown(c.failed.length > 0);
  await sleep(0);
  c.finish((ok) => tmp.cleanup(ok));
}
