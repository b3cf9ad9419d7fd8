// An operator mistake with real processes: validator 3 of a 4-validator testnet is also run by a
// second process (a backup home with its own node key, ports and chain database, but a copy of
// validator 3's validator_key.json and a fresh signing log). The two processes sign conflicting
// votes for validator 3; the honest validators turn them into double-sign evidence, a block carries
// it, and staking slashes validator 3 by doubleSignSlashBps, jails and tombstones it and drops it
// from the active set. Asserted: the evidence is reported and included (validator 3 tombstoned:
// block evidence is the only way to it), the stake cut matches the parameter, an unbonding entry
// started before the infraction is not cut, the remaining three validators (75 % of the power)
// keep committing, and every process holds the same block hash and state root at every height.
//
// How the double sign comes about: each copy proposes at validator 3's turn and prevotes its own
// block first, so the copies conflict whenever their proposals differ. The backup's config.json has
// `maxTxsPerBlock: 1` (its operator's own setting) while transfers flow through the network, so
// at validator 3's first turn with two or more pending transfers the two copies propose different
// blocks (see docs/TESTING.md for why identical mempools and a shared second give identical ones).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Checker, binaries, hexNum, rpc, scratch, sleep, waitFor, waitReceipt } from './lib/harness.mjs';
import { Testnet, baseFee, chainId } from './lib/testnet.mjs';
import { UNIT, abiEncodeCall, hexToBytes, signTx } from './lib/eth.mjs';

const bin = binaries();
const c = new Checker('testnet_double_sign');
const tmp = scratch('testnet-double-sign');
const V = 4;
const OFFENDER = 3;  // validator index whose key is copied
const COPY = 4;      // the backup home (written as a follower, then given the copied key)
const honest = [0, 1, 2];
const everyone = [0, 1, 2, 3, 4];
const DELEGATOR = 19;  // dev account that delegates to validator 3 and starts unbonding early
let t;
let offender;       // validator 3's address (lower case)
let slashBps;       // doubleSignSlashBps
let tokensBefore;   // validator 3's bonded tokens before the copy starts (wei, BigInt)
let stakingAddr;
let unbondingBefore;
let tombstonedAt;   // first block at which node0 reported validator 3 tombstoned

const validatorOf = async (i, addr) => {
  const r = await rpc(t.url(i), 'tn_getValidators');
  return { all: r, v: r.validators.find((x) => x.address.toLowerCase() === addr) };
};

// getUnbondings(address) → (address validator, uint256 amount, uint256 completionTime)[]
async function unbondings(i, delegator) {
  const out = await rpc(t.url(i), 'eth_call', [{ to: stakingAddr, data: abiEncodeCall('getUnbondings(address)', [delegator]) }]);
  const b = hexToBytes(out);
  const word = (k) => BigInt('0x' + Buffer.from(b.slice(32 * k, 32 * k + 32)).toString('hex'));
  const n = Number(word(1));
  const list = [];
  for (let e = 0; e < n; e++)
    list.push({ validator: '0x' + word(2 + 3 * e).toString(16).padStart(40, '0'), amount: word(3 + 3 * e),
                completionTime: word(4 + 3 * e) });
  return list;
}

async function sendCall(via, from, data, value = 0n) {
  const a = t.accounts[from];
  await t.syncNonce(via, from);
  const tx = signTx({ type: 2, chainId, nonce: t.nonces[from]++, to: stakingAddr, value, data, gas: 300000,
                      maxFeePerGas: 2n * baseFee, maxPriorityFeePerGas: 1n }, a.privateKey);
  await rpc(t.url(via), 'eth_sendRawTransaction', [tx.raw]);
  const r = await waitReceipt(t.url(via), tx.hash, 20000);
  assert.equal(r.status, '0x1', `call ${data.slice(0, 10)} failed`);
  return r;
}

// Background load: a transfer every ~25 ms from a rotating dev account through an honest node.
let loadRunning = false, sentOk = 0, sendErrors = 0;
async function load() {
  let k = 0;
  while (loadRunning) {
    const via = honest[k % honest.length];
    const from = k++ % 10;
    try {
      await t.transfer(via, from);
      sentOk++;
    } catch {
      sendErrors++;
      try { await t.syncNonce(via, from); } catch { /* retried next time */ }
    }
    await sleep(25);
  }
}

