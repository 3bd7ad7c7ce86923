#pragma once
// replicate_for_pairs: replica counts searched for two slots per GPU. With two slots a GPU's load
// is the sum of two replicas, and for fixed counts pairing the largest replica with the smallest
// (what pack_differencing does with two rows) minimises the largest pair — so the max load is a
// function of the counts alone, and the gap to total / GPUs is in the counts (D'Hondt makes every
// replica about the same size, which pairs badly). Local search from D'Hondt: the bottleneck pair
// (a large replica of A with a small one of B) is relieved by one more replica of A or of B, taken
// from the expert whose replicas grow least; each candidate is scored exactly in O(experts).

#include <algorithm>
#include <cstddef>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "gpusched/moe/concepts.hpp"
#include "gpusched/moe/detail/bounds.hpp"
#include "gpusched/moe/policies/replication.hpp"

namespace gpusched::moe {
namespace detail {

/// The score of a count vector under the largest-with-smallest pairing (lower is better).
struct pair_score {
  double peak = std::numeric_limits<double>::infinity();  ///< largest pair sum
  double excess = 0.0;  ///< sum over pairs of (pair sum - mean)^2 above the mean: the tie-breaker
  int top = -1, bottom = -1;  ///< experts of the (first) largest pair
  [[nodiscard]] bool better_than(const pair_score& o) const noexcept {
    return peak < o.peak * (1.0 - 1e-12) || (peak <= o.peak * (1.0 + 1e-12) && excess < o.excess * (1.0 - 1e-9));
  }
};

/// Replica counts with the largest-with-smallest pairing they imply, kept as runs: experts in
/// decreasing replica size w/c (ties: lower index first). A count vector is scored in O(experts).
class pair_scorer {
 public:
  using score = pair_score;

  pair_scorer(std::span<const double> w, std::vector<int> counts, int gpus, bool allow_duplicates = true)
      : w_(w), c_(std::move(counts)), sz_(w.size()), order_(w.size()), rem_(w.size()), gpus_(gpus),
        allow_duplicates_(allow_duplicates) {
    double total = 0.0;
    for (std::size_t e = 0; e < w.size(); ++e) {
      sz_[e] = w[e] / c_[e];
      order_[e] = static_cast<int>(e);
      total += w[e];
    }
    mean_ = total / gpus;
    std::sort(order_.begin(), order_.end(), [&](int a, int b) { return before(a, b); });
  }
  [[nodiscard]] int count(int e) const noexcept { return c_[static_cast<std::size_t>(e)]; }
  [[nodiscard]] const std::vector<int>& counts() const noexcept { return c_; }
  [[nodiscard]] double mean() const noexcept { return mean_; }

  /// Score of the current counts; stops early (returning a score no better than `cutoff`) as soon
  /// as it cannot beat `cutoff`.
  [[nodiscard]] score evaluate(const score& cutoff = score{}) const {
    score s;
    s.peak = -std::numeric_limits<double>::infinity();
    const double peak_cut = cutoff.peak * (1.0 + 1e-12);
    for (std::size_t r = 0; r < order_.size(); ++r) rem_[r] = c_[static_cast<std::size_t>(order_[r])];
    std::size_t i = 0, j = order_.size() - 1;
    long long pairs = 0;
    while (pairs < gpus_ && i <= j) {
      // i == j: the middle run would pair with itself, two replicas of one expert on a GPU:
      // not a plan unless duplicates are allowed.
      const long long k = i == j ? rem_[i] / 2 : std::min(rem_[i], rem_[j]);
      if (k <= 0) break;
      // i == j: the middle run would pair with itself (two replicas of one expert on a GPU). Without
      // duplicates each such pair is broken with a pair further out, (x, y) -> (x, a), (a, y): scored
      // as a pair of a with the run just above it.
      if (i == j && !allow_duplicates_ && i > 0) {
        const int a = order_[i], x = order_[i - 1];
        const double sum = sz_[static_cast<std::size_t>(a)] + sz_[static_cast<std::size_t>(x)];
        if (sum > s.peak) {
          if (sum > peak_cut) return cutoff;
          s.peak = sum;
          s.top = x;
          s.bottom = a;
        }
        if (sum > mean_) s.excess += static_cast<double>(k) * (sum - mean_) * (sum - mean_);
        break;
      }
      const int a = order_[i], b = order_[j];
      const double sum = sz_[static_cast<std::size_t>(a)] + sz_[static_cast<std::size_t>(b)];
      if (sum > s.peak) {
        if (sum > peak_cut) return cutoff;  // cannot win
        s.peak = sum;
        s.top = a;
        s.bottom = b;
      }
      if (sum > mean_) s.excess += static_cast<double>(k) * (sum - mean_) * (sum - mean_);
      pairs += k;
      rem_[i] -= k;
      rem_[j] -= k;
      while (i < order_.size() && rem_[i] == 0) ++i;
      while (j > 0 && rem_[j] == 0) --j;
    }
    return s;
  }

