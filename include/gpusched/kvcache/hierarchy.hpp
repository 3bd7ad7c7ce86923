#pragma once
// hierarchy: tiers composed top (GPU HBM) to bottom (host memory, context-memory tier, storage),
// each with its own eviction policy, plus the rules between them: inclusion (inclusive or
// exclusive), what eviction does (drop or demote to the next tier), what a hit in a lower tier
// does (promote into HBM or read in place), admission and prefetch (policy slots), and
// load-or-recompute per request: of the resident prefix, load the part whose transfer beats
// recomputing it.
//
// Replay semantics are those of replay.hpp, with the hit prefix taken over all tiers. TTFT per
// request = queueing (FIFO over `gpus` prefill servers, arrivals from the trace) + KV loads
// (tiers' links used concurrently, each latency + bytes / bandwidth) + prefill of the tokens not
// loaded. Loading and prefill are not overlapped (conservative).
//
// Prefetch (replay with a queue depth W > 0): after serving a request that started at s and spent
// L on KV loads, the links are free until the next request starts at s' (FIFO over the servers);
// the prefetch policy may move lower-tier blocks of the waiting requests into HBM, each lower tier
// sending at most read_bandwidth x (s' - s - L - latency) bytes. Waiting requests are the next W
// in arrival order that had arrived by s (`prefetch_arrived_only`; false: all W, as a scheduler
// that knows its queue in advance). Blocks fetched in one window stay pinned until it closes.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <queue>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/core/units.hpp"
#include "gpusched/kvcache/block.hpp"
#include "gpusched/kvcache/detail/flat_map.hpp"
#include "gpusched/kvcache/lookahead.hpp"
#include "gpusched/kvcache/prefetch.hpp"
#include "gpusched/kvcache/tier.hpp"

namespace gpusched::kvcache {

/// Whether a block may live in several tiers at once.
enum class inclusion { exclusive, inclusive };
/// What happens to a block evicted from a tier.
enum class eviction_action { drop, demote };
/// What a hit in a lower tier does.
enum class lower_hit { promote, read_in_place };

/// Rates of the cost model. Defaults (until the cost part lands): DeepSeek-V3 in FP8 on GB200 as
/// stated in issue 5: 35 KB of KV per token (MLA: 61 layers x 576 values x 1 byte = 35,136 B,
/// DeepSeek-V3 config.json kv_lora_rank 512 + qk_rope_head_dim 64) and 20,000 prefill tokens/s.
struct kv_rates {
  byte_count bytes_per_token = units::kilobytes(35);
  double prefill_tokens_per_second = 20000.0;  ///< per GPU
  std::size_t gpus = 8;                        ///< prefill servers sharing the queue
};

/// Options of a hierarchy.
struct hierarchy_options {
  inclusion mode = inclusion::exclusive;
  eviction_action on_evict = eviction_action::demote;
  lower_hit on_lower_hit = lower_hit::promote;
  bool load_or_recompute = true;  ///< false: always load every resident prefix block
  bool prefetch_arrived_only = true;  ///< prefetch only for requests that have arrived
  std::uint32_t block_tokens = mooncake_block_tokens;
  kv_rates rates{};
};

/// Admission slot: admit everything.
struct admit_all {
  [[nodiscard]] bool admit(std::size_t /*tier*/, block_id /*b*/) { return true; }
};
/// Admission slot: a block enters tier `tier_index` and below only from its k-th use on.
class admit_after {
 public:
  explicit admit_after(std::uint32_t k = 2, std::size_t tier_index = 1) : k_(k), tier_(tier_index) {}
  void on_access(block_id b) {
    std::uint32_t& c = uses_.at_or_insert(b, 0);
    if (c < k_) ++c;
  }
  [[nodiscard]] bool admit(std::size_t tier, block_id b) const {
    if (tier < tier_) return true;
    const std::uint32_t c = uses_.find(b);
    return c != detail::flat_map64::npos && c >= k_;
  }

