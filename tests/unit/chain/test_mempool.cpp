#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <tuple>

#include "chain/mempool.hpp"
#include "tests/unit/chain/test_ledger.hpp"

using namespace tn;

namespace {

using test::TestLedger;
using test::secretKey;

const Address kTo = Address::fromU64(0xbeef);
constexpr uint64_t kChainId = 7;
constexpr uint64_t kBlockGas = 30'000'000;

struct Spec {
  uint32_t key = 1;
  uint64_t nonce = 0;
  U256 tip = 1;
  U256 cap = 100;
  uint64_t gas = 21000;
  uint64_t chainId = kChainId;
  Transaction::Type type = Transaction::Type::DynamicFee;
  bool create = false;
  U256 value = 0;
  Bytes data = {};
};

Mempool::TxPtr mk(const Spec& s) {
  Transaction t;
  t.type = s.type;
  t.chainId = s.chainId;
  t.nonce = s.nonce;
  if (s.type == Transaction::Type::DynamicFee) {
    t.maxPriorityFeePerGas = s.tip;
    t.maxFeePerGas = s.cap;
  } else {
    t.gasPrice = s.cap;
  }
  t.gasLimit = s.gas;
  if (!s.create) t.to = kTo;
  t.value = s.value;
  t.data = s.data;
  t.sign(secretKey(s.key));
  return std::make_shared<const Transaction>(std::move(t));
}

Address who(uint32_t key) { return addressOfSecret(secretKey(key)); }

struct Pool {
  EmptyState empty;
  Overlay state{empty};
  TestLedger ledger;
  U256 baseFee = 10;
  Mempool pool;

  explicit Pool(std::size_t maxTxs = 20000)
      : pool(MempoolConfig{kChainId, maxTxs, 64, kBlockGas}) {
    for (uint32_t k = 1; k <= 12; ++k) fund(k, U256(1'000'000'000'000'000'000ull));
  }
  void fund(uint32_t key, const U256& balance, uint64_t nonce = 0) {
    TestLedger::write(state, who(key), {nonce, balance});
  }
  AddResult add(const Mempool::TxPtr& tx) { return pool.add(tx, state, ledger, baseFee); }
  AddResult add(const Spec& s) { return add(mk(s)); }
  std::vector<Mempool::TxPtr> select(uint64_t gas = kBlockGas, std::size_t max = 100000) {
    return pool.select(state, ledger, baseFee, gas, max);
  }
};

template <class F>
void expectReject(F&& f, std::string_view needle) {
  try {
    f();
    FAIL("expected TxError containing: " << needle);
  } catch (const TxError& e) {
    CHECK(e.code == -32000);
    INFO("message: " << e.what());
    CHECK(std::string(e.what()).find(needle) != std::string::npos);
  }
}

std::vector<Hash32> hashes(const std::vector<Mempool::TxPtr>& txs) {
  std::vector<Hash32> out;
  for (const auto& t : txs) out.push_back(t->hash);
  return out;
}

}  // namespace

