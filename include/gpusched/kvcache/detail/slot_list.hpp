#pragma once
// Intrusive doubly linked lists over dense slot indices (0 .. capacity-1): O(1) push, unlink and
// move with no allocation after reserve(). Several lists may share one slot_links (a slot is in
// at most one list at a time), which is how ARC and S3-FIFO keep their queues.

#include <cstdint>
#include <vector>

namespace gpusched::kvcache::detail {

inline constexpr std::uint32_t no_slot = 0xFFFFFFFFu;

/// prev/next links of every slot.
struct slot_links {
  std::vector<std::uint32_t> prev, next;
  void reserve(std::size_t n) {
    prev.assign(n, no_slot);
    next.assign(n, no_slot);
  }
};

/// One list: head = most recent end, tail = oldest end. The list operations are always inlined:
/// they are a few stores each, and the replay's inner loop calls them through large functions
/// where the compiler would otherwise stop inlining.
class slot_list {
 public:
  [[nodiscard]] std::uint32_t head() const noexcept { return head_; }
  [[nodiscard]] std::uint32_t tail() const noexcept { return tail_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  [[gnu::always_inline]] void push_front(slot_links& l, std::uint32_t s) noexcept {
    l.prev[s] = no_slot;
    l.next[s] = head_;
    if (head_ != no_slot) l.prev[head_] = s; else tail_ = s;
    head_ = s;
    ++size_;
  }
  /// Inserts s right after `at` (towards the tail); `at` must be in this list.
  [[gnu::always_inline]] void insert_after(slot_links& l, std::uint32_t at, std::uint32_t s) noexcept {
    const std::uint32_t n = l.next[at];
    l.prev[s] = at;
    l.next[s] = n;
    l.next[at] = s;
    if (n != no_slot) l.prev[n] = s; else tail_ = s;
    ++size_;
  }
  [[gnu::always_inline]] void unlink(slot_links& l, std::uint32_t s) noexcept {
    const std::uint32_t p = l.prev[s], n = l.next[s];
    if (p != no_slot) l.next[p] = n; else head_ = n;
    if (n != no_slot) l.prev[n] = p; else tail_ = p;
    l.prev[s] = l.next[s] = no_slot;
    --size_;
  }
  [[gnu::always_inline]] void move_to_front(slot_links& l, std::uint32_t s) noexcept {
    if (head_ == s) return;
    unlink(l, s);
    push_front(l, s);
  }
  /// Moves the r oldest slots (r < size()), in their order, to the head: what r calls of
  /// move_to_front(tail()) do, in one walk of r links and one splice.
  void rotate(slot_links& l, std::size_t r) noexcept {
    if (r == 0) return;
    std::uint32_t first = tail_;  // the oldest of the r slots that move
    for (std::size_t i = 1; i < r; ++i) first = l.prev[first];
    const std::uint32_t last = l.prev[first];  // the new tail
    l.next[last] = no_slot;
    l.prev[first] = no_slot;
    l.next[tail_] = head_;
    l.prev[head_] = tail_;
    head_ = first;
    tail_ = last;
  }
  void clear() noexcept {
    head_ = tail_ = no_slot;
    size_ = 0;
  }

 private:
  std::uint32_t head_ = no_slot, tail_ = no_slot;
  std::size_t size_ = 0;
};

}  // namespace gpusched::kvcache::detail
