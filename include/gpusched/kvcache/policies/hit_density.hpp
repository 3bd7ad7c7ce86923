#pragma once
// hit_density: the library's default policy. A prefix-aware version of LHD (Beckmann et al.,
// "LHD: Improving Cache Hit Rate by Maximizing Hit Density", NSDI'18), learned online:
//
//  - every block belongs to a class: hits so far (0, 1, 2, 3+) x whether it is the last block of
//    its request (the last block is usually partial, so the next turn rarely reuses its hash) x
//    the length of the request that placed it (< 16, < 64, 64+ blocks: short prompts and early
//    turns vs long conversations, whose continuation is a different bet);
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
//    only while the LRU shadow leads by more than one standard deviation of its lead: both
//    shadows serve the same sampled requests, so the test is paired — per request, the
//    difference of their hits; sum D and sum of squares S (decayed together), LRU when
//    -D > sqrt(S). Where the rules agree on most requests, S is small and a real lead of either
//    shows early; noise alone does not flip the rule. Sampling by block hash keeps each sampled
//    block's reuse distance in proportion (SHARDS), so the shadows rank the two rules as the full
//    cache would, at this capacity, on this trace phase.
//
// Nothing is fitted to a trace: the class histograms start empty (then it is leaf-first LRU),
// decay by half every few capacity's worth of events, and the density table is rebuilt from
// them periodically. Cost: O(classes) per eviction (each class keeps its candidate; only classes
// whose list changed are rescanned), O(1) per access, O(classes x buckets) per
// rebuild (amortized over many operations), plus the shadows' work on ~1/16 of the accesses
// (R is lowered so that a shadow keeps >= 128 blocks; below 256 blocks the shadows are full size).

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "gpusched/kvcache/detail/slot_list.hpp"
#include "gpusched/kvcache/policies/leaf_first.hpp"
#include "gpusched/kvcache/policy.hpp"
#include "gpusched/kvcache/tier.hpp"

namespace gpusched::kvcache::policies {

/// Prefix-aware hit-density eviction with per-class reuse ages learned online (the default).
class hit_density {
 public:
  static constexpr std::string_view name = "hit_density";
  static constexpr std::size_t hit_levels = 4;     ///< hits so far: 0, 1, 2, 3+
  static constexpr std::size_t length_levels = 3;  ///< request length < 16, < 64, 64+ blocks
  static constexpr std::size_t classes = hit_levels * 2 * length_levels;  ///< x last block
  static_assert(classes <= 32, "victim() keeps one bit per class");
  /// The guard leaves the density rule only when the recency shadow leads by more than this many
  /// standard deviations of its lead (paired per request: sqrt of the summed squared differences).
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
    parent_.assign(n, no_slot);
    ghost_cap_ = learns() ? 2 * n : 0;
    ghost_live_.assign(ghost_cap_, 0);
    ghost_cls_.assign(ghost_cap_, 0);
    ghost_stamp_.assign(ghost_cap_, 0);
    start_shadows(n);
    ghost_head_ = ghost_count_ = 0;
    candidate_.fill(no_slot);
    dirty_ = all_classes;
    has_candidate_ = placed_ = 0;
    density_until_.fill(0);
    last_slot_ = no_slot;
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

