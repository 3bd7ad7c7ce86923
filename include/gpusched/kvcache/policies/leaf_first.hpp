#pragma once
// Leaf-first LRU (prefix-aware): evicts the least recently used block that no resident block
// depends on, so a prefix is never broken while its extension stays.
//
// O(1) without a separate leaf index: the blocks of each request are placed at the front of the
// recency list in prefix order (root first, then each block right behind its predecessor). Every
// request using a child uses its parent, so a parent always sits ahead of its resident children
// and the tail of the list is a leaf; the victim scan only skips pinned blocks (and, for traces
// whose ids are not a tree, the rare non-leaf).

#include <cstddef>

#include "gpusched/kvcache/detail/slot_list.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// LRU over the leaves of the resident prefix tree.
class leaf_first {
 public:
  static constexpr std::string_view name = "leaf_first";
  void reserve(std::size_t n) {
    links_.reserve(n);
    list_.clear();
    cursor_ = no_slot;
  }
  void on_insert(slot_t s, const access_info& a) { place(s, a, false); }
  void on_hit(slot_t s, const access_info& a) { place(s, a, true); }
  void on_evict(slot_t s) {
    if (cursor_ == s) cursor_ = links_.prev[s];
    list_.unlink(links_, s);
  }
  [[nodiscard]] slot_t victim(const tier_view& v) const {
    slot_t fallback = no_slot;
    for (slot_t s = list_.tail(); s != no_slot; s = links_.prev[s]) {
      if (!v.evictable(s)) continue;
      if (v.leaf(s)) return s;
      if (fallback == no_slot) fallback = s;
    }
    return fallback;
  }

 private:
  void place(slot_t s, const access_info& a, bool resident) {
    const bool front = a.position == 0 || cursor_ == no_slot || cursor_ == s;
    if (resident) list_.unlink(links_, s);
    if (front) list_.push_front(links_, s);
    else list_.insert_after(links_, cursor_, s);
    cursor_ = s;
  }
  detail::slot_links links_;
  detail::slot_list list_;
  slot_t cursor_ = no_slot;  // the block placed last: the next block of the request goes behind it
};

}  // namespace gpusched::kvcache::policies
