#pragma once
// belady_bound: the hit ratio no demand-fill policy can beat under the replay semantics of
// replay.hpp, computed by Belady's rule on a relaxed model.
//
// Relaxed model: blocks are accessed one at a time in trace order; a resident block is a hit; a
// missing block is either cached (evicting any resident block: no pinning) or bypassed. There,
// furthest-next-use with bypass (evict the resident block used furthest in the future, or skip
// the incoming block when it is used later still) is optimal (Belady 1966; Mattson et al. 1970).
// Every replay of replay.hpp is a schedule of that model (pinning only forbids some evictions,
// refusing a block is a bypass) whose prefix hits are a subset of its block hits, so the relaxed
// optimum bounds every policy, the `belady` policy included (with requests longer than the tier,
// pinning makes furthest-next-use inside the tier fall below other policies; the bound does not).
//
// It is also tight in the prefix sense: on traces whose ids form a prefix tree a block's parent
// is used whenever it is, so its next use is never later; with ties broken towards the deeper
// block the resident set stays prefix-closed and every block hit is a prefix hit.
//
// Memory: the future_oracle (4 bytes per block access) plus O(capacity) for the cache.

#include <cstdint>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/kvcache/block.hpp"
#include "gpusched/kvcache/detail/flat_map.hpp"
#include "gpusched/kvcache/detail/indexed_heap.hpp"
#include "gpusched/kvcache/future.hpp"

namespace gpusched::kvcache {

/// What belady_bound measured (block accesses, optimal hits).
struct bound_stats {
  std::uint64_t blocks = 0;  ///< block accesses
  std::uint64_t hits = 0;    ///< hits of the optimal schedule of the relaxed model
  [[nodiscard]] double hit_ratio() const noexcept {
    return blocks == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(blocks);
  }
};

/// The relaxed-model optimum for `capacity` blocks over `source` (the trace `oracle` was built
/// from, read again from its start).
template <request_source S>
[[nodiscard]] bound_stats belady_bound(S& source, std::size_t capacity, const future_oracle& oracle) {
  const char* where = "kvcache::belady_bound";
  require(capacity < detail::no_slot, where, "capacity must be below 2^32-1 blocks");
  // Heap on the complement: the largest (next use, depth) on top.
  struct key {
    std::uint64_t next_use = 0;
    std::uint32_t position = 0;
    bool operator<(const key& o) const noexcept {
      return next_use != o.next_use ? next_use > o.next_use : position > o.position;
    }
  };
  detail::indexed_heap<key> heap;
  heap.reserve(capacity);
  detail::flat_map64 index(capacity);
  std::vector<block_id> keys(capacity, 0);
  std::vector<std::uint32_t> free;
  free.reserve(capacity);
  for (std::size_t s = capacity; s-- > 0;) free.push_back(static_cast<std::uint32_t>(s));
  bound_stats st;
  request r;
  std::size_t k = 0;
  while (source.next(r)) {
    for (std::size_t i = 0; i < r.blocks.size(); ++i) {
      const block_id b = r.blocks[i];
      const key mine{oracle.next_use(k++), static_cast<std::uint32_t>(i)};
      ++st.blocks;
      if (const std::uint32_t s = index.find(b); s != detail::flat_map64::npos) {
        ++st.hits;
        heap.set(s, mine);
        continue;
      }
      if (capacity == 0 || mine.next_use == never) continue;  // bypass
      if (free.empty()) {
        const std::uint32_t v = heap.top();
        if (!(heap.key(v) < mine)) continue;  // the incoming block is needed last: bypass it
        heap.erase(v);
        index.erase(keys[v]);
        free.push_back(v);
      }
      const std::uint32_t s = free.back();
      free.pop_back();
      keys[s] = b;
      index.set(b, s);
      heap.set(s, mine);
    }
  }
  require(k == oracle.accesses(), where,
          "the future_oracle was built from a different trace (access counts differ)");
  return st;
}

/// Convenience: the bound for requests held in memory (builds the oracle).
[[nodiscard]] inline bound_stats belady_bound(const std::vector<request>& requests, std::size_t capacity) {
  vector_source pass1(requests);
  const future_oracle oracle = future_oracle::build(pass1);
  vector_source pass2(requests);
  return belady_bound(pass2, capacity, oracle);
}

}  // namespace gpusched::kvcache
