#pragma once
// hit_density: the library's default policy. A prefix-aware version of LHD (Beckmann et al.,
// "LHD: Improving Cache Hit Rate by Maximizing Hit Density", NSDI'18), learned online:
//
//  - every block belongs to a class: hits so far (0, 1, 2, 3+) x whether it is the last block of
//    its request (the last block is usually partial, so the next turn rarely reuses its hash) x
//    its position in the request (< 16, < 64, 64+ blocks: shared prompts and early turns vs the
//    deep tail of a long conversation, whose continuation is less likely);
//  - for each class the policy learns, from what it observes, how old blocks are (in block
//    operations since their last access) when they are reused and when their life ends unused.
//    Evicted blocks are remembered as ghosts (2x the capacity): a ghost that comes back counts as
//    a reuse at its age, a ghost that is forgotten counts as an end. So the model sees reuses
//    that happen after the cache would have dropped the block — exactly what it must learn;
//  - a block's value is its hit density: expected reuses over expected remaining slot-time,
//    given its class and age. The victim is the evictable leaf of lowest density among the
//    oldest leaves of each class (so a parent never goes before its resident children).
//
//  - a guard against the learned model being wrong for a trace (set dueling with sampled shadow
//    caches, see `shadows` below): two small caches replay the same hash-sampled 1/16 of the
//    blocks at 1/16 of the capacity, one under the density rule — using the full cache's learned
//    table, ages scaled by the sampling rate, so it ranks blocks as the full cache does rather
//    than learning its own noisier table from 1/16 of the events — one under leaf-first LRU.
//    When the density's victim is not the one leaf-first LRU would evict, the policy follows LRU
//    only while the LRU shadow leads by more than one standard deviation of the hit counts'
//    sampling noise (sqrt(hits), Poisson), so noise alone does not flip the rule. Sampling by
//    block hash keeps each sampled block's reuse distance in proportion (SHARDS), so the shadows
//    rank the two rules as the full cache would, at this capacity, on this trace phase.
//
// Nothing is fitted to a trace: the class histograms start empty (then it is leaf-first LRU),
// decay by half every few capacity's worth of events, and the density table is rebuilt from
// them periodically. Cost: O(classes) per eviction, O(1) per access, O(classes x buckets) per
// rebuild (amortized over many operations), plus the shadows' work on ~1/16 of the accesses
// (R is lowered so that a shadow keeps >= 128 blocks; below 256 blocks the shadows are full size).

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "gpusched/kvcache/detail/flat_map.hpp"
#include "gpusched/kvcache/detail/slot_list.hpp"
#include "gpusched/kvcache/policies/leaf_first.hpp"
#include "gpusched/kvcache/policy.hpp"
#include "gpusched/kvcache/tier.hpp"

namespace gpusched::kvcache::policies {

/// Prefix-aware hit-density eviction with per-class reuse ages learned online (the default).
class hit_density {
 public:
  static constexpr std::string_view name = "hit_density";
  static constexpr std::size_t hit_levels = 4;       ///< hits so far: 0, 1, 2, 3+
  static constexpr std::size_t position_levels = 3;  ///< block position < 16, < 64, 64+
  static constexpr std::size_t classes = hit_levels * 2 * position_levels;  ///< x last block
  /// The guard leaves the density rule only when the recency shadow leads by more than this many
  /// standard deviations of the hit counts' sampling noise (sqrt of the hits, Poisson).
  static constexpr double guard_sigmas = 1.0;
  static constexpr int scan_depth = 8;            ///< entries looked at per class and eviction
  static constexpr std::size_t buckets = 4 * 40;  ///< log-spaced ages, 4 per octave

  /// `guarded`: arbitrate against leaf-first LRU (see the header comment); false: density only.
  explicit hit_density(bool guarded = true) : guarded_(guarded) {}

