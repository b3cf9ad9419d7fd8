// Ethereum-style signed transactions: legacy (EIP-155), EIP-2930 and EIP-1559 envelopes.
#pragma once

#include <optional>
#include <stdexcept>
#include <vector>

#include "chain/address.hpp"
#include "chain/u256.hpp"

namespace tn {

// A transaction rejected before execution. `code` is the JSON-RPC error code to answer with.
struct TxError : std::runtime_error {
  int code;
  TxError(int c, const std::string& m) : std::runtime_error(m), code(c) {}
};
inline constexpr int kErrInvalidInput = -32000;  // geth's code for admission failures

inline constexpr std::size_t kMaxTxSize = 128 * 1024;

struct AccessListEntry {
  Address address;
  std::vector<Hash32> storageKeys;
};

struct Transaction {
  enum class Type : uint8_t { Legacy = 0, AccessList = 1, DynamicFee = 2 };

  Type type = Type::DynamicFee;
  uint64_t chainId = 0;
  uint64_t nonce = 0;
  U256 gasPrice = 0;               // Legacy and AccessList
  U256 maxPriorityFeePerGas = 0;   // DynamicFee
  U256 maxFeePerGas = 0;           // DynamicFee
  uint64_t gasLimit = 0;
  std::optional<Address> to;       // nullopt: contract creation (rejected by this node)
  U256 value = 0;
  Bytes data;
  std::vector<AccessListEntry> accessList;
  uint8_t yParity = 0;
  U256 r = 0, s = 0;

  // Filled by decode()/sign() and recoverSender().
  Bytes raw;                       // the signed encoding as sent on the wire
  Hash32 hash;                     // keccak256(raw)
  std::optional<Address> sender;

  // Parses a signed transaction (RLP list for legacy, type byte ++ RLP for typed envelopes).
  // Rejects bad RLP, unknown types, oversized input, unprotected legacy and non-canonical fields
  // with TxError. Does not recover the sender.
  static Transaction decode(BytesView raw);
  // The signed wire encoding from the fields (equals `raw` for a decoded or signed transaction).
  Bytes encode() const;

  // The hash that the signature covers.
  Hash32 signingHash() const;
  // Recovers and caches `sender`; throws TxError on an invalid signature, a high-S value or
  // r/s out of range. A transaction already recovered is not recovered again.
  const Address& recoverSender();
  // Signs with a 32-byte secp256k1 secret key; fills yParity/r/s, raw, hash and sender.
  void sign(const Hash32& secretKey);

  // Fee cap per gas (gasPrice for legacy/2930), priority tip cap per gas.
  const U256& feeCap() const { return type == Type::DynamicFee ? maxFeePerGas : gasPrice; }
  const U256& tipCap() const { return type == Type::DynamicFee ? maxPriorityFeePerGas : gasPrice; }
  // min(feeCap, baseFee + tipCap); requires feeCap >= baseFee.
  U256 effectiveGasPrice(const U256& baseFee) const;
  // 21000 + 16 per non-zero / 4 per zero data byte + 2400 per access-list address + 1900 per key.
  uint64_t intrinsicGas() const;
};

// secp256k1 helpers shared by transactions, consensus votes and keys.
Address addressOfSecret(const Hash32& secretKey);
Address addressOfPublicKey(BytesView uncompressed65);
Bytes publicKeyOfSecret(const Hash32& secretKey);  // 65-byte uncompressed
struct Signature {
  U256 r, s;
  uint8_t recid = 0;
};
Signature signHash(const Hash32& hash, const Hash32& secretKey);  // low-S, deterministic (RFC 6979)
// Throws TxError on an invalid or high-S signature.
Address recoverAddress(const Hash32& hash, const Signature& sig);
bool isValidSecretKey(const Hash32& secretKey);

}  // namespace tn
