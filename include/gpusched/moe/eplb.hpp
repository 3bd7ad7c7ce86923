#pragma once
// eplb: a C++ re-implementation of DeepSeek's expert-parallelism load balancer
// (github.com/deepseek-ai/EPLB, eplb.py, rebalance_experts), the baseline every other solver is
// compared with. Same semantics: when the expert groups divide by the domains ("nodes"), pack
// groups onto domains, replicate inside each domain, pack replicas onto its GPUs (hierarchical);
// otherwise do the same with one group and one domain (global). Ties go to the lowest index.
// Like the original it may put two replicas of one expert on one GPU.

#include <algorithm>
#include <cstddef>
#include <functional>
#include <numeric>
#include <queue>
#include <utility>
#include <vector>

#include "gpusched/moe/placement.hpp"
#include "gpusched/moe/problem.hpp"

namespace gpusched::moe {
namespace detail {

/// EPLB's balanced_packing: items in decreasing weight order (lowest index first on ties) go to
/// the lightest pack that still has room (lowest index on ties); every pack gets n / packs items.
/// Returns (pack, rank in pack) per item.
inline std::pair<std::vector<int>, std::vector<int>> eplb_balanced_packing(const std::vector<double>& w,
                                                                            int packs) {
  const auto n = static_cast<int>(w.size());
  const int per_pack = n / packs;
  std::vector<int> pack(static_cast<std::size_t>(n)), rank(static_cast<std::size_t>(n), 0);
  if (per_pack == 1) {
    std::iota(pack.begin(), pack.end(), 0);
    return {pack, rank};
  }
  std::vector<int> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return w[static_cast<std::size_t>(a)] > w[static_cast<std::size_t>(b)]; });
  using entry = std::pair<double, int>;  // (pack weight, pack index): the smallest pops first
  std::priority_queue<entry, std::vector<entry>, std::greater<>> open;
  for (int b = 0; b < packs; ++b) open.emplace(0.0, b);
  std::vector<int> items(static_cast<std::size_t>(packs), 0);
  for (int i : order) {
    auto [load, b] = open.top();
    open.pop();
    pack[static_cast<std::size_t>(i)] = b;
    rank[static_cast<std::size_t>(i)] = items[static_cast<std::size_t>(b)]++;
    if (items[static_cast<std::size_t>(b)] < per_pack) open.emplace(load + w[static_cast<std::size_t>(i)], b);
  }
  return {pack, rank};
}

/// EPLB's replicate_experts: the first `w.size()` replicas are the experts themselves; each further
/// replica goes to the expert with the largest load per replica (lowest index on ties).
/// Returns (expert of each replica, its replica rank, replica count per expert).
struct eplb_replicas {
  std::vector<int> expert, rank, count;
};
inline eplb_replicas eplb_replicate(const std::vector<double>& w, int replicas) {
  const auto n = static_cast<int>(w.size());
  eplb_replicas r;
  r.expert.resize(static_cast<std::size_t>(replicas));
  r.rank.assign(static_cast<std::size_t>(replicas), 0);
  r.count.assign(static_cast<std::size_t>(n), 1);
  std::iota(r.expert.begin(), r.expert.begin() + n, 0);
  // (load per replica, -index): the largest pops first, the lowest index among equals.
  std::priority_queue<std::pair<double, int>> heap;
  for (int e = 0; e < n; ++e) heap.emplace(w[static_cast<std::size_t>(e)], -e);
  for (int i = n; i < replicas; ++i) {
    const int e = -heap.top().second;
    heap.pop();
    auto& c = r.count[static_cast<std::size_t>(e)];
    r.expert[static_cast<std::size_t>(i)] = e;
    r.rank[static_cast<std::size_t>(i)] = c++;
    heap.emplace(w[static_cast<std::size_t>(e)] / c, -e);
  }
  return r;
}

