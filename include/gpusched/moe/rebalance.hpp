#pragma once
// rebalance: migration-bounded incremental rebalancing. Instead of solving afresh (which moves
// most weights), repair the previous plan under the new loads by local search — swaps of two
// slots' experts (2 expert copies) and re-targeting one slot to another expert (1 copy) — always
// the move that lowers the most loaded GPU most per expert copied, until it reaches the bound or the byte budget
// (p.max_bytes_moved, shared equally by the layers) is spent, or it is within
// rebalance_options::within_fresh of what a fresh plan would reach.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "gpusched/moe/detail/layer_state.hpp"
#include "gpusched/moe/detail/per_layer.hpp"
#include "gpusched/moe/placement.hpp"
#include "gpusched/moe/placer.hpp"
#include "gpusched/moe/policies/refinement.hpp"
#include "gpusched/moe/problem.hpp"

namespace gpusched::moe {

/// Options of rebalance.
struct rebalance_options {
  double tolerance = 5e-3;  ///< stop when max load <= bound * (1 + tolerance)
  /// Also stop when max load <= (1 + within_fresh) x the max load of a fresh placer<> plan of the
  /// layer (solved here): the repair moves only what it takes to be that close to solving afresh.
  /// Negative: ignore the fresh plan (stop at the bound's tolerance only).
  double within_fresh = 0.009;
  int max_moves_per_layer = 1 << 16;
};

/// Repairs `*p.previous` for the loads of `p` moving at most p.max_bytes_moved bytes of expert
/// weights (p.bytes_per_expert each; 0 bytes per expert means unbounded). Dispatch is uniform;
/// a layout the previous plan left with duplicates keeps them.
[[nodiscard]] inline placement rebalance(const problem& p, const rebalance_options& o = {}) {
  validate(p);
  require(p.previous != nullptr, "moe::rebalance", "problem.previous (the plan to repair) is not set");
  const double copies_per_layer =
      p.bytes_per_expert > 0.0 ? std::floor(p.max_bytes_moved / p.layers() / p.bytes_per_expert)
                               : std::numeric_limits<double>::infinity();
  return detail::solve_each_layer(p, [&](int li, const std::vector<double>& w) {
    auto s = shape_of(p, w);
    s.allow_duplicates = true;  // keep what the previous plan has; moves below never add one
    detail::layer_state st(w, p.previous->layers[static_cast<std::size_t>(li)].physical_to_logical, s);
    const auto no_new_duplicate_swap = [&](int x, int y) {
      return st.can_swap(x, y) && (p.allow_duplicates || (st.on(st.gpu(y), st.expert(x)) == 0 && st.on(st.gpu(x), st.expert(y)) == 0));
    };
    double stop_at = s.bound * (1.0 + o.tolerance);
    if (o.within_fresh >= 0.0) {
      const detail::layer_state fresh(w, placer<>{}.solve_layer(w, shape_of(p, w)), shape_of(p, w));
      stop_at = std::max(stop_at, fresh.max_load() * (1.0 + o.within_fresh));
    }
    double budget = copies_per_layer;
    for (int moves = 0; moves < o.max_moves_per_layer; ++moves) {
      const int a = st.argmax();
      const double la = st.load(a);
      if (la <= stop_at) break;
      const double eps = la * 1e-12;
      const int S = s.slots_per_gpu;
      // Best swap with another GPU (2 copies) and best re-target (1 copy); take the lower peak.
      double swap_peak = std::numeric_limits<double>::infinity();
      int sx = -1, sy = -1;
      if (budget >= 2)
        for (int y = 0; y < s.slots(); ++y) {
          const int b = st.gpu(y);
          if (b == a) continue;
          for (int x = a * S; x < (a + 1) * S; ++x) {
            const double d = st.size(st.expert(x)) - st.size(st.expert(y));
            if (d <= 0.0) continue;
            const double peak = std::max(la - d, st.load(b) + d);
            if (peak < la - eps && peak < swap_peak && no_new_duplicate_swap(x, y)) {
              swap_peak = peak;
              sx = x;
              sy = y;
            }
          }
        }
      double re_peak = std::numeric_limits<double>::infinity();
      int ry = -1, re = -1;
      if (budget >= 1) {
        for (int x = a * S; x < (a + 1) * S; ++x) {
          const int ex = st.expert(x);
          for (int y = 0; y < s.slots(); ++y) {
            if (st.gpu(y) == a || st.expert(y) == ex || st.count(st.expert(y)) < 2) continue;
            if (!p.allow_duplicates && st.on(st.gpu(y), ex) > 0) continue;
            const double peak = st.retarget_peak(y, ex);
            if (peak < la - eps && peak < re_peak) {
              re_peak = peak;
              ry = y;
              re = ex;
            }
          }
        }
      }
      if (sx < 0 && ry < 0) break;
      // Most improvement per expert copied: a re-target copies one expert, a swap two.
      if (ry >= 0 && (sx < 0 || (la - re_peak) >= (la - swap_peak) / 2)) {
        st.retarget(ry, re);
        budget -= 1;
      } else {
        st.swap(sx, sy);
        budget -= 2;
      }
    }
    return make_layer(std::move(st).release(), p.experts());
  });
}

}  // namespace gpusched::moe
