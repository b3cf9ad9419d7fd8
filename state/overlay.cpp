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

void Overlay::put(BytesView key, BytesView value) {
  writes_.insert_or_assign(Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end()));
}

void Overlay::erase(BytesView key) {
  writes_.insert_or_assign(Bytes(key.begin(), key.end()), std::nullopt);
}

void Overlay::commitInto(Overlay& parent) {
  if (parent_ != &parent) throw std::logic_error("overlay: commitInto a non-parent overlay");
  for (auto& [k, v] : writes_) parent.writes_.insert_or_assign(k, std::move(v));
  writes_.clear();
}

}  // namespace tn