 private:
  std::uint32_t k_;
  std::size_t tier_;
  detail::flat_map64 uses_;
};

/// Per-tier counters of a hierarchy replay.
struct tier_stats {
  std::string name;
  std::uint64_t hits = 0;          ///< prefix blocks found in this tier
  std::uint64_t loaded = 0;        ///< of those, read to the GPU (lower tiers)
  std::uint64_t recomputed = 0;    ///< of those, recomputed because loading was slower
  std::uint64_t inserted = 0;      ///< blocks written into this tier (fills, promotions, demotions)
  std::uint64_t evictions = 0;
  std::uint64_t demotions = 0;     ///< evicted blocks moved to the next tier
  std::uint64_t prefetched = 0;    ///< blocks this (lower) tier sent up to HBM by prefetch
  byte_count bytes_read = 0;       ///< over the tier's link to the GPU
  byte_count bytes_written = 0;    ///< into the tier (lower tiers: over its link)
};

/// What a hierarchy replay measured.
struct hierarchy_stats {
  std::vector<tier_stats> tiers;
  std::uint64_t requests = 0, blocks = 0, hits = 0, tokens = 0, saved_tokens = 0;
  std::uint64_t prefetch_used = 0;  ///< prefetched blocks found in HBM by the request using them
  std::vector<double> ttft;  ///< seconds, per request in trace order
  [[nodiscard]] double hit_ratio() const noexcept {
    return blocks == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(blocks);
  }
  /// Percentile q in [0, 100] of TTFT (nearest rank).
  [[nodiscard]] double ttft_percentile(double q) const {
    require(!ttft.empty(), "kvcache::hierarchy_stats::ttft_percentile", "no requests replayed");
    require(q >= 0 && q <= 100, "kvcache::hierarchy_stats::ttft_percentile", "q must be in [0,100]");
    std::vector<double> v = ttft;
    const std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(std::ceil(q / 100.0 * static_cast<double>(v.size()))) - (q > 0 ? 1 : 0));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  }
  [[nodiscard]] double ttft_mean() const noexcept {
    double s = 0;
    for (const double x : ttft) s += x;
    return ttft.empty() ? 0.0 : s / static_cast<double>(ttft.size());
  }
};

/// Tiers top to bottom with admission and prefetch policies; see the header comment.
template <class Admission, prefetch_policy Prefetch, class... Tiers>
class basic_hierarchy {
 public:
  static constexpr std::size_t levels = sizeof...(Tiers);
  static_assert(levels >= 1, "a hierarchy needs at least one tier");

  basic_hierarchy(hierarchy_options o, Tiers... tiers)
      : o_(o), tiers_(std::move(tiers)...) {
    const char* where = "kvcache::hierarchy";
    require(o_.block_tokens > 0, where, "block_tokens must be positive");
    require(o_.rates.bytes_per_token > 0 && std::isfinite(o_.rates.bytes_per_token), where,
            "bytes_per_token must be positive");
    require(o_.rates.prefill_tokens_per_second > 0 && std::isfinite(o_.rates.prefill_tokens_per_second),
            where, "prefill_tokens_per_second must be positive");
    require(o_.rates.gpus > 0, where, "gpus must be positive");
    stats_.tiers.resize(levels);
    for (std::size_t k = 0; k < levels; ++k)
      with(k, [&](auto& t) { stats_.tiers[k].name = t.name().empty() ? "tier" + std::to_string(k) : t.name(); });
  }

  [[nodiscard]] Admission& admission() noexcept { return admit_; }
  [[nodiscard]] Prefetch& prefetcher() noexcept { return prefetch_; }
  template <std::size_t K>
  [[nodiscard]] auto& get() noexcept { return std::get<K>(tiers_); }
  [[nodiscard]] const hierarchy_stats& stats() const noexcept { return stats_; }

