#pragma once
// S3-FIFO (Yang et al., SOSP'23): a small FIFO (10% of the capacity) that new blocks enter, a
// main FIFO, and a ghost FIFO of ids evicted from the small queue. A block leaving the small
// queue moves to main if it was used again there, else it is evicted (and remembered); a
// remembered block that returns enters main directly. Main is a CLOCK with 2-bit counts.
// Amortized O(1). The ghosts live in the tier's own index (`ghost_keeping`, policy.hpp).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpusched/kvcache/detail/ghost_ring.hpp"
#include "gpusched/kvcache/detail/slot_list.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies {

/// S3-FIFO eviction.
class s3fifo {
 public:
  static constexpr std::string_view name = "s3fifo";
  /// `small_fraction`: share of the capacity for the small queue (the paper's 10%).
  explicit s3fifo(double small_fraction = 0.1) : small_fraction_(small_fraction) {}

  void reserve(std::size_t n) {
    links_.reserve(n);
    small_.clear();
    main_.clear();
    freq_.assign(n, 0);
    where_.assign(n, 0);
    ghost_cap_ = n - n / 10;
    ghost_.reserve(ghost_cap_, 0);
    small_target_ = static_cast<std::size_t>(small_fraction_ * static_cast<double>(n));
  }
  /// Ghost ids: one ring of n - n/10.
  [[nodiscard]] std::size_t ghost_ids() const noexcept { return ghost_cap_; }
  void on_insert(slot_t s, const access_info&, std::uint32_t ghost, ghost_directory&) {
    freq_[s] = 0;
    if (ghost != no_ghost) {
      ghost_.returned(ghost);
      main_.push_front(links_, s);
      where_[s] = in_main;
    } else {
      small_.push_front(links_, s);
      where_[s] = in_small;
    }
  }
  void on_hit(slot_t s, const access_info&) {
    if (freq_[s] < 3) ++freq_[s];
  }
  /// Blocks leaving the small queue are remembered (a return goes straight to main).
  std::uint32_t on_evict(slot_t s, ghost_directory& dir) {
    if (where_[s] == in_small) {
      small_.unlink(links_, s);
      return ghost_.push(dir);
    }
    main_.unlink(links_, s);
    return no_ghost;
  }
  [[nodiscard]] slot_t victim(const tier_view& v) {
    // Each step either evicts or moves one block with a positive count (or a pinned one) to a
    // queue head, lowering a count; 8n + 2 steps bound the loop.
    const std::size_t limit = 8 * (small_.size() + main_.size()) + 2;
    // Pinned blocks passed in a row, in the queue being scanned: once they are the whole queue,
    // the remaining steps would only cycle it (the queue chosen cannot change while blocks just
    // move to its head), so they are done as one rotation and no block is evicted. Without this,
    // a request longer than the small queue cost 8n steps per block it could not cache.
    std::size_t pinned_run = 0;
    for (std::size_t step = 0; step < limit; ++step) {
      if (!small_.empty() && (small_.size() > small_target_ || main_.empty())) {
        const slot_t t = small_.tail();
        if (!v.evictable(t)) {
          small_.move_to_front(links_, t);
          if (++pinned_run == small_.size()) return cycle(small_, limit - step - 1);
        } else if (freq_[t] > 0) {  // used again while in the small queue: promote to main
          small_.unlink(links_, t);
          main_.push_front(links_, t);
          where_[t] = in_main;
          freq_[t] = 0;
          pinned_run = 0;
        } else {
          return t;
        }
      } else if (!main_.empty()) {
        const slot_t t = main_.tail();
        if (!v.evictable(t)) {
          main_.move_to_front(links_, t);
          if (++pinned_run == main_.size()) return cycle(main_, limit - step - 1);
        } else if (freq_[t] > 0) {
          --freq_[t];
          main_.move_to_front(links_, t);
          pinned_run = 0;
        } else {
          return t;
        }
      } else {
        return no_slot;
      }
    }
    return no_slot;
  }

 private:
  // `steps` more moves of the tail of q, every block of which is pinned, to its head.
  slot_t cycle(detail::slot_list& q, std::size_t steps) {
    q.rotate(links_, steps % q.size());
    return no_slot;
  }
  static constexpr std::uint8_t in_small = 0, in_main = 1;
  double small_fraction_;
  std::size_t small_target_ = 0;
  detail::slot_links links_;
  detail::slot_list small_, main_;
  std::vector<std::uint8_t> freq_, where_;
  detail::ghost_ring ghost_;
  std::size_t ghost_cap_ = 0;
};

}  // namespace gpusched::kvcache::policies
