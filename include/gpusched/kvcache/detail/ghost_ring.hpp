#pragma once
// A bounded FIFO of ghost ids for a policy whose ghosts live in the tier's index (the
// `ghost_keeping` protocol, policy.hpp): ring position p is ghost id base + p, and the tier's
// index maps the ghost's block to it, so the ring needs no map, nor even the blocks' ids, of its
// own: dropping a live entry forgets it by its id through the tier's ghost_directory. A ghost
// that returns leaves a dead entry that still takes its place in the ring (exactly as
// ghost_fifo's stale entries do), so both forget the same blocks at the same moments.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "gpusched/kvcache/detail/slot_list.hpp"

namespace gpusched::kvcache::detail {

/// FIFO of at most `capacity` entries, live or dead; ids base .. base + capacity - 1.
class ghost_ring {
 public:
  void reserve(std::size_t capacity, std::uint32_t base) {
    live_.assign(capacity, 0);
    base_ = base;
    head_ = count_ = size_ = 0;
  }
  /// Live ghosts.
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty_live() const noexcept { return size_ == 0; }
  [[nodiscard]] bool owns(std::uint32_t id) const noexcept {
    return id >= base_ && id - base_ < live_.size();
  }
  /// Remembers a block as the newest ghost, dropping the oldest entry when the ring is full (its
  /// block forgotten through `dir` when live); returns the new ghost's id (no_slot: capacity 0).
  /// The caller maps the block to that id (the tier retags the block's index entry).
  template <class Directory>
  std::uint32_t push(Directory& dir) {
    if (live_.empty()) return no_slot;
    if (count_ == live_.size()) drop_oldest_entry(dir);
    std::size_t at = head_ + count_;
    if (at >= live_.size()) at -= live_.size();
    live_[at] = 1;
    ++count_;
    ++size_;
    return base_ + static_cast<std::uint32_t>(at);
  }
  /// The ghost `id` came back (the tier reused its index entry): its entry becomes dead.
  void returned(std::uint32_t id) noexcept {
    live_[id - base_] = 0;
    --size_;
  }
  /// Forgets the oldest live ghost (no-op when none).
  template <class Directory>
  void pop_oldest(Directory& dir) {
    const std::size_t live = size_;
    while (count_ > 0 && size_ == live) drop_oldest_entry(dir);
  }

 private:
  template <class Directory>
  void drop_oldest_entry(Directory& dir) {
    if (live_[head_] != 0) {
      live_[head_] = 0;
      --size_;
      dir.forget_ghost(base_ + static_cast<std::uint32_t>(head_));
    }
    if (++head_ == live_.size()) head_ = 0;
    --count_;
    // The next entry to go is known now: start loading its index entry (usually not cached).
    if (count_ > 0 && live_[head_] != 0) dir.prefetch_ghost(base_ + static_cast<std::uint32_t>(head_));
  }
  std::vector<std::uint8_t> live_;
  std::uint32_t base_ = 0;
  std::size_t head_ = 0, count_ = 0, size_ = 0;
};

}  // namespace gpusched::kvcache::detail
