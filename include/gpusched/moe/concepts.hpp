#pragma once
// The three axes of an expert-placement solver a user may swap, as C++20 concepts: how many
// replicas each expert gets, how replicas are packed onto GPUs, and how a packing is refined.
// Each policy opts in with a tag (`using category = ...`) so a type cannot match by accident.

#include <concepts>
#include <span>
#include <vector>

namespace gpusched::moe {

/// The per-layer shape a policy works on: `gpus` GPUs with `slots_per_gpu` slots each; slot s is
/// on GPU s / slots_per_gpu. `bound` is the caller's lower bound on the max load (refinement stops
/// there); `allow_duplicates` permits two replicas of one expert on one GPU.
struct pack_shape {
  int gpus = 0;
  int slots_per_gpu = 0;
  bool allow_duplicates = false;
  double bound = 0.0;
  [[nodiscard]] int slots() const noexcept { return gpus * slots_per_gpu; }
};

/// Opt-in tags.
struct replication_tag {};
struct packing_tag {};
struct refinement_tag {};

/// Chooses replica counts (>= 1 each, summing to shape.slots()) from one layer's loads.
template <class R>
concept replication_policy = requires(const R r, std::span<const double> w, const pack_shape& s) {
  requires std::same_as<typename R::category, replication_tag>;
  { r.replicate(w, s) } -> std::same_as<std::vector<int>>;
};

/// Packs replicas onto GPUs: returns the physical-to-logical map (shape.slots() entries, expert e
/// appearing counts[e] times).
template <class P>
concept packing_policy =
    requires(const P p, std::span<const double> w, std::span<const int> counts, const pack_shape& s) {
      requires std::same_as<typename P::category, packing_tag>;
      { p.pack(w, counts, s) } -> std::same_as<std::vector<int>>;
    };

/// Improves a physical-to-logical map in place (it may change replica counts but must keep every
/// expert present and, unless allowed, no expert twice on a GPU).
template <class F>
concept refinement_policy = requires(const F f, std::span<const double> w, std::vector<int>& phy2log,
                                     const pack_shape& s) {
  requires std::same_as<typename F::category, refinement_tag>;
  { f.refine(w, phy2log, s) } -> std::same_as<void>;
};

}  // namespace gpusched::moe
