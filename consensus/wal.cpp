#include "consensus/wal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "chain/rlp.hpp"

namespace tn::bft {

// --- SignLog ---

SignCheck SignLog::recordSign(const SignRecord& rec) {
  if (rec.height < floor_) return SignCheck::Pruned;
  Key key{rec.height, rec.round, rec.type};
  if (auto it = records_.find(key); it != records_.end())
    return it->second.sameContent(rec) ? SignCheck::Repeat : SignCheck::Conflict;
  persist(rec);  // durable before anything is signed
  records_.emplace(key, rec);
  return SignCheck::Fresh;
}

const SignRecord* SignLog::find(uint64_t height, Round round, MsgType type) const {
  auto it = records_.find(Key{height, round, type});
  return it == records_.end() ? nullptr : &it->second;
}

std::vector<SignRecord> SignLog::recordsAt(uint64_t height) const {
  std::vector<SignRecord> out;
  for (auto it = records_.lower_bound(Key{height, 0, MsgType{}});
       it != records_.end() && std::get<0>(it->first) == height; ++it)
    out.push_back(it->second);
  return out;
}

void SignLog::prune(uint64_t floor) {
  if (floor <= floor_) return;
  restoreFloor(floor);
  persistFloor(floor);
}

void SignLog::restore(SignRecord rec) {
  if (rec.height < floor_) return;
  Key key{rec.height, rec.round, rec.type};
  records_.insert_or_assign(key, std::move(rec));
}

void SignLog::restoreFloor(uint64_t floor) {
  floor_ = std::max(floor_, floor);
  records_.erase(records_.begin(), records_.lower_bound(Key{floor_, 0, MsgType{}}));
}

// --- FileSignLog ---

namespace {

constexpr char kMagic[8] = {'T', 'N', 'B', 'F', 'T', 'W', 'A', 'L'};
constexpr std::size_t kFrameHeader = 8;  // length + checksum
constexpr uint64_t kSignKind = 0;
constexpr uint64_t kFloorKind = 1;

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& p) {
  throw std::system_error(errno, std::generic_category(), what + " " + p.string());
}

void writeAll(int fd, const uint8_t* data, std::size_t n, const std::filesystem::path& p) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("write", p);
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

void syncDir(const std::filesystem::path& file) {
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (d < 0) fail("open directory", dir);
  int rc = ::fsync(d);
  ::close(d);
  if (rc != 0) fail("fsync directory", dir);
}

Bytes frame(const Bytes& body) {
  Bytes out(kFrameHeader);
  uint32_t len = static_cast<uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(len >> (8 * i));
  Hash32 sum = keccak256(body);
  std::copy(sum.bytes.begin(), sum.bytes.begin() + 4, out.begin() + 4);
  append(out, body);
  return out;
}

Bytes encodeRecord(const SignRecord& r) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(kSignKind);
  e.uint(r.height);
  e.uint(uint64_t(r.round));
  e.uint(uint64_t(r.type));
  if (r.blockHash)
    e.bytes(r.blockHash->view());
  else
    e.bytes({});
  e.uint(uint64_t(r.polRound + 1));
  e.bytes(r.payload);
  e.endList(m);
  return e.take();
}

Bytes encodeFloor(uint64_t floor) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(kFloorKind);
  e.uint(floor);
  e.endList(m);
  return e.take();
}

bool allZero(BytesView b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; });
}

}  // namespace

FileSignLog::FileSignLog(std::filesystem::path path, std::size_t compactAfter)
    : path_(std::move(path)), compactAfter_(compactAfter) {
  bool existed = std::filesystem::exists(path_);
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) fail("open", path_);
  try {
    // Two processes signing from one log could each sign a different value: refuse.
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) fail("lock (in use by another process?)", path_);
    if (!existed) syncDir(path_);
    replay();
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

FileSignLog::~FileSignLog() {
  if (fd_ >= 0) ::close(fd_);
}

