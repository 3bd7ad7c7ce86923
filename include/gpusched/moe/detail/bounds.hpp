#pragma once
// Lower bounds on the most loaded GPU and the D'Hondt replica counts they rest on.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <numeric>
#include <queue>
#include <span>
#include <utility>
#include <vector>

namespace gpusched::moe::detail {

/// Replica counts minimising the largest load per replica, max_e w_e / c_e, with sum c = slots and
/// every c_e >= 1 (greedy by largest load per replica = D'Hondt apportionment, which is optimal for
/// this objective); lowest index wins ties. `max_count` caps a count (GPUs, when replicas of one
/// expert must sit on distinct GPUs).
inline std::vector<int> dhondt_counts(std::span<const double> w, int slots, int max_count) {
  const auto n = static_cast<int>(w.size());
  std::vector<int> count(w.size(), 1);
  if (slots <= n) return count;
  // Only the `slots - n` heaviest experts can win an extra replica (each extra goes to a quotient
  // >= the final threshold, and an expert's first extra needs its whole load above it): heap just
  // those. Order (load desc, index asc) keeps "lowest index wins ties".
  auto extra = static_cast<std::size_t>(slots - n);
  std::vector<std::pair<double, int>> init;  // (load per replica, -expert), heapified in O(k)
  init.reserve(w.size());
  if (extra > w.size() && max_count > 1) {
    // Many extras (576 GPUs: 896 for 256 experts): the greedy hands out seats in decreasing
    // quotient w_e / k, so first give every expert all its quotients above a threshold found by
    // bisection (as many seats as possible without exceeding `extra`), then let the heap below
    // hand out the few left, exactly as it would have continued. The heap alone took ~2 x 896
    // pops per layer, a fifth of a 576-GPU solve.
    const auto above = [&](double lambda, std::size_t e) {  // #{k < max_count : w_e / k > lambda}
      const double x = w[e];
      if (!(x > lambda)) return 0;
      const double k0 = std::floor(x / lambda);
      int k = k0 >= max_count ? max_count - 1 : static_cast<int>(k0);
      while (k >= 1 && !(x / k > lambda)) --k;  // the estimate may be off by one in rounding
      while (k + 1 < max_count && x / (k + 1) > lambda) ++k;
      return k;
    };
    const auto seats = [&](double lambda) {
      std::size_t total = 0;
      for (std::size_t e = 0; e < w.size(); ++e) total += static_cast<std::size_t>(above(lambda, e));
      return total;
    };
    double lo = 0.0, hi = *std::max_element(w.begin(), w.end());  // seats(hi) = 0 <= extra
    if (hi > 0.0 && seats(lo) > extra) {  // else every positive quotient fits: the heap does it all
      std::size_t at_hi = 0;  // seats(hi), never above extra
      for (int it = 0; it < 100 && extra - at_hi > 16; ++it) {
        const double mid = 0.5 * (lo + hi);
        if (!(mid > lo && mid < hi)) break;
        const std::size_t at_mid = seats(mid);
        if (at_mid > extra) {
          lo = mid;
        } else {
          hi = mid;
          at_hi = at_mid;
        }
      }
      for (std::size_t e = 0; e < w.size(); ++e) count[e] += above(hi, e);
      extra -= at_hi;
    }
  }
  for (int e = 0; e < n; ++e)
    if (count[static_cast<std::size_t>(e)] < max_count)
      init.emplace_back(w[static_cast<std::size_t>(e)] / count[static_cast<std::size_t>(e)], -e);
  if (extra < init.size()) {
    std::nth_element(init.begin(), init.begin() + static_cast<std::ptrdiff_t>(extra) - 1, init.end(), std::greater<>());
    init.resize(extra);
  }
  std::priority_queue<std::pair<double, int>> heap(std::less<std::pair<double, int>>{}, std::move(init));
  for (std::size_t i = 0; i < extra && !heap.empty(); ++i) {
    const int e = -heap.top().second;
    heap.pop();
    auto& c = count[static_cast<std::size_t>(e)];
    ++c;
    if (c < max_count) heap.emplace(w[static_cast<std::size_t>(e)] / c, -e);
  }
  return count;
}

/// Largest load per replica under the given counts.
inline double max_per_replica(std::span<const double> w, std::span<const int> count) {
  double m = 0.0;
  for (std::size_t e = 0; e < w.size(); ++e) m = std::max(m, w[e] / count[e]);
  return m;
}

/// A lower bound on the largest bin when `items` go into `bins` bins of exactly `per_bin` items
/// each: the mean; the largest item plus the per_bin-1 smallest others (its bin holds that many);
/// and pigeonhole: among the k*bins+1 largest items some bin holds k+1, so the largest bin weighs at
/// least the k+1 smallest of them (k = 1 .. per_bin-1).
inline double slot_bound(std::vector<double> items, int bins, int per_bin) {
  if (items.empty()) return 0.0;
  std::sort(items.begin(), items.end(), std::greater<>());
  const double total = std::accumulate(items.begin(), items.end(), 0.0);
  double bound = std::max(total / bins, items.front());
  const auto n = items.size();
  if (per_bin > 1 && n >= static_cast<std::size_t>(per_bin)) {
    double smallest = 0.0;
    for (std::size_t i = 0; i + 1 < static_cast<std::size_t>(per_bin); ++i) smallest += items[n - 1 - i];
    bound = std::max(bound, items.front() + smallest);
  }
  for (int k = 1; k < per_bin; ++k) {
    const auto top = static_cast<std::size_t>(k) * static_cast<std::size_t>(bins) + 1;
    if (top > n) break;
    double s = 0.0;
    for (std::size_t i = 0; i <= static_cast<std::size_t>(k); ++i) s += items[top - 1 - i];
    bound = std::max(bound, s);
  }
  return bound;
}

/// A lower bound on the largest GPU load of any uniform-dispatch plan with two slots per GPU
/// (replica counts free, `gpus` GPUs, so 2 x gpus replicas). At a cap P, a replica above P/2 needs
/// a partner of at most P/2 on its GPU, so at most half the replicas are above P/2. Expert e's
/// replicas are all at most P/2 only with m_e = ceil(2 w_e / P) of them, and at most P only with
/// b_e = ceil(w_e / P); taking e above P/2 saves m_e - b_e replicas but spends b_e of the gpus
/// "above" places. The fewest replicas any plan under P needs is therefore at least
/// sum m_e - (fractional knapsack: values m_e - b_e, weights b_e, capacity gpus); if that exceeds
/// 2 x gpus, no plan stays under P. This need only falls as P grows, so a bisection on P gives the
/// bound (the largest P shown infeasible). Duplicates and the cap of one replica per GPU are
/// ignored (a relaxation: the bound stays valid).
inline double pair_bound(std::span<const double> w, int gpus) {
  double total = 0.0, top = 0.0;
  for (double x : w) {
    total += x;
    top = std::max(top, x);
  }
  if (!(total > 0.0) || gpus <= 0) return 0.0;
  const double slots = 2.0 * gpus;
  std::vector<std::pair<double, double>> items;  // (weight b_e, value m_e - b_e)
  items.reserve(w.size());
  const auto infeasible = [&](double cap) {
    double need = 0.0;
    items.clear();
    for (double x : w) {
      const double m = std::max(1.0, std::ceil(2.0 * x / cap)), b = std::max(1.0, std::ceil(x / cap));
      need += m;
      if (b < m) items.emplace_back(b, m - b);
    }
    if (need <= slots) return false;
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.second * b.first > b.second * a.first; });
    double room = gpus, saved = 0.0;
    for (const auto& [weight, value] : items) {
      if (room <= 0.0) break;
      const double take = std::min(1.0, room / weight);
      saved += take * value;
      room -= take * weight;
    }
    return need - saved > slots;
  };
  double lo = total / gpus, hi = std::max(lo, top);
  if (!infeasible(lo)) return lo;
  while (infeasible(hi)) hi *= 2.0;  // ends: at 2 x top every m_e is 1 and need = experts <= slots
  for (int it = 0; it < 60 && hi - lo > lo * 1e-12; ++it) {
    const double mid = 0.5 * (lo + hi);
    (infeasible(mid) ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace gpusched::moe::detail
