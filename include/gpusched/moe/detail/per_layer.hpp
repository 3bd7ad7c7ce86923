#pragma once
// The loop every whole-model solver shares: a plan on the problem's cluster, then one
// layer_placement per MoE layer from that layer's loads.

#include <cstddef>
#include <vector>

#include "gpusched/moe/placement.hpp"
#include "gpusched/moe/problem.hpp"

namespace gpusched::moe::detail {

/// Calls `solve_layer(layer, loads)` for each layer (loads: that layer's per-expert loads, reused
/// between calls) and collects the layer_placements it returns into one placement.
template <class SolveLayer>
placement solve_each_layer(const problem& p, SolveLayer&& solve_layer) {
  placement plan;
  plan.gpus = p.cluster.gpus;
  plan.slots_per_gpu = p.cluster.slots_per_gpu;
  plan.experts = p.experts();
  plan.layers.reserve(static_cast<std::size_t>(p.layers()));
  std::vector<double> w(static_cast<std::size_t>(p.experts()));
  for (int l = 0; l < p.layers(); ++l) {
    for (int e = 0; e < p.experts(); ++e) w[static_cast<std::size_t>(e)] = p.loads(l, e);
    plan.layers.push_back(solve_layer(l, static_cast<const std::vector<double>&>(w)));
  }
  return plan;
}

}  // namespace gpusched::moe::detail
