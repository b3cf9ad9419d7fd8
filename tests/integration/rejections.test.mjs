// Integration: every transaction admission rejection answers with a clear JSON-RPC error and
// changes nothing (no block, no balance or nonce change, the transaction stays unknown).
import assert from 'node:assert/strict';

import { Checker, NodeProcess, binaries, devAccounts, hexNum, rpc, rpcError, scratch, sleep,
         waitReceipt } from './lib/harness.mjs';
import { UNIT, bytesToHex, keccak256, signTx } from './lib/eth.mjs';

const bin = binaries();
const c = new Checker('rejections');
const tmp = scratch('rejections');
const home = tmp.sub('home');
const chainId = 7357n;
const TO = '0x' + 'cd'.repeat(20);

let node, url, accounts, baseFee;
await c.check('dev node starts', async () => {
  node = await NodeProcess.start(bin.treasurenetd, 'dev', home);
  url = node.url;
  accounts = devAccounts(home);
  baseFee = BigInt((await rpc(url, 'eth_getBlockByNumber', ['latest', false])).baseFeePerGas);
});

const sender = () => accounts[3];

async function snapshot() {
  const a = sender().address;
  return {
    height: await rpc(url, 'eth_blockNumber'),
    balance: await rpc(url, 'eth_getBalance', [a, 'latest']),
    pendingBalance: await rpc(url, 'eth_getBalance', [a, 'pending']),
    nonce: await rpc(url, 'eth_getTransactionCount', [a, 'latest']),
    pendingNonce: await rpc(url, 'eth_getTransactionCount', [a, 'pending']),
  };
}

// One committed transaction first, so that "nonce too low" has something to be low against.
let state0;
await c.check('a valid transfer is mined (nonce 0)', async () => {
  const tx = signTx({ type: 2, chainId, nonce: 0, to: TO, value: UNIT, maxFeePerGas: 2n * baseFee }, sender().privateKey);
  await rpc(url, 'eth_sendRawTransaction', [tx.raw]);
  assert.equal((await waitReceipt(url, tx.hash)).status, '0x1');
  state0 = await snapshot();
  assert.equal(state0.nonce, '0x1');
});

const valid = (over = {}) => ({ type: 2, chainId, nonce: 1, to: TO, value: UNIT, gas: 21000,
                                 maxFeePerGas: 2n * baseFee, maxPriorityFeePerGas: 1n, ...over });

// raw: the envelope (or a function producing it); hash: to check it stays unknown.
async function expectRejected(name, raw, hash, messageRe) {
  await c.check(`rejects ${name}`, async () => {
    const e = await rpcError(url, 'eth_sendRawTransaction', [raw]);
    assert.equal(e.code, -32000, `error code of ${name}`);
    assert.match(e.rpcMessage, messageRe);
    if (hash) assert.equal(await rpc(url, 'eth_getTransactionByHash', [hash]), null, 'the transaction stays unknown');
    assert.deepEqual(await snapshot(), state0, 'no state change');
  });
}

