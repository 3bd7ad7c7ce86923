#pragma once
// metrics: how good a placement is — per-GPU load against lower bounds, locality (domains per
// expert group, co-activated token pairs split across domains and racks), and migration cost —
// plus the GPU x GPU traffic matrix the cost part consumes.

#include <algorithm>
#include <cstddef>
#include <set>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "gpusched/moe/detail/bounds.hpp"
#include "gpusched/moe/placement.hpp"
#include "gpusched/moe/problem.hpp"

namespace gpusched::moe {

/// Load of every GPU in layer `layer` of `plan` under the loads of `p` (tokens).
[[nodiscard]] inline Eigen::VectorXd gpu_loads(const problem& p, const placement& plan, int layer) {
  Eigen::VectorXd load = Eigen::VectorXd::Zero(plan.gpus);
  const auto& l = plan.layers.at(static_cast<std::size_t>(layer));
  for (std::size_t s = 0; s < l.physical_to_logical.size(); ++s)
    load(plan.gpu_of(static_cast<int>(s))) += p.loads(layer, l.physical_to_logical[s]) * l.dispatch_weight[s];
  return load;
}

/// Figures of one layer.
struct layer_metrics {
  double max_load = 0.0;
  double mean_load = 0.0;
  double max_over_mean = 1.0;     ///< 1.0 is perfect balance
  double bound = 0.0;             ///< lower bound on max load for ANY uniform-dispatch plan
  double bound_counts = 0.0;      ///< lower bound for this plan's replica counts (uniform dispatch)
  double nodes_per_group = 0.0;   ///< distinct domains hosting a group, weighted by group load share
  double kept_pairs = 1.0;        ///< share of (GPU, expert) pairs also in the previous plan
  double bytes_moved = 0.0;       ///< expert weights copied in from the previous plan
  double cross_domain = 0.0;      ///< co-activated token pairs whose experts sit in two domains
  double cross_rack = 0.0;        ///< ... in two racks
  int duplicate_replicas = 0;     ///< replicas sharing a GPU with another replica of their expert
};

/// Figures of a whole plan: per layer, and averaged over layers (sums for bytes and traffic).
struct metrics {
  std::vector<layer_metrics> layers;
  double max_over_mean = 1.0;       ///< mean over layers
  double bound_over_mean = 1.0;     ///< mean over layers of bound / mean load
  double nodes_per_group = 0.0;     ///< mean over layers
  double kept_pairs = 1.0;          ///< mean over layers
  double bytes_moved = 0.0;         ///< sum over layers
  double cross_domain = 0.0;        ///< sum over layers
  double cross_rack = 0.0;          ///< sum over layers
  int duplicate_replicas = 0;       ///< sum over layers
};

namespace detail {
// Share of each expert's tokens served inside each of `parts` parts (domains or racks).
inline Eigen::MatrixXd part_shares(const placement& plan, const layer_placement& l, int gpus_per_part, int parts) {
  Eigen::MatrixXd share = Eigen::MatrixXd::Zero(plan.experts, parts);
  for (std::size_t s = 0; s < l.physical_to_logical.size(); ++s)
    share(l.physical_to_logical[s], plan.gpu_of(static_cast<int>(s)) / gpus_per_part) += l.dispatch_weight[s];
  return share;
}
// Sum over pairs i < j of C_ij * P(i and j are served in different parts).
inline double split_pairs(const Eigen::MatrixXd& c, const Eigen::MatrixXd& share) {
  const Eigen::MatrixXd same = share * share.transpose();
  double s = 0.0;
  for (Eigen::Index i = 0; i < c.rows(); ++i)
    for (Eigen::Index j = i + 1; j < c.cols(); ++j) s += c(i, j) * (1.0 - same(i, j));
  return s;
}
}  // namespace detail

/// Evaluates `plan` on the loads (and groups, co-activation, previous plan) of `p`.
[[nodiscard]] inline metrics evaluate(const problem& p, const placement& plan) {
  validate(p);
  const auto& c = p.cluster;
  require(plan.gpus == c.gpus && plan.slots_per_gpu == c.slots_per_gpu && plan.experts == p.experts() &&
              plan.layers.size() == static_cast<std::size_t>(p.layers()),
          "moe::evaluate", "placement shape differs from the problem's");
  validate(plan, true);
  metrics m;
  const int experts = p.experts(), group_size = experts / p.groups;
  std::vector<double> w(static_cast<std::size_t>(experts));
  for (int li = 0; li < p.layers(); ++li) {
    const auto& l = plan.layers[static_cast<std::size_t>(li)];
    layer_metrics x;
    for (int e = 0; e < experts; ++e) w[static_cast<std::size_t>(e)] = p.loads(li, e);
    const Eigen::VectorXd load = gpu_loads(p, plan, li);
    const double total = load.sum();
    x.max_load = load.maxCoeff();
    x.mean_load = total / c.gpus;
    x.max_over_mean = total > 0.0 ? x.max_load / x.mean_load : 1.0;
    const auto best = detail::dhondt_counts(w, c.slots(), p.allow_duplicates ? c.slots() : c.gpus);
    x.bound = std::max(x.mean_load, detail::max_per_replica(w, best));
    if (c.slots() == experts) x.bound = std::max(x.bound, detail::slot_bound(w, c.gpus, c.slots_per_gpu));
    else if (c.slots_per_gpu == 2) x.bound = std::max(x.bound, detail::pair_bound(w, c.gpus));
    x.bound_counts = std::max(x.mean_load, detail::max_per_replica(w, l.replica_count));

    // Domains per group, weighted by the group's share of the layer's load.
    double weighted = 0.0;
    for (int g = 0; g < p.groups; ++g) {
      std::set<int> domains;
      double group_load = 0.0;
      for (int e = g * group_size; e < (g + 1) * group_size; ++e) {
        group_load += w[static_cast<std::size_t>(e)];
        for (int s : l.logical_to_physical[static_cast<std::size_t>(e)]) domains.insert(c.domain_of(plan.gpu_of(s)));
      }
      const double share = total > 0.0 ? group_load / total : 1.0 / p.groups;
      weighted += share * static_cast<double>(domains.size());
    }
    x.nodes_per_group = weighted;

    // Duplicates and migration: compare (GPU, expert) pair sets.
    std::set<std::pair<int, int>> pairs;
    for (std::size_t s = 0; s < l.physical_to_logical.size(); ++s)
      if (!pairs.emplace(plan.gpu_of(static_cast<int>(s)), l.physical_to_logical[s]).second) ++x.duplicate_replicas;
    if (p.previous != nullptr) {
      const auto& prev = p.previous->layers[static_cast<std::size_t>(li)];
      std::set<std::pair<int, int>> old;
      for (std::size_t s = 0; s < prev.physical_to_logical.size(); ++s)
        old.emplace(plan.gpu_of(static_cast<int>(s)), prev.physical_to_logical[s]);
      std::size_t kept = 0;
      for (const auto& pr : pairs) kept += old.count(pr);
      x.kept_pairs = static_cast<double>(kept) / static_cast<double>(pairs.size());
      x.bytes_moved = static_cast<double>(pairs.size() - kept) * p.bytes_per_expert;
    }
    if (!p.coactivation.empty()) {
      const auto& co = p.coactivation[static_cast<std::size_t>(li)];
      x.cross_domain = detail::split_pairs(co, detail::part_shares(plan, l, c.gpus_per_domain, c.domains()));
      const int per_rack = c.gpus_per_domain * c.domains_per_rack;
      x.cross_rack = detail::split_pairs(co, detail::part_shares(plan, l, per_rack, c.gpus / per_rack));
    }
    m.layers.push_back(x);
  }
  const auto n = static_cast<double>(m.layers.size());
  m.max_over_mean = m.bound_over_mean = m.nodes_per_group = m.kept_pairs = 0.0;
  for (const auto& x : m.layers) {
    m.max_over_mean += x.max_over_mean / n;
    m.bound_over_mean += (x.mean_load > 0.0 ? x.bound / x.mean_load : 1.0) / n;
    m.nodes_per_group += x.nodes_per_group / n;
    m.kept_pairs += x.kept_pairs / n;
    m.bytes_moved += x.bytes_moved;
    m.cross_domain += x.cross_domain;
    m.cross_rack += x.cross_rack;
    m.duplicate_replicas += x.duplicate_replicas;
  }
  return m;
}

/// GPU x GPU dispatch traffic of one layer: entry (i, j) is the tokens GPU i sends to GPU j,
/// assuming every GPU originates an equal share of every expert's tokens (data-parallel attention)
/// and each replica receives its dispatch weight of them; multiply by bytes per token for bytes.
/// The combine step sends the transpose back. The diagonal is traffic that stays on the GPU.
[[nodiscard]] inline Eigen::MatrixXd traffic_matrix(const problem& p, const placement& plan, int layer) {
  const Eigen::VectorXd received = gpu_loads(p, plan, layer);
  return Eigen::VectorXd::Constant(plan.gpus, 1.0 / plan.gpus) * received.transpose();
}

/// Dispatch traffic summed over all layers (see the per-layer overload).
[[nodiscard]] inline Eigen::MatrixXd traffic_matrix(const problem& p, const placement& plan) {
  Eigen::MatrixXd t = Eigen::MatrixXd::Zero(plan.gpus, plan.gpus);
  for (int l = 0; l < static_cast<int>(plan.layers.size()); ++l) t += traffic_matrix(p, plan, l);
  return t;
}

}  // namespace gpusched::moe
