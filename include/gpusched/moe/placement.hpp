#pragma once
// placement: where every replica of every expert lives, per layer, in the three views DeepSeek's
// EPLB returns (physical-to-logical, logical-to-physical, replica counts) so that engines can adopt
// it directly, plus per-replica dispatch weights. Physical slot p lives on GPU p / slots_per_gpu.

#include <cstddef>
#include <string>
#include <vector>

#include "gpusched/core/error.hpp"

namespace gpusched::moe {

/// One layer's plan: which logical expert each physical slot holds and how tokens are split.
struct layer_placement {
  std::vector<int> physical_to_logical;               ///< per slot: the expert it holds
  std::vector<std::vector<int>> logical_to_physical;  ///< per expert: its slots, replica-rank order
  std::vector<int> replica_count;                     ///< per expert: number of replicas
  std::vector<double> dispatch_weight;  ///< per slot: share of its expert's tokens (sums to 1)
};

/// A whole model's plan: one layer_placement per MoE layer, all on the same GPUs and slots.
struct placement {
  int gpus = 0;
  int slots_per_gpu = 0;
  int experts = 0;
  std::vector<layer_placement> layers;
  /// GPU holding physical slot `slot`.
  [[nodiscard]] int gpu_of(int slot) const noexcept { return slot / slots_per_gpu; }
};

/// Builds the other views of a layer from its physical-to-logical map with uniform dispatch
/// weights; logical_to_physical lists each expert's slots in increasing slot order.
[[nodiscard]] inline layer_placement make_layer(std::vector<int> physical_to_logical, int experts) {
  require(experts > 0, "moe::make_layer", "experts must be positive");
  layer_placement l;
  l.logical_to_physical.assign(static_cast<std::size_t>(experts), {});
  l.replica_count.assign(static_cast<std::size_t>(experts), 0);
  for (std::size_t p = 0; p < physical_to_logical.size(); ++p) {
    const int e = physical_to_logical[p];
    if (!(e >= 0 && e < experts)) throw error("moe::make_layer", "slot " + std::to_string(p) + " holds expert " + std::to_string(e) + ", outside [0, " +
                std::to_string(experts) + ")");
    ++l.replica_count[static_cast<std::size_t>(e)];
  }
  for (std::size_t e = 0; e < l.logical_to_physical.size(); ++e)  // one allocation per expert
    l.logical_to_physical[e].reserve(static_cast<std::size_t>(l.replica_count[e]));
  for (std::size_t p = 0; p < physical_to_logical.size(); ++p)
    l.logical_to_physical[static_cast<std::size_t>(physical_to_logical[p])].push_back(static_cast<int>(p));
  l.dispatch_weight.assign(physical_to_logical.size(), 0.0);
  for (std::size_t p = 0; p < physical_to_logical.size(); ++p)
    l.dispatch_weight[p] =
        1.0 / l.replica_count[static_cast<std::size_t>(physical_to_logical[p])];
  l.physical_to_logical = std::move(physical_to_logical);
  return l;
}

/// Checks the invariants of a plan (every expert has a replica, every slot holds one expert, the
/// three views agree, replica counts sum to the slots, weights are non-negative and sum to 1 per
/// expert, and, unless `allow_duplicates`, no GPU holds two replicas of one expert); throws
/// gpusched::error naming the layer and index otherwise.
inline void validate(const placement& plan, bool allow_duplicates = false) {
  const char* where = "moe::validate";
  require(plan.gpus > 0 && plan.slots_per_gpu > 0 && plan.experts > 0, where,
          "gpus, slots_per_gpu and experts must be positive");
  const auto slots = static_cast<std::size_t>(plan.gpus) * static_cast<std::size_t>(plan.slots_per_gpu);
  const auto experts = static_cast<std::size_t>(plan.experts);
  for (std::size_t li = 0; li < plan.layers.size(); ++li) {
    const auto& l = plan.layers[li];
    const std::string at = "layer " + std::to_string(li);
    if (!(l.physical_to_logical.size() == slots && l.dispatch_weight.size() == slots)) throw error(where, at + ": expected " + std::to_string(slots) + " slots");
    if (!(l.replica_count.size() == experts && l.logical_to_physical.size() == experts)) throw error(where, at + ": expected " + std::to_string(experts) + " experts");
    std::size_t total = 0;
    for (std::size_t e = 0; e < experts; ++e) {
      const auto& reps = l.logical_to_physical[e];
      if (!(l.replica_count[e] >= 1)) throw error(where, at + ": expert " + std::to_string(e) + " has no replica");
      if (!(reps.size() == static_cast<std::size_t>(l.replica_count[e]))) throw error(where, at + ": expert " + std::to_string(e) + " replica list and count disagree");
      double weight = 0.0;
      std::vector<int> gpus_seen;
      for (int p : reps) {
        if (!(p >= 0 && static_cast<std::size_t>(p) < slots &&
                    l.physical_to_logical[static_cast<std::size_t>(p)] == static_cast<int>(e))) throw error(where, at + ": expert " + std::to_string(e) + " lists slot " + std::to_string(p) +
                           " which does not hold it");
        const double w = l.dispatch_weight[static_cast<std::size_t>(p)];
        if (!(w >= 0.0 && w <= 1.0 + 1e-12)) throw error(where, at + ": slot " + std::to_string(p) + " has dispatch weight outside [0, 1]");
        weight += w;
        const int g = plan.gpu_of(p);
        for (int seen : gpus_seen)
          if (!(allow_duplicates || seen != g)) throw error(where, at + ": GPU " + std::to_string(g) + " holds two replicas of expert " + std::to_string(e));
        gpus_seen.push_back(g);
      }
      if (!(weight > 1.0 - 1e-9 && weight < 1.0 + 1e-9)) throw error(where, at + ": dispatch weights of expert " + std::to_string(e) + " do not sum to 1");
      total += reps.size();
    }
    if (!(total == slots)) throw error(where, at + ": replica counts do not sum to the slots");
  }
}

}  // namespace gpusched::moe
