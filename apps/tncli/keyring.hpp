// The keystore directory: one geth-style v3 file per key (UTC--<time>--<address>) plus a hidden
// `.names.json` mapping the optional names to addresses. Keeping names out of the key files keeps
// those files exactly standard; geth and ethers skip dot-files in a keystore directory.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/address.hpp"
#include "state/bytes.hpp"

namespace tn::cli {

struct KeyEntry {
  Address address;
  std::filesystem::path file;
  std::string name;  // empty if unnamed
};

class Keyring {
 public:
  explicit Keyring(std::filesystem::path dir) : dir_(std::move(dir)) {}

  const std::filesystem::path& dir() const { return dir_; }

  // All readable key files, oldest first (the file names sort by creation time).
  std::vector<KeyEntry> list() const;
  std::optional<KeyEntry> find(const Address& address) const;
  // A key by name or address (0x or treasurenet1). Throws UsageError when there is none.
  KeyEntry resolve(std::string_view nameOrAddress) const;
  // An address by name, or parsed from text; no key file needed (for --to, balance, ...).
  Address resolveAddress(std::string_view nameOrAddress) const;

  // Encrypts and writes a new key file (mode 0600, directory 0700) and records the name.
  // Throws UsageError if the address or the name is already present.
  KeyEntry store(const Hash32& secret, std::string_view password, const std::string& name,
                 bool lightKdf) const;
  // Decrypts the key; throws KeystoreError ("wrong password (MAC mismatch)").
  Hash32 unlock(const KeyEntry& entry, std::string_view password) const;

  std::map<std::string, Address> names() const;

 private:
  void saveNames(const std::map<std::string, Address>& names) const;

  std::filesystem::path dir_;
};

// Names are short identifiers that cannot be mistaken for an address.
bool isValidKeyName(std::string_view name);

// The default keystore directory: $TN_KEYSTORE, else ~/.treasurenet/keystore.
std::string defaultKeystoreDir();

// The password from --password-file (its first line), else $TN_PASSWORD, else typed on the
// terminal without echo (twice when `confirm`). Throws UsageError if none can be had.
std::string obtainPassword(const std::optional<std::string>& passwordFile, bool confirm,
                           std::string_view purpose);

}  // namespace tn::cli
