#pragma once
// affinity_placer: topology-aware placement from co-activation counts. Experts that tokens pick
// together get the same home domain, so a token's experts span few domains and its dispatch and
// combine cross few slow links; expert groups are not needed (real co-activation need not follow
// them). Each layer's homes are a balanced partition of its co-activation graph: experts dealt
// hottest first to the domain they are most co-activated with among those with room — slots for
// the replicas the expert needs to stay under the mean GPU load, and load under (1 + tolerance) x
// the domain's share (hot experts, with no affinity yet, spread to the least loaded domains) —
// then improved by moves and pairwise swaps between domains (Kernighan-Lin style without
// tentative moves: best gain per expert, never raising a domain above those limits or a pair of
// domains above its maximum). A local optimum: a topic split evenly over two domains stays split
// (no single move gains). Growing domains from the strongest ties instead (graph growing) kept a
// few more pairs together but balanced worse on small domains (4 GPUs), so the start spreads the
// hot experts first. From the homes on it is `grouped_placer`'s second half: an overloaded domain
// sheds its excess, and each domain replicates, packs and refines its portion.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "gpusched/core/error.hpp"
#include "gpusched/moe/concepts.hpp"
#include "gpusched/moe/detail/per_layer.hpp"
#include "gpusched/moe/locality.hpp"
#include "gpusched/moe/placement.hpp"
#include "gpusched/moe/policies/packing.hpp"
#include "gpusched/moe/policies/refinement.hpp"
#include "gpusched/moe/problem.hpp"

namespace gpusched::moe {

namespace detail {

/// Home domain of every expert: a balanced partition of the co-activation graph (see the header
/// comment). `co` is read through its upper triangle (co(i, j), i < j: tokens that picked both), as
/// `evaluate` reads it. A domain's experts must fit its slots with each expert counted as the
/// replicas it needs to stay at or below the mean GPU load.
[[nodiscard]] inline std::vector<int> affinity_homes(std::span<const double> w, const Eigen::MatrixXd& co,
                                                     const cluster_shape& c, double tolerance, int max_passes) {
  const int E = static_cast<int>(w.size()), D = c.domains();
  const int room = c.gpus_per_domain * c.slots_per_gpu;
  Eigen::MatrixXd s = Eigen::MatrixXd::Zero(E, E);  // symmetric affinity, zero diagonal
  for (int j = 0; j < E; ++j)
    for (int i = 0; i < j; ++i) s(i, j) = s(j, i) = co(i, j);
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  const double cap = total / D * (1.0 + tolerance), tiny = total * 1e-12;
  const double eps = std::max(1e-12, s.maxCoeff() * 1e-12);  // a gain must beat rounding
  // Slots an expert needs so that no replica exceeds the mean GPU load: a domain whose experts
  // need more than its slots cannot balance its GPUs, whatever its total load.
  const double mean_gpu = total / c.gpus;
  std::vector<int> need(static_cast<std::size_t>(E));
  for (int e = 0; e < E; ++e) {
    const double n = mean_gpu > 0.0 ? std::ceil(w[static_cast<std::size_t>(e)] / mean_gpu - 1e-9) : 1.0;
    need[static_cast<std::size_t>(e)] = static_cast<int>(std::clamp(n, 1.0, static_cast<double>(room)));
  }

  std::vector<int> home(static_cast<std::size_t>(E), -1), demand(static_cast<std::size_t>(D), 0);
  std::vector<double> load(static_cast<std::size_t>(D), 0.0);
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(E, D);  // a(e, d): e's co-activation with d's experts
  auto join = [&](int e, int d, double sign) {
    a.col(d) += sign * s.col(e);
    load[static_cast<std::size_t>(d)] += sign * w[static_cast<std::size_t>(e)];
    demand[static_cast<std::size_t>(d)] += (sign > 0 ? 1 : -1) * need[static_cast<std::size_t>(e)];
    if (sign > 0) home[static_cast<std::size_t>(e)] = d;
  };

  // Greedy start: hottest first, to a domain with slots for it (else the one with the most
  // left), under the load cap (else ignoring it), most co-activated with it, least loaded, lowest
  // index — in that order of priority.
  std::vector<int> order(static_cast<std::size_t>(E));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int x, int y) { return w[static_cast<std::size_t>(x)] > w[static_cast<std::size_t>(y)]; });
  for (int e : order) {
    const auto eu = static_cast<std::size_t>(e);
    int best = -1, best_left = 0;
    bool best_fits = false;
    for (int d = 0; d < D; ++d) {
      const auto du = static_cast<std::size_t>(d);
      const int left = std::min(0, room - demand[du] - need[eu]);  // 0 when it fits
      const bool fits = load[du] + w[eu] <= cap + tiny;
      if (best >= 0) {
        const auto bu = static_cast<std::size_t>(best);
        if (left != best_left) {
          if (left < best_left) continue;
        } else if (fits != best_fits) {
          if (!fits) continue;
        } else if (a(e, d) != a(e, best)) {
          if (a(e, d) < a(e, best)) continue;
        } else if (load[du] >= load[bu]) {
          continue;
        }
      }
      best = d;
      best_left = left;
      best_fits = fits;
    }
    join(e, best, 1.0);
  }

