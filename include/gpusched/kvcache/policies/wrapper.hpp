#pragma once
// forwarding_policy<Derived, Inner>: the base of policies that wrap another one (pinning,
// queue_aware). It owns Inner and forwards every hook of the policy interface to it, each one
// only when Inner has it, so a wrapper takes part in exactly the optional protocols its Inner
// does (ghost_keeping, on_request_begin/end, attach_queue, needs_future) and defines only what it
// changes: name and victim(), plus any hook it overrides. Derived may define
// `void observe(const access_info&)` (private, with the base as friend), called before each
// access is forwarded.

#include <cstddef>
#include <cstdint>
#include <utility>

#include "gpusched/kvcache/block.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// Forwards the policy hooks of a wrapper (Derived, CRTP) to the policy it wraps (Inner).
template <class Derived, eviction_policy Inner>
class forwarding_policy {
 public:
  /// The replay fills access_info::next_use for the wrapper when Inner needs it (Belady).
  static constexpr bool needs_future = kvcache::needs_future<Inner>;

  explicit forwarding_policy(Inner inner) : inner_(std::move(inner)) {}

  void reserve(std::size_t n) { inner_.reserve(n); }
  void on_insert(slot_t s, const access_info& a)
    requires requires(Inner& in) { in.on_insert(s, a); }
  {
    before_access(a);
    inner_.on_insert(s, a);
  }
  void on_hit(slot_t s, const access_info& a) {
    before_access(a);
    inner_.on_hit(s, a);
  }
  void on_evict(slot_t s)
    requires requires(Inner& in) { in.on_evict(s); }
  {
    inner_.on_evict(s);
  }
  // Ghosts in the tier's index (policy.hpp's ghost_keeping), when Inner keeps them.
  [[nodiscard]] std::size_t ghost_ids() const
    requires ghost_keeping<Inner>
  {
    return inner_.ghost_ids();
  }
  void on_insert(slot_t s, const access_info& a, std::uint32_t ghost, ghost_directory& d)
    requires ghost_keeping<Inner>
  {
    before_access(a);
    inner_.on_insert(s, a, ghost, d);
  }
  std::uint32_t on_evict(slot_t s, ghost_directory& d)
    requires ghost_keeping<Inner>
  {
    return inner_.on_evict(s, d);
  }
  void on_request_begin(const request& r, std::uint64_t index)
    requires requires(Inner& in) { in.on_request_begin(r, index); }
  {
    inner_.on_request_begin(r, index);
  }
  void on_request_end(const request& r, std::uint64_t index)
    requires requires(Inner& in) { in.on_request_end(r, index); }
  {
    inner_.on_request_end(r, index);
  }
  template <class Q>
  void attach_queue(const Q* q) noexcept
    requires requires(Inner& in) { in.attach_queue(q); }
  {
    inner_.attach_queue(q);
  }

  /// The wrapped policy.
  [[nodiscard]] Inner& inner() noexcept { return inner_; }
  [[nodiscard]] const Inner& inner() const noexcept { return inner_; }

 protected:
  Inner inner_;

 private:
  void before_access(const access_info& a) {
    if constexpr (requires(Derived& d) { d.observe(a); }) static_cast<Derived&>(*this).observe(a);
  }
};

}  // namespace gpusched::kvcache::policies