TEST_CASE("Mempool: admission rejects with geth-like messages") {
  Pool p;
  auto rejects = [&](const Spec& s, std::string_view msg) {
    std::size_t before = p.pool.size();
    expectReject([&] { p.add(s); }, msg);
    CHECK(p.pool.size() == before);
  };
  rejects({.chainId = 8}, "invalid chain id: have 8, want 7");
  rejects({.gas = 60000, .create = true}, "contract creation is not supported");
  rejects({.gas = 20999}, "intrinsic gas too low: have 20999, want 21000");
  rejects({.gas = 21000, .data = {1, 0}}, "intrinsic gas too low: have 21000, want 21020");
  rejects({.gas = kBlockGas + 1}, "exceeds block gas limit: have 30000001, max 30000000");
  rejects({.tip = 1, .cap = 9}, "max fee per gas less than block base fee: address 0x");
  rejects({.tip = 1, .cap = 9}, "maxFeePerGas: 9, baseFee: 10");
  rejects({.tip = 101, .cap = 100}, "max priority fee per gas higher than max fee per gas");

  p.fund(2, U256(1'000'000'000), 3);
  rejects({.key = 2, .nonce = 2}, "nonce too low: next nonce 3, tx nonce 2");
  CHECK(p.add({.key = 2, .nonce = 3 + 64}).executable == false);  // exactly 64 ahead: queued
  rejects({.key = 2, .nonce = 3 + 65}, "nonce too high: next nonce 3, tx nonce 68 is more than 64 ahead");

  p.fund(3, U256(21000 * 100 - 1));
  rejects({.key = 3}, "insufficient funds for gas * price + value: balance 2099999, tx cost 2100000");
  p.fund(3, U256(21000 * 100 + 5));
  rejects({.key = 3, .value = 6}, "insufficient funds for gas * price + value: balance 2100005, tx cost 2100006");
  // Cumulative: the sender's earlier pooled transactions count against the balance.
  p.fund(4, U256(2 * 21000 * 100 + 5));
  p.add({.key = 4, .nonce = 0});
  p.add({.key = 4, .nonce = 1});
  rejects({.key = 4, .nonce = 2}, "pooled transactions cost 4200000");

  auto tx = mk({.key = 5});
  p.add(tx);
  expectReject([&] { p.add(tx); }, "already known");
}

TEST_CASE("Mempool: admits unrecovered transactions and reports executability") {
  Pool p;
  auto signedTx = mk({.key = 1, .nonce = 0});
  auto bare = std::make_shared<const Transaction>(Transaction::decode(signedTx->raw));
  REQUIRE_FALSE(bare->sender);
  AddResult r = p.add(bare);
  CHECK(r.hash == signedTx->hash);
  CHECK(r.executable);
  CHECK_FALSE(r.replaced);
  CHECK(r.evicted.empty());
  auto stored = p.pool.get(signedTx->hash);
  REQUIRE(stored);
  REQUIRE(stored->sender);
  CHECK(*stored->sender == who(1));
  CHECK(p.pool.contains(signedTx->hash));
  CHECK_FALSE(p.pool.contains(Hash32{}));
  CHECK(p.pool.get(Hash32{}) == nullptr);
  CHECK_FALSE(p.add({.key = 1, .nonce = 2}).executable);
  CHECK(p.add({.key = 1, .nonce = 1}).executable);

  // A bad signature is an admission error, not a crash.
  Transaction broken = Transaction::decode(signedTx->raw);
  broken.s = 0;
  auto brokenPtr = std::make_shared<const Transaction>(Transaction::decode(broken.encode()));
  expectReject([&] { p.add(brokenPtr); }, "invalid signature");
}

TEST_CASE("Mempool: replacement needs 10% more fee cap and tip") {
  Pool p;
  auto first = mk({.tip = 10, .cap = 100});
  p.add(first);
  expectReject([&] { p.add({.tip = 10, .cap = 200}); }, "replacement transaction underpriced");
  expectReject([&] { p.add({.tip = 20, .cap = 109}); }, "replacement transaction underpriced");
  auto second = mk({.tip = 11, .cap = 110});  // exactly +10%
  AddResult r = p.add(second);
  REQUIRE(r.replaced);
  CHECK(*r.replaced == first->hash);
  CHECK(p.pool.size() == 1);
  CHECK_FALSE(p.pool.contains(first->hash));
  CHECK(p.pool.contains(second->hash));
  expectReject([&] { p.add({.tip = 12, .cap = 120}); }, "replacement transaction underpriced");
  p.add({.tip = 13, .cap = 121});
  // A legacy transaction can replace a dynamic-fee one: gasPrice is both its cap and its tip.
  auto legacy = mk({.cap = 200, .type = Transaction::Type::Legacy});
  CHECK(p.add(legacy).replaced);
  CHECK(p.pool.size() == 1);
  CHECK(p.pool.senderTxs(who(1)).front()->hash == legacy->hash);
  // The replacement's cost must be affordable; the replaced one does not count against it.
  p.fund(2, U256(21000 * 100));
  p.add({.key = 2, .tip = 1, .cap = 50});
  p.add({.key = 2, .tip = 2, .cap = 100});
  CHECK(p.pool.size() == 2);
}

TEST_CASE("Mempool: pending nonce and balance follow contiguous transactions") {
  Pool p;
  const U256 bal = U256(10'000'000'000ull);
  p.fund(1, bal, 2);
  const U256 cost = U256(21000) * 100;
  CHECK(p.pool.pendingNonce(who(1), p.state, p.ledger) == 2);
  CHECK(p.pool.pendingBalance(who(1), p.state, p.ledger) == bal);
  p.add({.nonce = 2});
  p.add({.nonce = 3, .value = 7});
  p.add({.nonce = 5});
  CHECK(p.pool.pendingNonce(who(1), p.state, p.ledger) == 4);
  CHECK(p.pool.pendingBalance(who(1), p.state, p.ledger) == bal - 2 * cost - 7);
  p.add({.nonce = 4});
  CHECK(p.pool.pendingNonce(who(1), p.state, p.ledger) == 6);
  CHECK(p.pool.pendingBalance(who(1), p.state, p.ledger) == bal - 4 * cost - 7);
  // Unknown senders read straight from the state.
  CHECK(p.pool.pendingNonce(who(9), p.state, p.ledger) == 0);
  // Floored at zero when the committed balance has dropped below the pooled costs.
  p.fund(1, U256(1), 2);
  CHECK(p.pool.pendingBalance(who(1), p.state, p.ledger) == 0);
  // Committed nonce past some pooled ones (not yet cleaned up): counting starts at it.
  p.fund(1, bal, 4);
  CHECK(p.pool.pendingNonce(who(1), p.state, p.ledger) == 6);
  CHECK(p.pool.pendingBalance(who(1), p.state, p.ledger) == bal - 2 * cost);
}

TEST_CASE("Mempool: select orders by tip, then arrival, in nonce order per sender") {
  auto build = [](Pool& p) {
    std::map<std::string, Hash32> h;
    h["A0"] = p.add({.key = 1, .nonce = 0, .tip = 1}).hash;
    h["A1"] = p.add({.key = 1, .nonce = 1, .tip = 50}).hash;
    h["B0"] = p.add({.key = 2, .nonce = 0, .tip = 20}).hash;
    h["C0"] = p.add({.key = 3, .nonce = 0, .tip = 20}).hash;  // ties B0, arrived later
    h["D1"] = p.add({.key = 4, .nonce = 1, .tip = 90}).hash;  // gap: D0 missing
    h["E0"] = p.add({.key = 5, .nonce = 0, .tip = 15, .cap = 15}).hash;  // tip 5 at base fee 10
    h["F0"] = p.add({.key = 6, .nonce = 0, .tip = 7, .cap = 7, .type = Transaction::Type::Legacy}).hash;
    return h;
  };
  Pool p;
  p.baseFee = 0;  // the legacy tx above pays 7 and must be admitted
  auto h = build(p);
  p.baseFee = 10;
  // F0 (gasPrice 7) cannot pay base fee 10 anymore: excluded.
  std::vector<Hash32> want = {h["B0"], h["C0"], h["E0"], h["A0"], h["A1"]};
  CHECK(hashes(p.select()) == want);
  CHECK(hashes(p.select()) == want);  // repeatable

  // Same content in the same order gives the same block.
  Pool q;
  q.baseFee = 0;
  build(q);
  q.baseFee = 10;
  CHECK(hashes(q.select()) == hashes(p.select()));

  // Limits: count and gas.
  CHECK(hashes(p.select(kBlockGas, 3)) == std::vector<Hash32>(want.begin(), want.begin() + 3));
  CHECK(hashes(p.select(2 * 21000)) == std::vector<Hash32>(want.begin(), want.begin() + 2));
  CHECK(p.select(20999).empty());
  CHECK(p.select(kBlockGas, 0).empty());

  // A higher base fee drops E0 (cap 15) and shrinks tips to the headroom.
  p.baseFee = 16;
  CHECK(hashes(p.select()) == std::vector<Hash32>{h["B0"], h["C0"], h["A0"], h["A1"]});
  // With no base fee E0 tips its full 15 and F0 (7) becomes includable.
  p.baseFee = 0;
  CHECK(hashes(p.select()) ==
        std::vector<Hash32>{h["B0"], h["C0"], h["E0"], h["F0"], h["A0"], h["A1"]});
}

TEST_CASE("Mempool: select skips stale entries, unaffordable senders and oversized gas") {
  Pool p;
  auto a0 = p.add({.key = 1, .nonce = 0, .tip = 5}).hash;
  auto a1 = p.add({.key = 1, .nonce = 1, .tip = 5}).hash;
  auto a2 = p.add({.key = 1, .nonce = 2, .tip = 5}).hash;
  auto b0 = p.add({.key = 2, .nonce = 0, .tip = 4}).hash;
  auto b1 = p.add({.key = 2, .nonce = 1, .tip = 4}).hash;
  auto c0 = p.add({.key = 3, .nonce = 0, .tip = 100, .gas = 100000}).hash;
  auto d0 = p.add({.key = 4, .nonce = 0, .tip = 3}).hash;
  (void)a0;
  (void)b1;
  // A's nonce moved to 1 without a cleanup; B can now afford only one transaction.
  p.fund(1, U256(1'000'000'000'000ull), 1);
  p.fund(2, U256(21000 * 100 + 21000 * 50));
  CHECK(hashes(p.select()) == std::vector<Hash32>{c0, a1, a2, b0, d0});
  // C0 (100k gas) does not fit 90k: skipped while smaller ones still fill the block.
  CHECK(hashes(p.select(90000)) == std::vector<Hash32>{a1, a2, b0, d0});
  // An account at a nonce with nothing pooled contributes nothing.
  p.fund(4, U256(1'000'000'000'000ull), 7);
  CHECK(hashes(p.select(90000)) == std::vector<Hash32>{a1, a2, b0});
}

TEST_CASE("Mempool: removeCommitted drops included and stale transactions") {
  Pool p;
  auto a0 = mk({.key = 1, .nonce = 0});
  auto a1 = mk({.key = 1, .nonce = 1});
  auto a2 = mk({.key = 1, .nonce = 2});
  auto b0 = mk({.key = 2, .nonce = 0});
  auto c0 = mk({.key = 3, .nonce = 0, .tip = 2});
  auto c0other = mk({.key = 3, .nonce = 0, .tip = 3, .cap = 101});  // in another validator's block
  auto d5 = mk({.key = 4, .nonce = 5});
  for (const auto& t : {a0, a1, a2, b0, c0, d5}) p.add(t);
  CHECK(p.pool.size() == 6);

  std::vector<Mempool::TxPtr> block = {a0, a1, b0, c0other};
  p.fund(1, U256(1'000'000'000'000ull), 2);
  p.fund(2, U256(1'000'000'000'000ull), 1);
  p.fund(3, U256(1'000'000'000'000ull), 1);
  p.pool.removeCommitted(block, p.state, p.ledger);
  CHECK(hashes(p.pool.all()).size() == 2);
  CHECK(p.pool.contains(a2->hash));
  CHECK(p.pool.contains(d5->hash));
  CHECK_FALSE(p.pool.contains(c0->hash));
  CHECK(p.pool.senderTxs(who(3)).empty());
  CHECK(hashes(p.select()) == std::vector<Hash32>{a2->hash});
  // The freed slots and nonces are usable again.
  p.add({.key = 3, .nonce = 1});
  CHECK(p.pool.pendingNonce(who(3), p.state, p.ledger) == 2);
  p.pool.removeCommitted(std::vector<Mempool::TxPtr>{}, p.state, p.ledger);
  CHECK(p.pool.size() == 3);
}

TEST_CASE("Mempool: a full pool evicts the cheapest sender tail, never opening a gap") {
  Pool p(3);
  auto a0 = mk({.key = 1, .nonce = 0, .tip = 1});
  auto a1 = mk({.key = 1, .nonce = 1, .tip = 10});
  auto b0 = mk({.key = 2, .nonce = 0, .tip = 5});
  p.add(a0);
  p.add(a1);
  p.add(b0);
  // A0 is the cheapest, but only A1 (A's tail) and B0 are candidates.
  auto c0 = mk({.key = 3, .nonce = 0, .tip = 6});
  AddResult r = p.add(c0);
  CHECK(r.evicted == std::vector<Hash32>{b0->hash});
  CHECK(p.pool.size() == 3);
  CHECK(p.pool.contains(a0->hash));
  // Not better than the cheapest candidate (C0 at 6): rejected.
  expectReject([&] { p.add({.key = 4, .tip = 6}); }, "txpool is full");
  auto d0 = mk({.key = 4, .tip = 7});
  CHECK(p.add(d0).evicted == std::vector<Hash32>{c0->hash});
  // The sender's own tail is never a candidate: A2 evicts D0 rather than A1.
  auto a2 = mk({.key = 1, .nonce = 2, .tip = 100});
  CHECK(p.add(a2).evicted == std::vector<Hash32>{d0->hash});
  expectReject([&] { p.add({.key = 1, .nonce = 3, .tip = 100}); }, "txpool is full");
  // Replacement in a full pool needs no room.
  auto a2b = mk({.key = 1, .nonce = 2, .tip = 200, .cap = 300});
  AddResult rr = p.add(a2b);
  CHECK(rr.replaced);
  CHECK(rr.evicted.empty());
  CHECK(p.pool.size() == 3);
}

TEST_CASE("Mempool: the pool's bytes are bounded too; a refused transaction evicts nothing") {
  Pool p;
  // Transfers with calldata: 1000 bytes of data each (and ~110 of the rest).
  auto big = [](uint32_t key, uint64_t nonce, U256 tip, std::size_t data = 1000) {
    return mk({.key = key, .nonce = nonce, .tip = tip, .gas = 100'000, .data = Bytes(data, 0x5a)});
  };
  auto a0 = big(1, 0, 1), b0 = big(2, 0, 2), c0 = big(3, 0, 3);
  const std::size_t each = a0->raw.size();
  REQUIRE(b0->raw.size() == each);
  Mempool pool(MempoolConfig{kChainId, 100, 64, kBlockGas, 16, 3 * each});
  auto add = [&](const Mempool::TxPtr& tx) { return pool.add(tx, p.state, p.ledger, p.baseFee); };
  for (const auto& tx : {a0, b0, c0}) CHECK(add(tx).evicted.empty());
  CHECK(pool.bytes() == 3 * each);
  // Three of them fill the bytes (not the count): a fourth at a higher tip evicts the cheapest.
  auto d0 = big(4, 0, 4);
  CHECK(add(d0).evicted == std::vector<Hash32>{a0->hash});
  CHECK(pool.bytes() == 3 * each);
  // One twice as large needs two victims, the two cheapest, B0 and C0.
  auto e0 = big(5, 0, 5, 2 * 1000 + 50);
  REQUIRE(e0->raw.size() <= 2 * each);
  CHECK(add(e0).evicted == std::vector<Hash32>{b0->hash, c0->hash});
  CHECK(pool.size() == 2);
  // Too large to fit by evicting only cheaper ones (D0 at 4 is, E0 at 5 is not): refused, and
  // D0 is still there.
  auto f0 = big(6, 0, 5, 2 * 1000 + 50);
  expectReject([&] { add(f0); }, "txpool is full");
  CHECK(pool.contains(d0->hash));
  CHECK(pool.contains(e0->hash));
  // Leaving frees the bytes: after commit, room again without eviction.
  p.fund(4, U256(1'000'000'000'000'000'000ull), 1);
  p.fund(5, U256(1'000'000'000'000'000'000ull), 1);
  pool.removeCommitted({d0, e0}, p.state, p.ledger);
  CHECK(pool.bytes() == 0);
  CHECK(add(f0).evicted.empty());
  CHECK(pool.bytes() == f0->raw.size());
}

TEST_CASE("Mempool: eviction ranks tips at the current base fee") {
  Pool p(2);
  auto x0 = mk({.key = 1, .tip = 5, .cap = 15});  // tip 5 now, cannot pay base fee 20 later
  auto y0 = mk({.key = 2, .tip = 1, .cap = 100});
  p.add(x0);
  p.add(y0);
  p.baseFee = 20;
  AddResult r = p.add({.key = 3, .tip = 2, .cap = 100});
  CHECK(r.evicted == std::vector<Hash32>{x0->hash});
  // Now Y0 (tip 1) is the cheapest; a tip-1 newcomer is not better.
  expectReject([&] { p.add({.key = 4, .tip = 1, .cap = 100}); }, "txpool is full");
  CHECK(p.add({.key = 4, .tip = 2, .cap = 100}).evicted == std::vector<Hash32>{y0->hash});
}

TEST_CASE("Mempool: wake-ups for the block producer") {
  Pool p;
  std::atomic<int> calls{0};
  p.pool.onAdded([&] { ++calls; });
  CHECK_FALSE(p.pool.waitForPending(std::chrono::milliseconds(1)));
  uint64_t seen = p.pool.addedCount();
  CHECK_FALSE(p.pool.waitForAdded(seen, std::chrono::milliseconds(1)));
  auto tx = mk({.key = 1});
  std::jthread adder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    p.add(tx);
  });
  CHECK(p.pool.waitForAdded(seen, std::chrono::seconds(10)));
  CHECK(p.pool.waitForPending(std::chrono::milliseconds(1)));
  adder.join();
  CHECK(calls == 1);
  CHECK(p.pool.addedCount() == seen + 1);
  // A rejected add neither counts nor calls back.
  CHECK_THROWS_AS(p.add(tx), TxError);
  CHECK(calls == 1);
}

TEST_CASE("Mempool: takeAdded returns the new, still pooled transactions by sender and nonce") {
  Pool p(8);
  auto a0 = mk({.key = 1, .nonce = 0});
  p.add(a0);
  CHECK(p.pool.takeAdded().empty());  // not tracked yet
  p.pool.trackAdded();
  auto b1 = mk({.key = 2, .nonce = 1});
  auto a1 = mk({.key = 1, .nonce = 1});
  auto b0 = mk({.key = 2, .nonce = 0});
  auto c0 = mk({.key = 3, .nonce = 0});
  for (const auto& t : {b1, a1, b0, c0}) p.add(t);
  // c0 leaves the pool (committed) before anyone takes it.
  p.fund(3, U256(1'000'000'000'000ull), 1);
  p.pool.removeCommitted({c0}, p.state, p.ledger);
  std::vector<Mempool::TxPtr> want = {a1, b0, b1};
  std::sort(want.begin(), want.end(), [](const auto& x, const auto& y) {
    return std::tie(*x->sender, x->nonce) < std::tie(*y->sender, y->nonce);
  });
  CHECK(hashes(p.pool.takeAdded()) == hashes(want));
  CHECK(p.pool.takeAdded().empty());  // each only once
  // More additions than the pool holds between two calls: everything pooled is returned.
  Pool q(2);
  q.pool.trackAdded();
  q.add({.key = 1, .nonce = 0});
  q.add({.key = 2, .nonce = 0});
  q.add({.key = 3, .nonce = 0, .tip = 5});  // evicts one
  auto taken = q.pool.takeAdded();
  CHECK(hashes(taken) == hashes(q.pool.all()));
  CHECK(taken.size() == 2);
  CHECK(q.pool.takeAdded().empty());
}

TEST_CASE("Mempool: admittedSince reports admissions after a cursor, the latest few at most") {
  Pool p;
  // Pool::pool's config keeps 16384; a pool that keeps 3 shows what a lagging reader gets.
  Mempool small(MempoolConfig{kChainId, 100, 64, kBlockGas, 3});
  auto admit = [&](const Mempool::TxPtr& tx) { small.add(tx, p.state, p.ledger, p.baseFee); };
  auto now = small.admittedSince(UINT64_MAX);  // a cursor ahead: nothing, and the count
  CHECK(now.hashes.empty());
  CHECK(now.cursor == 0);
  std::vector<Mempool::TxPtr> txs;
  for (uint64_t n = 0; n < 5; ++n) txs.push_back(mk({.key = 1, .nonce = n}));
  admit(txs[0]);
  admit(txs[1]);
  auto a = small.admittedSince(0);
  CHECK(a.hashes == std::vector<Hash32>{txs[0]->hash, txs[1]->hash});
  CHECK(a.cursor == 2);
  CHECK(a.missed == 0);
  CHECK(small.admittedSince(a.cursor).hashes.empty());
  // A rejected one (a duplicate) is not an admission; a committed one stays reported.
  CHECK_THROWS_AS(admit(txs[1]), TxError);
  admit(txs[2]);
  p.fund(1, U256(1'000'000'000'000'000'000ull), 3);
  small.removeCommitted({txs[0], txs[1], txs[2]}, p.state, p.ledger);
  auto b = small.admittedSince(a.cursor);
  CHECK(b.hashes == std::vector<Hash32>{txs[2]->hash});
  CHECK(b.cursor == 3);
  // Two more: five admissions, three remembered, so a reader at 0 misses the first two.
  admit(txs[3]);
  admit(txs[4]);
  auto c = small.admittedSince(0);
  CHECK(c.hashes == std::vector<Hash32>{txs[2]->hash, txs[3]->hash, txs[4]->hash});
  CHECK(c.missed == 2);
  CHECK(c.cursor == 5);
  CHECK(small.admittedSince(4).hashes == std::vector<Hash32>{txs[4]->hash});
}

TEST_CASE("Mempool: concurrent adds and selects") {
  Pool p;
  std::vector<std::vector<Mempool::TxPtr>> batches(2);
  for (uint32_t t = 0; t < 2; ++t)
    for (uint64_t n = 0; n < 40; ++n)
      batches[t].push_back(mk({.key = 10 + t, .nonce = n, .tip = 1 + n % 5}));
  {
    std::vector<std::jthread> threads;
    for (auto& b : batches)
      threads.emplace_back([&p, &b] {
        for (const auto& tx : b) p.add(tx);
      });
    threads.emplace_back([&p] {
      for (int i = 0; i < 20; ++i) (void)p.pool.select(p.state, p.ledger, p.baseFee, kBlockGas, 1000);
    });
  }
  CHECK(p.pool.size() == 80);
  auto sel = p.select();
  CHECK(sel.size() == 80);
  // Per sender, nonces come out in order.
  std::map<Address, uint64_t> next;
  for (const auto& tx : sel) CHECK(tx->nonce == next[*tx->sender]++);
  auto all = p.pool.all();
  REQUIRE(all.size() == 80);
  for (std::size_t i = 1; i < all.size(); ++i)
    CHECK((*all[i - 1]->sender < *all[i]->sender ||
           (*all[i - 1]->sender == *all[i]->sender && all[i - 1]->nonce < all[i]->nonce)));
}
