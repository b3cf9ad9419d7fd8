// Polling filters (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter,
// eth_getFilterChanges, eth_getFilterLogs, eth_uninstallFilter) over the fake backend, whose
// chain grows between polls; and the registry's expiry and caps with a hand-driven clock.
#include "rpc/filters.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "rpc/format.hpp"
#include "tests/unit/rpc/api_fixture.hpp"

namespace tn::rpc {

namespace json = boost::json;
using test::addr;
using test::Api;
using test::codeOf;
using test::FakeBackend;
using test::filled;
using test::messageOf;
using test::q;

namespace {

std::string newFilter(Api& api, const std::string& filter) {
  json::value id = api.result("eth_newFilter", "[" + filter + "]");
  REQUIRE(id.is_string());
  return std::string(id.as_string());
}
json::array changes(Api& api, const std::string& id) {
  return api.result("eth_getFilterChanges", "[" + q(id) + "]").as_array();
}
json::array hashesOf(Api& api, std::initializer_list<uint64_t> blocks) {
  json::array out;
  for (uint64_t n : blocks) out.emplace_back(api.be.chain().blocks[n].hash.hex());
  return out;
}
// The reference: eth_getLogs over [from, to] with the same criteria.
json::array getLogs(Api& api, uint64_t from, uint64_t to, const std::string& criteria = "") {
  std::string f = R"({"fromBlock":")" + toQuantity(from) + R"(","toBlock":")" + toQuantity(to) +
                  "\"" + (criteria.empty() ? "" : "," + criteria) + "}";
  return api.result("eth_getLogs", "[" + f + "]").as_array();
}
std::vector<uint64_t> blockNumbers(const json::array& logs) {
  std::vector<uint64_t> out;
  for (const auto& l : logs)
    out.push_back(std::stoull(std::string(l.at("blockNumber").as_string()), nullptr, 16));
  return out;
}

}  // namespace