/// One layer of EPLB's rebalance_experts_hierarchical. Returns (physical-to-logical, replica rank).
inline std::pair<std::vector<int>, std::vector<int>> eplb_layer(const std::vector<double>& w, int replicas,
                                                                int groups, int nodes, int gpus) {
  const auto experts = static_cast<int>(w.size());
  const int group_size = experts / groups, groups_per_node = groups / nodes;
  const int per_gpu = replicas / gpus, experts_per_node = experts / nodes;
  const int replicas_per_node = replicas / nodes;

  // Step 1: pack groups onto nodes; renumber experts ("mlog") so each node's are consecutive.
  std::vector<double> group_load(static_cast<std::size_t>(groups), 0.0);
  for (int e = 0; e < experts; ++e) group_load[static_cast<std::size_t>(e / group_size)] += w[static_cast<std::size_t>(e)];
  const auto [gpack, grank] = eplb_balanced_packing(group_load, nodes);
  std::vector<int> log2mlog(static_cast<std::size_t>(experts)), mlog2log(static_cast<std::size_t>(experts));
  for (int e = 0; e < experts; ++e) {
    const auto g = static_cast<std::size_t>(e / group_size);
    const int m = (gpack[g] * groups_per_node + grank[g]) * group_size + e % group_size;
    log2mlog[static_cast<std::size_t>(e)] = m;
    mlog2log[static_cast<std::size_t>(m)] = e;
  }

  std::vector<int> phy2log(static_cast<std::size_t>(replicas)), phyrank(static_cast<std::size_t>(replicas));
  for (int node = 0; node < nodes; ++node) {
    // Step 2: replicate inside the node.
    std::vector<double> wm(static_cast<std::size_t>(experts_per_node));
    for (int j = 0; j < experts_per_node; ++j)
      wm[static_cast<std::size_t>(j)] = w[static_cast<std::size_t>(mlog2log[static_cast<std::size_t>(node * experts_per_node + j)])];
    const auto rep = eplb_replicate(wm, replicas_per_node);
    // Step 3: pack the node's replicas onto its GPUs.
    std::vector<double> size(static_cast<std::size_t>(replicas_per_node));
    for (int j = 0; j < replicas_per_node; ++j) {
      const auto e = static_cast<std::size_t>(rep.expert[static_cast<std::size_t>(j)]);
      size[static_cast<std::size_t>(j)] = wm[e] / rep.count[e];
    }
    const auto [pack, rank] = eplb_balanced_packing(size, gpus / nodes);
    for (int j = 0; j < replicas_per_node; ++j) {
      const auto slot = static_cast<std::size_t>(node * replicas_per_node + pack[static_cast<std::size_t>(j)] * per_gpu +
                                                 rank[static_cast<std::size_t>(j)]);
      const int mlog = rep.expert[static_cast<std::size_t>(j)] + node * experts_per_node;
      phy2log[slot] = mlog2log[static_cast<std::size_t>(mlog)];
      phyrank[slot] = rep.rank[static_cast<std::size_t>(j)];
    }
  }
  return {phy2log, phyrank};
}

}  // namespace detail

/// DeepSeek's EPLB on a problem: EPLB's num_nodes is the number of domains of `p.cluster`,
/// num_gpus its GPUs, num_replicas its slots, num_groups `p.groups`. Only loads and the cluster are
/// used; logical_to_physical lists replicas in EPLB's replica-rank order; dispatch is uniform.
[[nodiscard]] inline placement eplb(const problem& p) {
  validate(p);
  const auto& c = p.cluster;
  const int nodes = c.domains();
  const bool hierarchical = p.groups % nodes == 0;
  placement plan;
  plan.gpus = c.gpus;
  plan.slots_per_gpu = c.slots_per_gpu;
  plan.experts = p.experts();
  plan.layers.reserve(static_cast<std::size_t>(p.layers()));
  std::vector<double> w(static_cast<std::size_t>(p.experts()));
  for (int l = 0; l < p.layers(); ++l) {
    for (int e = 0; e < p.experts(); ++e) w[static_cast<std::size_t>(e)] = p.loads(l, e);
    auto [phy2log, rank] = hierarchical ? detail::eplb_layer(w, c.slots(), p.groups, nodes, c.gpus)
                                        : detail::eplb_layer(w, c.slots(), 1, 1, c.gpus);
    auto layer = make_layer(phy2log, p.experts());
    for (std::size_t s = 0; s < phy2log.size(); ++s)
      layer.logical_to_physical[static_cast<std::size_t>(phy2log[s])][static_cast<std::size_t>(rank[s])] =
          static_cast<int>(s);
    plan.layers.push_back(std::move(layer));
  }
  return plan;
}

}  // namespace gpusched::moe
