#include "consensus/p2p/message.hpp"

#include <stdexcept>

#include "chain/rlp.hpp"

namespace tn::net {

std::string_view name(Kind k) {
  switch (k) {
    case Kind::Hello:
      return "hello";
    case Kind::Auth:
      return "auth";
    case Kind::PexRequest:
      return "pex-request";
    case Kind::PexAddrs:
      return "pex-addrs";
    case Kind::Ping:
      return "ping";
    case Kind::Tx:
      return "tx";
    case Kind::Proposal:
      return "proposal";
    case Kind::Vote:
      return "vote";
    case Kind::Evidence:
      return "evidence";
    case Kind::Status:
      return "status";
    case Kind::BlockRequest:
      return "block-request";
    case Kind::BlockResponse:
      return "block-response";
    case Kind::TxHashes:
      return "tx-hashes";
    case Kind::TxRequest:
      return "tx-request";
  }
  return "unknown";
}

std::optional<uint32_t> maxPayload(uint8_t kind) {
  switch (Kind(kind)) {
    case Kind::Hello:
      return 256;
    case Kind::Auth:
      return 128;
    case Kind::PexRequest:
      return 0;
    case Kind::PexAddrs:
      return 64 * 1024;
    case Kind::Ping:
      return 0;
    case Kind::Tx:
      return uint32_t(bft::kMaxTxBatchBytes);
    case Kind::Proposal:
      return uint32_t(bft::kMaxBlockMessageBytes);
    case Kind::Vote:
      return 512;
    case Kind::Evidence:
      return 1024;
    case Kind::Status:
      return 256;
    case Kind::BlockRequest:
      return 64;
    case Kind::BlockResponse:
      return uint32_t(bft::kMaxBlockMessageBytes);
    case Kind::TxHashes:
    case Kind::TxRequest:
      return uint32_t(bft::kMaxTxHashesBytes);
  }
  return std::nullopt;
}

bool isGossip(Kind k) {
  return k == Kind::Tx || k == Kind::Proposal || k == Kind::Vote || k == Kind::Evidence;
}

bool isConsensusChannel(uint8_t kind) {
  return kind >= uint8_t(Kind::Tx) && maxPayload(kind);
}

Bytes frame(Kind kind, BytesView payload) {
  Bytes out;
  out.reserve(kFrameHeaderBytes + payload.size());
  uint32_t n = uint32_t(payload.size());
  out.push_back(uint8_t(n >> 24));
  out.push_back(uint8_t(n >> 16));
  out.push_back(uint8_t(n >> 8));
  out.push_back(uint8_t(n));
  out.push_back(uint8_t(kind));
  append(out, payload);
  return out;
}

namespace {
Hash32 hashField(const rlp::Item& item) {
  return Hash32::fromView(item.bytes());
}
}  // namespace

Bytes Hello::encode() const {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(uint64_t(version))
      .uint(chainId)
      .bytes(genesisHash)
      .bytes(nodeId)
      .uint(uint64_t(listenPort));
  e.bytes(challenge);
  e.endList(m);
  return e.take();
}

Hello Hello::decode(BytesView in) {
  auto items = rlp::decode(in).items();
  if (items.size() != 6) throw std::invalid_argument("hello: expected 6 fields");
  Hello h;
  uint64_t version = items[0].toU64();
  if (version > UINT32_MAX) throw std::invalid_argument("hello: bad version");
  h.version = uint32_t(version);
  h.chainId = items[1].toU64();
  h.genesisHash = hashField(items[2]);
  auto id = items[3].bytes();
  if (id.size() != 64) throw std::invalid_argument("hello: node id must be 64 bytes");
  h.nodeId.assign(id.begin(), id.end());
  uint64_t port = items[4].toU64();
  if (port > 65535) throw std::invalid_argument("hello: bad listen port");
  h.listenPort = uint16_t(port);
  h.challenge = hashField(items[5]);
  return h;
}

Hash32 authHash(uint64_t chainId, const Hash32& genesisHash, const Hash32& peerChallenge,
                BytesView signerNodeId) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.str(kHandshakeDomain).uint(chainId).bytes(genesisHash).bytes(peerChallenge).bytes(signerNodeId);
  e.endList(m);
  return keccak256(e.out());
}

