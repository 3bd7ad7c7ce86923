#pragma once
// Least recently used: an intrusive list, hits move to the front, the victim is the oldest
// evictable block. O(1) per operation (the scan past pinned blocks is bounded by the pins).

#include <cstddef>

#include "gpusched/kvcache/detail/slot_list.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// Classic LRU; a request's blocks are touched in prefix order, so the root is the oldest of them.
class lru {
 public:
  static constexpr std::string_view name = "lru";
  void reserve(std::size_t n) { links_.reserve(n); list_.clear(); }
  void on_insert(slot_t s, const access_info&) { list_.push_front(links_, s); }
  void on_hit(slot_t s, const access_info&) { list_.move_to_front(links_, s); }
  void on_evict(slot_t s) { list_.unlink(links_, s); }
  [[nodiscard]] slot_t victim(const tier_view& v) const {
    for (slot_t s = list_.tail(); s != no_slot; s = links_.prev[s])
      if (v.evictable(s)) return s;
    return no_slot;
  }

 private:
  detail::slot_links links_;
  detail::slot_list list_;
};

}  // namespace gpusched::kvcache::policies
