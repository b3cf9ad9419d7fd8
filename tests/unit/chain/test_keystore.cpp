#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "chain/keystore.hpp"
#include "chain/transaction.hpp"

using namespace tn;
namespace json = boost::json;

namespace {

// Web3 Secret Storage Definition, "Test Vectors": password "testpassword".
constexpr const char* kSecret = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
constexpr const char* kPassword = "testpassword";

constexpr const char* kPbkdf2Vector = R"({
  "crypto": {
    "cipher": "aes-128-ctr",
    "cipherparams": {"iv": "6087dab2f9fdbbfaddc31a909735c1e6"},
    "ciphertext": "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    "kdf": "pbkdf2",
    "kdfparams": {
      "c": 262144, "dklen": 32, "prf": "hmac-sha256",
      "salt": "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"
    },
    "mac": "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"
  },
  "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  "version": 3
})";

constexpr const char* kScryptVector = R"({
  "crypto": {
    "cipher": "aes-128-ctr",
    "cipherparams": {"iv": "83dbcc02d8ccb40e466191a123791e0e"},
    "ciphertext": "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
    "kdf": "scrypt",
    "kdfparams": {
      "dklen": 32, "n": 262144, "r": 1, "p": 8,
      "salt": "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19"
    },
    "mac": "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"
  },
  "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  "version": 3
})";

