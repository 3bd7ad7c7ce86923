#pragma once
// The index of a tier: block id -> a dense id below a fixed bound (a slot, or a ghost id of a
// policy that keeps its ghosts in the tier's index), in an open-addressing table (linear probing,
// backward-shift deletion) that also knows where each dense id's entry sits. That makes the
// replay's per-eviction index work cheap: the victim's entry is removed, or retagged with a ghost
// id, without hashing or probing for its key; each cell keeps its key's hash, so a removal's
// backward shift does not re-hash the entries it moves; and the caller may hash a key once and
// reuse the hash for a prefetch, the lookup and the insertion.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/kvcache/detail/flat_map.hpp"

namespace gpusched::kvcache::detail {

/// Map from 64-bit keys to the ids 0 .. ids-1 (each id held by at most one key).
class slot_index {
 public:
  static constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

  /// An index for ids 0 .. ids-1 (ids < 2^31). The table never grows: at most `ids` entries live
  /// in at least 4 * ids cells (load <= 1/4) while that is at most `compact_cells`, else in at
  /// least 2 * ids (load <= 1/2).
  explicit slot_index(std::size_t ids = 0) {
    require(ids < (std::size_t{1} << 31), "kvcache::detail::slot_index",
            "at most 2^31 - 1 ids (slots + ghosts)");
    std::size_t cells = std::bit_ceil(std::max<std::size_t>(16, 4 * ids));
    if (cells > compact_cells) cells = std::max(compact_cells, std::bit_ceil(2 * ids));
    cells_.assign(cells, cell{});
    mask_ = cells - 1;
    pos_.assign(ids, npos);
  }

  /// Up to this many cells (4 MiB), the table is sized for load <= 1/4 rather than 1/2: probes
  /// and backward shifts stop sooner, and replay measured 1.1-1.8x faster per block with it
  /// (docs/kvcache.md, "Speed at every capacity"). Larger tables keep load <= 1/2: doubling them
  /// cost more in cache misses than it saved (ARC and S3-FIFO, whose ghost ids make their tables
  /// large, ran 0.7-0.8x as fast at 25%).
  static constexpr std::size_t compact_cells = std::size_t{1} << 18;

  /// The hash every key-taking member uses (splitmix64, so sequential trace ids spread).
  [[nodiscard]] static constexpr std::uint64_t hash(std::uint64_t key) noexcept { return mix64(key); }

  /// The id of `key` (hashed as hash(key)), or npos.
  [[nodiscard]] std::uint32_t find(std::uint64_t key, std::uint64_t h) const noexcept {
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const cell& c = cells_[i];
      if (c.id == npos) return npos;
      if (c.key == key) return c.id;
    }
  }
  [[nodiscard]] std::uint32_t find(std::uint64_t key) const noexcept { return find(key, hash(key)); }

  /// Maps `key` (hashed as hash(key)) to `id`, which must hold no key; returns the id the key
  /// had (npos: it was absent). One probe.
  std::uint32_t assign(std::uint64_t key, std::uint64_t h, std::uint32_t id) noexcept {
    std::size_t i = h & mask_;
    for (; cells_[i].id != npos; i = (i + 1) & mask_) {
      if (cells_[i].key == key) {
        const std::uint32_t old = cells_[i].id;
        pos_[old] = npos;
        cells_[i].id = id;
        pos_[id] = static_cast<std::uint32_t>(i);
        return old;
      }
    }
    cells_[i] = cell{key, id, static_cast<std::uint32_t>(h)};
    pos_[id] = static_cast<std::uint32_t>(i);
    ++size_;
    return npos;
  }

  /// Whether `id` holds a key.
  [[nodiscard]] bool mapped(std::uint32_t id) const noexcept { return pos_[id] != npos; }
  /// The key held by `id` (which must be mapped).
  [[nodiscard]] std::uint64_t key_of(std::uint32_t id) const noexcept { return cells_[pos_[id]].key; }

  /// Removes the entry of `id` (which must be mapped), without probing for its key.
  void erase_id(std::uint32_t id) noexcept {
    const std::uint32_t i = pos_[id];
    pos_[id] = npos;
    erase_at(i);
  }
  /// The key of `from` (mapped) now maps to `to` (which must hold no key).
  void retag(std::uint32_t from, std::uint32_t to) noexcept {
    const std::uint32_t i = pos_[from];
    pos_[from] = npos;
    cells_[i].id = to;
    pos_[to] = i;
  }
  /// Removes `key`; returns whether it was present.
  bool erase(std::uint64_t key) noexcept {
    const std::uint32_t id = find(key);
    if (id == npos) return false;
    erase_id(id);
    return true;
  }

  /// Starts loading the cell where a probe for hash h begins (a hint; changes nothing). Always
  /// inlined: g++ 12 deems a function whose only effect is a prefetch pure and drops its calls.
  [[gnu::always_inline]] void prefetch(std::uint64_t h) const noexcept {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(&cells_[h & mask_]);
#else
    (void)h;
#endif
  }

  /// Starts loading the entry of `id` (no-op when it holds no key).
  [[gnu::always_inline]] void prefetch_id(std::uint32_t id) const noexcept {
#if defined(__GNUC__) || defined(__clang__)
    if (pos_[id] != npos) __builtin_prefetch(&cells_[pos_[id]]);
#else
    (void)id;
#endif
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  /// Number of ids (the bound given at construction).
  [[nodiscard]] std::size_t ids() const noexcept { return pos_.size(); }

  /// Calls f(key, id) for every entry (unspecified order).
  template <class F>
  void for_each(F&& f) const {
    for (const cell& c : cells_)
      if (c.id != npos) f(c.key, c.id);
  }

 private:
  void erase_at(std::size_t i) noexcept {
    // Backward shift: pull later members of the probe run into the hole so lookups stay correct.
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (cells_[j].id == npos) break;
      const std::size_t h = cells_[j].hash & mask_;
      // Move j into i unless its home lies cyclically in (i, j].
      const bool stays = (i <= j) ? (i < h && h <= j) : (i < h || h <= j);
      if (stays) continue;
      cells_[i] = cells_[j];
      pos_[cells_[i].id] = static_cast<std::uint32_t>(i);
      i = j;
    }
    cells_[i].id = npos;
    --size_;
  }

  // Key, id and the low bits of the key's hash (the table has < 2^32 cells): 16 bytes.
  struct cell {
    std::uint64_t key = 0;
    std::uint32_t id = npos;
    std::uint32_t hash = 0;
  };
  std::vector<cell> cells_;
  std::vector<std::uint32_t> pos_;  // id -> its cell, npos when it holds no key
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace gpusched::kvcache::detail
