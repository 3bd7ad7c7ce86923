#pragma once
// wrap_placer: a layout and dispatch weights for weighted dispatch, built by McNaughton's
// wrap-around rule under slot limits. Every GPU gets a capacity of (load not yet placed) / (GPUs
// not yet filled) — total / GPUs when nothing goes wrong — and experts are poured onto the GPUs in
// a chain: an expert fills the current GPU's room and continues on the next GPU, so each GPU
// receives a few pieces of consecutive experts and every replica's share is its piece / the
// expert's load. A GPU's last free slot takes only an expert that fills the room (the smallest
// such: best fit), so no GPU is left short while slots remain; the max load then equals
// total / GPUs, the bound of any weighted plan. Experts are poured group by group, so a group
// occupies a run of consecutive GPUs (few domains). Slots the chain leaves free hold standby
// replicas (dispatch weight 0) of experts already in the same domain, so domains per group do
// not grow. A layer whose grouped chain leaves some GPU above (1 + max_imbalance) x mean is poured
// again as one pool, and if still above (or the chain does not fit the slots at all: it needs
// about experts + GPUs - 1 of them, so not on NVL72 with 288 slots nor without spare slots)
// placer<> + balance_dispatch is tried too; the layer keeps the best of these.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include "gpusched/moe/detail/per_layer.hpp"
#include "gpusched/moe/dispatch.hpp"
#include "gpusched/moe/metrics.hpp"
#include "gpusched/moe/placement.hpp"
#include "gpusched/moe/placer.hpp"
#include "gpusched/moe/problem.hpp"

namespace gpusched::moe {

/// Layout + dispatch weights that meet total / GPUs when the slots allow (see the header comment).
class wrap_placer {
 public:
  /// Pour experts group by group (locality); false: one pool of all experts (the best fit then
  /// has more choice).
  bool by_group = true;

  /// A grouped layer whose max / mean exceeds 1 + max_imbalance is poured again as one pool.
  double max_imbalance = 1e-3;

  /// Max over mean GPU load of a chain() result (infinity if empty).
  [[nodiscard]] static double peak_over_mean(const std::vector<std::pair<int, double>>& slots, std::span<const double> w,
                                             const problem& p) {
    if (slots.empty()) return std::numeric_limits<double>::infinity();
    const int S = p.cluster.slots_per_gpu;
    std::vector<double> load(static_cast<std::size_t>(p.cluster.gpus), 0.0);
    for (std::size_t s = 0; s < slots.size(); ++s)
      load[s / static_cast<std::size_t>(S)] += slots[s].second * w[static_cast<std::size_t>(slots[s].first)];
    const double total = std::accumulate(load.begin(), load.end(), 0.0);
    return total > 0.0 ? *std::max_element(load.begin(), load.end()) / (total / p.cluster.gpus) : 1.0;
  }

