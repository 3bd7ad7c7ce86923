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
class queue_aware : public forwarding_policy<queue_aware<Inner>, Inner> {
  using base = forwarding_policy<queue_aware<Inner>, Inner>;

 public:
  static constexpr std::string_view name = "queue_aware";
  explicit queue_aware(Inner inner = Inner{}) : base(std::move(inner)) {}

  /// The waiting requests (hides Inner's attach_queue: the queue is this wrapper's to use).
  void attach_queue(const queue_view* q) noexcept { queue_ = q; }
  [[nodiscard]] slot_t victim(const tier_view& v) {
    if (queue_ != nullptr) {
      const auto awaited = [](const void* q, block_id b) {
        return static_cast<const queue_view*>(q)->waiting(b) > 0;
      };
      const tier_view guarded = v.protecting(awaited, queue_);
      if (const slot_t s = inner_.victim(guarded); s != no_slot) return s;
    }
    return inner_.victim(v);  // everything evictable is awaited: fall back to Inner's choice
  }

 private:
  using base::inner_;
  const queue_view* queue_ = nullptr;
};

}  // namespace gpusched::kvcache::policies
