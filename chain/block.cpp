#include "chain/block.hpp"

#include "chain/rlp.hpp"

namespace tn {

// Ethereum's bloom: three 11-bit indexes from the first six bytes of keccak256(item).
static void bloomBits(BytesView item, const std::function<void(std::size_t byte, uint8_t bit)>& fn) {
  Hash32 h = keccak256(item);
  for (int i = 0; i < 6; i += 2) {
    unsigned bit = ((unsigned(h.bytes[i]) << 8) | h.bytes[i + 1]) & 2047u;
    fn(255 - bit / 8, uint8_t(1u << (bit % 8)));
  }
}

void bloomAdd(Bloom& bloom, BytesView item) {
  bloomBits(item, [&](std::size_t byte, uint8_t bit) { bloom.bytes[byte] |= bit; });
}

void bloomAddLog(Bloom& bloom, const Log& log) {
  bloomAdd(bloom, log.address);
  for (const Hash32& t : log.topics) bloomAdd(bloom, t);
}

bool bloomMayContain(const Bloom& bloom, BytesView item) {
  bool all = true;
  bloomBits(item, [&](std::size_t byte, uint8_t bit) { all = all && (bloom.bytes[byte] & bit); });
  return all;
}

Bytes BlockHeader::encode() const {
  rlp::Encoder e;
  auto m = e.beginList();
  e.bytes(parentHash).bytes(proposer).bytes(stateRoot).bytes(transactionsRoot).bytes(receiptsRoot)
      .bytes(logsBloom).uint(number).uint(gasLimit).uint(gasUsed).uint(timestamp).bytes(extraData)
      .uint(baseFeePerGas);
  e.endList(m);
  return e.take();
}

BlockHeader BlockHeader::decode(BytesView in) {
  auto items = rlp::decode(in).items();
  if (items.size() != 12) throw rlp::Error("block header must have 12 fields");
  BlockHeader h;
  h.parentHash = Hash32::fromView(items[0].bytes());
  h.proposer = Address::fromView(items[1].bytes());
  h.stateRoot = Hash32::fromView(items[2].bytes());
  h.transactionsRoot = Hash32::fromView(items[3].bytes());
  h.receiptsRoot = Hash32::fromView(items[4].bytes());
  h.logsBloom = Bloom::fromView(items[5].bytes());
  h.number = items[6].toU64();
  h.gasLimit = items[7].toU64();
  h.gasUsed = items[8].toU64();
  h.timestamp = items[9].toU64();
  auto extra = items[10].bytes();
  h.extraData.assign(extra.begin(), extra.end());
  h.baseFeePerGas = items[11].toU256();
  return h;
}

static void encodeLog(rlp::Encoder& e, const Log& log) {
  auto m = e.beginList();
  e.bytes(log.address);
  auto t = e.beginList();
  for (const Hash32& topic : log.topics) e.bytes(topic);
  e.endList(t);
  e.bytes(log.data);
  e.endList(m);
}

static Log decodeLog(const rlp::Item& item) {
  auto f = item.items();
  if (f.size() != 3) throw rlp::Error("log must have 3 fields");
  Log log;
  log.address = Address::fromView(f[0].bytes());
  for (const auto& t : f[1].items()) log.topics.push_back(Hash32::fromView(t.bytes()));
  auto d = f[2].bytes();
  log.data.assign(d.begin(), d.end());
  return log;
}

Bytes Receipt::encode() const {
  rlp::Encoder e;
  auto m = e.beginList();
  e.bytes(blockEvents ? Hash32{} : txHash)
      .uint(uint64_t(type))
      .uint(uint64_t(success ? 1 : 0))
      .uint(gasUsed)
      .uint(cumulativeGasUsed)
      .uint(effectiveGasPrice)
      .bytes(from);
  if (to) e.bytes(*to); else e.bytes({});
  auto l = e.beginList();
  for (const Log& log : logs) encodeLog(e, log);
  e.endList(l);
  e.bytes(bloom).bytes(output).str(revertReason);
  e.endList(m);
  return e.take();
}

Receipt Receipt::decode(BytesView in) {
  auto f = rlp::decode(in).items();
  if (f.size() != 12) throw rlp::Error("receipt must have 12 fields");
  Receipt r;
  r.txHash = Hash32::fromView(f[0].bytes());
  // Strict, like every decoder here: one receipt, one encoding (the receipts root hashes it).
  const uint64_t type = f[1].toU64(), status = f[2].toU64();
  if (type > uint8_t(Transaction::Type::DynamicFee)) throw rlp::Error("receipt: unknown type");
  if (status > 1) throw rlp::Error("receipt: status must be 0 or 1");
  r.type = uint8_t(type);
  r.success = status == 1;
  r.gasUsed = f[3].toU64();
  r.cumulativeGasUsed = f[4].toU64();
  r.effectiveGasPrice = f[5].toU256();
  r.from = Address::fromView(f[6].bytes());
  if (!f[7].bytes().empty()) r.to = Address::fromView(f[7].bytes());
  for (const auto& l : f[8].items()) r.logs.push_back(decodeLog(l));
  r.bloom = Bloom::fromView(f[9].bytes());
  auto out = f[10].bytes();
  r.output.assign(out.begin(), out.end());
  r.revertReason = std::string(asChars(f[11].bytes()));
  r.blockEvents = r.txHash.isZero();  // no transaction hashes to zero
  return r;
}

Hash32 blockEventsTxHash(uint64_t number, const Hash32& blockHash) {
  static constexpr std::string_view kTag = "treasurenet-block-events";
  uint8_t buf[kTag.size() + 8 + 32];
  std::memcpy(buf, kTag.data(), kTag.size());
  for (int i = 0; i < 8; ++i) buf[kTag.size() + i] = uint8_t(number >> (56 - 8 * i));
  std::memcpy(buf + kTag.size() + 8, blockHash.data(), 32);
  return keccak256(BytesView(buf, sizeof buf));
}

Receipt makeBlockEventsReceipt(std::vector<Log> logs, uint64_t blockGasUsed) {
  Receipt r;
  r.blockEvents = true;
  r.type = 0;
  r.success = true;
  r.gasUsed = 0;
  r.cumulativeGasUsed = blockGasUsed;
  r.effectiveGasPrice = 0;
  r.logs = std::move(logs);
  for (const Log& l : r.logs) bloomAddLog(r.bloom, l);
  return r;
}

Bytes Block::encode(bool withSenders) const {
  rlp::Encoder e;
  auto m = e.beginList();
  e.raw(header.encode());
  auto t = e.beginList();
  for (const Transaction& tx : transactions) e.bytes(tx.raw);
  e.endList(t);
  e.bytes(commit);
  e.raw(consensus.encode());
  if (withSenders) {
    auto s = e.beginList();
    for (const Transaction& tx : transactions) {
      if (!tx.sender) throw std::logic_error("block transaction without a recovered sender");
      e.bytes(*tx.sender);
    }
    e.endList(s);
  }
  e.endList(m);
  return e.take();
}

Bytes ConsensusData::encode() const {
  rlp::Encoder e;
  auto m = e.beginList();
  e.bytes(lastCommit);
  auto ev = e.beginList();
  for (const Bytes& x : evidence) e.bytes(x);
  e.endList(ev);
  auto ps = e.beginList();
  e.uint(uint64_t(parentSigners.has_value()));
  auto list = e.beginList();
  if (parentSigners)
    for (const Address& a : *parentSigners) e.bytes(a);
  e.endList(list);
  e.endList(ps);
  auto ds = e.beginList();
  for (const DoubleSign& d : doubleSigns) {
    auto one = e.beginList();
    e.bytes(d.validator).uint(d.height);
    e.endList(one);
  }
  e.endList(ds);
  e.endList(m);
  return e.take();
}

ConsensusData ConsensusData::decode(BytesView in) {
  auto f = rlp::decode(in).items();
  if (f.size() != 4) throw rlp::Error("consensus data must have 4 fields");
  ConsensusData c;
  auto lc = f[0].bytes();
  c.lastCommit.assign(lc.begin(), lc.end());
  for (const auto& x : f[1].items()) {
    auto b = x.bytes();
    c.evidence.emplace_back(b.begin(), b.end());
  }
  auto ps = f[2].items();
  if (ps.size() != 2) throw rlp::Error("consensus data: bad signer list");
  uint64_t has = ps[0].toU64();
  if (has > 1) throw rlp::Error("consensus data: bad signer flag");
  auto signers = ps[1].items();
  if (has) {
    c.parentSigners.emplace();
    for (const auto& a : signers) {
      if (a.bytes().size() != 20) throw rlp::Error("consensus data: bad signer address");
      c.parentSigners->push_back(Address::fromView(a.bytes()));
    }
  } else if (!signers.empty()) {
    throw rlp::Error("consensus data: signers without the flag");
  }
  for (const auto& d : f[3].items()) {
    auto pair = d.items();
    if (pair.size() != 2 || pair[0].bytes().size() != 20) throw rlp::Error("consensus data: bad double sign");
    c.doubleSigns.push_back(DoubleSign{Address::fromView(pair[0].bytes()), pair[1].toU64()});
  }
  return c;
}

Block Block::decode(BytesView in) {
  auto f = rlp::decode(in).items();
  if (f.size() != 4 && f.size() != 5) throw rlp::Error("block must have 4 or 5 fields");
  Block b;
  b.header = BlockHeader::decode(f[0].raw);
  auto txs = f[1].items();
  b.transactions.reserve(txs.size());
  for (const auto& t : txs) b.transactions.push_back(Transaction::decode(t.bytes()));
  auto c = f[2].bytes();
  b.commit.assign(c.begin(), c.end());
  b.consensus = ConsensusData::decode(f[3].raw);
  if (f.size() == 5) {
    auto senders = f[4].items();
    if (senders.size() != b.transactions.size()) throw rlp::Error("block sender list mismatch");
    for (std::size_t i = 0; i < senders.size(); ++i)
      b.transactions[i].sender = Address::fromView(senders[i].bytes());
  }
  return b;
}

Hash32 orderedRoot(const std::vector<Hash32>& leaves) {
  if (leaves.empty()) return keccak256(BytesView{});
  std::vector<Hash32> level;
  level.reserve(leaves.size());
  uint8_t buf[65];
  for (const Hash32& leaf : leaves) {
    buf[0] = 0x00;
    std::memcpy(buf + 1, leaf.data(), 32);
    level.push_back(keccak256(BytesView(buf, 33)));
  }
  while (level.size() > 1) {
    std::vector<Hash32> next;
    next.reserve((level.size() + 1) / 2);
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
      buf[0] = 0x01;
      std::memcpy(buf + 1, level[i].data(), 32);
      std::memcpy(buf + 33, level[i + 1].data(), 32);
      next.push_back(keccak256(BytesView(buf, 65)));
    }
    if (level.size() % 2) next.push_back(level.back());
    level = std::move(next);
  }
  return level[0];
}

}  // namespace tn
