#include "chain/transaction.hpp"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "chain/random.hpp"
#include "chain/rlp.hpp"

namespace tn {
namespace {

using Be32 = std::array<uint8_t, 32>;

// secp256k1 group order n and n/2, big-endian: comparing bytes avoids U256 arithmetic on the
// recovery hot path.
constexpr Be32 kOrder = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                         0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                         0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
constexpr Be32 kHalfOrder = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                             0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
                             0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

TxError invalid(const std::string& msg) { return TxError(kErrInvalidInput, msg); }

// One context for the process. After creation (and randomisation) libsecp256k1 only reads it,
// so recover/sign from many threads at once is safe.
const secp256k1_context* ctx() {
  static const secp256k1_context* const c = [] {
    secp256k1_context* made = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    // Blinding against side channels when signing; the seed need not be reproducible.
    const Hash32 seed = secureRandomHash();
    if (!made || !secp256k1_context_randomize(made, seed.data())) {
      std::fputs("secp256k1: context creation failed\n", stderr);
      std::abort();
    }
    return made;
  }();
  return c;
}

void putBE32(const U256& v, uint8_t* out) {
  std::fill(out, out + 32, uint8_t{0});
  if (v == 0) return;
  std::size_t n = boost::multiprecision::msb(v) / 8 + 1;
  boost::multiprecision::export_bits(v, out + (32 - n), 8, true);
}

bool isZero(const Be32& b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; });
}

Address addressOfPubkey(const secp256k1_pubkey& pk) {
  uint8_t ser[65];
  std::size_t len = sizeof ser;
  secp256k1_ec_pubkey_serialize(ctx(), ser, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
  Hash32 h = keccak256(BytesView(ser + 1, 64));
  return Address::fromView(h.view().subspan(12));
}

void checkSecret(const Hash32& secretKey) {
  if (!isValidSecretKey(secretKey)) throw std::invalid_argument("invalid secp256k1 secret key");
}

// --- RLP field encoding shared by signing and the wire format ---

void encodeTo(rlp::Encoder& e, const std::optional<Address>& to) {
  if (to)
    e.bytes(to->view());
  else
    e.bytes({});
}

void encodeAccessList(rlp::Encoder& e, const std::vector<AccessListEntry>& list) {
  auto m = e.beginList();
  for (const auto& entry : list) {
    auto em = e.beginList();
    e.bytes(entry.address.view());
    auto km = e.beginList();
    for (const auto& key : entry.storageKeys) e.bytes(key.view());
    e.endList(km);
    e.endList(em);
  }
  e.endList(m);
}

// The fields every type shares after its fee fields: gas, to, value, data.
void encodeBody(rlp::Encoder& e, const Transaction& tx) {
  e.uint(tx.gasLimit);
  encodeTo(e, tx.to);
  e.uint(tx.value);
  e.bytes(tx.data);
}

// Typed payload fields before the signature (exactly what the typed signing hash covers).
void encodeTypedUnsigned(rlp::Encoder& e, const Transaction& tx) {
  e.uint(tx.chainId);
  e.uint(tx.nonce);
  if (tx.type == Transaction::Type::DynamicFee) {
    e.uint(tx.maxPriorityFeePerGas);
    e.uint(tx.maxFeePerGas);
  } else {
    e.uint(tx.gasPrice);
  }
  encodeBody(e, tx);
  encodeAccessList(e, tx.accessList);
}

// --- decoding ---

Address decodeAddress(const rlp::Item& item, const char* what) {
  BytesView b = item.bytes();
  if (b.size() != 20)
    throw invalid(std::string("invalid transaction: ") + what + " must be 20 bytes, got " +
                  std::to_string(b.size()));
  return Address::fromView(b);
}

std::optional<Address> decodeTo(const rlp::Item& item) {
  BytesView b = item.bytes();
  if (b.empty()) return std::nullopt;
  if (b.size() != 20)
    throw invalid("invalid transaction: 'to' must be empty or 20 bytes, got " +
                  std::to_string(b.size()));
  return Address::fromView(b);
}

std::vector<AccessListEntry> decodeAccessList(const rlp::Item& item) {
  std::vector<AccessListEntry> out;
  for (const auto& entryItem : item.items()) {
    auto fields = entryItem.items();
    if (fields.size() != 2)
      throw invalid("invalid transaction: access list entry must have 2 fields, got " +
                    std::to_string(fields.size()));
    AccessListEntry entry;
    entry.address = decodeAddress(fields[0], "access list address");
    for (const auto& keyItem : fields[1].items()) {
      BytesView k = keyItem.bytes();
      if (k.size() != 32)
        throw invalid("invalid transaction: access list storage key must be 32 bytes, got " +
                      std::to_string(k.size()));
      entry.storageKeys.push_back(Hash32::fromView(k));
    }
    out.push_back(std::move(entry));
  }
  return out;
}

void expectFields(const std::vector<rlp::Item>& f, std::size_t want, const char* kind) {
  if (f.size() != want)
    throw invalid(std::string("invalid transaction: ") + kind + " transaction must have " +
                  std::to_string(want) + " fields, got " + std::to_string(f.size()));
}

uint8_t decodeParity(const rlp::Item& item) {
  uint64_t v = item.toU64();
  if (v > 1) throw invalid("invalid transaction: y parity must be 0 or 1, got " + std::to_string(v));
  return static_cast<uint8_t>(v);
}

void decodeLegacy(Transaction& tx, const rlp::Item& list) {
  auto f = list.items();
  expectFields(f, 9, "legacy");
  tx.type = Transaction::Type::Legacy;
  tx.nonce = f[0].toU64();
  tx.gasPrice = f[1].toU256();
  tx.gasLimit = f[2].toU64();
  tx.to = decodeTo(f[3]);
  tx.value = f[4].toU256();
  BytesView data = f[5].bytes();
  tx.data.assign(data.begin(), data.end());
  U256 v = f[6].toU256();
  if (v == 27 || v == 28)
    throw invalid("only replay-protected (EIP-155) transactions allowed");
  if (v < 35) throw invalid("invalid transaction: invalid v value " + v.str());
  U256 chainId = (v - 35) / 2;
  if (chainId > std::numeric_limits<uint64_t>::max())
    throw invalid("invalid transaction: chain id exceeds 64 bits");
  tx.chainId = static_cast<uint64_t>(chainId);
  tx.yParity = static_cast<uint8_t>((v - 35) % 2);
  tx.r = f[7].toU256();
  tx.s = f[8].toU256();
}

void decodeTyped(Transaction& tx, Transaction::Type type, BytesView payload) {
  auto f = rlp::decode(payload).items();
  const bool dynamic = type == Transaction::Type::DynamicFee;
  expectFields(f, dynamic ? 12 : 11, dynamic ? "EIP-1559" : "EIP-2930");
  tx.type = type;
  std::size_t i = 0;
  tx.chainId = f[i++].toU64();
  tx.nonce = f[i++].toU64();
  if (dynamic) {
    tx.maxPriorityFeePerGas = f[i++].toU256();
    tx.maxFeePerGas = f[i++].toU256();
  } else {
    tx.gasPrice = f[i++].toU256();
  }
  tx.gasLimit = f[i++].toU64();
  tx.to = decodeTo(f[i++]);
  tx.value = f[i++].toU256();
  BytesView data = f[i++].bytes();
  tx.data.assign(data.begin(), data.end());
  tx.accessList = decodeAccessList(f[i++]);
  tx.yParity = decodeParity(f[i++]);
  tx.r = f[i++].toU256();
  tx.s = f[i++].toU256();
}

// Validates r/s/recid and parses them into libsecp256k1's form. Throws TxError.
secp256k1_ecdsa_recoverable_signature parseSignature(const U256& r, const U256& s, unsigned recid) {
  if (recid > 1) throw invalid("invalid signature: recovery id must be 0 or 1");
  uint8_t compact[64];
  putBE32(r, compact);
  putBE32(s, compact + 32);
  Be32 rb, sb;
  std::copy(compact, compact + 32, rb.begin());
  std::copy(compact + 32, compact + 64, sb.begin());
  if (isZero(rb) || rb >= kOrder) throw invalid("invalid signature: r out of range");
  if (isZero(sb) || sb >= kOrder) throw invalid("invalid signature: s out of range");
  if (sb > kHalfOrder) throw invalid("invalid signature: high S value");
  secp256k1_ecdsa_recoverable_signature sig;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx(), &sig, compact,
                                                           static_cast<int>(recid)))
    throw invalid("invalid signature: cannot parse");
  return sig;
}

