#pragma once
// A priority queue of slots with integer priorities and FIFO order among equal priorities, for
// priorities that never fall below a floor that only rises (LFU-DA's aging value L: every key is
// L + a use count, and L rises to the smallest key). One intrusive list per priority ("bucket")
// in a ring indexed by priority mod R, where all live priorities lie in [floor, floor + R); a
// bitmap of non-empty buckets finds the smallest priority 64 buckets per word. O(1) push, erase
// and move (R doubles when a priority would leave the window: amortized); finding the minimum
// costs the empty buckets between the previous minimum and the next (64 per word).
// The order is (priority, time of the last push) — the same as a min-heap keyed by
// (priority, increasing tick), which is what it replaced in LFU.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "gpusched/kvcache/detail/slot_list.hpp"

namespace gpusched::kvcache::detail {

/// Slots 0..n-1 keyed by uint64 priorities >= floor(); smallest priority first, then oldest push.
class bucket_queue {
 public:
  static constexpr std::uint64_t none = std::numeric_limits<std::uint64_t>::max();

  void reserve(std::size_t n) {
    node_.assign(n, node{});
    floor_ = lo_ = 0;
    exact_ = false;
    size_ = 0;
    resize_ring(64);
  }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool contains(std::uint32_t s) const noexcept { return node_[s].prio != none; }
  /// The priority of s (none when s is not queued).
  [[nodiscard]] std::uint64_t priority(std::uint32_t s) const noexcept { return node_[s].prio; }
  [[nodiscard]] std::uint64_t floor() const noexcept { return floor_; }

  /// Raises the floor to f (<= every live priority; a lower f is ignored).
  void raise_floor(std::uint64_t f) noexcept {
    if (f > floor_) floor_ = f;
    if (lo_ < floor_) {
      lo_ = floor_;
      exact_ = false;
    }
  }

  /// Inserts s with priority p (floor() <= p < none), or moves it there: it becomes the newest
  /// of bucket p.
  [[gnu::always_inline]] void push(std::uint32_t s, std::uint64_t p) {
    if (node_[s].prio != none) erase(s);
    if (p - floor_ >= mask_ + 1) grow(p - floor_ + 1);
    const std::size_t b = p & mask_;
    node_[s] = node{p, tail_[b], no_slot};
    if (tail_[b] != no_slot) node_[tail_[b]].next = s;
    else {
      head_[b] = s;
      bits_[b >> 6] |= std::uint64_t{1} << (b & 63);
    }
    tail_[b] = s;
    if (p < lo_ || size_ == 0) {  // the new smallest priority
      lo_ = p;
      exact_ = true;
    }
    ++size_;
  }
  [[gnu::always_inline]] void erase(std::uint32_t s) noexcept {
    node& x = node_[s];
    if (x.prio == none) return;
    const std::size_t b = x.prio & mask_;
    if (x.prev != no_slot) node_[x.prev].next = x.next; else head_[b] = x.next;
    if (x.next != no_slot) node_[x.next].prev = x.prev; else tail_[b] = x.prev;
    if (head_[b] == no_slot) {
      bits_[b >> 6] &= ~(std::uint64_t{1} << (b & 63));
      if (x.prio == lo_) exact_ = false;  // the smallest bucket emptied
    }
    x.prio = none;
    --size_;
  }

  /// The smallest live priority (none when empty).
  [[nodiscard]] std::uint64_t min_priority() noexcept {
    if (size_ == 0) return none;
    if (!exact_) {  // otherwise lo_ is still the minimum found last time (LFU asks twice per victim)
      lo_ = next_nonempty(lo_);
      exact_ = true;
    }
    return lo_;
  }
  /// The first slot in (priority, push order) satisfying `ok`, or no_slot.
  template <class Pred>
  [[nodiscard]] std::uint32_t find_first(Pred&& ok) {
    for (std::uint64_t p = min_priority(); p != none; p = next_nonempty(p + 1))
      for (std::uint32_t s = head_[p & mask_]; s != no_slot; s = node_[s].next)
        if (ok(s)) return s;
    return no_slot;
  }

 private:
  // Smallest live priority >= p, or none.
  [[nodiscard]] std::uint64_t next_nonempty(std::uint64_t p) const noexcept {
    if (size_ == 0) return none;
    p = std::max(p, floor_);
    const std::uint64_t end = floor_ + mask_ + 1;
    while (p < end) {
      const std::size_t b = p & mask_;
      const std::uint64_t word = bits_[b >> 6] >> (b & 63);
      if (word != 0) {
        p += static_cast<std::uint64_t>(std::countr_zero(word));
        return p < end ? p : none;
      }
      p += 64 - (b & 63);
    }
    return none;
  }
  void grow(std::uint64_t span) {
    std::vector<std::uint32_t> old_head(std::move(head_)), old_tail(std::move(tail_));
    const std::size_t old_mask = mask_;
    resize_ring(std::bit_ceil(static_cast<std::size_t>(std::max<std::uint64_t>(span, 2 * (old_mask + 1)))));
    for (std::size_t b = 0; b <= old_mask; ++b) {
      if (old_head[b] == no_slot) continue;
      const std::size_t nb = node_[old_head[b]].prio & mask_;  // a bucket's list moves whole
      head_[nb] = old_head[b];
      tail_[nb] = old_tail[b];
      bits_[nb >> 6] |= std::uint64_t{1} << (nb & 63);
    }
  }
  void resize_ring(std::size_t r) {
    mask_ = r - 1;
    head_.assign(r, no_slot);
    tail_.assign(r, no_slot);
    bits_.assign((r + 63) / 64, 0);
  }

  // A slot's priority and bucket links side by side: one cache line per slot touched (a slot
  // that is not queued has priority none).
  struct node {
    std::uint64_t prio = none;
    std::uint32_t prev = no_slot, next = no_slot;
  };
  std::vector<node> node_;
  std::vector<std::uint32_t> head_, tail_;
  std::vector<std::uint64_t> bits_;
  std::size_t mask_ = 0, size_ = 0;
  std::uint64_t floor_ = 0, lo_ = 0;  // lo_ <= the smallest live priority
  bool exact_ = false;                 // lo_ is the smallest live priority
};

}  // namespace gpusched::kvcache::detail
