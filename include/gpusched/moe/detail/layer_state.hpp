#pragma once
// layer_state: one layer's physical-to-logical map with per-GPU loads and per-expert replica
// lists kept up to date, and the two moves local search is made of — swapping the experts of two
// slots, and re-targeting a slot to another expert (which changes two replica counts).

#include <algorithm>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/moe/concepts.hpp"

namespace gpusched::moe::detail {

class layer_state {
 public:
  layer_state(std::span<const double> w, std::vector<int> phy2log, const pack_shape& s)
      : w_(w), s_(s), slot_(std::move(phy2log)), hosts_(w.size()), load_(static_cast<std::size_t>(s.gpus), 0.0) {
    require(slot_.size() == static_cast<std::size_t>(s.slots()), "moe::layer_state", "map has the wrong number of slots");
    for (std::size_t p = 0; p < slot_.size(); ++p) {
      const int e = slot_[p];
      if (!(e >= 0 && static_cast<std::size_t>(e) < w.size())) throw error("moe::layer_state", "slot " + std::to_string(p) + " holds unknown expert " + std::to_string(e));
      hosts_[static_cast<std::size_t>(e)].push_back(static_cast<int>(p));
    }
    for (std::size_t e = 0; e < w.size(); ++e)
      if (!(!hosts_[e].empty())) throw error("moe::layer_state", "expert " + std::to_string(e) + " has no replica");
    for (std::size_t p = 0; p < slot_.size(); ++p) load_[static_cast<std::size_t>(gpu(static_cast<int>(p)))] += size(slot_[p]);
  }

  [[nodiscard]] int gpu(int slot) const noexcept { return slot / s_.slots_per_gpu; }
  [[nodiscard]] int expert(int slot) const noexcept { return slot_[static_cast<std::size_t>(slot)]; }
  [[nodiscard]] int count(int e) const noexcept { return static_cast<int>(hosts_[static_cast<std::size_t>(e)].size()); }
  [[nodiscard]] double size(int e) const noexcept { return w_[static_cast<std::size_t>(e)] / count(e); }
  [[nodiscard]] double load(int g) const noexcept { return load_[static_cast<std::size_t>(g)]; }
  [[nodiscard]] const pack_shape& shape() const noexcept { return s_; }
  [[nodiscard]] const std::vector<int>& map() const noexcept { return slot_; }
  [[nodiscard]] std::vector<int> release() && { return std::move(slot_); }

  /// Replicas of expert e on GPU g.
  [[nodiscard]] int on(int g, int e) const noexcept {
    int n = 0;
    for (int p = g * s_.slots_per_gpu; p < (g + 1) * s_.slots_per_gpu; ++p) n += slot_[static_cast<std::size_t>(p)] == e;
    return n;
  }
  /// Most loaded GPU (lowest index on ties).
  [[nodiscard]] int argmax() const noexcept {
    return static_cast<int>(std::max_element(load_.begin(), load_.end()) - load_.begin());
  }
  [[nodiscard]] double max_load() const noexcept { return *std::max_element(load_.begin(), load_.end()); }

  /// Can slots x and y exchange experts without putting two replicas of one expert on a GPU?
  [[nodiscard]] bool can_swap(int x, int y) const noexcept {
    const int ex = expert(x), ey = expert(y), a = gpu(x), b = gpu(y);
    if (ex == ey || a == b) return false;
    return s_.allow_duplicates || (on(b, ex) == 0 && on(a, ey) == 0);
  }
  void swap(int x, int y) {
    const int ex = expert(x), ey = expert(y);
    const double d = size(ex) - size(ey);
    load_[static_cast<std::size_t>(gpu(x))] -= d;
    load_[static_cast<std::size_t>(gpu(y))] += d;
    replace_host(ex, x, y);
    replace_host(ey, y, x);
    std::swap(slot_[static_cast<std::size_t>(x)], slot_[static_cast<std::size_t>(y)]);
  }

