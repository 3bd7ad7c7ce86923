#pragma once
// Refinement policies: local search on a packing, stopping once the most loaded GPU reaches the
// lower bound the placer passes in (pack_shape::bound).

#include <array>
#include <cstddef>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "gpusched/moe/concepts.hpp"
#include "gpusched/moe/detail/layer_state.hpp"

namespace gpusched::moe::policies {

/// Leaves the packing as it is.
struct no_refinement {
  using category = refinement_tag;
  void refine(std::span<const double>, std::vector<int>&, const pack_shape&) const {}
};

namespace detail_refine {
// Best 2-for-2 swap between GPU a and another GPU (pairs of slots exchanged), or {-1,-1,-1,-1}.
inline std::array<int, 4> best_pair_swap(const moe::detail::layer_state& st, int a, double eps, double good_enough) {
  const int S = st.shape().slots_per_gpu;
  const double la = st.load(a);
  double best = la - eps;
  std::array<int, 4> move{-1, -1, -1, -1};
  for (int b : st.gpus_by_load()) {  // lightest first
    if (b == a) continue;
    const double lb = st.load(b);
    if (lb >= 2.0 * best - la) break;  // needs la - best < d < best - lb; heavier partners cannot
    for (int x1 = a * S; x1 < (a + 1) * S; ++x1)
      for (int x2 = x1 + 1; x2 < (a + 1) * S; ++x2) {
        const double sa = st.slot_size(x1) + st.slot_size(x2);
        for (int y1 = b * S; y1 < (b + 1) * S; ++y1)
          for (int y2 = y1 + 1; y2 < (b + 1) * S; ++y2) {
            const double d = sa - st.slot_size(y1) - st.slot_size(y2);
            if (d <= 0.0) continue;
            const double peak = std::max(la - d, lb + d);
            if (peak >= best) continue;
            const int e1 = st.expert(x1), e2 = st.expert(x2), f1 = st.expert(y1), f2 = st.expert(y2);
            if (!st.shape().allow_duplicates) {
              // After the exchange a holds (its others, f1, f2) and b holds (its others, e1, e2).
              bool ok = e1 != f1 && e1 != f2 && e2 != f1 && e2 != f2;
              for (int k = a * S; ok && k < (a + 1) * S; ++k)
                if (k != x1 && k != x2) ok = st.expert(k) != f1 && st.expert(k) != f2;
              for (int k = b * S; ok && k < (b + 1) * S; ++k)
                if (k != y1 && k != y2) ok = st.expert(k) != e1 && st.expert(k) != e2;
              if (!ok) continue;
            }
            best = peak;
            move = {x1, x2, y1, y2};
            if (best <= good_enough) return move;
          }
      }
    if (move[0] >= 0) return move;  // first partner with an improving exchange, as best_swap
  }
  return move;
}

// Best re-targeting of one slot that lowers GPU a below its load: either a slot of a gives its
// expert's replica away to another expert, or a slot elsewhere becomes one more replica of an
// expert on a. Returns {slot, new expert} or {-1, -1}.
inline std::pair<int, int> best_retarget(const moe::detail::layer_state& st, int a, double eps) {
  const int S = st.shape().slots_per_gpu, N = st.shape().slots();
  double best = st.load(a) - eps;
  std::pair<int, int> move{-1, -1};
  for (int x = a * S; x < (a + 1) * S; ++x) {
    const int ex = st.expert(x);
    const double grown = st.shape().allow_duplicates ? -std::numeric_limits<double>::infinity() : st.w(ex) / (st.count(ex) + 1);
    for (int y = 0; y < N; ++y) {  // y becomes one more replica of ex
      // y's GPU ends at load - slot_size(y) + grown at least (cheap test before the full peak).
      if (st.gpu(y) == a || st.load(st.gpu(y)) - st.slot_size(y) + grown >= best || !st.can_retarget(y, ex)) continue;
      const double peak = st.retarget_peak(y, ex);
      if (peak < best) {
        best = peak;
        move = {y, ex};
      }
    }
  }
  return move;
}
}  // namespace detail_refine

/// Swap local search: while the most loaded GPU is above the bound, apply the best 1-for-1 swap
/// with another GPU, else the best 2-for-2 swap; stop when neither lowers it.
struct refine_swaps {
  using category = refinement_tag;
  /// Stop when max load <= bound + tolerance x mean GPU load, i.e. max/mean within `tolerance` of
  /// the bound's (when the bound is above the mean, at the bound itself). 0.15%: the last tenths
  /// of a percent cost most of the moves (NVL72, idle VM, real loads: 1e-3 takes 1.1-1.2x the time
  /// of 1.5e-3 for max/mean 1.0010-1.0011 instead of 1.0015), and they sit far below the noise of
  /// the loads a plan is made from (a GPU serving ~15k of a window's 1M expert choices has ~0.8%
  /// sampling error), so a tighter stop buys nothing measurable in service. Set 1e-3 or lower
  /// when the loads are exact.
  double tolerance = 1.5e-3;
  int max_moves = 1 << 20;  ///< safety cap on the number of moves
  void refine(std::span<const double> w, std::vector<int>& phy2log, const pack_shape& s) const {
    moe::detail::layer_state st(w, std::move(phy2log), s);
    run(st, false);
    phy2log = std::move(st).release();
  }
  /// The same on a layer's state (the placer's hook: no rebuild).
  void refine_state(moe::detail::layer_state& st) const { run(st, false); }
  /// The loop, shared with refine_counts (which also re-targets slots).
  void run(moe::detail::layer_state& st, bool retarget) const {
    double mean = 0.0;
    for (int g = 0; g < st.shape().gpus; ++g) mean += st.load(g) / st.shape().gpus;
    // Where the bound is above the mean (one expert dominates, e.g. no spare slots) there is no
    // slack: the hot GPU can often reach the bound itself (as EPLB's does) and the search is short.
    const double bound = st.shape().bound;
    const double target = bound > mean * (1.0 + 1e-9) ? bound : bound + tolerance * mean;
    for (int moves = 0; moves < max_moves; ++moves) {
      const int a = st.argmax();
      const double la = st.load(a);
      if (la <= target) return;
      const double eps = la * 1e-12;
      if (auto [x, y] = moe::detail::best_swap(st, a, eps, target); x >= 0) {
        st.swap(x, y);
        continue;
      }
      if (const auto m = detail_refine::best_pair_swap(st, a, eps, target); m[0] >= 0) {
        st.swap(m[0], m[2]);
        st.swap(m[1], m[3]);
        continue;
      }
      if (retarget) {
        if (auto [y, e] = detail_refine::best_retarget(st, a, eps); y >= 0) {
          st.retarget(y, e);
          continue;
        }
      }
      return;
    }
  }
};

/// Swap local search that may also change replica counts: when no swap helps, one slot elsewhere
/// becomes an extra replica of an expert on the most loaded GPU (its former expert loses one).
/// This searches counts jointly with the packing, which matters with few slots per GPU.
struct refine_counts {
  using category = refinement_tag;
  /// A time-free work budget: at most 256 moves per layer (each move costs at most one scan of
  /// the slots per slot of the most loaded GPU), so the search is bounded on skewed loads.
  refine_swaps swaps{1e-3, 256};
  void refine(std::span<const double> w, std::vector<int>& phy2log, const pack_shape& s) const {
    moe::detail::layer_state st(w, std::move(phy2log), s);
    swaps.run(st, true);
    phy2log = std::move(st).release();
  }
  void refine_state(moe::detail::layer_state& st) const { swaps.run(st, true); }
};

}  // namespace gpusched::moe::policies
