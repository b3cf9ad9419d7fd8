// Integration: `treasurenetd dev` on a loopback port: the printed and written dev accounts, every
// standard JSON-RPC method the node serves, batches and their cap, the request body limit, GET
// /metrics, and a clean stop on SIGTERM.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Checker, NodeProcess, binaries, devAccounts, hexNum, metrics, rpc, rpcError, rpcRaw,
         scratch, sleep, waitReceipt } from './lib/harness.mjs';
import { UNIT, abiEncodeCall, bytesToHex, keccak256, privateKeyToAddress, signTx } from './lib/eth.mjs';

const bin = binaries();
const c = new Checker('dev_rpc');
const tmp = scratch('dev-rpc');
const home = tmp.sub('home');

const REQUIRED_METHODS = [
  'web3_clientVersion', 'net_version', 'net_listening', 'eth_chainId', 'eth_blockNumber',
  'eth_syncing', 'eth_getBalance', 'eth_getTransactionCount', 'eth_getCode', 'eth_gasPrice',
  'eth_maxPriorityFeePerGas', 'eth_feeHistory', 'eth_estimateGas', 'eth_sendRawTransaction',
  'eth_getTransactionByHash', 'eth_getTransactionReceipt', 'eth_getBlockByNumber',
  'eth_getBlockByHash', 'eth_getBlockTransactionCountByNumber', 'eth_call', 'eth_getLogs',
  'rpc_methods',
];
const ROLES = '0x' + '00'.repeat(18) + '1000';
const MULSIG = '0x' + '00'.repeat(18) + '1002';
const RECIPIENT = '0x' + 'ab'.repeat(20);

let node, url, accounts;
const chainId = 7357n;

