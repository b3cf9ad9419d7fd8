// Integration: the main job's Production Portal demo (scripts/demo.sh, run by scripts/dev.sh)
// against a real dev node, then tncli portal commands' error paths: revert reasons shown as such,
// bad CSV lines and bad units refused before anything is sent.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Checker, NodeProcess, binaries, devAccounts, rpc, run, scratch } from './lib/harness.mjs';

const bin = binaries();
const c = new Checker('portal_demo');
const tmp = scratch('portal');
const home = tmp.sub('home');
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

let node, url, accounts, demo;
const env = () => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TN_'))),
  TN_RPC: url, TN_HOME: home, TN_BIN: path.dirname(bin.tncli),
});
// tncli with the keystore the demo made (dev keys imported with password "dev").
const tncli = (args) => run(bin.tncli, ['--rpc', url, '--keystore', path.join(home, 'keystore'), ...args],
                            { env: { ...env(), TN_PASSWORD: 'dev' } });

await c.check('dev node starts', async () => {
  node = await NodeProcess.start(bin.treasurenetd, 'dev', home);
  url = node.url;
  accounts = devAccounts(home);
});

await c.check('scripts/demo.sh walks the whole portal flow and prints TAT, margin and the month', async () => {
  demo = await run('bash', [path.join(repo, 'scripts/demo.sh')], { env: env(), cwd: repo, timeoutMs: 240000 });
  assert.equal(demo.code, 0, `demo failed (${demo.code}):\n${demo.stdout}\n${demo.stderr}`);
  for (const step of ['1. producer admission', '2. a well', '3. daily OIL prices', '4. margin', '5. the audited figure',
                      'portal demo done'])
    assert.ok(demo.stdout.includes(step), `demo output lacks "${step}"`);
  assert.match(demo.stdout, /of (28|29|30|31) uploads committed/);
  assert.match(demo.stdout, /status FINISHED/);
  assert.match(demo.stdout, /producer [0-9.]+ TAT/);
  assert.match(demo.stdout, /margin left: 2500 UNIT/);
});

let wellId, month;
await c.check('the chain agrees: the month is cleared, TAT minted 80/20, margin held', async () => {
  wellId = demo.stdout.match(/^well\s+(0x[0-9a-f]{64})/m)[1];
  month = demo.stdout.match(/^month (\d{4}-\d{2})/m)[1];
  const m = await rpc(url, 'tn_getProductionMonth', [wellId, month]);
  assert.equal(m.status, 'FINISHED');
  assert.equal(m.estimated, false);
  assert.ok(BigInt(m.minted.wei) > 0n);
  assert.ok(BigInt(m.minted.wei) < BigInt(m.value.wei), 'M = V x T / U is below V when U > T');
  const producer = accounts[1].address, holder = accounts[2].address;
  const modules = await rpc(url, 'tn_getModules');
  const balanceOf = async (a) => BigInt(await rpc(url, 'eth_call', [{ to: modules.modules.tat,
    data: '0x70a08231' + a.slice(2).toLowerCase().padStart(64, '0') }, 'latest']));
  const [p, h] = [await balanceOf(producer), await balanceOf(holder)];
  assert.equal(p + h, BigInt(m.minted.wei), 'the shares add up to M');
  assert.equal(h, BigInt(m.minted.wei) * 20n / 100n, 'the holder gets floor(20 % of M)');
  const margin = await rpc(url, 'tn_getMargin', [producer, 'OIL']);
  assert.equal(margin.margins[0].balance.amount, '2500');
});

await c.check('a second clearing of the month is refused with its reason (exit 2)', async () => {
  const r = await tncli(['clear', '--from', accounts[1].address, '--well', wellId, '--month', month]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /reverted: .+/);
});

await c.check('an upload by someone who does not own the well is refused with its reason', async () => {
  const r = await tncli(['upload', '--from', accounts[0].address, '--well', wellId, '--date', `${month}-01`,
                         '--amount', '1']);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /reverted: .+/);
});

