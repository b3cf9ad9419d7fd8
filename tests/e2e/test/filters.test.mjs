// ethers.js v6 over HTTP, where events come from polling filters: Contract.on (eth_newFilter,
// eth_getFilterChanges, eth_uninstallFilter), provider.on('pending')
// (eth_newPendingTransactionFilter), and the raw block filter and its errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Contract, FetchRequest, JsonRpcProvider, Network, Wallet, id } from 'ethers';

import { MULSIG, startDevNode } from '../lib/node.mjs';

// A raw JSON-RPC call: the whole answer, errors included.
async function rpc(url, method, params = []) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return res.json();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ethers polls a filter once per new block it sees, and re-arms only after the poll: a block
// committed during a poll triggers nothing more. The dev chain seals blocks only for
// transactions, so until `done`, a small transfer now and then makes the next block that a busy
// chain would make anyway.
async function nudgeUntil(wallet, done, what) {
  for (let i = 0; i < 40 && !done(); ++i) {
    await sleep(250);
    if (!done()) await (await wallet.sendTransaction({ to: wallet.address, value: 1n })).wait();
  }
  assert.ok(done(), `timed out waiting for ${what}`);
}

describe('polling filters with ethers v6 JsonRpcProvider (HTTP)', { timeout: 60000 }, () => {
  let node, provider;
  const methods = [];  // the JSON-RPC methods ethers called, in order

  before(async () => {
    node = await startDevNode('filters');
    const req = new FetchRequest(node.url);
    req.preflightFunc = async (r) => {
      const body = JSON.parse(Buffer.from(r.body).toString());
      for (const call of Array.isArray(body) ? body : [body]) methods.push(call.method);
      return r;
    };
    provider = new JsonRpcProvider(req, undefined, { staticNetwork: Network.from(7357), cacheTimeout: -1 });
    provider.pollingInterval = 100;
  });

  after(async () => {
    try {
      provider?.destroy();
    } finally {
      if (node) assert.deepEqual(await node.stop(), { code: 0, signal: null });
    }
  });

  it('delivers a module event to Contract.on through eth_newFilter and eth_getFilterChanges', async () => {
    const fm = new Wallet(node.accounts[0].privateKey, provider);  // FOUNDATION_MANAGER in the dev genesis
    const abi = ['function proposeToSpendPenaltyPool(address to, uint256 amount) returns (bool)',
                 'event SpendPenaltyPool(uint256 id, address proposer, address to, uint256 amount)'];
    const mulsig = new Contract(MULSIG, abi, fm);
    const events = [];
    await mulsig.on('SpendPenaltyPool', (pid, proposer, dest, amount, ev) => events.push({ pid, proposer, dest, amount, ev }));
    // The filter must exist before the transaction is committed, or its log is before the filter.
    for (let i = 0; i < 100 && !methods.includes('eth_newFilter'); ++i) await sleep(20);
    assert.ok(methods.includes('eth_newFilter'), `ethers installed no filter: ${methods.join(', ')}`);
    const dests = [Wallet.createRandom().address, Wallet.createRandom().address];
    const receipts = [];
    for (const [k, to] of dests.entries()) {
      receipts.push(await (await mulsig.proposeToSpendPenaltyPool(to, 40n + BigInt(k))).wait());
    }
    await nudgeUntil(new Wallet(node.accounts[5].privateKey, provider), () => events.length >= 2, 'both events');
    await sleep(300);  // a duplicate would show here
    assert.equal(events.length, 2, 'both events, each once');
    for (const [k, e] of events.entries()) {
      assert.equal(e.proposer, fm.address);
      assert.equal(e.dest, dests[k]);
      assert.equal(e.amount, 40n + BigInt(k));
      assert.equal(e.ev.log.transactionHash, receipts[k].hash);
      assert.equal(e.ev.log.blockNumber, receipts[k].blockNumber);
    }
    assert.ok(methods.includes('eth_getFilterChanges'));
    assert.ok(!methods.includes('eth_getLogs'), 'ethers fell back to polling eth_getLogs');
    await mulsig.removeAllListeners();
    for (let i = 0; i < 100 && !methods.includes('eth_uninstallFilter'); ++i) await sleep(20);
    assert.ok(methods.includes('eth_uninstallFilter'));
  });

  it('delivers the hashes of submitted transactions to provider.on("pending")', async () => {
    const alice = new Wallet(node.accounts[1].privateKey, provider);
    const seen = new Set();
    await provider.on('pending', (hash) => seen.add(hash));
    for (let i = 0; i < 100 && !methods.includes('eth_newPendingTransactionFilter'); ++i) await sleep(20);
    const sent = [];
    for (let k = 0; k < 3; ++k) sent.push(await alice.sendTransaction({ to: Wallet.createRandom().address, value: 1n + BigInt(k) }));
    await Promise.all(sent.map((t) => t.wait()));
    await nudgeUntil(new Wallet(node.accounts[5].privateKey, provider), () => sent.every((t) => seen.has(t.hash)),
                     'the pending hashes');
    await provider.removeAllListeners('pending');
  });

  it('a raw block filter reports each committed block once; unknown ids are refused', async () => {
    const filter = (await rpc(node.url, 'eth_newBlockFilter')).result;
    assert.match(filter, /^0x[0-9a-f]{32}$/);
    assert.deepEqual((await rpc(node.url, 'eth_getFilterChanges', [filter])).result, []);
    const alice = new Wallet(node.accounts[1].privateKey, provider);
    const r1 = await (await alice.sendTransaction({ to: Wallet.createRandom().address, value: 5n })).wait();
    const r2 = await (await alice.sendTransaction({ to: Wallet.createRandom().address, value: 6n })).wait();
    const head = await provider.getBlockNumber();
    const hashes = (await rpc(node.url, 'eth_getFilterChanges', [filter])).result;
    const expected = [];
    for (let n = r1.blockNumber; n <= head; ++n) expected.push((await provider.getBlock(n)).hash);
    assert.deepEqual(hashes, expected);
    assert.ok(hashes.includes(r2.blockHash));
    assert.deepEqual((await rpc(node.url, 'eth_getFilterChanges', [filter])).result.filter((h) => expected.includes(h)), []);

    // A log filter's eth_getFilterLogs runs its range as eth_getLogs does.
    const topic = id('SpendPenaltyPool(uint256,address,address,uint256)');
    const logFilter = (await rpc(node.url, 'eth_newFilter', [{ fromBlock: '0x0', address: MULSIG, topics: [topic] }])).result;
    const all = (await rpc(node.url, 'eth_getFilterLogs', [logFilter])).result;
    assert.equal(all.length, 2, 'the two SpendPenaltyPool events of the first test');
    assert.deepEqual(all, await provider.send('eth_getLogs', [{ fromBlock: '0x0', address: MULSIG, topics: [topic] }]));

    assert.equal((await rpc(node.url, 'eth_uninstallFilter', [filter])).result, true);
    assert.equal((await rpc(node.url, 'eth_uninstallFilter', [filter])).result, false);
    const gone = await rpc(node.url, 'eth_getFilterChanges', [filter]);
    assert.deepEqual(gone.error, { code: -32000, message: 'filter not found' });
    const blockHash = await rpc(node.url, 'eth_newFilter', [{ blockHash: r1.blockHash }]);
    assert.equal(blockHash.error.code, -32602);
  });
});
