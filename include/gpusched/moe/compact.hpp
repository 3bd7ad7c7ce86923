#pragma once
// compact_placer: uniform-dispatch placement that keeps each expert group in few domains while
// the most loaded GPU stays within a given distance of the layer's lower bound.
//
// Why not home domains (grouped_placer): a hot group's experts have large replicas, so a domain
// of only hot replicas reaches its share of the load with slots to spare, and a cold domain runs
// out of slots first; balance needs each domain to mix large and small replicas. Domains per
// group are weighted by the group's load, so the cheap way to mix is to spread the *cold* groups'
// small replicas and keep the hot groups together. Hence:
//   1. Replica counts by D'Hondt (the best max load per replica).
//   2. Pour: groups hottest first, each replica largest first, into the least loaded domain
//      already holding its group if it stays within the domain's share of the target, else into
//      the least loaded domain with a free slot (a new (group, domain) pair). The last, smallest
//      replicas go wherever slots are left, so the cold groups spread and the domains end
//      unbalanced; the search below repairs that.
//   3. Inside each domain: Karmarkar-Karp onto its GPUs.
//   4. Balance search on the most loaded GPU: swaps between two GPUs and re-targeted slots (an
//      extra replica of an expert of that GPU), first only those that add no (group, domain)
//      pair; when none helps, the helpful move that adds the least group load to the pairs.
//   5. Locality sweep: a (group, domain) pair with few replicas is emptied by swaps into domains
//      that hold the group already, when every swap keeps both GPUs within the target.
// `max_imbalance` sets the target (bound + max_imbalance x mean GPU load): larger = fewer domains
// per group (the benchmark sweeps it for the Pareto points).

#include <algorithm>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/moe/concepts.hpp"
#include "gpusched/moe/detail/bounds.hpp"
#include "gpusched/moe/detail/layer_state.hpp"
#include "gpusched/moe/detail/per_layer.hpp"
#include "gpusched/moe/placement.hpp"
#include "gpusched/moe/placer.hpp"
#include "gpusched/moe/policies/packing.hpp"
#include "gpusched/moe/policies/replication.hpp"
#include "gpusched/moe/problem.hpp"

namespace gpusched::moe {

namespace detail {

// One layer's search state: the placement (layer_state) plus replicas per (group, domain).
class compact_search {
 public:
  compact_search(std::span<const double> w, std::vector<int> map, const pack_shape& s,
                 const problem& p, std::vector<double> share)
      : st_(w, std::move(map), s),
        gpd_(p.cluster.gpus_per_domain),
        D_(p.cluster.domains()),
        group_size_(static_cast<int>(w.size()) / p.groups),
        share_(std::move(share)),
        n_(static_cast<std::size_t>(p.groups) * static_cast<std::size_t>(D_), 0) {
    for (std::size_t e = 0; e < w.size(); ++e)
      group_of_.push_back(static_cast<int>(e) / group_size_);
    for (int x = 0; x < s.slots(); ++x) {
      gpu_of_.push_back(x / s.slots_per_gpu);
      domain_of_.push_back(gpu_of_.back() / gpd_);
    }
    repair_duplicates(st_);
    for (int x = 0; x < s.slots(); ++x) ++pairs(group(st_.expert(x)), domain(x));
  }

  [[nodiscard]] layer_state& state() noexcept { return st_; }
  [[nodiscard]] std::vector<int> release() && { return std::move(st_).release(); }

  // Step 4: balance search; returns when the max load is <= target or no move lowers it.
  void balance(double target, int max_moves) {
    for (int moves = 0; moves < max_moves; ++moves) {
      const int a = st_.argmax();
      if (st_.load(a) <= target) return;
      if (!(step(a, false) || step(a, true))) return;
    }
  }

  // Step 5: empties (group, domain) pairs, fewest replicas first, by swaps that keep both GPUs
  // <= target and move the group's replicas only into domains that hold it already.
  void sweep(double target) {
    std::vector<std::pair<int, int>> order;  // (replicas, pair index)
    for (std::size_t i = 0; i < n_.size(); ++i)
      if (n_[i] > 0) order.emplace_back(n_[i], static_cast<int>(i));
    std::sort(order.begin(), order.end());
    const int S = st_.shape().slots_per_gpu;
    std::vector<std::pair<int, int>> done;  // swaps made for the current pair (undone on failure)
    for (const auto& [count, idx] : order) {
      const int g = idx / D_, d = idx % D_;
      if (n_[static_cast<std::size_t>(idx)] == 0) continue;
      done.clear();
      bool ok = true;
      for (int x = d * gpd_ * S; ok && x < (d + 1) * gpd_ * S; ++x) {
        if (group(st_.expert(x)) != g) continue;
        const int y = evacuation_partner(x, target);
        if (y < 0) {
          ok = false;
          break;
        }
        apply_swap(x, y);
        done.emplace_back(x, y);
      }
      if (!ok)
        for (auto it = done.rbegin(); it != done.rend(); ++it) apply_swap(it->first, it->second);
      (void)count;
    }
  }

