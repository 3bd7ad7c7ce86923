#pragma once
// layer_state: one layer's physical-to-logical map with per-GPU loads and per-expert replica
// lists kept up to date, and the two moves local search is made of — swapping the experts of two
// slots, and re-targeting a slot to another expert (which changes two replica counts).

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

namespace gpusched::moe::detail {

class layer_state {
 public:
  layer_state(std::span<const double> w, std::vector<int> phy2log, const pack_shape& s)
      : w_(w), s_(s), slot_(std::move(phy2log)), count_(w.size(), 0), first_(w.size() + 1, 0),
        hosts_(slot_.size()), size_(slot_.size()), load_(static_cast<std::size_t>(s.gpus), 0.0),
        order_(static_cast<std::size_t>(s.gpus)) {
    require(slot_.size() == static_cast<std::size_t>(s.slots()), "moe::layer_state", "map has the wrong number of slots");
    for (std::size_t p = 0; p < slot_.size(); ++p) {
      const int e = slot_[p];
      if (!(e >= 0 && static_cast<std::size_t>(e) < w.size())) throw error("moe::layer_state", "slot " + std::to_string(p) + " holds unknown expert " + std::to_string(e));
      ++count_[static_cast<std::size_t>(e)];
    }
    for (std::size_t e = 0; e < w.size(); ++e)
      if (!(count_[e] > 0)) throw error("moe::layer_state", "expert " + std::to_string(e) + " has no replica");
    index_hosts();
    for (std::size_t p = 0; p < slot_.size(); ++p) {
      size_[p] = size(slot_[p]);
      load_[static_cast<std::size_t>(gpu(static_cast<int>(p)))] += size_[p];
    }
    sort_gpus();
  }

  [[nodiscard]] int gpu(int slot) const noexcept { return slot / s_.slots_per_gpu; }
  [[nodiscard]] int expert(int slot) const noexcept { return slot_[static_cast<std::size_t>(slot)]; }
  [[nodiscard]] int count(int e) const noexcept { return count_[static_cast<std::size_t>(e)]; }
  [[nodiscard]] double size(int e) const noexcept { return w_[static_cast<std::size_t>(e)] / count(e); }
  /// Load of expert e (all its replicas).
  [[nodiscard]] double w(int e) const noexcept { return w_[static_cast<std::size_t>(e)]; }
  /// Load of the replica in slot x (cached: the inner loops of local search read it most).
  [[nodiscard]] double slot_size(int x) const noexcept { return size_[static_cast<std::size_t>(x)]; }
  [[nodiscard]] double load(int g) const noexcept { return load_[static_cast<std::size_t>(g)]; }
  [[nodiscard]] const pack_shape& shape() const noexcept { return s_; }
  [[nodiscard]] const std::vector<int>& map() const noexcept { return slot_; }
  [[nodiscard]] std::vector<int> release() && { return std::move(slot_); }
  /// Slots holding expert e.
  [[nodiscard]] std::span<const int> hosts(int e) const noexcept {
    const auto b = static_cast<std::size_t>(first_[static_cast<std::size_t>(e)]);
    return {hosts_.data() + b, static_cast<std::size_t>(count(e))};
  }

  /// Replicas of expert e on GPU g.
  [[nodiscard]] int on(int g, int e) const noexcept {
    int n = 0;
    for (int p = g * s_.slots_per_gpu; p < (g + 1) * s_.slots_per_gpu; ++p) n += slot_[static_cast<std::size_t>(p)] == e;
    return n;
  }
  /// Most loaded GPU (lowest index on ties).
  [[nodiscard]] int argmax() const noexcept { return order_.back(); }
  [[nodiscard]] double max_load() const noexcept { return load(order_.back()); }
  /// GPUs by increasing load (on ties the higher index first), kept sorted under moves: local
  /// search scans partners lightest first and stops at the first that cannot help.
  [[nodiscard]] std::span<const int> gpus_by_load() const noexcept { return order_; }

