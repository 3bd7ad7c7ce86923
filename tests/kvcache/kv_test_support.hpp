#pragma once
// Shared by the kvcache test files: random prefix-tree traces, a tier's resident letters and a
// step-by-step S3-FIFO reference, and a side-by-side replay check.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "gpusched/kvcache/block.hpp"
#include "gpusched/kvcache/detail/ghost_fifo.hpp"
#include "gpusched/kvcache/detail/slot_list.hpp"
#include "gpusched/kvcache/policy.hpp"
#include "gpusched/kvcache/replay.hpp"
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

/// Replays `rs` through tiers of `cap` blocks under policies New and Ref in chunks of `chunk`
/// requests, requiring equal counters and equal resident sets after every chunk; returns the
/// blocks New left uncached.
template <class New, class Ref>
std::uint64_t same_replay(const std::vector<gpusched::kvcache::request>& rs, std::size_t cap,
                          std::size_t chunk) {
  namespace kv = gpusched::kvcache;
  kv::tier<New> a(cap);
  kv::tier<Ref> b(cap);
  std::uint64_t not_cached = 0;
  for (std::size_t at = 0; at < rs.size(); at += chunk) {
    const std::vector<kv::request> part(rs.begin() + static_cast<long>(at),
                                        rs.begin() + static_cast<long>(std::min(rs.size(), at + chunk)));
    const auto x = kv::replay(a, part), y = kv::replay(b, part);
    REQUIRE(x.hits == y.hits);
    REQUIRE(x.inserts == y.inserts);
    REQUIRE(x.evictions == y.evictions);
    REQUIRE(x.not_cached == y.not_cached);
    not_cached += x.not_cached;
    std::vector<kv::block_id> ka, kb;
    a.for_each_block([&](kv::block_id k) { ka.push_back(k); });
    b.for_each_block([&](kv::block_id k) { kb.push_back(k); });
    std::sort(ka.begin(), ka.end());
    std::sort(kb.begin(), kb.end());
    REQUIRE(ka == kb);
    REQUIRE(a.size() == ka.size());
    for (const kv::block_id k : ka) REQUIRE(a.contains(k));
  }
  return not_cached;
}

/// S3-FIFO as the paper's loop states it, one step at a time (the library's policy skips the
/// steps that would only cycle a queue of pinned blocks), with its ghosts in a private ghost_fifo.
class reference_s3fifo {
 public:
  static constexpr std::string_view name = "reference_s3fifo";
  void reserve(std::size_t n) {
    links_.reserve(n);
    freq_.assign(n, 0);
    where_.assign(n, 0);
    key_.assign(n, 0);
    ghost_.reserve(n - n / 10);
    small_target_ = static_cast<std::size_t>(0.1 * static_cast<double>(n));
  }
  void on_insert(gpusched::kvcache::slot_t s, const gpusched::kvcache::access_info& a) {
    freq_[s] = 0;
    key_[s] = a.key;
    if (ghost_.erase(a.key)) {
      main_.push_front(links_, s);
      where_[s] = 1;
    } else {
      small_.push_front(links_, s);
      where_[s] = 0;
    }
  }
  void on_hit(gpusched::kvcache::slot_t s, const gpusched::kvcache::access_info&) {
    if (freq_[s] < 3) ++freq_[s];
  }
  void on_evict(gpusched::kvcache::slot_t s) {
    if (where_[s] == 0) {
      small_.unlink(links_, s);
      ghost_.push(key_[s]);
    } else {
      main_.unlink(links_, s);
    }
  }
  [[nodiscard]] gpusched::kvcache::slot_t victim(const gpusched::kvcache::tier_view& v) {
    const std::size_t limit = 8 * (small_.size() + main_.size()) + 2;
    for (std::size_t step = 0; step < limit; ++step) {
      if (!small_.empty() && (small_.size() > small_target_ || main_.empty())) {
        const gpusched::kvcache::slot_t t = small_.tail();
        if (!v.evictable(t)) {
          small_.move_to_front(links_, t);
        } else if (freq_[t] > 0) {
          small_.unlink(links_, t);
          main_.push_front(links_, t);
          where_[t] = 1;
          freq_[t] = 0;
        } else {
          return t;
        }
      } else if (!main_.empty()) {
        const gpusched::kvcache::slot_t t = main_.tail();
        if (!v.evictable(t)) {
          main_.move_to_front(links_, t);
        } else if (freq_[t] > 0) {
          --freq_[t];
          main_.move_to_front(links_, t);
        } else {
          return t;
        }
      } else {
        return gpusched::kvcache::no_slot;
      }
    }
    return gpusched::kvcache::no_slot;
  }

 private:
  std::size_t small_target_ = 0;
  gpusched::kvcache::detail::slot_links links_;
  gpusched::kvcache::detail::slot_list small_, main_;
  std::vector<std::uint8_t> freq_, where_;
  gpusched::kvcache::detail::ghost_fifo ghost_;
  std::vector<gpusched::kvcache::block_id> key_;
};

}  // namespace kv_test