 private:
  // Tables, not divisions: these sit in the innermost loops.
  [[nodiscard]] int group(int e) const noexcept { return group_of_[static_cast<std::size_t>(e)]; }
  [[nodiscard]] int domain(int slot) const noexcept {
    return domain_of_[static_cast<std::size_t>(slot)];
  }
  [[nodiscard]] int gpu(int slot) const noexcept { return gpu_of_[static_cast<std::size_t>(slot)]; }
  [[nodiscard]] int& pairs(int g, int d) noexcept {
    return n_[static_cast<std::size_t>(g) * static_cast<std::size_t>(D_) +
              static_cast<std::size_t>(d)];
  }
  [[nodiscard]] int pairs(int g, int d) const noexcept {
    return n_[static_cast<std::size_t>(g) * static_cast<std::size_t>(D_) +
              static_cast<std::size_t>(d)];
  }
  [[nodiscard]] double share(int g) const noexcept { return share_[static_cast<std::size_t>(g)]; }

  // Group load added to the (group, domain) pairs by moving one replica of group g from domain
  // `from` to domain `to` (negative when it empties a pair).
  [[nodiscard]] double move_cost(int g, int from, int to) const noexcept {
    if (from == to) return 0.0;
    return (pairs(g, to) == 0 ? share(g) : 0.0) - (pairs(g, from) == 1 ? share(g) : 0.0);
  }
  [[nodiscard]] double swap_cost(int x, int y) const noexcept {
    const int gx = group(st_.expert(x)), gy = group(st_.expert(y)), A = domain(x), B = domain(y);
    if (A == B || gx == gy) return 0.0;
    return move_cost(gx, A, B) + move_cost(gy, B, A);
  }
  // Re-targeting slot y to expert e: its old expert's group leaves, e's group enters y's domain.
  [[nodiscard]] double retarget_cost(int y, int e) const noexcept {
    const int gy = group(st_.expert(y)), ge = group(e), B = domain(y);
    if (gy == ge) return 0.0;
    return (pairs(ge, B) == 0 ? share(ge) : 0.0) - (pairs(gy, B) == 1 ? share(gy) : 0.0);
  }
  void apply_swap(int x, int y) {
    const int gx = group(st_.expert(x)), gy = group(st_.expert(y)), A = domain(x), B = domain(y);
    --pairs(gx, A);
    ++pairs(gx, B);
    --pairs(gy, B);
    ++pairs(gy, A);
    st_.swap(x, y);
  }
  void apply_retarget(int y, int e) {
    --pairs(group(st_.expert(y)), domain(y));
    ++pairs(group(e), domain(y));
    st_.retarget(y, e);
  }

  // One improving move for GPU a. Without `grow` only moves adding no pair, the best peak with
  // the lightest partner that has one (as the placer's refinement); with `grow` the least added
  // group load over all partners, then the lowest peak.
  bool step(int a, bool grow) {
    const int S = st_.shape().slots_per_gpu, N = st_.shape().slots();
    const double la = st_.load(a), eps = la * 1e-12;
    constexpr double inf = std::numeric_limits<double>::infinity();
    double best_cost = grow ? inf : 1e-15, best_peak = la - eps;
    int kind = 0, mx = -1, my = -1;  // kind 1: swap (mx, my); 2: re-target slot my to expert mx
    const auto better = [&](double cost, double peak) {
      if (!grow) return cost <= 1e-15 && peak < best_peak;
      return cost < best_cost - 1e-15 || (cost <= best_cost + 1e-15 && peak < best_peak);
    };
    for (int b : st_.gpus_by_load()) {
      if (b == a) continue;
      const double lb = st_.load(b);
      // A swap moving d lowers the peak below p only if la - p < d < p - lb: partners come
      // lightest first, so none after this one can (p = best peak without `grow`, else la).
      if (lb >= 2.0 * (grow ? la - eps : best_peak) - la) break;
      for (int x = a * S; x < (a + 1) * S; ++x)
        for (int y = b * S; y < (b + 1) * S; ++y) {
          // No d > 0 test: peak < la - eps implies it (and that branch mispredicts half the time).
          const double d = st_.slot_size(x) - st_.slot_size(y);
          const double peak = std::max(la - d, lb + d);
          if (peak >= (grow ? la - eps : best_peak)) continue;
          const double cost = swap_cost(x, y);
          if (better(cost, peak) && st_.can_swap(x, y)) {
            best_cost = cost;
            best_peak = peak;
            kind = 1;
            mx = x;
            my = y;
          }
        }
      if (!grow && kind != 0) break;
    }
    if (kind == 0 || grow) {
      for (int x = a * S; x < (a + 1) * S; ++x) {
        const int ex = st_.expert(x);
        const double grown = st_.w(ex) / (st_.count(ex) + 1);
        for (int y = 0; y < N; ++y) {
          // y's GPU ends at load - slot_size(y) + grown at least; the cost is cheap too: both
          // before the full peak, which walks the hosts of two experts.
          const double floor = st_.load(gpu(y)) - st_.slot_size(y) + grown;
          if (gpu(y) == a || floor >= la - eps) continue;
          const double cost = retarget_cost(y, ex);
          if (grow ? cost > best_cost + 1e-15 : cost > 1e-15) continue;
          if (floor >= best_peak && cost >= best_cost - 1e-15) continue;
          if (!st_.can_retarget(y, ex)) continue;
          const double peak = st_.retarget_peak(y, ex);
          if (peak < la - eps && better(cost, peak)) {
            best_cost = cost;
            best_peak = peak;
            kind = 2;
            mx = ex;
            my = y;
          }
        }
      }
    }
    if (kind == 1) apply_swap(mx, my);
    if (kind == 2) apply_retarget(my, mx);
    return kind != 0;
  }

