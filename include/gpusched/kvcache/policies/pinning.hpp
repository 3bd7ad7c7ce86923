#pragma once
// pinning<Inner>: blocks a user marks (system prompts, shared documents) with a priority and a
// time to live are not evicted while any unmarked block can go; when only marked blocks are left,
// the lowest priority goes first. Marks expire `ttl` seconds of trace time after pin().
// O(1) per access; a victim costs Inner's scan per distinct priority level in use.

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/kvcache/detail/flat_map.hpp"
#include "gpusched/kvcache/policies/lru.hpp"
#include "gpusched/kvcache/policies/wrapper.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// User-marked blocks protected by priority and TTL on top of an inner policy.
template <eviction_policy Inner = lru>
class pinning : public forwarding_policy<pinning<Inner>, Inner> {
  using base = forwarding_policy<pinning<Inner>, Inner>;
  friend base;

 public:
  static constexpr std::string_view name = "pinning";
  explicit pinning(Inner inner = Inner{}) : base(std::move(inner)) {}

  /// Marks block b with `priority` (higher is kept longer) for `ttl` seconds from now (trace
  /// time of the latest access); infinity keeps it until unpin().
  void pin(block_id b, int priority = 0,
           double ttl = std::numeric_limits<double>::infinity()) {
    require(!std::isnan(ttl) && ttl >= 0, "kvcache::policies::pinning::pin", "ttl must be >= 0");
    require(priority > none, "kvcache::policies::pinning::pin", "priority must be > INT_MIN");
    const std::uint32_t i = marks_.find(b);
    if (i != detail_map::npos) {
      if (--levels_[entries_[i].priority] == 0) levels_.erase(entries_[i].priority);
      entries_[i] = {priority, now_ + ttl};
    } else {
      marks_.set(b, static_cast<std::uint32_t>(entries_.size()));
      entries_.push_back({priority, now_ + ttl});
    }
    ++levels_[priority];
  }
  /// Removes the mark of b.
  void unpin(block_id b) {
    const std::uint32_t i = marks_.find(b);
    if (i == detail_map::npos) return;
    if (--levels_[entries_[i].priority] == 0) levels_.erase(entries_[i].priority);
    entries_[i].expires = -1;  // entries are not compacted; an unpinned entry never protects
    marks_.erase(b);
  }
  /// The clock moves to the request's arrival before any of its blocks is inserted, so the
  /// evictions that make room for it already see marks that expired by then.
  void on_request_begin(const request& r, std::uint64_t index) {
    now_ = r.arrival;
    if constexpr (requires { inner_.on_request_begin(r, index); })
      inner_.on_request_begin(r, index);
  }
  /// Whether b is marked and its mark has not expired.
  [[nodiscard]] bool marked(block_id b) const noexcept { return level_of(b) != none; }

  [[nodiscard]] slot_t victim(const tier_view& v) {
    if (levels_.empty()) return inner_.victim(v);
    // First protect every live mark; then give up the lowest priority levels one at a time.
    guard_.self = this;
    guard_.floor = none + 1;
    const tier_view guarded = v.protecting(
        [](const void* g, block_id b) {
          const auto* gd = static_cast<const guard*>(g);
          const int l = gd->self->level_of(b);
          return l != none && l >= gd->floor;
        },
        &guard_);
    if (const slot_t s = inner_.victim(guarded); s != no_slot) return s;
    for (const auto& [level, count] : levels_) {
      guard_.floor = level + 1;
      if (const slot_t s = inner_.victim(guarded); s != no_slot) return s;
    }
    return inner_.victim(v);
  }

 private:
  using base::inner_;
  using detail_map = gpusched::kvcache::detail::flat_map64;
  static constexpr int none = std::numeric_limits<int>::min();
  struct entry {
    int priority = 0;
    double expires = 0;
  };
  struct guard {
    const pinning* self = nullptr;
    int floor = 0;
  };
  void observe(const access_info& a) noexcept { now_ = a.time; }  // every access, from the base
  [[nodiscard]] int level_of(block_id b) const noexcept {
    const std::uint32_t i = marks_.find(b);
    if (i == detail_map::npos || entries_[i].expires < now_) return none;
    return entries_[i].priority;
  }
  detail_map marks_;
  std::vector<entry> entries_;
  std::map<int, std::size_t> levels_;  // priority -> marks
  double now_ = 0.0;
  guard guard_;
};

}  // namespace gpusched::kvcache::policies
