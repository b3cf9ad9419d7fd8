// A minimal Ledger for chain-layer tests (the real one, the bank module, sits a layer above):
// key "a/" ++ address → 8-byte big-endian nonce ++ 32-byte balance.
#pragma once

#include "chain/module.hpp"

namespace tn::test {

class TestLedger final : public Ledger {
 public:
  struct Account {
    uint64_t nonce = 0;
    U256 balance = 0;
  };
  static Bytes key(const Address& a) {
    Bytes k = toBytes("a/");
    append(k, a.view());
    return k;
  }
  static Account read(const StateReader& s, const Address& a) {
    Account acct;
    auto v = s.get(key(a));
    if (!v) return acct;
    for (int i = 0; i < 8; ++i) acct.nonce = (acct.nonce << 8) | (*v)[i];
    acct.balance = u256FromBE(BytesView(*v).subspan(8));
    return acct;
  }
  static void write(Overlay& s, const Address& a, const Account& acct) {
    Bytes v(8);
    for (int i = 0; i < 8; ++i) v[i] = uint8_t(acct.nonce >> (56 - 8 * i));
    append(v, u256ToBE32(acct.balance));
    s.put(key(a), v);
  }

  uint64_t nonce(const StateReader& s, const Address& a) const override { return read(s, a).nonce; }
  U256 balance(const StateReader& s, const Address& a) const override { return read(s, a).balance; }
  void setNonce(Overlay& s, const Address& a, uint64_t n) const override {
    Account acct = read(s, a);
    acct.nonce = n;
    write(s, a, acct);
  }
  void debit(Overlay& s, const Address& a, const U256& amount) const override {
    Account acct = read(s, a);
    if (acct.balance < amount) throw Revert("insufficient balance");
    acct.balance -= amount;
    write(s, a, acct);
  }
  Bytes accountKey(const Address& a) const override { return key(a); }
  void credit(Overlay& s, const Address& a, const U256& amount) const override {
    Account acct = read(s, a);
    acct.balance += amount;
    write(s, a, acct);
  }
};

// A deterministic secret key numbered n (n > 0).
inline Hash32 secretKey(uint32_t n) {
  Hash32 h;
  h.bytes[28] = uint8_t(n >> 24);
  h.bytes[29] = uint8_t(n >> 16);
  h.bytes[30] = uint8_t(n >> 8);
  h.bytes[31] = uint8_t(n);
  return h;
}

}  // namespace tn::test
