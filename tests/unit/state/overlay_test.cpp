#include "state/overlay.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace tn;

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs scanAll(const StateReader& r, std::string_view prefix = "", std::size_t limit = SIZE_MAX) {
  Pairs out;
  r.scan(asBytes(prefix), [&](BytesView k, BytesView v) {
    out.emplace_back(std::string(asChars(k)), std::string(asChars(v)));
    return out.size() < limit;
  });
  return out;
}

void put(Overlay& o, std::string_view k, std::string_view v) {
  o.put(asBytes(k), asBytes(v));
}

std::optional<std::string> get(const StateReader& r, std::string_view k) {
  auto v = r.get(asBytes(k));
  if (!v) return std::nullopt;
  return std::string(asChars(*v));
}

}  // namespace

TEST_CASE("overlay get/put/erase fall through to the parent") {
  EmptyState empty;
  Overlay base(empty);
  put(base, "a", "1");
  put(base, "b", "2");
  Overlay top(base);
  CHECK(get(top, "a") == "1");
  put(top, "a", "10");
  top.erase(asBytes("b"));
  put(top, "c", "3");
  CHECK(get(top, "a") == "10");
  CHECK(get(top, "b") == std::nullopt);
  CHECK(get(top, "c") == "3");
  CHECK(get(top, "zz") == std::nullopt);
  // The parent is untouched until commitInto.
  CHECK(get(base, "a") == "1");
  CHECK(get(base, "b") == "2");
  CHECK(get(base, "c") == std::nullopt);
  // Erasing a key the parent does not have is recorded but harmless.
  top.erase(asBytes("nothing"));
  CHECK(get(top, "nothing") == std::nullopt);
}

TEST_CASE("overlay scan merges with the parent, ours winning, deletions hidden") {
  EmptyState empty;
  Overlay base(empty);
  for (auto k : {"a1", "a3", "a5", "b1", "b2"}) put(base, k, std::string("base-") + k);
  Overlay top(base);
  put(top, "a0", "top-a0");  // before every parent key
  put(top, "a3", "top-a3");  // overrides
  top.erase(asBytes("a5"));  // deletes the parent's last key in the prefix
  put(top, "a4", "top-a4");  // between parent keys
  put(top, "a9", "top-a9");  // after every parent key
  top.erase(asBytes("b1"));
  put(top, "c", "top-c");

  CHECK(scanAll(top, "a") == Pairs{{"a0", "top-a0"},
                                   {"a1", "base-a1"},
                                   {"a3", "top-a3"},
                                   {"a4", "top-a4"},
                                   {"a9", "top-a9"}});
  CHECK(scanAll(top, "b") == Pairs{{"b2", "base-b2"}});
  CHECK(scanAll(top) == Pairs{{"a0", "top-a0"},
                              {"a1", "base-a1"},
                              {"a3", "top-a3"},
                              {"a4", "top-a4"},
                              {"a9", "top-a9"},
                              {"b2", "base-b2"},
                              {"c", "top-c"}});
  CHECK(scanAll(top, "x").empty());
  CHECK(scanAll(top, "a3") == Pairs{{"a3", "top-a3"}});
}

TEST_CASE("overlay scan stops early wherever the visitor says so") {
  EmptyState empty;
  Overlay base(empty);
  for (auto k : {"k1", "k3", "k5"}) put(base, k, "p");
  Overlay top(base);
  for (auto k : {"k0", "k2", "k4", "k6"}) put(top, k, "o");
  top.erase(asBytes("k3"));
  Pairs full = scanAll(top, "k");
  REQUIRE(full.size() == 6);
  for (std::size_t limit = 1; limit <= full.size(); ++limit) {
    Pairs part = scanAll(top, "k", limit);
    CHECK(part.size() == limit);
    CHECK(std::equal(part.begin(), part.end(), full.begin()));
  }
}

TEST_CASE("overlay over a deleting overlay over a base") {
  EmptyState empty;
  Overlay base(empty);
  put(base, "x", "1");
  put(base, "y", "2");
  Overlay mid(base);
  mid.erase(asBytes("x"));
  Overlay top(mid);
  CHECK(get(top, "x") == std::nullopt);
  CHECK(scanAll(top) == Pairs{{"y", "2"}});
  put(top, "x", "3");  // resurrects
  CHECK(scanAll(top) == Pairs{{"x", "3"}, {"y", "2"}});
}

TEST_CASE("commitInto moves writes (including deletions) into the parent") {
  EmptyState empty;
  Overlay block(empty);
  put(block, "a", "1");
  put(block, "b", "2");
  Overlay tx(block);
  put(tx, "a", "10");
  tx.erase(asBytes("b"));
  put(tx, "c", "3");
  tx.commitInto(block);
  CHECK(tx.writes().empty());
  CHECK(get(block, "a") == "10");
  CHECK(get(block, "b") == std::nullopt);
  CHECK(get(block, "c") == "3");
  REQUIRE(block.writes().size() == 3);
  CHECK_FALSE(block.writes().at(toBytes("b")).has_value());  // the deletion is kept for commit

  // A failed transaction just drops its overlay.
  {
    Overlay failed(block);
    put(failed, "a", "999");
    failed.clear();
    CHECK(get(failed, "a") == "10");
  }
  CHECK(get(block, "a") == "10");
}

TEST_CASE("an overlay built on an overlay is a child, not a copy") {
  EmptyState empty;
  Overlay block(empty);
  put(block, "a", "1");
  Overlay tx(block);  // must not copy block's writes
  CHECK(tx.writes().empty());
  CHECK(get(tx, "a") == "1");
  put(block, "b", "2");  // later writes to the parent show through
  CHECK(get(tx, "b") == "2");
  const Overlay& constBlock = block;
  Overlay tx2(constBlock);
  CHECK(tx2.writes().empty());
  CHECK(get(tx2, "a") == "1");

  Overlay stranger(empty);
  put(tx, "c", "3");
  CHECK_THROWS_AS(tx.commitInto(stranger), std::logic_error);
  CHECK(get(tx, "c") == "3");  // nothing moved
  tx.commitInto(block);
  CHECK(get(block, "c") == "3");
}
