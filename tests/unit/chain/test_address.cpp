#include <doctest/doctest.h>

#include <cctype>

#include "chain/address.hpp"

using namespace tn;

namespace {
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string upperDigits(const std::string& s) {  // keeps the 0x prefix lower case
  std::string out = s.substr(0, 2);
  for (char c : s.substr(2)) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

TEST_CASE("address: EIP-55 published examples") {
  // The EIP's test cases: all caps, all lower, and normal (mixed) checksums.
  const char* examples[] = {
      "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
      "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
      "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
  };
  for (const char* text : examples) {
    INFO(std::string(text));
    Address a = Address::parse(text);
    CHECK(a.checksumHex() == text);
    CHECK(a.hex() == lower(text));
    // Single-case spellings carry no checksum and are always accepted.
    CHECK(Address::parse(lower(text)) == a);
    CHECK(Address::parse(upperDigits(text)) == a);
  }
}

TEST_CASE("address: a wrong mixed-case checksum is rejected") {
  std::string good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
  std::string bad = good;
  bad[3] = 'A';  // flip the case of one letter
  try {
    Address::parse(bad);
    FAIL("expected a checksum error");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("bad EIP-55 checksum") != std::string::npos);
  }
  CHECK_THROWS_AS(Address::parse("0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9adb"), std::invalid_argument);
}

TEST_CASE("address: malformed text") {
  CHECK_THROWS_AS(Address::parse(""), std::invalid_argument);
  CHECK_THROWS_AS(Address::parse("0x"), std::invalid_argument);
  CHECK_THROWS_AS(Address::parse("0x52908400098527886e0f7030069857d2e4169ee"), std::invalid_argument);
  CHECK_THROWS_AS(Address::parse("0x52908400098527886e0f7030069857d2e4169ee700"),
                  std::invalid_argument);
  CHECK_THROWS_AS(Address::parse("0x52908400098527886e0f7030069857d2e4169eeg"), std::invalid_argument);
  CHECK_THROWS_AS(Address::parse("52908400098527886e0f7030069857d2e4169ee7"), std::invalid_argument);
  CHECK_THROWS_AS(Address::parse(" 0x52908400098527886e0f7030069857d2e4169ee7"),
                  std::invalid_argument);
}

TEST_CASE("address: fromU64 puts the number big-endian in the low bytes") {
  CHECK(Address::fromU64(0).isZero());
  CHECK(Address::fromU64(0x1001).hex() == "0x0000000000000000000000000000000000001001");
  CHECK(Address::fromU64(0x0102030405060708).hex() == "0x0000000000000000000000000102030405060708");
  CHECK(Address::fromU64(0x1001).checksumHex() == "0x0000000000000000000000000000000000001001");
}

TEST_CASE("address: treasurenet1 bech32 form") {
  Address a = Address::parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  std::string b = a.bech32();
  CHECK(b.rfind("treasurenet1", 0) == 0);
  CHECK(b.size() == 11 + 1 + 32 + 6);
  CHECK(Address::parse(b) == a);
  std::string upper;
  for (char c : b) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(Address::parse(upper) == a);

  auto [hrp, data] = bech32Decode(b);
  CHECK(hrp == "treasurenet");
  CHECK(Bytes(data) == Bytes(a.bytes.begin(), a.bytes.end()));

  std::string corrupt = b;
  corrupt[20] = corrupt[20] == 'q' ? 'p' : 'q';
  CHECK_THROWS_AS(Address::parse(corrupt), std::invalid_argument);
  // Right checksum, wrong prefix or size.
  CHECK_THROWS_AS(Address::parse(bech32Encode("cosmos", a.view())), std::invalid_argument);
  CHECK_THROWS_AS(Address::parse(bech32Encode("treasurenet", Bytes(19, 1))), std::invalid_argument);
  CHECK_THROWS_AS(Address::parse(bech32Encode("treasurenet", Bytes(32, 1))), std::invalid_argument);
  CHECK(Address::fromU64(1).bech32() != Address::fromU64(2).bech32());
}

TEST_CASE("bech32: BIP-173 valid strings") {
  const std::string valid[] = {
      "A12UEL5L",
      "a12uel5l",
      "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
      "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
      "11" + std::string(82, 'q') + "c8247j",
      "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
      "?1ezyfcl",
  };
  for (const std::string& s : valid) {
    CAPTURE(s);
    auto [hrp, data] = bech32Decode(s);
    CHECK(hrp == lower(s.substr(0, s.rfind('1'))));
    // Re-encoding gives back the lower-case form, so the data conversion is lossless.
    CHECK(bech32Encode(hrp, data) == lower(s));
  }
  // The data part of "abcdef1qpzry..." is the 32 charset symbols in order: 0, 1, ..., 31.
  auto [hrp, data] = bech32Decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw");
  CHECK(hrp == "abcdef");
  CHECK(toHex(data) == "0x00443214c74254b635cf84653a56d7c675be77df");
  CHECK(bech32Decode("A12UEL5L").second.empty());
  CHECK(bech32Decode(std::string("11") + std::string(82, 'q') + "c8247j").second == Bytes(51, 0));
}

TEST_CASE("bech32: BIP-173 invalid strings") {
  const std::string invalid[] = {
      std::string("\x20") + "1nwldj5",  // hrp character out of range
      std::string("\x7f") + "1axkwrx",  // hrp character out of range
      std::string("\x80") + "1eym55h",  // hrp character out of range
      // overall max length exceeded
      "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
      "pzry9x0s0muk",                   // no separator character
      "1pzry9x0s0muk",                  // empty hrp
      "x1b4n0q5v",                      // invalid data character
      "li1dgmt3",                       // too short checksum
      std::string("de1lg7wt") + "\xff",  // invalid character in checksum
      "A1G7SGD8",                       // checksum calculated with the upper-case hrp
      "10a06t8",                        // empty hrp
      "1qzzfhee",                       // empty hrp
      "A12uEL5L",                       // mixed case
      "a12UEL5L",                       // mixed case
      "a12uel5m",                       // checksum off by one symbol
      "",
  };
  for (const std::string& s : invalid) {
    CAPTURE(s);
    CHECK_THROWS_AS(bech32Decode(s), std::invalid_argument);
  }
}

TEST_CASE("bech32: encoder rules") {
  CHECK(bech32Encode("A", {}) == "a12uel5l");  // the canonical form is lower case
  CHECK_THROWS_AS(bech32Encode("", Bytes{1}), std::invalid_argument);
  CHECK_THROWS_AS(bech32Encode("a b", Bytes{1}), std::invalid_argument);
  CHECK_THROWS_AS(bech32Encode("a", Bytes(60, 0)), std::invalid_argument);  // over 90 chars
  CHECK(bech32Encode("a", Bytes(50, 0)).size() == 1 + 1 + 80 + 6);
}