  /// Serves one request (in arrival order) and returns its time to first token.
  double serve(const request& r) {
    const std::uint64_t index = stats_.requests;
    // Request hooks of every tier's policy, as a single-tier replay calls them (the default's
    // guard samples requests there).
    std::apply([&](auto&... t) { (begin_request(t, r, index), ...); }, tiers_);
    const std::size_t n = r.blocks.size();
    level_.assign(n, levels);
    std::size_t prefix = n;  // the longest prefix resident in some tier
    for (std::size_t i = 0; i < n; ++i) {
      level_[i] = where(r.blocks[i]);
      if (level_[i] == levels && prefix == n) prefix = i;
    }
    if constexpr (requires { admit_.on_access(block_id{}); })
      for (const block_id b : r.blocks) admit_.on_access(b);
    // Load or recompute: choose j (blocks 0..j-1 come from the cache) minimizing load + prefill.
    const double bpb = o_.rates.bytes_per_token;
    std::array<double, levels> bytes{};
    double best_time = prefill(r, 0), best_load = 0, tokens_before = 0;
    std::size_t j = 0;
    for (std::size_t i = 0; i < prefix; ++i) {
      tokens_before += static_cast<double>(r.tokens_in_block(i, o_.block_tokens));
      bytes[level_[i]] += static_cast<double>(r.tokens_in_block(i, o_.block_tokens)) * bpb;
      const double load = load_time(bytes), t = load + prefill_after(r, tokens_before);
      if (!o_.load_or_recompute || t <= best_time) {
        best_time = t;
        best_load = load;
        j = i + 1;
      }
    }
    // Update the tiers: demand fill into the top tier, moves between tiers per the options.
    access_info a;
    a.request = stats_.requests;
    a.length = static_cast<std::uint32_t>(n);
    a.time = r.arrival;
    auto& top = std::get<0>(tiers_);
    for (std::size_t i = 0; i < n; ++i) {
      a.key = r.blocks[i];
      a.parent = i > 0 ? r.blocks[i - 1] : 0;
      a.position = static_cast<std::uint32_t>(i);
      a.cost = static_cast<double>(r.tokens_in_block(i, o_.block_tokens));
      const byte_count block_bytes = a.cost * bpb;
      const std::size_t planned = level_[i];
      if (i < prefix) {
        const std::size_t k = planned;
        ++stats_.tiers[k].hits;
        if (k == 0 && prefetched_.erase(a.key)) ++stats_.prefetch_used;
        if (k > 0 && i < j) {
          ++stats_.tiers[k].loaded;
          stats_.tiers[k].bytes_read += block_bytes;
        }
        if (k > 0 && i >= j) ++stats_.tiers[k].recomputed;
      }
      // Where the block is now: filling earlier blocks may have demoted or dropped it.
      const std::size_t k = planned == levels ? levels : where(a.key);
      if (k == 0) {
        const slot_t s = top.find(a.key);
        top.touch(s, a);
        top.pin(s);
        continue;
      }
      const bool keep_below = k < levels &&
                              (o_.mode == inclusion::inclusive || o_.on_lower_hit == lower_hit::read_in_place);
      if (k < levels) {
        if (keep_below) with(k, [&](auto& t) { t.touch(t.find(a.key), a); });
        else with(k, [&](auto& t) { t.erase(a.key); });  // exclusive promotion: it moves up
      }
      if (k < levels && o_.on_lower_hit == lower_hit::read_in_place && i < j) continue;
      if (!admit_.admit(0, a.key)) continue;
      const slot_t s = place(0, a, block_bytes);
      if (s != no_slot) top.pin(s);
      if (o_.mode == inclusion::inclusive)  // write through so every lower tier holds it too
        for (std::size_t d = 1; d < levels; ++d)
          if (where_in(d, a.key) == no_slot && admit_.admit(d, a.key)) place(d, a, block_bytes);
    }
    top.unpin_all();
    // TTFT: FIFO over gpus servers.
    while (free_at_.size() < o_.rates.gpus) free_at_.push(0.0);
    const double start = std::max(r.arrival, free_at_.top());
    free_at_.pop();
    free_at_.push(start + best_time);
    const double ttft = start - r.arrival + best_time;
    last_start_ = start;
    last_load_ = best_load;
    std::apply([&](auto&... t) { (end_request(t, r, index), ...); }, tiers_);
    stats_.ttft.push_back(ttft);
    ++stats_.requests;
    stats_.blocks += n;
    stats_.hits += prefix;
    for (std::size_t i = 0; i < n; ++i) {
      const auto tok = r.tokens_in_block(i, o_.block_tokens);
      stats_.tokens += tok;
      if (i < j) stats_.saved_tokens += tok;
    }
    return ttft;
  }

