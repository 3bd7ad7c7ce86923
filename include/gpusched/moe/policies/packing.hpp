#pragma once
// Packing policies: which GPU each replica goes on, every GPU receiving exactly slots_per_gpu
// replicas. Replicas are items of size load / count; both policies try to keep an expert's
// replicas on distinct GPUs (the placer repairs what is left).

#include <algorithm>
#include <cstddef>
#include <functional>
#include <numeric>
#include <queue>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/moe/concepts.hpp"

namespace gpusched::moe::policies {
namespace detail_packing {
struct item {
  double size;
  int expert;
};
// Replicas in decreasing size (lowest expert first among equals).
inline std::vector<item> replicas(std::span<const double> w, std::span<const int> counts, const pack_shape& s) {
  require(w.size() == counts.size(), "moe::pack", "loads and counts differ in length");
  std::vector<item> items;
  items.reserve(static_cast<std::size_t>(s.slots()));
  for (std::size_t e = 0; e < w.size(); ++e) {
    if (!(counts[e] >= 1)) throw error("moe::pack", "expert " + std::to_string(e) + " has no replica");
    for (int r = 0; r < counts[e]; ++r) items.push_back({w[e] / counts[e], static_cast<int>(e)});
  }
  require(items.size() == static_cast<std::size_t>(s.slots()), "moe::pack", "replica counts do not sum to the slots");
  // Decreasing size, lowest expert first among equals (what a stable sort of this order gives).
  std::sort(items.begin(), items.end(),
            [](const item& a, const item& b) { return a.size != b.size ? a.size > b.size : a.expert < b.expert; });
  return items;
}
}  // namespace detail_packing

/// Longest processing time first with slot limits: each replica, largest first, goes to the least
/// loaded GPU that has a free slot and no replica of its expert yet.
struct pack_lpt {
  using category = packing_tag;
  [[nodiscard]] std::vector<int> pack(std::span<const double> w, std::span<const int> counts, const pack_shape& s) const {
    const auto items = detail_packing::replicas(w, counts, s);
    const int S = s.slots_per_gpu;
    std::vector<int> map(items.size(), -1), used(static_cast<std::size_t>(s.gpus), 0);
    std::set<std::pair<double, int>> open;  // (load, gpu) of GPUs with a free slot
    for (int g = 0; g < s.gpus; ++g) open.emplace(0.0, g);
    const auto holds = [&](int g, int e) {
      for (int k = 0; k < used[static_cast<std::size_t>(g)]; ++k)
        if (map[static_cast<std::size_t>(g * S + k)] == e) return true;
      return false;
    };
    for (const auto& it : items) {
      auto pick = open.begin();
      if (!s.allow_duplicates)
        for (auto i = open.begin(); i != open.end(); ++i)
          if (!holds(i->second, it.expert)) {
            pick = i;
            break;
          }
      auto [load, g] = *pick;  // falls back to the lightest GPU: repaired later
      open.erase(pick);
      map[static_cast<std::size_t>(g * S + used[static_cast<std::size_t>(g)]++)] = it.expert;
      if (used[static_cast<std::size_t>(g)] < S) open.emplace(load + it.size, g);
    }
    return map;
  }
};

/// Karmarkar-Karp differencing with slot limits: replicas in decreasing size are cut into rows of
/// `gpus` items (one per GPU, so an expert's consecutive replicas land on distinct GPUs); the two
/// partial solutions with the largest spread are merged, heaviest bins with lightest, until one
/// is left. Every GPU gets one item per row, so exactly slots_per_gpu replicas.
struct pack_differencing {
  using category = packing_tag;
  [[nodiscard]] std::vector<int> pack(std::span<const double> w, std::span<const int> counts, const pack_shape& s) const {
    const auto items = detail_packing::replicas(w, counts, s);
    const auto G = static_cast<std::size_t>(s.gpus);
    const std::size_t rows = items.size() / G;
    // Flat representation (no allocation per bin): a bin is a chain of items (next_item, tail
    // item); a partial solution is `gpus` bins at offset r*G of `load`/`head`/`tail`, kept sorted
    // by load, descending (ties: lower head item first, for determinism).
    std::vector<double> load(items.size());
    std::vector<int> head(items.size()), tail(items.size()), next_item(items.size(), -1);
    for (std::size_t i = 0; i < items.size(); ++i) {
      load[i] = items[i].size;
      head[i] = tail[i] = static_cast<int>(i);
    }
    const auto spread = [&](std::size_t r) { return load[r * G] - load[r * G + G - 1]; };
    std::priority_queue<std::pair<double, long long>> heap;
    for (std::size_t r = 0; r < rows; ++r) heap.emplace(spread(r), -static_cast<long long>(r));
    std::vector<std::size_t> order(G);
    std::vector<double> l2(G);
    std::vector<int> h2(G), t2(G);
    while (heap.size() > 1) {
      const auto i = static_cast<std::size_t>(-heap.top().second);
      heap.pop();
      const auto j = static_cast<std::size_t>(-heap.top().second);
      heap.pop();
      const std::size_t a = i * G, b = j * G;
      for (std::size_t g = 0; g < G; ++g) {  // heaviest of i with lightest of j
        const std::size_t src = b + G - 1 - g;
        load[a + g] += load[src];
        next_item[static_cast<std::size_t>(tail[a + g])] = head[src];
        tail[a + g] = tail[src];
      }
      std::iota(order.begin(), order.end(), std::size_t{0});
      std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        return load[a + x] != load[a + y] ? load[a + x] > load[a + y] : head[a + x] < head[a + y];
      });
      for (std::size_t g = 0; g < G; ++g) {
        l2[g] = load[a + order[g]];
        h2[g] = head[a + order[g]];
        t2[g] = tail[a + order[g]];
      }
      for (std::size_t g = 0; g < G; ++g) {
        load[a + g] = l2[g];
        head[a + g] = h2[g];
        tail[a + g] = t2[g];
      }
      heap.emplace(spread(i), -static_cast<long long>(i));
    }
    std::vector<int> map(items.size());
    const std::size_t done = static_cast<std::size_t>(-heap.top().second) * G;
    for (std::size_t g = 0; g < G; ++g) {
      std::size_t k = g * static_cast<std::size_t>(s.slots_per_gpu);
      for (int it = head[done + g]; it >= 0; it = next_item[static_cast<std::size_t>(it)]) map[k++] = items[static_cast<std::size_t>(it)].expert;
    }
    return map;
  }
};

}  // namespace gpusched::moe::policies
