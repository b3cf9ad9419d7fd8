#include "state/store.hpp"

#include <doctest/doctest.h>
#include <rocksdb/db.h>
#include <rocksdb/iostats_context.h>
#include <rocksdb/perf_level.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/state/helpers.hpp"

using namespace tn;
using tn::test::TempDir;

namespace {

std::optional<std::string> get(const ReadView& r, Column c, std::string_view k) {
  auto v = r.get(c, asBytes(k));
  if (!v) return std::nullopt;
  return std::string(asChars(*v));
}

std::vector<std::string> keys(const ReadView& r, Column c, std::string_view prefix) {
  std::vector<std::string> out;
  r.scan(c, asBytes(prefix), [&](BytesView k, BytesView) {
    out.emplace_back(asChars(k));
    return true;
  });
  return out;
}

void putOne(Store& s, Column c, std::string_view k, std::string_view v, bool sync = true) {
  auto b = s.batch();
  b.put(c, asBytes(k), asBytes(v));
  s.write(b, sync);
}

std::string batchKey(int batch, int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "b%06d/%03d", batch, i);
  return buf;
}

constexpr int kKeysPerBatch = 50;

}  // namespace

TEST_CASE("store creates the column families and keeps them apart") {
  TempDir dir;
  {
    Store s(dir.path());
    auto b = s.batch();
    for (std::size_t i = 0; i < kColumnCount; ++i) {
      auto c = static_cast<Column>(i);
      b.put(c, asBytes("same-key"), asBytes(columnName(c)));
    }
    s.write(b);
    for (std::size_t i = 0; i < kColumnCount; ++i) {
      auto c = static_cast<Column>(i);
      CHECK(get(s, c, "same-key") == std::string(columnName(c)));
      CHECK(get(s, c, "other") == std::nullopt);
    }
  }
  std::vector<std::string> families;
  REQUIRE(
      rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.path().string(), &families).ok());
  std::sort(families.begin(), families.end());
  CHECK(families == std::vector<std::string>{"blocks", "default", "logindex", "meta", "receipts",
                                             "state", "trie", "txindex"});
}

TEST_CASE("batch writes are invisible until written, then all visible; erase works") {
  TempDir dir;
  Store s(dir.path());
  putOne(s, Column::state, "gone", "x");
  auto b = s.batch();
  for (int i = 0; i < 100; ++i) b.put(Column::state, asBytes(batchKey(0, i)), asBytes("v"));
  b.put(Column::blocks, asBytes("block-1"), asBytes("body"));
  b.erase(Column::state, asBytes("gone"));
  CHECK(b.count() == 102);
  CHECK(b.byteSize() > 0);
  CHECK(keys(s, Column::state, "b").empty());
  CHECK(get(s, Column::state, "gone") == "x");
  s.write(b);
  CHECK(keys(s, Column::state, "b").size() == 100);
  CHECK(get(s, Column::blocks, "block-1") == "body");
  CHECK(get(s, Column::state, "gone") == std::nullopt);
  b.clear();
  CHECK(b.count() == 0);
  s.write(b);  // an empty batch is fine

  TempDir other;
  Store s2(other.path());
  auto foreign = s2.batch();
  CHECK_THROWS_AS(s.write(foreign), std::logic_error);
}