// Lines of every process's output that report an equivocation by `addr`: {height, line}.
function evidenceLines(ids, addr) {
  const out = [];
  for (const i of ids)
    for (const line of t.logs(i).split('\n')) {
      const m = /validator (0x[0-9a-fA-F]{40}) (?:signed two \S+ votes|double-signed) at height (\d+)/.exec(line);
      if (m && m[1].toLowerCase() === addr) out.push({ node: i, height: Number(m[2]), line });
    }
  return out;
}

let loader;
try {
  await c.check('four validators commit blocks; stake and the double-sign fraction are read', async () => {
    t = await Testnet.create(bin, tmp.sub('net'), { validators: V, followers: 1, accounts: 20, commitDelayMs: 200 });
    const key = JSON.parse(fs.readFileSync(path.join(t.homes[OFFENDER], 'validator_key.json'), 'utf8'));
    offender = key.address.toLowerCase();
    await Promise.all([0, 1, 2, 3].map((i) => t.start(i)));
    await t.waitPeers([0, 1, 2, 3], V - 1);
    await t.waitHeight([0, 1, 2, 3], 2, 30000);
    const sp = await rpc(t.url(0), 'tn_getStakingParams');
    slashBps = BigInt(sp.params.doubleSignSlashBps);
    stakingAddr = sp.staking;
    assert.ok(slashBps > 0n && slashBps <= 10000n, `doubleSignSlashBps ${slashBps}`);
    const { all, v } = await validatorOf(0, offender);
    assert.ok(v, `validator ${offender} not in tn_getValidators`);
    assert.equal(v.status, 'active');
    assert.equal(all.active.members.length, V);
  });

  await c.check('a delegator of validator 3 starts unbonding before any double sign', async () => {
    const d = t.accounts[DELEGATOR].address;
    await sendCall(0, DELEGATOR, abiEncodeCall('delegate(address)', [offender]), 100n * UNIT);
    await sendCall(0, DELEGATOR, abiEncodeCall('undelegate(address,uint256)', [offender, 40n * UNIT]));
    // A receipt can be served a moment before eth_call sees that block's state (see the report in
    // docs/TESTING.md): wait for the entry rather than read once.
    unbondingBefore = await waitFor(async () => {
      const u = await unbondings(0, d);
      return u.length > 0 ? u : null;
    }, 5000, 'the unbonding entry in the state');
    assert.equal(unbondingBefore.length, 1);
    assert.equal(unbondingBefore[0].amount, 40n * UNIT);
    const { v } = await validatorOf(0, offender);
    tokensBefore = BigInt(v.tokens.wei);
    assert.ok(tokensBefore > 0n);
    console.log(`  validator 3 ${offender}: ${v.tokens.amount} UNIT bonded, doubleSignSlashBps ${slashBps}`);
  });

  await c.check("a second process runs with a copy of validator 3's key", async () => {
    const home = t.homes[COPY];
    assert.ok(!fs.existsSync(path.join(home, 'validator_key.json')), 'the backup home was written as a follower');
    fs.copyFileSync(path.join(t.homes[OFFENDER], 'validator_key.json'), path.join(home, 'validator_key.json'));
    fs.chmodSync(path.join(home, 'validator_key.json'), 0o600);
    const cfgFile = path.join(home, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
    cfg.maxTxsPerBlock = 1;  // the backup operator's setting: its blocks differ from validator 3's
    fs.writeFileSync(cfgFile, JSON.stringify(cfg));
    loadRunning = true;
    loader = load();
    await t.start(COPY);
    await waitFor(async () => String((await rpc(t.url(COPY), 'tn_getConsensusState')).self).toLowerCase() === offender,
                  10000, 'the backup to report validator 3 as itself (tn_getConsensusState.self)');
  });

  let evidenceHeight;
  await c.check('double-sign evidence is reported and a block carries it: validator 3 tombstoned', async () => {
    const t0 = Date.now();
    tombstonedAt = await waitFor(async () => {
      const { all, v } = await validatorOf(0, offender);
      return v.tombstoned ? all.block : null;
    }, 60000, 'validator 3 to be tombstoned');
    const found = evidenceLines(everyone, offender);
    assert.ok(found.length > 0, 'no process reported validator 3 equivocating');
    evidenceHeight = Math.min(...found.map((e) => e.height));
    const byHonest = evidenceLines(honest, offender);
    assert.ok(byHonest.length > 0, 'no honest validator detected the equivocation itself');
    console.log(`  equivocation at height ${evidenceHeight} (${found.length} reports, e.g. node${found[0].node}: ` +
                `${found[0].line.trim()}); tombstoned at block <= ${tombstonedAt}, ${Date.now() - t0} ms after the copy started`);
    const b = await rpc(t.url(0), 'eth_getBlockByNumber', ['0x' + evidenceHeight.toString(16), false]);
    console.log(`  block ${evidenceHeight}: proposer ${b.miner === offender ? 'validator 3' : b.miner}, ` +
                `${b.transactions.length} transactions, timestamp ${hexNum(b.timestamp)}`);
    // Staking acts only on a committed block's verified evidence, for a height below the block.
    assert.ok(tombstonedAt > evidenceHeight, `tombstoned at ${tombstonedAt}, equivocation at ${evidenceHeight}`);
  });

  await c.check('validator 3 is jailed, tombstoned, out of the set, its stake cut by the fraction', async () => {
    const expected = tokensBefore - (tokensBefore * slashBps) / 10000n;
    for (const i of honest) {
      const { all, v } = await validatorOf(i, offender);
      assert.equal(v.tombstoned, true, `node${i}`);
      assert.equal(v.jailed, true, `node${i}`);
      assert.equal(v.jailedUntil, 'forever', `node${i}`);
      assert.equal(v.status, 'tombstoned', `node${i}`);
      assert.equal(v.active, false, `node${i}`);
      assert.equal(BigInt(v.tokens.wei), expected,
                   `node${i}: tokens ${v.tokens.wei}, expected ${tokensBefore} - ${slashBps} bps = ${expected}`);
      assert.ok(all.active.members.every((m) => m.address.toLowerCase() !== offender), `node${i}: still active`);
      assert.equal(all.active.members.length, V - 1, `node${i}`);
      // The unbonding entry started before the infraction keeps its full amount.
      const u = await unbondings(i, t.accounts[DELEGATOR].address);
      assert.deepEqual(u, unbondingBefore, `node${i}: unbonding entry changed`);
    }
  });

  await c.check('the remaining three validators keep committing blocks, transfers included', async () => {
    await waitFor(async () => (await rpc(t.url(0), 'tn_getConsensusState')).validators.length === V - 1, 10000,
                  'node0 to run consensus with three validators');
    const start = await t.heights(honest);
    await waitFor(async () => (await t.heights(honest)).every((h, k) => h >= start[k] + 5), 30000,
                  'the honest validators to commit 5 more blocks');
    loadRunning = false;
    await loader;
    console.log(`  load: ${sentOk} transfers accepted, ${sendErrors} send errors`);
    for (const via of honest) {
      await t.syncNonce(via, via);
      const hash = await t.transfer(via, via);
      for (const i of honest) assert.equal((await waitReceipt(t.url(i), hash, 20000)).status, '0x1');
    }
  });

  await c.check('no two different blocks at one height: every process holds the same chain', async () => {
    // Both copies of validator 3 still follow the chain (as non-validators now).
    await t.waitHeight(everyone, Math.min(...(await t.heights(honest))), 20000);
    const common = Math.min(...(await t.heights(everyone)));
    const txs = await t.assertSameChain(everyone, common);
    console.log(`  ${common} blocks, ${txs} transactions compared on 5 processes`);
    assert.ok(common > tombstonedAt);
  });

  await c.check('every process stops cleanly on SIGTERM', async () => {
    await t.stopAllCleanly();
  });
} finally {
  loadRunning = false;
  if (loader) await loader.catch(() => {});
  if (t) await t.teardown(c.failed.length > 0);
  c.finish((ok) => tmp.cleanup(ok));
}
