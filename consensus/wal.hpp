// The signing write-ahead log: double-sign protection for a validator. Before the consensus
// machine signs a proposal or vote it records "about to sign (height, round, type) = content" here,
// durably; a different content for the same (height, round, type) is refused forever after,
// across crashes and restarts. The records of the current height also let a restarted machine
// resume its round, step and lock (see Tendermint::start).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "consensus/vote.hpp"

namespace tn::bft {

struct SignRecord {
  uint64_t height = 0;
  Round round = 0;
  MsgType type = MsgType::Prevote;
  std::optional<Hash32> blockHash;  // nullopt: nil vote
  Round polRound = kNilRound;       // proposals only
  // The value itself, kept for a proposal and for a non-nil precommit (the value this validator
  // locked on), so that a restarted validator can re-propose it. Not part of the comparison.
  Bytes payload;

  bool sameContent(const SignRecord& o) const {
    return blockHash == o.blockHash && polRound == o.polRound;
  }
};

enum class SignCheck {
  Fresh,     // nothing was recorded for (height, round, type): recorded now, sign it
  Repeat,    // the same content was recorded before: signing it again is harmless
  Conflict,  // a different content is recorded: never sign this
  Pruned,    // the height is below the log's floor (already decided): never sign
};

class SignLog {
 public:
  using Key = std::tuple<uint64_t, Round, MsgType>;

  virtual ~SignLog() = default;

  // Checks `rec` against the log and, if Fresh, makes it durable before returning.
  // Throws (std::system_error) if it cannot be made durable: the caller must then not sign.
  SignCheck recordSign(const SignRecord& rec);
  const SignRecord* find(uint64_t height, Round round, MsgType type) const;
  // The records of one height in (round, type) order.
  std::vector<SignRecord> recordsAt(uint64_t height) const;
  const std::map<Key, SignRecord>& records() const { return records_; }

  // Forgets the heights below `floor` (decided and committed) and refuses to sign them; the floor
  // never moves down.
  void prune(uint64_t floor);
  uint64_t floor() const { return floor_; }

 protected:
  virtual void persist(const SignRecord& rec) = 0;
  virtual void persistFloor(uint64_t floor) = 0;
  // For replay by a durable log.
  void restore(SignRecord rec);
  void restoreFloor(uint64_t floor);

 private:
  std::map<Key, SignRecord> records_;
  uint64_t floor_ = 0;
};

// Keeps the records in memory only: for tests and the simulation, where the object itself plays
// the disk that survives a simulated crash.
class MemorySignLog final : public SignLog {
 protected:
  void persist(const SignRecord&) override {}
  void persistFloor(uint64_t) override {}
};

// An append-only file: each record is framed as [length u32 LE][first 4 bytes of keccak256(body)]
// [body = RLP], after an 8-byte magic. The file is locked (flock) while open: a second opener,
// in this process or another, gets std::system_error. Every append is followed by fdatasync.
// Opening replays the
// file; an incomplete or zero-filled last record (a write torn by a crash) is cut off, while a bad
// record followed by good data is corruption and throws. Pruning appends a floor record and, once
// `compactAfter` records are stale, rewrites the file (temp file, fsync, rename, fsync directory).
class FileSignLog final : public SignLog {
 public:
  explicit FileSignLog(std::filesystem::path path, std::size_t compactAfter = 4096);
  ~FileSignLog() override;
  FileSignLog(const FileSignLog&) = delete;
  FileSignLog& operator=(const FileSignLog&) = delete;

  // Bytes of torn tail cut off when the file was opened.
  std::size_t truncatedBytes() const { return truncated_; }
  const std::filesystem::path& path() const { return path_; }

 protected:
  void persist(const SignRecord& rec) override;
  void persistFloor(uint64_t floor) override;

 private:
  void replay();
  void append(const Bytes& body);
  void compact();

  std::filesystem::path path_;
  std::size_t compactAfter_;
  int fd_ = -1;
  std::size_t truncated_ = 0;
  std::size_t appended_ = 0;  // records in the file, live or stale
};

}  // namespace tn::bft
