#pragma once
// A small open-addressing hash table from 64-bit keys to 32-bit values (linear probing,
// backward-shift deletion, no tombstones). Boost 1.74 has no unordered_flat_map, and the replay's
// inner loop is one lookup per block, so a node-based std::unordered_map would dominate its time.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace gpusched::kvcache::detail {

/// The splitmix64 finalizer: spreads sequential trace ids over the table.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/// Map uint64 key -> uint32 value; the value npos is reserved (it marks empty cells).
class flat_map64 {
 public:
  static constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

  explicit flat_map64(std::size_t expected = 16) { rehash(expected); }

  /// The value of `key`, or npos.
  [[nodiscard]] std::uint32_t find(std::uint64_t key) const noexcept {
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      if (cells_[i].value == npos) return npos;
      if (cells_[i].key == key) return cells_[i].value;
    }
  }
  [[nodiscard]] bool contains(std::uint64_t key) const noexcept { return find(key) != npos; }

  /// Sets key -> value (value != npos), inserting or overwriting.
  void set(std::uint64_t key, std::uint32_t value) {
    if ((size_ + 1) * 4 > (mask_ + 1) * 3) rehash((mask_ + 1));  // keep load <= 3/4
    std::size_t i = home(key);
    for (; cells_[i].value != npos; i = (i + 1) & mask_) {
      if (cells_[i].key == key) {
        cells_[i].value = value;
        return;
      }
    }
    cells_[i].key = key;
    cells_[i].value = value;
    ++size_;
  }

  /// A reference to the value of `key`, inserting `init` first when absent.
  std::uint32_t& at_or_insert(std::uint64_t key, std::uint32_t init) {
    if ((size_ + 1) * 4 > (mask_ + 1) * 3) rehash((mask_ + 1));
    std::size_t i = home(key);
    for (; cells_[i].value != npos; i = (i + 1) & mask_)
      if (cells_[i].key == key) return cells_[i].value;
    cells_[i].key = key;
    cells_[i].value = init;
    ++size_;
    return cells_[i].value;
  }

  /// Removes `key`; returns whether it was present.
  bool erase(std::uint64_t key) noexcept {
    std::size_t i = home(key);
    for (;; i = (i + 1) & mask_) {
      if (cells_[i].value == npos) return false;
      if (cells_[i].key == key) break;
    }
    // Backward shift: pull later members of the probe run into the hole so lookups stay correct.
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (cells_[j].value == npos) break;
      const std::size_t h = home(cells_[j].key);
      // Move j into i unless its home lies cyclically in (i, j].
      const bool stays = (i <= j) ? (i < h && h <= j) : (i < h || h <= j);
      if (stays) continue;
      cells_[i].key = cells_[j].key;
      cells_[i].value = cells_[j].value;
      i = j;
    }
    cells_[i].value = npos;
    --size_;
    return true;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  void clear() noexcept {
    for (auto& c : cells_) c.value = npos;
    size_ = 0;
  }

  /// Calls f(key, value) for every entry (unspecified order).
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i <= mask_; ++i)
      if (cells_[i].value != npos) f(cells_[i].key, cells_[i].value);
  }

  /// Grows the table to hold `expected` entries at load <= 1/2 (never shrinks below the size).
  void rehash(std::size_t expected) {
    if (expected < size_) expected = size_;
    const std::size_t cells = std::bit_ceil(std::max<std::size_t>(16, expected * 2));
    std::vector<cell> old(cells);
    old.swap(cells_);
    mask_ = cells - 1;
    size_ = 0;
    for (const cell& c : old)
      if (c.value != npos) set(c.key, c.value);
  }

 private:
  [[nodiscard]] std::size_t home(std::uint64_t key) const noexcept {
    return static_cast<std::size_t>(mix64(key)) & mask_;
  }
  // Key and value side by side: one cache line per probe.
  struct cell {
    std::uint64_t key = 0;
    std::uint32_t value = npos;
  };
  std::vector<cell> cells_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace gpusched::kvcache::detail
