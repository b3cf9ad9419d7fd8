// The p2p wire protocol: frames, message kinds, per-kind size limits and the handshake messages.
// See docs/NETWORK.md.
//
// Frame: [payload length, u32 big-endian][kind, u8][payload]. The length is checked against the
// kind's limit before anything is allocated for the payload.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/transaction.hpp"
#include "consensus/bft_engine.hpp"

namespace tn::net {

inline constexpr std::size_t kFrameHeaderBytes = 5;
inline constexpr uint32_t kProtocolVersion = 1;
// Domain separator of the handshake signature: never valid as a vote or transaction signature.
inline constexpr std::string_view kHandshakeDomain = "treasurenet/p2p/v1";

// Kinds below 16 belong to the transport; 16 and up are the consensus channels (bft::Channel).
enum class Kind : uint8_t {
  Hello = 1,       // first frame on a connection, both directions
  Auth = 2,        // second frame: the signature over the other side's challenge
  PexRequest = 3,  // "send me addresses of your peers"
  PexAddrs = 4,    // answer to PexRequest
  Ping = 5,        // keep-alive; any frame counts as a sign of life
  Tx = uint8_t(bft::Channel::Tx),
  Proposal = uint8_t(bft::Channel::Proposal),
  Vote = uint8_t(bft::Channel::Vote),
  Evidence = uint8_t(bft::Channel::Evidence),
  Status = uint8_t(bft::Channel::Status),
  BlockRequest = uint8_t(bft::Channel::BlockRequest),
  BlockResponse = uint8_t(bft::Channel::BlockResponse),
  TxHashes = uint8_t(bft::Channel::TxHashes),
  TxRequest = uint8_t(bft::Channel::TxRequest),
};
std::string_view name(Kind k);

// The largest payload accepted for `kind`; nullopt for an unknown kind.
std::optional<uint32_t> maxPayload(uint8_t kind);
// Gossip kinds are flooded to every peer and deduplicated by content (the seen-set).
bool isGossip(Kind k);
// A transport frame (handshake, PEX, ping) or a consensus channel.
bool isConsensusChannel(uint8_t kind);

Bytes frame(Kind kind, BytesView payload);

// Hello: RLP([version, chainId, genesisHash, nodeId(64), listenPort, challenge(32)]).
// nodeId is the 64-byte secp256k1 public key (uncompressed, without the 0x04 prefix).
struct Hello {
  uint32_t version = kProtocolVersion;
  uint64_t chainId = 0;
  Hash32 genesisHash;
  Bytes nodeId;             // 64 bytes
  uint16_t listenPort = 0;  // 0: does not accept connections
  Hash32 challenge;         // random; the other side signs it in its Auth

  Bytes encode() const;
  static Hello decode(BytesView in);  // throws rlp::Error / std::invalid_argument
};

// What the Auth signature covers: the peer's fresh challenge binds it to this connection, the
// chain id and genesis hash to this network, and the signer's node id to the key claimed.
Hash32 authHash(uint64_t chainId, const Hash32& genesisHash, const Hash32& peerChallenge,
                BytesView signerNodeId);
// Auth: RLP([recid, r, s]).
Bytes encodeAuth(const Signature& sig);
Signature decodeAuth(BytesView in);
// True if `sig` over authHash(...) was made by the key whose public key is `nodeId`.
bool verifyAuth(const Hash32& hash, const Signature& sig, BytesView nodeId);

// The node id (64-byte public key) of a secret key, and its hex form used in addresses
// "<nodeIdHex>@host:port".
Bytes nodeIdOf(const Hash32& secretKey);

// PexAddrs: RLP([[nodeId, "host:port"], ...]), at most kMaxPexAddrs entries.
inline constexpr std::size_t kMaxPexAddrs = 64;
struct PeerAddress {
  Bytes nodeId;  // may be empty when unknown (a configured peer without an id)
  std::string host;
  uint16_t port = 0;
  std::string str() const;  // "[id@]host:port"
  bool operator==(const PeerAddress&) const = default;
};
Bytes encodePexAddrs(const std::vector<PeerAddress>& addrs);
std::vector<PeerAddress> decodePexAddrs(BytesView in);
// "host:port" or "<128 hex>@host:port"; throws std::invalid_argument. Port 0 (an ephemeral port)
// is only meaningful for a listen address.
PeerAddress parsePeerAddress(std::string_view text, bool allowPortZero = false);

}  // namespace tn::net