  // Improvement: for each expert the best move or swap by gain in co-activation kept inside
  // domains; a change never lifts a domain above the load cap or its slots unless it lowers the
  // pair's maximum.
  for (int pass = 0; pass < max_passes; ++pass) {
    bool improved = false;
    for (int e = 0; e < E; ++e) {
      const int d1 = home[static_cast<std::size_t>(e)];
      const double we = w[static_cast<std::size_t>(e)], l1 = load[static_cast<std::size_t>(d1)];
      const int ne = need[static_cast<std::size_t>(e)], n1 = demand[static_cast<std::size_t>(d1)];
      double best_gain = eps;
      int to = -1, partner = -1;
      for (int d2 = 0; d2 < D; ++d2) {
        const auto d2u = static_cast<std::size_t>(d2);
        if (d2 == d1 || demand[d2u] + ne > room || load[d2u] + we > cap + tiny) continue;
        const double gain = a(e, d2) - a(e, d1);
        if (gain > best_gain) {
          best_gain = gain;
          to = d2;
          partner = -1;
        }
      }
      for (int f = 0; f < E; ++f) {
        const int d2 = home[static_cast<std::size_t>(f)];
        if (d2 == d1) continue;
        const double gain = a(e, d2) - a(e, d1) + a(f, d1) - a(f, d2) - 2.0 * s(e, f);
        if (gain <= best_gain) continue;
        const double wf = w[static_cast<std::size_t>(f)], l2 = load[static_cast<std::size_t>(d2)];
        const double peak = std::max(l1 - we + wf, l2 - wf + we);
        if (peak > std::max(cap, std::max(l1, l2)) + tiny) continue;
        const int nf = need[static_cast<std::size_t>(f)], n2 = demand[static_cast<std::size_t>(d2)];
        if (std::max(n1 - ne + nf, n2 - nf + ne) > std::max(room, std::max(n1, n2))) continue;
        best_gain = gain;
        to = d2;
        partner = f;
      }
      if (to < 0) continue;
      join(e, d1, -1.0);
      if (partner >= 0) {
        join(partner, to, -1.0);
        join(partner, d1, 1.0);
      }
      join(e, to, 1.0);
      improved = true;
    }
    if (!improved) break;
  }
  return home;
}

}  // namespace detail

/// Keeps co-activated experts in one domain (see the header comment); needs
/// `problem::coactivation`. Packing and Refinement work inside each domain.
template <packing_policy Packing = policies::pack_differencing, refinement_policy Refinement = policies::refine_swaps>
class affinity_placer {
 public:
  [[no_unique_address]] Packing packing{};
  [[no_unique_address]] Refinement refinement{};
  /// A domain sheds load only above (1 + slack) x its share, as in `grouped_placer`: 0 = best
  /// balance, larger = more co-activation kept inside domains.
  double slack = 0.0;
  /// The partition keeps each home domain's load under (1 + tolerance) x its share; what is above
  /// (1 + slack) x the share is shed afterwards. Larger = more freedom to keep experts together.
  double tolerance = 0.05;
  /// Improvement passes over all experts (each pass O(experts^2)); stops early at no gain.
  int max_passes = 16;

  /// One layer (`layer` picks its co-activation matrix): its loads in, its placement out.
  [[nodiscard]] layer_placement solve_layer(std::span<const double> w, const problem& p, int layer) const {
    const auto home =
        detail::affinity_homes(w, p.coactivation.at(static_cast<std::size_t>(layer)), p.cluster, tolerance, max_passes);
    return detail::place_from_homes(w, p, home, slack, packing, refinement, "moe::affinity_placer");
  }

  /// Solves every layer of `p`.
  [[nodiscard]] placement solve(const problem& p) const {
    validate(p);
    require(!p.coactivation.empty(), "moe::affinity_placer",
            "needs co-activation counts (problem::coactivation, one experts x experts matrix per layer)");
    require(slack >= 0.0 && tolerance >= 0.0, "moe::affinity_placer", "slack and tolerance must be >= 0");
    require(max_passes >= 0, "moe::affinity_placer", "max_passes must be >= 0");
    return detail::solve_each_layer(p, [&](int l, const std::vector<double>& w) { return solve_layer(w, p, l); });
  }
};

}  // namespace gpusched::moe
