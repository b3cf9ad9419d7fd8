#include "modules/production/wells.hpp"

#include <stdexcept>
#include <string_view>

#include "chain/rlp.hpp"

namespace tn::production {

namespace {
constexpr std::string_view kWellPrefix = "production/well/";
constexpr std::string_view kSharePrefix = "production/share/";
constexpr std::string_view kOwnerIndex = "production/ix/o/";
constexpr std::string_view kKindIndex = "production/ix/k/";
constexpr std::string_view kKindStatusIndex = "production/ix/ks/";
constexpr std::string_view kStatusIndex = "production/ix/s/";
const Bytes kMark{1};

Bytes shareKey(const Hash32& id, const Address& who) {
  return concat({asBytes(kSharePrefix), id.view(), who.view()});
}

// Kind names are length-prefixed so that no kind's range contains another's ("OIL", "OILX").
Bytes kindPart(std::string_view kind) {
  if (kind.size() > 255) throw std::invalid_argument("asset kind name too long");
  Bytes b{uint8_t(kind.size())};
  append(b, asBytes(kind));
  return b;
}
Bytes statusPart(WellStatus s) {
  return Bytes{uint8_t(s)};
}

Bytes ownerPrefix(const Address& owner) {
  return concat({asBytes(kOwnerIndex), owner.view()});
}
Bytes kindPrefix(std::string_view kind) {
  return concat({asBytes(kKindIndex), kindPart(kind)});
}
Bytes kindStatusPrefix(std::string_view kind, WellStatus s) {
  return concat({asBytes(kKindStatusIndex), kindPart(kind), statusPart(s)});
}
Bytes statusPrefix(WellStatus s) {
  return concat({asBytes(kStatusIndex), statusPart(s)});
}

// The index keys of a well in one status (the owner and kind keys do not depend on it).
std::vector<Bytes> statusKeys(const Hash32& id, const Well& w) {
  return {concat({kindStatusPrefix(w.kind, w.status), id.view()}),
          concat({statusPrefix(w.status), id.view()})};
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
  const std::optional<Well> old = loadWell(ctx.state(), id);
  if (old && (old->owner != w.owner || old->kind != w.kind))
    throw std::logic_error("a well's owner and kind never change");
  ctx.put(wellKey(id), e.out());
  if (!old) {
    ctx.put(concat({ownerPrefix(w.owner), id.view()}), kMark);
    ctx.put(concat({kindPrefix(w.kind), id.view()}), kMark);
  } else if (old->status != w.status) {
    for (const Bytes& k : statusKeys(id, *old)) ctx.erase(k);
  }
  if (!old || old->status != w.status)
    for (const Bytes& k : statusKeys(id, w)) ctx.put(k, kMark);
}

std::vector<WellEntry> listWells(const StateReader& state, const WellFilter& f, std::size_t limit,
                                 const std::optional<Hash32>& after) {
  Bytes prefix;
  if (f.owner)
    prefix = ownerPrefix(*f.owner);
  else if (f.kind && f.status)
    prefix = kindStatusPrefix(*f.kind, *f.status);
  else if (f.kind)
    prefix = kindPrefix(*f.kind);
  else if (f.status)
    prefix = statusPrefix(*f.status);
  else
    prefix = toBytes(kWellPrefix);
  std::vector<WellEntry> out;
  if (limit == 0) return out;
  state.scan(prefix, [&](BytesView key, BytesView) {
    const Hash32 id = Hash32::fromView(key.subspan(prefix.size(), 32));
    if (after && !(*after < id)) return true;
    std::optional<Well> w = loadWell(state, id);
    if (!w) throw std::runtime_error("well index names a missing well");
    if ((f.kind && w->kind != *f.kind) || (f.status && w->status != *f.status)) return true;
    out.push_back({id, std::move(*w)});
    return out.size() < limit;
  });
  return out;
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
    U256 part = h.ratio * total / kMaxPieces;  // checked: overflow aborts (RULES.md §1)
    rest -= part;  // Σ ratios <= 100, so this never underflows
    if (part > 0) out.push_back({h.account, part});
  }
  if (rest > 0) out.push_back({owner, rest});
  return out;
}

}  // namespace tn::production
