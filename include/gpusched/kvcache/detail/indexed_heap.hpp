#pragma once
// A binary min-heap of slots keyed by a priority, with each slot's position indexed so that
// update and erase are O(log n). Used by LFU, GDSF and Belady.

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "gpusched/kvcache/detail/slot_list.hpp"

namespace gpusched::kvcache::detail {

/// Min-heap over slots 0..capacity-1 with keys of type Key (smallest key on top).
template <class Key>
class indexed_heap {
 public:
  void reserve(std::size_t n) {
    heap_.clear();
    heap_.reserve(n);
    pos_.assign(n, no_slot);
    key_.assign(n, Key{});
  }
  [[nodiscard]] bool empty() const noexcept { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
  [[nodiscard]] bool contains(std::uint32_t s) const noexcept { return pos_[s] != no_slot; }
  [[nodiscard]] std::uint32_t top() const noexcept { return heap_.front(); }
  [[nodiscard]] const Key& key(std::uint32_t s) const noexcept { return key_[s]; }
  /// The slot at heap position i (0 = top); for bounded scans past pinned slots.
  [[nodiscard]] std::uint32_t at(std::size_t i) const noexcept { return heap_[i]; }

  /// The smallest-key slot satisfying `ok`, or no_slot, without changing the heap: a best-first
  /// walk that only descends below rejected slots (O(r log r) for r rejected slots).
  template <class Pred>
  [[nodiscard]] std::uint32_t find_first(Pred&& ok) const {
    if (heap_.empty()) return no_slot;
    if (ok(heap_[0])) return heap_[0];
    frontier_.clear();
    auto later = [&](std::uint32_t a, std::uint32_t b) { return key_[heap_[b]] < key_[heap_[a]]; };
    frontier_.push_back(0);
    while (!frontier_.empty()) {
      std::pop_heap(frontier_.begin(), frontier_.end(), later);
      const std::uint32_t i = frontier_.back();
      frontier_.pop_back();
      if (ok(heap_[i])) return heap_[i];
      for (std::size_t c = 2 * std::size_t{i} + 1; c <= 2 * std::size_t{i} + 2 && c < heap_.size(); ++c) {
        frontier_.push_back(static_cast<std::uint32_t>(c));
        std::push_heap(frontier_.begin(), frontier_.end(), later);
      }
    }
    return no_slot;
  }

  /// Inserts s with key k, or changes its key.
  void set(std::uint32_t s, Key k) {
    if (pos_[s] == no_slot) {
      key_[s] = std::move(k);
      pos_[s] = static_cast<std::uint32_t>(heap_.size());
      heap_.push_back(s);
      up(pos_[s]);
      return;
    }
    const bool smaller = k < key_[s];
    key_[s] = std::move(k);
    if (smaller) up(pos_[s]); else down(pos_[s]);
  }
  void erase(std::uint32_t s) {
    const std::uint32_t i = pos_[s];
    if (i == no_slot) return;
    const std::uint32_t last = heap_.back();
    heap_.pop_back();
    pos_[s] = no_slot;
    if (last == s) return;
    heap_[i] = last;
    pos_[last] = i;
    up(i);
    down(pos_[last]);
  }

 private:
  void place(std::size_t i, std::uint32_t s) {
    heap_[i] = s;
    pos_[s] = static_cast<std::uint32_t>(i);
  }
  void up(std::size_t i) {
    const std::uint32_t s = heap_[i];
    while (i > 0) {
      const std::size_t p = (i - 1) / 2;
      if (!(key_[s] < key_[heap_[p]])) break;
      place(i, heap_[p]);
      i = p;
    }
    place(i, s);
  }
  void down(std::size_t i) {
    const std::uint32_t s = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && key_[heap_[c + 1]] < key_[heap_[c]]) ++c;
      if (!(key_[heap_[c]] < key_[s])) break;
      place(i, heap_[c]);
      i = c;
    }
    place(i, s);
  }
  std::vector<std::uint32_t> heap_, pos_;
  std::vector<Key> key_;
  mutable std::vector<std::uint32_t> frontier_;  // scratch of find_first
};

}  // namespace gpusched::kvcache::detail