  void reserve(std::size_t n) {
    capacity_ = n;
    links_.reserve(n);
    for (auto& l : lists_) l.clear();
    cursor_.fill(no_slot);
    cls_.assign(n, 0);
    stamp_.assign(n, 0);
    key_.assign(n, 0);
    ghost_cap_ = learns() ? 2 * n : 0;
    ghost_key_.assign(ghost_cap_, 0);
    ghost_cls_.assign(ghost_cap_, 0);
    ghost_stamp_.assign(ghost_cap_, 0);
    start_shadows(n);
    ghost_index_ = detail::flat_map64(ghost_cap_);
    ghost_head_ = ghost_count_ = 0;
    for (auto& c : hist_) c = {};
    for (auto& c : density_) c.fill(0.0);
    // Rebuild the table every capacity/8 events; halve the counts every 8 capacities of events.
    rebuild_every_ = std::max<std::uint64_t>(64, n / 8);
    decay_every_ = std::max<std::uint64_t>(1024, 8 * static_cast<std::uint64_t>(n));
    until_rebuild_ = rebuild_every_;
    until_decay_ = decay_every_;
    now_ = request_start_ = 0;
  }

  void on_request_begin(const request& r, std::uint64_t index);

  void on_insert(slot_t s, const access_info& a) {
    tick(a);
    std::size_t hits = 0;
    if (const std::uint32_t g = ghost_index_.find(a.key); g != detail::flat_map64::npos) {
      // A remembered block returns: a reuse at its age, and it keeps its history.
      record(ghost_cls_[g], now_ - ghost_stamp_[g], true);
      hits = std::min<std::size_t>(hit_levels - 1, ghost_cls_[g] % hit_levels + 1);
      ghost_index_.erase(a.key);
    }
    key_[s] = a.key;
    cls_[s] = class_of(hits, a);
    place(s);
  }
  void on_hit(slot_t s, const access_info& a) {
    tick(a);
    const std::uint8_t c = cls_[s];
    record(c, now_ - stamp_[s], true);
    unlink(s);
    cls_[s] = class_of(std::min<std::size_t>(hit_levels - 1, c % hit_levels + 1), a);
    place(s);
  }
  void on_evict(slot_t s) {
    unlink(s);
    remember(key_[s], cls_[s], stamp_[s]);
  }

  [[nodiscard]] slot_t victim(const tier_view& v) {
    slot_t best = no_slot, fallback = no_slot, oldest = no_slot;
    double best_density = 0;
    std::uint64_t best_stamp = 0;
    for (std::size_t c = 0; c < classes; ++c) {
      // The oldest evictable leaf of the class among its last `scan_depth` entries (pinned blocks
      // sit near the front; with position classes the tails of shallow classes are mostly
      // parents, which a deeper walk would keep re-reading on every eviction).
      int steps = 0;
      for (slot_t s = lists_[c].tail(); s != no_slot && steps < scan_depth;
           s = links_.prev[s], ++steps) {
        if (!v.evictable(s)) continue;
        if (!v.leaf(s)) {
          if (fallback == no_slot) fallback = s;
          continue;
        }
        if (oldest == no_slot || stamp_[s] < stamp_[oldest]) oldest = s;
        const double d = table()[c][bucket((now_ - stamp_[s]) * age_scale_)];
        if (best == no_slot || d < best_density || (d == best_density && stamp_[s] < best_stamp)) {
          best = s;
          best_density = d;
          best_stamp = stamp_[s];
        }
        break;
      }
    }
    if (best == no_slot) return fallback;
    // The two rules disagree: follow the one whose sampled shadow cache has hit more lately.
    return follow_density() ? best : oldest;
  }

