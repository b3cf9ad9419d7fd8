// ethers.js v6 over WebSocket: `newHeads` (provider.on('block')), `newPendingTransactions`
// (provider.on('pending')) and `logs` subscriptions (a Contract event and a raw filter) while
// transactions are sent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Contract, Network, Wallet, WebSocketProvider, id, parseEther } from 'ethers';

import { MULSIG, startDevNode } from '../lib/node.mjs';

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms); }),
  ]);
}

describe('subscriptions with ethers v6 WebSocketProvider', { timeout: 60000 }, () => {
  let node, ws;

  before(async () => {
    node = await startDevNode('subs');
    // cacheTimeout -1: ethers otherwise reuses a 'pending' nonce answer for 250 ms, too long for a
    // chain that seals a block as soon as a transaction arrives.
    ws = new WebSocketProvider(node.wsUrl, Network.from(7357), { cacheTimeout: -1 });
    await ws.getBlockNumber();  // connected
  });

  after(async () => {
    try {
      if (ws) await ws.destroy();
    } finally {
      if (node) assert.deepEqual(await node.stop(), { code: 0, signal: null });
    }
  });

  it('answers plain requests over the WebSocket', async () => {
    assert.equal((await ws.getNetwork()).chainId, 7357n);
    assert.equal(await ws.getBalance(node.accounts[1].address), parseEther('1000000'));
  });

  it('delivers newHeads as blocks are committed', async () => {
    const wallet = new Wallet(node.accounts[1].privateKey, ws);
    const start = await ws.getBlockNumber();
    const heads = [];
    const got = new Promise((resolve) => {
      ws.on('block', (n) => {
        heads.push(n);
        if (heads.length >= 2) resolve();
      });
    });
    // Let the subscription reach the node before the blocks are sealed.
    await new Promise((r) => setTimeout(r, 200));
    const t1 = await wallet.sendTransaction({ to: Wallet.createRandom().address, value: 1n });
    const r1 = await t1.wait();
    const t2 = await wallet.sendTransaction({ to: Wallet.createRandom().address, value: 2n });
    const r2 = await t2.wait();
    await withTimeout(got, 10000, 'two newHeads notifications');
    await ws.off('block');
    assert.ok(heads.includes(r1.blockNumber), `heads ${heads} include ${r1.blockNumber}`);
    assert.ok(heads.includes(r2.blockNumber), `heads ${heads} include ${r2.blockNumber}`);
    assert.ok(heads.every((n) => n > start));
  });

  it('delivers the raw eth_subscription newHeads payload with the block header', async () => {
    // Directly, without ethers' subscriber, to see the header fields.
    const { WebSocket } = await import('ws');
    const sock = new WebSocket(node.wsUrl);
    await new Promise((res, rej) => { sock.on('open', res); sock.on('error', rej); });
    const messages = [];
    sock.on('message', (m) => messages.push(JSON.parse(m.toString())));
    sock.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
    const wait = async (pred, what) => {
      const deadline = Date.now() + 10000;
      for (;;) {
        const m = messages.find(pred);
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const subId = (await wait((m) => m.id === 1, 'the subscription id')).result;
    assert.match(subId, /^0x[0-9a-f]+$/);
    const wallet = new Wallet(node.accounts[2].privateKey, ws);
    const r = await (await wallet.sendTransaction({ to: Wallet.createRandom().address, value: 3n })).wait();
    const note = await wait((m) => m.method === 'eth_subscription' && Number(m.params.result.number) === r.blockNumber,
                            'the newHeads notification');
    assert.equal(note.params.subscription, subId);
    assert.equal(note.params.result.hash, r.blockHash);
    sock.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_unsubscribe', params: [subId] }));
    assert.equal((await wait((m) => m.id === 2, 'the unsubscribe answer')).result, true);
    sock.close();
  });

  it('delivers the hashes of submitted transactions to provider.on("pending")', async () => {
    const alice = new Wallet(node.accounts[2].privateKey, ws);
    const seen = new Set();
    await ws.on('pending', (hash) => seen.add(hash));
    await new Promise((r) => setTimeout(r, 200));  // the subscription is in place
    const sent = [];
    for (let k = 0; k < 3; ++k) sent.push(await alice.sendTransaction({ to: Wallet.createRandom().address, value: 1n + BigInt(k) }));
    await Promise.all(sent.map((t) => t.wait()));
    await withTimeout((async () => {
      while (!sent.every((t) => seen.has(t.hash))) await new Promise((r) => setTimeout(r, 25));
    })(), 10000, 'the pending hashes');
    await ws.removeAllListeners('pending');
  });

  it('delivers logs of a module event (Contract.on and a raw filter)', async () => {
    const fm = new Wallet(node.accounts[0].privateKey, ws);  // FOUNDATION_MANAGER in the dev genesis
    const abi = ['function proposeToSpendPenaltyPool(address to, uint256 amount) returns (bool)',
                 'event SpendPenaltyPool(uint256 id, address proposer, address to, uint256 amount)'];
    const mulsig = new Contract(MULSIG, abi, fm);
    const to = Wallet.createRandom().address;
    const fromContract = new Promise((resolve) => {
      mulsig.on('SpendPenaltyPool', (pid, proposer, dest, amount, ev) => resolve({ pid, proposer, dest, amount, ev }));
    });
    const topic = id('SpendPenaltyPool(uint256,address,address,uint256)');
    const fromFilter = new Promise((resolve) => ws.on({ address: MULSIG, topics: [topic] }, (log) => resolve(log)));
    await new Promise((r) => setTimeout(r, 200));
    const tx = await mulsig.proposeToSpendPenaltyPool(to, 42n);
    const receipt = await tx.wait();
    assert.equal(receipt.status, 1);
    assert.equal(receipt.logs.length, 1);
    const e = await withTimeout(fromContract, 10000, 'the SpendPenaltyPool event');
    assert.equal(e.proposer, fm.address);
    assert.equal(e.dest, to);
    assert.equal(e.amount, 42n);
    assert.equal(e.ev.log.transactionHash, tx.hash);
    const log = await withTimeout(fromFilter, 10000, 'the filtered log');
    assert.equal(log.transactionHash, tx.hash);
    assert.equal(log.blockNumber, receipt.blockNumber);
    assert.equal(log.topics[0], topic);
    await mulsig.removeAllListeners();
    await ws.removeAllListeners();
    // The same log through eth_getLogs.
    const logs = await ws.getLogs({ address: MULSIG, fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber });
    assert.equal(logs.length, 1);
    assert.equal(logs[0].transactionHash, tx.hash);
  });
});
