#pragma once
// future_oracle: the next use of every block access in a trace, for Belady's offline optimum.
// Built in one streaming pass (a map from each distinct block to its last access), it stores one
// 32-bit request index per block access; the replay reads it back in the same order. That is
// O(accesses) and has to be: read forward, the next uses of a two-block trace spell out its whole
// future. (belady_bound does not need it: it runs in one pass and O(distinct blocks) memory.)

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/kvcache/block.hpp"
#include "gpusched/kvcache/detail/flat_map.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache {

/// For access k of a trace (requests in order, blocks in order), the index of the next request
/// that uses the same block, or `never`.
class future_oracle {
 public:
  /// Reads `source` to its end once.
  template <request_source S>
  [[nodiscard]] static future_oracle build(S& source) {
    future_oracle o;
    detail::flat_map64 last;  // block -> index of its latest access
    request r;
    std::uint64_t index = 0;
    while (source.next(r)) {
      require(index < none, "kvcache::future_oracle", "more than 2^32-1 requests");
      for (const block_id b : r.blocks) {
        require(o.next_.size() < none, "kvcache::future_oracle", "more than 2^32-1 block accesses");
        std::uint32_t& at = last.at_or_insert(b, none);
        if (at != none && o.next_[at] == none) o.next_[at] = static_cast<std::uint32_t>(index);
        at = static_cast<std::uint32_t>(o.next_.size());
        o.next_.push_back(none);
      }
      ++index;
    }
    o.distinct_ = last.size();
    o.requests_ = index;
    return o;
  }

  /// Next use of access k (never when the block is not used again).
  [[nodiscard]] std::uint64_t next_use(std::size_t k) const {
    if (k >= next_.size())
      throw error("kvcache::future_oracle::next_use",
                  "access " + std::to_string(k) + " beyond the trace the oracle was built from");
    return next_[k] == none ? never : next_[k];
  }
  [[nodiscard]] std::size_t accesses() const noexcept { return next_.size(); }
  [[nodiscard]] std::size_t distinct_blocks() const noexcept { return distinct_; }
  [[nodiscard]] std::uint64_t requests() const noexcept { return requests_; }

 private:
  static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max() - 1;
  std::vector<std::uint32_t> next_;
  std::size_t distinct_ = 0;
  std::uint64_t requests_ = 0;
};

}  // namespace gpusched::kvcache