await c.check('upload --csv reports a malformed line and sends nothing', async () => {
  const csv = tmp.sub('bad.csv');
  fs.writeFileSync(csv, `date,amount\n${month}-02,5\n${month}-03 7\n`);
  const before = await rpc(url, 'eth_getTransactionCount', [accounts[1].address, 'latest']);
  const r = await tncli(['upload', '--from', accounts[1].address, '--well', wellId, '--csv', csv]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /bad\.csv:3: .* is not date,amount/);
  assert.equal(await rpc(url, 'eth_getTransactionCount', [accounts[1].address, 'latest']), before);
});

await c.check('units are checked: too many decimals and malformed dates are usage errors', async () => {
  const r1 = await tncli(['upload', '--from', accounts[1].address, '--well', wellId, '--date', `${month}-04`,
                          '--amount', '1.23456']);
  assert.equal(r1.code, 1);
  assert.match(r1.stderr, /at most 4 decimals/);
  const r2 = await tncli(['feed-price', '--from', accounts[0].address, '--kind', 'OIL', '--date', '2026/11/04',
                          '--price', '70']);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /is not YYYY-MM-DD/);
  const r3 = await tncli(['feed-price', '--from', accounts[0].address, '--kind', 'COAL', '--date', `${month}-04`,
                          '--price', '70']);
  assert.equal(r3.code, 1);
  assert.match(r3.stderr, /unknown asset kind 'COAL'/);
});

await c.check('status shows the well and its cleared month; holders list the 80/20 split', async () => {
  const s = await tncli(['status', '--well', wellId]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, new RegExp(`${month}\\s+FINISHED`));
  const h = await tncli(['holders', 'list', '--well', wellId]);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /owner .* 80 %/);
  assert.match(h.stdout, /holder .* 20 %/);
});

await c.check('TAT moves with transfer-tat and burns with bid', async () => {
  const [producer, other] = [accounts[1].address, accounts[3].address];
  const imported = await tncli(['keys', 'import', accounts[3].privateKey, '--light-kdf']);
  assert.equal(imported.code, 0, imported.stderr);
  const t = await tncli(['transfer-tat', '--from', producer, '--to', other, '--amount', '10']);
  assert.equal(t.code, 0, t.stdout + t.stderr);
  const b1 = await tncli(['tat-balance', other]);
  assert.match(b1.stdout, /^10 TAT \(10000000000000000000 wei\)/);
  const short = await tncli(['bid', '--from', other, '--amount', '0.5']);
  assert.equal(short.code, 2, 'a bid below 1 TAT is refused');
  assert.match(short.stdout + short.stderr, /reverted: .+/);
  const bid = await tncli(['bid', '--from', other, '--amount', '4']);
  assert.equal(bid.code, 0, bid.stdout + bid.stderr);
  assert.match((await tncli(['tat-balance', other])).stdout, /^6 TAT/);
});

await c.check('governance: propose, sign, execute only after the confirm delay', async () => {
  const fm = accounts[0].address;
  const p = await tncli(['propose', 'config', '--from', fm, 'marginRatio', '200']);
  assert.equal(p.code, 0, p.stdout + p.stderr);
  const list = JSON.parse((await tncli(['proposals', '--pending', '--json'])).stdout);
  const mine = list.proposals.find((x) => x.name === 'marginRatio');
  assert.ok(mine, JSON.stringify(list));
  const id = String(mine.id);
  const signed = await tncli(['sign', '--from', fm, id]);
  if (signed.code !== 0) assert.match(signed.stdout + signed.stderr, /reverted: already signed/);
  const early = await tncli(['execute', '--from', fm, id]);
  assert.equal(early.code, 2, 'execution before the confirm delay is refused');
  assert.match(early.stdout + early.stderr, /reverted: .+/);
  await new Promise((r) => setTimeout(r, 6500));
  const late = await tncli(['execute', '--from', fm, id]);
  assert.equal(late.code, 0, late.stdout + late.stderr);
  const params = await rpc(url, 'tn_getParams');
  assert.equal(params.params.marginRatio, "200");
});

await c.check('the node stops cleanly', async () => {
  const { code } = await node.stop();
  assert.equal(code, 0);
});

c.finish((ok) => tmp.cleanup(ok));