  /// Ghost ids 0 .. 2 x capacity - 1: the ghosts live in the tier's index (`ghost_keeping`).
  [[nodiscard]] std::size_t ghost_ids() const noexcept { return ghost_cap_; }
  void on_insert(slot_t s, const access_info& a, std::uint32_t ghost, ghost_directory&) {
    tick(a);
    std::size_t hits = 0;
    if (ghost != no_ghost) {
      // A remembered block returns: a reuse at its age, and it keeps its history.
      record(ghost_cls_[ghost], now_ - ghost_stamp_[ghost], true);
      hits = std::min<std::size_t>(hit_levels - 1, ghost_cls_[ghost] % hit_levels + 1);
      ghost_live_[ghost] = 0;
    }
    // The tier links a block to the block placed just before it in the request (its parent);
    // remembered here so that the parent's class is rescanned when the block leaves (a wrong
    // guess, e.g. after a block that was not cached, only costs a rescan).
    parent_[s] = a.position > 0 ? last_slot_ : no_slot;
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
  std::uint32_t on_evict(slot_t s, ghost_directory& dir) {
    unlink(s);
    // The parent may have become a leaf: its class's candidate may change.
    if (const slot_t p = parent_[s]; p != no_slot) dirty_ |= 1u << cls_[p];
    return remember(cls_[s], stamp_[s], dir);
  }

  [[nodiscard]] slot_t victim(const tier_view& v) {
    // A wrapper's protections (queue_aware) change per call and are not seen here: no cache.
    if (v.protects_more()) return scan_all(v);
    for (int pass = 0;; ++pass) {
      // Rescan the classes whose tail changed since the last eviction (each keeps its candidate:
      // the first evictable leaf among its last `scan_depth` entries), then pick as scan_all.
      for (std::uint32_t m = dirty_; m != 0; m &= m - 1) {
        const auto c = static_cast<std::size_t>(std::countr_zero(m));
        candidate_[c] = scan_class(c, v);
        density_until_[c] = 0;
        if (candidate_[c] != no_slot) {
          candidate_stamp_[c] = stamp_[candidate_[c]];
          has_candidate_ |= 1u << c;
        } else {
          has_candidate_ &= ~(1u << c);
        }
      }
      dirty_ = 0;
      if (const std::uint64_t t = table_version(); t != seen_version_) {  // the table was rebuilt
        seen_version_ = t;
        density_until_.fill(0);
      }
      // The guard's choice of rule is fixed for this eviction: compute only that rule's pick.
      const bool by_density = follow_density();
      slot_t best = no_slot, oldest = no_slot;
      double best_density = 0;
      std::uint64_t best_stamp = 0, oldest_stamp = 0;
      for (std::uint32_t m = has_candidate_; m != 0; m &= m - 1) {
        const auto c = static_cast<std::size_t>(std::countr_zero(m));
        const std::uint64_t st = candidate_stamp_[c];
        const slot_t s = candidate_[c];
        if (!by_density) {
          if (oldest == no_slot || st < oldest_stamp) {
            oldest = s;
            oldest_stamp = st;
          }
          continue;
        }
        // A candidate's density changes only when its age enters the next bucket (or the table
        // is rebuilt): it is looked up again then, not on every eviction.
        if (now_ >= density_until_[c]) {
          const std::uint64_t age = (now_ - st) * age_scale_;
          candidate_density_[c] = table()[c][bucket(age)];
          density_until_[c] = st + (bucket_end(age) + age_scale_ - 1) / age_scale_;
        }
        const double d = candidate_density_[c];
        if (best == no_slot || d < best_density || (d == best_density && st < best_stamp)) {
          best = s;
          best_density = d;
          best_stamp = st;
        }
      }
      // The two rules disagree: follow the one whose sampled shadow cache has hit more lately.
      const slot_t pick = by_density ? best : oldest;
      if (pick == no_slot) return scan_all(v);  // only parents evictable: scan_all's fallback
      // A cached candidate pinned or given a child without passing through this policy's hooks
      // (a tier used without request hooks): rescan everything once.
      if (pass > 0 || (v.evictable(pick) && v.leaf(pick))) return pick;
      dirty_ = all_classes;
    }
  }

  /// Decayed hits of the guard's two sampled shadow caches {density, leaf-first LRU} ({0,0}
  /// when unguarded); for inspection and tests.
  [[nodiscard]] std::array<double, 2> shadow_hits() const noexcept;
  /// The guard's paired statistic: decayed sums over sampled requests of (density shadow's hits
  /// - LRU shadow's hits) and of its square ({0,0} when unguarded).
  [[nodiscard]] std::array<double, 2> shadow_lead() const noexcept;
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
  /// The class of a block with `hits` earlier reuses placed by a request of length level `level`
  /// (0: < 16 blocks, 1: < 64, 2: longer).
  [[nodiscard]] static constexpr std::uint8_t class_index(std::size_t hits, bool last,
                                                          std::size_t level) noexcept {
    return static_cast<std::uint8_t>(level * 2 * hit_levels + (last ? hit_levels : 0) + hits);
  }
  [[nodiscard]] static constexpr std::size_t length_level(std::size_t length) noexcept {
    return length < 16 ? 0 : (length < 64 ? 1 : 2);
  }

 private:
  struct histogram {
    std::array<double, buckets> hits{}, ends{};
  };

  // The first evictable leaf among the last `scan_depth` entries of class c (pinned blocks sit
  // near the front; the tails of some classes are mostly parents whose children sit in other
  // classes, which a deeper walk would keep re-reading on every eviction). With `fallback`, the
  // first evictable parent passed on the way is kept there too, unless one is already.
  [[nodiscard]] slot_t scan_class(std::size_t c, const tier_view& v,
                                  slot_t* fallback = nullptr) const noexcept {
    int steps = 0;
    for (slot_t s = lists_[c].tail(); s != no_slot && steps < scan_depth;
         s = links_.prev[s], ++steps) {
      if (!v.evictable(s)) continue;
      if (v.leaf(s)) return s;
      if (fallback != nullptr && *fallback == no_slot) *fallback = s;
    }
    return no_slot;
  }
  // victim() without the per-class cache: every class scanned, and a parent as the fallback
  // when no class has an evictable leaf in its window.
  [[nodiscard]] slot_t scan_all(const tier_view& v) const {
    slot_t best = no_slot, fallback = no_slot, oldest = no_slot;
    double best_density = 0;
    std::uint64_t best_stamp = 0;
    for (std::size_t c = 0; c < classes; ++c) {
      const slot_t s = scan_class(c, v, &fallback);
      if (s == no_slot) continue;
      if (oldest == no_slot || stamp_[s] < stamp_[oldest]) oldest = s;
      const double d = table()[c][bucket((now_ - stamp_[s]) * age_scale_)];
      if (best == no_slot || d < best_density || (d == best_density && stamp_[s] < best_stamp)) {
        best = s;
        best_density = d;
        best_stamp = stamp_[s];
      }
    }
    if (best == no_slot) return fallback;
    return follow_density() ? best : oldest;
  }

  [[nodiscard]] static std::size_t bucket(std::uint64_t age) noexcept {
    if (age < 8) return static_cast<std::size_t>(age / 2);              // buckets 0..3
    const auto octave = static_cast<std::size_t>(std::bit_width(age));  // >= 4
    const std::size_t b = octave * 4 + static_cast<std::size_t>((age >> (octave - 3)) & 3) - 12;
    return b < buckets ? b : buckets - 1;
  }
  // The smallest age above `age` in another bucket (never, past the last bucket).
  [[nodiscard]] static std::uint64_t bucket_end(std::uint64_t age) noexcept {
    if (bucket(age) == buckets - 1) return std::numeric_limits<std::uint64_t>::max() / 2;
    if (age < 8) return (age / 2 + 1) * 2;
    const auto shift = static_cast<unsigned>(std::bit_width(age)) - 3;  // 4 sub-buckets an octave
    return ((age >> shift) + 1) << shift;
  }
  [[nodiscard]] static double bucket_age(std::size_t b) noexcept {
    if (b < 4) return 2.0 * static_cast<double>(b) + 1.0;
    const std::size_t octave = (b + 12) / 4, sub = (b + 12) % 4;
    return static_cast<double>(std::uint64_t{1} << (octave - 1)) *
           (1.0 + (static_cast<double>(sub) + 0.5) / 4.0);
  }
  [[nodiscard]] std::uint8_t class_of(std::size_t hits, const access_info& a) const noexcept {
    const std::size_t length = a.length > 0 ? a.length : length_;
    return class_index(hits, a.position + 1 == length, length_level(length));
  }
  void tick(const access_info& a) {
    ++now_;
    if (a.position == 0) request_start_ = now_;
  }
  void place(slot_t s) {
    stamp_[s] = request_start_;  // one stamp per request: its blocks age together, in prefix order
    last_slot_ = s;
    const std::uint8_t c = cls_[s];
    dirty_ |= 1u << c;
    placed_ |= 1u << c;
    const slot_t at = cursor_[c];
    if (at == no_slot || at == s || stamp_[at] != request_start_)
      lists_[c].push_front(links_, s);
    else
      lists_[c].insert_after(links_, at, s);  // behind the request's previous block of the class
    cursor_[c] = s;
  }
  void unlink(slot_t s) {
    const std::uint8_t c = cls_[s];
    dirty_ |= 1u << c;
    if (cursor_[c] == s) cursor_[c] = links_.prev[s];
    lists_[c].unlink(links_, s);
  }
  // Remembers an evicted block in the ghost ring; returns its ghost id (the tier maps the block
  // to it in its own index), or no_ghost when this policy keeps no ghosts.
  std::uint32_t remember(std::uint8_t c, std::uint64_t stamp, ghost_directory& dir) {
    if (ghost_cap_ == 0) return no_ghost;
    if (ghost_count_ == ghost_cap_) {  // forget the oldest: its life ended unused
      const std::size_t g = ghost_head_;
      if (ghost_live_[g] != 0) {
        ghost_live_[g] = 0;
        dir.forget_ghost(static_cast<std::uint32_t>(g));
        record(ghost_cls_[g], now_ - ghost_stamp_[g], false);
      }
      if (++ghost_head_ == ghost_cap_) ghost_head_ = 0;
      --ghost_count_;
      // The next ghost to go is known now: start loading its index entry (usually not cached).
      if (ghost_live_[ghost_head_] != 0)
        dir.prefetch_ghost(static_cast<std::uint32_t>(ghost_head_));
    }
    std::size_t at = ghost_head_ + ghost_count_;
    if (at >= ghost_cap_) at -= ghost_cap_;
    ghost_live_[at] = 1;
    ghost_cls_[at] = c;
    ghost_stamp_[at] = stamp;
    ++ghost_count_;
    return static_cast<std::uint32_t>(at);
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
    ++version_;
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
  std::vector<slot_t> parent_;  // the slot placed before it in its inserting request, or no_slot
  // Ghosts: a ring of (live, class, stamp); the tier's index maps a ghost's block to its ring
  // position (its ghost id).
  std::size_t ghost_cap_ = 0, ghost_head_ = 0, ghost_count_ = 0;
  std::vector<std::uint8_t> ghost_live_;
  std::vector<std::uint8_t> ghost_cls_;
  std::vector<std::uint64_t> ghost_stamp_;
  bool guarded_ = true;
  struct shadows;  // the guard's two sampled caches (defined below: they hold tiers of this type)
  std::unique_ptr<shadows> shadows_;
  void start_shadows(std::size_t n);
  [[nodiscard]] bool follow_density() const noexcept;
  // victim()'s cache: each class's candidate and its stamp, valid unless the class's bit is set
  // in dirty_ (its list changed); has_candidate_: classes whose candidate is a slot.
  static constexpr std::uint32_t all_classes = (std::uint32_t{1} << classes) - 1;
  std::array<slot_t, classes> candidate_{};
  std::array<std::uint64_t, classes> candidate_stamp_{};
  // Each candidate's density, valid while now_ < density_until_ and the table is unchanged.
  std::array<double, classes> candidate_density_{};
  std::array<std::uint64_t, classes> density_until_{};
  std::uint64_t version_ = 0, seen_version_ = 0;  // table rebuilds; the cached densities' one
  // placed_: classes that received a block of the current request (pinned until it ends).
  std::uint32_t dirty_ = all_classes, has_candidate_ = 0, placed_ = 0;
  slot_t last_slot_ = no_slot;  // the slot placed last in the current request
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
  [[nodiscard]] std::uint64_t table_version() const noexcept {
    return teacher_ != nullptr ? teacher_->version_ : version_;
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
  double density_hits = 0, recency_hits = 0, lead = 0, lead_squares = 0;
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
    const auto dh = static_cast<double>(serve(density, sub, at, length, index));
    const auto rh = static_cast<double>(serve(recency, sub, at, length, index));
    density_hits += dh;
    recency_hits += rh;
    lead += dh - rh;
    lead_squares += (dh - rh) * (dh - rh);
    ++index;
    if (until_decay <= sub.blocks.size()) {
      until_decay = decay_every;
      density_hits *= 0.5;
      recency_hits *= 0.5;
      lead *= 0.5;
      lead_squares *= 0.5;
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
  // The last request's blocks, pinned when their classes were rescanned, are unpinned now. (This
  // request's resident prefix is pinned next, but each of its blocks is touched, so its class
  // rescanned, before the first insertion can ask for a victim.)
  dirty_ |= placed_;
  placed_ = 0;
  last_slot_ = no_slot;
  if (shadows_) {
    shadows_->density.policy().teacher_ = this;  // set per request: the owner may have moved
    shadows_->observe(r);
  }
}
inline std::array<double, 2> hit_density::shadow_hits() const noexcept {
  if (!shadows_) return {0.0, 0.0};
  return {shadows_->density_hits, shadows_->recency_hits};
}
inline std::array<double, 2> hit_density::shadow_lead() const noexcept {
  if (!shadows_) return {0.0, 0.0};
  return {shadows_->lead, shadows_->lead_squares};
}
inline bool hit_density::follow_density() const noexcept {
  if (!shadows_) return true;
  return -shadows_->lead <= guard_sigmas * std::sqrt(shadows_->lead_squares);
}

}  // namespace gpusched::kvcache::policies
