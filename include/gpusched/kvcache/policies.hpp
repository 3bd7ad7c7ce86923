#pragma once
// Every eviction policy of the kvcache part, and the library's default.
#include "gpusched/kvcache/policies/arc.hpp"
#include "gpusched/kvcache/policies/belady.hpp"
#include "gpusched/kvcache/policies/gdsf.hpp"
#include "gpusched/kvcache/policies/hit_bonus.hpp"
#include "gpusched/kvcache/policies/leaf_first.hpp"
#include "gpusched/kvcache/policies/lfu.hpp"
#include "gpusched/kvcache/policies/lru.hpp"
#include "gpusched/kvcache/policies/pinning.hpp"
#include "gpusched/kvcache/policies/queue_aware.hpp"
#include "gpusched/kvcache/policies/s3fifo.hpp"
#include "gpusched/kvcache/policies/sieve.hpp"

namespace gpusched::kvcache::policies {
/// The default eviction policy: leaf-first LRU with a lifetime bonus for reused blocks (bonus 0.5).
struct default_policy : hit_bonus {
  static constexpr std::string_view name = "default";
  default_policy() : hit_bonus(0.5) {}
};
}  // namespace gpusched::kvcache::policies