Bytes encodeAuth(const Signature& sig) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.uint(uint64_t(sig.recid)).uint(sig.r).uint(sig.s);
  e.endList(m);
  return e.take();
}

Signature decodeAuth(BytesView in) {
  auto items = rlp::decode(in).items();
  if (items.size() != 3) throw std::invalid_argument("auth: expected 3 fields");
  Signature sig;
  uint64_t recid = items[0].toU64();
  if (recid > 3) throw std::invalid_argument("auth: bad recovery id");
  sig.recid = uint8_t(recid);
  sig.r = items[1].toU256();
  sig.s = items[2].toU256();
  return sig;
}

bool verifyAuth(const Hash32& hash, const Signature& sig, BytesView nodeId) {
  if (nodeId.size() != 64) return false;
  Bytes uncompressed{0x04};
  append(uncompressed, nodeId);
  try {
    return recoverAddress(hash, sig) == addressOfPublicKey(uncompressed);
  } catch (const std::exception&) {
    return false;
  }
}

Bytes nodeIdOf(const Hash32& secretKey) {
  Bytes pub = publicKeyOfSecret(secretKey);
  return Bytes(pub.begin() + 1, pub.end());
}

std::string PeerAddress::str() const {
  std::string hostPart = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (nodeId.empty() ? "" : toHex(nodeId, false) + "@") + hostPart + ":" + std::to_string(port);
}

Bytes encodePexAddrs(const std::vector<PeerAddress>& addrs) {
  rlp::Encoder e;
  auto m = e.beginList();
  for (std::size_t i = 0; i < addrs.size() && i < kMaxPexAddrs; ++i) {
    auto entry = e.beginList();
    e.bytes(addrs[i].nodeId).str(addrs[i].host + ":" + std::to_string(addrs[i].port));
    e.endList(entry);
  }
  e.endList(m);
  return e.take();
}

std::vector<PeerAddress> decodePexAddrs(BytesView in) {
  auto items = rlp::decode(in).items();
  if (items.size() > kMaxPexAddrs) throw std::invalid_argument("pex: too many addresses");
  std::vector<PeerAddress> out;
  for (const auto& item : items) {
    auto fields = item.items();
    if (fields.size() != 2) throw std::invalid_argument("pex: expected [nodeId, host:port]");
    auto id = fields[0].bytes();
    if (id.size() != 64) throw std::invalid_argument("pex: node id must be 64 bytes");
    PeerAddress a = parsePeerAddress(asChars(fields[1].bytes()));
    a.nodeId.assign(id.begin(), id.end());
    out.push_back(std::move(a));
  }
  return out;
}

PeerAddress parsePeerAddress(std::string_view text, bool allowPortZero) {
  PeerAddress a;
  auto at = text.find('@');
  if (at != std::string_view::npos) {
    a.nodeId = fromHex(text.substr(0, at));
    if (a.nodeId.size() != 64)
      throw std::invalid_argument("peer address: node id must be 64 bytes hex");
    text = text.substr(at + 1);
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    throw std::invalid_argument("peer address must be [id@]host:port: " + std::string(text));
  std::string host(text.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.size() > 253) throw std::invalid_argument("peer address: host too long");
  unsigned long port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') throw std::invalid_argument("peer address: bad port");
    port = port * 10 + unsigned(c - '0');
    if (port > 65535) throw std::invalid_argument("peer address: bad port");
  }
  if (port == 0 && !allowPortZero) throw std::invalid_argument("peer address: port 0");
  a.host = std::move(host);
  a.port = uint16_t(port);
  return a;
}

}  // namespace tn::net