std::string errorOf(const std::string& json, std::string_view password) {
  try {
    decryptKeystore(json, password);
  } catch (const KeystoreError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("keystore: spec PBKDF2-SHA-256 vector decrypts") {
  CHECK(decryptKeystore(kPbkdf2Vector, kPassword) == Hash32::fromHex(kSecret));
  CHECK(errorOf(kPbkdf2Vector, "testpassword!") == "wrong password (MAC mismatch)");
}

TEST_CASE("keystore: spec scrypt vector decrypts") {
  CHECK(decryptKeystore(kScryptVector, kPassword) == Hash32::fromHex(kSecret));
}

TEST_CASE("keystore: encryption with the vector's salt and iv reproduces its ciphertext and mac") {
  std::string out = encryptKeystoreWith(
      Hash32::fromHex(kSecret), kPassword, ScryptParams{262144, 1, 8},
      fromHex("ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19"),
      fromHex("83dbcc02d8ccb40e466191a123791e0e"), fromHex("3198bc9c66725ab3d9954942343ae5b6"));
  json::object o = json::parse(out).as_object();
  const json::object& c = o.at("crypto").as_object();
  CHECK(c.at("ciphertext").as_string() ==
        "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c");
  CHECK(c.at("mac").as_string() ==
        "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097");
  CHECK(o.at("id").as_string() == "3198bc9c-6672-5ab3-d995-4942343ae5b6");
  CHECK(o.at("address").as_string() == "008aeeda4d805471df9b2a5b0f38a0c3bcba786b");
}

TEST_CASE("keystore: light round trip and the standard JSON layout") {
  Hash32 secret = Hash32::fromHex(kSecret);
  std::string out = encryptKeystore(secret, "correct horse", /*light=*/true);
  CHECK(decryptKeystore(out, "correct horse") == secret);
  CHECK(errorOf(out, "wrong horse") == "wrong password (MAC mismatch)");
  CHECK(keystoreAddress(out) == addressOfSecret(secret));

  json::object o = json::parse(out).as_object();
  CHECK(o.at("version").as_int64() == 3);
  std::string id(o.at("id").as_string());
  REQUIRE(id.size() == 36);
  CHECK(id[8] == '-');
  CHECK(id[14] == '4');  // uuid v4
  CHECK(std::string("89ab").find(id[19]) != std::string::npos);
  std::string addr(o.at("address").as_string());
  CHECK(addr == toHex(addressOfSecret(secret).view(), false));
  const json::object& c = o.at("crypto").as_object();
  CHECK(c.at("cipher").as_string() == "aes-128-ctr");
  CHECK(c.at("cipherparams").as_object().at("iv").as_string().size() == 32);
  CHECK(c.at("ciphertext").as_string().size() == 64);
  CHECK(c.at("mac").as_string().size() == 64);
  CHECK(c.at("kdf").as_string() == "scrypt");
  const json::object& kp = c.at("kdfparams").as_object();
  CHECK(kp.at("n").to_number<uint64_t>() == 4096);
  CHECK(kp.at("r").to_number<uint64_t>() == 8);
  CHECK(kp.at("p").to_number<uint64_t>() == 1);
  CHECK(kp.at("dklen").to_number<uint64_t>() == 32);
  CHECK(kp.at("salt").as_string().size() == 64);

  // Fresh randomness every time.
  std::string again = encryptKeystore(secret, "correct horse", true);
  CHECK(json::parse(again).at("id") != o.at("id"));
  CHECK(json::parse(again).at("crypto").at("ciphertext") != c.at("ciphertext"));
}

TEST_CASE("keystore: empty password round trips") {
  Hash32 secret = Hash32::fromHex(kSecret);
  std::string out = encryptKeystore(secret, "", true);
  CHECK(decryptKeystore(out, "") == secret);
  CHECK(errorOf(out, " ") == "wrong password (MAC mismatch)");
}

TEST_CASE("keystore: malformed and unsupported files are rejected clearly") {
  CHECK(errorOf("not json", kPassword).find("not valid JSON") != std::string::npos);
  CHECK(errorOf("[]", kPassword) == "keystore is not a JSON object");

  json::object o = json::parse(kPbkdf2Vector).as_object();
  json::object v2 = o;
  v2["version"] = 2;
  CHECK(errorOf(json::serialize(v2), kPassword).find("version") != std::string::npos);

  json::object cbc = o;
  cbc["crypto"].as_object()["cipher"] = "aes-128-cbc";
  CHECK(errorOf(json::serialize(cbc), kPassword) == "unsupported cipher aes-128-cbc");

  json::object kdf = o;
  kdf["crypto"].as_object()["kdf"] = "argon2";
  CHECK(errorOf(json::serialize(kdf), kPassword) == "unsupported kdf argon2");

  json::object huge = json::parse(kScryptVector).as_object();
  huge["crypto"].as_object()["kdfparams"].as_object()["n"] = uint64_t{1} << 40;
  CHECK(errorOf(json::serialize(huge), kPassword).find("too much memory") != std::string::npos);

  // Integer fields: an integral double is what some writers emit; anything else is refused.
  auto withIterations = [&](json::value c) {
    json::object x = o;
    x["crypto"].as_object()["kdfparams"].as_object()["c"] = c;
    return json::serialize(x);
  };
  CHECK(decryptKeystore(withIterations(262144.0), kPassword) == Hash32::fromHex(kSecret));
  for (const json::value& bad :
       {json::value(-1), json::value(262144.5), json::value("262144"), json::value(1e300)})
    CHECK(errorOf(withIterations(bad), kPassword).find("is not a non-negative integer") !=
          std::string::npos);

  json::object noMac = o;
  noMac["crypto"].as_object().erase("mac");
  CHECK(errorOf(json::serialize(noMac), kPassword) == "keystore has no crypto.mac");

  // Old geth files capitalise "Crypto".
  json::object upper = o;
  upper["Crypto"] = upper["crypto"];
  upper.erase("crypto");
  CHECK(decryptKeystore(json::serialize(upper), kPassword) == Hash32::fromHex(kSecret));
}

TEST_CASE("keystore: an address that does not match the key is rejected") {
  Hash32 secret = Hash32::fromHex(kSecret);
  json::object o = json::parse(encryptKeystore(secret, "pw", true)).as_object();
  o["address"] = "1111111111111111111111111111111111111111";
  CHECK(errorOf(json::serialize(o), "pw") == "keystore address does not match its key");
}
