#pragma once
// Packing policies: which GPU each replica goes on, every GPU receiving exactly slots_per_gpu
// replicas. Replicas are items of size load / count; both policies try to keep an expert's
// replicas on distinct GPUs (the placer repairs what is left).

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <numeric>
#include <queue>
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
// Replicas in decreasing size (lowest expert first among equals). An expert's replicas are equal
// and adjacent in that order, so the experts are sorted (by an LSD radix sort on the sizes' bits:
// stable, so ties keep the lower expert first) and each is then repeated count times. A
// comparison sort of the replicas was ~15% of an NVL72 placer<> solve.
inline std::vector<item> replicas(std::span<const double> w, std::span<const int> counts, const pack_shape& s) {
  require(w.size() == counts.size(), "moe::pack", "loads and counts differ in length");
  std::size_t total = 0;
  for (std::size_t e = 0; e < w.size(); ++e) {
    if (!(counts[e] >= 1)) throw error("moe::pack", "expert " + std::to_string(e) + " has no replica");
    total += static_cast<std::size_t>(counts[e]);
  }
  require(total == static_cast<std::size_t>(s.slots()), "moe::pack", "replica counts do not sum to the slots");
  const std::size_t n = w.size();
  if (n == 0) return {};
  // For doubles >= +0 the bit patterns order like the values; ~bits orders them decreasing.
  std::vector<std::uint64_t> key(n), key2(n);
  std::vector<int> ex(n), ex2(n);
  bool radix = true;
  for (std::size_t e = 0; e < n; ++e) {
    const double size = w[e] / counts[e] + 0.0;  // + 0.0: -0.0 becomes +0.0
    radix = radix && size >= 0.0;                // NaN or negative: comparison sort below
    key[e] = ~std::bit_cast<std::uint64_t>(size);
    ex[e] = static_cast<int>(e);
  }
  if (radix) {
    std::array<std::array<std::size_t, 256>, 8> hist{};
    for (std::size_t e = 0; e < n; ++e)
      for (std::size_t d = 0; d < 8; ++d) ++hist[d][(key[e] >> (8 * d)) & 0xff];
    for (std::size_t d = 0; d < 8; ++d) {
      auto& h = hist[d];
      if (h[(key[0] >> (8 * d)) & 0xff] == n) continue;  // every key has this digit: nothing moves
      std::size_t sum = 0;
      for (auto& c : h) sum += std::exchange(c, sum);
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t at = h[(key[i] >> (8 * d)) & 0xff]++;
        key2[at] = key[i];
        ex2[at] = ex[i];
      }
      key.swap(key2);
      ex.swap(ex2);
    }
  } else {
    std::stable_sort(ex.begin(), ex.end(), [&](int a, int b) {
      return w[static_cast<std::size_t>(a)] / counts[static_cast<std::size_t>(a)] > w[static_cast<std::size_t>(b)] / counts[static_cast<std::size_t>(b)];
    });
  }
  std::vector<item> items;
  items.reserve(total);
  for (int e : ex) {
    const auto ue = static_cast<std::size_t>(e);
    for (int r = 0; r < counts[ue]; ++r) items.push_back({w[ue] / counts[ue], e});
  }
  return items;
}

// Slot-limited LPT on items in decreasing size: each goes to the least loaded GPU (lowest index
// among equals) with a free slot and no replica of its expert yet, else to the least loaded one
// with a free slot (repaired later). Open GPUs in a min-heap of (load, gpu): those popped because
// they hold the expert go back unchanged, so the pick is the first in (load, gpu) order.
inline std::vector<int> lpt(const std::vector<item>& items, const pack_shape& s) {
  const int S = s.slots_per_gpu;
  std::vector<int> map(items.size(), -1), used(static_cast<std::size_t>(s.gpus), 0);
  std::vector<std::pair<double, int>> open, skipped;  // heap of (load, gpu) of GPUs with a free slot
  open.reserve(static_cast<std::size_t>(s.gpus));
  for (int g = 0; g < s.gpus; ++g) open.emplace_back(0.0, g);  // ascending: already a min-heap
  const std::greater<> later;
  const auto holds = [&](int g, int e) {
    for (int k = 0; k < used[static_cast<std::size_t>(g)]; ++k)
      if (map[static_cast<std::size_t>(g * S + k)] == e) return true;
    return false;
  };
  for (const auto& it : items) {
    skipped.clear();
    std::pop_heap(open.begin(), open.end(), later);
    while (!s.allow_duplicates && holds(open.back().second, it.expert) && open.size() > 1) {
      skipped.push_back(open.back());
      open.pop_back();
      std::pop_heap(open.begin(), open.end(), later);
    }
    auto pick = open.back();
    open.pop_back();
    if (!skipped.empty() && holds(pick.second, it.expert)) {  // every open GPU holds it: the lightest
      skipped.push_back(pick);
      pick = skipped.front();
      skipped.erase(skipped.begin());
    }
    for (const auto& o : skipped) {
      open.push_back(o);
      std::push_heap(open.begin(), open.end(), later);
    }
    const auto [load, g] = pick;
    auto& u = used[static_cast<std::size_t>(g)];
    map[static_cast<std::size_t>(g * S + u++)] = it.expert;
    if (u < S) {
      open.emplace_back(load + it.size, g);
      std::push_heap(open.begin(), open.end(), later);
    }
  }
  return map;
}
}  // namespace detail_packing

/// Longest processing time first with slot limits: each replica, largest first, goes to the least
/// loaded GPU that has a free slot and no replica of its expert yet.
struct pack_lpt {
  using category = packing_tag;
  [[nodiscard]] std::vector<int> pack(std::span<const double> w, std::span<const int> counts, const pack_shape& s) const {
    return detail_packing::lpt(detail_packing::replicas(w, counts, s), s);
  }
};

/// Karmarkar-Karp differencing with slot limits: replicas in decreasing size are cut into rows of
/// `gpus` items (one per GPU, so an expert's consecutive replicas land on distinct GPUs); the two
/// partial solutions with the largest spread are merged, heaviest bins with lightest, until one
/// is left. Every GPU gets one item per row, so exactly slots_per_gpu replicas.
/// Exception: with more than two slots per GPU and a replica above the mean GPU load (the layer is
/// bound-limited: that replica's GPU cannot reach the mean), slot-limited LPT packs instead — the
/// big replicas' GPUs fill last, with the smallest replicas, which is what such a layer needs;
/// differencing balances sums and leaves the swaps to move the small replicas there one by one
/// (NVL72, Zipf 1.2: 164 swaps per layer from KK, 13 from LPT, see docs/moe.md).
struct pack_differencing {
  using category = packing_tag;
  [[nodiscard]] std::vector<int> pack(std::span<const double> w, std::span<const int> counts, const pack_shape& s) const {
    const auto items = detail_packing::replicas(w, counts, s);
    if (s.slots_per_gpu > 2 && !items.empty()) {
      double total = 0.0;
      for (const auto& it : items) total += it.size;
      if (items.front().size * s.gpus > total) return detail_packing::lpt(items, s);
    }
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