  /// Moves one replica from expert `down` to expert `up`; returns what undo() needs.
  struct change {
    int up, down;
    std::pair<std::size_t, std::size_t> m1, m2;
  };
  change move_replica(int up, int down) {
    change ch{up, down, {}, {}};
    set(up, +1);
    ch.m1 = reposition(up);
    set(down, -1);
    ch.m2 = reposition(down);
    return ch;
  }
  void undo(const change& ch) {
    rotate(ch.m2.second, ch.m2.first);
    set(ch.down, +1);
    rotate(ch.m1.second, ch.m1.first);
    set(ch.up, -1);
  }

 private:
  [[nodiscard]] bool before(int a, int b) const noexcept {
    const double sa = sz_[static_cast<std::size_t>(a)], sb = sz_[static_cast<std::size_t>(b)];
    return sa != sb ? sa > sb : a < b;
  }
  void set(int e, int delta) {
    const auto u = static_cast<std::size_t>(e);
    c_[u] += delta;
    sz_[u] = w_[u] / c_[u];
  }
  // Moves expert e to its place after its size changed (a rotation of the entries in between).
  std::pair<std::size_t, std::size_t> reposition(int e) {
    const auto from = static_cast<std::size_t>(std::find(order_.begin(), order_.end(), e) - order_.begin());
    std::size_t to = from;
    while (to > 0 && before(e, order_[to - 1])) --to;
    while (to + 1 < order_.size() && before(order_[to + 1], e)) ++to;
    rotate(from, to);
    return {from, to};
  }
  void rotate(std::size_t from, std::size_t to) {
    const auto b = order_.begin();
    if (to < from) std::rotate(b + static_cast<std::ptrdiff_t>(to), b + static_cast<std::ptrdiff_t>(from), b + static_cast<std::ptrdiff_t>(from) + 1);
    if (to > from) std::rotate(b + static_cast<std::ptrdiff_t>(from), b + static_cast<std::ptrdiff_t>(from) + 1, b + static_cast<std::ptrdiff_t>(to) + 1);
  }

  std::span<const double> w_;
  std::vector<int> c_;
  std::vector<double> sz_;
  std::vector<int> order_;
  mutable std::vector<long long> rem_;  // scratch: replicas of each run not yet paired
  int gpus_;
  bool allow_duplicates_;
  double mean_ = 0.0;
};

}  // namespace detail

namespace policies {

/// Replica counts for two slots per GPU (other shapes: D'Hondt, as replicate_by_load). See the
/// header comment. Each step tries moving one replica to the expert of either side of the
/// bottleneck pair from every other expert, those whose replicas grow least first, and takes the
/// first move that lowers (largest pair, then the squared excess over the mean); `max_steps`
/// bounds the steps per layer.
struct replicate_for_pairs {
  using category = replication_tag;
  int max_steps = 4096;
  int max_donors = 1 << 30;  ///< experts tried as the source of the moved replica per side, per step

  [[nodiscard]] std::vector<int> replicate(std::span<const double> w, const pack_shape& s) const {
    const int cap = replicate_by_load::replica_cap(w.size(), s, "moe::replicate_for_pairs");
    auto c = detail::dhondt_counts(w, s.slots(), cap);
    double total = 0.0;
    for (double x : w) total += x;
    if (s.slots_per_gpu != 2 || !(total > 0.0)) return c;
    const int n = static_cast<int>(w.size());
    detail::pair_scorer st(w, std::move(c), s.gpus, s.allow_duplicates);
    auto cur = st.evaluate();
    std::vector<std::pair<double, int>> donors;
    for (int step = 0; step < max_steps && cur.peak > st.mean() * (1.0 + 1e-9); ++step) {
      donors.clear();
      for (int e = 0; e < n; ++e)
        if (st.count(e) >= 2) donors.emplace_back(w[static_cast<std::size_t>(e)] / (st.count(e) - 1), e);
      std::sort(donors.begin(), donors.end());  // least growth first
      bool moved = false;
      for (int up : {cur.top, cur.bottom}) {
        if (moved || up < 0 || st.count(up) >= cap) continue;
        int tried = 0;
        for (const auto& [growth, down] : donors) {
          if (down == up) continue;
          if (tried++ >= max_donors) break;
          const auto ch = st.move_replica(up, down);
          const auto sc = st.evaluate(cur);
          if (sc.better_than(cur)) {
            cur = sc;
            moved = true;
            break;
          }
          st.undo(ch);
        }
      }
      if (!moved) break;
    }
    return st.counts();
  }
};

}  // namespace policies
}  // namespace gpusched::moe