await c.check('dev chain starts on a free loopback port', async () => {
  node = await NodeProcess.start(bin.treasurenetd, 'dev', home);
  url = node.url;
  assert.ok(node.port > 0);
  assert.match(node.stdout, /treasurenetd dev chain \(new, in /);
  assert.match(node.stdout, /Chain ID: 7357\n/);
  assert.match(node.stdout, /Block height: 0\n/);
  const health = await (await fetch(url)).json();
  assert.equal(health.status, 'ok');
});

await c.check('dev-accounts.json holds 10 funded accounts whose keys match their addresses', async () => {
  accounts = devAccounts(home);
  assert.equal(accounts.length, 10);
  for (const a of accounts) {
    assert.match(a.address, /^0x[0-9a-fA-F]{40}$/);
    assert.match(a.privateKey, /^0x[0-9a-f]{64}$/);
    assert.ok(Array.isArray(a.roles));
    assert.equal(privateKeyToAddress(a.privateKey), a.address, 'address is the checksummed key address');
  }
  assert.deepEqual(accounts[0].roles.slice().sort(), ['FEEDER', 'FOUNDATION_MANAGER']);
  assert.equal(new Set(accounts.map((a) => a.address.toLowerCase())).size, 10);
});

await c.check('the accounts printout lists every address, balance, role and key', async () => {
  assert.match(node.stdout, /Available Accounts\n=+\n/);
  assert.match(node.stdout, /Private Keys\n=+\n/);
  accounts.forEach((a, i) => {
    const line = new RegExp(`\\(${i}\\) ${a.address} \\(1000000 UNIT\\)` + (i === 0 ? ' \\[FOUNDATION_MANAGER, FEEDER\\]' : '\n'));
    assert.match(node.stdout, line, `account line ${i}`);
    assert.ok(node.stdout.includes(`(${i}) ${a.privateKey}\n`), `private key line ${i}`);
  });
  assert.ok(fs.existsSync(path.join(home, 'genesis.json')));
  assert.ok(fs.existsSync(path.join(home, 'config.json')));
});

await c.check('identity methods: web3_clientVersion net_version net_listening eth_chainId eth_syncing', async () => {
  assert.match(await rpc(url, 'web3_clientVersion'), /^treasurenetd\/v\d+\.\d+\.\d+/);
  assert.equal(await rpc(url, 'net_version'), '7357');
  assert.equal(typeof await rpc(url, 'net_listening'), 'boolean');
  assert.equal(await rpc(url, 'eth_chainId'), '0x1cbd');
  assert.equal(await rpc(url, 'eth_syncing'), false);
  assert.equal(await rpc(url, 'eth_blockNumber'), '0x0');
});

await c.check('account methods: eth_getBalance eth_getTransactionCount eth_getCode', async () => {
  const a0 = accounts[0].address;
  assert.equal(BigInt(await rpc(url, 'eth_getBalance', [a0, 'latest'])), 1_000_000n * UNIT);
  assert.equal(BigInt(await rpc(url, 'eth_getBalance', [a0])), 1_000_000n * UNIT);
  assert.equal(BigInt(await rpc(url, 'eth_getBalance', [a0, 'pending'])), 1_000_000n * UNIT);
  assert.equal(await rpc(url, 'eth_getBalance', [RECIPIENT, 'latest']), '0x0');
  assert.equal(await rpc(url, 'eth_getTransactionCount', [a0, 'latest']), '0x0');
  assert.equal(await rpc(url, 'eth_getTransactionCount', [a0, 'pending']), '0x0');
  assert.equal(await rpc(url, 'eth_getCode', [a0, 'latest']), '0x');
  assert.equal(await rpc(url, 'eth_getCode', [ROLES, 'latest']), '0xfe', 'module addresses carry a code marker');
  const bad = await rpcError(url, 'eth_getBalance', ['0x1234', 'latest']);
  assert.equal(bad.code, -32602);
});

let baseFee;
await c.check('fee methods: eth_gasPrice eth_maxPriorityFeePerGas eth_feeHistory', async () => {
  const genesis = await rpc(url, 'eth_getBlockByNumber', ['0x0', false]);
  baseFee = BigInt(genesis.baseFeePerGas);
  assert.ok(baseFee > 0n);
  const tip = BigInt(await rpc(url, 'eth_maxPriorityFeePerGas'));
  const price = BigInt(await rpc(url, 'eth_gasPrice'));
  assert.ok(price >= baseFee, `gasPrice ${price} >= baseFee ${baseFee}`);
  assert.ok(tip >= 0n);
  const h = await rpc(url, 'eth_feeHistory', ['0x4', 'latest', [25, 75]]);
  assert.equal(h.oldestBlock, '0x0');
  assert.equal(h.baseFeePerGas.length, 2, 'one block plus the next block');
  assert.equal(h.gasUsedRatio.length, 1);
  assert.equal(h.reward.length, 1);
  assert.equal(h.reward[0].length, 2);
  const beyond = await rpcError(url, 'eth_feeHistory', ['0x1', '0x10', []]);
  assert.equal(beyond.code, -32000);
});

await c.check('eth_estimateGas of a transfer is 21000', async () => {
  const g = await rpc(url, 'eth_estimateGas', [{ from: accounts[0].address, to: RECIPIENT, value: '0xde0b6b3a7640000' }]);
  assert.equal(hexNum(g), 21000);
});

let sent;  // {hash, block, receipt}
await c.check('eth_sendRawTransaction (EIP-1559) -> eth_getTransactionByHash -> eth_getTransactionReceipt', async () => {
  const a = accounts[1];
  const before = BigInt(await rpc(url, 'eth_getBalance', [a.address, 'latest']));
  const value = 3n * UNIT + 7n;
  const tx = signTx({ type: 2, chainId, nonce: 0, to: RECIPIENT, value, gas: 21000,
                      maxFeePerGas: 2n * baseFee, maxPriorityFeePerGas: 1_000_000n }, a.privateKey);
  const hash = await rpc(url, 'eth_sendRawTransaction', [tx.raw]);
  assert.equal(hash, tx.hash, 'the node returns the keccak of the raw envelope');
  const seen = await rpc(url, 'eth_getTransactionByHash', [hash]);
  assert.ok(seen, 'known right after submission (pending or committed)');
  assert.equal(seen.hash, hash);
  assert.equal(seen.from.toLowerCase(), a.address.toLowerCase());
  assert.equal(seen.to.toLowerCase(), RECIPIENT);
  assert.equal(BigInt(seen.value), value);
  assert.equal(seen.type, '0x2');
  const r = await waitReceipt(url, hash);
  assert.equal(r.status, '0x1');
  assert.equal(hexNum(r.gasUsed), 21000);
  assert.equal(r.transactionHash, hash);
  assert.equal(r.from.toLowerCase(), a.address.toLowerCase());
  const mined = await rpc(url, 'eth_getTransactionByHash', [hash]);
  assert.equal(mined.blockHash, r.blockHash);
  assert.equal(mined.blockNumber, r.blockNumber);
  const fee = BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice);
  assert.equal(BigInt(r.effectiveGasPrice), baseFee + 1_000_000n);
  assert.equal(BigInt(await rpc(url, 'eth_getBalance', [a.address, 'latest'])), before - value - fee);
  assert.equal(BigInt(await rpc(url, 'eth_getBalance', [RECIPIENT, 'latest'])), value);
  assert.equal(await rpc(url, 'eth_getTransactionCount', [a.address, 'latest']), '0x1');
  sent = { hash, receipt: r };
});

