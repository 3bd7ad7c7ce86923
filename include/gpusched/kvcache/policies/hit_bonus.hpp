#pragma once
// hit_bonus: the library's default policy. Leaf-first LRU in which a block that has been reused
// earns extra lifetime: a block with k hits (k capped at levels-1) ranks as if last used
// `bonus * k * eviction_age` later than it was, where eviction_age is a running mean of the age
// of evicted blocks (in block operations). Scaling by the cache's own eviction age keeps the one
// parameter meaningful for every trace rate and capacity, with no pre-pass over the trace.
//
// Why: in multi-turn traces the valuable reuse is the next turn a minute or two later; a block
// that was reused once belongs to a conversation that continued, which predicts it continues
// again. Unlike S3-FIFO/2Q, a block is NOT required to be hit before it may stay: first-time
// blocks keep plain LRU lifetime. O(levels) per eviction, O(1) per access.

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpusched/kvcache/detail/slot_list.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// Leaf-first LRU with a lifetime bonus for reused blocks (the default policy).
class hit_bonus {
 public:
  static constexpr std::string_view name = "hit_bonus";
  static constexpr std::size_t levels = 4;  ///< hit counts 0, 1, 2, 3+ each get their own list

  /// `bonus`: extra lifetime per hit, as a multiple of the mean eviction age.
  explicit hit_bonus(double bonus = 1.0) : bonus_(bonus) {}

  void reserve(std::size_t n) {
    links_.reserve(n);
    for (auto& l : lists_) l.clear();
    hits_.assign(n, 0);
    stamp_.assign(n, 0);
    cursor_.fill(no_slot);
  }
  void on_insert(slot_t s, const access_info& a) {
    hits_[s] = 0;
    place(s, a);
  }
  void on_hit(slot_t s, const access_info& a) {
    const std::size_t l = level(s);
    if (cursor_[l] == s) cursor_[l] = no_slot;  // s leaves this list
    lists_[l].unlink(links_, s);
    if (hits_[s] < levels - 1) ++hits_[s];
    place(s, a);
  }
  void on_evict(slot_t s) {
    const std::size_t l = level(s);
    if (cursor_[l] == s) cursor_[l] = links_.prev[s];
    lists_[l].unlink(links_, s);
    // Running mean of eviction ages (weight 1/256: follows phase changes within ~1000 evictions).
    const double age = static_cast<double>(now_ - stamp_[s]);
    age_ = age_ == 0.0 ? age : age_ + (age - age_) / 256.0;
  }
  [[nodiscard]] slot_t victim(const tier_view& v) const {
    slot_t best = no_slot;
    double best_rank = 0;
    for (std::size_t l = 0; l < levels; ++l) {
      // The list's oldest evictable block (normally its tail; pinned blocks sit at the front).
      for (slot_t s = lists_[l].tail(); s != no_slot; s = links_.prev[s]) {
        if (!v.evictable(s)) continue;
        const double rank = static_cast<double>(stamp_[s]) + bonus_ * static_cast<double>(l) * age_;
        if (best == no_slot || rank < best_rank) {
          best = s;
          best_rank = rank;
        }
        break;
      }
    }
    return best;
  }
  /// Mean eviction age in block operations (for inspection).
  [[nodiscard]] double eviction_age() const noexcept { return age_; }

 private:
  [[nodiscard]] std::size_t level(slot_t s) const noexcept { return hits_[s]; }
  void place(slot_t s, const access_info& a) {
    ++now_;
    if (a.position == 0) request_start_ = now_;
    stamp_[s] = request_start_;  // one stamp per request; order inside it is prefix order
    const std::size_t l = level(s);
    // Behind the previous block of this request in the same list, so parents stay ahead.
    const slot_t c = cursor_[l];
    if (a.position == 0 || c == no_slot || c == s || stamp_[c] != request_start_) {
      lists_[l].push_front(links_, s);
    } else {
      lists_[l].insert_after(links_, c, s);
    }
    cursor_[l] = s;
  }
  double bonus_;
  detail::slot_links links_;
  std::array<detail::slot_list, levels> lists_;
  std::array<slot_t, levels> cursor_{};
  std::vector<std::uint8_t> hits_;
  std::vector<std::uint64_t> stamp_;
  std::uint64_t now_ = 0, request_start_ = 0;
  double age_ = 0.0;
};

}  // namespace gpusched::kvcache::policies