  /// Decayed hits of the guard's two sampled shadow caches {density, leaf-first LRU} ({0,0}
  /// when unguarded); for inspection and tests.
  [[nodiscard]] std::array<double, 2> shadow_hits() const noexcept;
  /// Whether the guard currently follows the density rule when the two rules disagree.
  [[nodiscard]] bool follows_density() const noexcept { return follow_density(); }
  /// Learned hit density of class c at age `age` (block operations); for inspection and tests.
  [[nodiscard]] double density(std::size_t c, std::uint64_t age) const {
    return density_[c][bucket(age)];
  }
  /// The class of a block with `hits` earlier reuses; `last`: last block of its request.
  [[nodiscard]] static constexpr std::uint8_t class_index(std::size_t hits, bool last) noexcept {
    return static_cast<std::uint8_t>((last ? hit_levels : 0) + hits);
  }
  /// The class of a block with `hits` earlier reuses at position level `level` (0: position
  /// < 16, 1: < 64, 2: deeper).
  [[nodiscard]] static constexpr std::uint8_t class_index(std::size_t hits, bool last,
                                                          std::size_t level) noexcept {
    return static_cast<std::uint8_t>(level * 2 * hit_levels + (last ? hit_levels : 0) + hits);
  }
  [[nodiscard]] static constexpr std::size_t position_level(std::uint32_t position) noexcept {
    return position < 16 ? 0 : (position < 64 ? 1 : 2);
  }

 private:
  struct histogram {
    std::array<double, buckets> hits{}, ends{};
  };

  [[nodiscard]] static std::size_t bucket(std::uint64_t age) noexcept {
    if (age < 8) return static_cast<std::size_t>(age / 2);              // buckets 0..3
    const auto octave = static_cast<std::size_t>(std::bit_width(age));  // >= 4
    const std::size_t b = octave * 4 + static_cast<std::size_t>((age >> (octave - 3)) & 3) - 12;
    return b < buckets ? b : buckets - 1;
  }
  [[nodiscard]] static double bucket_age(std::size_t b) noexcept {
    if (b < 4) return 2.0 * static_cast<double>(b) + 1.0;
    const std::size_t octave = (b + 12) / 4, sub = (b + 12) % 4;
    return static_cast<double>(std::uint64_t{1} << (octave - 1)) *
           (1.0 + (static_cast<double>(sub) + 0.5) / 4.0);
  }
  [[nodiscard]] std::uint8_t class_of(std::size_t hits, const access_info& a) const noexcept {
    const bool last = a.length > 0 ? a.position + 1 == a.length : a.position + 1 == length_;
    return class_index(hits, last, position_level(a.position));
  }
  void tick(const access_info& a) {
    ++now_;
    if (a.position == 0) request_start_ = now_;
  }
  void place(slot_t s) {
    stamp_[s] = request_start_;  // one stamp per request: its blocks age together, in prefix order
    const std::uint8_t c = cls_[s];
    const slot_t at = cursor_[c];
    if (at == no_slot || at == s || stamp_[at] != request_start_)
      lists_[c].push_front(links_, s);
    else
      lists_[c].insert_after(links_, at, s);  // behind the request's previous block of the class
    cursor_[c] = s;
  }
  void unlink(slot_t s) {
    const std::uint8_t c = cls_[s];
    if (cursor_[c] == s) cursor_[c] = links_.prev[s];
    lists_[c].unlink(links_, s);
  }
  void remember(block_id b, std::uint8_t c, std::uint64_t stamp) {
    if (ghost_cap_ == 0) return;
    if (ghost_count_ == ghost_cap_) {  // forget the oldest: its life ended unused
      const std::size_t g = ghost_head_;
      if (ghost_index_.find(ghost_key_[g]) == g) {
        ghost_index_.erase(ghost_key_[g]);
        record(ghost_cls_[g], now_ - ghost_stamp_[g], false);
      }
      ghost_head_ = (ghost_head_ + 1) % ghost_cap_;
      --ghost_count_;
    }
    const std::size_t at = (ghost_head_ + ghost_count_) % ghost_cap_;
    ghost_key_[at] = b;
    ghost_cls_[at] = c;
    ghost_stamp_[at] = stamp;
    ghost_index_.set(b, static_cast<std::uint32_t>(at));
    ++ghost_count_;
  }
  void record(std::uint8_t c, std::uint64_t age, bool hit) {
    if (!learns()) return;
    (hit ? hist_[c].hits : hist_[c].ends)[bucket(age)] += 1.0;
    if (--until_decay_ == 0) {
      until_decay_ = decay_every_;
      for (auto& h : hist_)
        for (std::size_t b = 0; b < buckets; ++b) {
          h.hits[b] *= 0.5;
          h.ends[b] *= 0.5;
        }
    }
    if (--until_rebuild_ == 0) {  // countdowns, not a modulo per event
      until_rebuild_ = rebuild_every_;
      rebuild();
    }
  }
  // density(c, a) = expected reuses after age a / expected slot-time after age a (LHD's ratio).
  void rebuild() {
    for (std::size_t c = 0; c < classes; ++c) {
      double hits = 0, events = 0, events_age = 0;
      for (std::size_t b = buckets; b-- > 0;) {
        const double n = hist_[c].hits[b] + hist_[c].ends[b];
        hits += hist_[c].hits[b];
        events += n;
        events_age += n * bucket_age(b);
        const double time = events_age - events * bucket_age(b) + events * 0.5;
        density_[c][b] = time > 0 ? hits / time : 0.0;
      }
    }
  }

