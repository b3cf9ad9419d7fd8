// Integration: node lifecycle. A restart resumes from the last committed block; SIGTERM and
// SIGINT stop cleanly (exit 0); `init` + `start` run a chain from an explicit genesis and config;
// `replay` re-executes a chain into an empty home and reproduces every block and state root.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Checker, NodeProcess, binaries, devAccounts, hexNum, rpc, rpcRaw, run, scratch,
         waitReceipt } from './lib/harness.mjs';
import { UNIT, privateKeyToAddress, randomPrivateKey, signTx } from './lib/eth.mjs';

const bin = binaries();
const c = new Checker('lifecycle');
const tmp = scratch('lifecycle');
const home = tmp.sub('dev');
const TO = '0x' + 'ef'.repeat(20);

async function transfer(url, chainId, priv, nonce, value, baseFee) {
  const t = signTx({ type: 2, chainId, nonce, to: TO, value, maxFeePerGas: 2n * baseFee, maxPriorityFeePerGas: 1n }, priv);
  assert.equal(await rpc(url, 'eth_sendRawTransaction', [t.raw]), t.hash);
  const r = await waitReceipt(url, t.hash);
  assert.equal(r.status, '0x1');
  return r;
}

async function headers(url, upTo) {
  const out = [];
  for (let n = 0; n <= upTo; n++) {
    const b = await rpc(url, 'eth_getBlockByNumber', ['0x' + n.toString(16), false]);
    assert.ok(b, `block ${n} exists`);
    out.push({ number: n, hash: b.hash, stateRoot: b.stateRoot, parentHash: b.parentHash, txs: b.transactions });
  }
  return out;
}

let node, accounts, chain, before;
const baseFee = 1_000_000_000n;

await c.check('a dev chain commits a few blocks, then stops on SIGTERM with exit 0', async () => {
  node = await NodeProcess.start(bin.treasurenetd, 'dev', home);
  accounts = devAccounts(home);
  for (let i = 0; i < 3; i++) await transfer(node.url, 7357n, accounts[4].privateKey, i, BigInt(i + 1) * UNIT, baseFee);
  const height = hexNum(await rpc(node.url, 'eth_blockNumber'));
  assert.ok(height >= 3);
  chain = await headers(node.url, height);
  before = {
    height,
    balance: await rpc(node.url, 'eth_getBalance', [accounts[4].address, 'latest']),
    to: await rpc(node.url, 'eth_getBalance', [TO, 'latest']),
    nonce: await rpc(node.url, 'eth_getTransactionCount', [accounts[4].address, 'latest']),
  };
  assert.deepEqual(await node.stop('SIGTERM'), { code: 0, signal: null }, node.output());
  assert.match(node.stdout, new RegExp(`stopped at block ${height}\\n`));
});

await c.check('a restart resumes from the last committed block with the same state', async () => {
  node = await NodeProcess.start(bin.treasurenetd, 'dev', home);
  assert.match(node.stdout, /treasurenetd dev chain \(resuming /);
  assert.doesNotMatch(node.stdout, /Available Accounts/, 'a resumed chain makes no new accounts');
  assert.match(node.stdout, new RegExp(`Block height: ${before.height}\\n`));
  assert.equal(hexNum(await rpc(node.url, 'eth_blockNumber')), before.height);
  assert.deepEqual(await headers(node.url, before.height), chain, 'every block is unchanged');
  assert.equal(await rpc(node.url, 'eth_getBalance', [accounts[4].address, 'latest']), before.balance);
  assert.equal(await rpc(node.url, 'eth_getBalance', [TO, 'latest']), before.to);
  assert.equal(await rpc(node.url, 'eth_getTransactionCount', [accounts[4].address, 'latest']), before.nonce);
  assert.deepEqual(devAccounts(home), accounts);
});

await c.check('the resumed chain continues on top of the old head, then stops on SIGINT with exit 0', async () => {
  const r = await transfer(node.url, 7357n, accounts[4].privateKey, hexNum(before.nonce), UNIT, baseFee);
  assert.equal(hexNum(r.blockNumber), before.height + 1);
  const b = await rpc(node.url, 'eth_getBlockByNumber', [r.blockNumber, false]);
  assert.equal(b.parentHash, chain[before.height].hash);
  chain = await headers(node.url, before.height + 1);
  assert.deepEqual(await node.stop('SIGINT'), { code: 0, signal: null }, node.output());
  assert.match(node.stdout, /received SIGINT, stopping/);
});

await c.check('`start` also runs a dev home (genesis.json present)', async () => {
  node = await NodeProcess.start(bin.treasurenetd, 'start', home);
  assert.equal(hexNum(await rpc(node.url, 'eth_blockNumber')), chain.length - 1);
  assert.deepEqual(await node.stop('SIGTERM'), { code: 0, signal: null }, node.output());
});

const replayHome = tmp.sub('replayed');
await c.check('`replay` re-executes every block into an empty home and every root matches', async () => {
  const r = await run(bin.treasurenetd, ['replay', '--source', home, '--home', replayHome]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`replayed ${chain.length - 1} blocks; every state root matches`));
  const n = await NodeProcess.start(bin.treasurenetd, 'start', replayHome);
  try {
    assert.deepEqual(await headers(n.url, chain.length - 1), chain, 'same hashes and state roots');
    assert.equal(await rpc(n.url, 'eth_getBalance', [TO, 'latest']),
                 '0x' + (before.to === '0x0' ? UNIT : BigInt(before.to) + UNIT).toString(16));
  } finally {
    assert.deepEqual(await n.stop('SIGTERM'), { code: 0, signal: null }, n.output());
  }
});

