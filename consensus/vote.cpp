#include "consensus/vote.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <stdexcept>

#include "chain/rlp.hpp"

namespace tn::bft {
namespace {

using rlp::Item;

// --- RLP helpers shared by every message ---

void putHash(rlp::Encoder& e, const std::optional<Hash32>& h) {
  if (h)
    e.bytes(h->view());
  else
    e.bytes({});
}

void putSig(rlp::Encoder& e, const Signature& sig) {
  e.uint(uint64_t{sig.recid});
  e.uint(sig.r);
  e.uint(sig.s);
}

std::vector<Item> listOf(const Item& item, std::size_t n, const char* what) {
  auto items = item.items();
  if (items.size() != n)
    throw rlp::Error(std::string(what) + ": expected " + std::to_string(n) + " fields, got " +
                     std::to_string(items.size()));
  return items;
}

Round getRound(const Item& item) {
  uint64_t v = item.toU64();
  if (v > uint64_t(std::numeric_limits<Round>::max())) throw rlp::Error("round out of range");
  return static_cast<Round>(v);
}

// polRound + 1 on the wire, so that "none" (-1) is 0.
Round getPolRound(const Item& item) {
  return getRound(item) - 1;
}

std::optional<Hash32> getOptHash(const Item& item) {
  BytesView b = item.bytes();
  if (b.empty()) return std::nullopt;
  return Hash32::fromView(b);  // throws unless 32 bytes
}

Address getAddress(const Item& item) {
  return Address::fromView(item.bytes());
}

Signature getSig(const Item* f) {
  Signature sig;
  uint64_t recid = f[0].toU64();
  if (recid > 3) throw rlp::Error("signature recovery id out of range");
  sig.recid = static_cast<uint8_t>(recid);
  sig.r = f[1].toU256();
  sig.s = f[2].toU256();
  return sig;
}

MsgType getVoteType(const Item& item) {
  uint64_t t = item.toU64();
  if (t != uint64_t(MsgType::Prevote) && t != uint64_t(MsgType::Precommit))
    throw rlp::Error("vote: unknown type " + std::to_string(t));
  return static_cast<MsgType>(t);
}

}  // namespace

std::string_view name(MsgType t) {
  switch (t) {
    case MsgType::Prevote:
      return "prevote";
    case MsgType::Precommit:
      return "precommit";
    case MsgType::Proposal:
      return "proposal";
  }
  return "unknown";
}

Hash32 signingHash(uint64_t chainId, MsgType type, uint64_t height, Round round,
                   const std::optional<Hash32>& blockHash, Round polRound) {
  if (round < 0 || polRound < kNilRound) throw std::invalid_argument("signingHash: negative round");
  rlp::Encoder e;
  auto m = e.beginList();
  e.str(kSignDomain);
  e.uint(chainId);
  e.uint(uint64_t(type));
  e.uint(height);
  e.uint(uint64_t(round));
  putHash(e, blockHash);
  e.uint(uint64_t(polRound + 1));
  e.endList(m);
  return keccak256(e.out());
}

bool sameSignature(const Signature& a, const Signature& b) {
  return a.recid == b.recid && a.r == b.r && a.s == b.s;
}

// --- recovery ---

std::optional<Address> RecoverCache::recover(const Hash32& hash, const Signature& sig) {
  // The key binds the message hash and the whole signature.
  Bytes keyIn = concat({hash.view(), u256ToBE32(sig.r).view(), u256ToBE32(sig.s).view()});
  keyIn.push_back(sig.recid);
  Hash32 key = keccak256(keyIn);
  if (auto it = entries_.find(key); it != entries_.end()) {
    ++hits_;
    return it->second;
  }
  ++misses_;
  std::optional<Address> out = recoverSigner(hash, sig, nullptr);
  if (entries_.size() >= capacity_) entries_.clear();  // crude but bounded
  entries_.emplace(key, out);
  return out;
}

std::optional<Address> recoverSigner(const Hash32& hash, const Signature& sig,
                                     RecoverCache* cache) {
  if (cache) return cache->recover(hash, sig);
  try {
    return recoverAddress(hash, sig);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// --- Vote ---

Vote Vote::sign(uint64_t chainId, MsgType type, uint64_t height, Round round,
                const std::optional<Hash32>& blockHash, const Hash32& secretKey) {
  if (type == MsgType::Proposal)
    throw std::invalid_argument("Vote::sign: a proposal is not a vote");
  Vote v;
  v.type = type;
  v.height = height;
  v.round = round;
  v.blockHash = blockHash;
  v.validator = addressOfSecret(secretKey);
  v.sig = signHash(v.signingHash(chainId), secretKey);
  return v;
}

Hash32 Vote::signingHash(uint64_t chainId) const {
  return bft::signingHash(chainId, type, height, round, blockHash);
}

bool Vote::verify(uint64_t chainId, RecoverCache* cache) const {
  if (type == MsgType::Proposal || round < 0) return false;
  return recoverSigner(signingHash(chainId), sig, cache) == validator;
}

Bytes Vote::encode() const {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(uint64_t(type));
  e.uint(height);
  e.uint(uint64_t(round));
  putHash(e, blockHash);
  e.bytes(validator.view());
  putSig(e, sig);
  e.endList(m);
  return e.take();
}

Vote Vote::decode(BytesView in) {
  auto f = listOf(rlp::decode(in), 8, "vote");
  Vote v;
  v.type = getVoteType(f[0]);
  v.height = f[1].toU64();
  v.round = getRound(f[2]);
  v.blockHash = getOptHash(f[3]);
  v.validator = getAddress(f[4]);
  v.sig = getSig(&f[5]);
  return v;
}

bool Vote::operator==(const Vote& o) const {
  return type == o.type && height == o.height && round == o.round && blockHash == o.blockHash &&
         validator == o.validator && sameSignature(sig, o.sig);
}

// --- Proposal ---

Proposal Proposal::sign(uint64_t chainId, uint64_t height, Round round, Round polRound,
                        const Hash32& blockHash, Bytes payload, const Hash32& secretKey) {
  Proposal p;
  p.height = height;
  p.round = round;
  p.polRound = polRound;
  p.blockHash = blockHash;
  p.payload = std::move(payload);
  p.proposer = addressOfSecret(secretKey);
  p.sig = signHash(p.signingHash(chainId), secretKey);
  return p;
}

Hash32 Proposal::signingHash(uint64_t chainId) const {
  return bft::signingHash(chainId, MsgType::Proposal, height, round, blockHash, polRound);
}

bool Proposal::verify(uint64_t chainId, RecoverCache* cache) const {
  if (round < 0 || polRound < kNilRound || polRound >= round) return false;
  return recoverSigner(signingHash(chainId), sig, cache) == proposer;
}

Bytes Proposal::encode() const {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(height);
  e.uint(uint64_t(round));
  e.uint(uint64_t(polRound + 1));
  e.bytes(blockHash.view());
  e.bytes(payload);
  e.bytes(proposer.view());
  putSig(e, sig);
  e.endList(m);
  return e.take();
}

Proposal Proposal::decode(BytesView in) {
  auto f = listOf(rlp::decode(in), 9, "proposal");
  Proposal p;
  p.height = f[0].toU64();
  p.round = getRound(f[1]);
  p.polRound = getPolRound(f[2]);
  p.blockHash = Hash32::fromView(f[3].bytes());
  BytesView payload = f[4].bytes();
  p.payload.assign(payload.begin(), payload.end());
  p.proposer = getAddress(f[5]);
  p.sig = getSig(&f[6]);
  return p;
}

bool Proposal::operator==(const Proposal& o) const {
  return height == o.height && round == o.round && polRound == o.polRound &&
         blockHash == o.blockHash && payload == o.payload && proposer == o.proposer &&
         sameSignature(sig, o.sig);
}

// --- Commit ---

Bytes Commit::encode() const {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(height);
  e.uint(uint64_t(round));
  e.bytes(blockHash.view());
  auto list = e.beginList();
  for (const auto& cs : sigs) {
    auto item = e.beginList();
    e.bytes(cs.validator.view());
    putSig(e, cs.sig);
    e.endList(item);
  }
  e.endList(list);
  e.endList(m);
  return e.take();
}

Commit Commit::decode(BytesView in) {
  auto f = listOf(rlp::decode(in), 4, "commit");
  Commit c;
  c.height = f[0].toU64();
  c.round = getRound(f[1]);
  c.blockHash = Hash32::fromView(f[2].bytes());
  for (const Item& item : f[3].items()) {
    auto g = listOf(item, 4, "commit signature");
    c.sigs.push_back(CommitSig{getAddress(g[0]), getSig(&g[1])});
  }
  return c;
}

std::optional<std::string> checkCommit(uint64_t chainId, const ValidatorSet& validators,
                                       const Commit& commit, RecoverCache* cache) {
  if (commit.round < 0) return "commit: negative round";
  const Hash32 hash =
      signingHash(chainId, MsgType::Precommit, commit.height, commit.round, commit.blockHash);
  std::set<Address> seen;
  uint64_t power = 0;
  for (const auto& cs : commit.sigs) {
    const Validator* v = validators.find(cs.validator);
    if (!v) return "commit: " + cs.validator.hex() + " is not a validator";
    if (!seen.insert(cs.validator).second)
      return "commit: duplicate signature by " + cs.validator.hex();
    if (recoverSigner(hash, cs.sig, cache) != cs.validator)
      return "commit: bad signature by " + cs.validator.hex();
    power += v->power;
  }
  if (!validators.isQuorum(power))
    return "commit: signed power " + std::to_string(power) + " is not more than 2/3 of " +
           std::to_string(validators.totalPower());
  return std::nullopt;
}

// --- DuplicateVoteEvidence ---

DuplicateVoteEvidence DuplicateVoteEvidence::make(Vote x, Vote y) {
  if (y.blockHash < x.blockHash) std::swap(x, y);
  return DuplicateVoteEvidence{std::move(x), std::move(y)};
}

std::optional<std::string> DuplicateVoteEvidence::check(uint64_t chainId) const {
  if (a.validator != b.validator) return "evidence: votes by different validators";
  if (a.type != b.type || a.height != b.height || a.round != b.round)
    return "evidence: votes for different (height, round, type)";
  if (!(a.blockHash < b.blockHash)) return "evidence: same block hash or not in canonical order";
  if (!a.verify(chainId) || !b.verify(chainId)) return "evidence: bad signature";
  return std::nullopt;
}

std::optional<std::string> DuplicateVoteEvidence::check(uint64_t chainId,
                                                        const ValidatorSet& validators) const {
  if (!validators.find(a.validator))
    return "evidence: " + a.validator.hex() + " is not a validator";
  return check(chainId);
}

Bytes DuplicateVoteEvidence::encode() const {
  rlp::Encoder e;
  auto m = e.beginList();
  e.raw(a.encode());
  e.raw(b.encode());
  e.endList(m);
  return e.take();
}

DuplicateVoteEvidence DuplicateVoteEvidence::decode(BytesView in) {
  auto f = listOf(rlp::decode(in), 2, "evidence");
  return DuplicateVoteEvidence{Vote::decode(f[0].raw), Vote::decode(f[1].raw)};
}

}  // namespace tn::bft
