#pragma once
// SIEVE (Zhang et al., NSDI'24): a FIFO queue with one "visited" bit per block and a hand that
// moves from the oldest end toward the newest, clearing visited bits and evicting the first
// unvisited block; hits only set the bit (no list moves). Amortized O(1).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpusched/kvcache/detail/slot_list.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// SIEVE eviction.
class sieve {
 public:
  static constexpr std::string_view name = "sieve";
  void reserve(std::size_t n) {
    links_.reserve(n);
    list_.clear();
    visited_.assign(n, 0);
    hand_ = no_slot;
  }
  void on_insert(slot_t s, const access_info&) {
    visited_[s] = 0;
    list_.push_front(links_, s);
  }
  void on_hit(slot_t s, const access_info&) { visited_[s] = 1; }
  void on_evict(slot_t s) {
    if (hand_ == s) hand_ = links_.prev[s];
    list_.unlink(links_, s);
  }
  [[nodiscard]] slot_t victim(const tier_view& v) {
    // Two sweeps clear every bit, so 2n + 1 steps find an unpinned block when one exists.
    slot_t h = hand_ == no_slot ? list_.tail() : hand_;
    for (std::size_t steps = 0; steps <= 2 * list_.size() + 1 && h != no_slot; ++steps) {
      if (visited_[h] != 0) {
        visited_[h] = 0;
      } else if (v.evictable(h)) {
        hand_ = h;  // on_evict moves it one step toward the head
        return h;
      }
      h = links_.prev[h] == no_slot ? list_.tail() : links_.prev[h];
    }
    return no_slot;
  }

 private:
  detail::slot_links links_;
  detail::slot_list list_;
  std::vector<std::uint8_t> visited_;
  slot_t hand_ = no_slot;
};

}  // namespace gpusched::kvcache::policies
