#include "apps/tncli/keyring.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/json.hpp>

#include "apps/tncli/cli.hpp"
#include "chain/keystore.hpp"

namespace tn::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::uintmax_t kMaxKeyFileSize = 64 * 1024;  // a v3 file is under 1 KiB
constexpr const char* kNamesFile = ".names.json";

std::optional<std::string> readSmallFile(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec) || fs::file_size(p, ec) > kMaxKeyFileSize || ec)
    return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes `data` to a new file with mode 0600, failing if it exists, and syncs it: a key file
// must never be half-written or readable by others.
void writeNewFile(const fs::path& p, std::string_view data) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw UsageError("cannot create " + p.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      throw UsageError("cannot write " + p.string() + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  bool ok = ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok) throw UsageError("cannot write " + p.string() + ": " + std::strerror(errno));
}

void ensureDir(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  fs::create_directories(dir, ec);
  if (ec) throw UsageError("cannot create keystore directory " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
}

// geth's file name: UTC--2006-01-02T15-04-05.000000000Z--<lower-case address without 0x>.
std::string keyFileName(const Address& a) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() %
               1'000'000'000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "UTC--%04d-%02d-%02dT%02d-%02d-%02d.%09lldZ--", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(nanos));
  return buf + toHex(a.view(), false);
}

std::optional<std::string> readLineNoEcho(std::string_view prompt) {
  std::cerr << prompt << std::flush;
  termios old{};
  bool restore = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (restore) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::cerr << "\n";
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

bool isValidKeyName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (name.substr(0, 2) == "0x" || name.substr(0, 2) == "0X") return false;
  if (name.substr(0, kBech32Prefix.size() + 1) == std::string(kBech32Prefix) + "1") return false;
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

std::string defaultKeystoreDir() {
  if (const char* env = std::getenv("TN_KEYSTORE"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.treasurenet/keystore";
}

std::map<std::string, Address> Keyring::names() const {
  std::map<std::string, Address> out;
  auto text = readSmallFile(dir_ / kNamesFile);
  if (!text) return out;
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object())
    throw UsageError("cannot read " + (dir_ / kNamesFile).string() + ": not a JSON object");
  for (const auto& [name, addr] : v.as_object()) {
    if (!addr.is_string()) continue;
    try {
      out.emplace(std::string(name), Address::parse(addr.as_string()));
    } catch (const std::invalid_argument&) {
      // A hand-edited bad entry should not make every other key unusable.
    }
  }
  return out;
}

void Keyring::saveNames(const std::map<std::string, Address>& names) const {
  json::object o;
  for (const auto& [name, addr] : names) o[name] = addr.checksumHex();
  fs::path tmp = dir_ / (std::string(kNamesFile) + ".tmp");
  std::error_code ec;
  fs::remove(tmp, ec);
  writeNewFile(tmp, json::serialize(o) + "\n");
  fs::rename(tmp, dir_ / kNamesFile, ec);  // atomic replace
  if (ec) throw UsageError("cannot update " + (dir_ / kNamesFile).string() + ": " + ec.message());
}

std::vector<KeyEntry> Keyring::list() const {
  std::vector<KeyEntry> out;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return out;
  std::map<Address, std::string> nameOf;
  for (const auto& [name, addr] : names()) nameOf.emplace(addr, name);
  for (const auto& de : fs::directory_iterator(dir_, ec)) {
    std::string fname = de.path().filename().string();
    if (fname.empty() || fname[0] == '.' || fname.back() == '~') continue;
    auto text = readSmallFile(de.path());
    if (!text) continue;
    auto addr = keystoreAddress(*text);
    if (!addr) continue;  // not a key file (or one without an address): skip like geth does
    KeyEntry e{*addr, de.path(), ""};
    if (auto it = nameOf.find(*addr); it != nameOf.end()) e.name = it->second;
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(),
            [](const KeyEntry& a, const KeyEntry& b) { return a.file.filename() < b.file.filename(); });
  return out;
}

std::optional<KeyEntry> Keyring::find(const Address& address) const {
  for (KeyEntry& e : list())
    if (e.address == address) return std::move(e);
  return std::nullopt;
}

Address Keyring::resolveAddress(std::string_view text) const {
  auto all = names();
  if (auto it = all.find(std::string(text)); it != all.end()) return it->second;
  try {
    return Address::parse(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError("'" + std::string(text) + "' is neither an address nor a key name (" +
                     e.what() + ")");
  }
}

KeyEntry Keyring::resolve(std::string_view text) const {
  Address a = resolveAddress(text);
  auto e = find(a);
  if (!e) throw UsageError("no key for " + a.checksumHex() + " in " + dir_.string());
  return std::move(*e);
}

KeyEntry Keyring::store(const Hash32& secret, std::string_view password, const std::string& name,
                        bool lightKdf) const {
  std::string text = encryptKeystore(secret, password, lightKdf);
  Address addr = *keystoreAddress(text);
  if (find(addr)) throw UsageError("a key for " + addr.checksumHex() + " is already in " + dir_.string());
  auto all = names();
  if (!name.empty() && all.count(name))
    throw UsageError("the name '" + name + "' is already used by " + all.at(name).checksumHex());
  ensureDir(dir_);
  fs::path file = dir_ / keyFileName(addr);
  writeNewFile(file, text);
  if (!name.empty()) {
    all[name] = addr;
    saveNames(all);
  }
  return KeyEntry{addr, file, name};
}

Hash32 Keyring::unlock(const KeyEntry& entry, std::string_view password) const {
  auto text = readSmallFile(entry.file);
  if (!text) throw UsageError("cannot read key file " + entry.file.string());
  return decryptKeystore(*text, password);
}

std::string obtainPassword(const std::optional<std::string>& passwordFile, bool confirm,
                           std::string_view purpose) {
  if (passwordFile) {
    std::ifstream in(*passwordFile, std::ios::binary);
    if (!in) throw UsageError("cannot read password file " + *passwordFile);
    std::string line;
    std::getline(in, line);  // the first line, like geth's --password
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (const char* env = std::getenv("TN_PASSWORD")) return env;
  if (!::isatty(STDIN_FILENO))
    throw UsageError("no password: use --password-file FILE or TN_PASSWORD (stdin is not a terminal)");
  auto first = readLineNoEcho("Password for " + std::string(purpose) + ": ");
  if (!first) throw UsageError("no password entered");
  if (confirm) {
    auto again = readLineNoEcho("Repeat password: ");
    if (!again || *again != *first) throw UsageError("the passwords do not match");
  }
  return *first;
}

}  // namespace tn::cli