  /// One layer, or an empty result if the chain does not fit the slots.
  [[nodiscard]] std::vector<std::pair<int, double>> chain(std::span<const double> w, const problem& p) const {
    // Returns, per slot, (expert, share of its expert's tokens); empty on failure.
    const auto& c = p.cluster;
    const int G = c.gpus, S = c.slots_per_gpu, E = static_cast<int>(w.size());
    double left = std::accumulate(w.begin(), w.end(), 0.0);
    if (!(left > 0.0)) return {};
    const int pools = by_group ? p.groups : 1, pool_size = E / pools;
    std::vector<std::pair<int, double>> slot(static_cast<std::size_t>(G) * static_cast<std::size_t>(S), {-1, 0.0});
    std::vector<int> used(static_cast<std::size_t>(G), 0);
    std::vector<char> done(static_cast<std::size_t>(E), 0);
    int g = 0;
    double cap = left / G, fill = 0.0;
    const double tiny = cap * 1e-12;
    const auto next_gpu = [&] {
      left = std::max(0.0, left);
      ++g;
      fill = 0.0;
      if (g < G) cap = left / (G - g);
    };
    // Experts without load hold no piece: they go to free slots at the end.
    for (int e = 0; e < E; ++e)
      if (!(w[static_cast<std::size_t>(e)] > 0.0)) done[static_cast<std::size_t>(e)] = 1;
    for (int pool = 0; pool < pools; ++pool) {
      // Candidates: this pool and what earlier pools left (an expert of a group can be poured
      // after the next group's first expert when nothing of its own fits a room).
      const int lo = 0, hi = (pool + 1) * pool_size;
      for (;;) {
        if (g >= G) {
          for (int e = lo; e < E; ++e)
            if (!done[static_cast<std::size_t>(e)]) return {};  // ran out of GPUs (rounding)
          break;
        }
        const double room = cap - fill;
        const bool last_slot = used[static_cast<std::size_t>(g)] == S - 1;
        // An expert that fills the room (so no GPU is left short): the smallest such among those
        // below one GPU's capacity (best fit: small experts are what small rooms need); else the
        // one whose tail leaves the next GPU the smallest room (for the small experts to come).
        // Neither: the largest expert, which fits inside the room. Lowest index on ties.
        int fit_small = -1, fit_big = -1, largest = -1;
        double fit_big_room = 0.0;
        for (int e = lo; e < hi; ++e) {
          if (done[static_cast<std::size_t>(e)]) continue;
          const double we = w[static_cast<std::size_t>(e)];
          if (largest < 0 || we > w[static_cast<std::size_t>(largest)]) largest = e;
          if (we < room - tiny) continue;
          if (we < cap) {
            if (fit_small < 0 || we < w[static_cast<std::size_t>(fit_small)]) fit_small = e;
          } else {
            const double tail = std::fmod(we - room, cap);
            const double next_room = tail <= tiny ? 0.0 : cap - tail;
            if (fit_big < 0 || next_room < fit_big_room) {
              fit_big = e;
              fit_big_room = next_room;
            }
          }
        }
        if (largest < 0) break;  // pool empty
        int pick = fit_small >= 0 ? fit_small : fit_big;
        if (pick < 0) {
          if (last_slot && pool + 1 < pools) break;  // let the next pool fill this room
          pick = largest;                            // leaves this GPU short if it was the last slot
        }
        done[static_cast<std::size_t>(pick)] = 1;
        double rest = w[static_cast<std::size_t>(pick)];
        while (rest > 0.0) {  // the expert's pieces, one per GPU
          if (g >= G) return {};
          const bool last = g == G - 1;
          if (used[static_cast<std::size_t>(g)] == 0 && S >= 2 && !last && rest >= cap - tiny) {
            // The expert would fill this GPU alone: its second slot takes the smallest expert left
            // whole (small experts cannot fill a room, so they ride along here).
            int t = -1;
            for (int e = lo; e < hi; ++e)
              if (!done[static_cast<std::size_t>(e)] && (t < 0 || w[static_cast<std::size_t>(e)] < w[static_cast<std::size_t>(t)])) t = e;
            if (t >= 0 && w[static_cast<std::size_t>(t)] < cap - tiny) {
              done[static_cast<std::size_t>(t)] = 1;
              slot[static_cast<std::size_t>(g * S)] = {t, 1.0};
              used[static_cast<std::size_t>(g)] = 1;
              fill = w[static_cast<std::size_t>(t)];
              left -= fill;
            }
          }
          const double piece = last ? rest : std::min(rest, cap - fill);
          auto& u = used[static_cast<std::size_t>(g)];
          if (u >= S) return {};
          slot[static_cast<std::size_t>(g * S + u)] = {pick, piece / w[static_cast<std::size_t>(pick)]};
          ++u;
          fill += piece;
          left -= piece;
          rest -= piece;
          if (rest <= tiny * 1e-3 || (last && rest <= 0.0)) rest = 0.0;
          if (!last && (fill >= cap - tiny || u == S)) next_gpu();
        }
      }
    }
    // Free slots: experts without load first (anywhere), then standby replicas of experts already
    // in the same domain (nearest GPU first), weight 0.
    std::vector<int> zero;
    for (int e = 0; e < E; ++e)
      if (!(w[static_cast<std::size_t>(e)] > 0.0)) zero.push_back(e);
    const auto holds = [&](int gpu, int e) {
      for (int k = 0; k < used[static_cast<std::size_t>(gpu)]; ++k)
        if (slot[static_cast<std::size_t>(gpu * S + k)].first == e) return true;
      return false;
    };
    std::size_t zi = 0;
    for (int gpu = 0; gpu < G && zi < zero.size(); ++gpu)
      while (used[static_cast<std::size_t>(gpu)] < S && zi < zero.size())
        slot[static_cast<std::size_t>(gpu * S + used[static_cast<std::size_t>(gpu)]++)] = {zero[zi++], 0.0};
    if (zi < zero.size()) return {};
    const int D = c.gpus_per_domain;
    for (int gpu = 0; gpu < G; ++gpu) {
      const int d0 = gpu / D * D;
      for (int dist = 1; used[static_cast<std::size_t>(gpu)] < S && dist < D; ++dist)
        for (int other : {gpu - dist, gpu + dist}) {
          if (other < d0 || other >= d0 + D) continue;
          for (int k = 0; k < used[static_cast<std::size_t>(other)] && used[static_cast<std::size_t>(gpu)] < S; ++k) {
            const int e = slot[static_cast<std::size_t>(other * S + k)].first;
            if (!holds(gpu, e)) slot[static_cast<std::size_t>(gpu * S + used[static_cast<std::size_t>(gpu)]++)] = {e, 0.0};
          }
        }
      for (int e = 0; e < E && used[static_cast<std::size_t>(gpu)] < S; ++e)  // a domain too small
        if (!holds(gpu, e)) slot[static_cast<std::size_t>(gpu * S + used[static_cast<std::size_t>(gpu)]++)] = {e, 0.0};
    }
    for (const auto& [e, share] : slot)
      if (e < 0) return {};  // fewer experts than slots on a GPU: only duplicates could fill it
    // Experts without load share their (zero) tokens uniformly.
    std::vector<int> n(static_cast<std::size_t>(E), 0);
    for (const auto& [e, share] : slot) ++n[static_cast<std::size_t>(e)];
    for (auto& [e, share] : slot)
      if (!(w[static_cast<std::size_t>(e)] > 0.0)) share = 1.0 / n[static_cast<std::size_t>(e)];
    return slot;
  }

