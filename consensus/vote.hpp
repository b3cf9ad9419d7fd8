// Signed consensus messages: proposals and votes, the commit (the > 2/3 precommit signatures that
// prove a decision) and duplicate-vote evidence. Every signature is secp256k1 over
// signingHash(...): keccak256 of a canonical RLP list that names the chain, height, round, message
// type and block hash; the signer is found by public-key recovery.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chain/transaction.hpp"
#include "consensus/validator_set.hpp"

namespace tn::bft {

using Round = int64_t;
inline constexpr Round kNilRound = -1;  // "no round": a proposal without a proof-of-lock round

enum class MsgType : uint8_t { Prevote = 1, Precommit = 2, Proposal = 3 };
std::string_view name(MsgType t);

// Domain separator: a consensus signature can never be replayed as a transaction or vice versa.
inline constexpr std::string_view kSignDomain = "treasurenet/bft/v1";

// keccak256(RLP([kSignDomain, chainId, type, height, round, blockHash or "", polRound + 1])).
// Votes have polRound = kNilRound (encoded 0); a nil vote has an empty block hash.
Hash32 signingHash(uint64_t chainId, MsgType type, uint64_t height, Round round,
                   const std::optional<Hash32>& blockHash, Round polRound = kNilRound);

bool sameSignature(const Signature& a, const Signature& b);

// Memoises public-key recovery. Recovery is a pure function of (hash, signature), so one cache
// can serve every message source; a tampered message has another hash and misses. Not thread-safe.
class RecoverCache {
 public:
  explicit RecoverCache(std::size_t capacity = 1 << 16) : capacity_(capacity) {}
  // The signer, or nullopt for an invalid signature (bad r/s, high S, not recoverable).
  std::optional<Address> recover(const Hash32& hash, const Signature& sig);
  std::size_t hits() const { return hits_; }
  std::size_t misses() const { return misses_; }

 private:
  std::size_t capacity_;
  std::unordered_map<Hash32, std::optional<Address>> entries_;
  std::size_t hits_ = 0, misses_ = 0;
};

// Recovers without a cache when `cache` is null.
std::optional<Address> recoverSigner(const Hash32& hash, const Signature& sig, RecoverCache* cache);

struct Vote {
  MsgType type = MsgType::Prevote;  // Prevote or Precommit
  uint64_t height = 0;
  Round round = 0;
  std::optional<Hash32> blockHash;  // nullopt: a vote for nil
  Address validator;
  Signature sig;

  static Vote sign(uint64_t chainId, MsgType type, uint64_t height, Round round,
                   const std::optional<Hash32>& blockHash, const Hash32& secretKey);
  Hash32 signingHash(uint64_t chainId) const;
  // True if the signature recovers to `validator`.
  bool verify(uint64_t chainId, RecoverCache* cache = nullptr) const;

  // RLP([type, height, round, blockHash or "", validator, recid, r, s]). decode() is strict and
  // throws rlp::Error or std::invalid_argument; it does not check the signature.
  Bytes encode() const;
  static Vote decode(BytesView in);

  bool operator==(const Vote& o) const;
};

struct Proposal {
  uint64_t height = 0;
  Round round = 0;
  Round polRound = kNilRound;  // the proof-of-lock round of a re-proposed value, or kNilRound
  Hash32 blockHash;            // id(value); the application binds it to `payload`
  Bytes payload;               // the proposed value (block), not covered by the signature itself
  Address proposer;
  Signature sig;

  static Proposal sign(uint64_t chainId, uint64_t height, Round round, Round polRound,
                       const Hash32& blockHash, Bytes payload, const Hash32& secretKey);
  Hash32 signingHash(uint64_t chainId) const;
  bool verify(uint64_t chainId, RecoverCache* cache = nullptr) const;

  // RLP([height, round, polRound + 1, blockHash, payload, proposer, recid, r, s]).
  Bytes encode() const;
  static Proposal decode(BytesView in);

  bool operator==(const Proposal& o) const;
};

// One validator's precommit signature inside a commit.
struct CommitSig {
  Address validator;
  Signature sig;
};

// The proof that `blockHash` was decided at `height`: precommit signatures for (height, round,
// blockHash) from validators holding more than 2/3 of the power.
struct Commit {
  uint64_t height = 0;
  Round round = 0;
  Hash32 blockHash;
  std::vector<CommitSig> sigs;  // in validator address order

  // RLP([height, round, blockHash, [[validator, recid, r, s], ...]]).
  Bytes encode() const;
  static Commit decode(BytesView in);
};

// Empty if `commit` is valid for `validators` (the set of commit.height), else why not: each
// signature must recover to its claimed validator, validators must be members and distinct, and
// their power must exceed 2/3 of the total.
std::optional<std::string> checkCommit(uint64_t chainId, const ValidatorSet& validators,
                                       const Commit& commit, RecoverCache* cache = nullptr);
inline bool verifyCommit(uint64_t chainId, const ValidatorSet& validators, const Commit& commit,
                         RecoverCache* cache = nullptr) {
  return !checkCommit(chainId, validators, commit, cache);
}

// Two votes by one validator for the same (height, round, type) naming different blocks: proof of
// equivocation that anyone can check from the evidence alone (plus, for slashing, the validator
// set of that height).
struct DuplicateVoteEvidence {
  Vote a, b;  // canonical order: a.blockHash < b.blockHash (nil first)

  // Orders the two votes canonically; does not check them.
  static DuplicateVoteEvidence make(Vote x, Vote y);
  // Empty if the evidence proves equivocation, else why not.
  std::optional<std::string> check(uint64_t chainId) const;
  // As above, and the validator must belong to `validators`.
  std::optional<std::string> check(uint64_t chainId, const ValidatorSet& validators) const;
  bool verify(uint64_t chainId) const { return !check(chainId); }
  const Address& offender() const { return a.validator; }

  // RLP([vote a, vote b]) with each vote as Vote::encode.
  Bytes encode() const;
  static DuplicateVoteEvidence decode(BytesView in);
};

}  // namespace tn::bft
