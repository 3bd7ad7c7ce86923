#pragma once
// Shared by the kvcache test files: random prefix-tree traces and a tier's resident letters.
#include <algorithm>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "gpusched/kvcache/block.hpp"
#include "gpusched/kvcache/tier.hpp"

namespace kv_test {

/// Random prefix-tree trace: each request extends a random earlier request's prefix (at most
/// `max_keep` blocks of it, three times in four) by 1-4 new blocks.
inline std::vector<gpusched::kvcache::request> tree_trace(std::mt19937& g, std::size_t n,
                                                          std::size_t max_keep) {
  std::vector<gpusched::kvcache::request> out;
  gpusched::kvcache::block_id next = 1;
  for (std::size_t i = 0; i < n; ++i) {
    gpusched::kvcache::request r;
    if (!out.empty() && g() % 4 != 0) {
      const auto& base = out[g() % out.size()];
      const std::size_t keep = std::min<std::size_t>(max_keep, g() % (base.blocks.size() + 1));
      r.blocks.assign(base.blocks.begin(), base.blocks.begin() + static_cast<std::ptrdiff_t>(keep));
    }
    for (std::size_t k = 1 + g() % 4; k > 0; --k) r.blocks.push_back(next++);
    out.push_back(std::move(r));
  }
  return out;
}

/// The letters a-z whose block (id = the letter) is resident in t, in alphabetical order.
template <class P>
std::string resident(const gpusched::kvcache::tier<P>& t) {
  std::string s;
  for (char c = 'a'; c <= 'z'; ++c)
    if (t.contains(static_cast<gpusched::kvcache::block_id>(c))) s += c;
  return s;
}

}  // namespace kv_test
