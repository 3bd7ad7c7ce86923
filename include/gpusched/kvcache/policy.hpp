#pragma once
// The eviction-policy interface of a tier. A policy orders the resident blocks of one tier, each
// held in a dense slot 0..capacity-1, and names a victim when the tier is full. Everything the
// tier calls is named by the concept `eviction_policy`; optional hooks (request boundaries, the
// queue of waiting requests, the trace's future for Belady) are detected with `requires`.

#include <concepts>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>

#include "gpusched/kvcache/block.hpp"
#include "gpusched/kvcache/detail/slot_index.hpp"
#include "gpusched/kvcache/detail/slot_list.hpp"

namespace gpusched::kvcache {

/// Dense index of a resident block inside one tier.
using slot_t = std::uint32_t;
/// "No slot": returned by a policy's victim() when nothing may be evicted.
inline constexpr slot_t no_slot = detail::no_slot;
/// Next-use value of a block never accessed again.
inline constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();

/// What a policy learns about one access of a block.
struct access_info {
  block_id key = 0;              ///< the block
  block_id parent = 0;           ///< the block before it in the request (valid when position > 0)
  std::uint64_t request = 0;     ///< index of the request in the trace
  std::uint32_t position = 0;    ///< index of the block in the request (0 = root of the prefix)
  std::uint32_t length = 0;      ///< blocks in the request
  std::uint64_t next_use = never;  ///< next request using the block (only with a future oracle)
  double cost = 1.0;             ///< cost of recomputing the block (relative or seconds)
  double time = 0.0;             ///< arrival time of the request, seconds
};

/// The waiting requests a queue-aware policy may see: how many of them use a block.
class queue_view {
 public:
  virtual ~queue_view() = default;
  /// Number of waiting requests using `b` (0 when none).
  [[nodiscard]] virtual std::uint32_t waiting(block_id b) const = 0;
};

/// Read-only view of a tier's slots that policies use to pick a victim: pinned slots (blocks of
/// the request being served, or blocks a wrapper protects) must not be chosen; leaf() says no
/// resident block depends on the slot.
class tier_view {
 public:
  using protect_fn = bool (*)(const void* context, block_id b);
  tier_view(const std::uint8_t* pinned, const std::uint32_t* children, const block_id* keys) noexcept
      : pinned_(pinned), children_(children), keys_(keys) {}

  [[nodiscard, gnu::always_inline]] bool evictable(slot_t s) const noexcept {
    if (pinned_[s] != 0) return false;
    return (protect_ == nullptr && outer_ == nullptr) || unprotected(s);  // inlined common case
  }
  [[nodiscard]] bool leaf(slot_t s) const noexcept { return children_[s] == 0; }
  [[nodiscard]] std::uint32_t children(slot_t s) const noexcept { return children_[s]; }
  [[nodiscard]] block_id key(slot_t s) const noexcept { return keys_[s]; }
  /// The same view, additionally refusing blocks for which `fn(context, block)` is true.
  [[nodiscard]] tier_view protecting(protect_fn fn, const void* context) const noexcept {
    tier_view v = *this;
    v.protect_ = fn;
    v.context_ = context;
    v.outer_ = protect_ != nullptr ? this : nullptr;  // chain earlier protections
    return v;
  }
  [[nodiscard]] bool protects_more() const noexcept { return protect_ != nullptr; }

 private:
  // The protections of this view, then of the views it was made from (their pinned flags are
  // this view's, checked already).
  [[nodiscard]] bool unprotected(slot_t s) const noexcept {
    if (protect_ != nullptr && protect_(context_, keys_[s])) return false;
    return outer_ == nullptr || outer_->unprotected(s);
  }

  const std::uint8_t* pinned_;
  const std::uint32_t* children_;
  const block_id* keys_;
  protect_fn protect_ = nullptr;
  const void* context_ = nullptr;
  const tier_view* outer_ = nullptr;
};

/// "Not a ghost": what on_insert receives for a block the policy does not remember, and what
/// on_evict returns to drop a block without remembering it.
inline constexpr std::uint32_t no_ghost = detail::no_slot;

/// What a policy that keeps ghosts in the tier's index (see `ghost_keeping`) may do to that
/// index: forget a ghost it remembered. Handed to the policy's hooks by the tier.
class ghost_directory {
 public:
  /// The tier's index, where ghost id g is entry id first_ghost + g.
  ghost_directory(detail::slot_index& index, std::uint32_t first_ghost) noexcept
      : index_(&index), first_(first_ghost) {}
  /// Forgets the ghost remembered under id g (which must be live), without a probe.
  void forget_ghost(std::uint32_t g) noexcept { index_->erase_id(first_ + g); }
  /// Forgets the ghost of block b (b must be a ghost of this policy, not a resident block).
  void forget(block_id b) noexcept { index_->erase(b); }
  /// A hint that ghost g (live) will be forgotten soon: starts loading its index entry.
  void prefetch_ghost(std::uint32_t g) const noexcept { index_->prefetch_id(first_ + g); }

 private:
  detail::slot_index* index_;
  std::uint32_t first_;
};

/// Optional protocol: a policy that remembers evicted blocks ("ghosts", as ARC and S3-FIFO do)
/// may keep them in the tier's own index, so one probe answers "resident, ghost or new" and an
/// eviction retags the victim's entry instead of deleting it. It declares
///   ghost_ids() const -> G: it uses ghost ids 0..G-1 (after reserve);
///   on_insert(slot, access, ghost id or no_ghost, directory)  (the ghost's entry became the slot);
///   on_evict(slot, directory) -> the id to remember the block under, or no_ghost;
/// before reusing or dropping an id it forgets that id's block (directory.forget_ghost). The tier then
/// never calls the plain on_insert / on_evict. (Tried and slower: forgetting lazily, with the
/// tier checking each ghost it finds and purging dead entries in bulk.)
template <class P>
concept ghost_keeping =
    requires(P p, const P& cp, slot_t s, const access_info& a, ghost_directory& d, std::uint32_t g) {
      { cp.ghost_ids() } -> std::convertible_to<std::size_t>;
      p.on_insert(s, a, g, d);
      { p.on_evict(s, d) } -> std::same_as<std::uint32_t>;
    };

/// An eviction policy for `tier`: reserve(capacity) once; on_insert / on_hit for every access of
/// a resident block; victim(view) names an evictable slot (or no_slot); on_evict(slot) when a slot
/// is freed (or the ghost_keeping overloads instead of on_insert / on_evict). `name` is the
/// opt-in marker (a type does not become a policy by accident).
template <class P>
concept eviction_policy =
    std::move_constructible<P> &&
    requires(P p, slot_t s, const access_info& a, const tier_view& v, std::size_t n) {
      { P::name } -> std::convertible_to<std::string_view>;
      p.reserve(n);
      p.on_hit(s, a);
      { p.victim(v) } -> std::same_as<slot_t>;
    } &&
    (requires(P p, slot_t s, const access_info& a) {
      p.on_insert(s, a);
      p.on_evict(s);
    } || ghost_keeping<P>);

/// Policies that declare `static constexpr bool needs_future = true` (Belady) want next_use filled.
template <class P>
inline constexpr bool needs_future = requires { requires P::needs_future; };

}  // namespace gpusched::kvcache
