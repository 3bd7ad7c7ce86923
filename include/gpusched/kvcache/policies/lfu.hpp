#pragma once
// LFU with dynamic aging (LFU-DA, Arlitt et al. 2000): a block's key is L + its use count, where L
// is the key of the last victim, so old popularity fades as L rises. Ties go to the least
// recently used. O(log n) per operation (an indexed heap).

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "gpusched/kvcache/detail/indexed_heap.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// Least frequently used, aged.
class lfu {
 public:
  static constexpr std::string_view name = "lfu";
  void reserve(std::size_t n) {
    heap_.reserve(n);
    count_.assign(n, 0);
  }
  void on_insert(slot_t s, const access_info&) {
    count_[s] = 1;
    heap_.set(s, key{inflation_ + 1.0, ++tick_});
  }
  void on_hit(slot_t s, const access_info&) {
    ++count_[s];
    heap_.set(s, key{inflation_ + static_cast<double>(count_[s]), ++tick_});
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
  struct key {
    double value = 0;
    std::uint64_t tick = 0;
    bool operator<(const key& o) const noexcept {
      return value != o.value ? value < o.value : tick < o.tick;
    }
  };
  detail::indexed_heap<key> heap_;
  std::vector<std::uint32_t> count_;
  double inflation_ = 0.0;
  std::uint64_t tick_ = 0;
};

}  // namespace gpusched::kvcache::policies
