#pragma once
// Belady's offline optimum for demand fill: evict the block whose next use lies furthest in the
// future (ties: the deeper block, so a parent is never dropped before its child). It needs the
// trace's future: the replay fills access_info::next_use from a future_oracle when a policy
// declares needs_future. O(log n) per operation (an indexed heap).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpusched/kvcache/detail/indexed_heap.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// Furthest-next-use eviction (the bound every online policy is measured against).
class belady {
 public:
  static constexpr std::string_view name = "belady";
  static constexpr bool needs_future = true;

  void reserve(std::size_t n) { heap_.reserve(n); }
  void on_insert(slot_t s, const access_info& a) { heap_.set(s, key_of(a)); }
  void on_hit(slot_t s, const access_info& a) { heap_.set(s, key_of(a)); }
  void on_evict(slot_t s) { heap_.erase(s); }
  [[nodiscard]] slot_t victim(const tier_view& v) const {
    return heap_.find_first([&](slot_t s) { return v.evictable(s); });
  }

 private:
  // Min-heap on the complement: the largest (next_use, position) comes out on top.
  struct key {
    std::uint64_t next_use = 0;
    std::uint32_t position = 0;
    bool operator<(const key& o) const noexcept {
      return next_use != o.next_use ? next_use > o.next_use : position > o.position;
    }
  };
  static key key_of(const access_info& a) noexcept { return key{a.next_use, a.position}; }
  detail::indexed_heap<key> heap_;
};

}  // namespace gpusched::kvcache::policies