TEST_CASE("scan is ascending, bounded by the prefix, and stops early") {
  TempDir dir;
  Store s(dir.path());
  auto b = s.batch();
  for (auto k : {"a", "ab", "abc", "abd", "ac", "b", "\xff", "\xff\xff", "\xff\xff\x01"})
    b.put(Column::state, asBytes(k), asBytes("v"));
  b.put(Column::meta, asBytes("ab-in-meta"), asBytes("v"));
  s.write(b);
  CHECK(keys(s, Column::state, "ab") == std::vector<std::string>{"ab", "abc", "abd"});
  CHECK(keys(s, Column::state, "").size() == 9);
  CHECK(keys(s, Column::state, "\xff") ==
        std::vector<std::string>{"\xff", "\xff\xff", "\xff\xff\x01"});
  CHECK(keys(s, Column::state, "\xff\xff") == std::vector<std::string>{"\xff\xff", "\xff\xff\x01"});
  CHECK(keys(s, Column::state, "zz").empty());

  std::vector<std::string> first2;
  s.scan(Column::state, asBytes("a"), [&](BytesView k, BytesView) {
    first2.emplace_back(asChars(k));
    return first2.size() < 2;
  });
  CHECK(first2 == std::vector<std::string>{"a", "ab"});

  std::vector<std::string> range;
  auto collect = [&](BytesView k, BytesView) {
    range.emplace_back(asChars(k));
    return true;
  };
  s.scanRange(Column::state, asBytes("ab"), asBytes("ac"), collect);
  CHECK(range == std::vector<std::string>{"ab", "abc", "abd"});  // [from, to)
  range.clear();
  s.scanRange(Column::state, asBytes("b"), {}, collect);  // empty `to`: to the end
  CHECK(range == std::vector<std::string>{"b", "\xff", "\xff\xff", "\xff\xff\x01"});
  range.clear();
  s.scanRange(Column::state, asBytes("b"), asBytes("a"), collect);  // empty range
  CHECK(range.empty());
}

TEST_CASE("data survives closing and reopening") {
  TempDir dir;
  {
    Store s(dir.path());
    putOne(s, Column::meta, "last_committed", "42");
    putOne(s, Column::state, "k", "v", /*sync=*/false);
    s.flush();
    putOne(s, Column::receipts, "r", "only-in-wal");
  }
  Store s(dir.path());
  CHECK(get(s, Column::meta, "last_committed") == "42");
  CHECK(get(s, Column::state, "k") == "v");
  CHECK(get(s, Column::receipts, "r") == "only-in-wal");
  CHECK(s.approximateMemoryUsage() > 0);
}

TEST_CASE("a sync write reaches the disk before returning") {
  TempDir dir;
  Store s(dir.path());
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableTimeExceptForMutex);
  rocksdb::get_iostats_context()->Reset();
  putOne(s, Column::state, "unsynced", "v", /*sync=*/false);
  uint64_t afterUnsynced = rocksdb::get_iostats_context()->fsync_nanos;
  putOne(s, Column::state, "synced", "v", /*sync=*/true);
  uint64_t afterSynced = rocksdb::get_iostats_context()->fsync_nanos;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  CHECK(afterUnsynced == 0);
  CHECK(afterSynced > afterUnsynced);
}

TEST_CASE("a snapshot does not see later writes") {
  TempDir dir;
  Store s(dir.path());
  putOne(s, Column::state, "a", "1");
  putOne(s, Column::state, "b", "1");
  auto snap = s.snapshot();
  auto b = s.batch();
  b.put(Column::state, asBytes("a"), asBytes("2"));
  b.erase(Column::state, asBytes("b"));
  b.put(Column::state, asBytes("c"), asBytes("2"));
  s.write(b);

  CHECK(get(*snap, Column::state, "a") == "1");
  CHECK(get(*snap, Column::state, "b") == "1");
  CHECK(get(*snap, Column::state, "c") == std::nullopt);
  CHECK(keys(*snap, Column::state, "") == std::vector<std::string>{"a", "b"});
  CHECK(get(s, Column::state, "a") == "2");
  CHECK(keys(s, Column::state, "") == std::vector<std::string>{"a", "c"});

  // The reader adapters see the same two worlds.
  StoreStateReader latest(s), old(snap);
  CHECK(latest.get(asBytes("b")) == std::nullopt);
  CHECK(old.get(asBytes("b")) == toBytes("1"));
  Overlay over(old);
  over.put(asBytes("d"), asBytes("3"));
  std::vector<std::string> seen;
  over.scan({}, [&](BytesView k, BytesView) {
    seen.emplace_back(asChars(k));
    return true;
  });
  CHECK(seen == std::vector<std::string>{"a", "b", "d"});
}

