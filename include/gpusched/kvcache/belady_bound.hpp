#pragma once
// belady_bound: the hit ratio no demand-fill policy can beat under the replay semantics of
// replay.hpp, computed exactly on a relaxed model in one pass and O(distinct blocks) memory.
//
// Relaxed model: blocks are accessed one at a time in trace order; a resident block is a hit; a
// missing block is either cached (evicting any resident block: no pinning) or bypassed. Every
// replay of replay.hpp is a schedule of that model (pinning only forbids some evictions, refusing
// a block is a bypass) whose prefix hits are a subset of its block hits, so the model's optimum
// bounds every policy, the `belady` policy included (with requests longer than the tier, pinning
// makes furthest-next-use inside the tier fall below other policies; the bound does not). On
// traces whose ids form a prefix tree the optimum is also reached with a prefix-closed resident
// set (furthest-next-use with bypass, ties to the deeper block: a parent is used whenever its
// child is), so every block hit is then a prefix hit and the bound is tight.
//
// How it is computed (why one forward pass suffices):
// 1. Intervals. Number the accesses 0, 1, 2, ... and call state s the cache after access s. A hit
//    at access t of a block last accessed at p needs the block in states p..t-1: its reuse
//    interval [p, t). The hits of a schedule are reuse intervals covering every state at most k
//    times (k = capacity); conversely such a set is a schedule (state s = the blocks whose chosen
//    interval contains s: from s-1 to s blocks are only dropped, plus the block accessed at s).
//    So the optimum is a largest set of reuse intervals of depth <= k.
// 2. Greedy. Taking intervals in order of right end and accepting one when the depth stays <= k
//    is optimal. Exchange: let O be optimal and equal to the greedy's choice before I = [p, t).
//    If the greedy rejects I, O cannot hold it (same earlier intervals). If it accepts I and O
//    does not, let x be the first state where O + I has depth k+1; the earlier intervals plus I
//    fit, so some J of O at x is a later one: it ends at or after t, covers [x, t), and O - J + I
//    fits and is as large. Right ends are access times, so the intervals come in that order
//    during one forward pass.
// 3. Depth test in O(k). Keep k numbers f_1..f_k ("slot free from": 0, or the access time t of
//    the last interval accepted into the slot). Invariant, for every access time q <= now:
//    max depth over states [q, now) = #{v : f_v > q}. Then I = [p, t) fits iff some f_v <= p;
//    accepting it replaces the largest f_v <= p by t. Check: for q >= p both sides grow by 1 (I
//    covers all of [q, t); t > q is counted, the replaced f_v <= p <= q was not). For q < p the
//    depth grows iff the max over [q, t) was reached only from p on, i.e. iff no f lies in
//    (q, p], i.e. iff the replaced value (the largest f <= p) was <= q: exactly when the count
//    grows. New states append depth 0 and leave both sides unchanged.
// Memory: the last access time of every distinct block (a hash map) plus at most k slot values;
// the trace is read once. Cost: O(1) per access plus O(log k) per hit.

#include <cstdint>
#include <iterator>
#include <set>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/kvcache/block.hpp"
#include "gpusched/kvcache/detail/flat_map.hpp"

namespace gpusched::kvcache {

/// What belady_bound measured (block accesses, optimal hits).
struct bound_stats {
  std::uint64_t blocks = 0;  ///< block accesses
  std::uint64_t hits = 0;    ///< hits of the optimal schedule of the relaxed model
  [[nodiscard]] double hit_ratio() const noexcept {
    return blocks == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(blocks);
  }
};

/// The relaxed-model optimum for `capacity` blocks over `source`, read once to its end.
template <request_source S>
[[nodiscard]] bound_stats belady_bound(S& source, std::size_t capacity) {
  // Access times are the map's 32-bit values (npos is reserved).
  constexpr std::uint64_t max_accesses = detail::flat_map64::npos;
  detail::flat_map64 last;        // block -> time of its latest access
  std::set<std::uint32_t> used;   // f_v > 0 (distinct: one acceptance per access time)
  std::size_t unused = capacity;  // slots still at f_v = 0
  bound_stats st;
  request r;
  while (source.next(r)) {
    for (const block_id b : r.blocks) {
      require(st.blocks < max_accesses, "kvcache::belady_bound", "more than 2^32-1 block accesses");
      const auto now = static_cast<std::uint32_t>(st.blocks++);
      std::uint32_t& at = last.at_or_insert(b, detail::flat_map64::npos);
      const std::uint32_t p = at;
      at = now;
      if (p == detail::flat_map64::npos) continue;  // first access: no reuse interval
      auto fit = used.upper_bound(p);               // the largest f <= p is just before it
      if (fit != used.begin()) {
        auto node = used.extract(std::prev(fit));  // reuse the node: no allocation per hit
        node.value() = now;
        used.insert(used.end(), std::move(node));  // now exceeds every f: constant-time hint
      } else if (unused > 0) {
        --unused;
        used.insert(used.end(), now);
      } else {
        continue;  // depth k somewhere on [p, now): the optimum misses this access
      }
      ++st.hits;
    }
  }
  return st;
}

/// Convenience: the bound for requests held in memory.
[[nodiscard]] inline bound_stats belady_bound(const std::vector<request>& requests,
                                              std::size_t capacity) {
  vector_source source(requests);
  return belady_bound(source, capacity);
}

}  // namespace gpusched::kvcache
