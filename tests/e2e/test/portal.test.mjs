// The production portal end to end with ethers v6: every call goes through `new ethers.Contract`
// built from the ABI JSON files (tests/e2e/abi, copies of shared/spec/abi) at the addresses the
// node lists in tn_getModules. Producer admission, a well and its review, shares, a feeder price
// for every day of the previous calendar month (block time is the wall clock, so that month is
// over), daily uploads, margin, the trusted figure, clearing with its deviation penalty, TAT and
// a bid. Every receipt's logs are decoded with contract.interface.parseLog and compared, in
// order, with the events the rules call for.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Contract, FetchRequest, JsonRpcProvider, Network, Wallet, ZeroAddress, encodeBytes32String,
         getAddress, keccak256, parseEther, toUtf8Bytes } from 'ethers';

import { startDevNode } from '../lib/node.mjs';

const abiDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../abi');
const repoRoot = path.resolve(abiDir, '../../..');
const specAbiDir = path.resolve(repoRoot, '../shared/spec/abi');
const loadAbi = (name) => JSON.parse(fs.readFileSync(path.join(abiDir, `${name}.abi.json`), 'utf8'));

// The previous calendar month (UTC) as YYMM and its days as YYMMDD.
const today = new Date();
const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 1));
const year = first.getUTCFullYear();
const month = first.getUTCMonth() + 1;
const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
const yymm = BigInt((year % 100) * 100 + month);
const yymmdd = (d) => yymm * 100n + BigInt(d);

// The figures of the month, as RULES.md §8 computes them (BigInt: exact integer arithmetic).
const BBL = 10_000n;                       // volume × 10^4
const dailyVolume = 100n * BBL;            // 100 bbl a day
const priceOf = (d) => (d % 2 ? 780_000n : 820_000n);  // USD 78 / 82 per bbl × 10^4
const API = 3500n, SULPHUR = 400n;         // A > 3110, S < 500: discount d0 = 9000
const DISCOUNT = 9000n;
const uploaded = BigInt(days) * dailyVolume;
let value = 0n;
for (let d = 1; d <= days; d++) value += dailyVolume * priceOf(d) * DISCOUNT * 1_000_000n;
const trustedVolume = (uploaded * 4n) / 5n;                        // U > T by 25 %
const minted = (value * trustedVolume) / uploaded;                 // M = floor(V × T / U)
const deviation = ((uploaded - trustedVolume) * 10_000n) / trustedVolume;  // 2500 bps
const penalty = (minted * deviation * 100n) / 100_000_000n;        // marginRatio 100, 1 UNIT = 1 USD
const marginNeed = (value * 100n) / 10_000n;                       // coverage of the worst case
const HOLDER_PERCENT = 20n;
const BATCH_GAS = 500_000n;
const holderShare = (minted * HOLDER_PERCENT) / 100n;

