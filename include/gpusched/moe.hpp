#pragma once
// gpusched/moe: expert replication and placement for MoE inference (see docs/moe.md).

#include "gpusched/moe/concepts.hpp"
#include "gpusched/moe/dispatch.hpp"
#include "gpusched/moe/eplb.hpp"
#include "gpusched/moe/locality.hpp"
#include "gpusched/moe/metrics.hpp"
#include "gpusched/moe/placement.hpp"
#include "gpusched/moe/placer.hpp"
#include "gpusched/moe/policies/packing.hpp"
#include "gpusched/moe/policies/pair_counts.hpp"
#include "gpusched/moe/policies/refinement.hpp"
#include "gpusched/moe/policies/replication.hpp"
#include "gpusched/moe/problem.hpp"
#include "gpusched/moe/rebalance.hpp"
#include "gpusched/moe/synthetic.hpp"
#include "gpusched/moe/wrap.hpp"
#include "gpusched/moe/report.hpp"
