#pragma once
// Every eviction policy of the kvcache part, and the library's default.
#include "gpusched/kvcache/policies/arc.hpp"
#include "gpusched/kvcache/policies/belady.hpp"
#include "gpusched/kvcache/policies/gdsf.hpp"
#include "gpusched/kvcache/policies/hit_bonus.hpp"
#include "gpusched/kvcache/policies/hit_density.hpp"
#include "gpusched/kvcache/policies/leaf_first.hpp"
#include "gpusched/kvcache/policies/lfu.hpp"
#include "gpusched/kvcache/policies/lru.hpp"
#include "gpusched/kvcache/policies/pinning.hpp"
#include "gpusched/kvcache/policies/queue_aware.hpp"
#include "gpusched/kvcache/policies/s3fifo.hpp"
#include "gpusched/kvcache/policies/sieve.hpp"

namespace gpusched::kvcache::policies {
/// The default eviction policy: prefix-aware hit density with per-class reuse ages learned online,
/// guarded by leaf-first LRU (see hit_density.hpp). Same parameters on every trace and capacity.
struct default_policy : hit_density {
  static constexpr std::string_view name = "default";
  default_policy() : hit_density(true) {}
};
}  // namespace gpusched::kvcache::policies
