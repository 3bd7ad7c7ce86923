#pragma once
// LFU with dynamic aging (LFU-DA, Arlitt et al. 2000): a block's key is L + its use count, where L
// is the key of the last victim, so old popularity fades as L rises. Ties go to the least
// recently used. Keys are integers that never fall below L, so they live in a bucket queue (one
// FIFO list per key value, detail/bucket_queue.hpp): O(1) per access, and a victim costs the
// empty key values skipped since the last one (64 per bitmap word) plus the pinned blocks passed.
// The order is exactly that of the indexed min-heap keyed by (L + count, access tick) it replaced.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpusched/kvcache/detail/bucket_queue.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// Least frequently used, aged.
class lfu {
 public:
  static constexpr std::string_view name = "lfu";
  void reserve(std::size_t n) {
    queue_.reserve(n);
    count_.assign(n, 0);
    inflation_ = 0;
  }
  void on_insert(slot_t s, const access_info&) {
    count_[s] = 1;
    queue_.push(s, inflation_ + 1);
  }
  void on_hit(slot_t s, const access_info&) {
    ++count_[s];
    queue_.push(s, inflation_ + count_[s]);  // becomes the newest of its key: ties go LRU
  }
  void on_evict(slot_t s) {
    // Aging: L becomes the smallest key in the cache (the victim's, unless pins made us skip).
    if (!queue_.empty()) {
      const std::uint64_t m = queue_.min_priority();
      if (m > inflation_) {
        inflation_ = m;
        queue_.raise_floor(m);
      }
    }
    queue_.erase(s);
  }
  [[nodiscard]] slot_t victim(const tier_view& v) {
    return queue_.find_first([&](slot_t s) { return v.evictable(s); });
  }

 private:
  detail::bucket_queue queue_;
  std::vector<std::uint32_t> count_;
  std::uint64_t inflation_ = 0;
};

}  // namespace gpusched::kvcache::policies
