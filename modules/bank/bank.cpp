#include "modules/bank/bank.hpp"

#include <fmt/format.h>

namespace tn {

static constexpr std::string_view kPrefix = "acct/";

Bytes Bank::key(const Address& a) { return concat({asBytes(kPrefix), a.view()}); }

// Value: 8-byte big-endian nonce ++ minimal big-endian balance. An absent key is a fresh account.
Bank::Account Bank::load(const StateReader& s, const Address& a) {
  Account acct;
  auto v = s.get(key(a));
  if (!v) return acct;
  if (v->size() < 8) throw std::runtime_error("corrupt account record for " + a.hex());
  for (int i = 0; i < 8; ++i) acct.nonce = acct.nonce << 8 | (*v)[i];
  acct.balance = u256FromBE(BytesView(*v).subspan(8));
  return acct;
}

void Bank::store(Overlay& s, const Address& a, const Account& acct) {
  if (acct.nonce == 0 && acct.balance == 0) {
    s.erase(key(a));  // empty accounts are not kept (as EIP-161)
    return;
  }
  Bytes v(8);
  for (int i = 0; i < 8; ++i) v[i] = uint8_t(acct.nonce >> (56 - 8 * i));
  append(v, u256ToBEMinimal(acct.balance));
  s.put(key(a), v);
}

void Bank::setNonce(Overlay& s, const Address& a, uint64_t nonce) const {
  Account acct = load(s, a);
  acct.nonce = nonce;
  store(s, a, acct);
}

void Bank::debit(Overlay& s, const Address& a, const U256& amount) const {
  if (amount == 0) return;
  Account acct = load(s, a);
  if (acct.balance < amount)
    throw Revert(fmt::format("insufficient balance: {} has {} aunit, needs {}", a.checksumHex(),
                             u256ToDecimal(acct.balance), u256ToDecimal(amount)));
  acct.balance -= amount;
  store(s, a, acct);
}

void Bank::credit(Overlay& s, const Address& a, const U256& amount) const {
  if (amount == 0) return;
  Account acct = load(s, a);
  acct.balance += amount;  // checked: a total supply beyond 2^256 is an error, not a wrap
  store(s, a, acct);
}

}  // namespace tn