TEST_CASE("a snapshot read while another thread commits stays consistent") {
  TempDir dir;
  Store s(dir.path());
  // Every batch writes the same counter into two keys; a reader must never see them differ.
  putOne(s, Column::state, "x", "0");
  putOne(s, Column::state, "y", "0");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 1; i <= 2000; ++i) {
      auto b = s.batch();
      b.put(Column::state, asBytes("x"), asBytes(std::to_string(i)));
      b.put(Column::state, asBytes("y"), asBytes(std::to_string(i)));
      s.write(b, false);
    }
    stop = true;
  });
  int mismatches = 0, reads = 0;
  while (!stop) {
    auto snap = s.snapshot();
    auto x = get(*snap, Column::state, "x");
    std::this_thread::yield();
    auto y = get(*snap, Column::state, "y");
    mismatches += x != y;
    ++reads;
  }
  writer.join();
  CHECK(reads > 0);
  CHECK(mismatches == 0);
}

TEST_CASE("a snapshot keeps the database open after the Store is gone") {
  TempDir dir;
  std::shared_ptr<const Store::Snapshot> snap;
  {
    Store s(dir.path());
    putOne(s, Column::state, "k", "v");
    snap = s.snapshot();
  }
  CHECK(get(*snap, Column::state, "k") == "v");
  CHECK_THROWS_AS(Store(dir.path()), std::runtime_error);  // still locked by the snapshot
  snap.reset();
  Store again(dir.path());
  CHECK(get(again, Column::state, "k") == "v");
}

TEST_CASE("opening a directory in use fails with a clear error") {
  TempDir dir;
  Store s(dir.path());
  // In this process.
  CHECK_THROWS_WITH_AS(Store(dir.path()), doctest::Contains("in use"), std::runtime_error);
  // From another process: the child test case below exits 0 only if it got the lock error.
  auto pid = tn::test::spawnSelf("store child: open a locked directory", dir.path());
  CHECK(tn::test::waitChild(pid) == 0);
}

TEST_CASE("store child: open a locked directory") {
  const char* dir = tn::test::childDir();
  if (!dir) return;  // only meaningful as a child of the test above
  CHECK_THROWS_WITH_AS(Store(std::filesystem::path(dir)),
                       doctest::Contains("in use by another process"), std::runtime_error);
}

TEST_CASE("a process killed while writing leaves only whole batches") {
  TempDir dir;
  auto pid = tn::test::spawnSelf("store child: write batches until killed", dir.path());
  // Wait until the child has committed a few batches, then kill it mid-stream.
  auto marker = dir.path() / "started";
  for (int i = 0; i < 500 && !std::filesystem::exists(marker); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  kill(pid, SIGKILL);
  CHECK(tn::test::waitChild(pid) == 128 + SIGKILL);

  Store s(dir.path());
  // Batches are numbered in order: the present ones must be a prefix, each complete.
  std::vector<int> perBatch;
  s.scan(Column::state, asBytes("b"), [&](BytesView k, BytesView) {
    int batch = std::stoi(std::string(asChars(k).substr(1, 6)));
    if (static_cast<int>(perBatch.size()) <= batch) perBatch.resize(batch + 1, 0);
    ++perBatch[batch];
    return true;
  });
  CHECK(perBatch.size() > 1);
  for (std::size_t i = 0; i < perBatch.size(); ++i) {
    CAPTURE(i);
    CHECK(perBatch[i] == kKeysPerBatch);
  }
  auto last = get(s, Column::meta, "last_batch");
  REQUIRE(last);
  CHECK(std::stoi(*last) + 1 == static_cast<int>(perBatch.size()));
}

TEST_CASE("store child: write batches until killed") {
  const char* dir = tn::test::childDir();
  if (!dir) return;
  Store s(dir);
  for (int batch = 0;; ++batch) {
    auto b = s.batch();
    for (int i = 0; i < kKeysPerBatch; ++i)
      b.put(Column::state, asBytes(batchKey(batch, i)), asBytes(std::string(100, 'v')));
    b.put(Column::meta, asBytes("last_batch"), asBytes(std::to_string(batch)));
    s.write(b, batch % 4 == 0);
    if (batch == 3) {
      if (std::FILE* f = std::fopen((std::string(dir) + "/started").c_str(), "w")) std::fclose(f);
    }
  }
}