  // A slot to swap with x (group g in domain d) that takes x's replica into a domain holding g
  // already, brings in a replica of a group d holds already (other than g), and keeps both GPUs
  // <= target; the one leaving the larger new load smallest, or -1.
  [[nodiscard]] int evacuation_partner(int x, double target) const {
    const int g = group(st_.expert(x)), A = domain(x), a = st_.gpu(x),
              per_domain = gpd_ * st_.shape().slots_per_gpu;
    double best = inf_;
    int pick = -1;
    for (int B = 0; B < D_; ++B) {
      if (B == A || pairs(g, B) == 0) continue;
      for (int y = B * per_domain; y < (B + 1) * per_domain; ++y) {
        const int gy = group(st_.expert(y));
        if (gy == g || pairs(gy, A) == 0 || !st_.can_swap(x, y)) continue;
        const double d = st_.slot_size(x) - st_.slot_size(y);
        const double peak = std::max(st_.load(a) - d, st_.load(st_.gpu(y)) + d);
        if (peak <= target && peak < best) {
          best = peak;
          pick = y;
        }
      }
    }
    return pick;
  }

  static constexpr double inf_ = std::numeric_limits<double>::infinity();
  layer_state st_;
  int gpd_, D_, group_size_;
  std::vector<double> share_;
  std::vector<int> n_;
  std::vector<int> group_of_, domain_of_, gpu_of_;
};

}  // namespace detail

/// Uniform-dispatch placement with few domains per expert group (see the header comment).
/// Replication chooses the replica counts the search starts from (replicate_for_pairs suits two
/// slots per GPU).
template <replication_policy Replication = policies::replicate_by_load>
class compact_placer {
 public:
  [[no_unique_address]] Replication replication{};
  /// The target: max GPU load <= lower bound + max_imbalance x mean GPU load. Smaller = better
  /// balance, more domains per group. Must be >= 0.
  double max_imbalance = 0.01;
  /// Safety cap on balance moves per layer.
  int max_moves = 1 << 16;
  /// Run the locality sweep (step 5).
  bool sweep = true;

