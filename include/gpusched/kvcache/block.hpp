#pragma once
// Block identity and requests. A KV block covers `block_tokens` consecutive tokens; its id is a hash
// of its tokens chained with the id of the block before it (as vLLM's prefix caching and Mooncake's
// traces do), so equal ids mean an equal whole prefix and the ids of all requests form a prefix tree.

#include <cstdint>
#include <span>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/kvcache/detail/flat_map.hpp"

namespace gpusched::kvcache {

/// Identifier of one KV block (a chained prefix hash).
using block_id = std::uint64_t;

/// Tokens per block in Mooncake's released traces (FAST'25 trace README: "block size of 512").
inline constexpr std::uint32_t mooncake_block_tokens = 512;

/// The id of a block holding `tokens`, chained with the id of its predecessor (`parent`; 0 for the
/// first block). Any good 64-bit mix works; ids only need to be equal iff prefixes are equal.
[[nodiscard]] inline block_id chain_hash(block_id parent, std::span<const std::uint32_t> tokens) {
  std::uint64_t h = detail::mix64(parent ^ 0x9e3779b97f4a7c15ULL);
  for (const std::uint32_t t : tokens) h = detail::mix64(h ^ (t + 0x632be59bd9b4e019ULL));
  return h;
}

/// The chained block ids of a token sequence; the last block may be partial.
[[nodiscard]] inline std::vector<block_id> block_ids(std::span<const std::uint32_t> tokens,
                                                     std::uint32_t block_tokens) {
  require(block_tokens > 0, "kvcache::block_ids", "block_tokens must be positive");
  std::vector<block_id> ids;
  block_id parent = 0;
  for (std::size_t i = 0; i < tokens.size(); i += block_tokens) {
    const std::size_t n = std::min<std::size_t>(block_tokens, tokens.size() - i);
    parent = chain_hash(parent, tokens.subspan(i, n));
    ids.push_back(parent);
  }
  return ids;
}

/// One inference request: its arrival, lengths, and the ids of its prompt's blocks in order.
struct request {
  double arrival = 0.0;             ///< seconds since the start of the trace
  std::uint64_t input_tokens = 0;   ///< prompt length
  std::uint64_t output_tokens = 0;  ///< generated length
  std::vector<block_id> blocks;     ///< prompt blocks, prefix order

  /// Tokens of block i (the last one may be partial; when input_tokens is unknown, full blocks).
  [[nodiscard]] std::uint64_t tokens_in_block(std::size_t i, std::uint32_t block_tokens) const {
    const std::uint64_t start = static_cast<std::uint64_t>(i) * block_tokens;
    if (input_tokens <= start) return input_tokens == 0 ? block_tokens : 0;
    return std::min<std::uint64_t>(block_tokens, input_tokens - start);
  }
};

/// Anything requests can be pulled from one at a time: `bool next(request&)` fills the next one
/// (reusing its storage) and returns false at the end. Traces are streamed through this.
template <class S>
concept request_source = requires(S s, request& r) {
  { s.next(r) } -> std::convertible_to<bool>;
};

/// A request_source over requests held in memory.
class vector_source {
 public:
  explicit vector_source(const std::vector<request>& requests) : requests_(&requests) {}
  bool next(request& r) {
    if (i_ >= requests_->size()) return false;
    const request& s = (*requests_)[i_++];
    r.arrival = s.arrival;
    r.input_tokens = s.input_tokens;
    r.output_tokens = s.output_tokens;
    r.blocks.assign(s.blocks.begin(), s.blocks.end());
    return true;
  }

 private:
  const std::vector<request>* requests_;
  std::size_t i_ = 0;
};

/// Drains a source into memory (for small traces, tests and benchmarks).
template <request_source S>
[[nodiscard]] std::vector<request> read_all(S& source) {
  std::vector<request> out;
  request r;
  while (source.next(r)) out.push_back(r);
  return out;
}

}  // namespace gpusched::kvcache