await c.check('eth_sendRawTransaction (legacy EIP-155) is accepted and mined', async () => {
  const a = accounts[2];
  const tx = signTx({ type: 0, chainId, nonce: 0, to: RECIPIENT, value: UNIT, gas: 21000, gasPrice: 2n * baseFee },
                    a.privateKey);
  assert.equal(await rpc(url, 'eth_sendRawTransaction', [tx.raw]), tx.hash);
  const r = await waitReceipt(url, tx.hash);
  assert.equal(r.status, '0x1');
  assert.equal(r.type, '0x0');
  assert.equal(BigInt(r.effectiveGasPrice), 2n * baseFee);
});

await c.check('blocks: eth_blockNumber eth_getBlockByNumber eth_getBlockByHash eth_getBlockTransactionCountByNumber', async () => {
  const r = sent.receipt;
  const head = hexNum(await rpc(url, 'eth_blockNumber'));
  assert.ok(head >= hexNum(r.blockNumber));
  const b = await rpc(url, 'eth_getBlockByNumber', [r.blockNumber, false]);
  assert.equal(b.hash, r.blockHash);
  assert.equal(b.number, r.blockNumber);
  assert.ok(b.transactions.includes(sent.hash));
  const full = await rpc(url, 'eth_getBlockByNumber', [r.blockNumber, true]);
  assert.equal(full.transactions.find((t) => t.hash === sent.hash).blockHash, r.blockHash);
  const byHash = await rpc(url, 'eth_getBlockByHash', [r.blockHash, false]);
  assert.deepEqual(byHash, b);
  const count = await rpc(url, 'eth_getBlockTransactionCountByNumber', [r.blockNumber]);
  assert.equal(hexNum(count), b.transactions.length);
  const parent = await rpc(url, 'eth_getBlockByNumber', ['0x' + (hexNum(r.blockNumber) - 1).toString(16), false]);
  assert.equal(b.parentHash, parent.hash);
  if (b.transactions.length === 1) {
    // The block of the EIP-1559 transfer alone: its tip is every percentile's reward.
    const h = await rpc(url, 'eth_feeHistory', ['0x1', r.blockNumber, [10, 50, 90]]);
    assert.equal(h.oldestBlock, r.blockNumber);
    assert.deepEqual(h.reward, [['0xf4240', '0xf4240', '0xf4240']]);
    assert.equal(h.gasUsedRatio[0], 21000 / hexNum(b.gasLimit));
    assert.equal(h.baseFeePerGas.length, 2);
  }
  const latest = await rpc(url, 'eth_getBlockByNumber', ['latest', false]);
  assert.equal(hexNum(latest.number), hexNum(await rpc(url, 'eth_blockNumber')));
  assert.equal(await rpc(url, 'eth_getBlockByNumber', ['0xffffff', false]), null);
  assert.equal(await rpc(url, 'eth_getBlockByHash', ['0x' + '00'.repeat(32), false]), null);
  assert.equal(await rpc(url, 'eth_getTransactionReceipt', ['0x' + '00'.repeat(32)]), null);
  assert.equal(await rpc(url, 'eth_getTransactionByHash', ['0x' + '00'.repeat(32)]), null);
});

