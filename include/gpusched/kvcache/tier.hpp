#pragma once
// tier: one level of the KV cache (GPU HBM, host memory, a context-memory tier, storage): a fixed
// number of block slots, the link that connects it to the GPU, and an eviction policy. It tracks
// for every resident block how many resident blocks extend it (its children), so policies can
// evict leaves of the prefix tree first, and pins the blocks of the request being served.

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/core/units.hpp"
#include "gpusched/kvcache/detail/slot_index.hpp"
#include "gpusched/kvcache/policies/lru.hpp"
#include "gpusched/kvcache/policy.hpp"
#include "gpusched/topology/router.hpp"

namespace gpusched::kvcache {

/// The link between a tier and the GPU that computes on its blocks.
struct tier_link {
  bytes_per_second read_bandwidth = std::numeric_limits<double>::infinity();   ///< tier -> GPU
  bytes_per_second write_bandwidth = std::numeric_limits<double>::infinity();  ///< GPU -> tier
  seconds latency = 0.0;  ///< per transfer

  /// A symmetric link with the bandwidth and latency of a topology route (per direction).
  [[nodiscard]] static tier_link from_route(const topology::route& r) {
    return symmetric(r.bandwidth, r.latency, "kvcache::tier_link::from_route");
  }
  /// A link moving `bandwidth` bytes/s each way with `latency` seconds per transfer.
  [[nodiscard]] static tier_link symmetric(bytes_per_second bandwidth, seconds latency,
                                           const char* where = "kvcache::tier_link::symmetric") {
    require(bandwidth > 0 && !std::isnan(bandwidth), where, "bandwidth must be positive");
    require(latency >= 0 && std::isfinite(latency), where, "latency must be finite and >= 0");
    return tier_link{bandwidth, bandwidth, latency};
  }
  /// Seconds to read `bytes` from the tier into the GPU (0 bytes cost nothing).
  [[nodiscard]] seconds read_time(byte_count bytes) const noexcept {
    return bytes <= 0 ? 0.0 : latency + bytes / read_bandwidth;
  }
};

/// One cache level holding up to `capacity` blocks under eviction policy P.
template <eviction_policy P = policies::lru>
class tier {
 public:
  /// A tier of `capacity` blocks; the policy instance carries its parameters.
  explicit tier(std::size_t capacity, P policy = P{}, tier_link link = {}, std::string name = "")
      : policy_(std::move(policy)), link_(link), name_(std::move(name)), capacity_(capacity) {
    require(capacity < no_slot, "kvcache::tier", "capacity must be below 2^32-1 blocks");
    keys_.assign(capacity, 0);
    link_of_.assign(capacity, slot_link{});
    children_.assign(capacity, 0);
    pinned_.assign(capacity, 0);
    free_.reserve(capacity);
    for (std::size_t s = capacity; s-- > 0;) free_.push_back(static_cast<slot_t>(s));
    policy_.reserve(capacity);
    std::size_t ids = capacity;
    if constexpr (ghost_keeping<P>) ids += policy_.ghost_ids();  // ghosts: ids >= capacity
    index_ = detail::slot_index(ids);
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t size() const noexcept { return capacity_ - free_.size(); }
  [[nodiscard]] const tier_link& link() const noexcept { return link_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] P& policy() noexcept { return policy_; }
  [[nodiscard]] const P& policy() const noexcept { return policy_; }

  /// The hash of block b that find / insert / prefetch_hash accept (computing it once per block
  /// saves re-hashing when a caller looks a block up and then inserts it).
  [[nodiscard]] static std::uint64_t hash(block_id b) noexcept { return detail::slot_index::hash(b); }
  /// Slot of block b, or no_slot.
  [[nodiscard]] slot_t find(block_id b) const noexcept { return find(b, hash(b)); }
  /// Slot of block b, or no_slot; `key_hash` = hash(b).
  [[nodiscard]] slot_t find(block_id b, std::uint64_t key_hash) const noexcept {
    const std::uint32_t v = index_.find(b, key_hash);
    if constexpr (ghost_keeping<P>) return v < capacity_ ? v : no_slot;  // ghosts are not resident
    return v;
  }
  [[nodiscard]] bool contains(block_id b) const noexcept { return find(b) != no_slot; }
  /// A hint that the block with hash `key_hash` will be looked up soon (starts loading its index
  /// entry, which is usually not in cache).
  [[gnu::always_inline]] void prefetch_hash(std::uint64_t key_hash) const noexcept {
    index_.prefetch(key_hash);
  }
  /// The block in slot s; resident children of slot s.
  [[nodiscard]] block_id key(slot_t s) const noexcept { return keys_[s]; }
  [[nodiscard]] std::uint32_t children(slot_t s) const noexcept { return children_[s]; }

  /// Records an access to the resident block in slot s.
  void touch(slot_t s, const access_info& a) { policy_.on_hit(s, a); }

  /// insert()'s default: find the parent block by its id.
  static constexpr slot_t lookup_parent = no_slot - 1;

  /// Outcome of insert(): the slot used (no_slot: not cached, every resident block was pinned)
  /// and the block evicted to make room, if any.
  struct inserted {
    slot_t slot = no_slot;
    bool evicted = false;
    block_id victim = 0;
  };

  /// Inserts block a.key (not resident), evicting a victim chosen by the policy when full.
  /// `parent_slot`, when known to the caller, saves looking up a.parent.
  inserted insert(const access_info& a, slot_t parent_slot = lookup_parent) {
    return insert(a, parent_slot, hash(a.key));
  }
  /// The same, with `key_hash` = hash(a.key).
  inserted insert(const access_info& a, slot_t parent_slot, std::uint64_t key_hash) {
    inserted out;
    if (capacity_ == 0) return out;
    slot_t s;
    if (free_.empty()) {
      if (pinned_count_ >= capacity_) return out;
      const slot_t v = policy_.victim(view());
      if (v == no_slot) return out;
      if (v >= capacity_ || pinned_[v] != 0) invalid_victim();
      out.evicted = true;
      out.victim = keys_[v];
      evict(v);
      s = v;  // the slot just freed (what the free list would hand out next)
    } else {
      s = free_.back();
      free_.pop_back();
    }
    keys_[s] = a.key;
    // One probe; a remembered block's entry (a ghost id) becomes its slot.
    const std::uint32_t had = index_.assign(a.key, key_hash, s);
    std::uint32_t ghost = no_ghost;
    if constexpr (ghost_keeping<P>)
      if (had != detail::slot_index::npos) ghost = static_cast<std::uint32_t>(had - capacity_);
    slot_link& l = link_of_[s];
    ++l.gen;
    children_[s] = 0;
    l.parent = no_slot;
    if (a.position > 0) {
      const slot_t p = parent_slot == lookup_parent ? find(a.parent) : parent_slot;
      if (p != no_slot) {
        l.parent = p;
        l.parent_gen = link_of_[p].gen;
        ++children_[p];
      }
    }
    if constexpr (ghost_keeping<P>) {
      ghost_directory d(index_, static_cast<std::uint32_t>(capacity_));
      policy_.on_insert(s, a, ghost, d);
    } else {
      policy_.on_insert(s, a);
    }
    out.slot = s;
    return out;
  }

  /// Removes block b if resident (a promotion out of an exclusive tier, an invalidation).
  bool erase(block_id b) {
    const slot_t s = find(b);  // a ghost is not resident
    if (s == no_slot) return false;
    require(pinned_[s] == 0, "kvcache::tier::erase", "block is pinned");
    remove(s);
    return true;
  }

  /// Pins slot s until unpin_all() (the blocks of the request being served).
  void pin(slot_t s) {
    if (pinned_[s] == 0) {
      pinned_[s] = 1;
      ++pinned_count_;
    }
    // Every call is listed, so pinned_slot(i) is the i-th pin of the request.
    if (pins_ == pinned_list_.size()) pinned_list_.resize(2 * pins_ + 64);
    pinned_list_[pins_++] = s;
  }
  /// The slot passed to the i-th pin() since the last unpin_all().
  [[nodiscard]] slot_t pinned_slot(std::size_t i) const noexcept { return pinned_list_[i]; }
  void unpin_all() noexcept {
    for (std::size_t i = 0; i < pins_; ++i) pinned_[pinned_list_[i]] = 0;
    pins_ = 0;
    pinned_count_ = 0;
  }
  [[nodiscard]] bool pinned(slot_t s) const noexcept { return pinned_[s] != 0; }

  /// The view policies receive in victim().
  [[nodiscard]] tier_view view() const noexcept {
    return tier_view(pinned_.data(), children_.data(), keys_.data());
  }

  /// Calls f(block) for every resident block (unspecified order).
  template <class F>
  void for_each_block(F&& f) const {
    index_.for_each([&](std::uint64_t k, std::uint32_t v) {
      if (v < capacity_) f(k);  // ghosts (values >= capacity) are not resident
    });
  }

 private:
  // Out of line, so the hot insert() stays small enough for the compiler to inline its callees.
  [[noreturn, gnu::noinline, gnu::cold]] static void invalid_victim() {
    throw error("kvcache::tier::insert",
                std::string("policy ") + std::string(P::name) + " chose an invalid or pinned victim");
  }
  void remove(slot_t v) {
    evict(v);
    free_.push_back(v);
  }
  // Frees slot v (its block leaves the tier); the caller reuses or lists the slot.
  void evict(slot_t v) {
    std::uint32_t ghost = no_ghost;
    if constexpr (ghost_keeping<P>) {
      ghost_directory d(index_, static_cast<std::uint32_t>(capacity_));
      ghost = policy_.on_evict(v, d);
    } else {
      policy_.on_evict(v);
    }
    slot_link& l = link_of_[v];
    const slot_t p = l.parent;
    if (p != no_slot && l.parent_gen == link_of_[p].gen && children_[p] > 0) --children_[p];
    // The victim's entry is known by its slot: retag it or remove it without a probe.
    if (ghost != no_ghost)
      index_.retag(v, static_cast<std::uint32_t>(capacity_ + ghost));
    else
      index_.erase_id(v);
    ++l.gen;  // orphans that pointed here no longer decrement the slot's next occupant
  }

  [[no_unique_address]] P policy_;
  tier_link link_;
  std::string name_;
  detail::slot_index index_;
  std::size_t capacity_;
  std::vector<block_id> keys_;
  // A slot's parent, the parent slot's generation when linked, and the slot's own generation
  // (bumped when its block leaves): read together when a block is evicted, so kept together.
  struct slot_link {
    slot_t parent = no_slot;
    std::uint32_t parent_gen = 0;
    std::uint32_t gen = 0;
  };
  std::vector<slot_link> link_of_;
  std::vector<std::uint32_t> children_;
  std::vector<std::uint8_t> pinned_;
  std::vector<slot_t> free_, pinned_list_;
  std::size_t pins_ = 0;  // entries of pinned_list_ in use (it only grows: no reallocation per request)
  std::size_t pinned_count_ = 0;
};

}  // namespace gpusched::kvcache