void FileSignLog::replay() {
  Bytes data;
  {
    struct stat st;
    if (::fstat(fd_, &st) != 0) fail("stat", path_);
    data.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < data.size()) {
      ssize_t r = ::pread(fd_, data.data() + got, data.size() - got, static_cast<off_t>(got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) fail("read", path_);
      got += static_cast<std::size_t>(r);
    }
  }
  auto truncateTo = [&](std::size_t keep) {
    truncated_ = data.size() - keep;
    if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0 || ::fdatasync(fd_) != 0)
      fail("truncate", path_);
  };
  // A file shorter than the magic was torn while being created.
  if (data.size() < sizeof kMagic) {
    if (!std::equal(data.begin(), data.end(), kMagic))
      throw std::runtime_error("signing log " + path_.string() + ": not a signing log");
    truncateTo(0);
    writeAll(fd_, reinterpret_cast<const uint8_t*>(kMagic), sizeof kMagic, path_);
    if (::fdatasync(fd_) != 0) fail("fdatasync", path_);
    return;
  }
  if (!std::equal(kMagic, kMagic + sizeof kMagic, data.begin()))
    throw std::runtime_error("signing log " + path_.string() + ": not a signing log");

  BytesView all(data);
  std::size_t off = sizeof kMagic;
  while (off < all.size()) {
    BytesView rest = all.subspan(off);
    if (rest.size() < kFrameHeader) return truncateTo(off);  // torn header
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len |= uint32_t(rest[i]) << (8 * i);
    if (kFrameHeader + len > rest.size()) return truncateTo(off);  // torn body
    BytesView body = rest.subspan(kFrameHeader, len);
    Hash32 sum = keccak256(body);
    if (!std::equal(sum.bytes.begin(), sum.bytes.begin() + 4, rest.begin() + 4)) {
      // The last record, or zeros to the end (space allocated but never written): a torn write.
      if (kFrameHeader + len == rest.size() || allZero(rest)) return truncateTo(off);
      throw std::runtime_error("signing log " + path_.string() + ": corrupt record at offset " +
                               std::to_string(off));
    }
    try {
      auto f = rlp::decode(body).items();
      if (f.empty()) throw rlp::Error("empty record");
      uint64_t kind = f[0].toU64();
      if (kind == kFloorKind && f.size() == 2) {
        restoreFloor(f[1].toU64());
      } else if (kind == kSignKind && f.size() == 7) {
        SignRecord r;
        r.height = f[1].toU64();
        r.round = static_cast<Round>(f[2].toU64());
        uint64_t type = f[3].toU64();
        if (type < 1 || type > 3) throw rlp::Error("bad message type");
        r.type = static_cast<MsgType>(type);
        if (!f[4].bytes().empty()) r.blockHash = Hash32::fromView(f[4].bytes());
        r.polRound = static_cast<Round>(f[5].toU64()) - 1;
        BytesView payload = f[6].bytes();
        r.payload.assign(payload.begin(), payload.end());
        restore(std::move(r));
      } else {
        throw rlp::Error("unknown record");
      }
    } catch (const std::exception& e) {
      throw std::runtime_error("signing log " + path_.string() + ": bad record at offset " +
                               std::to_string(off) + ": " + e.what());
    }
    ++appended_;
    off += kFrameHeader + len;
  }
}

void FileSignLog::append(const Bytes& body) {
  Bytes framed = frame(body);
  off_t before = ::lseek(fd_, 0, SEEK_END);
  try {
    writeAll(fd_, framed.data(), framed.size(), path_);
    if (::fdatasync(fd_) != 0) fail("fdatasync", path_);
  } catch (...) {
    // Do not leave half a record in front of the next one.
    if (before >= 0 && ::ftruncate(fd_, before) == 0) (void)::fdatasync(fd_);
    throw;
  }
  ++appended_;
}

void FileSignLog::persist(const SignRecord& rec) {
  append(encodeRecord(rec));
}

void FileSignLog::persistFloor(uint64_t floor) {
  if (appended_ - std::min(appended_, records().size()) >= compactAfter_)
    compact();
  else
    append(encodeFloor(floor));
}

void FileSignLog::compact() {
  std::filesystem::path tmp = path_;
  tmp += ".tmp";
  // The new file is locked before it takes the log's name, so no other process can take it over.
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) fail("open", tmp);
  try {
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) fail("lock", tmp);
    Bytes out(kMagic, kMagic + sizeof kMagic);
    tn::append(out, frame(encodeFloor(floor())));
    for (const auto& [key, rec] : records()) tn::append(out, frame(encodeRecord(rec)));
    writeAll(fd, out.data(), out.size(), tmp);
    if (::fdatasync(fd) != 0) fail("fdatasync", tmp);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) fail("rename", tmp);
    syncDir(path_);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd_);
  fd_ = fd;
  appended_ = records().size() + 1;
}

}  // namespace tn::bft