await c.check('eth_call reads a module (Roles.hasRole) and reports a revert as error 3', async () => {
  const fmRole = await rpc(url, 'eth_call', [{ to: ROLES, data: abiEncodeCall('FOUNDATION_MANAGER()', []) }, 'latest']);
  assert.equal(fmRole, bytesToHex(keccak256('FOUNDATION_MANAGER')));
  const yes = await rpc(url, 'eth_call', [{ to: ROLES, data: abiEncodeCall('hasRole(bytes32,address)', [fmRole, accounts[0].address]) }]);
  assert.equal(BigInt(yes), 1n);
  const no = await rpc(url, 'eth_call', [{ to: ROLES, data: abiEncodeCall('hasRole(bytes32,address)', [fmRole, accounts[1].address]) }]);
  assert.equal(BigInt(no), 0n);
  const revert = await rpcError(url, 'eth_call', [{ from: accounts[1].address, to: MULSIG,
    data: abiEncodeCall('proposeToSpendPenaltyPool(address,uint256)', [RECIPIENT, 1]) }]);
  assert.equal(revert.code, 3);
  assert.match(revert.rpcMessage, /execution reverted/);
});

await c.check('a log-emitting transaction: receipt logs and eth_getLogs agree', async () => {
  const a = accounts[0];
  const data = abiEncodeCall('proposeToSpendPenaltyPool(address,uint256)', [RECIPIENT, 5]);
  const gas = hexNum(await rpc(url, 'eth_estimateGas', [{ from: a.address, to: MULSIG, data }]));
  assert.ok(gas > 21000);
  const nonce = hexNum(await rpc(url, 'eth_getTransactionCount', [a.address, 'pending']));
  const tx = signTx({ type: 2, chainId, nonce, to: MULSIG, data, gas: gas + 10000, maxFeePerGas: 2n * baseFee,
                      maxPriorityFeePerGas: 0n }, a.privateKey);
  await rpc(url, 'eth_sendRawTransaction', [tx.raw]);
  const r = await waitReceipt(url, tx.hash);
  assert.equal(r.status, '0x1');
  assert.ok(r.logs.length >= 1, 'the proposal emits an event');
  const topic0 = bytesToHex(keccak256('SpendPenaltyPool(uint256,address,address,uint256)'));
  const log = r.logs.find((l) => l.topics[0] === topic0);
  assert.ok(log, 'SpendPenaltyPool event in the receipt');
  assert.equal(log.address.toLowerCase(), MULSIG);
  const logs = await rpc(url, 'eth_getLogs', [{ fromBlock: r.blockNumber, toBlock: r.blockNumber, address: MULSIG }]);
  assert.deepEqual(logs.find((l) => l.topics[0] === topic0), log);
  const byTopic = await rpc(url, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', topics: [topic0] }]);
  assert.equal(byTopic.length, 1);
  const byHash = await rpc(url, 'eth_getLogs', [{ blockHash: r.blockHash }]);
  assert.ok(byHash.some((l) => l.transactionHash === tx.hash));
  const none = await rpc(url, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: RECIPIENT }]);
  assert.deepEqual(none, []);
});

await c.check('rpc_methods lists every required method with its parameters', async () => {
  const methods = await rpc(url, 'rpc_methods');
  const names = methods.map((m) => m.name);
  for (const m of REQUIRED_METHODS) assert.ok(names.includes(m), `rpc_methods lacks ${m}`);
  const gb = methods.find((m) => m.name === 'eth_getBalance');
  assert.equal(gb.params[0].required, true);
  assert.ok(typeof gb.summary === 'string' && gb.summary.length > 0);
});

await c.check('unknown method, bad JSON and bad params are clear JSON-RPC errors', async () => {
  const e = await rpcError(url, 'eth_noSuchMethod');
  assert.equal(e.code, -32601);
  const parse = await rpcRaw(url, '{"jsonrpc":"2.0",');
  assert.equal(parse.json.error.code, -32700);
  const params = await rpcError(url, 'eth_getBlockByNumber', []);
  assert.equal(params.code, -32602);
});

