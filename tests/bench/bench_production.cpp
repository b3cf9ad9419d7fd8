// The production workload (issue 3.8): many wells of several owners upload daily figures, then
// the month is cleared. Every step is a real signed transaction through the real executor on a
// real ChainStore (sender recovery included), with the module calls the production portal uses
// (tests/unit/modules/prod_fixture.hpp):
//   setup     registerProducer + approveProducer per owner and kind, addProducer (a well) and
//             setProducerStatus(Active) per well, prepay (margin) per owner and kind
//   uploads   per day: the FEEDER's receiveAssetValue (the day's price) for each kind, then
//             setProductionData from every well                              -> uploads/s
//   trusted   receiveTrustedProductionData per well (the FEEDER)             -> figures/s
//   clearing  clearing(id, month) per well by its owner                      -> clearings/s
#include "chain/abi.hpp"
#include "modules/catalog/catalog.hpp"
#include "modules/governance/kinds.hpp"
#include "modules/oracle/oracle.hpp"
#include "modules/production/dates.hpp"
#include "modules/production/production.hpp"
#include "modules/tat/tat.hpp"
#include "tests/bench/bench_chain.hpp"

using namespace tn;

namespace tnbench {
namespace {

constexpr uint64_t kDaySeconds = 86'400;
constexpr uint64_t kBbl = 10'000;  // volumes are × 10^4

uint64_t at(unsigned yy, unsigned mm, unsigned dd, uint64_t secondsIntoDay = 0) {
  return uint64_t(production::daysFromCivil(2000 + yy, mm, dd)) * kDaySeconds + secondsIntoDay;
}

kinds::Kind kindNamed(std::string_view name) {
  for (const kinds::Kind& k : kinds::genesisKinds())
    if (k.name == name) return k;
  throw std::logic_error("no genesis kind " + std::string(name));
}

Hash32 wellId(std::size_t w) {
  std::string text = "BENCH-WELL-" + std::to_string(w);
  Hash32 h;
  std::copy(text.begin(), text.end(), h.bytes.begin());
  return h;
}

// Builds signed module calls with per-account nonces; signing runs on all cores.
class TxFactory {
 public:
  TxFactory(const ModuleRegistry& modules, const std::vector<DevAccount>& accounts, uint64_t chainId)
      : modules_(modules), accounts_(accounts), chainId_(chainId), nonces_(accounts.size(), 0) {}

  void add(std::size_t from, const Address& to, std::string_view signature, const abi::ValueList& args,
           uint64_t time, const U256& value = 0, uint64_t gas = 2'000'000) {
    auto sel = abi::selector(signature);
    const CallDecl* d = modules_.findCall(to, BytesView(sel.data(), sel.size()));
    if (!d) throw std::logic_error("no call " + std::string(signature) + " at " + to.hex());
    Transaction t;
    t.type = Transaction::Type::DynamicFee;
    t.chainId = chainId_;
    t.nonce = nonces_.at(from)++;
    t.maxFeePerGas = 2'000'000'000;
    t.maxPriorityFeePerGas = 0;
    t.gasLimit = gas;
    t.to = to;
    t.value = value;
    t.data.assign(d->selector.begin(), d->selector.end());
    append(t.data, abi::encode(d->argTypes, args));
    pending_.push_back({std::move(t), from, time});
  }

  // Signs everything added since the last call: raw transactions and their earliest block time.
  std::pair<std::vector<Bytes>, std::vector<uint64_t>> take() {
    std::vector<Bytes> raw(pending_.size());
    std::vector<uint64_t> time(pending_.size());
    parallelFor(pending_.size(), hardwareThreads(), [&](std::size_t i) {
      pending_[i].tx.sign(accounts_[pending_[i].from].secretKey);
      raw[i] = std::move(pending_[i].tx.raw);
      time[i] = pending_[i].time;
    });
    pending_.clear();
    return {std::move(raw), std::move(time)};
  }
  std::size_t size() const { return pending_.size(); }