  /// Replays a whole source; with queue_depth W > 0 the next W requests form the queue that
  /// queue-aware tier policies and the prefetch policy see.
  template <request_source S>
  const hierarchy_stats& replay(S& source, std::size_t queue_depth = 0) {
    lookahead<S> window(source, queue_depth);
    const auto* q = static_cast<const queue_view*>(&window);
    std::apply([&](auto&... t) { (attach(t, q), ...); }, tiers_);
    request r;
    while (window.next(r)) {
      serve(r);
      if constexpr (!std::is_same_v<Prefetch, no_prefetch>)
        if (queue_depth > 0) prefetch_window(window.waiting_requests());
    }
    std::apply([&](auto&... t) { (attach(t, nullptr), ...); }, tiers_);
    return stats_;
  }

  /// Opens the prefetch window after the last served request with `waiting` as the queue (oldest
  /// first); replay() calls it. Returns the blocks moved.
  std::size_t prefetch_window(const std::deque<request>& waiting) {
    if (waiting.empty() || stats_.requests == 0) return 0;
    const double open = last_start_ + last_load_;
    const double close = std::max(waiting.front().arrival, free_at_.top());
    if (!(close > open)) return 0;
    std::size_t visible = waiting.size();
    if (o_.prefetch_arrived_only) {
      visible = 0;
      while (visible < waiting.size() && waiting[visible].arrival <= last_start_) ++visible;
    }
    if (visible == 0) return 0;
    window_ctx ctx(*this, waiting, visible);
    for (std::size_t k = 1; k < levels; ++k)
      with(k, [&](auto& t) {
        const double span = close - open - t.link().latency;
        ctx.budget_[k] = span > 0 ? span * t.link().read_bandwidth : 0.0;
      });
    prefetch_.prefetch(ctx);
    std::get<0>(tiers_).unpin_all();
    return ctx.moved_;
  }

 private:
  // The prefetch_context of one window.
  class window_ctx final : public prefetch_context {
   public:
    window_ctx(basic_hierarchy& h, const std::deque<request>& q, std::size_t visible)
        : h_(&h), q_(&q), visible_(visible) {}
    [[nodiscard]] std::size_t waiting_count() const override { return visible_; }
    [[nodiscard]] const request& waiting(std::size_t i) const override { return (*q_)[i]; }
    [[nodiscard]] std::size_t levels() const override { return basic_hierarchy::levels; }
    [[nodiscard]] std::size_t level(block_id b) const override { return h_->where(b); }
    [[nodiscard]] double budget(std::size_t k) const override {
      return k >= 1 && k < basic_hierarchy::levels ? budget_[k] : 0.0;
    }
    [[nodiscard]] double block_bytes(const request& r, std::size_t i) const override {
      return static_cast<double>(r.tokens_in_block(i, h_->o_.block_tokens)) * h_->o_.rates.bytes_per_token;
    }
    bool fetch(const request& r, std::size_t i) override {
      if (i >= r.blocks.size()) return false;
      const std::size_t k = h_->where(r.blocks[i]);
      if (k == 0 || k == basic_hierarchy::levels) return false;
      const double bytes = block_bytes(r, i);
      if (budget_[k] < bytes || !h_->admit_.admit(0, r.blocks[i])) return false;
      access_info a;
      a.key = r.blocks[i];
      a.parent = i > 0 ? r.blocks[i - 1] : 0;
      a.position = static_cast<std::uint32_t>(i);
      a.length = static_cast<std::uint32_t>(r.blocks.size());
      a.request = h_->stats_.requests;
      a.cost = static_cast<double>(r.tokens_in_block(i, h_->o_.block_tokens));
      a.time = h_->last_start_;
      // Into HBM first: if it has no room the block stays where it is.
      const slot_t s = h_->place(0, a, bytes);
      if (s == no_slot) return false;
      if (h_->o_.mode == inclusion::exclusive)
        h_->with(k, [&](auto& t) { t.erase(a.key); });  // (a demotion may have dropped it already)
      std::get<0>(h_->tiers_).pin(s);
      budget_[k] -= bytes;
      ++h_->stats_.tiers[k].prefetched;
      h_->stats_.tiers[k].bytes_read += bytes;
      h_->prefetched_.set(a.key, 1);
      ++moved_;
      return true;
    }
    std::array<double, basic_hierarchy::levels> budget_{};
    std::size_t moved_ = 0;

