#pragma once
// Umbrella header of the kvcache part: block ids, tiers, eviction policies, the hierarchy of
// tiers with load-or-recompute and prefetch, trace replay (single tier and hierarchy) and synthetic traces.
#include "gpusched/kvcache/belady_bound.hpp"
#include "gpusched/kvcache/block.hpp"
#include "gpusched/kvcache/future.hpp"
#include "gpusched/kvcache/hierarchy.hpp"
#include "gpusched/kvcache/lookahead.hpp"
#include "gpusched/kvcache/policies.hpp"
#include "gpusched/kvcache/policy.hpp"
#include "gpusched/kvcache/prefetch.hpp"
#include "gpusched/kvcache/replay.hpp"
#include "gpusched/kvcache/synthetic.hpp"
#include "gpusched/kvcache/tier.hpp"