await c.check('a JSON-RPC batch is answered in full; the batch cap (1000) is enforced', async () => {
  const batch = [
    { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
    { jsonrpc: '2.0', id: 'two', method: 'eth_blockNumber' },
    { jsonrpc: '2.0', id: 3, method: 'eth_noSuchMethod' },
    { jsonrpc: '2.0', method: 'eth_chainId' },  // a notification: no answer
  ];
  const r = await rpcRaw(url, batch);
  assert.equal(r.status, 200);
  assert.ok(Array.isArray(r.json));
  assert.equal(r.json.length, 3);
  const byId = Object.fromEntries(r.json.map((x) => [x.id, x]));
  assert.equal(byId[1].result, '0x1cbd');
  assert.match(byId.two.result, /^0x[0-9a-f]+$/);
  assert.equal(byId[3].error.code, -32601);
  const full = Array.from({ length: 1000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'net_version' }));
  const ok = await rpcRaw(url, full);
  assert.equal(ok.json.length, 1000);
  const over = Array.from({ length: 1001 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'net_version' }));
  const big = await rpcRaw(url, over);
  assert.ok(!Array.isArray(big.json), 'an over-cap batch gets one error, not answers');
  assert.equal(big.json.error.code, -32600);
  assert.match(big.json.error.message, /batch too large: 1001 requests, max 1000/);
  const empty = await rpcRaw(url, []);
  assert.equal(empty.json.error.code, -32600);
});

await c.check('the request body limit (5 MiB) answers 413 with a JSON-RPC error', async () => {
  const pad = (n) => `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]${' '.repeat(n)}}`;
  const under = await rpcRaw(url, pad(1 << 20));
  assert.equal(under.status, 200);
  assert.equal(under.json.result, '0x1cbd');
  const over = await rpcRaw(url, pad((5 << 20) + 1));
  assert.equal(over.status, 413);
  assert.equal(over.json.error.code, -32600);
  assert.match(over.json.error.message, /request body too large/);
  assert.equal(await rpc(url, 'eth_chainId'), '0x1cbd', 'the node still serves afterwards');
});

await c.check('GET /metrics: the chain, the pool, the RPC server and the process of a dev node', async () => {
  const height = hexNum(await rpc(url, 'eth_blockNumber'));
  const m = await metrics(url);
  assert.equal(m.value('treasurenet_chain_height'), height);
  const head = await rpc(url, 'eth_getBlockByNumber', ['latest', false]);
  assert.equal(m.value('treasurenet_chain_head_timestamp_seconds'), hexNum(head.timestamp));
  // Every transaction this file sent was committed, each block by this run of the node.
  assert.ok(m.value('treasurenet_chain_transactions_committed_total') >= 3);
  assert.equal(m.value('treasurenet_chain_blocks_committed_total'), height);
  assert.equal(m.value('treasurenet_mempool_transactions'), 0);
  assert.equal(m.value('treasurenet_mempool_bytes'), 0);
  assert.equal(m.value('treasurenet_mempool_max_bytes'), 64 * 1024 * 1024);
  // The 413 of the body-limit check above.
  assert.ok(m.value('treasurenet_rpc_refusals_total', { reason: 'body_too_large' }) >= 1);
  assert.ok(m.value('treasurenet_rpc_http_requests_total') > 10);
  assert.ok(m.value('process_open_fds') > 0);
  // A dev chain has neither consensus nor peers to report.
  assert.ok(!m.has('treasurenet_consensus_height'));
  assert.ok(!m.has('treasurenet_p2p_peers'));
});

await c.check('SIGTERM stops the node cleanly with exit code 0', async () => {
  const height = hexNum(await rpc(url, 'eth_blockNumber'));
  const exit = await node.stop('SIGTERM');
  assert.deepEqual(exit, { code: 0, signal: null }, node.output());
  assert.match(node.stdout, /received SIGTERM, stopping/);
  assert.match(node.stdout, new RegExp(`stopped at block ${height}\\n`));
  await assert.rejects(fetch(url), 'the port is closed');
});

if (node && !node.exit) await node.kill9();
c.finish((ok) => tmp.cleanup(ok));