await c.check('`replay` refuses a non-empty target and a missing source', async () => {
  const again = await run(bin.treasurenetd, ['replay', '--source', home, '--home', replayHome]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /not empty/);
  const missing = await run(bin.treasurenetd, ['replay', '--source', tmp.sub('nothing'), '--home', tmp.sub('r2')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /error: /);
});

await c.check('`dev --chain-id N --block-time MS` makes a chain with that id and spaces its blocks', async () => {
  const h = tmp.sub('dev-4321');
  const n = await NodeProcess.start(bin.treasurenetd, 'dev', h, ['--chain-id', '4321', '--block-time', '400']);
  try {
    assert.match(n.stdout, /Chain ID: 4321\n/);
    assert.equal(await rpc(n.url, 'eth_chainId'), '0x10e1');
    const dev = devAccounts(h);
    const txs = [0, 1, 2].map((nonce) => signTx({ type: 2, chainId: 4321n, nonce, to: TO, value: 1n,
                                                  maxFeePerGas: 2n * baseFee }, dev[1].privateKey));
    // The first transaction finds the chain idle and is sealed at once; the two sent after its
    // block wait for the block time. (Sending all three at once raced the first seal on a loaded CI
    // machine: all three landed in block 1.)
    await rpc(n.url, 'eth_sendRawTransaction', [txs[0].raw]);
    const first = await waitReceipt(n.url, txs[0].hash);
    const t0 = Date.now();
    for (const t of txs.slice(1)) await rpc(n.url, 'eth_sendRawTransaction', [t.raw]);
    const last = await waitReceipt(n.url, txs[2].hash);
    const waited = Date.now() - t0;
    assert.equal(hexNum(first.blockNumber), 1, 'the first block is sealed at once');
    assert.equal(hexNum(last.blockNumber), 2, 'the others wait for the next block');
    assert.ok(waited >= 250, `the second block came ${waited} ms after the first (block time 400 ms)`);
  } finally {
    assert.deepEqual(await n.stop('SIGTERM'), { code: 0, signal: null }, n.output());
  }
  const pub = await run(bin.treasurenetd, ['dev', '--home', tmp.sub('dev-5002'), '--chain-id', '5002', '--rpc-addr', '127.0.0.1:0']);
  assert.notEqual(pub.code, 0);
  assert.match(pub.stderr, /belongs to a public Treasurenet network/);
});

// An explicit genesis: its own chain id, base fee, timestamp and a single funded key.
const owner = randomPrivateKey();
const ownerAddr = privateKeyToAddress(owner);
const genesisFile = tmp.sub('my-genesis.json');
const initHome = tmp.sub('init');
await c.check('`init --genesis FILE` writes genesis.json, config.json and the genesis block', async () => {
  fs.writeFileSync(genesisFile, JSON.stringify({
    chainId: 4242,
    timestamp: 1700000000,
    gasLimit: 30000000,
    baseFeePerGas: '2000000000',
    alloc: { [ownerAddr]: { balance: '5000000000000000000000' } },
    modules: { roles: { FOUNDATION_MANAGER: [ownerAddr], FEEDER: [ownerAddr] } },
  }));
  const r = await run(bin.treasurenetd, ['init', '--home', initHome, '--genesis', genesisFile, '--rpc-addr', '127.0.0.1:0']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /chain id 4242/);
  assert.ok(fs.existsSync(path.join(initHome, 'genesis.json')));
  assert.ok(!fs.existsSync(path.join(initHome, 'dev-accounts.json')), 'no dev accounts for an explicit genesis');
  const config = JSON.parse(fs.readFileSync(path.join(initHome, 'config.json'), 'utf8'));
  assert.equal(config.rpcAddr, '127.0.0.1:0');
  // The operator edits the config: a small batch cap, and no metrics page, to see that `start`
  // reads it.
  assert.equal(config.rpcMetrics, true, 'metrics are served by default');
  config.rpcMaxBatch = 5;
  config.rpcMetrics = false;
  fs.writeFileSync(path.join(initHome, 'config.json'), JSON.stringify(config));
  const twice = await run(bin.treasurenetd, ['init', '--home', initHome, '--genesis', genesisFile]);
  assert.notEqual(twice.code, 0);
  assert.match(twice.stderr, /already initialised/);
});

await c.check('`start` without init fails with a clear message', async () => {
  const r = await run(bin.treasurenetd, ['start', '--home', tmp.sub('empty'), '--rpc-addr', '127.0.0.1:0']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /run treasurenetd init first/);
});

await c.check('`start` runs the initialised home with its genesis and config', async () => {
  node = await NodeProcess.start(bin.treasurenetd, 'start', initHome, [], { useConfigAddr: true });
  const url = node.url;
  assert.match(node.stdout, /Chain ID: 4242\n/);
  assert.equal(await rpc(url, 'eth_chainId'), '0x1092');
  const g = await rpc(url, 'eth_getBlockByNumber', ['0x0', false]);
  assert.equal(BigInt(g.baseFeePerGas), 2_000_000_000n);
  assert.equal(hexNum(g.timestamp), 1700000000);
  assert.equal(hexNum(g.gasLimit), 30000000);
  assert.equal(BigInt(await rpc(url, 'eth_getBalance', [ownerAddr, 'latest'])), 5000n * UNIT);
  const batch = (n) => Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId' }));
  assert.equal((await rpcRaw(url, batch(5))).json.length, 5);
  const over = await rpcRaw(url, batch(6));
  assert.match(over.json.error.message, /batch too large: 6 requests, max 5/);
  assert.equal((await fetch(new URL('/metrics', url))).status, 404, 'rpcMetrics: false');
  const r = await transfer(url, 4242n, owner, 0, 7n * UNIT, 2_000_000_000n);
  assert.equal(hexNum(r.blockNumber), 1);
  assert.equal(BigInt(await rpc(url, 'eth_getBalance', [TO, 'latest'])), 7n * UNIT);
  // A transaction signed for the dev chain id does not run here.
  const wrong = signTx({ type: 2, chainId: 7357n, nonce: 1, to: TO, value: 1n, maxFeePerGas: 4_000_000_000n }, owner);
  const e = await rpcRaw(url, { jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [wrong.raw] });
  assert.match(e.json.error.message, /invalid chain id: have 7357, want 4242/);
  assert.deepEqual(await node.stop('SIGTERM'), { code: 0, signal: null }, node.output());
});

await c.check('a restarted `start` resumes the explicit chain, and it replays', async () => {
  node = await NodeProcess.start(bin.treasurenetd, 'start', initHome, [], { useConfigAddr: true });
  assert.equal(hexNum(await rpc(node.url, 'eth_blockNumber')), 1);
  assert.equal(BigInt(await rpc(node.url, 'eth_getBalance', [TO, 'latest'])), 7n * UNIT);
  assert.deepEqual(await node.stop('SIGTERM'), { code: 0, signal: null }, node.output());
  const r = await run(bin.treasurenetd, ['replay', '--source', initHome, '--home', tmp.sub('init-replayed')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /replayed 1 blocks; every state root matches/);
});

if (node && !node.exit) await node.kill9();
c.finish((ok) => tmp.cleanup(ok));
