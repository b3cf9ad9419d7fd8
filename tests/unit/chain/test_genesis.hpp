// Block 0 of a test chain: an empty block over the given genesis state.
#pragma once

#include <boost/json.hpp>

#include "chain/block.hpp"
#include "chain/chainstore.hpp"
#include "chain/executor.hpp"

namespace tn::test {

// Commits `state` as the genesis state of `chain`, in a header with `params`' gas limit and base
// fee.
inline void commitTestGenesis(ChainStore& chain, const ChainParams& params, const WriteSet& state,
                              const boost::json::value& genesisJson = boost::json::object{}) {
  BlockHeader h;
  h.gasLimit = params.blockGasLimit;
  h.baseFeePerGas = params.baseFee;
  h.transactionsRoot = orderedRoot({});
  h.receiptsRoot = orderedRoot({});
  h.stateRoot = chain.prepareState(state).newRoot;
  chain.commitGenesis(h, state, genesisJson);
}

}  // namespace tn::test
