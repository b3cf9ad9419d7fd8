// Keystore interoperability: a key file written by `tncli keys create` decrypts with ethers'
// Wallet.fromEncryptedJson, and the decrypted wallet spends on the chain; the reverse direction
// (an ethers-encrypted file used by tncli) works too.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { JsonRpcProvider, Network, Wallet, encryptKeystoreJson, parseEther } from 'ethers';

import { scratchDir, startDevNode, tncli } from '../lib/node.mjs';

describe('tncli keystore files and ethers', { timeout: 60000 }, () => {
  let node, provider, dir, keystore, passwordFile;
  const password = 'e2e pass phrase';

  before(async () => {
    node = await startDevNode('keystore');
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: Network.from(7357), cacheTimeout: -1 });
    provider.pollingInterval = 50;
    dir = scratchDir('keystore');
    keystore = path.join(dir, 'keystore');
    passwordFile = path.join(dir, 'password');
    fs.writeFileSync(passwordFile, password + '\n');
  });

  after(async () => {
    try {
      provider?.destroy();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    } finally {
      if (node) assert.deepEqual(await node.stop(), { code: 0, signal: null });
    }
  });

  let created;
  it('decrypts a `tncli keys create` file with Wallet.fromEncryptedJson', async () => {
    const r = await tncli(['--keystore', keystore, '--password-file', passwordFile, 'keys', 'create',
                           '--name', 'e2e', '--light-kdf', '--json']);
    assert.equal(r.code, 0, r.stderr);
    created = JSON.parse(r.stdout);
    const json = fs.readFileSync(created.file, 'utf8');
    const wallet = await Wallet.fromEncryptedJson(json, password);
    assert.equal(wallet.address, created.address);
    await assert.rejects(Wallet.fromEncryptedJson(json, 'wrong password'));
  });

  it('the decrypted wallet spends funds sent to it', async () => {
    const funder = new Wallet(node.accounts[1].privateKey, provider);
    await (await funder.sendTransaction({ to: created.address, value: parseEther('3') })).wait();
    const wallet = (await Wallet.fromEncryptedJson(fs.readFileSync(created.file, 'utf8'), password)).connect(provider);
    const receipt = await (await wallet.sendTransaction({ to: funder.address, value: parseEther('1') })).wait();
    assert.equal(receipt.status, 1);
    assert.equal(await provider.getBalance(wallet.address), parseEther('2') - receipt.fee);
    const r = await tncli(['--rpc', node.url, '--keystore', keystore, 'balance', 'e2e', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(BigInt(JSON.parse(r.stdout).aunit), parseEther('2') - receipt.fee);
  });

  it('tncli lists and uses a keystore file encrypted by ethers', async () => {
    const wallet = Wallet.createRandom();
    const json = await encryptKeystoreJson(wallet, password, { scrypt: { N: 4096 } });  // light scrypt
    const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\.(\d+)Z$/, '.$1000000Z');
    fs.writeFileSync(path.join(keystore, `UTC--${stamp}--${wallet.address.slice(2).toLowerCase()}`), json, { mode: 0o600 });
    const list = await tncli(['--keystore', keystore, 'keys', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(JSON.parse(list.stdout).some((k) => k.address === wallet.address), list.stdout);
    const funder = new Wallet(node.accounts[2].privateKey, provider);
    await (await funder.sendTransaction({ to: wallet.address, value: parseEther('1') })).wait();
    const send = await tncli(['--rpc', node.url, '--keystore', keystore, '--password-file', passwordFile,
                              'send', '--from', wallet.address, '--to', funder.address, '--value', '0.25', '--wait']);
    assert.equal(send.code, 0, send.stdout + send.stderr);
    assert.match(send.stdout, /status\s+success/);
    assert.ok(await provider.getBalance(wallet.address) < parseEther('0.75'));
  });
});
