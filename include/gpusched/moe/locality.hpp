#pragma once
// grouped_placer: topology-aware placement. Each expert group gets a home domain (groups packed
// onto domains by load, as EPLB's hierarchical mode does); a domain above its share of the layer's
// load (total / domains) sheds only the excess, hottest experts first, into the domains furthest
// below their share, so a hot group spans few domains. Each domain then replicates the load it
// serves over its own slots and packs and refines like the placer. A spilled expert's replicas
// carry unequal dispatch weights (each domain serves its portion). With DeepSeek's group-limited
// routing this bounds how many domains a token's experts span.

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <string>
#include <span>
#include <vector>

#include "gpusched/moe/concepts.hpp"
#include "gpusched/moe/detail/bounds.hpp"
#include "gpusched/moe/detail/layer_state.hpp"
#include "gpusched/moe/detail/per_layer.hpp"
#include "gpusched/moe/eplb.hpp"
#include "gpusched/moe/placement.hpp"
#include "gpusched/moe/placer.hpp"
#include "gpusched/moe/policies/pair_counts.hpp"
#include "gpusched/moe/policies/packing.hpp"
#include "gpusched/moe/policies/refinement.hpp"
#include "gpusched/moe/problem.hpp"

namespace gpusched::moe {

namespace detail {
/// One layer, given each expert's home domain (`home[e]`): every expert's load starts at home; a
/// domain above (1 + slack) x its share (total / domains) sheds the excess, hottest experts first,
/// whole where possible, into the domain furthest below its share that still has a free slot (so a
/// unit spills to as few domains as possible); then each domain replicates the portions it serves
/// over its own slots (D'Hondt; with two slots per GPU the pair-count search), packs them onto its
/// GPUs and refines. `who` names the caller in errors.
template <class Packing, class Refinement>
layer_placement place_from_homes(std::span<const double> w, const problem& p, const std::vector<int>& home,
                                 double slack, const Packing& packing, const Refinement& refinement,
                                 const char* who) {
  const auto& c = p.cluster;
  const int D = c.domains(), E = static_cast<int>(w.size());
  const int gpd = c.gpus_per_domain, per_domain = gpd * c.slots_per_gpu;
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  const double target = total / D;
  // Each expert's load starts at home; every domain above its share (total / domains) sheds
  // the excess, hottest experts first, whole where possible, into the domain furthest below
  // its share that still has a free slot — so a group spills to as few domains as possible.
  std::vector<std::vector<double>> portion(static_cast<std::size_t>(D), std::vector<double>(static_cast<std::size_t>(E), 0.0));
  std::vector<double> load(static_cast<std::size_t>(D), 0.0);
  std::vector<int> present(static_cast<std::size_t>(D), 0);
  for (int e = 0; e < E; ++e) {
    const auto h = static_cast<std::size_t>(home[static_cast<std::size_t>(e)]);
    portion[h][static_cast<std::size_t>(e)] = w[static_cast<std::size_t>(e)];
    load[h] += w[static_cast<std::size_t>(e)];
    ++present[h];
  }
  for (int d = 0; d < D; ++d)
    if (present[static_cast<std::size_t>(d)] > per_domain)
      throw error(who, "domain " + std::to_string(d) + " is home to more experts than it has slots");
  std::vector<int> by_load(static_cast<std::size_t>(E));
  std::iota(by_load.begin(), by_load.end(), 0);
  std::stable_sort(by_load.begin(), by_load.end(), [&](int a, int b) { return w[static_cast<std::size_t>(a)] > w[static_cast<std::size_t>(b)]; });
  const double tiny = target * 1e-12, cap = target * (1.0 + slack);
  require(slack >= 0.0, who, "slack must be >= 0");
  for (int d = 0; d < D; ++d) {
    const auto du = static_cast<std::size_t>(d);
    for (int e : by_load) {
      if (load[du] <= cap + tiny) break;
      auto& mine = portion[du][static_cast<std::size_t>(e)];
      while (mine > 0.0 && load[du] > cap + tiny) {
        int to = -1;  // furthest below its share, with a free slot or already hosting e
        for (int t = 0; t < D; ++t) {
          const auto tu = static_cast<std::size_t>(t);
          if (t == d || load[tu] >= target - tiny) continue;
          if (portion[tu][static_cast<std::size_t>(e)] <= 0.0 && present[tu] >= per_domain) continue;
          if (to < 0 || load[tu] < load[static_cast<std::size_t>(to)]) to = t;
        }
        if (to < 0) break;
        const auto tu = static_cast<std::size_t>(to);
        const double amount = std::min({mine, load[du] - cap, target - load[tu]});
        if (portion[tu][static_cast<std::size_t>(e)] <= 0.0) ++present[tu];
        portion[tu][static_cast<std::size_t>(e)] += amount;
        load[tu] += amount;
        mine -= amount;
        load[du] -= amount;
        if (mine <= 0.0) {
          mine = 0.0;
          --present[du];
        }
      }
    }
  }

  // Inside each domain: replicate its portions over its slots, pack onto its GPUs, refine.
  layer_placement out;
  out.physical_to_logical.assign(static_cast<std::size_t>(c.slots()), 0);
  out.dispatch_weight.assign(static_cast<std::size_t>(c.slots()), 0.0);
  pack_shape sub;
  sub.gpus = gpd;
  sub.slots_per_gpu = c.slots_per_gpu;
  sub.allow_duplicates = p.allow_duplicates;
  const policies::replicate_for_pairs replicate;  // D'Hondt unless two slots per GPU
  for (int d = 0; d < D; ++d) {
    std::vector<int> local;
    std::vector<double> lw;
    for (int e = 0; e < E; ++e)
      if (portion[static_cast<std::size_t>(d)][static_cast<std::size_t>(e)] > 0.0 ||
          (w[static_cast<std::size_t>(e)] <= 0.0 && home[static_cast<std::size_t>(e)] == d)) {
        local.push_back(e);
        lw.push_back(portion[static_cast<std::size_t>(d)][static_cast<std::size_t>(e)]);
      }
    double local_total = std::accumulate(lw.begin(), lw.end(), 0.0);
    const auto counts = replicate.replicate(lw, sub);
    sub.bound = std::max(local_total / gpd, max_per_replica(lw, counts));
    auto sub_map = packing.pack(lw, counts, sub);
    {
      layer_state st(lw, std::move(sub_map), sub);
      repair_duplicates(st);
      sub_map = std::move(st).release();
    }
    refinement.refine(lw, sub_map, sub);
    std::vector<int> local_count(local.size(), 0);
    for (int k : sub_map) ++local_count[static_cast<std::size_t>(k)];
    for (std::size_t k = 0; k < sub_map.size(); ++k) {
      const auto i = static_cast<std::size_t>(sub_map[k]);
      const auto e = static_cast<std::size_t>(local[i]);
      const auto slot = static_cast<std::size_t>(d * per_domain) + k;
      out.physical_to_logical[slot] = local[i];
      out.dispatch_weight[slot] = w[e] > 0.0 ? lw[i] / local_count[i] / w[e] : 0.0;
    }
  }
  // Views; experts without load spread their (zero) tokens uniformly.
  auto views = make_layer(out.physical_to_logical, E);
  for (std::size_t slot = 0; slot < out.dispatch_weight.size(); ++slot)
    if (w[static_cast<std::size_t>(out.physical_to_logical[slot])] <= 0.0) out.dispatch_weight[slot] = views.dispatch_weight[slot];
  views.dispatch_weight = std::move(out.dispatch_weight);
  return views;
}
}  // namespace detail

/// Keeps expert groups in a home domain (see the header comment); Packing and Refinement work
/// inside each domain.
template <packing_policy Packing = policies::pack_differencing, refinement_policy Refinement = policies::refine_swaps>
class grouped_placer {
 public:
  [[no_unique_address]] Packing packing{};
  [[no_unique_address]] Refinement refinement{};
  /// A domain sheds load only above (1 + slack) x its share: 0 = best balance, larger = fewer
  /// domains per group (the locality / balance trade-off; the benchmark sweeps it).
  double slack = 0.0;