   private:
    basic_hierarchy* h_;
    const std::deque<request>* q_;
    std::size_t visible_;
  };

  template <class T>
  static void attach(T& t, const queue_view* q) {
    if constexpr (requires { t.policy().attach_queue(q); }) t.policy().attach_queue(q);
  }
  template <class T>
  static void begin_request(T& t, const request& r, std::uint64_t index) {
    if constexpr (requires { t.policy().on_request_begin(r, index); })
      t.policy().on_request_begin(r, index);
  }
  template <class T>
  static void end_request(T& t, const request& r, std::uint64_t index) {
    if constexpr (requires { t.policy().on_request_end(r, index); })
      t.policy().on_request_end(r, index);
  }
  template <class F>
  void with(std::size_t k, F&& f) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((k == I ? (f(std::get<I>(tiers_)), 0) : 0), ...);
    }(std::index_sequence_for<Tiers...>{});
  }
  [[nodiscard]] slot_t where_in(std::size_t k, block_id b) {
    slot_t s = no_slot;
    with(k, [&](auto& t) { s = t.find(b); });
    return s;
  }
  [[nodiscard]] std::size_t where(block_id b) {
    for (std::size_t k = 0; k < levels; ++k)
      if (where_in(k, b) != no_slot) return k;
    return levels;
  }
  /// Inserts into tier k; a victim is demoted to k+1 (exclusive) or dropped.
  slot_t place(std::size_t k, access_info a, byte_count block_bytes) {
    slot_t s = no_slot;
    block_id victim = 0;
    bool evicted = false;
    with(k, [&](auto& t) {
      const auto in = t.insert(a);
      s = in.slot;
      evicted = in.evicted;
      victim = in.victim;
    });
    if (s != no_slot) {
      ++stats_.tiers[k].inserted;
      stats_.tiers[k].bytes_written += block_bytes;
    }
    if (!evicted) return s;
    ++stats_.tiers[k].evictions;
    if (k == 0) prefetched_.erase(victim);
    if (o_.on_evict == eviction_action::demote && k + 1 < levels &&
        where_in(k + 1, victim) == no_slot && admit_.admit(k + 1, victim)) {
      ++stats_.tiers[k].demotions;
      access_info d;  // a demoted block enters the lower tier as a root (its position is not kept)
      d.key = victim;
      d.request = a.request;
      d.time = a.time;
      d.cost = a.cost;
      place(k + 1, d, block_bytes);
    }
    return s;
  }
  [[nodiscard]] double prefill(const request& r, double tokens_cached) const {
    return prefill_after(r, tokens_cached);
  }
  [[nodiscard]] double prefill_after(const request& r, double tokens_cached) const {
    const double total = static_cast<double>(std::max<std::uint64_t>(
        r.input_tokens, static_cast<std::uint64_t>(r.blocks.size()) * (r.input_tokens == 0 ? o_.block_tokens : 0)));
    return std::max(0.0, total - tokens_cached) / o_.rates.prefill_tokens_per_second;
  }
  [[nodiscard]] double load_time(const std::array<double, levels>& bytes) {
    double t = 0;
    for (std::size_t k = 1; k < levels; ++k)
      with(k, [&](auto& tr) { t = std::max(t, tr.link().read_time(bytes[k])); });
    return t;
  }

  hierarchy_options o_;
  std::tuple<Tiers...> tiers_;
  [[no_unique_address]] Admission admit_{};
  [[no_unique_address]] Prefetch prefetch_{};
  detail::flat_map64 prefetched_;  // fetched into HBM, not yet used nor evicted
  double last_start_ = 0, last_load_ = 0;
  hierarchy_stats stats_;
  std::vector<std::size_t> level_;
  std::priority_queue<double, std::vector<double>, std::greater<>> free_at_;
};

/// A hierarchy that admits every block and prefetches nothing:
/// hierarchy<tier<lru>, tier<s3fifo>, tier<arc>>.
template <class... Tiers>
using hierarchy = basic_hierarchy<admit_all, no_prefetch, Tiers...>;
/// A hierarchy that admits every block and prefetches the queue's blocks (replay with a depth).
template <class... Tiers>
using prefetching_hierarchy = basic_hierarchy<admit_all, prefetch_queue, Tiers...>;

}  // namespace gpusched::kvcache
