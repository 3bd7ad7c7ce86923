#pragma once
// placer: an expert-placement solver composed from three policies — replication, packing and
// refinement — applied to every layer independently.

#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "gpusched/moe/concepts.hpp"
#include "gpusched/moe/detail/bounds.hpp"
#include "gpusched/moe/detail/layer_state.hpp"
#include "gpusched/moe/detail/per_layer.hpp"
#include "gpusched/moe/placement.hpp"
#include "gpusched/moe/policies/packing.hpp"
#include "gpusched/moe/policies/refinement.hpp"
#include "gpusched/moe/policies/replication.hpp"
#include "gpusched/moe/problem.hpp"

namespace gpusched::moe {

namespace detail {
/// shape_of, also handing out the D'Hondt counts the bound rests on (`placer<replicate_by_load>`
/// reuses them instead of computing them a second time).
[[nodiscard]] inline pack_shape shape_and_counts(const problem& p, std::span<const double> w, std::vector<int>& counts) {
  pack_shape s;
  s.gpus = p.cluster.gpus;
  s.slots_per_gpu = p.cluster.slots_per_gpu;
  s.allow_duplicates = p.allow_duplicates;
  double total = 0.0;
  for (double x : w) total += x;
  counts = detail::dhondt_counts(w, s.slots(), s.allow_duplicates ? s.slots() : s.gpus);
  s.bound = std::max(total / s.gpus, detail::max_per_replica(w, counts));
  if (s.slots() == static_cast<int>(w.size()))
    s.bound = std::max(s.bound, detail::slot_bound({w.begin(), w.end()}, s.gpus, s.slots_per_gpu));
  else if (s.slots_per_gpu == 2)
    s.bound = std::max(s.bound, detail::pair_bound(w, s.gpus));
  return s;
}
}  // namespace detail

/// The per-layer shape of a problem, with the uniform-dispatch lower bound of a layer's loads.
[[nodiscard]] inline pack_shape shape_of(const problem& p, std::span<const double> w) {
  std::vector<int> counts;
  return detail::shape_and_counts(p, w, counts);
}

/// Solver = Replication (counts) -> Packing (GPU of each replica) -> duplicate repair ->
/// Refinement (local search down to the bound). Dispatch is uniform; see balance_dispatch.
template <replication_policy Replication = policies::replicate_by_load,
          packing_policy Packing = policies::pack_differencing, refinement_policy Refinement = policies::refine_swaps>
class placer {
 public:
  [[no_unique_address]] Replication replication{};
  [[no_unique_address]] Packing packing{};
  [[no_unique_address]] Refinement refinement{};

  /// Solves one layer: its loads and shape in, its physical-to-logical map out.
  [[nodiscard]] std::vector<int> solve_layer(std::span<const double> w, const pack_shape& s) const {
    return solve_counts(w, s, replication.replicate(w, s));
  }

  /// Solves every layer of `p` (loads, cluster, allow_duplicates).
  [[nodiscard]] placement solve(const problem& p) const {
    validate(p);
    return detail::solve_each_layer(p, [&](int, const std::vector<double>& w) {
      if constexpr (std::is_same_v<Replication, policies::replicate_by_load>) {
        // The bound already needed D'Hondt's counts: the same call replicate() would make.
        std::vector<int> counts;
        const auto s = detail::shape_and_counts(p, w, counts);
        (void)policies::replicate_by_load::replica_cap(w.size(), s);  // the check replicate() makes
        return make_layer(solve_counts(w, s, std::move(counts)), p.experts());
      } else {
        return make_layer(solve_layer(w, shape_of(p, w)), p.experts());
      }
    });
  }

 private:
  [[nodiscard]] std::vector<int> solve_counts(std::span<const double> w, const pack_shape& s, const std::vector<int>& counts) const {
    detail::layer_state st(w, packing.pack(w, counts, s), s);  // also checks the packer's output
    detail::repair_duplicates(st);
    // Optional hook: a refinement that works on the state itself saves rebuilding it.
    if constexpr (requires { refinement.refine_state(st); }) {
      refinement.refine_state(st);
      return std::move(st).release();
    } else {
      auto map = std::move(st).release();
      refinement.refine(w, map, s);
      return map;
    }
  }
};

}  // namespace gpusched::moe