const pk = () => sender().privateKey;
if (state0) {
  {
    const t = signTx(valid({ chainId: 1n }), pk());
    await expectRejected('a wrong chain id (EIP-1559, chain 1)', t.raw, t.hash, /invalid chain id: have 1, want 7357/);
  }
  {
    const t = signTx(valid({ type: 0, chainId: 1n, gasPrice: 2n * baseFee }), pk());
    await expectRejected('a wrong chain id (legacy EIP-155, chain 1)', t.raw, t.hash, /invalid chain id: have 1, want 7357/);
  }
  {
    const t = signTx(valid({ type: 0, gasPrice: 2n * baseFee }), pk(), { unprotected: true });
    await expectRejected('an unprotected legacy transaction (v = 27/28)', t.raw, t.hash,
                         /only replay-protected \(EIP-155\) transactions allowed/);
  }
  {
    const t = signTx(valid(), pk(), { highS: true });
    await expectRejected('a high-S signature', t.raw, t.hash, /invalid signature: high S value/);
  }
  {
    const t = signTx(valid({ type: 0, gasPrice: 2n * baseFee }), pk(), { highS: true });
    await expectRejected('a high-S signature (legacy)', t.raw, t.hash, /invalid signature: high S value/);
  }
  await expectRejected('bad RLP (truncated list)', '0xf86b808504a817c800', null, /invalid transaction RLP/);
  await expectRejected('bad RLP (typed envelope with garbage)', '0x02ffff', null, /invalid transaction RLP/);
  await expectRejected('an empty transaction', '0x', null, /invalid transaction RLP: empty input/);
  {
    const good = signTx(valid(), pk());
    // A valid envelope with a trailing byte is not a valid envelope.
    await expectRejected('bad RLP (trailing bytes)', good.raw + '00', null, /invalid transaction RLP/);
  }
  {
    const t = signTx(valid({ nonce: 0, value: 2n }), pk());
    await expectRejected('nonce too low', t.raw, t.hash, /nonce too low: next nonce 1, tx nonce 0/);
  }
  {
    const t = signTx(valid({ nonce: 1 + 65 }), pk());
    await expectRejected('a nonce gap beyond the limit (64)', t.raw, t.hash, /nonce too high: next nonce 1, tx nonce 66 is more than 64 ahead/);
  }
  {
    const t = signTx(valid({ value: BigInt(state0.balance) }), pk());
    await expectRejected('insufficient funds for value + gas', t.raw, t.hash, /insufficient funds for gas \* price \+ value/);
  }
  {
    const t = signTx(valid({ gas: 20999 }), pk());
    await expectRejected('gas below intrinsic', t.raw, t.hash, /intrinsic gas too low: have 20999, want 21000/);
  }
  {
    const t = signTx(valid({ maxFeePerGas: baseFee - 1n, maxPriorityFeePerGas: 0n }), pk());
    await expectRejected('max fee below the base fee', t.raw, t.hash, /max fee per gas less than block base fee/);
  }
  {
    const t = signTx(valid({ type: 0, gasPrice: baseFee - 1n }), pk());
    await expectRejected('legacy gas price below the base fee', t.raw, t.hash, /max fee per gas less than block base fee/);
  }
  {
    const data = new Uint8Array(128 * 1024 + 1).fill(1);
    const t = signTx(valid({ data, gas: 5_000_000 }), pk());
    await expectRejected('an oversized transaction (> 128 KiB)', t.raw, t.hash, /oversized transaction: \d+ bytes > 131072/);
  }
  {
    const t = signTx(valid({ maxFeePerGas: 2n * baseFee, maxPriorityFeePerGas: 3n * baseFee }), pk());
    await expectRejected('a tip above the fee cap', t.raw, t.hash, /max priority fee per gas higher than max fee per gas/);
  }

  await c.check('after all rejections: no block was sealed and nothing is pending', async () => {
    await sleep(300);  // a wrongly admitted transaction would be sealed within this time
    assert.deepEqual(await snapshot(), state0);
  });

  await c.check('a duplicate submission is rejected as already known', async () => {
    const t = signTx(valid({ nonce: 1 + 3 }), pk());  // queued behind a gap: stays pending
    assert.equal(await rpc(url, 'eth_sendRawTransaction', [t.raw]), t.hash);
    const pending = await rpc(url, 'eth_getTransactionByHash', [t.hash]);
    assert.equal(pending.hash, t.hash, 'a queued transaction is visible');
    assert.equal(pending.blockHash, null);
    assert.equal(pending.blockNumber, null);
    assert.equal(await rpc(url, 'eth_getTransactionReceipt', [t.hash]), null);
    const e = await rpcError(url, 'eth_sendRawTransaction', [t.raw]);
    assert.equal(e.code, -32000);
    assert.match(e.rpcMessage, /already known/);
  });

  await c.check('the node still accepts the next valid transaction', async () => {
    const t = signTx(valid(), pk());
    assert.equal(await rpc(url, 'eth_sendRawTransaction', [t.raw]), t.hash);
    assert.equal((await waitReceipt(url, t.hash)).status, '0x1');
    assert.equal(hexNum(await rpc(url, 'eth_getTransactionCount', [sender().address, 'latest'])), 2);
  });
}

await c.check('SIGTERM stop exits 0', async () => {
  assert.deepEqual(await node.stop('SIGTERM'), { code: 0, signal: null }, node.output());
});
c.finish((ok) => tmp.cleanup(ok));
