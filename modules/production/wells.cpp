#include "modules/production/wells.hpp"

#include <stdexcept>

#include "chain/rlp.hpp"

namespace tn::production {

namespace {
constexpr std::string_view kWellPrefix = "production/well/";
constexpr std::string_view kSharePrefix = "production/share/";

Bytes shareKey(const Hash32& id, const Address& who) {
  return concat({asBytes(kSharePrefix), id.view(), who.view()});
}
}  // namespace

Bytes wellKey(const Hash32& id) {
  return concat({asBytes(kWellPrefix), id.view()});
}

std::optional<Well> loadWell(const StateReader& state, const Hash32& id) {
  auto raw = state.get(wellKey(id));
  if (!raw) return std::nullopt;
  auto f = rlp::decode(*raw).items();
  if (f.size() != 8) throw std::runtime_error("corrupt well record");
  Well w;
  w.kind = std::string(asChars(f[0].bytes()));
  w.nickname = std::string(asChars(f[1].bytes()));
  w.owner = Address::fromView(f[2].bytes());
  w.api = f[3].toU256();
  w.sulphur = f[4].toU256();
  w.account = std::string(asChars(f[5].bytes()));
  const uint64_t status = f[6].toU64();
  if (status > uint64_t(WellStatus::Deactive)) throw std::runtime_error("corrupt well status");
  w.status = WellStatus(status);
  w.validUntil = f[7].toU64();
  return w;
}

void storeWell(CallContext& ctx, const Hash32& id, const Well& w) {
  rlp::Encoder e;
  auto m = e.beginList();
  e.str(w.kind).str(w.nickname).bytes(w.owner.view()).uint(w.api).uint(w.sulphur).str(w.account);
  e.uint(uint64_t(w.status)).uint(w.validUntil);
  e.endList(m);
  ctx.put(wellKey(id), e.out());
}

std::vector<Holder> loadHolders(const StateReader& state, const Hash32& id) {
  std::vector<Holder> out;
  const Bytes prefix = concat({asBytes(kSharePrefix), id.view()});
  state.scan(prefix, [&](BytesView key, BytesView value) {
    out.push_back({Address::fromView(key.subspan(prefix.size())), u256FromBE(value)});
    return true;
  });
  return out;
}

std::optional<U256> holderRatio(const StateReader& state, const Hash32& id, const Address& who) {
  auto raw = state.get(shareKey(id, who));
  if (!raw) return std::nullopt;
  return u256FromBE(*raw);
}

void storeHolder(CallContext& ctx, const Hash32& id, const Address& who, const U256& ratio) {
  // A 0 % holder is stored as a single zero byte so that the key still exists.
  Bytes v = u256ToBEMinimal(ratio);
  if (v.empty()) v.push_back(0);
  ctx.put(shareKey(id, who), v);
}

void eraseHolder(CallContext& ctx, const Hash32& id, const Address& who) {
  ctx.erase(shareKey(id, who));
}

std::vector<Payout> splitByShares(const Address& owner, const std::vector<Holder>& holders,
                                  const U256& total) {
  std::vector<Payout> out;
  U256 rest = total;
  for (const Holder& h : holders) {
    U256 part = mulDiv(h.ratio, total, kMaxPieces);
    rest -= part;  // Σ ratios <= 100, so this never underflows
    if (part > 0) out.push_back({h.account, part});
  }
  if (rest > 0) out.push_back({owner, rest});
  return out;
}

}  // namespace tn::production
