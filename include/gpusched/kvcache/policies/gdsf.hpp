#pragma once
// GDSF (Greedy-Dual-Size-Frequency, Cherkasova 1998), cost-aware: a block's key is
// L + uses * cost / size, evicting the smallest; L rises to each victim's key (aging). With
// uniform block sizes the key favours blocks that are costly to recompute: access_info::cost is
// the block's recompute cost (the replay passes its token count; a cost model may pass seconds,
// which grow with the block's position because attention reads the whole prefix).
// O(log n) per operation.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpusched/kvcache/detail/indexed_heap.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// Cost-aware greedy-dual eviction.
class gdsf {
 public:
  static constexpr std::string_view name = "gdsf";
  /// `position_weight`: recompute cost grows by this fraction per block of prefix before it
  /// (attention over the prefix); 0 uses access_info::cost alone.
  explicit gdsf(double position_weight = 0.0) : position_weight_(position_weight) {}
  void reserve(std::size_t n) {
    heap_.reserve(n);
    count_.assign(n, 0);
  }
  void on_insert(slot_t s, const access_info& a) {
    count_[s] = 1;
    set(s, a);
  }
  void on_hit(slot_t s, const access_info& a) {
    ++count_[s];
    set(s, a);
  }
  void on_evict(slot_t s) {
    // Aging: L becomes the smallest key in the cache (the victim's, unless pins made us skip).
    if (!heap_.empty() && heap_.key(heap_.top()).value > inflation_)
      inflation_ = heap_.key(heap_.top()).value;
    heap_.erase(s);
  }
  [[nodiscard]] slot_t victim(const tier_view& v) const {
    return heap_.find_first([&](slot_t s) { return v.evictable(s); });
  }

 private:
  void set(slot_t s, const access_info& a) {
    const double cost = a.cost * (1.0 + position_weight_ * static_cast<double>(a.position));
    heap_.set(s, key{inflation_ + static_cast<double>(count_[s]) * cost, ++tick_});
  }
  struct key {
    double value = 0;
    std::uint64_t tick = 0;
    bool operator<(const key& o) const noexcept {
      return value != o.value ? value < o.value : tick < o.tick;
    }
  };
  double position_weight_;
  detail::indexed_heap<key> heap_;
  std::vector<std::uint32_t> count_;
  double inflation_ = 0.0;
  std::uint64_t tick_ = 0;
};

}  // namespace gpusched::kvcache::policies