  /// Can slot x hold expert `to` instead (its expert keeps a replica, no duplicate)?
  [[nodiscard]] bool can_retarget(int x, int to) const noexcept {
    const int from = expert(x);
    return from != to && count(from) > 1 && (s_.allow_duplicates || on(gpu(x), to) == 0);
  }
  /// Largest load, over the GPUs whose load would change, after re-targeting slot x to `to`.
  [[nodiscard]] double retarget_peak(int x, int to) const {
    delta_.clear();
    const int from = expert(x);
    const double old_f = size(from), new_f = w_[static_cast<std::size_t>(from)] / (count(from) - 1);
    const double old_t = size(to), new_t = w_[static_cast<std::size_t>(to)] / (count(to) + 1);
    for (int h : hosts_[static_cast<std::size_t>(from)]) add_delta(gpu(h), h == x ? -old_f : new_f - old_f);
    for (int h : hosts_[static_cast<std::size_t>(to)]) add_delta(gpu(h), new_t - old_t);
    add_delta(gpu(x), new_t);
    double peak = -std::numeric_limits<double>::infinity();
    for (const auto& [g, d] : delta_) peak = std::max(peak, load_[static_cast<std::size_t>(g)] + d);
    return peak;
  }
  void retarget(int x, int to) {
    const int from = expert(x);
    for (int e : {from, to})
      for (int h : hosts_[static_cast<std::size_t>(e)]) load_[static_cast<std::size_t>(gpu(h))] -= size(e);
    auto& hf = hosts_[static_cast<std::size_t>(from)];
    hf.erase(std::find(hf.begin(), hf.end(), x));
    hosts_[static_cast<std::size_t>(to)].push_back(x);
    slot_[static_cast<std::size_t>(x)] = to;
    for (int e : {from, to})
      for (int h : hosts_[static_cast<std::size_t>(e)]) load_[static_cast<std::size_t>(gpu(h))] += size(e);
  }

 private:
  void replace_host(int e, int from_slot, int to_slot) {
    auto& h = hosts_[static_cast<std::size_t>(e)];
    *std::find(h.begin(), h.end(), from_slot) = to_slot;
  }
  void add_delta(int g, double d) const {
    for (auto& [gg, dd] : delta_)
      if (gg == g) {
        dd += d;
        return;
      }
    delta_.emplace_back(g, d);
  }

  std::span<const double> w_;
  pack_shape s_;
  std::vector<int> slot_;
  std::vector<std::vector<int>> hosts_;
  std::vector<double> load_;
  mutable std::vector<std::pair<int, double>> delta_;  // scratch for retarget_peak
};

/// Best 1-for-1 swap between the slots of GPU a and any other GPU: the one minimising the larger
/// of the two new loads, if that is below load(a) - eps. Returns {-1, -1} if none.
inline std::pair<int, int> best_swap(const layer_state& st, int a, double eps) {
  const int S = st.shape().slots_per_gpu;
  const double la = st.load(a);
  double best = la - eps;
  std::pair<int, int> move{-1, -1};
  for (int b = 0; b < st.shape().gpus; ++b) {
    if (b == a) continue;
    const double lb = st.load(b);
    if (lb >= best) continue;
    for (int x = a * S; x < (a + 1) * S; ++x)
      for (int y = b * S; y < (b + 1) * S; ++y) {
        const double d = st.size(st.expert(x)) - st.size(st.expert(y));
        if (d <= 0.0) continue;
        const double peak = std::max(la - d, lb + d);
        if (peak < best && st.can_swap(x, y)) {
          best = peak;
          move = {x, y};
        }
      }
  }
  return move;
}

/// Re-establishes "no expert twice on a GPU" by swapping a duplicate with a slot of another GPU,
/// choosing the swap that keeps the larger new load smallest; throws if no swap exists.
inline void repair_duplicates(layer_state& st) {
  if (st.shape().allow_duplicates) return;
  const int S = st.shape().slots_per_gpu, G = st.shape().gpus;
  for (int a = 0; a < G; ++a)
    for (int x = a * S; x < (a + 1) * S; ++x) {
      if (st.on(a, st.expert(x)) < 2) continue;
      double best = std::numeric_limits<double>::infinity();
      int pick = -1;
      for (int y = 0; y < G * S; ++y) {
        if (!st.can_swap(x, y)) continue;
        const double d = st.size(st.expert(x)) - st.size(st.expert(y));
        const double peak = std::max(st.load(a) - d, st.load(st.gpu(y)) + d);
        if (peak < best) {
          best = peak;
          pick = y;
        }
      }
      if (!(pick >= 0)) throw error("moe::repair_duplicates", "cannot keep expert " + std::to_string(st.expert(x)) + " off GPU " + std::to_string(a) +
                  " twice (more replicas than GPUs?)");
      st.swap(x, pick);
    }
}

}  // namespace gpusched::moe::detail
