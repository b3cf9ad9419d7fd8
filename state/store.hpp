// The node's only persistent store: one RocksDB database with a column family per kind of data.
// Everything a block changes goes into one Store::Batch and is written at once (see docs/STATE.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "state/bytes.hpp"
#include "state/overlay.hpp"

// Forward declarations keep RocksDB's large headers out of every layer that includes us.
namespace rocksdb {
class Snapshot;
class WriteBatch;
}  // namespace rocksdb

namespace tn {

// Column families, in the order they are created. The names on disk are the enumerator names.
enum class Column : uint8_t { meta, state, trie, blocks, receipts, txindex, logindex };
inline constexpr std::size_t kColumnCount = 7;
const char* columnName(Column c);

struct StoreOptions {
  // One LRU cache shared by all column families; index and filter blocks are charged to it too,
  // so this bounds the read-side memory.
  std::size_t blockCacheBytes = 128u << 20;
  // Upper bound on all memtables together (RocksDB's WriteBufferManager).
  std::size_t memtableBytes = 64u << 20;
  // Table files kept open; each costs a descriptor and some memory outside the cache.
  int maxOpenFiles = 512;
  bool createIfMissing = true;
};

namespace detail {
struct StoreDb;
}

// Read access shared by the live store and its snapshots. Thread-safe.
class ReadView {
 public:
  std::optional<Bytes> get(Column c, BytesView key) const;
  // Keys starting with `prefix`, ascending. The views passed to `fn` die when it returns.
  void scan(Column c, BytesView prefix, const ScanFn& fn) const;
  // Keys in [from, to), ascending; an empty `to` means no upper bound.
  void scanRange(Column c, BytesView from, BytesView to, const ScanFn& fn) const;

 protected:
  ReadView(std::shared_ptr<detail::StoreDb> db, const rocksdb::Snapshot* snap)
      : db_(std::move(db)), snap_(snap) {}
  ~ReadView() = default;

  std::shared_ptr<detail::StoreDb> db_;
  const rocksdb::Snapshot* snap_;  // nullptr reads the latest data
};

class Store final : public ReadView {
 public:
  // Opens (or creates) the database in `dir`. Throws std::runtime_error, with a clear message if
  // another process (or another Store in this one) holds the directory's LOCK.
  explicit Store(const std::filesystem::path& dir, const StoreOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // A set of writes applied atomically by Store::write. Not thread-safe.
  class Batch {
   public:
    explicit Batch(const Store& store);
    ~Batch();
    Batch(Batch&&) noexcept;
    Batch& operator=(Batch&&) noexcept;

    void put(Column c, BytesView key, BytesView value);
    void erase(Column c, BytesView key);
    std::size_t count() const;     // number of puts and erases
    std::size_t byteSize() const;  // serialized size
    void clear();

   private:
    friend class Store;
    std::shared_ptr<detail::StoreDb> db_;
    std::unique_ptr<rocksdb::WriteBatch> wb_;
  };

  // A consistent point-in-time view; RPC threads read from it while a block commits. It keeps the
  // database open (and its LOCK held) until released, even past the Store's destruction.
  class Snapshot final : public ReadView {
   public:
    ~Snapshot();
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;

   private:
    friend class Store;
    Snapshot(std::shared_ptr<detail::StoreDb> db, const rocksdb::Snapshot* snap)
        : ReadView(std::move(db), snap) {}
  };

  Batch batch() const { return Batch(*this); }
  // Applies the whole batch or nothing. With `sync`, returns only once the WAL is on disk.
  // The batch is left as it was. Throws std::runtime_error with RocksDB's status text.
  void write(Batch& batch, bool sync = true);

  std::shared_ptr<const Snapshot> snapshot() const;

  // Flushes memtables to table files (shutdown, tests); not needed for durability.
  void flush();
  // Memtables + block cache + table readers outside the cache, for monitoring.
  uint64_t approximateMemoryUsage() const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// StateReader over the `state` column, so an Overlay can sit directly on the store.
class StoreStateReader final : public StateReader {
 public:
  // Reads the latest committed data; `store` must outlive this reader.
  explicit StoreStateReader(const Store& store) : view_(&store) {}
  // Reads a fixed snapshot, which this reader keeps alive.
  explicit StoreStateReader(std::shared_ptr<const Store::Snapshot> snap)
      : view_(snap.get()), hold_(std::move(snap)) {}

  std::optional<Bytes> get(BytesView key) const override;
  void scan(BytesView prefix, const ScanFn& fn) const override;

 private:
  const ReadView* view_;
  std::shared_ptr<const Store::Snapshot> hold_;
};

// Puts a block's state changes (nullopt = erase) into the `state` column of `batch`.
void stageStateWrites(Store::Batch& batch, const WriteSet& changes);

}  // namespace tn
