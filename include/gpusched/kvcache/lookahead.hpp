#pragma once
// lookahead: a window over a request source that holds the next W requests (the queue of waiting
// requests when no service model is used) and counts, for every block, how many of them use it.
// Memory is bounded by W requests.

#include <cstdint>
#include <deque>

#include "gpusched/kvcache/block.hpp"
#include "gpusched/kvcache/detail/flat_map.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache {

/// Pulls requests from S, keeping the next `depth` of them visible as a queue_view.
template <request_source S>
class lookahead final : public queue_view {
 public:
  lookahead(S& source, std::size_t depth) : source_(&source), depth_(depth) {}

  /// Moves the next request into `r`; false at the end of the source.
  bool next(request& r) {
    while (!done_ && queue_.size() < depth_ + 1) {
      request in;
      if (!source_->next(in)) {
        done_ = true;
        break;
      }
      add(in, +1);
      queue_.push_back(std::move(in));
    }
    if (queue_.empty()) return false;
    r = std::move(queue_.front());
    queue_.pop_front();
    add(r, -1);  // being served now: no longer waiting
    return true;
  }

  /// Waiting requests using b.
  [[nodiscard]] std::uint32_t waiting(block_id b) const override {
    const std::uint32_t c = counts_.find(b);
    return c == detail::flat_map64::npos ? 0 : c;
  }
  /// The waiting requests, oldest first.
  [[nodiscard]] const std::deque<request>& waiting_requests() const noexcept { return queue_; }

 private:
  void add(const request& r, int delta) {
    if (depth_ == 0) return;  // no queue: keep plain replay free of the bookkeeping
    for (const block_id b : r.blocks) {
      std::uint32_t& c = counts_.at_or_insert(b, 0);
      c = static_cast<std::uint32_t>(static_cast<std::int64_t>(c) + delta);
      if (c == 0) counts_.erase(b);
    }
  }
  S* source_;
  std::size_t depth_;
  std::deque<request> queue_;
  detail::flat_map64 counts_;
  bool done_ = false;
};

}  // namespace gpusched::kvcache