Address recover(const Hash32& hash, const U256& r, const U256& s, unsigned recid) {
  secp256k1_ecdsa_recoverable_signature sig = parseSignature(r, s, recid);
  secp256k1_pubkey pk;
  if (!secp256k1_ecdsa_recover(ctx(), &pk, &sig, hash.data()))
    throw invalid("invalid signature: public key recovery failed");
  return addressOfPubkey(pk);
}

}  // namespace

Transaction Transaction::decode(BytesView raw) {
  if (raw.size() > kMaxTxSize)
    throw invalid("oversized transaction: " + std::to_string(raw.size()) + " bytes > " +
                  std::to_string(kMaxTxSize));
  if (raw.empty()) throw invalid("invalid transaction RLP: empty input");
  Transaction tx;
  try {
    const uint8_t first = raw[0];
    if (first >= 0xc0) {
      decodeLegacy(tx, rlp::decode(raw));
    } else if (first == 0x01 || first == 0x02) {
      decodeTyped(tx, static_cast<Type>(first), raw.subspan(1));
    } else if (first < 0x80) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02x", first);
      throw invalid(std::string("transaction type not supported: ") + buf);
    } else {
      throw invalid("invalid transaction RLP: expected a list or a typed envelope");
    }
  } catch (const TxError&) {
    throw;
  } catch (const rlp::Error& e) {
    throw invalid(std::string("invalid transaction RLP: ") + e.what());
  } catch (const std::invalid_argument& e) {
    throw invalid(std::string("invalid transaction RLP: ") + e.what());
  }
  tx.raw.assign(raw.begin(), raw.end());
  tx.hash = keccak256(tx.raw);
  return tx;
}

