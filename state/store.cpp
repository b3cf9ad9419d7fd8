#include "state/store.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <rocksdb/write_buffer_manager.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <vector>

namespace tn {

namespace {

constexpr std::array<const char*, kColumnCount> kColumnNames = {
    "meta", "state", "trie", "blocks", "receipts", "txindex", "logindex"};

rocksdb::Slice slice(BytesView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
BytesView view(const rocksdb::Slice& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

[[noreturn]] void fail(const std::string& what, const rocksdb::Status& s) {
  throw std::runtime_error("store: " + what + ": " + s.ToString());
}

// The smallest key greater than every key starting with `prefix`; empty if there is none
// (all 0xff), which scanRange reads as "no upper bound".
Bytes prefixEnd(BytesView prefix) {
  Bytes end(prefix.begin(), prefix.end());
  while (!end.empty() && end.back() == 0xff) end.pop_back();
  if (!end.empty()) ++end.back();
  return end;
}

rocksdb::CompressionType pickCompression() {
  auto supported = rocksdb::GetSupportedCompressions();
  auto has = [&](rocksdb::CompressionType t) {
    return std::find(supported.begin(), supported.end(), t) != supported.end();
  };
  if (has(rocksdb::kLZ4Compression)) return rocksdb::kLZ4Compression;
  if (has(rocksdb::kSnappyCompression)) return rocksdb::kSnappyCompression;
  return rocksdb::kNoCompression;
}

rocksdb::ColumnFamilyOptions columnOptions(Column c, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  o.level_compaction_dynamic_level_bytes = true;
  o.max_write_buffer_number = 2;
  o.compression = pickCompression();

  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache;
  // Index and filter blocks live in the cache, so the cache size bounds them as well; L0's stay
  // pinned because every read consults them.
  t.cache_index_and_filter_blocks = true;
  t.cache_index_and_filter_blocks_with_high_priority = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.format_version = 5;

  switch (c) {
    case Column::state:
    case Column::trie:
    case Column::txindex:
      // Point lookups dominate: a bloom filter saves a disk read per missing key.
      t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
      t.optimize_filters_for_memory = true;
      o.write_buffer_size = c == Column::txindex ? (8u << 20) : (32u << 20);
      break;
    case Column::blocks:
    case Column::receipts:
      // Read whole and rarely; bigger blocks compress better.
      t.block_size = 16 << 10;
      o.write_buffer_size = 16u << 20;
      break;
    case Column::meta:
    case Column::logindex:
      o.write_buffer_size = 8u << 20;
      break;
  }
  // Trie nodes are hashes: compression would only cost CPU.
  if (c == Column::trie) o.compression = rocksdb::kNoCompression;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

}  // namespace

const char* columnName(Column c) {
  return kColumnNames.at(static_cast<std::size_t>(c));
}

namespace detail {

// Owns the open database; shared by the Store, its batches and its snapshots so that none of
// them can outlive the handles they use.
struct StoreDb {
  rocksdb::DB* db = nullptr;
  std::array<rocksdb::ColumnFamilyHandle*, kColumnCount> cf{};
  std::vector<rocksdb::ColumnFamilyHandle*> other;  // default + any unknown families on disk
  std::shared_ptr<rocksdb::Cache> cache;

  rocksdb::ColumnFamilyHandle* handle(Column c) const { return cf.at(static_cast<std::size_t>(c)); }

  ~StoreDb() {
    if (!db) return;
    for (auto* h : cf)
      if (h) db->DestroyColumnFamilyHandle(h);
    for (auto* h : other) db->DestroyColumnFamilyHandle(h);
    db->Close();  // the status is not actionable during teardown
    delete db;
  }
};

}  // namespace detail

// --- ReadView ---------------------------------------------------------------------------------

std::optional<Bytes> ReadView::get(Column c, BytesView key) const {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_;
  rocksdb::PinnableSlice value;
  auto s = db_->db->Get(ro, db_->handle(c), slice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) fail(std::string("get from ") + columnName(c), s);
  auto v = view(value);
  return Bytes(v.begin(), v.end());
}

void ReadView::scan(Column c, BytesView prefix, const ScanFn& fn) const {
  Bytes end = prefixEnd(prefix);
  scanRange(c, prefix, end, fn);
}

void ReadView::scanRange(Column c, BytesView from, BytesView to, const ScanFn& fn) const {
  if (!to.empty() && !BytesLess{}(from, to)) return;
  rocksdb::ReadOptions ro;
  ro.snapshot = snap_;
  rocksdb::Slice upper = slice(to);
  if (!to.empty()) ro.iterate_upper_bound = &upper;  // lets RocksDB stop early and skip files
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(ro, db_->handle(c)));
  for (it->Seek(slice(from)); it->Valid(); it->Next()) {
    if (!fn(view(it->key()), view(it->value()))) return;
  }
  if (!it->status().ok()) fail(std::string("scan of ") + columnName(c), it->status());
}

// --- Store ------------------------------------------------------------------------------------

Store::Store(const std::filesystem::path& dir, const StoreOptions& options)
    : ReadView(std::make_shared<detail::StoreDb>(), nullptr), dir_(dir) {
  auto& d = *db_;
  d.cache = rocksdb::NewLRUCache(options.blockCacheBytes);

  rocksdb::DBOptions dbo;
  dbo.create_if_missing = options.createIfMissing;
  dbo.create_missing_column_families = true;
  dbo.max_open_files = options.maxOpenFiles;
  dbo.max_background_jobs = 2;
  dbo.bytes_per_sync = 1 << 20;
  // Rarely written families (meta) would otherwise pin old WAL files forever.
  dbo.max_total_wal_size = 128u << 20;
  dbo.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(options.memtableBytes);
  dbo.keep_log_file_num = 4;
  dbo.max_log_file_size = 8u << 20;
  dbo.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;

  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (std::size_t i = 0; i < kColumnCount; ++i)
    descs.emplace_back(kColumnNames[i], columnOptions(static_cast<Column>(i), d.cache));
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  // RocksDB refuses to open a database without naming every family it holds.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(dbo, dir.string(), &existing).ok()) {
    for (auto& name : existing) {
      bool known = std::any_of(descs.begin(), descs.end(),
                               [&](const auto& desc) { return desc.name == name; });
      if (!known) descs.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  auto s = rocksdb::DB::Open(dbo, dir.string(), descs, &handles, &d.db);
  if (!s.ok()) {
    std::string msg = s.ToString();
    if (s.IsIOError() && msg.find("LOCK") != std::string::npos)
      throw std::runtime_error("store: database " + dir.string() +
                               " is in use by another process (or another Store): " + msg);
    throw std::runtime_error("store: cannot open " + dir.string() + ": " + msg);
  }
  for (std::size_t i = 0; i < handles.size(); ++i) {
    if (i < kColumnCount)
      d.cf[i] = handles[i];
    else
      d.other.push_back(handles[i]);
  }
}

Store::~Store() = default;

void Store::write(Batch& batch, bool sync) {
  if (batch.db_ != db_) throw std::logic_error("store: batch belongs to another store");
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto s = db_->db->Write(wo, batch.wb_.get());
  if (!s.ok()) fail("write", s);
}

std::shared_ptr<const Store::Snapshot> Store::snapshot() const {
  return std::shared_ptr<const Snapshot>(new Snapshot(db_, db_->db->GetSnapshot()));
}

Store::Snapshot::~Snapshot() {
  db_->db->ReleaseSnapshot(snap_);
}

void Store::flush() {
  std::vector<rocksdb::ColumnFamilyHandle*> all(db_->cf.begin(), db_->cf.end());
  auto s = db_->db->Flush(rocksdb::FlushOptions(), all);
  if (!s.ok()) fail("flush", s);
}

uint64_t Store::approximateMemoryUsage() const {
  uint64_t total = db_->cache->GetUsage();
  for (auto* h : db_->cf) {
    uint64_t v = 0;
    if (db_->db->GetIntProperty(h, rocksdb::DB::Properties::kSizeAllMemTables, &v)) total += v;
    if (db_->db->GetIntProperty(h, rocksdb::DB::Properties::kEstimateTableReadersMem, &v))
      total += v;
  }
  return total;
}

// --- Batch ------------------------------------------------------------------------------------

Store::Batch::Batch(const Store& store)
    : db_(store.db_), wb_(std::make_unique<rocksdb::WriteBatch>()) {}
Store::Batch::~Batch() = default;
Store::Batch::Batch(Batch&&) noexcept = default;
Store::Batch& Store::Batch::operator=(Batch&&) noexcept = default;

void Store::Batch::put(Column c, BytesView key, BytesView value) {
  auto s = wb_->Put(db_->handle(c), slice(key), slice(value));
  if (!s.ok()) fail("batch put", s);
}

void Store::Batch::erase(Column c, BytesView key) {
  auto s = wb_->Delete(db_->handle(c), slice(key));
  if (!s.ok()) fail("batch erase", s);
}

std::size_t Store::Batch::count() const {
  return wb_->Count();
}
std::size_t Store::Batch::byteSize() const {
  return wb_->GetDataSize();
}
void Store::Batch::clear() {
  wb_->Clear();
}

// --- StoreStateReader -------------------------------------------------------------------------

std::optional<Bytes> StoreStateReader::get(BytesView key) const {
  return view_->get(Column::state, key);
}

void StoreStateReader::scan(BytesView prefix, const ScanFn& fn) const {
  view_->scan(Column::state, prefix, fn);
}

void stageStateWrites(Store::Batch& batch, const WriteSet& changes) {
  for (const auto& [key, value] : changes) {
    if (value)
      batch.put(Column::state, key, *value);
    else
      batch.erase(Column::state, key);
  }
}

}  // namespace tn
