// The consensus and p2p parsers of what peers send (votes, proposals, commits, evidence, the
// handshake, peer exchange, peer addresses) fed deterministic mutations of valid messages. Each
// input must parse or fail with rlp::Error / std::invalid_argument / TxError, which the engine and
// the p2p host turn into a punishment of the peer; anything else would stop the engine
// (bft_engine.cpp). What parses re-encodes to the same bytes, and checking the signatures of a
// mutated message never throws. The engine-level counterpart is in bft_engine_test.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "chain/rlp.hpp"
#include "consensus/p2p/message.hpp"
#include "consensus/vote.hpp"
#include "tests/unit/consensus/bft_fixtures.hpp"
#include "tests/unit/mutate.hpp"

using namespace tn;
using namespace tn::bft;
using tn::bft::test::Committee;
using tn::bft::test::kChainId;

using tn::test::fuzz;
using tn::test::FuzzTally;

TEST_CASE("untrusted input: votes, proposals, commits and evidence") {
  Committee c({10, 20, 30, 40});
  const Hash32 block = keccak256("block");
  const std::vector<Vote> votes = {
      Vote::sign(kChainId, MsgType::Prevote, 5, 0, block, c.keys[0]),
      Vote::sign(kChainId, MsgType::Precommit, 5, 3, std::nullopt, c.keys[1]),
      Vote::sign(kChainId, MsgType::Precommit, 1ull << 40, 1000, block, c.keys[2])};
  RecoverCache cache;

  SUBCASE("votes") {
    std::vector<Bytes> seeds;
    for (const Vote& v : votes) seeds.push_back(v.encode());
    int verified = 0;
    FuzzTally t = fuzz(seeds, 8000, 11, [&](const Bytes& in) {
      Vote v = Vote::decode(in);
      REQUIRE(v.encode() == in);
      const bool seed = std::find(seeds.begin(), seeds.end(), in) != seeds.end();
      if (!seed && v.verify(kChainId, &cache)) ++verified;
    });
    MESSAGE("votes: ", t.parsed, " parsed, ", t.rejected, " refused");
    CHECK(t.rejected > 0);
    // What parses differs from its seed in a signed field, the validator or the signature.
    CHECK(verified == 0);
  }
  SUBCASE("proposals") {
    Proposal p = Proposal::sign(kChainId, 9, 2, 1, block, toBytes("a block payload"), c.keys[3]);
    Proposal fresh = Proposal::sign(kChainId, 9, 0, kNilRound, block, {}, c.keys[0]);
    FuzzTally t = fuzz({p.encode(), fresh.encode()}, 8000, 12, [&](const Bytes& in) {
      Proposal decoded = Proposal::decode(in);
      REQUIRE(decoded.encode() == in);
      decoded.verify(kChainId, &cache);
    });
    CHECK(t.rejected > 0);
  }
  SUBCASE("commits, checked against the committee") {
    Commit commit{5, 0, block, {}};
    for (int i = 0; i < 4; ++i) {
      Vote v = Vote::sign(kChainId, MsgType::Precommit, 5, 0, block, c.keys[i]);
      commit.sigs.push_back(CommitSig{v.validator, v.sig});
    }
    std::sort(commit.sigs.begin(), commit.sigs.end(),
              [](const CommitSig& a, const CommitSig& b) { return a.validator < b.validator; });
    REQUIRE(verifyCommit(kChainId, c.set, commit));
    const Bytes valid = commit.encode();
    int forged = 0;
    FuzzTally t = fuzz({valid}, 6000, 13, [&](const Bytes& in) {
      Commit decoded = Commit::decode(in);
      REQUIRE(decoded.encode() == in);
      if (in != valid && verifyCommit(kChainId, c.set, decoded, &cache)) ++forged;
    });
    MESSAGE("commits: ", t.parsed, " parsed, ", t.rejected, " refused");
    CHECK(t.rejected > 0);
    CHECK(forged == 0);
  }
  SUBCASE("double-sign evidence") {
    DuplicateVoteEvidence ev = DuplicateVoteEvidence::make(
        Vote::sign(kChainId, MsgType::Prevote, 5, 0, block, c.keys[1]),
        Vote::sign(kChainId, MsgType::Prevote, 5, 0, keccak256("other"), c.keys[1]));
    REQUIRE(ev.verify(kChainId));
    FuzzTally t = fuzz({ev.encode()}, 8000, 14, [&](const Bytes& in) {
      DuplicateVoteEvidence decoded = DuplicateVoteEvidence::decode(in);
      REQUIRE(decoded.encode() == in);
      decoded.check(kChainId);
      decoded.check(kChainId, c.set);
    });
    CHECK(t.rejected > 0);
  }
}

TEST_CASE("untrusted input: the p2p handshake, peer exchange and peer addresses") {
  const Hash32 nodeKey = keccak256("untrusted input node key");
  SUBCASE("hello") {
    net::Hello h;
    h.chainId = 7;
    h.genesisHash = keccak256("genesis");
    h.nodeId = net::nodeIdOf(nodeKey);
    h.listenPort = 26656;
    h.challenge = keccak256("challenge");
    FuzzTally t = fuzz({h.encode()}, 8000, 21, [](const Bytes& in) {
      net::Hello decoded = net::Hello::decode(in);
      REQUIRE(decoded.encode() == in);
    });
    CHECK(t.rejected > 0);
  }
  SUBCASE("auth, verified against the node id") {
    const Bytes nodeId = net::nodeIdOf(nodeKey);
    const Hash32 hash = net::authHash(7, keccak256("genesis"), keccak256("challenge"), nodeId);
    Vote signer = Vote::sign(kChainId, MsgType::Prevote, 1, 0, hash, nodeKey);  // any signature
    FuzzTally t = fuzz({net::encodeAuth(signer.sig)}, 8000, 22, [&](const Bytes& in) {
      Signature sig = net::decodeAuth(in);
      REQUIRE(net::encodeAuth(sig) == in);
      net::verifyAuth(hash, sig, nodeId);
    });
    CHECK(t.rejected > 0);
  }
  SUBCASE("peer exchange") {
    const Bytes other = net::nodeIdOf(keccak256("another node"));
    std::vector<net::PeerAddress> addrs = {{net::nodeIdOf(nodeKey), "127.0.0.1", 26656},
                                           {other, "10.0.0.2", 1},
                                           {other, "[::1]", 65535}};
    FuzzTally t = fuzz({net::encodePexAddrs(addrs)}, 8000, 23, [](const Bytes& in) {
      std::vector<net::PeerAddress> decoded = net::decodePexAddrs(in);
      CHECK(decoded.size() <= net::kMaxPexAddrs);
    });
    CHECK(t.rejected > 0);
  }
  SUBCASE("peer address text") {
    const std::string withId = toHex(net::nodeIdOf(nodeKey), false) + "@127.0.0.1:26656";
    FuzzTally t = fuzz({toBytes(withId), toBytes("localhost:1"), toBytes("[::1]:26656")}, 8000, 24,
                       [](const Bytes& in) {
                         net::PeerAddress a = net::parsePeerAddress(asChars(in));
                         CHECK(a.port != 0);
                       });
    CHECK(t.rejected > 0);
  }
}
