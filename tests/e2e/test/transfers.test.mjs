// ethers.js v6 over HTTP: UNIT transfers signed by ethers Wallets (EIP-1559 and legacy), receipts,
// blocks and balances, fee data, a module read, error mapping, and JSON-RPC batches (ethers' own
// batching and a raw one).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Contract, FetchRequest, JsonRpcProvider, Network, Wallet, id, parseEther } from 'ethers';

import { ROLES, startDevNode } from '../lib/node.mjs';

describe('UNIT transfers with ethers v6 (HTTP)', { timeout: 60000 }, () => {
  let node, provider, alice, bob, carol;
  const requests = [];  // bodies ethers sent, to see its batching

  before(async () => {
    node = await startDevNode('transfers');
    const req = new FetchRequest(node.url);
    req.preflightFunc = async (r) => {
      requests.push(JSON.parse(Buffer.from(r.body).toString()));
      return r;
    };
    // cacheTimeout -1: ethers otherwise reuses a 'pending' nonce answer for 250 ms, too long for a
    // chain that seals a block as soon as a transaction arrives.
    provider = new JsonRpcProvider(req, undefined, { staticNetwork: Network.from(7357), batchMaxCount: 10, cacheTimeout: -1 });
    provider.pollingInterval = 50;
    [alice, bob, carol] = node.accounts.slice(1, 4).map((a) => new Wallet(a.privateKey, provider));
  });

  after(async () => {
    try {
      provider?.destroy();
    } finally {
      if (node) assert.deepEqual(await node.stop(), { code: 0, signal: null });
    }
  });

  it('sees the dev chain: chain id, block number, funded accounts', async () => {
    const net = await provider.getNetwork();
    assert.equal(net.chainId, 7357n);
    assert.equal(await provider.getBlockNumber(), 0);
    assert.equal(await provider.getBalance(alice.address), parseEther('1000000'));
    assert.equal(await provider.getTransactionCount(alice.address), 0);
    const fee = await provider.getFeeData();
    assert.ok(fee.gasPrice > 0n && fee.maxFeePerGas > 0n && fee.maxPriorityFeePerGas !== null);
  });

  it('sends an EIP-1559 transfer and reads its receipt, block and balances', async () => {
    const to = Wallet.createRandom().address;
    const before = await provider.getBalance(alice.address);
    const tx = await alice.sendTransaction({ to, value: parseEther('1.25') });
    assert.equal(tx.type, 2);
    const receipt = await tx.wait();
    assert.equal(receipt.status, 1);
    assert.equal(receipt.hash, tx.hash);
    assert.equal(receipt.gasUsed, 21000n);
    assert.equal(receipt.from, alice.address);
    assert.equal(await provider.getBalance(to), parseEther('1.25'));
    assert.equal(await provider.getBalance(alice.address), before - parseEther('1.25') - receipt.fee);
    assert.equal(await provider.getTransactionCount(alice.address), 1);

    const block = await provider.getBlock(receipt.blockNumber, true);
    assert.equal(block.hash, receipt.blockHash);
    assert.ok(block.transactions.includes(tx.hash));
    assert.equal(block.prefetchedTransactions[0].hash, tx.hash);
    const byHash = await provider.getBlock(receipt.blockHash);
    assert.equal(byHash.number, receipt.blockNumber);
    const parent = await provider.getBlock(receipt.blockNumber - 1);
    assert.equal(block.parentHash, parent.hash);
    const got = await provider.getTransaction(tx.hash);
    assert.equal(got.from, alice.address);
    assert.equal(got.to, to);
    assert.equal(got.value, parseEther('1.25'));
    assert.equal(got.blockNumber, receipt.blockNumber);
  });

  it('sends a legacy (type 0, EIP-155) transfer', async () => {
    const to = Wallet.createRandom().address;
    const { gasPrice } = await provider.getFeeData();
    const tx = await bob.sendTransaction({ type: 0, to, value: parseEther('0.5'), gasPrice });
    assert.equal(tx.type, 0);
    assert.equal(tx.chainId, 7357n);
    const receipt = await tx.wait();
    assert.equal(receipt.status, 1);
    assert.equal(receipt.type, 0);
    assert.equal(receipt.gasPrice, gasPrice);
    assert.equal(await provider.getBalance(to), parseEther('0.5'));
  });

  it('sends several transfers back to back with explicit nonces and waits for all', async () => {
    const to = Wallet.createRandom().address;
    let nonce = await provider.getTransactionCount(carol.address, 'pending');
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await carol.sendTransaction({ to, value: 1000n + BigInt(i), nonce: nonce++ }));
    const receipts = await Promise.all(sent.map((t) => t.wait()));
    assert.ok(receipts.every((r) => r.status === 1));
    assert.equal(await provider.getBalance(to), 5n * 1000n + 10n);
    assert.equal(await provider.getTransactionCount(carol.address), nonce);
  });

  it('estimates gas and reads a module with a Contract', async () => {
    assert.equal(await provider.estimateGas({ from: alice.address, to: bob.address, value: 1n }), 21000n);
    const roles = new Contract(ROLES, ['function hasRole(bytes32,address) view returns (bool)',
                                       'function FOUNDATION_MANAGER() view returns (bytes32)'], provider);
    const fm = await roles.FOUNDATION_MANAGER();
    assert.equal(fm, id('FOUNDATION_MANAGER'));
    assert.equal(await roles.hasRole(fm, node.accounts[0].address), true);
    assert.equal(await roles.hasRole(fm, alice.address), false);
  });

  it('maps the node\'s admission errors to ethers error codes', async () => {
    const poor = Wallet.createRandom().connect(provider);
    await assert.rejects(poor.sendTransaction({ to: alice.address, value: 1n, gasLimit: 21000n }),
                         (e) => e.code === 'INSUFFICIENT_FUNDS');
    await assert.rejects(alice.sendTransaction({ to: bob.address, value: 1n, nonce: 0, gasLimit: 21000n }),
                         (e) => e.code === 'NONCE_EXPIRED');
  });

  it('batches concurrent calls into one JSON-RPC batch (ethers batching)', async () => {
    requests.length = 0;
    const [n, b1, b2, c1] = await Promise.all([
      provider.getBlockNumber(), provider.getBalance(alice.address), provider.getBalance(bob.address),
      provider.getTransactionCount(carol.address),
    ]);
    assert.ok(n >= 1);
    assert.ok(b1 > 0n && b2 > 0n && c1 > 0);
    const batches = requests.filter((r) => Array.isArray(r) && r.length > 1);
    assert.ok(batches.length >= 1, `ethers sent a batch: ${JSON.stringify(requests)}`);
  });

  it('answers a raw JSON-RPC batch in full', async () => {
    const body = [
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', id: 2, method: 'eth_getBalance', params: [alice.address, 'latest'] },
      { jsonrpc: '2.0', id: 3, method: 'eth_getBlockByNumber', params: ['latest', false] },
      { jsonrpc: '2.0', id: 4, method: 'no_such_method', params: [] },
    ];
    const res = await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answers = await res.json();
    assert.equal(answers.length, 4);
    const byId = Object.fromEntries(answers.map((a) => [a.id, a]));
    assert.equal(byId[1].result, '0x1cbd');
    assert.equal(BigInt(byId[2].result), await provider.getBalance(alice.address));
    assert.match(byId[3].result.hash, /^0x[0-9a-f]{64}$/);
    assert.equal(byId[4].error.code, -32601);
  });
});