  /// One layer: its loads in, its physical-to-logical map out.
  [[nodiscard]] layer_placement solve_layer(std::span<const double> w, const problem& p) const {
    const auto& c = p.cluster;
    const int D = c.domains(), E = static_cast<int>(w.size()), group_size = E / p.groups;

    // Home domains: groups packed onto domains as EPLB does (equal numbers per domain, by load).
    // When the groups do not divide by the domains, each expert is its own group.
    const bool by_group = p.groups % D == 0;
    const int units = by_group ? p.groups : E, unit_size = by_group ? group_size : 1;
    if (units % D != 0)
      throw error("moe::grouped_placer", "neither the groups (" + std::to_string(p.groups) + ") nor the experts (" +
                                             std::to_string(E) + ") divide by the domains (" + std::to_string(D) + ")");
    std::vector<double> unit_load(static_cast<std::size_t>(units), 0.0);
    for (int e = 0; e < E; ++e) unit_load[static_cast<std::size_t>(e / unit_size)] += w[static_cast<std::size_t>(e)];
    const auto unit_home = detail::eplb_balanced_packing(unit_load, D).first;
    std::vector<int> home(static_cast<std::size_t>(E));  // per expert
    for (int e = 0; e < E; ++e) home[static_cast<std::size_t>(e)] = unit_home[static_cast<std::size_t>(e / unit_size)];

    return detail::place_from_homes(w, p, home, slack, packing, refinement, "moe::grouped_placer");
  }

  /// Solves every layer of `p`.
  [[nodiscard]] placement solve(const problem& p) const {
    validate(p);
    return detail::solve_each_layer(
        p, [&](int, const std::vector<double>& w) { return solve_layer(w, p); });
  }
};

}  // namespace gpusched::moe