TEST_SUITE("rpc filters") {
  TEST_CASE("a block filter returns the hashes of the blocks committed since its previous poll") {
    Api api;  // blocks 0..9
    json::value id = api.result("eth_newBlockFilter");
    REQUIRE(id.is_string());
    CHECK(id.as_string().size() == 34);  // 0x + 32 hex digits
    std::string f(id.as_string());
    CHECK(changes(api, f).empty());  // nothing committed since it was installed
    api.be.grow(2);
    CHECK(changes(api, f) == hashesOf(api, {10, 11}));
    CHECK(changes(api, f).empty());  // each block once
    api.be.grow(1);
    CHECK(changes(api, f) == hashesOf(api, {12}));
    // A second filter starts at the head it was installed at.
    std::string g(api.result("eth_newBlockFilter").as_string());
    CHECK(g != f);
    api.be.grow(1);
    CHECK(changes(api, g) == hashesOf(api, {13}));
    CHECK(changes(api, f) == hashesOf(api, {13}));
  }

  TEST_CASE("a log filter returns the matching logs of the new blocks, as eth_getLogs shows them") {
    Api api;
    // Block n has n % 3 transactions, one log each from 0xaa…, topics [0x77…, fill(i)].
    std::string all = newFilter(api, R"({"address":")" + addr(0xaa).hex() + R"("})");
    std::string second = newFilter(api, R"({"topics":[null,")" + filled(1).hex() + R"("]})");
    std::string other = newFilter(api, R"({"address":")" + addr(0xab).hex() + R"("})");
    api.be.grow(3);  // blocks 10 (one log), 11 (two), 12 (none)
    json::array logs = changes(api, all);
    CHECK(logs == getLogs(api, 10, 12));
    CHECK(blockNumbers(logs) == std::vector<uint64_t>{10, 11, 11});
    json::array seconds = changes(api, second);
    REQUIRE(seconds.size() == 1);  // only block 11's second transaction has topic 1 = fill(1)
    CHECK(seconds[0] == logs[2]);
    CHECK(changes(api, other).empty());
    CHECK(changes(api, all).empty());
    api.be.grow(2);  // 13 (one), 14 (two)
    CHECK(blockNumbers(changes(api, all)) == std::vector<uint64_t>{13, 14, 14});
  }

  TEST_CASE("a log filter's numeric fromBlock and toBlock bound what it reports") {
    Api api;
    std::string until10 = newFilter(api, R"({"toBlock":"0xa"})");
    std::string from13 = newFilter(api, R"({"fromBlock":"0xd"})");
    std::string earliest = newFilter(api, R"({"fromBlock":"earliest","toBlock":"latest"})");
    api.be.grow(3);  // 10..12
    CHECK(blockNumbers(changes(api, until10)) == std::vector<uint64_t>{10});
    CHECK(changes(api, from13).empty());  // 10..12 are before its range
    // "earliest" does not replay history: changes start at the installation.
    CHECK(blockNumbers(changes(api, earliest)) == std::vector<uint64_t>{10, 11, 11});
    api.be.grow(2);  // 13, 14
    CHECK(changes(api, until10).empty());
    CHECK(blockNumbers(changes(api, from13)) == std::vector<uint64_t>{13, 14, 14});
  }

  TEST_CASE("eth_getFilterLogs runs the log filter's whole range now") {
    Api api;
    std::string ranged = newFilter(api, R"({"fromBlock":"0x3","toBlock":"0x5"})");
    std::string open = newFilter(api, R"({"fromBlock":"0x8"})");  // toBlock latest
    CHECK(api.result("eth_getFilterLogs", "[" + q(ranged) + "]").as_array() == getLogs(api, 3, 5));
    CHECK(api.result("eth_getFilterLogs", "[" + q(open) + "]").as_array() == getLogs(api, 8, 9));
    api.be.grow(2);
    CHECK(api.result("eth_getFilterLogs", "[" + q(open) + "]").as_array() == getLogs(api, 8, 11));
    CHECK(api.result("eth_getFilterLogs", "[" + q(ranged) + "]").as_array() == getLogs(api, 3, 5));
    // It leaves the changes alone: the two new blocks are still to be reported.
    CHECK(blockNumbers(changes(api, open)) == std::vector<uint64_t>{10, 11, 11});
    // eth_getLogs' caps apply.
    EthApiOptions o;
    o.maxLogBlockRange = 4;
    Api capped(o);
    std::string wide = newFilter(capped, R"({"fromBlock":"0x0"})");
    auto e = capped.error("eth_getFilterLogs", "[" + q(wide) + "]");
    CHECK(codeOf(e) == -32005);
    CHECK(messageOf(e) == "block range too large: 10 blocks, max 4");
    std::string inverted = newFilter(capped, R"({"fromBlock":"0x5","toBlock":"0x3"})");
    e = capped.error("eth_getFilterLogs", "[" + q(inverted) + "]");
    CHECK(codeOf(e) == -32602);
    CHECK(messageOf(e) == "the filter's fromBlock is after toBlock");
    // Only log filters have logs.
    std::string blocks(capped.result("eth_newBlockFilter").as_string());
    e = capped.error("eth_getFilterLogs", "[" + q(blocks) + "]");
    CHECK(codeOf(e) == -32000);
    CHECK(messageOf(e) == "filter " + blocks + " is not a log filter");
  }

  TEST_CASE(
      "a pending-transaction filter returns the hashes admitted to the pool since its last poll") {
    Api api;
    std::string f(api.result("eth_newPendingTransactionFilter").as_string());
    CHECK(changes(api, f).empty());
    std::vector<Transaction> txs;
    for (uint64_t i = 0; i < 3; ++i) txs.push_back(test::fundedTransfer(test::kFundedNonce + i));
    api.result("eth_sendRawTransaction", "[" + q(toHex(txs[0].raw)) + "]");
    api.result("eth_sendRawTransaction", "[" + q(toHex(txs[1].raw)) + "]");
    CHECK(changes(api, f) == json::array{txs[0].hash.hex(), txs[1].hash.hex()});
    CHECK(changes(api, f).empty());
    // A refused submission (a duplicate) is not reported.
    api.error("eth_sendRawTransaction", "[" + q(toHex(txs[1].raw)) + "]");
    api.result("eth_sendRawTransaction", "[" + q(toHex(txs[2].raw)) + "]");
    CHECK(changes(api, f) == json::array{txs[2].hash.hex()});
  }

  TEST_CASE("uninstalling, unknown ids and malformed filters") {
    Api api;
    std::string f(api.result("eth_newBlockFilter").as_string());
    CHECK(api.result("eth_uninstallFilter", "[" + q(f) + "]") == json::value(true));
    CHECK(api.result("eth_uninstallFilter", "[" + q(f) + "]") == json::value(false));
    for (const char* method : {"eth_getFilterChanges", "eth_getFilterLogs"}) {
      auto e = api.error(method, "[" + q(f) + "]");
      CHECK(codeOf(e) == -32000);
      CHECK(messageOf(e) == "filter not found");
      e = api.error(method, R"(["0x1"])");
      CHECK(messageOf(e) == "filter not found");
      CHECK(codeOf(api.error(method, "[]")) == -32602);
    }
    auto e = api.error("eth_newFilter", R"([{"blockHash":")" + filled(0x85).hex() + R"("}])");
    CHECK(codeOf(e) == -32602);
    CHECK(messageOf(e) ==
          "invalid argument 0 (filter): blockHash is not allowed in a filter (use eth_getLogs)");
    e = api.error("eth_newFilter", R"([{"topics":[null,null,null,null,null]}])");
    CHECK(messageOf(e) == "invalid argument 0 (filter): field 'topics': at most 4 topic positions");
    // Criteria stay in memory as long as the filter: their size is capped.
    std::string many = R"({"address":[)";
    for (int i = 0; i < 1025; ++i) many += (i ? ",\"" : "\"") + addr(uint8_t(i)).hex() + "\"";
    many += "]}";
    e = api.error("eth_newFilter", "[" + many + "]");
    CHECK(codeOf(e) == -32602);
    CHECK(messageOf(e) == "filter too large: 1025 addresses and topics, max 1024");
    CHECK(
        api.result("eth_getFilterChanges", "[" + q(newFilter(api, "{}")) + "]").as_array().empty());
  }

  TEST_CASE("at most maxFilters are installed") {
    EthApiOptions o;
    o.maxFilters = 2;
    Api api(o);
    std::string a(api.result("eth_newBlockFilter").as_string());
    newFilter(api, "{}");
    auto e = api.error("eth_newPendingTransactionFilter", "[]");
    CHECK(codeOf(e) == -32005);
    CHECK(messageOf(e) ==
          "too many filters (max 2): uninstall the ones no longer needed (eth_uninstallFilter); a "
          "filter not polled for 300 s expires");
    CHECK(api.result("eth_uninstallFilter", "[" + q(a) + "]") == json::value(true));
    api.result("eth_newPendingTransactionFilter");  // room again
  }

  TEST_CASE(
      "one poll reads at most maxLogBlockRange blocks and about maxLogResults logs, in whole "
      "blocks") {
    EthApiOptions o;
    o.maxLogBlockRange = 3;
    o.maxLogResults = 2;
    Api api(o);
    std::string blocks(api.result("eth_newBlockFilter").as_string());
    std::string logs = newFilter(api, "{}");
    api.be.grow(5);  // 10 (one log), 11 (two), 12 (none), 13 (one), 14 (two)
    CHECK(changes(api, blocks) == hashesOf(api, {10, 11, 12}));
    CHECK(changes(api, blocks) == hashesOf(api, {13, 14}));
    CHECK(changes(api, blocks).empty());
    // 10..12 hold three logs, one more than allowed: block 10 now, block 11 at the next poll.
    CHECK(blockNumbers(changes(api, logs)) == std::vector<uint64_t>{10});
    CHECK(blockNumbers(changes(api, logs)) == std::vector<uint64_t>{11, 11});
    CHECK(blockNumbers(changes(api, logs)) == std::vector<uint64_t>{13});  // 12..14: three again
    CHECK(blockNumbers(changes(api, logs)) == std::vector<uint64_t>{14, 14});
    CHECK(changes(api, logs).empty());

    // A single block with more matches than allowed is reported whole.
    o.maxLogResults = 1;
    Api tight(o);
    std::string f = newFilter(tight, "{}");
    tight.be.grow(2);  // 10 (one), 11 (two)
    CHECK(blockNumbers(changes(tight, f)) == std::vector<uint64_t>{10});
    CHECK(blockNumbers(changes(tight, f)) == std::vector<uint64_t>{11, 11});
    CHECK(changes(tight, f).empty());
  }

  TEST_CASE("a filter not polled for the timeout expires; polling keeps it alive") {
    FakeBackend be;
    FilterOptions o;
    o.maxFilters = 2;
    o.timeout = std::chrono::seconds(300);
    FilterRegistry::Clock::time_point now{};
    FilterRegistry reg(be, o, [&] { return now; });
    std::string polled = reg.newBlockFilter();
    std::string idle = reg.newLogFilter({});
    auto expectGone = [&](const std::string& id) {
      try {
        reg.changes(id);
        FAIL("filter " << id << " still answers");
      } catch (const RpcError& e) {
        CHECK(e.code == -32000);
        CHECK(std::string(e.what()) == "filter not found");
      }
    };
    now += std::chrono::seconds(200);
    reg.changes(polled);
    now += std::chrono::seconds(200);  // idle: 400 s unpolled, polled: 200 s
    reg.changes(polled);
    expectGone(idle);
    CHECK(reg.size() == 1);
    // Expired and not yet swept: uninstalling says it was not there.
    std::string late = reg.newPendingTransactionFilter();
    now += std::chrono::seconds(301);
    CHECK_FALSE(reg.uninstall(late));
    // A full registry drops expired filters to make room.
    std::string a = reg.newBlockFilter();
    std::string b = reg.newBlockFilter();  // `polled` expired too, swept here
    CHECK(reg.size() == 2);
    expectGone(polled);
    CHECK_THROWS_AS(reg.newBlockFilter(), RpcError);
    reg.changes(a);
    reg.changes(b);
  }

  TEST_CASE("concurrent polls of one filter never report a block twice or skip one") {
    // A chain that grows while four threads poll the same block filter.
    struct Growing : FakeBackend {
      std::atomic<uint64_t> head{9};
      uint64_t latestBlockNumber() const override { return head.load(); }
      std::vector<Hash32> blockHashes(uint64_t from, uint64_t to) const override {
        std::vector<Hash32> out;
        for (uint64_t n = from; n <= to; ++n) {
          Hash32 h;
          for (int i = 0; i < 8; ++i) h.bytes[i] = static_cast<uint8_t>(n >> (8 * i));
          out.push_back(h);
        }
        return out;
      }
    } be;
    FilterOptions o;
    o.maxBlockRange = 7;  // several polls per burst of blocks
    FilterRegistry reg(be, o);
    const std::string id = reg.newBlockFilter();
    constexpr uint64_t kLast = 20'000;
    std::mutex mu;
    std::vector<uint64_t> seen;
    std::atomic<bool> done{false};
    std::vector<std::thread> pollers;
    for (int t = 0; t < 4; ++t) {
      pollers.emplace_back([&] {
        while (true) {
          bool last = done.load();
          FilterChanges c = reg.changes(id);
          std::lock_guard lk(mu);
          for (const Hash32& h : c.hashes) {
            uint64_t n = 0;
            for (int i = 0; i < 8; ++i) n |= uint64_t{h.bytes[i]} << (8 * i);
            seen.push_back(n);
          }
          if (last && c.hashes.empty()) return;
        }
      });
    }
    while (be.head < kLast) be.head += 1 + be.head % 5;
    done = true;
    for (auto& t : pollers) t.join();
    std::sort(seen.begin(), seen.end());
    CHECK(seen.size() == be.head - 9);
    CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());  // no duplicates
    CHECK(seen.front() == 10);
    CHECK(seen.back() == be.head);
  }

  TEST_CASE("a backend without a pool answers the pool methods with a clear -32000") {
    // The Backend defaults, as a backend without a transaction pool has them.
    struct NoPool : FakeBackend {
      PoolAdmissions admittedSince(uint64_t cursor) const override {
        return Backend::admittedSince(cursor);
      }
      PoolContent poolContent(const std::optional<Address>& sender) const override {
        return Backend::poolContent(sender);
      }
    } be;
    Dispatcher d;
    addEthApi(d, be);
    CallContext http;
    auto errorOf = [&](const std::string& method, const std::string& params) {
      auto answer = d.handle(
          R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}", http);
      REQUIRE(answer.has_value());
      return json::parse(*answer).at("error").as_object();
    };
    auto e = errorOf("eth_newPendingTransactionFilter", "[]");
    CHECK(codeOf(e) == -32000);
    CHECK(messageOf(e) == "pending-transaction filters not available on this node");
    for (const char* method : {"txpool_status", "txpool_content", "txpool_inspect"}) {
      e = errorOf(method, "[]");
      CHECK(codeOf(e) == -32000);
      CHECK(messageOf(e) == "no transaction pool on this node");
    }
    // The other filters do not need a pool.
    CHECK(d.handle(R"({"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter","params":[]})", http)
              ->find("\"result\"") != std::string::npos);
  }

}  // TEST_SUITE

}  // namespace tn::rpc
