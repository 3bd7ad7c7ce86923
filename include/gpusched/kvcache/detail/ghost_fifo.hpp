#pragma once
// A bounded FIFO of block ids recently evicted ("ghosts"), with O(1) membership, removal and
// pop-oldest: a ring of ids plus a map id -> ring position (removal leaves a stale ring entry that
// pop skips). ARC and S3-FIFO learn from blocks that come back while still remembered.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpusched/kvcache/detail/flat_map.hpp"

namespace gpusched::kvcache::detail {

/// FIFO of at most `capacity` live block ids.
class ghost_fifo {
 public:
  void reserve(std::size_t capacity) {
    ring_.assign(capacity, 0);
    map_ = flat_map64(capacity);
    head_ = 0;
    count_ = 0;
  }
  [[nodiscard]] bool contains(std::uint64_t b) const noexcept { return map_.contains(b); }
  [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }
  [[nodiscard]] bool empty_live() const noexcept { return map_.size() == 0; }
  /// Remembers b as the newest ghost (dropping the oldest entry when the ring is full).
  void push(std::uint64_t b) {
    if (ring_.empty()) return;
    if (count_ == ring_.size()) drop_oldest_entry();
    const std::size_t at = (head_ + count_) % ring_.size();
    ring_[at] = b;
    map_.set(b, static_cast<std::uint32_t>(at));
    ++count_;
  }
  /// Forgets b; returns whether it was remembered.
  bool erase(std::uint64_t b) noexcept { return map_.erase(b); }
  /// Forgets the oldest live ghost (no-op when empty).
  void pop_oldest() {
    const std::size_t live = map_.size();
    while (count_ > 0 && map_.size() == live) drop_oldest_entry();
  }

 private:
  void drop_oldest_entry() {
    const std::uint64_t b = ring_[head_];
    if (map_.find(b) == head_) map_.erase(b);  // stale entries point elsewhere or nowhere
    head_ = (head_ + 1) % ring_.size();
    --count_;
  }
  std::vector<std::uint64_t> ring_;
  flat_map64 map_;
  std::size_t head_ = 0, count_ = 0;
};

}  // namespace gpusched::kvcache::detail