describe('production portal through ethers.Contract over the ABI files', { timeout: 180000 }, () => {
  let node, provider, fm, producer, holder, recipient;
  let registry, oilProducer, oilData, tat, bid, penaltyPool;
  const interfaces = new Map();  // lower-case address -> contract, for decoding any log
  const wellId = encodeBytes32String(`WELL-${year}${String(month).padStart(2, '0')}`);

  // Decodes every log of a receipt with the interface of the contract that emitted it.
  const decode = (receipt) => receipt.logs.map((log) => {
    const contract = interfaces.get(log.address.toLowerCase());
    assert.ok(contract, `log from unexpected address ${log.address}`);
    const parsed = contract.interface.parseLog(log);
    assert.ok(parsed, `log ${log.topics[0]} at ${log.address} is not in its ABI`);
    return { address: getAddress(log.address), name: parsed.name, args: parsed.args };
  });
  // Waits for a transaction, requires success and exactly these events in this order.
  const expectEvents = async (txPromise, names) => {
    const receipt = await (await txPromise).wait();
    assert.equal(receipt.status, 1);
    const events = decode(receipt);
    assert.deepEqual(events.map((e) => e.name), names);
    events.receipt = receipt;
    return events;
  };
  // A call ethers refuses before sending (eth_estimateGas reverts) with this Error(string)
  // (a string, or a RegExp for reasons that name today's date).
  const rejectsWith = (promise, reason) => assert.rejects(promise, (e) => {
    assert.equal(e.code, 'CALL_EXCEPTION', e.message);
    if (reason instanceof RegExp) assert.match(e.reason, reason);
    else assert.equal(e.reason, reason);
    return true;
  });
  // ProduceData as the portal sends it (spec/abi/REFERENCE.md §2.1).
  const produceData = ({ amount = 0n, date = 0n, mon = 0n } = {}) => ({
    uniqueId: wellId, counterId: 0n, account: ZeroAddress, amount, price: 0n, date, month: mon,
    miner: '', blockNumber: 0n, blockReward: 0n, status: 0,
  });

  before(async () => {
    node = await startDevNode('portal');
    provider = new JsonRpcProvider(new FetchRequest(node.url), undefined,
                                   { staticNetwork: Network.from(7357), cacheTimeout: -1 });
    provider.pollingInterval = 50;
    [fm, producer, holder, recipient] = node.accounts.slice(0, 4).map((a) => new Wallet(a.privateKey, provider));

    const listed = await provider.send('tn_getModules', []);
    const oil = listed.kinds.find((k) => k.name === 'OIL');
    assert.ok(oil, 'tn_getModules lists the OIL kind');
    penaltyPool = getAddress(listed.penaltyPool);
    registry = new Contract(listed.modules.registry, loadAbi('ProducerRegistry'), provider);
    oilProducer = new Contract(oil.producer, loadAbi('OilProducer'), provider);
    oilData = new Contract(oil.data, loadAbi('OilData'), provider);
    tat = new Contract(listed.modules.tat, loadAbi('TAT'), provider);
    bid = new Contract(listed.modules.bid, loadAbi('Bid'), provider);
    for (const c of [registry, oilProducer, oilData, tat, bid]) interfaces.set((await c.getAddress()).toLowerCase(), c);
  });

  after(async () => {
    try {
      provider?.destroy();
    } finally {
      if (node) assert.deepEqual(await node.stop(), { code: 0, signal: null });
    }
  });

  it('loads ABI files identical to shared/spec/abi and module addresses from tn_getModules', async () => {
    if (fs.existsSync(specAbiDir)) {
      for (const name of ['OilProducer', 'OilData', 'TAT', 'Bid']) {
        assert.equal(fs.readFileSync(path.join(abiDir, `${name}.abi.json`), 'utf8'),
                     fs.readFileSync(path.join(specAbiDir, `${name}.abi.json`), 'utf8'), `${name} drifted`);
      }
    }
    assert.equal(await oilProducer.getAddress(), '0x0000000000000000000000000000000000001010');
    assert.equal(await oilData.getAddress(), '0x0000000000000000000000000000000000001011');
    assert.equal(await tat.getAddress(), '0x0000000000000000000000000000000000001005');
    assert.equal(await provider.getCode(await oilData.getAddress()), '0xfe');
    assert.equal(await tat.name(), 'TAT Token');
    assert.equal(await tat.symbol(), 'TAT');
    assert.equal(await tat.decimals(), 18n);
    assert.equal(await tat.totalSupply(), 0n);
  });

  it('admits the producer: registerProducer, then approveProducer by the FOUNDATION_MANAGER', async () => {
    const docs = keccak256(toUtf8Bytes('licence, audit report, field survey'));
    const [registered] = await expectEvents(registry.connect(producer).registerProducer('OIL', 'Acme Oil', docs),
                                            ['ProducerRegistered']);
    assert.equal(registered.args.producer, producer.address);
    assert.equal(registered.args.kind, 'OIL');
    assert.equal(registered.args.name, 'Acme Oil');
    assert.equal(registered.args.documentsHash, docs);
    // Only an Approved producer may add wells, and only an FM approves.
    await rejectsWith(oilProducer.connect(producer).addProducer(wellId, ['Acme 1', producer.address, API, SULPHUR, '']),
                      'producer not approved for OIL');
    await rejectsWith(registry.connect(producer).approveProducer(producer.address, 'OIL'),
                      'caller is not FOUNDATION_MANAGER');
    const [approved] = await expectEvents(registry.connect(fm).approveProducer(producer.address, 'OIL'),
                                          ['ProducerApproved']);
    assert.equal(approved.args.producer, producer.address);
    assert.equal(approved.args.kind, 'OIL');
    const app = await registry.getProducerApplication(producer.address, 'OIL');
    assert.equal(app.status, 2n);  // Approved
  });

  it('adds the well, which the FM reviews to Active; the owner sets a 20 % holder', async () => {
    const [added] = await expectEvents(
      oilProducer.connect(producer).addProducer(wellId, ['Acme 1', producer.address, API, SULPHUR, '']),
      ['AddProducer']);
    assert.equal(added.args.uniqueId, wellId);
    const core = added.args.producer;
    assert.deepEqual([core.nickname, core.owner, core.API, core.sulphur, core.account],
                     ['Acme 1', producer.address, API, SULPHUR, '']);
    assert.equal(await oilProducer.producerStatus(wellId), 0n);  // NotSet: in review
    await rejectsWith(oilProducer.connect(producer).setProducerStatus(wellId, 1), 'caller is not FOUNDATION_MANAGER');

    const events = await expectEvents(oilProducer.connect(fm).setProducerStatus(wellId, 1),
                                      ['RegisterTrustedDataRequest', 'SetProducerStatus']);
    const requestId = await oilData.getTDRequestID(wellId);
    assert.equal(events[0].address, await oilData.getAddress());
    assert.deepEqual([...events[0].args], ['OIL', wellId, requestId]);
    assert.deepEqual([...events[1].args], [wellId, requestId, 1n]);
    const [status, stored] = await oilProducer.getProducer(wellId);
    assert.equal(status, 1n);
    assert.equal(stored.owner, producer.address);

    const [set] = await expectEvents(oilProducer.connect(producer).setHolders(wellId, [holder.address], [HOLDER_PERCENT]),
                                     ['SetHolder']);
    assert.deepEqual([...set.args], [wellId, holder.address, HOLDER_PERCENT, 1n, HOLDER_PERCENT]);
    assert.equal(await oilProducer.totalShared(wellId), HOLDER_PERCENT);
  });

  it(`feeds a price for each day of the previous month (${days} days of ${yymm})`, async () => {
    const requestId = await oilData.getAssetValueRequestID();
    const feeder = oilData.connect(fm);  // the dev genesis makes account 0 FEEDER too
    let nonce = await provider.getTransactionCount(fm.address, 'pending');
    const sent = [];
    // Sent back to back (explicit nonces, a fixed gas limit: an estimate made against the state
    // before the batch need not fit the state each one meets inside it).
    for (let d = 1; d <= days; d++) {
      sent.push(feeder.receiveAssetValue(requestId, yymmdd(d), priceOf(d), { nonce: nonce++, gasLimit: BATCH_GAS }));
    }
    for (let d = 1; d <= days; d++) {
      const [fed] = await expectEvents(sent[d - 1], ['ReceiveAssetValue']);
      assert.deepEqual([...fed.args], ['OIL', yymmdd(d), priceOf(d)]);
    }
    await rejectsWith(oilData.connect(producer).receiveAssetValue(requestId, yymmdd(1), 1n), 'caller is not FEEDER');
  });

  it('uploads 100 bbl for every day, once per day, never for a future day', async () => {
    const owner = oilData.connect(producer);
    let nonce = await provider.getTransactionCount(producer.address, 'pending');
    const sent = [];
    for (let d = 1; d <= days; d++) {
      sent.push(owner.setProductionData(wellId, produceData({ amount: dailyVolume, date: yymmdd(d), mon: yymm }),
                                        { nonce: nonce++, gasLimit: BATCH_GAS }));
    }
    for (let d = 1; d <= days; d++) {
      const [up] = await expectEvents(sent[d - 1], ['ProducerProductionData']);
      assert.deepEqual([...up.args], ['OIL', wellId, yymm, yymmdd(d), dailyVolume, priceOf(d)]);
    }
    const dd = String(yymmdd(1)).padStart(6, '0');
    await rejectsWith(owner.setProductionData(wellId, produceData({ amount: 1n, date: yymmdd(1), mon: yymm })),
                      `duplicate upload for ${dd}`);
    // A day after today (the same day one year later) and a day outside its month.
    const future = yymmdd(1) + 10_000n;
    await rejectsWith(owner.setProductionData(wellId, produceData({ amount: 1n, date: future, mon: yymm + 100n })),
                      new RegExp(`^date ${String(future).padStart(6, '0')} is after today \\d{6}$`));
    const other = month === 1 ? yymm + 1n : yymm - 1n;  // another real month
    await rejectsWith(owner.setProductionData(wellId, produceData({ amount: 1n, date: yymmdd(2), mon: other })),
                      `month ${String(other).padStart(4, '0')} is not the month of date ${String(yymmdd(2)).padStart(6, '0')}`);
  });

  it('holds the coverage margin: prepay, and clearing refuses one aunit less', async () => {
    const trustedRequest = await oilData.getTDRequestID(wellId);
    const [fed] = await expectEvents(
      oilData.connect(fm).receiveTrustedProductionData(trustedRequest, wellId, produceData({ amount: trustedVolume, mon: yymm })),
      ['TrustedProductionData']);
    assert.deepEqual([...fed.args], ['OIL', wellId, yymm, trustedVolume]);

    const [deposit] = await expectEvents(oilData.connect(producer).prepay({ value: marginNeed - 1n }), ['ExpenseHistory']);
    assert.equal(deposit.args.operator, producer.address);
    assert.equal(deposit.args._type, 1n);  // Deposit
    assert.equal(deposit.args.tokens, marginNeed - 1n);
    await rejectsWith(oilData.connect(producer).clearing(wellId, yymm), `insufficient margin: need ${marginNeed} aunit`);
    await expectEvents(oilData.connect(producer).prepay({ value: 1n }), ['ExpenseHistory']);
    const [balance, status] = await oilData.marginOf(producer.address);
    assert.equal(balance, marginNeed);
    assert.equal(status, 1n);  // Normal
  });

  it('clears the month: 25 % over the trusted figure mints M and moves the penalty to the pool', async () => {
    await rejectsWith(oilData.connect(holder).clearing(wellId, yymm), 'caller must be the well owner');
    const poolBefore = await provider.getBalance(penaltyPool);
    const events = await expectEvents(oilData.connect(producer).clearing(wellId, yymm), [
      'VerifiedProduction', 'ExpenseHistory', 'ClearingPenalty',
      'Transfer', 'TATHistory', 'Transfer', 'TATHistory', 'ClearingReward']);
    const [verified, expense, fine, ...rest] = events;
    const reward = rest.pop();
    assert.deepEqual([...verified.args], [wellId, yymm, trustedVolume]);
    assert.equal(expense.args._type, 3n);  // Penalty
    assert.equal(expense.args.tokens, penalty);
    assert.deepEqual([...fine.args], ['OIL', wellId, yymm, penalty, deviation]);
    assert.equal(deviation, 2500n);
    // The holder (20 %) and the owner (the rest), each a Transfer from 0 and a TATHistory at TAT.
    const tatAddress = await tat.getAddress();
    // One holder: its 20 % first, then the owner's remainder.
    const order = [[holder.address, holderShare], [producer.address, minted - holderShare]];
    for (let i = 0; i < 2; i++) {
      const [to, amount] = order[i];
      const transfer = rest[2 * i], history = rest[2 * i + 1];
      assert.equal(transfer.address, tatAddress);
      assert.deepEqual([...transfer.args], [ZeroAddress, to, amount]);
      assert.deepEqual([...history.args], ['OIL', wellId, await oilData.getAddress(), to, amount]);
    }
    assert.deepEqual([...reward.args], ['OIL', wellId, yymm, minted]);

    assert.equal(await provider.getBalance(penaltyPool), poolBefore + penalty);
    assert.equal((await oilData.marginOf(producer.address))[0], marginNeed - penalty);
    const record = await oilData.getProductionData(wellId, yymm);
    assert.equal(record.amount, uploaded);
    assert.equal(record.status, 2n);  // FAILED: the deviation is over 10 %
    // A cleared month is frozen: no second clearing, no new trusted figure, no late upload.
    const frozen = `month ${String(yymm).padStart(4, '0')} already cleared`;
    await rejectsWith(oilData.connect(producer).clearing(wellId, yymm), frozen);
    await rejectsWith(oilData.connect(fm).receiveTrustedProductionData(await oilData.getTDRequestID(wellId), wellId,
                                                                      produceData({ amount: uploaded, mon: yymm })), frozen);
  });

  it('holds TAT as an ERC-20: balances, transfer, and no way to mint outside clearing', async () => {
    assert.equal(await tat.totalSupply(), minted);
    assert.equal(await tat.balanceOf(holder.address), holderShare);
    assert.equal(await tat.balanceOf(producer.address), minted - holderShare);
    const [moved] = await expectEvents(tat.connect(holder).transfer(recipient.address, parseEther('10')), ['Transfer']);
    assert.deepEqual([...moved.args], [holder.address, recipient.address, parseEther('10')]);
    assert.equal(await tat.balanceOf(recipient.address), parseEther('10'));
    await rejectsWith(tat.connect(fm).faucet(fm.address, parseEther('1')), 'disabled: TAT is minted only by clearing (no faucet)');
    await rejectsWith(tat.connect(fm).setTATRecord(fm.address, parseEther('1')),
                      'disabled: the TAT mint history is written only by clearing');
    await rejectsWith(oilData.connect(fm).reward(wellId, [fm.address], [parseEther('1')]),
                      'disabled: TAT is minted only by clearing');
    const [months, amounts] = await tat.getTATRecord(producer.address);
    assert.deepEqual([...months], [yymm]);
    assert.deepEqual([...amounts], [minted - holderShare]);
  });

  it('bids TAT: the sender\'s TAT is burned and recorded in the current round', async () => {
    const amount = parseEther('100');
    // The round views answer for the current round (floor(height / 60)): keep the bid and the
    // reads below inside one round by moving past a boundary that is near.
    while ((BigInt(await provider.getBlockNumber()) + 1n) % 60n >= 50n)
      await (await fm.sendTransaction({ to: recipient.address, value: 1n })).wait();
    const supply = await tat.totalSupply();
    const own = await tat.balanceOf(producer.address);
    const events = await expectEvents(bid.connect(producer).bidTAT(amount), ['Transfer', 'BidStart', 'BidRecord']);
    assert.deepEqual([...events[0].args], [producer.address, ZeroAddress, amount]);
    const roundStart = (BigInt(events.receipt.blockNumber) / 60n) * 60n;
    assert.equal(events[1].args[0], roundStart);
    assert.equal(await bid.roundStartBlock(), roundStart);
    assert.deepEqual([...events[2].args], [producer.address, amount]);
    assert.equal(await tat.balanceOf(producer.address), own - amount);
    assert.equal(await tat.totalSupply(), supply - amount);
    assert.equal(await bid.isTATBider(producer.address), true);
    assert.equal(await bid.connect(producer).mybidAmount(), amount);
    const [list, total] = await bid.bidderList();
    assert.deepEqual(list.map((e) => [e[0], e[1]]), [[producer.address, amount]]);
    assert.equal(total, amount);
    // Below 1 TAT, or more than the sender holds: refused.
    await rejectsWith(bid.connect(recipient).bidTAT(parseEther('11')), 'insufficient TAT balance');
    await rejectsWith(bid.connect(recipient).bidTAT(parseEther('0.5')), /^TAT not enough to bid/);
  });
});
