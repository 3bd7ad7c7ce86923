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
  std::stable_sort(items.begin(), items.end(), [](const item& a, const item& b) { return a.size > b.size; });
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
    struct bin {
      double load = 0.0;
      std::vector<int> experts;
    };
    using partial = std::vector<bin>;  // kept sorted by load, descending
    std::vector<partial> parts;
    for (std::size_t r = 0; r < items.size() / G; ++r) {
      partial p(G);
      for (std::size_t g = 0; g < G; ++g) {
        p[g].load = items[r * G + g].size;
        p[g].experts.push_back(items[r * G + g].expert);
      }
      parts.push_back(std::move(p));
    }
    const auto spread = [&](std::size_t i) { return parts[i].front().load - parts[i].back().load; };
    std::priority_queue<std::pair<double, long long>> heap;
    for (std::size_t i = 0; i < parts.size(); ++i) heap.emplace(spread(i), -static_cast<long long>(i));
    while (heap.size() > 1) {
      const auto i = static_cast<std::size_t>(-heap.top().second);
      heap.pop();
      const auto j = static_cast<std::size_t>(-heap.top().second);
      heap.pop();
      auto& a = parts[i];
      auto& b = parts[j];
      for (std::size_t g = 0; g < G; ++g) {  // heaviest of a with lightest of b
        auto& dst = a[g];
        auto& src = b[G - 1 - g];
        dst.load += src.load;
        dst.experts.insert(dst.experts.end(), src.experts.begin(), src.experts.end());
      }
      std::stable_sort(a.begin(), a.end(), [](const bin& x, const bin& y) { return x.load > y.load; });
      partial().swap(b);
      heap.emplace(spread(i), -static_cast<long long>(i));
    }
    std::vector<int> map(items.size());
    const auto& done = parts[static_cast<std::size_t>(-heap.top().second)];
    for (std::size_t g = 0; g < G; ++g)
      for (std::size_t k = 0; k < done[g].experts.size(); ++k)
        map[g * static_cast<std::size_t>(s.slots_per_gpu) + k] = done[g].experts[k];
    return map;
  }
};

}  // namespace gpusched::moe::policies