  std::size_t capacity_ = 0, length_ = 0;
  detail::slot_links links_;
  std::array<detail::slot_list, classes> lists_;
  std::array<slot_t, classes> cursor_{};
  std::vector<std::uint8_t> cls_;
  std::vector<std::uint64_t> stamp_;
  std::vector<block_id> key_;
  // Ghosts: a ring of (key, class, stamp) with an index key -> ring position.
  std::size_t ghost_cap_ = 0, ghost_head_ = 0, ghost_count_ = 0;
  std::vector<block_id> ghost_key_;
  std::vector<std::uint8_t> ghost_cls_;
  std::vector<std::uint64_t> ghost_stamp_;
  bool guarded_ = true;
  struct shadows;  // the guard's two sampled caches (defined below: they hold tiers of this type)
  std::unique_ptr<shadows> shadows_;
  void start_shadows(std::size_t n);
  [[nodiscard]] bool follow_density() const noexcept;
  detail::flat_map64 ghost_index_;
  std::array<histogram, classes> hist_{};
  std::array<std::array<double, buckets>, classes> density_{};
  std::uint64_t rebuild_every_ = 64, decay_every_ = 1024, until_rebuild_ = 64, until_decay_ = 1024;
  std::uint64_t now_ = 0, request_start_ = 0;
  // A shadow follows its owner's learned table (ages scaled by the sampling rate) and learns none.
  const hit_density* teacher_ = nullptr;
  bool pupil_ = false;
  std::uint64_t age_scale_ = 1;
  [[nodiscard]] bool learns() const noexcept { return !pupil_; }
  [[nodiscard]] const std::array<std::array<double, buckets>, classes>& table() const noexcept {
    return teacher_ != nullptr ? teacher_->density_ : density_;
  }
  friend struct shadows;
};

/// The guard: two small caches fed the same spatially sampled sub-trace (SHARDS, Waldspurger et
/// al., FAST'15: blocks whose hash falls in 1/R of the hash space, capacity / R), one run by the
/// unguarded density rule, one by leaf-first LRU. Their recent hits say which rule suits the trace
/// now, at this capacity (set dueling, Qureshi et al., ISCA'07, with sampled ghost caches instead
/// of cache sets). Hits are decayed by half every 8 shadow capacities of sampled blocks.
struct hit_density::shadows {
  std::uint64_t mask = 0;  // sample a block when mix(id) & mask == 0 (R = mask + 1)
  tier<hit_density> density;
  tier<leaf_first> recency;
  request sub;  // the sampled blocks of the current request
  std::vector<std::uint32_t> at;
  double density_hits = 0, recency_hits = 0;
  std::uint64_t until_decay = 0, decay_every = 0, index = 0;
  shadows(std::uint64_t m, std::size_t cap)
      : mask(m),
        density(cap, pupil(m + 1)),
        recency(cap),
        decay_every(8 * static_cast<std::uint64_t>(cap)) {
    until_decay = decay_every;
  }
  // Serves one sampled request on a shadow tier (demand fill, as the replay does); returns hits.
  template <class P>
  // `at` holds each sampled block's position in the full request, so classes see the real
  // position and length.
  static std::uint64_t serve(tier<P>& t, const request& r, const std::vector<std::uint32_t>& at,
                             std::uint32_t length, std::uint64_t index) {
    if constexpr (requires { t.policy().on_request_begin(r, index); })
      t.policy().on_request_begin(r, index);
    const std::size_t n = r.blocks.size();
    std::size_t prefix = 0;
    for (; prefix < n; ++prefix) {
      const slot_t s = t.find(r.blocks[prefix]);
      if (s == no_slot) break;
      t.pin(s);
    }
    access_info a;
    a.request = index;
    a.length = length;
    slot_t prev = no_slot;
    for (std::size_t i = 0; i < n; ++i) {
      a.key = r.blocks[i];
      a.parent = i > 0 ? r.blocks[i - 1] : 0;
      a.position = at[i];
      slot_t s = i < prefix ? t.pinned_slot(i) : (i == prefix ? no_slot : t.find(a.key));
      if (s != no_slot)
        t.touch(s, a);
      else
        s = t.insert(a, i == 0 ? no_slot : prev).slot;
      if (s != no_slot) t.pin(s);
      prev = s;
    }
    t.unpin_all();
    return prefix;
  }
  void observe(const request& r) {
    sub.blocks.clear();
    at.clear();
    for (std::size_t i = 0; i < r.blocks.size(); ++i)
      if ((mix(r.blocks[i]) & mask) == 0) {
        sub.blocks.push_back(r.blocks[i]);
        at.push_back(static_cast<std::uint32_t>(i));
      }
    if (sub.blocks.empty()) return;
    const auto length = static_cast<std::uint32_t>(r.blocks.size());
    density_hits += static_cast<double>(serve(density, sub, at, length, index));
    recency_hits += static_cast<double>(serve(recency, sub, at, length, index));
    ++index;
    if (until_decay <= sub.blocks.size()) {
      until_decay = decay_every;
      density_hits *= 0.5;
      recency_hits *= 0.5;
    } else {
      until_decay -= sub.blocks.size();
    }
  }
  static hit_density pupil(std::uint64_t scale) {
    hit_density p(false);
    p.pupil_ = true;
    p.age_scale_ = scale;
    return p;
  }
  // splitmix64's finalizer: trace ids may be sequential, the sample must not be.
  static std::uint64_t mix(std::uint64_t x) noexcept {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
};

inline void hit_density::start_shadows(std::size_t n) {
  shadows_.reset();
  if (!guarded_ || n == 0) return;
  // R = 16, lowered so that a shadow keeps at least 128 blocks (R = 1 below 256 blocks).
  std::uint64_t r = 16;
  while (r > 1 && n / r < 128) r /= 2;
  shadows_ = std::make_unique<shadows>(r - 1, std::max<std::size_t>(1, n / r));
}
inline void hit_density::on_request_begin(const request& r, std::uint64_t) {
  length_ = r.blocks.size();
  if (shadows_) {
    shadows_->density.policy().teacher_ = this;  // set per request: the owner may have moved
    shadows_->observe(r);
  }
}
inline std::array<double, 2> hit_density::shadow_hits() const noexcept {
  if (!shadows_) return {0.0, 0.0};
  return {shadows_->density_hits, shadows_->recency_hits};
}
inline bool hit_density::follow_density() const noexcept {
  if (!shadows_) return true;
  const double d = shadows_->density_hits, r = shadows_->recency_hits;
  return r - d <= guard_sigmas * std::sqrt(r + d);
}

}  // namespace gpusched::kvcache::policies
