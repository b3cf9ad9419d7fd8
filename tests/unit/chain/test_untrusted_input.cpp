// The chain layer's parsers of untrusted input (RLP, signed transactions, blocks, headers,
// receipts, consensus data, ABI call data) fed thousands of deterministic mutations of valid
// encodings. Peers and wallets control these bytes, and the consensus engine treats any other
// exception than a parse error as a broken database and stops (consensus/bft_engine.cpp), so each
// input must either parse or fail with rlp::Error / std::invalid_argument / TxError / abi::Error.
// Decoding is strict (canonical), so whatever parses must encode back to the same bytes: one
// object, one encoding, one hash. CI runs this binary under ASan and UBSan too.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "chain/abi.hpp"
#include "chain/block.hpp"
#include "chain/rlp.hpp"
#include "chain/transaction.hpp"
#include "tests/unit/mutate.hpp"

using namespace tn;

namespace {

using test::fuzz;
using test::FuzzTally;

// Re-encodes a decoded RLP item from its parts.
void reencode(rlp::Encoder& e, const rlp::Item& item) {
  if (!item.isList) {
    e.bytes(item.bytes());
    return;
  }
  auto mark = e.beginList();
  for (const rlp::Item& child : item.items()) reencode(e, child);
  e.endList(mark);
}

Hash32 secret(int i) {
  return keccak256("untrusted input test key " + std::to_string(i));
}

Address someAddress(int i) {
  return addressOfSecret(secret(100 + i));
}

Transaction signedTx(Transaction::Type type, uint64_t nonce, Bytes data, bool accessList) {
  Transaction tx;
  tx.type = type;
  tx.chainId = 7;
  tx.nonce = nonce;
  tx.gasPrice = U256(1'000'000'000);
  tx.maxPriorityFeePerGas = U256(2);
  tx.maxFeePerGas = U256(3'000'000'000ull);
  tx.gasLimit = 100'000;
  tx.to = someAddress(int(nonce));
  tx.value = U256(123'456'789);
  tx.data = std::move(data);
  if (accessList && type != Transaction::Type::Legacy)
    tx.accessList = {{someAddress(50), {keccak256("slot 1"), keccak256("slot 2")}},
                     {someAddress(51), {}}};
  tx.sign(secret(int(nonce)));
  return tx;
}

std::vector<Transaction> sampleTxs() {
  return {signedTx(Transaction::Type::Legacy, 0, {}, false),
          signedTx(Transaction::Type::AccessList, 1, Bytes{0xa9, 0x05, 0x9c, 0xbb}, true),
          signedTx(Transaction::Type::DynamicFee, 2, Bytes(100, 0x42), true),
          signedTx(Transaction::Type::DynamicFee, 300, {}, false)};
}

Receipt sampleReceipt(bool success) {
  Receipt r;
  r.txHash = keccak256("tx");
  r.type = 2;
  r.success = success;
  r.gasUsed = 21'000;
  r.cumulativeGasUsed = 42'000;
  r.effectiveGasPrice = U256(1'000'000'007);
  r.from = someAddress(1);
  r.to = someAddress(2);
  r.logs = {Log{someAddress(3), {keccak256("Transfer"), keccak256("a")}, Bytes(32, 0x01)},
            Log{someAddress(4), {}, {}}};
  for (const Log& l : r.logs) bloomAddLog(r.bloom, l);
  if (!success) r.output = abi::encodeError("insufficient margin");
  return r;
}

ConsensusData sampleConsensusData() {
  ConsensusData c;
  c.lastCommit = Bytes(70, 0x33);
  c.evidence = {Bytes(40, 0x44)};
  c.parentSigners = std::vector<Address>{someAddress(5), someAddress(6)};
  c.doubleSigns = {DoubleSign{someAddress(7), 41}};
  return c;
}

Block sampleBlock(bool withConsensus) {
  Block b;
  b.header.parentHash = keccak256("parent");
  b.header.proposer = someAddress(8);
  b.header.stateRoot = keccak256("state");
  b.header.transactionsRoot = keccak256("txs");
  b.header.receiptsRoot = keccak256("receipts");
  b.header.number = 42;
  b.header.gasLimit = 30'000'000;
  b.header.gasUsed = 63'000;
  b.header.timestamp = 1'764'000'000;
  b.header.baseFeePerGas = U256(1'000'000'000);
  b.transactions = sampleTxs();
  if (withConsensus) {
    b.consensus = sampleConsensusData();
    const Hash32 consensusHash = b.consensus.hash();
    b.header.extraData.assign(consensusHash.bytes.begin(), consensusHash.bytes.end());
    b.commit = Bytes(90, 0x55);
  }
  return b;
}

}  // namespace

TEST_CASE("untrusted input: RLP parses strictly, and what parses re-encodes to the same bytes") {
  std::vector<Bytes> seeds;
  for (const Transaction& tx : sampleTxs())
    if (tx.type == Transaction::Type::Legacy) seeds.push_back(tx.raw);
  seeds.push_back(sampleBlock(true).encode(true));
  seeds.push_back(sampleReceipt(true).encode());
  rlp::Encoder e;  // long strings and a nested list with a long payload
  auto outer = e.beginList();
  e.bytes(Bytes(56, 0x61)).bytes(Bytes(300, 0x62)).uint(U256(1) << 200).uint(uint64_t{0});
  auto inner = e.beginList();
  for (int i = 0; i < 20; ++i) e.str("item " + std::to_string(i));
  e.endList(inner);
  e.endList(outer);
  seeds.push_back(e.take());

  FuzzTally t = fuzz(seeds, 20000, 1, [](const Bytes& in) {
    rlp::Item item = rlp::decode(in);
    rlp::Encoder again;
    reencode(again, item);
    REQUIRE(again.out() == in);
    if (!item.isList && item.bytes().size() <= 32) {
      // An integer either has no leading zero (and round-trips) or is refused.
      try {
        U256 v = item.toU256();
        rlp::Encoder n;
        n.uint(v);
        CHECK(n.out() == in);
      } catch (const rlp::Error&) {
        CHECK((item.bytes().size() > 0 && item.bytes()[0] == 0));
      }
    }
  });
  MESSAGE("rlp: ", t.parsed, " mutations parsed, ", t.rejected, " refused");
  CHECK(t.rejected > t.parsed / 10);  // the mutations do reach the error paths
  CHECK(t.parsed > 0);                // and some land on other valid encodings
}

TEST_CASE("untrusted input: signed transactions of every type") {
  std::vector<Bytes> seeds;
  for (const Transaction& tx : sampleTxs()) seeds.push_back(tx.raw);
  int recovered = 0;
  FuzzTally t = fuzz(seeds, 20000, 2, [&](const Bytes& in) {
    Transaction tx = Transaction::decode(in);
    REQUIRE(tx.encode() == in);
    CHECK(tx.hash == keccak256(in));
    tx.recoverSender();  // TxError for a signature the mutation broke
    ++recovered;
  });
  MESSAGE("transactions: ", t.parsed, " mutations parsed and recovered, ", t.rejected, " refused");
  CHECK(recovered >= t.parsed);
  CHECK(t.rejected > 0);
}

TEST_CASE("untrusted input: blocks, headers, receipts and consensus data") {
  SUBCASE("blocks, with and without the sender list and consensus data") {
    std::vector<Bytes> seeds = {sampleBlock(true).encode(false), sampleBlock(true).encode(true),
                                sampleBlock(false).encode(false)};
    FuzzTally t = fuzz(seeds, 8000, 3, [](const Bytes& in) {
      Block b = Block::decode(in);
      // Exactly one of the two forms is the input (the sender list is optional on the wire).
      CHECK((b.encode(false) == in || b.encode(true) == in));
      for (const Transaction& tx : b.transactions) CHECK(tx.hash == keccak256(tx.raw));
    });
    MESSAGE("blocks: ", t.parsed, " parsed, ", t.rejected, " refused");
    CHECK(t.rejected > 0);
  }
  SUBCASE("headers") {
    FuzzTally t = fuzz({sampleBlock(true).header.encode()}, 20000, 4, [](const Bytes& in) {
      BlockHeader h = BlockHeader::decode(in);
      REQUIRE(h.encode() == in);
    });
    CHECK(t.rejected > 0);
  }
  SUBCASE("receipts") {
    FuzzTally t = fuzz({sampleReceipt(true).encode(), sampleReceipt(false).encode()}, 20000, 5,
                       [](const Bytes& in) {
                         Receipt r = Receipt::decode(in);
                         REQUIRE(r.encode() == in);
                       });
    CHECK(t.rejected > 0);
  }
  SUBCASE("consensus data") {
    FuzzTally t = fuzz({sampleConsensusData().encode(), ConsensusData{}.encode()}, 20000, 6,
                       [](const Bytes& in) {
                         ConsensusData c = ConsensusData::decode(in);
                         REQUIRE(c.encode() == in);
                       });
    CHECK(t.rejected > 0);
  }
}

TEST_CASE("untrusted input: ABI call data of the modules' argument shapes") {
  // The dynamic shapes the modules' calls take (string[], address[], tuple[], nested tuples).
  const std::vector<std::string> shapes = {
      "address,address,address,address,string[],address[],address[]",
      "bytes32,bytes32[],uint256[],string[],bytes32",
      "(string,address,uint256)[],bytes",
      "uint256[4],bool,int64,bytes7",
  };
  test::Mutator values(7);
  for (const std::string& shape : shapes) {
    CAPTURE(shape);
    std::vector<abi::Type> types = abi::Type::parseList(shape);
    // Sample values with non-empty arrays and strings, so that offsets and lengths are mutated.
    std::function<abi::Value(const abi::Type&)> sample = [&](const abi::Type& t) -> abi::Value {
      using K = abi::Type::Kind;
      switch (t.kind) {
        case K::Uint:
          return U256(values.below(t.bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << t.bits)));
        case K::Int:
          return U256(values.below(1000));
        case K::Address:
          return someAddress(int(values.below(10)));
        case K::Bool:
          return values.below(2) == 1;
        case K::FixedBytes:
          return Bytes(t.size, 0x5a);
        case K::Bytes:
          return Bytes(values.below(70), 0x6b);
        case K::String:
          return std::string(values.below(70), 'w');
        case K::Tuple: {
          abi::ValueList fields;
          for (const abi::Type& c : t.components) fields.push_back(sample(c));
          return fields;
        }
        case K::Array: {
          abi::ValueList items;
          const std::size_t n = t.size ? t.size : 1 + values.below(4);
          for (std::size_t i = 0; i < n; ++i) items.push_back(sample(t.components[0]));
          return items;
        }
      }
      return U256(0);
    };
    abi::ValueList args;
    for (const abi::Type& t : types) args.push_back(sample(t));
    Bytes valid = abi::encode(types, args);
    FuzzTally t = fuzz({valid}, 20000, 8, [&](const Bytes& in) {
      abi::ValueList decoded = abi::decode(types, in);
      CHECK(decoded.size() == types.size());
    });
    MESSAGE("abi ", shape, ": ", t.parsed, " parsed, ", t.rejected, " refused");
    CHECK(t.rejected > 0);
  }
}
