#include "state/overlay.hpp"

#include <stdexcept>

namespace tn {

std::optional<Bytes> Overlay::get(BytesView key) const {
  auto it = writes_.find(key);
  if (it != writes_.end()) return it->second;
  return parent_->get(key);
}

static bool hasPrefix(BytesView key, BytesView prefix) {
  return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

void Overlay::scan(BytesView prefix, const ScanFn& fn) const {
  // Merge the parent's ordered stream with our ordered writes; ours win on equal keys.
  auto it = writes_.lower_bound(prefix);
  auto end = writes_.end();
  bool stopped = false;
  parent_->scan(prefix, [&](BytesView key, BytesView value) {
    BytesLess less;
    while (!stopped && it != end && hasPrefix(it->first, prefix) && less(it->first, key)) {
      if (it->second && !fn(it->first, *it->second)) stopped = true;
      ++it;
    }
    if (stopped) return false;
    if (it != end && !less(key, it->first) && !less(it->first, key)) {
      // Overridden (or deleted) by this overlay.
      if (it->second && !fn(it->first, *it->second)) stopped = true;
      ++it;
      return !stopped;
    }
    if (!fn(key, value)) stopped = true;
    return !stopped;
  });
  while (!stopped && it != end && hasPrefix(it->first, prefix)) {
    if (it->second && !fn(it->first, *it->second)) stopped = true;
    ++it;
  }
}

// The entry for `key`, created (as a deletion) if absent. A rewritten key, the usual case for
// account records, reuses its node and key bytes instead of allocating them again.
static std::optional<Bytes>& slot(WriteSet& writes, BytesView key) {
  auto it = writes.lower_bound(key);
  if (it == writes.end() || BytesLess{}(key, it->first))
    it = writes.emplace_hint(it, Bytes(key.begin(), key.end()), std::nullopt);
  return it->second;
}

void Overlay::put(BytesView key, BytesView value) {
  auto& v = slot(writes_, key);
  if (v)
    v->assign(value.begin(), value.end());
  else
    v.emplace(value.begin(), value.end());
}

void Overlay::erase(BytesView key) { slot(writes_, key).reset(); }

void Overlay::commitInto(Overlay& parent) {
  if (parent_ != &parent) throw std::logic_error("overlay: commitInto a non-parent overlay");
  // Keys new to the parent move over as whole nodes; the rest overwrite the parent's values.
  parent.writes_.merge(writes_);
  for (auto& [k, v] : writes_) parent.writes_.find(k)->second = std::move(v);
  writes_.clear();
}

}  // namespace tn
