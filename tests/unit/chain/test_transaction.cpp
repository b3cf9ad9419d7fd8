#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "chain/recover.hpp"
#include "chain/rlp.hpp"
#include "chain/transaction.hpp"

using namespace tn;

namespace {

Hash32 secretOf(uint8_t fill) {
  Hash32 h;
  h.bytes.fill(fill);
  return h;
}

Hash32 smallSecret(uint32_t n) {
  Hash32 h;
  h.bytes[28] = uint8_t(n >> 24);
  h.bytes[29] = uint8_t(n >> 16);
  h.bytes[30] = uint8_t(n >> 8);
  h.bytes[31] = uint8_t(n);
  return h;
}

Address addr(std::string_view hex) { return Address::fromView(fromHex(hex)); }

const U256 kN = quantityToU256("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");

// The EIP-155 specification's worked example.
Transaction eip155Example() {
  Transaction tx;
  tx.type = Transaction::Type::Legacy;
  tx.chainId = 1;
  tx.nonce = 9;
  tx.gasPrice = U256(20'000'000'000ull);
  tx.gasLimit = 21000;
  tx.to = addr("0x3535353535353535353535353535353535353535");
  tx.value = U256(1'000'000'000'000'000'000ull);
  return tx;
}

constexpr std::string_view kEip155Raw =
    "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028"
    "ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b38"
    "00ccf555c9f3dc64214b297fb1966a3b6d83";

// Expects TxError with code kErrInvalidInput whose message contains `needle`.
template <class F>
void expectTxError(F&& f, std::string_view needle) {
  try {
    f();
    FAIL("expected TxError containing: " << needle);
  } catch (const TxError& e) {
    CHECK(e.code == kErrInvalidInput);
    INFO("message: " << e.what());
    CHECK(std::string(e.what()).find(needle) != std::string::npos);
  }
}

void expectDecodeError(const Bytes& raw, std::string_view needle) {
  expectTxError([&] { Transaction::decode(raw); }, needle);
}

// A legacy list with arbitrary v/r/s and optional extra or missing fields.
Bytes legacyList(const U256& v, const U256& r, const U256& s, BytesView to,
                 int fieldsDelta = 0) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(uint64_t{1}).uint(U256(1)).uint(uint64_t{21000}).bytes(to).uint(U256(0)).bytes({});
  if (fieldsDelta >= 0) e.uint(v).uint(r).uint(s);
  if (fieldsDelta < 0) e.uint(v).uint(r);  // one short
  if (fieldsDelta > 0) e.uint(uint64_t{0});
  e.endList(m);
  return e.take();
}

Transaction sampleTyped(Transaction::Type type) {
  Transaction tx;
  tx.type = type;
  tx.chainId = 7777;
  tx.nonce = 42;
  if (type == Transaction::Type::DynamicFee) {
    tx.maxPriorityFeePerGas = U256(2'000'000'000ull);
    tx.maxFeePerGas = U256(50'000'000'000ull);
  } else {
    tx.gasPrice = U256(30'000'000'000ull);
  }
  tx.gasLimit = 100000;
  tx.to = addr("0x00000000000000000000000000000000000010aa");
  tx.value = quantityToU256("0x123456789abcdef0123456789abcdef");
  tx.data = fromHex("a9059cbb0000000000000000000000000000000000000000000000000000000000000001");
  if (type != Transaction::Type::Legacy) {
    AccessListEntry a;
    a.address = addr("0x00000000000000000000000000000000000010bb");
    a.storageKeys.push_back(Hash32::fromHex(std::string(64, '0')));
    a.storageKeys.push_back(smallSecret(5));
    tx.accessList.push_back(a);
    tx.accessList.push_back(AccessListEntry{addr("0x00000000000000000000000000000000000010cc"), {}});
  }
  return tx;
}

void checkSameFields(const Transaction& a, const Transaction& b) {
  CHECK(a.type == b.type);
  CHECK(a.chainId == b.chainId);
  CHECK(a.nonce == b.nonce);
  CHECK(a.gasPrice == b.gasPrice);
  CHECK(a.maxPriorityFeePerGas == b.maxPriorityFeePerGas);
  CHECK(a.maxFeePerGas == b.maxFeePerGas);
  CHECK(a.gasLimit == b.gasLimit);
  CHECK(a.to == b.to);
  CHECK(a.value == b.value);
  CHECK(a.data == b.data);
  REQUIRE(a.accessList.size() == b.accessList.size());
  for (std::size_t i = 0; i < a.accessList.size(); ++i) {
    CHECK(a.accessList[i].address == b.accessList[i].address);
    CHECK(a.accessList[i].storageKeys == b.accessList[i].storageKeys);
  }
  CHECK(a.yParity == b.yParity);
  CHECK(a.r == b.r);
  CHECK(a.s == b.s);
}

}  // namespace

TEST_CASE("Transaction: EIP-155 example vector signs, decodes and recovers") {
  Transaction tx = eip155Example();
  CHECK(tx.signingHash().hex() ==
        "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
  tx.sign(secretOf(0x46));
  CHECK(toHex(tx.raw, false) == kEip155Raw);
  CHECK(tx.hash == keccak256(tx.raw));
  CHECK(tx.yParity == 0);
  const Address expected = addr("0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f");
  REQUIRE(tx.sender);
  CHECK(*tx.sender == expected);

  Transaction d = Transaction::decode(fromHex(kEip155Raw));
  checkSameFields(d, tx);
  CHECK(d.raw == tx.raw);
  CHECK(d.hash == tx.hash);
  CHECK(d.encode() == d.raw);
  CHECK_FALSE(d.sender);
  CHECK(d.recoverSender() == expected);
  CHECK(d.r == quantityToU256("0x28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276"));
  CHECK(d.s == quantityToU256("0x67cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"));
}

TEST_CASE("Transaction: key helpers agree with known addresses") {
  CHECK(addressOfSecret(smallSecret(1)) == addr("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"));
  CHECK(addressOfSecret(secretOf(0x46)) == addr("0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f"));
  Bytes pub = publicKeyOfSecret(smallSecret(1));
  REQUIRE(pub.size() == 65);
  // The generator point G.
  CHECK(toHex(pub, false) ==
        "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e"
        "1108a8fd17b448a68554199c47d08ffb10d4b8");
  CHECK(addressOfPublicKey(pub) == addressOfSecret(smallSecret(1)));
  CHECK_THROWS_AS(addressOfPublicKey(BytesView(pub).subspan(1)), std::invalid_argument);

  CHECK(isValidSecretKey(smallSecret(1)));
  CHECK_FALSE(isValidSecretKey(Hash32{}));
  CHECK_FALSE(isValidSecretKey(u256ToBE32(kN)));
  CHECK(isValidSecretKey(u256ToBE32(kN - 1)));
  CHECK_THROWS_AS(addressOfSecret(Hash32{}), std::invalid_argument);
  CHECK_THROWS_AS(signHash(keccak256("x"), Hash32{}), std::invalid_argument);
}

TEST_CASE("Transaction: signHash is deterministic low-S and recoverAddress inverts it") {
  for (uint32_t i = 1; i <= 40; ++i) {
    Hash32 h = keccak256("message " + std::to_string(i));
    Signature a = signHash(h, smallSecret(i));
    Signature b = signHash(h, smallSecret(i));
    CHECK(a.r == b.r);
    CHECK(a.s == b.s);
    CHECK(a.recid == b.recid);
    CHECK(a.recid <= 1);
    CHECK(a.s <= kN / 2);
    CHECK(recoverAddress(h, a) == addressOfSecret(smallSecret(i)));
  }
  Hash32 h = keccak256("m");
  Signature sig = signHash(h, smallSecret(3));
  Signature high = sig;
  high.s = kN - sig.s;
  high.recid ^= 1;
  expectTxError([&] { recoverAddress(h, high); }, "invalid signature: high S value");
  Signature bad = sig;
  bad.recid = 2;
  expectTxError([&] { recoverAddress(h, bad); }, "recovery id");
  bad = sig;
  bad.r = 0;
  expectTxError([&] { recoverAddress(h, bad); }, "r out of range");
  bad = sig;
  bad.r = kN;
  expectTxError([&] { recoverAddress(h, bad); }, "r out of range");
  bad = sig;
  bad.s = 0;
  expectTxError([&] { recoverAddress(h, bad); }, "s out of range");
  bad = sig;
  bad.s = kN;
  expectTxError([&] { recoverAddress(h, bad); }, "s out of range");
  // A valid but different signature recovers a different key, not an error.
  bad = sig;
  bad.recid ^= 1;
  try {
    CHECK(recoverAddress(h, bad) != addressOfSecret(smallSecret(3)));
  } catch (const TxError&) {
    // Also acceptable: no point with that x and parity.
  }
}

TEST_CASE("Transaction: sign/decode round trips for all three types") {
  for (auto type : {Transaction::Type::Legacy, Transaction::Type::AccessList,
                    Transaction::Type::DynamicFee}) {
    CAPTURE(int(type));
    Transaction tx = sampleTyped(type);
    tx.sign(smallSecret(99));
    REQUIRE(tx.sender);
    CHECK(*tx.sender == addressOfSecret(smallSecret(99)));
    if (type != Transaction::Type::Legacy) CHECK(tx.raw[0] == uint8_t(type));
    CHECK(tx.raw == tx.encode());
    CHECK(tx.s <= kN / 2);

    Transaction d = Transaction::decode(tx.raw);
    checkSameFields(d, tx);
    CHECK(d.hash == tx.hash);
    CHECK(d.signingHash() == tx.signingHash());
    CHECK(d.recoverSender() == *tx.sender);
    // Recovery is cached: corrupting r afterwards changes nothing.
    d.r = 1;
    CHECK(d.recoverSender() == *tx.sender);
  }
  // Contract creation (empty `to`) and zero values encode and decode too.
  Transaction c;
  c.type = Transaction::Type::DynamicFee;
  c.chainId = 1;
  c.gasLimit = 53000;
  c.sign(smallSecret(5));
  Transaction d = Transaction::decode(c.raw);
  CHECK_FALSE(d.to);
  CHECK(d.recoverSender() == addressOfSecret(smallSecret(5)));
  // A large chain id round-trips through the legacy v value.
  Transaction big = eip155Example();
  big.chainId = 0xffffffffffffull;
  big.sign(smallSecret(6));
  Transaction bd = Transaction::decode(big.raw);
  CHECK(bd.chainId == big.chainId);
  CHECK(bd.recoverSender() == addressOfSecret(smallSecret(6)));
}

TEST_CASE("Transaction: signing hash depends on every field and the type") {
  Transaction a = sampleTyped(Transaction::Type::DynamicFee);
  Hash32 base = a.signingHash();
  Transaction b = a;
  b.chainId++;
  CHECK(b.signingHash() != base);
  b = a;
  b.accessList.clear();
  CHECK(b.signingHash() != base);
  b = a;
  b.data.push_back(0);
  CHECK(b.signingHash() != base);
  b = a;
  b.r = 5;  // the signature itself is not covered
  CHECK(b.signingHash() == base);
  Transaction l = sampleTyped(Transaction::Type::Legacy);
  Hash32 lh = l.signingHash();
  l.chainId = 2;
  CHECK(l.signingHash() != lh);
}

TEST_CASE("Transaction: decode rejects malformed input") {
  const Bytes to20 = fromHex("3535353535353535353535353535353535353535");
  Transaction good = eip155Example();
  good.sign(secretOf(0x46));

  SUBCASE("oversized") {
    Bytes big(kMaxTxSize + 1, 0xc0);
    expectDecodeError(big, "oversized transaction: 131073 bytes > 131072");
  }
  SUBCASE("empty") { expectDecodeError({}, "invalid transaction RLP"); }
  SUBCASE("trailing bytes") {
    Bytes raw = good.raw;
    raw.push_back(0x00);
    expectDecodeError(raw, "invalid transaction RLP: ");
  }
  SUBCASE("truncated") {
    Bytes raw(good.raw.begin(), good.raw.end() - 1);
    expectDecodeError(raw, "invalid transaction RLP: ");
  }
  SUBCASE("top-level string") { expectDecodeError(fromHex("83010203"), "invalid transaction RLP"); }
  SUBCASE("unknown type byte") {
    expectDecodeError(fromHex("03c0"), "transaction type not supported: 0x03");
    expectDecodeError(fromHex("7fc0"), "transaction type not supported");
  }
  SUBCASE("unprotected legacy v = 27/28") {
    expectDecodeError(legacyList(27, 1, 1, to20),
                      "only replay-protected (EIP-155) transactions allowed");
    expectDecodeError(legacyList(28, 1, 1, to20),
                      "only replay-protected (EIP-155) transactions allowed");
  }
  SUBCASE("invalid legacy v") {
    expectDecodeError(legacyList(30, 1, 1, to20), "invalid v value");
    expectDecodeError(legacyList(0, 1, 1, to20), "invalid v value");
  }
  SUBCASE("chain id over 64 bits") {
    U256 v = (U256(1) << 70) * 2 + 35;
    expectDecodeError(legacyList(v, 1, 1, to20), "chain id exceeds 64 bits");
  }
  SUBCASE("wrong field count") {
    expectDecodeError(legacyList(37, 1, 1, to20, -1), "must have 9 fields, got 8");
    expectDecodeError(legacyList(37, 1, 1, to20, 1), "must have 9 fields, got 10");
    Bytes typed2 = {0x02};
    append(typed2, legacyList(37, 1, 1, to20));  // 9 fields in a 1559 envelope
    expectDecodeError(typed2, "EIP-1559 transaction must have 12 fields, got 9");
    Bytes typed1 = {0x01};
    append(typed1, legacyList(37, 1, 1, to20));
    expectDecodeError(typed1, "EIP-2930 transaction must have 11 fields, got 9");
  }
  SUBCASE("to of 19 or 21 bytes") {
    expectDecodeError(legacyList(37, 1, 1, Bytes(19, 0x11)), "'to' must be empty or 20 bytes");
    expectDecodeError(legacyList(37, 1, 1, Bytes(21, 0x11)), "'to' must be empty or 20 bytes");
  }
  SUBCASE("non-canonical integer") {
    rlp::Encoder e;
    auto m = e.beginList();
    e.bytes(fromHex("0001"));  // nonce with a leading zero
    e.uint(U256(1)).uint(uint64_t{21000}).bytes(to20).uint(U256(0)).bytes({});
    e.uint(uint64_t{37}).uint(uint64_t{1}).uint(uint64_t{1});
    e.endList(m);
    expectDecodeError(e.out(), "invalid transaction RLP: rlp: integer has a leading zero byte");
  }
  SUBCASE("typed: bad y parity, bad access list") {
    Transaction t = sampleTyped(Transaction::Type::DynamicFee);
    t.sign(smallSecret(2));
    Transaction bad = t;
    bad.yParity = 2;
    expectDecodeError(bad.encode(), "y parity must be 0 or 1");
    // The transaction with its access list replaced by one entry: an address, storage keys, and
    // optionally a third field.
    auto withEntry = [&](BytesView address, std::vector<Bytes> storageKeys, bool extraField) {
      rlp::Encoder e;
      auto m = e.beginList();
      e.uint(t.chainId).uint(t.nonce).uint(t.maxPriorityFeePerGas).uint(t.maxFeePerGas);
      e.uint(t.gasLimit).bytes(t.to->view()).uint(t.value).bytes(t.data);
      auto al = e.beginList();
      auto en = e.beginList();
      e.bytes(address);
      auto keys = e.beginList();
      for (const Bytes& k : storageKeys) e.bytes(k);
      e.endList(keys);
      if (extraField) e.uint(uint64_t{1});
      e.endList(en);
      e.endList(al);
      e.uint(uint64_t{0}).uint(t.r).uint(t.s);
      e.endList(m);
      Bytes env = {0x02};
      append(env, e.out());
      return env;
    };
    const BytesView view = t.accessList[0].address.view();
    const Bytes address(view.begin(), view.end());
    CHECK_NOTHROW(Transaction::decode(withEntry(address, {Bytes(32, 7)}, false)));
    expectDecodeError(withEntry(address, {}, true), "access list entry must have 2 fields");
    expectDecodeError(withEntry(Bytes(19, 1), {}, false),
                      "access list address must be 20 bytes, got 19");
    expectDecodeError(withEntry(address, {Bytes(32, 7), Bytes(31, 7)}, false),
                      "access list storage key must be 32 bytes, got 31");
  }
  SUBCASE("signature values out of range are caught at recovery") {
    Transaction t = Transaction::decode(legacyList(37, 0, 1, to20));
    expectTxError([&] { t.recoverSender(); }, "r out of range");
    t = Transaction::decode(legacyList(37, 1, kN, to20));
    expectTxError([&] { t.recoverSender(); }, "s out of range");
    // The EIP-155 example with s flipped to its high twin.
    Transaction h = Transaction::decode(fromHex(kEip155Raw));
    h.s = kN - h.s;
    h.yParity ^= 1;
    Transaction hd = Transaction::decode(h.encode());
    expectTxError([&] { hd.recoverSender(); }, "invalid signature: high S value");
    CHECK_FALSE(hd.sender);
  }
}

TEST_CASE("Transaction: fees and intrinsic gas") {
  Transaction t;
  t.type = Transaction::Type::DynamicFee;
  t.maxFeePerGas = 100;
  t.maxPriorityFeePerGas = 10;
  CHECK(t.effectiveGasPrice(50) == 60);
  CHECK(t.effectiveGasPrice(95) == 100);
  CHECK(t.effectiveGasPrice(100) == 100);
  expectTxError([&] { t.effectiveGasPrice(101); }, "less than block base fee");
  t.maxFeePerGas = std::numeric_limits<U256>::max();
  t.maxPriorityFeePerGas = std::numeric_limits<U256>::max();
  CHECK(t.effectiveGasPrice(1) == std::numeric_limits<U256>::max());  // no overflow
  Transaction l;
  l.type = Transaction::Type::Legacy;
  l.gasPrice = 70;
  CHECK(l.feeCap() == 70);
  CHECK(l.tipCap() == 70);
  CHECK(l.effectiveGasPrice(50) == 70);

  CHECK(t.intrinsicGas() == 21000);
  t.data = {0, 1, 0, 2};
  CHECK(t.intrinsicGas() == 21000 + 4 + 16 + 4 + 16);
  t.accessList.push_back(AccessListEntry{Address(), {Hash32{}, Hash32{}}});
  t.accessList.push_back(AccessListEntry{Address(), {}});
  CHECK(t.intrinsicGas() == 21000 + 40 + 2 * 2400 + 2 * 1900);
}

TEST_CASE("Transaction: recoverSenders in parallel") {
  std::vector<Transaction> txs;
  std::vector<Address> want;
  for (uint32_t i = 0; i < 300; ++i) {
    Transaction t = sampleTyped(i % 3 == 0   ? Transaction::Type::Legacy
                                : i % 3 == 1 ? Transaction::Type::AccessList
                                             : Transaction::Type::DynamicFee);
    t.nonce = i;
    t.sign(smallSecret(1000 + i % 17));
    Transaction d = Transaction::decode(t.raw);
    txs.push_back(d);
    want.push_back(*t.sender);
  }
  // One already recovered (with a marker that must stay), one with a broken signature.
  const Address marker = addr("0x1111111111111111111111111111111111111111");
  txs[5].sender = marker;
  txs[17].s = 0;
  std::vector<Transaction*> ptrs;
  for (auto& t : txs) ptrs.push_back(&t);
  ptrs.push_back(nullptr);

  auto errors = recoverSenders(ptrs, 2);
  REQUIRE(errors.size() == ptrs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) {
    CAPTURE(i);
    if (i == 5) {
      CHECK(*txs[i].sender == marker);
      CHECK_FALSE(errors[i]);
    } else if (i == 17) {
      REQUIRE(errors[i]);
      CHECK(errors[i]->find("s out of range") != std::string::npos);
      CHECK_FALSE(txs[i].sender);
    } else {
      CHECK_FALSE(errors[i]);
      REQUIRE(txs[i].sender);
      CHECK(*txs[i].sender == want[i]);
    }
  }
  CHECK_FALSE(errors.back());

  // Concurrent batches from several threads share the pool safely; small batches and a single
  // thread take the inline path.
  std::vector<std::vector<Transaction>> copies(3);
  std::vector<std::jthread> callers;
  for (auto& c : copies) {
    for (std::size_t i = 0; i < 120; ++i) c.push_back(Transaction::decode(txs[i].raw));
    callers.emplace_back([&c] {
      std::vector<Transaction*> p;
      for (auto& t : c) p.push_back(&t);
      recoverSenders(p, 4);
    });
  }
  callers.clear();
  for (auto& c : copies)
    for (std::size_t i = 0; i < c.size(); ++i)
      if (i != 17) CHECK(*c[i].sender == want[i]);
  std::vector<Transaction> few = {Transaction::decode(txs[0].raw)};
  Transaction* fp = &few[0];
  CHECK_FALSE(recoverSenders(std::span<Transaction*>(&fp, 1), 1)[0]);
  CHECK(*few[0].sender == want[0]);
}
