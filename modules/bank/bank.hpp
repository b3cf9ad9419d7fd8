// UNIT accounts: nonce and balance per address, under the key "acct/" ++ address. The executor
// charges fees and moves value through it (as chain's Ledger); modules reach it the same way.
#pragma once

#include "chain/module.hpp"

namespace tn {

class Bank final : public Ledger {
 public:
  struct Account {
    uint64_t nonce = 0;
    U256 balance = 0;
  };
  static Bytes key(const Address& a);
  static Account load(const StateReader& s, const Address& a);
  static void store(Overlay& s, const Address& a, const Account& acct);

  uint64_t nonce(const StateReader& s, const Address& a) const override { return load(s, a).nonce; }
  U256 balance(const StateReader& s, const Address& a) const override { return load(s, a).balance; }
  void setNonce(Overlay& s, const Address& a, uint64_t nonce) const override;
  void debit(Overlay& s, const Address& a, const U256& amount) const override;
  void credit(Overlay& s, const Address& a, const U256& amount) const override;
  Bytes accountKey(const Address& a) const override { return key(a); }
  AccountState account(const StateReader& s, const Address& a) const override {
    Account acct = load(s, a);
    return {acct.nonce, acct.balance};
  }
  void setAccount(Overlay& s, const Address& a, const AccountState& acct) const override {
    store(s, a, Account{acct.nonce, acct.balance});
  }
};

}  // namespace tn