  /// Can slots x and y exchange experts without putting two replicas of one expert on a GPU?
  [[nodiscard]] bool can_swap(int x, int y) const noexcept {
    const int ex = expert(x), ey = expert(y), a = gpu(x), b = gpu(y);
    if (ex == ey || a == b) return false;
    return s_.allow_duplicates || (on(b, ex) == 0 && on(a, ey) == 0);
  }
  void swap(int x, int y) {
    const auto ux = static_cast<std::size_t>(x), uy = static_cast<std::size_t>(y);
    const int ex = slot_[ux], ey = slot_[uy];
    const double d = size_[ux] - size_[uy];
    // One GPU at a time, so that the order is exact but for the GPU being moved.
    auto& la = load_[static_cast<std::size_t>(gpu(x))];
    const double old_a = la;
    la -= d;
    resort(gpu(x), old_a);
    auto& lb = load_[static_cast<std::size_t>(gpu(y))];
    const double old_b = lb;
    lb += d;
    resort(gpu(y), old_b);
    replace_host(ex, x, y);
    replace_host(ey, y, x);
    std::swap(slot_[ux], slot_[uy]);
    std::swap(size_[ux], size_[uy]);
  }

  /// Can slot x hold expert `to` instead (its expert keeps a replica, no duplicate)?
  [[nodiscard]] bool can_retarget(int x, int to) const noexcept {
    const int from = expert(x);
    return from != to && count(from) > 1 && (s_.allow_duplicates || on(gpu(x), to) == 0);
  }
  /// Largest load, over the GPUs whose load would change, after re-targeting slot x to `to`.
  [[nodiscard]] double retarget_peak(int x, int to) const {
    for (const auto& [g, d] : delta_) dense_[static_cast<std::size_t>(g)] = -1;
    delta_.clear();
    const int from = expert(x);
    const double old_f = size(from), new_f = w_[static_cast<std::size_t>(from)] / (count(from) - 1);
    const double old_t = size(to), new_t = w_[static_cast<std::size_t>(to)] / (count(to) + 1);
    for (int h : hosts(from)) add_delta(gpu(h), h == x ? -old_f : new_f - old_f);
    for (int h : hosts(to)) add_delta(gpu(h), new_t - old_t);
    add_delta(gpu(x), new_t);
    double peak = -std::numeric_limits<double>::infinity();
    for (const auto& [g, d] : delta_) peak = std::max(peak, load_[static_cast<std::size_t>(g)] + d);
    return peak;
  }
  void retarget(int x, int to) {
    const int from = expert(x);
    for (int e : {from, to})
      for (int h : hosts(e)) load_[static_cast<std::size_t>(gpu(h))] -= size_[static_cast<std::size_t>(h)];
    slot_[static_cast<std::size_t>(x)] = to;
    --count_[static_cast<std::size_t>(from)];
    ++count_[static_cast<std::size_t>(to)];
    index_hosts();  // counts changed: rebuild the flat host lists (O(slots), rare next to evaluations)
    for (int e : {from, to})
      for (int h : hosts(e)) {
        size_[static_cast<std::size_t>(h)] = size(e);
        load_[static_cast<std::size_t>(gpu(h))] += size(e);
      }
    sort_gpus();  // many loads changed
  }