  /// Solves every layer of `p` (the layers the chain cannot lay out: placer<> + balance_dispatch).
  [[nodiscard]] placement solve(const problem& p) const {
    validate(p);
    return detail::solve_each_layer(p, [&](int li, const std::vector<double>& w) {
      auto slots = chain(w, p);
      double peak = peak_over_mean(slots, w, p);
      if (by_group && !(peak <= 1.0 + max_imbalance)) {
        // Groups did not fit (or left GPUs short): one pool for this layer, if better.
        wrap_placer pooled = *this;
        pooled.by_group = false;
        auto other = pooled.chain(w, p);
        if (const double q = peak_over_mean(other, w, p); q < peak) {
          slots = std::move(other);
          peak = q;
        }
      }
      if (!(peak <= 1.0 + max_imbalance)) {
        // Still short somewhere (or no chain): placer<> + balance_dispatch, if better.
        problem one = p;  // this layer alone
        one.loads = p.loads.row(li);
        one.coactivation.clear();
        one.previous = nullptr;
        auto plan = placer<>{}.solve(one);
        balance_dispatch(one, plan);
        const auto load = gpu_loads(one, plan, 0);
        if (slots.empty() || load.maxCoeff() / load.mean() < peak) return std::move(plan.layers[0]);
      }
      std::vector<int> phy2log(slots.size());
      for (std::size_t s = 0; s < slots.size(); ++s) phy2log[s] = slots[s].first;
      auto l = make_layer(std::move(phy2log), p.experts());
      for (std::size_t s = 0; s < slots.size(); ++s) l.dispatch_weight[s] = slots[s].second;
      // Shares of one expert sum to 1 up to rounding: normalise.
      for (const auto& reps : l.logical_to_physical) {
        double sum = 0.0;
        for (int s : reps) sum += l.dispatch_weight[static_cast<std::size_t>(s)];
        if (sum > 0.0)
          for (int s : reps) l.dispatch_weight[static_cast<std::size_t>(s)] /= sum;
      }
      return l;
    });
  }
};

}  // namespace gpusched::moe
