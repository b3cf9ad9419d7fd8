#include "chain/keystore.hpp"

#include <cryptopp/aes.h>
#include <cryptopp/misc.h>
#include <cryptopp/modes.h>
#include <cryptopp/osrng.h>
#include <cryptopp/pwdbased.h>
#include <cryptopp/scrypt.h>
#include <cryptopp/secblock.h>
#include <cryptopp/sha.h>

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

#include "chain/transaction.hpp"

namespace tn {
namespace {

namespace json = boost::json;

// Upper bounds for parameters read from a file, so a hostile keystore cannot make us allocate
// gigabytes or spin for minutes. They are far above what any wallet writes (geth: n=2^18, r=8).
constexpr uint64_t kMaxScryptMemory = uint64_t{1} << 30;  // 128 * r * n bytes
constexpr uint64_t kMaxScryptP = 16;
constexpr uint64_t kMaxPbkdf2Rounds = 10'000'000;
constexpr uint64_t kMaxDkLen = 64;

const uint8_t* bytePtr(std::string_view s) {
  // Crypto++ asserts on a null secret pointer even when its length is zero (empty password).
  static const uint8_t kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const uint8_t*>(s.data());
}

void checkScrypt(uint64_t n, uint64_t r, uint64_t p, uint64_t dklen) {
  if (n < 2 || (n & (n - 1)) != 0) throw KeystoreError("scrypt n must be a power of two above 1");
  if (r == 0 || p == 0 || p > kMaxScryptP) throw KeystoreError("unsupported scrypt r/p");
  if (r > kMaxScryptMemory / 128 / n) throw KeystoreError("scrypt parameters need too much memory");
  if (dklen < 32 || dklen > kMaxDkLen) throw KeystoreError("unsupported kdf dklen");
}

CryptoPP::SecByteBlock scrypt(std::string_view password, BytesView salt, uint64_t n, uint64_t r,
                              uint64_t p, uint64_t dklen) {
  checkScrypt(n, r, p, dklen);
  CryptoPP::SecByteBlock dk(dklen);
  CryptoPP::Scrypt().DeriveKey(dk.data(), dk.size(), bytePtr(password), password.size(),
                               salt.data(), salt.size(), n, r, p);
  return dk;
}

CryptoPP::SecByteBlock pbkdf2(std::string_view password, BytesView salt, uint64_t rounds,
                              uint64_t dklen) {
  if (rounds == 0 || rounds > kMaxPbkdf2Rounds) throw KeystoreError("unsupported pbkdf2 c");
  if (dklen < 32 || dklen > kMaxDkLen) throw KeystoreError("unsupported kdf dklen");
  CryptoPP::SecByteBlock dk(dklen);
  CryptoPP::PKCS5_PBKDF2_HMAC<CryptoPP::SHA256>().DeriveKey(
      dk.data(), dk.size(), 0, bytePtr(password), password.size(), salt.data(), salt.size(),
      static_cast<unsigned>(rounds), 0);
  return dk;
}

// AES-128-CTR with the first 16 bytes of the derived key; the same call encrypts and decrypts.
Bytes aes128Ctr(const CryptoPP::SecByteBlock& dk, BytesView iv, BytesView in) {
  if (iv.size() != CryptoPP::AES::BLOCKSIZE) throw KeystoreError("cipherparams.iv must be 16 bytes");
  CryptoPP::CTR_Mode<CryptoPP::AES>::Encryption ctr;
  ctr.SetKeyWithIV(dk.data(), 16, iv.data(), iv.size());
  Bytes out(in.size());
  ctr.ProcessData(out.data(), in.data(), in.size());
  return out;
}

// The spec's MAC: keccak256(dk[16..32] ++ ciphertext).
Hash32 keystoreMac(const CryptoPP::SecByteBlock& dk, BytesView ciphertext) {
  Bytes body(dk.begin() + 16, dk.begin() + 32);
  append(body, ciphertext);
  return keccak256(body);
}

std::string uuidText(BytesView u) {
  std::string hex = toHex(u, false);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

// --- reading -------------------------------------------------------------------------------

const json::value& field(const json::object& o, std::string_view key, std::string_view where) {
  const json::value* v = o.if_contains(key);
  if (!v) throw KeystoreError("keystore has no " + std::string(where));
  return *v;
}

const json::object& objectField(const json::object& o, std::string_view key,
                                std::string_view where) {
  const json::value& v = field(o, key, where);
  if (!v.is_object()) throw KeystoreError(std::string(where) + " is not an object");
  return v.as_object();
}

std::string stringField(const json::object& o, std::string_view key, std::string_view where) {
  const json::value& v = field(o, key, where);
  if (!v.is_string()) throw KeystoreError(std::string(where) + " is not a string");
  return std::string(v.as_string());
}

uint64_t uintField(const json::object& o, std::string_view key, std::string_view where) {
  const json::value& v = field(o, key, where);
  if (v.is_uint64()) return v.as_uint64();
  if (v.is_int64() && v.as_int64() >= 0) return static_cast<uint64_t>(v.as_int64());
  // Some writers emit 262144.0; accept integral doubles in range.
  if (v.is_double() && v.as_double() >= 0 && v.as_double() < 1e15 &&
      v.as_double() == static_cast<double>(static_cast<uint64_t>(v.as_double())))
    return static_cast<uint64_t>(v.as_double());
  throw KeystoreError(std::string(where) + " is not a non-negative integer");
}

Bytes hexField(const json::object& o, std::string_view key, std::string_view where) {
  try {
    return fromHex(stringField(o, key, where));
  } catch (const std::invalid_argument&) {
    throw KeystoreError(std::string(where) + " is not hex");
  }
}

json::object parseObject(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) throw KeystoreError("keystore is not valid JSON: " + ec.message());
  if (!v.is_object()) throw KeystoreError("keystore is not a JSON object");
  return std::move(v.as_object());
}

}  // namespace

std::string encryptKeystore(const Hash32& secret, std::string_view password, bool light) {
  return encryptKeystore(secret, password, light ? kScryptLight : kScryptStandard);
}

std::string encryptKeystore(const Hash32& secret, std::string_view password,
                            const ScryptParams& params) {
  CryptoPP::AutoSeededRandomPool rng;
  Bytes salt(32), iv(16), uuid(16);
  rng.GenerateBlock(salt.data(), salt.size());
  rng.GenerateBlock(iv.data(), iv.size());
  rng.GenerateBlock(uuid.data(), uuid.size());
  uuid[6] = static_cast<uint8_t>((uuid[6] & 0x0f) | 0x40);  // version 4 (random)
  uuid[8] = static_cast<uint8_t>((uuid[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return encryptKeystoreWith(secret, password, params, salt, iv, uuid);
}

std::string encryptKeystoreWith(const Hash32& secret, std::string_view password,
                                const ScryptParams& params, BytesView salt, BytesView iv,
                                BytesView uuid) {
  if (uuid.size() != 16) throw KeystoreError("uuid must be 16 bytes");
  if (!isValidSecretKey(secret)) throw KeystoreError("not a valid secp256k1 secret key");
  constexpr uint64_t kDkLen = 32;
  CryptoPP::SecByteBlock dk = scrypt(password, salt, params.n, params.r, params.p, kDkLen);
  Bytes ciphertext = aes128Ctr(dk, iv, secret.view());

  // Field names and shapes exactly as the spec and ethers/geth write them.
  json::object kdfparams;
  kdfparams["dklen"] = kDkLen;
  kdfparams["n"] = params.n;
  kdfparams["p"] = params.p;
  kdfparams["r"] = params.r;
  kdfparams["salt"] = toHex(salt, false);
  json::object crypto;
  crypto["cipher"] = "aes-128-ctr";
  crypto["cipherparams"] = json::object{{"iv", toHex(iv, false)}};
  crypto["ciphertext"] = toHex(ciphertext, false);
  crypto["kdf"] = "scrypt";
  crypto["kdfparams"] = std::move(kdfparams);
  crypto["mac"] = toHex(keystoreMac(dk, ciphertext).view(), false);
  json::object out;
  out["version"] = 3;
  out["id"] = uuidText(uuid);
  out["address"] = toHex(addressOfSecret(secret).view(), false);
  out["crypto"] = std::move(crypto);
  return json::serialize(out);
}

Hash32 decryptKeystore(std::string_view text, std::string_view password) {
  json::object file = parseObject(text);
  const json::value* version = file.if_contains("version");
  if (!version || !version->is_number() || version->to_number<double>() != 3)
    throw KeystoreError("unsupported keystore version (want 3)");
  // Very old geth files spell it "Crypto"; readers accept both.
  const json::object& crypto = file.contains("crypto") ? objectField(file, "crypto", "crypto")
                                                       : objectField(file, "Crypto", "crypto");
  std::string cipher = stringField(crypto, "cipher", "crypto.cipher");
  if (cipher != "aes-128-ctr") throw KeystoreError("unsupported cipher " + cipher);
  Bytes iv = hexField(objectField(crypto, "cipherparams", "crypto.cipherparams"), "iv",
                      "crypto.cipherparams.iv");
  Bytes ciphertext = hexField(crypto, "ciphertext", "crypto.ciphertext");
  Bytes mac = hexField(crypto, "mac", "crypto.mac");
  if (ciphertext.size() != 32) throw KeystoreError("crypto.ciphertext must be 32 bytes");
  if (mac.size() != 32) throw KeystoreError("crypto.mac must be 32 bytes");

  std::string kdf = stringField(crypto, "kdf", "crypto.kdf");
  const json::object& kp = objectField(crypto, "kdfparams", "crypto.kdfparams");
  Bytes salt = hexField(kp, "salt", "kdfparams.salt");
  uint64_t dklen = uintField(kp, "dklen", "kdfparams.dklen");
  CryptoPP::SecByteBlock dk;
  if (kdf == "scrypt") {
    dk = scrypt(password, salt, uintField(kp, "n", "kdfparams.n"), uintField(kp, "r", "kdfparams.r"),
                uintField(kp, "p", "kdfparams.p"), dklen);
  } else if (kdf == "pbkdf2") {
    std::string prf = stringField(kp, "prf", "kdfparams.prf");
    if (prf != "hmac-sha256") throw KeystoreError("unsupported pbkdf2 prf " + prf);
    dk = pbkdf2(password, salt, uintField(kp, "c", "kdfparams.c"), dklen);
  } else {
    throw KeystoreError("unsupported kdf " + kdf);
  }

  Hash32 expected = keystoreMac(dk, ciphertext);
  if (!CryptoPP::VerifyBufsEqual(expected.data(), mac.data(), 32))
    throw KeystoreError("wrong password (MAC mismatch)");
  Bytes plain = aes128Ctr(dk, iv, ciphertext);
  Hash32 secret = Hash32::fromView(plain);
  std::fill(plain.begin(), plain.end(), 0);
  if (!isValidSecretKey(secret)) throw KeystoreError("keystore holds an invalid secret key");
  if (auto named = keystoreAddress(text); named && *named != addressOfSecret(secret))
    throw KeystoreError("keystore address does not match its key");
  return secret;
}

std::optional<Address> keystoreAddress(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::value* a = v.as_object().if_contains("address");
  if (!a || !a->is_string()) return std::nullopt;
  try {
    std::string s(a->as_string());
    // Writers use lower case without 0x; fold case so a stray upper-case file still reads.
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s.size() == 40) s = "0x" + s;
    return Address::parse(s);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace tn