Bytes Transaction::encode() const {
  rlp::Encoder e;
  if (type == Type::Legacy) {
    auto m = e.beginList();
    e.uint(nonce);
    e.uint(gasPrice);
    encodeBody(e, *this);
    e.uint(U256(chainId) * 2 + 35 + yParity);
    e.uint(r);
    e.uint(s);
    e.endList(m);
    return e.take();
  }
  e.raw(Bytes{static_cast<uint8_t>(type)});
  auto m = e.beginList();
  encodeTypedUnsigned(e, *this);
  e.uint(uint64_t{yParity});
  e.uint(r);
  e.uint(s);
  e.endList(m);
  return e.take();
}

Hash32 Transaction::signingHash() const {
  rlp::Encoder e;
  if (type == Type::Legacy) {
    // EIP-155: the chain id and two empty values stand in for v, r, s.
    auto m = e.beginList();
    e.uint(nonce);
    e.uint(gasPrice);
    encodeBody(e, *this);
    e.uint(chainId);
    e.uint(uint64_t{0});
    e.uint(uint64_t{0});
    e.endList(m);
    return keccak256(e.out());
  }
  e.raw(Bytes{static_cast<uint8_t>(type)});
  auto m = e.beginList();
  encodeTypedUnsigned(e, *this);
  e.endList(m);
  return keccak256(e.out());
}

const Address& Transaction::recoverSender() {
  if (!sender) sender = recover(signingHash(), r, s, yParity);
  return *sender;
}

void Transaction::sign(const Hash32& secretKey) {
  Signature sig = signHash(signingHash(), secretKey);
  yParity = sig.recid;
  r = sig.r;
  s = sig.s;
  raw = encode();
  hash = keccak256(raw);
  sender = addressOfSecret(secretKey);
}

U256 Transaction::effectiveGasPrice(const U256& baseFee) const {
  const U256& cap = feeCap();
  if (cap < baseFee)
    throw invalid("max fee per gas less than block base fee: maxFeePerGas: " + cap.str() +
                  ", baseFee: " + baseFee.str());
  // Compare against the headroom instead of adding, which could overflow a checked U256.
  if (tipCap() >= cap - baseFee) return cap;
  return baseFee + tipCap();
}

uint64_t Transaction::intrinsicGas() const {
  uint64_t g = 21000;
  for (uint8_t b : data) g += b ? 16 : 4;
  for (const auto& entry : accessList) g += 2400 + 1900 * uint64_t(entry.storageKeys.size());
  return g;
}

Address addressOfSecret(const Hash32& secretKey) {
  checkSecret(secretKey);
  secp256k1_pubkey pk;
  if (!secp256k1_ec_pubkey_create(ctx(), &pk, secretKey.data()))
    throw std::invalid_argument("invalid secp256k1 secret key");
  return addressOfPubkey(pk);
}

Address addressOfPublicKey(BytesView uncompressed65) {
  if (uncompressed65.size() != 65 || uncompressed65[0] != 0x04)
    throw std::invalid_argument("expected a 65-byte uncompressed public key (0x04 prefix)");
  Hash32 h = keccak256(uncompressed65.subspan(1));
  return Address::fromView(h.view().subspan(12));
}

Bytes publicKeyOfSecret(const Hash32& secretKey) {
  checkSecret(secretKey);
  secp256k1_pubkey pk;
  if (!secp256k1_ec_pubkey_create(ctx(), &pk, secretKey.data()))
    throw std::invalid_argument("invalid secp256k1 secret key");
  Bytes out(65);
  std::size_t len = out.size();
  secp256k1_ec_pubkey_serialize(ctx(), out.data(), &len, &pk, SECP256K1_EC_UNCOMPRESSED);
  return out;
}

Signature signHash(const Hash32& hash, const Hash32& secretKey) {
  checkSecret(secretKey);
  secp256k1_ecdsa_recoverable_signature sig;
  // A null nonce function selects RFC 6979; libsecp256k1 always emits low-S and adjusts recid.
  if (!secp256k1_ecdsa_sign_recoverable(ctx(), &sig, hash.data(), secretKey.data(), nullptr,
                                        nullptr))
    throw std::runtime_error("secp256k1: signing failed");
  uint8_t compact[64];
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx(), compact, &recid, &sig);
  Signature out;
  out.r = u256FromBE(BytesView(compact, 32));
  out.s = u256FromBE(BytesView(compact + 32, 32));
  out.recid = static_cast<uint8_t>(recid);
  return out;
}

Address recoverAddress(const Hash32& hash, const Signature& sig) {
  return recover(hash, sig.r, sig.s, sig.recid);
}

bool isValidSecretKey(const Hash32& secretKey) {
  return secp256k1_ec_seckey_verify(ctx(), secretKey.data()) == 1;
}

}  // namespace tn
