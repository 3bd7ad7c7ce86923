#pragma once
// queue_aware<Inner>: never evicts a block that a waiting request will use, while any other block
// can go; otherwise Inner decides. The waiting requests come from the replay (the next W requests
// of the trace, or a service model's queue) through attach_queue(). Cost: Inner's victim scan
// skips protected blocks (bounded by the blocks of the queue).

#include <cstdint>

#include "gpusched/kvcache/policies/hit_density.hpp"
#include "gpusched/kvcache/policies/wrapper.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// Protects the blocks of waiting requests on top of an inner eviction policy.
template <eviction_policy Inner = hit_density>
class queue_aware {
 public:
  static constexpr std::string_view name = "queue_aware";
  explicit queue_aware(Inner inner = Inner{}) : inner_(std::move(inner)) {}

  void attach_queue(const queue_view* q) noexcept { queue_ = q; }
  void reserve(std::size_t n) { inner_.reserve(n); }
  void on_insert(slot_t s, const access_info& a)
    requires requires(Inner& in) { in.on_insert(s, a); }
  {
    inner_.on_insert(s, a);
  }
  void on_hit(slot_t s, const access_info& a) { inner_.on_hit(s, a); }
  void on_evict(slot_t s)
    requires requires(Inner& in) { in.on_evict(s); }
  {
    inner_.on_evict(s);
  }
  // Ghosts in the tier's index (policy.hpp's ghost_keeping), when Inner keeps them.
  [[nodiscard]] std::size_t ghost_ids() const
    requires ghost_keeping<Inner>
  {
    return inner_.ghost_ids();
  }
  void on_insert(slot_t s, const access_info& a, std::uint32_t ghost, ghost_directory& d)
    requires ghost_keeping<Inner>
  {
    inner_.on_insert(s, a, ghost, d);
  }
  std::uint32_t on_evict(slot_t s, ghost_directory& d)
    requires ghost_keeping<Inner>
  {
    return inner_.on_evict(s, d);
  }
  void on_request_begin(const request& r, std::uint64_t i) { hooks::forward_begin(inner_, r, i); }
  void on_request_end(const request& r, std::uint64_t i) { hooks::forward_end(inner_, r, i); }
  [[nodiscard]] slot_t victim(const tier_view& v) {
    if (queue_ != nullptr) {
      const tier_view guarded = v.protecting(
          [](const void* q, block_id b) { return static_cast<const queue_view*>(q)->waiting(b) > 0; },
          queue_);
      if (const slot_t s = inner_.victim(guarded); s != no_slot) return s;
    }
    return inner_.victim(v);  // everything evictable is awaited: fall back to Inner's choice
  }
  [[nodiscard]] Inner& inner() noexcept { return inner_; }

 private:
  Inner inner_;
  const queue_view* queue_ = nullptr;
};

}  // namespace gpusched::kvcache::policies
