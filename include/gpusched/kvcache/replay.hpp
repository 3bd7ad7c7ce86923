#pragma once
// Single-tier trace replay. Semantics (used for every figure in docs/kvcache.md):
//   requests are served in arrival order; a request hits on its longest resident prefix; then each
//   of its blocks, in prefix order, is touched when resident or inserted (demand fill), evicting
//   what the policy names; the request's blocks stay pinned until it is done. A request longer
//   than the tier keeps what fits (blocks that find only pinned victims are not cached).

#include <cstdint>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/kvcache/block.hpp"
#include "gpusched/kvcache/future.hpp"
#include "gpusched/kvcache/lookahead.hpp"
#include "gpusched/kvcache/tier.hpp"

namespace gpusched::kvcache {

/// Options of a replay.
struct replay_options {
  std::uint32_t block_tokens = mooncake_block_tokens;  ///< tokens per block
  std::size_t lookahead = 0;  ///< W: the next W requests form the queue a queue-aware policy sees
};

/// What a replay measured.
struct replay_stats {
  std::uint64_t requests = 0;
  std::uint64_t blocks = 0;        ///< block accesses (one per hash id of a request)
  std::uint64_t hits = 0;          ///< blocks inside the longest resident prefix
  std::uint64_t inserts = 0;       ///< blocks filled on demand
  std::uint64_t evictions = 0;
  std::uint64_t not_cached = 0;    ///< blocks that could not be cached (all victims pinned)
  std::uint64_t tokens = 0;        ///< prompt tokens
  std::uint64_t saved_tokens = 0;  ///< prompt tokens whose KV came from the cache
  /// Block hit ratio: hits / blocks.
  [[nodiscard]] double hit_ratio() const noexcept {
    return blocks == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(blocks);
  }
  /// Prefill tokens saved / prompt tokens.
  [[nodiscard]] double token_hit_ratio() const noexcept {
    return tokens == 0 ? 0.0 : static_cast<double>(saved_tokens) / static_cast<double>(tokens);
  }
};

namespace detail {
/// Serves one request on tier t; `next_access` counts accesses for the oracle; `hashes` is
/// scratch space. Returns hits.
template <class P>
std::uint64_t serve(tier<P>& t, const request& r, std::uint64_t index, replay_stats& st,
                    const future_oracle* oracle, std::size_t& next_access,
                    std::uint32_t block_tokens, std::vector<std::uint64_t>& hashes) {
  if constexpr (requires { t.policy().on_request_begin(r, index); })
    t.policy().on_request_begin(r, index);
  const std::size_t n = r.blocks.size();
  // Each block is hashed once (the lookup and the insertion reuse it) and its index entry, most
  // likely not in cache, is requested `ahead` blocks before it is needed.
  constexpr std::size_t ahead = 4;
  hashes.resize(n);
  for (std::size_t i = 0; i < n; ++i) hashes[i] = tier<P>::hash(r.blocks[i]);
  for (std::size_t i = 0; i < n && i < ahead; ++i) t.prefetch_hash(hashes[i]);
  std::size_t prefix = 0;
  for (; prefix < n; ++prefix) {
    if (prefix + ahead < n) t.prefetch_hash(hashes[prefix + ahead]);
    const slot_t s = t.find(r.blocks[prefix], hashes[prefix]);
    if (s == no_slot) break;
    t.pin(s);  // pinned now so that filling the rest cannot evict the hit prefix
  }
  slot_t prev = no_slot;
  access_info a;
  a.request = index;
  a.length = static_cast<std::uint32_t>(n);
  a.time = r.arrival;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > prefix && i + ahead < n) t.prefetch_hash(hashes[i + ahead]);
    a.key = r.blocks[i];
    a.parent = i > 0 ? r.blocks[i - 1] : 0;
    a.position = static_cast<std::uint32_t>(i);
    const std::uint64_t tok = r.tokens_in_block(i, block_tokens);
    a.cost = static_cast<double>(tok);
    if (oracle != nullptr) a.next_use = oracle->next_use(next_access++);
    // Inside the prefix the slot is pinned already; past it, blocks may still be resident.
    slot_t s = i < prefix ? t.pinned_slot(i) : (i == prefix ? no_slot : t.find(a.key, hashes[i]));
    if (s != no_slot) {
      t.touch(s, a);
    } else {
      const auto in = t.insert(a, i == 0 ? no_slot : prev, hashes[i]);
      s = in.slot;
      if (s == no_slot) ++st.not_cached; else ++st.inserts;
      if (in.evicted) ++st.evictions;
    }
    if (s != no_slot) t.pin(s);
    prev = s;
    st.tokens += tok;
    if (i < prefix) st.saved_tokens += tok;
  }
  t.unpin_all();
  if constexpr (requires { t.policy().on_request_end(r, index); })
    t.policy().on_request_end(r, index);
  ++st.requests;
  st.blocks += n;
  st.hits += prefix;
  return prefix;
}
}  // namespace detail

/// Replays `source` through tier t. Policies that need the future (Belady) require `oracle`,
/// built from the same trace; a queue-aware policy sees the next options.lookahead requests.
template <class P, request_source S>
replay_stats replay(tier<P>& t, S& source, const replay_options& options = {},
                    const future_oracle* oracle = nullptr) {
  require(options.block_tokens > 0, "kvcache::replay", "block_tokens must be positive");
  if constexpr (needs_future<P>)
    require(oracle != nullptr, "kvcache::replay",
            std::string("policy ") + std::string(P::name) + " needs a future_oracle of the trace");
  constexpr bool queue_aware = requires { t.policy().attach_queue(static_cast<const queue_view*>(nullptr)); };
  replay_stats st;
  std::size_t next_access = 0;
  request r;
  std::uint64_t index = 0;
  std::vector<std::uint64_t> hashes;
  if (!queue_aware && options.lookahead == 0) {
    // No queue to show: pull straight from the source, reusing r's storage.
    while (source.next(r)) detail::serve(t, r, index++, st, oracle, next_access, options.block_tokens, hashes);
  } else {
    lookahead<S> window(source, options.lookahead);
    if constexpr (queue_aware) t.policy().attach_queue(static_cast<const queue_view*>(&window));
    while (window.next(r)) detail::serve(t, r, index++, st, oracle, next_access, options.block_tokens, hashes);
    if constexpr (queue_aware) t.policy().attach_queue(static_cast<const queue_view*>(nullptr));
  }
  if (oracle != nullptr)
    require(next_access == oracle->accesses(), "kvcache::replay",
            "the future_oracle was built from a different trace (access counts differ)");
  return st;
}

/// Convenience: replays requests held in memory (building the oracle when the policy needs it).
template <class P>
replay_stats replay(tier<P>& t, const std::vector<request>& requests,
                    const replay_options& options = {}) {
  if constexpr (!needs_future<P>) {
    if (options.lookahead == 0) {  // no queue: serve the stored requests without copying them
      require(options.block_tokens > 0, "kvcache::replay", "block_tokens must be positive");
      replay_stats st;
      std::size_t next_access = 0;
      std::vector<std::uint64_t> hashes;
      for (std::size_t i = 0; i < requests.size(); ++i)
        detail::serve(t, requests[i], i, st, nullptr, next_access, options.block_tokens, hashes);
      return st;
    }
  }
  vector_source src(requests);
  if constexpr (needs_future<P>) {
    vector_source pass1(requests);
    const future_oracle oracle = future_oracle::build(pass1);
    return replay(t, src, options, &oracle);
  } else {
    return replay(t, src, options);
  }
}

}  // namespace gpusched::kvcache
