#pragma once
// ARC (Megiddo & Modha, FAST'03): two LRU lists, T1 (seen once recently) and T2 (seen at least
// twice), and ghost lists B1/B2 of ids recently evicted from each. A returning ghost moves the
// target size p of T1 toward the list it came from, so the split between recency and frequency
// adapts to the trace. O(1) per operation. The ghosts live in the tier's own index
// (`ghost_keeping`, policy.hpp): B1 and B2 are rings of ghost ids, so a miss costs the tier one
// probe to learn "resident, ghost or new" and an eviction retags the victim's index entry.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpusched/kvcache/detail/ghost_ring.hpp"
#include "gpusched/kvcache/detail/slot_list.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// Adaptive replacement cache.
class arc {
 public:
  static constexpr std::string_view name = "arc";
  void reserve(std::size_t n) {
    c_ = n;
    p_ = 0;
    links_.reserve(n);
    t1_.clear();
    t2_.clear();
    in_t2_.assign(n, 0);
    b1_.reserve(n, 0);
    b2_.reserve(n, static_cast<std::uint32_t>(n));
  }
  /// Ghost ids: B1's ring then B2's, n each.
  [[nodiscard]] std::size_t ghost_ids() const noexcept { return 2 * c_; }
  [[gnu::always_inline]] void on_insert(slot_t s, const access_info&, std::uint32_t ghost,
                                       ghost_directory& dir) {
    const double b1 = static_cast<double>(b1_.size()), b2 = static_cast<double>(b2_.size());
    if (ghost != no_ghost && b1_.owns(ghost)) {  // recency was evicted too soon: grow T1's target
      b1_.returned(ghost);
      p_ = std::min(static_cast<double>(c_), p_ + std::max(1.0, b2 / std::max(1.0, b1)));
      to_t2(s);
    } else if (ghost != no_ghost) {  // frequency was evicted too soon: shrink it
      b2_.returned(ghost);
      p_ = std::max(0.0, p_ - std::max(1.0, b1 / std::max(1.0, b2)));
      to_t2(s);
    } else {
      in_t2_[s] = 0;
      t1_.push_front(links_, s);
    }
    // Directory bounds, applied after the ghost check (the victim was already remembered):
    // |T1| + |B1| <= c and |T1| + |T2| + |B1| + |B2| <= 2c.
    while (!b1_.empty_live() && t1_.size() + b1_.size() > c_) b1_.pop_oldest(dir);
    while (!b2_.empty_live() && t1_.size() + t2_.size() + b1_.size() + b2_.size() > 2 * c_)
      b2_.pop_oldest(dir);
  }
  [[gnu::always_inline]] void on_hit(slot_t s, const access_info&) {
    if (in_t2_[s] != 0) t2_.move_to_front(links_, s);
    else {
      t1_.unlink(links_, s);
      to_t2(s);
    }
  }
  /// Remembers the victim in B1 or B2 (its ghost id; no_ghost when the capacity is 0).
  [[gnu::always_inline]] std::uint32_t on_evict(slot_t s, ghost_directory& dir) {
    if (in_t2_[s] != 0) {
      t2_.unlink(links_, s);
      return b2_.push(dir);
    }
    t1_.unlink(links_, s);
    return b1_.push(dir);
  }
  [[nodiscard, gnu::always_inline]] slot_t victim(const tier_view& v) const {
    const bool from_t1 = !t1_.empty() && (static_cast<double>(t1_.size()) > p_ || t2_.empty());
    slot_t s = oldest(from_t1 ? t1_ : t2_, v);
    if (s == no_slot) s = oldest(from_t1 ? t2_ : t1_, v);
    return s;
  }
  /// Current target size of T1 (for tests and inspection).
  [[nodiscard]] double target_t1() const noexcept { return p_; }

 private:
  void to_t2(slot_t s) {
    in_t2_[s] = 1;
    t2_.push_front(links_, s);
  }
  [[nodiscard]] slot_t oldest(const detail::slot_list& l, const tier_view& v) const {
    for (slot_t s = l.tail(); s != no_slot; s = links_.prev[s])
      if (v.evictable(s)) return s;
    return no_slot;
  }
  std::size_t c_ = 0;
  double p_ = 0;
  detail::slot_links links_;
  detail::slot_list t1_, t2_;
  std::vector<std::uint8_t> in_t2_;
  detail::ghost_ring b1_, b2_;
};

}  // namespace gpusched::kvcache::policies