  /// One layer: its loads in, its placement (uniform dispatch) out.
  [[nodiscard]] layer_placement solve_layer(std::span<const double> w, const problem& p) const {
    check(p);
    const auto& c = p.cluster;
    const int D = c.domains(), gpd = c.gpus_per_domain, S = c.slots_per_gpu, per_domain = gpd * S;
    const int E = static_cast<int>(w.size()), group_size = E / p.groups;
    const pack_shape s = shape_of(p, w);
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    const double mean = total / c.gpus, target = s.bound + max_imbalance * mean;
    std::vector<double> share(static_cast<std::size_t>(p.groups), 1.0 / p.groups);
    if (total > 0.0) {
      std::fill(share.begin(), share.end(), 0.0);
      for (int e = 0; e < E; ++e)
        share[static_cast<std::size_t>(e / group_size)] += w[static_cast<std::size_t>(e)] / total;
    }
    const auto counts = replication.replicate(w, s);

    // Step 2: pour replicas into domains.
    std::vector<int> group_order(static_cast<std::size_t>(p.groups));
    std::iota(group_order.begin(), group_order.end(), 0);
    std::stable_sort(group_order.begin(), group_order.end(), [&](int a, int b) {
      return share[static_cast<std::size_t>(a)] > share[static_cast<std::size_t>(b)];
    });
    std::vector<int> experts;
    experts.reserve(static_cast<std::size_t>(E));
    for (int g : group_order) {
      const auto first = experts.size();
      for (int e = g * group_size; e < (g + 1) * group_size; ++e) experts.push_back(e);
      std::stable_sort(
          experts.begin() + static_cast<std::ptrdiff_t>(first), experts.end(), [&](int a, int b) {
            return w[static_cast<std::size_t>(a)] / counts[static_cast<std::size_t>(a)] >
                   w[static_cast<std::size_t>(b)] / counts[static_cast<std::size_t>(b)];
          });
    }
    const double domain_target = total / D, fit = domain_target + max_imbalance * mean * gpd;
    std::vector<int> free(static_cast<std::size_t>(D), per_domain),
        on(static_cast<std::size_t>(E) * static_cast<std::size_t>(D), 0);
    std::vector<char> hosts(static_cast<std::size_t>(p.groups) * static_cast<std::size_t>(D), 0);
    std::vector<double> load(static_cast<std::size_t>(D), 0.0);
    std::vector<std::vector<int>> members(static_cast<std::size_t>(D));
    const int per_expert_cap = p.allow_duplicates ? per_domain : gpd;
    for (int e : experts) {
      const auto ue = static_cast<std::size_t>(e);
      const int g = e / group_size;
      const double size = w[ue] / counts[ue];
      for (int r = 0; r < counts[ue]; ++r) {
        int home = -1, any = -1, spare = -1;
        double home_proj = inf_, any_proj = inf_;
        for (int d = 0; d < D; ++d) {
          const auto ud = static_cast<std::size_t>(d);
          if (free[ud] == 0) continue;
          if (spare < 0) spare = d;
          if (on[ue * static_cast<std::size_t>(D) + ud] >= per_expert_cap) continue;
          const double proj = load[ud] + size;
          if (hosts[static_cast<std::size_t>(g) * static_cast<std::size_t>(D) + ud] &&
              proj < home_proj) {
            home_proj = proj;
            home = d;
          }
          if (proj < any_proj) {
            any_proj = proj;
            any = d;
          }
        }
        const int d = home >= 0 && home_proj <= fit ? home
                      : any >= 0                    ? any
                                                    : spare;  // spare: repaired later
        const auto ud = static_cast<std::size_t>(d);
        --free[ud];
        ++on[ue * static_cast<std::size_t>(D) + ud];
        hosts[static_cast<std::size_t>(g) * static_cast<std::size_t>(D) + ud] = 1;
        load[ud] += size;
        members[ud].push_back(e);
      }
    }

    // Step 3: each domain's replicas onto its GPUs (sizes w_e / counts_e: local load = replicas
    // there x that size).
    std::vector<int> map(static_cast<std::size_t>(s.slots()));
    pack_shape sub;
    sub.gpus = gpd;
    sub.slots_per_gpu = S;
    sub.allow_duplicates = true;  // a domain may need one; the repair below fixes GPUs globally
    const policies::pack_differencing pack;
    for (int d = 0; d < D; ++d) {
      auto& m = members[static_cast<std::size_t>(d)];
      std::sort(m.begin(), m.end());
      std::vector<int> local;
      std::vector<double> lw;
      std::vector<int> lc;
      for (int e : m) {
        if (!local.empty() && local.back() == e) {
          ++lc.back();
          lw.back() += w[static_cast<std::size_t>(e)] / counts[static_cast<std::size_t>(e)];
          continue;
        }
        local.push_back(e);
        lc.push_back(1);
        lw.push_back(w[static_cast<std::size_t>(e)] / counts[static_cast<std::size_t>(e)]);
      }
      const auto sub_map = pack.pack(lw, lc, sub);
      for (std::size_t k = 0; k < sub_map.size(); ++k)
        map[static_cast<std::size_t>(d * per_domain) + k] =
            local[static_cast<std::size_t>(sub_map[k])];
    }

    // Steps 4 and 5.
    detail::compact_search search(w, std::move(map), s, p, std::move(share));
    search.balance(target, max_moves);
    if (sweep) search.sweep(std::max(target, search.state().max_load()));
    return make_layer(std::move(search).release(), E);
  }

  /// Solves every layer of `p` (loads, cluster, groups, allow_duplicates).
  [[nodiscard]] placement solve(const problem& p) const {
    validate(p);
    return detail::solve_each_layer(
        p, [&](int, const std::vector<double>& w) { return solve_layer(w, p); });
  }

 private:
  static constexpr double inf_ = std::numeric_limits<double>::infinity();
  void check(const problem& p) const {
    require(max_imbalance >= 0.0 && max_imbalance < inf_, "moe::compact_placer",
            "max_imbalance must be finite and >= 0");
    require(max_moves >= 0, "moe::compact_placer", "max_moves must be >= 0");
    require(p.groups > 0 && p.experts() % p.groups == 0, "moe::compact_placer",
            "groups must divide the experts");
  }
};

}  // namespace gpusched::moe