 private:
  // order_: ascending by (load, -index), so back() is the most loaded GPU with the lowest index.
  [[nodiscard]] bool lighter(int g, int h) const noexcept {
    const double lg = load_[static_cast<std::size_t>(g)], lh = load_[static_cast<std::size_t>(h)];
    return lg < lh || (lg == lh && g > h);
  }
  void sort_gpus() {
    std::iota(order_.begin(), order_.end(), 0);
    std::sort(order_.begin(), order_.end(), [&](int g, int h) { return lighter(g, h); });
  }
  // Moves GPU g to its place after its load changed from `old`: g is found by binary search on its
  // old key, its new place by binary search among the others, and the GPUs between shift by one
  // (a memmove). The insertion walk it replaces was ~15% of an NVL72 solve: near balance a swap
  // moves both GPUs past many others of almost equal load.
  void resort(int g, double old) {
    const double now = load_[static_cast<std::size_t>(g)];
    const auto before = [&](double key, int h_or_g, double lh, int h) {  // (lh, h) before (key, g)?
      return lh < key || (lh == key && h > h_or_g);
    };
    const auto first = order_.begin(), last = order_.end();
    const auto at = std::partition_point(first, last, [&](int h) {
      return before(old, g, h == g ? old : load_[static_cast<std::size_t>(h)], h);
    });
    const auto lighter_than_now = [&](int h) { return before(now, g, load_[static_cast<std::size_t>(h)], h); };
    if (now < old) {
      const auto to = std::partition_point(first, at, lighter_than_now);
      std::move_backward(to, at, at + 1);
      *to = g;
    } else {
      const auto to = std::partition_point(at + 1, last, lighter_than_now);
      std::move(at + 1, to, at);
      *(to - 1) = g;
    }
  }
  // Host lists flat, grouped by expert (first_ = offsets): no allocation per expert.
  void index_hosts() {
    first_[0] = 0;
    for (std::size_t e = 0; e < count_.size(); ++e) first_[e + 1] = first_[e] + count_[e];
    fill_.assign(first_.begin(), first_.end() - 1);
    for (std::size_t p = 0; p < slot_.size(); ++p)
      hosts_[static_cast<std::size_t>(fill_[static_cast<std::size_t>(slot_[p])]++)] = static_cast<int>(p);
  }
  void replace_host(int e, int from_slot, int to_slot) {
    auto* b = hosts_.data() + first_[static_cast<std::size_t>(e)];
    *std::find(b, b + count(e), from_slot) = to_slot;
  }
  // dense_[g] = index of g in delta_ or -1: O(1) per host, hot experts have hundreds.
  void add_delta(int g, double d) const {
    if (dense_.empty()) dense_.assign(load_.size(), -1);
    auto& i = dense_[static_cast<std::size_t>(g)];
    if (i >= 0) {
      delta_[static_cast<std::size_t>(i)].second += d;
      return;
    }
    i = static_cast<int>(delta_.size());
    delta_.emplace_back(g, d);
  }

  std::span<const double> w_;
  pack_shape s_;
  std::vector<int> slot_;
  std::vector<int> count_, first_, fill_, hosts_;
  std::vector<double> size_;
  std::vector<double> load_;
  std::vector<int> order_;
  mutable std::vector<std::pair<int, double>> delta_;  // scratch for retarget_peak
  mutable std::vector<int> dense_;
};

/// A 1-for-1 swap between the slots of GPU a and another GPU lowering the larger of the two new
/// loads below load(a) - eps: partners are tried lightest first and the best swap with the first
/// partner that has one is taken (first improvement by partner: measured on NVL72, as balanced as
/// the best over all partners in half the time). Returns {-1, -1} if none. Stops at the first swap
/// whose larger new load is <= good_enough.
inline std::pair<int, int> best_swap(const layer_state& st, int a, double eps,
                                     double good_enough = -std::numeric_limits<double>::infinity()) {
  const int S = st.shape().slots_per_gpu;
  const double la = st.load(a);
  double best = la - eps;
  std::pair<int, int> move{-1, -1};
  for (int b : st.gpus_by_load()) {
    if (b == a) continue;
    const double lb = st.load(b);
    // A swap moving d lowers the peak below best only if la - best < d < best - lb; partners come
    // lightest first, so none after this one can.
    if (lb >= 2.0 * best - la) break;
    for (int x = a * S; x < (a + 1) * S; ++x)
      for (int y = b * S; y < (b + 1) * S; ++y) {
        const double d = st.slot_size(x) - st.slot_size(y);
        if (d <= 0.0) continue;
        const double peak = std::max(la - d, lb + d);
        if (peak < best && st.can_swap(x, y)) {
          best = peak;
          move = {x, y};
          if (best <= good_enough) return move;
        }
      }
    if (move.first >= 0) return move;
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
      // GPU by GPU (no division per slot) and the cheap test first (can_swap scans two GPUs'
      // slots): with many duplicates (a hot expert's replicas paired with each other) this loop
      // was half of a 576-GPU solve. Same order of slots, so the same pick.
      const double la = st.load(a), sx = st.slot_size(x);
      for (int b = 0; b < G; ++b) {
        const double lb = st.load(b);
        for (int y = b * S; y < (b + 1) * S; ++y) {
          const double d = sx - st.slot_size(y);
          const double peak = std::max(la - d, lb + d);
          if (peak < best && st.can_swap(x, y)) {
            best = peak;
            pick = y;
          }
        }
      }
      if (!(pick >= 0)) throw error("moe::repair_duplicates", "cannot keep expert " + std::to_string(st.expert(x)) + " off GPU " + std::to_string(a) +
                  " twice (more replicas than GPUs?)");
      st.swap(x, pick);
    }
}

}  // namespace gpusched::moe::detail
