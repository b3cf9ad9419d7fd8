// Integration: tncli against a running dev node: keys create/import/list/show in a v3 keystore,
// balance, send, call, tx (sending a call, and `tx <hash>` showing the receipt), receipt.
import assert from 'node:assert/strict';
import fs from 'node:fs';

import { Checker, NodeProcess, binaries, devAccounts, hexNum, rpc, run, scratch } from './lib/harness.mjs';
import { UNIT, bytesToHex, keccak256 } from './lib/eth.mjs';

const bin = binaries();
const c = new Checker('tncli');
const tmp = scratch('tncli');
const home = tmp.sub('home');
const keystore = tmp.sub('keystore');
const passwordFile = tmp.sub('password');
fs.writeFileSync(passwordFile, 'correct horse battery staple\n');
const wrongPasswordFile = tmp.sub('wrong-password');
fs.writeFileSync(wrongPasswordFile, 'not the password\n');
const ROLES = '0x0000000000000000000000000000000000001000';
const MULSIG = '0x0000000000000000000000000000000000001002';

let node, url, accounts;
// tncli with the test's keystore, password and node; env cleared of TN_* so nothing leaks in.
function tncli(args, { password = passwordFile, rpcUrl } = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TN_')));
  const globals = ['--keystore', keystore, '--password-file', password, '--timeout', '10'];
  if (rpcUrl ?? url) globals.push('--rpc', rpcUrl ?? url);
  return run(bin.tncli, [...globals, ...args], { env });
}
function ok(r) {
  assert.equal(r.code, 0, `tncli failed (${r.code}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

await c.check('dev node starts', async () => {
  node = await NodeProcess.start(bin.treasurenetd, 'dev', home);
  url = node.url;
  accounts = devAccounts(home);
});

let alice;
await c.check('keys create writes a v3 keystore file', async () => {
  alice = JSON.parse(ok(await tncli(['keys', 'create', '--name', 'alice', '--light-kdf', '--json'])));
  assert.equal(alice.name, 'alice');
  assert.match(alice.address, /^0x[0-9a-fA-F]{40}$/);
  assert.match(alice.bech32, /^treasurenet1/);
  const file = JSON.parse(fs.readFileSync(alice.file, 'utf8'));
  assert.equal(file.version, 3);
  assert.equal(file.address.toLowerCase(), alice.address.slice(2).toLowerCase());
  assert.equal(file.crypto.kdf, 'scrypt');
  assert.ok(file.crypto.ciphertext && file.crypto.mac);
  assert.equal(fs.statSync(alice.file).mode & 0o077, 0, 'the key file is private (0600)');
});

await c.check('keys import takes a hex secret; a duplicate import is refused', async () => {
  const out = ok(await tncli(['keys', 'import', accounts[5].privateKey, '--name', 'dev5', '--light-kdf']));
  assert.match(out, /imported key/);
  assert.ok(out.includes(accounts[5].address), out);
  const again = await tncli(['keys', 'import', accounts[5].privateKey, '--light-kdf']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already in/);
  const bad = await tncli(['keys', 'import', '0x1234', '--light-kdf']);
  assert.equal(bad.code, 1);
});

await c.check('keys list shows both keys (text and JSON); keys show resolves a name', async () => {
  const list = JSON.parse(ok(await tncli(['keys', 'list', '--json'])));
  assert.deepEqual(list.map((k) => k.address).sort(), [alice.address, accounts[5].address].sort());
  const text = ok(await tncli(['keys', 'list']));
  assert.match(text, new RegExp(`alice\\s+${alice.address}\\s+treasurenet1`));
  assert.match(text, new RegExp(`dev5\\s+${accounts[5].address}`));
  const show = JSON.parse(ok(await tncli(['keys', 'show', 'dev5', '--json'])));
  assert.equal(show.address, accounts[5].address);
});

await c.check('balance of a name and of an address (text and JSON)', async () => {
  assert.match(ok(await tncli(['balance', 'dev5'])), /^1000000 UNIT \(1000000000000000000000000 aunit\)\n$/);
  const j = JSON.parse(ok(await tncli(['balance', alice.address, '--json'])));
  assert.equal(j.aunit, '0');
  assert.equal(j.address, alice.address);
});

let sendHash;
await c.check('send --wait transfers UNIT and prints the receipt', async () => {
  const out = ok(await tncli(['send', '--from', 'dev5', '--to', 'alice', '--value', '2.5', '--wait']));
  const m = /sent (0x[0-9a-f]{64}) \(nonce 0,/.exec(out);
  assert.ok(m, out);
  sendHash = m[1];
  assert.match(out, /status\s+success/);
  assert.equal(BigInt(await rpc(url, 'eth_getBalance', [alice.address, 'latest'])), 25n * UNIT / 10n);
  const r = await rpc(url, 'eth_getTransactionReceipt', [sendHash]);
  assert.equal(r.status, '0x1');
  assert.equal(r.from.toLowerCase(), accounts[5].address.toLowerCase());
  assert.match(ok(await tncli(['balance', 'alice'])), /^2\.5 UNIT /);
});

await c.check('send without --wait returns the hash (JSON); the node mines it', async () => {
  const j = JSON.parse(ok(await tncli(['send', '--from', 'alice', '--to', accounts[6].address, '--value', '0.5', '--json'])));
  assert.match(j.hash, /^0x[0-9a-f]{64}$/);
  assert.equal(j.nonce, 0);
  assert.equal(j.chainId, 7357);
  const deadline = Date.now() + 10000;
  let r = null;
  while (!r && Date.now() < deadline) r = await rpc(url, 'eth_getTransactionReceipt', [j.hash]);
  assert.equal(r?.status, '0x1');
});

await c.check('receipt <hash>, tx-receipt <hash> and tx <hash> show the receipt', async () => {
  const r = await rpc(url, 'eth_getTransactionReceipt', [sendHash]);
  for (const cmd of ['receipt', 'tx-receipt', 'tx']) {
    const out = ok(await tncli([cmd, sendHash]));
    assert.match(out, new RegExp(`transaction\\s+${sendHash}`), `${cmd}: ${out}`);
    assert.match(out, /status\s+success/);
    assert.match(out, new RegExp(`block\\s+${hexNum(r.blockNumber)}\\n`));
    assert.match(out, /gas used\s+21000/);
  }
  const j = JSON.parse(ok(await tncli(['tx', sendHash, '--json'])));
  assert.equal(j.transactionHash, sendHash);
  assert.equal(j.status, 'success');
  assert.equal(j.blockNumber, hexNum(r.blockNumber));
  const unknown = await tncli(['tx', '0x' + '00'.repeat(32)]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no receipt/);
});

await c.check('call decodes a module view (Roles.hasRole)', async () => {
  const role = bytesToHex(keccak256('FOUNDATION_MANAGER'));
  assert.equal(ok(await tncli(['call', '--to', ROLES, '--sig', 'FOUNDATION_MANAGER()(bytes32)'])).trim(), role);
  assert.equal(ok(await tncli(['call', '--to', ROLES, '--sig', 'hasRole(bytes32,address)(bool)', role, accounts[0].address])).trim(), 'true');
  assert.equal(ok(await tncli(['call', '--to', ROLES, '--sig', 'hasRole(bytes32,address)(bool)', role, 'alice'])).trim(), 'false');
});

await c.check('tx --sig sends a call transaction; its receipt counts the emitted log', async () => {
  ok(await tncli(['keys', 'import', accounts[0].privateKey, '--name', 'fm', '--light-kdf']));
  const out = ok(await tncli(['tx', '--from', 'fm', '--to', MULSIG, '--sig', 'proposeToSpendPenaltyPool(address,uint256)',
                              'alice', '1', '--wait']));
  assert.match(out, /status\s+success/);
  assert.match(out, /logs\s+1\n/);
  const hash = /sent (0x[0-9a-f]{64})/.exec(out)[1];
  const r = await rpc(url, 'eth_getTransactionReceipt', [hash]);
  assert.equal(r.logs.length, 1);
  assert.equal(r.logs[0].address.toLowerCase(), MULSIG);
});

await c.check('tx from a key without the role fails clearly (revert, exit 2)', async () => {
  const r = await tncli(['tx', '--from', 'alice', '--to', MULSIG, '--sig', 'proposeToSpendPenaltyPool(address,uint256)', 'alice', '1']);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /revert/i);
});

await c.check('validators: create, show, list, delegate, undelegate, withdraw-rewards, unjail', async () => {
  ok(await tncli(['keys', 'import', accounts[6].privateKey, '--name', 'val', '--light-kdf']));
  const entry = async () => (await rpc(url, 'tn_getValidators')).validators
    .find((v) => v.address.toLowerCase() === accounts[6].address.toLowerCase());
  assert.match(ok(await tncli(['validator', 'create', '--from', 'val', '--moniker', 'my node',
                               '--commission-bps', '500', '--self-stake', '200'])), /status\s+success/);
  const shown = JSON.parse(ok(await tncli(['validator', 'show', 'val', '--json'])));
  assert.deepEqual(shown, await entry());
  assert.equal(shown.moniker, 'my node');
  assert.equal(shown.commissionBps, 500);
  assert.equal(shown.selfStake.amount, '200');
  assert.match(ok(await tncli(['validator', 'show', accounts[6].address])), /my node\n\s+status\s+\w+/);
  assert.match(ok(await tncli(['validator', 'list'])), /my node[\s\S]*active set since block \d+/);

  assert.match(ok(await tncli(['delegate', '--from', 'dev5', '--validator', 'val', '--value', '50'])), /status\s+success/);
  assert.equal((await entry()).tokens.amount, '250');
  assert.match(ok(await tncli(['undelegate', '--from', 'dev5', '--validator', 'val', '--amount', '20'])), /status\s+success/);
  assert.equal((await entry()).tokens.amount, '230');
  assert.match(ok(await tncli(['withdraw-rewards', '--from', 'val', '--validator', 'val'])), /status\s+success/);
  assert.match(ok(await tncli(['validator', 'edit', '--from', 'val', '--moniker', 'renamed', '--commission-bps', '700'])),
               /status\s+success/);
  assert.equal((await entry()).moniker, 'renamed');

  // Refusals: the module's revert reason, exit 2; a non-validator to show, exit 2.
  const unjail = await tncli(['validator', 'unjail', '--from', 'val']);
  assert.equal(unjail.code, 2, unjail.stdout + unjail.stderr);
  assert.match(unjail.stderr, /validator not jailed/);
  const low = await tncli(['validator', 'create', '--from', 'dev5', '--moniker', 'x', '--commission-bps', '0',
                           '--self-stake', '1']);
  assert.equal(low.code, 2, low.stdout + low.stderr);
  assert.match(low.stderr, /self-stake below minimum/);
  const none = await tncli(['validator', 'show', 'alice']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no validator/);
});

await c.check('a wrong password is refused (exit 1) and nothing is sent', async () => {
  const nonce = await rpc(url, 'eth_getTransactionCount', [alice.address, 'pending']);
  const r = await tncli(['send', '--from', 'alice', '--to', 'dev5', '--value', '0.1'], { password: wrongPasswordFile });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /wrong password/);
  assert.equal(await rpc(url, 'eth_getTransactionCount', [alice.address, 'pending']), nonce);
});

await c.check('an unreachable node is exit status 2', async () => {
  const r = await tncli(['balance', 'alice'], { rpcUrl: 'http://127.0.0.1:1' });
  assert.equal(r.code, 2, r.stdout + r.stderr);
});

await c.check('SIGTERM stop exits 0', async () => {
  assert.deepEqual(await node.stop('SIGTERM'), { code: 0, signal: null }, node.output());
});
c.finish((ok) => tmp.cleanup(ok));