 private:
  struct Pending {
    Transaction tx;
    std::size_t from;
    uint64_t time;
  };
  const ModuleRegistry& modules_;
  const std::vector<DevAccount>& accounts_;
  uint64_t chainId_;
  std::vector<uint64_t> nonces_;
  std::vector<Pending> pending_;
};

}  // namespace

int runProductionBench(const Options& o) {
  const std::size_t W = o.num("wells"), O = o.num("owners"), D = o.num("days");
  RunOptions ro;
  ro.blockTxs = o.num("block-txs");
  ro.threads = unsigned(o.num("threads"));
  ro.pipeline = o.num("pipeline") != 0;
  o.print("production bench");
  if (W == 0 || O == 0 || O > W) throw std::invalid_argument("need 0 < owners <= wells");
  if (D == 0 || D > 31) throw std::invalid_argument("--days must be 1..31 (January 2024)");
  BenchDir dir(o.str("dir"), "tn_bench_prod");

  // Account 0 is FOUNDATION_MANAGER and FEEDER; owners are accounts 1..O; well w belongs to
  // owner 1 + w % O. Even wells are OIL (API/sulphur discount), odd wells GAS.
  auto accounts = benchAccounts(O + 1);
  accounts[0].roles = {"FOUNDATION_MANAGER", "FEEDER"};
  Genesis genesis = devGenesis(kDefaultDevChainId, accounts, parseUnits("1000000"), at(23, 12, 1));
  const kinds::Kind oil = kindNamed("OIL"), gas = kindNamed("GAS");
  const kinds::Kind* kindOf[2] = {&oil, &gas};
  auto wellKind = [&](std::size_t w) -> const kinds::Kind& { return *kindOf[w % 2]; };
  auto ownerOf = [&](std::size_t w) { return 1 + w % O; };
  const std::size_t kindsUsed = W > 1 ? 2 : 1;

  auto modules = makeStandardModules();
  ChainParams params = genesis.params();
  params.feeCollector = kFeeCollector;
  params.blockGasLimit = std::max<uint64_t>(params.blockGasLimit, ro.blockTxs * 2'000'000);
  Executor executor(*modules, params);
  TxFactory f(*modules, accounts, genesis.chainId);

  const std::string coreT = "(string,address,uint256,uint256,string)";
  const std::string dataT =
      "(bytes32,uint256,address,uint256,uint256,uint256,uint256,string,uint256,uint256,uint8)";
  const Address registryAddr = Address::fromU64(0x1007);
  const uint64_t month = 2401;  // January 2024
  // The daily figure of well w on day d (50..149 bbl), and the month's total.
  auto amountOf = [](std::size_t w, std::size_t d) { return U256((50 + (w * 7 + d * 13) % 100) * kBbl); };
  auto monthOf = [&](std::size_t w) {
    U256 total = 0;
    for (std::size_t d = 1; d <= D; ++d) total += amountOf(w, d);
    return total;
  };

  int rc = 0;
  {
    ChainStore chain(dir.path());
    commitGenesis(chain, executor, genesis);
    auto t0 = Clock::now();

    // --- setup: producers, wells, activation, margin ---------------------------------------
    const uint64_t setupTime = at(23, 12, 15);
    for (std::size_t k = 0; k < kindsUsed; ++k)
      for (std::size_t owner = 1; owner <= O; ++owner)
        f.add(owner, registryAddr, "registerProducer(string,string,bytes32)",
              {kindOf[k]->name, "producer " + std::to_string(owner), keccak256(std::string_view("docs"))},
              setupTime);
    for (std::size_t k = 0; k < kindsUsed; ++k)
      for (std::size_t owner = 1; owner <= O; ++owner)
        f.add(0, registryAddr, "approveProducer(address,string)", {accounts[owner].address, kindOf[k]->name},
              setupTime);
    for (std::size_t w = 0; w < W; ++w)
      f.add(ownerOf(w), wellKind(w).producer, "addProducer(bytes32," + coreT + ")",
            {wellId(w), abi::ValueList{"well " + std::to_string(w), accounts[ownerOf(w)].address,
                                       uint64_t(3000 + w % 1000), uint64_t(300 + w % 200), ""}},
            setupTime);
    for (std::size_t w = 0; w < W; ++w)
      f.add(0, wellKind(w).producer, "setProducerStatus(bytes32,uint8)", {wellId(w), uint64_t(1)}, setupTime);
    for (std::size_t k = 0; k < kindsUsed; ++k)
      for (std::size_t owner = 1; owner <= O; ++owner)
        f.add(owner, kindOf[k]->data, "prepay()", {}, setupTime, U256(50'000) * U256(1'000'000'000'000'000'000ull));
    auto [setupRaw, setupTimes] = f.take();
    RunStats setup = runBlocks(chain, executor, setupRaw, setupTimes, ro);
    std::printf("setup: %zu owners, %zu wells (OIL and GAS), %zu transactions in %zu blocks in %.1f s\n", O, W,
                setup.txs, setup.blocks, secondsSince(t0));

    // --- uploads: each day the feeder's prices, then every well's figure ----------------------
    for (std::size_t d = 1; d <= D; ++d) {
      const uint64_t time = at(24, 1, unsigned(d), 8 * 3600);
      const uint64_t yymmdd = month * 100 + d;
      for (std::size_t k = 0; k < kindsUsed; ++k)
        f.add(0, kindOf[k]->data, "receiveAssetValue(bytes32,uint256,uint256)",
              {oracle::assetValueRequestId(kindOf[k]->data), yymmdd,
               uint64_t(k == 0 ? (d % 2 ? 780'000 : 820'000) : 25'000 + d * 100)},
              time);
      for (std::size_t w = 0; w < W; ++w)
        f.add(ownerOf(w), wellKind(w).data, "setProductionData(bytes32," + dataT + ")",
              {wellId(w), abi::ValueList{wellId(w), 0, Address(), amountOf(w, d), 0, yymmdd, month, "", 0, 0, 0}},
              time, 0, 1'000'000);
    }
    auto t1 = Clock::now();
    auto [upRaw, upTimes] = f.take();
    std::printf("uploads: %zu days x %zu wells + %zu prices per day, signed in %.1f s\n", D, W, kindsUsed,
                secondsSince(t1));
    std::fflush(stdout);
    RunStats up = runBlocks(chain, executor, upRaw, upTimes, ro);
    upRaw.clear();
    up.print("uploads and price feeds", ro.pipeline);
    std::printf("  => %.0f uploads/s (%zu uploads; the %zu price feeds are in the count above)\n",
                double(D * W) / up.total, D * W, D * kindsUsed);

    // --- the month's official figures (every 10th well under-reported by 10 %: a failed audit) --
    const uint64_t trustedTime = at(24, 2, 2, 9 * 3600);
    for (std::size_t w = 0; w < W; ++w) {
      U256 total = monthOf(w);
      U256 trusted = w % 10 == 9 ? total * 9 / 10 : total;
      f.add(0, wellKind(w).data, "receiveTrustedProductionData(bytes32,bytes32," + dataT + ")",
            {oracle::trustedDataRequestId(wellKind(w).data, wellId(w)), wellId(w),
             abi::ValueList{wellId(w), 0, Address(), trusted, 0, 0, month, "", 0, 0, 0}},
            trustedTime);
    }
    auto [trRaw, trTimes] = f.take();
    RunStats tr = runBlocks(chain, executor, trRaw, trTimes, ro);
    tr.print("trusted figures", ro.pipeline);

    // --- clearings: one per well by its owner --------------------------------------------------
    const uint64_t clearTime = at(24, 2, 2, 10 * 3600);
    for (std::size_t w = 0; w < W; ++w)
      f.add(ownerOf(w), wellKind(w).data, "clearing(bytes32,uint256)", {wellId(w), month}, clearTime);
    auto [clRaw, clTimes] = f.take();
    RunStats cl = runBlocks(chain, executor, clRaw, clTimes, ro);
    cl.print("clearings", ro.pipeline);
    std::printf("  => %.0f clearings/s\n", double(W) / cl.total);

    // The outcome adds up: sampled months hold the uploaded totals and are audited, TAT minted.
    auto state = chain.state();
    for (std::size_t w = 0; w < W; w += std::max<std::size_t>(1, W / 40)) {
      auto m = production::loadMonth(*state, wellId(w), 202401);
      if (!m || m->uploaded != monthOf(w)) throw std::runtime_error("well " + std::to_string(w) + ": month total mismatch");
      auto want = w % 10 == 9 ? production::AuditStatus::Failed : production::AuditStatus::Finished;
      if (m->status != want || m->minted == 0)
        throw std::runtime_error("well " + std::to_string(w) + ": not cleared as expected");
    }
    if (tat::totalSupply(*state) == 0) throw std::runtime_error("no TAT minted");
    std::printf("verified: month totals, audit status and minted TAT of sampled wells; TAT supply %s\n",
                u256ToDecimal(tat::totalSupply(*state)).c_str());
    std::printf("chain: %llu blocks, state root %s; peak RSS %ld MiB\n", (unsigned long long)chain.height(),
                chain.stateRoot().hex().c_str(), peakRssKiB() / 1024);
  }
  return rc;
}

}  // namespace tnbench
