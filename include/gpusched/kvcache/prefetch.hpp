#pragma once
// Prefetch: the hierarchy's policy slot that brings blocks of waiting requests up from lower tiers
// into HBM while earlier requests compute. The hierarchy opens a window after each request it
// serves (from the end of that request's KV loads to the start of the next request) and gives the
// policy a prefetch_context: the waiting requests, where each block lives, and a byte budget per
// lower tier = link read bandwidth x (window - link latency). fetch() enforces the budget; the
// policy only chooses what to ask for, in which order.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gpusched/kvcache/block.hpp"

namespace gpusched::kvcache {

/// What a prefetch policy sees during one window (implemented by the hierarchy).
class prefetch_context {
 public:
  virtual ~prefetch_context() = default;
  /// Waiting requests visible in this window, oldest (served first) first.
  [[nodiscard]] virtual std::size_t waiting_count() const = 0;
  [[nodiscard]] virtual const request& waiting(std::size_t i) const = 0;
  /// Number of tiers; level() == levels() means "not resident anywhere".
  [[nodiscard]] virtual std::size_t levels() const = 0;
  /// Tier holding block b (0 = HBM), or levels().
  [[nodiscard]] virtual std::size_t level(block_id b) const = 0;
  /// Bytes tier k (k >= 1) may still send to HBM in this window.
  [[nodiscard]] virtual double budget(std::size_t k) const = 0;
  /// Bytes of block `position` of r.
  [[nodiscard]] virtual double block_bytes(const request& r, std::size_t position) const = 0;
  /// Moves block `position` of r from its lower tier into HBM (inclusive hierarchies keep the
  /// lower copy). False (nothing moved) when it is not in a lower tier, its tier's budget is
  /// short, the admission policy refuses it HBM, or HBM has no evictable slot.
  virtual bool fetch(const request& r, std::size_t position) = 0;
};

/// A prefetch policy: prefetch(ctx) is called once per window. `name` is the opt-in marker.
template <class P>
concept prefetch_policy = std::move_constructible<P> && requires(P p, prefetch_context& c) {
  { P::name } -> std::convertible_to<std::string_view>;
  p.prefetch(c);
};

/// Prefetch nothing (the hierarchy then skips the windows entirely).
struct no_prefetch {
  static constexpr std::string_view name = "none";
  void prefetch(prefetch_context& /*ctx*/) noexcept {}
};

/// Walks the waiting requests oldest first and fetches each one's lower-tier prefix blocks in
/// prefix order (a block is only useful with its whole prefix, so a request stops at its first
/// block found in no tier or refused by fetch). At most `max_blocks` per window (0: no cap
/// besides the link budget and HBM room).
struct prefetch_queue {
  static constexpr std::string_view name = "queue";
  std::size_t max_requests = 32;
  std::size_t max_blocks = 0;

  void prefetch(prefetch_context& ctx) const {
    const std::size_t levels = ctx.levels();
    std::size_t moved = 0;
    const std::size_t n = ctx.waiting_count() < max_requests ? ctx.waiting_count() : max_requests;
    for (std::size_t q = 0; q < n; ++q) {
      const request& r = ctx.waiting(q);
      for (std::size_t i = 0; i < r.blocks.size(); ++i) {
        const std::size_t k = ctx.level(r.blocks[i]);
        if (k == 0) continue;
        if (k == levels) break;
        if (max_blocks != 0 && moved == max_blocks) return;
        if (!ctx.fetch(r, i)) break;
        ++moved;
      }
      bool any = false;  // stop early once no lower tier can send another block
      for (std::size_t k = 1; k < levels && !any; ++k) any = ctx.budget(k) > 0;
      if (!any) return;
    }
  }
};

static_assert(prefetch_policy<no_prefetch> && prefetch_policy<prefetch_queue>);

}  // namespace gpusched::kvcache
