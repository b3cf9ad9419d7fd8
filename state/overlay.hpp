// Read/write views of the key-value state. A transaction writes into an Overlay over the block's
// Overlay, which sits over the committed store; a failed call simply drops its overlay.
#pragma once

#include <functional>
#include <map>
#include <optional>

#include "state/bytes.hpp"

namespace tn {

// Visitor for ordered scans: return false to stop.
using ScanFn = std::function<bool(BytesView key, BytesView value)>;

class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual std::optional<Bytes> get(BytesView key) const = 0;
  // Visits every key that starts with `prefix`, in ascending byte order.
  virtual void scan(BytesView prefix, const ScanFn& fn) const = 0;
};

// nullopt marks a deletion. Ordered, so commits and root computation are deterministic.
using WriteSet = std::map<Bytes, std::optional<Bytes>, BytesLess>;

class Overlay final : public StateReader {
 public:
  explicit Overlay(const StateReader& parent) : parent_(&parent) {}
  // Building on another overlay (a transaction on its block) makes a child, never a copy: the
  // implicit copy constructor would silently duplicate the parent's writes (and detach from it).
  explicit Overlay(const Overlay& parent) : parent_(&parent) {}
  // Children point at their parent, so an overlay stays where it was built.
  Overlay& operator=(const Overlay&) = delete;
  Overlay(Overlay&&) = delete;
  Overlay& operator=(Overlay&&) = delete;

  std::optional<Bytes> get(BytesView key) const override;
  void scan(BytesView prefix, const ScanFn& fn) const override;

  void put(BytesView key, BytesView value);
  void erase(BytesView key);

  const WriteSet& writes() const { return writes_; }
  // Moves this overlay's writes into the overlay it was built on (which must be `parent`;
  // throws std::logic_error otherwise).
  void commitInto(Overlay& parent);
  void clear() { writes_.clear(); }

 private:
  const StateReader* parent_;
  WriteSet writes_;
};

// An empty state: the parent of everything in a fresh database and in tests.
class EmptyState final : public StateReader {
 public:
  std::optional<Bytes> get(BytesView) const override { return std::nullopt; }
  void scan(BytesView, const ScanFn&) const override {}
};

}  // namespace tn
