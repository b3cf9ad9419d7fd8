// Ethereum keystore v3 (Web3 Secret Storage): a 32-byte secp256k1 secret encrypted under a
// password, in the JSON layout geth, ethers and MetaMask read and write.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "chain/address.hpp"
#include "state/bytes.hpp"

namespace tn {

// Bad file, unsupported parameters or a wrong password ("wrong password (MAC mismatch)").
struct KeystoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ScryptParams {
  uint64_t n = 131072;  // 2^17, ethers' default: ~128 MiB and ~0.5 s per derivation
  uint32_t r = 8;
  uint32_t p = 1;
};
inline constexpr ScryptParams kScryptStandard{131072, 8, 1};
inline constexpr ScryptParams kScryptLight{4096, 8, 1};  // for tests and throwaway dev keys

// Encrypts `secret` with scrypt + AES-128-CTR under a fresh random salt, iv and uuid (v4) and
// returns the keystore JSON (one line). `light` selects kScryptLight.
std::string encryptKeystore(const Hash32& secret, std::string_view password, bool light = false);
std::string encryptKeystore(const Hash32& secret, std::string_view password,
                            const ScryptParams& params);

// The deterministic core of encryptKeystore, for tests: salt (any length), iv (16 bytes) and
// uuid (16 bytes) given.
std::string encryptKeystoreWith(const Hash32& secret, std::string_view password,
                                const ScryptParams& params, BytesView salt, BytesView iv,
                                BytesView uuid);

// Decrypts a v3 keystore (kdf "scrypt" or "pbkdf2" with hmac-sha256, cipher "aes-128-ctr").
// Throws KeystoreError; a wrong password is "wrong password (MAC mismatch)". When the file
// names an address, the decrypted key must derive it.
Hash32 decryptKeystore(std::string_view json, std::string_view password);

// The `address` field of a keystore without decrypting it (nullopt if absent or malformed).
std::optional<Address> keystoreAddress(std::string_view json);

}  // namespace tn
