// Policies that keep their ghosts in the tier's index (ghost_keeping: arc, s3fifo) against
// reference copies that keep them in a private ghost_fifo (the earlier implementation): same
// replay counters and the same resident blocks on random traces; ghost_ring against ghost_fifo.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <unordered_map>
#include <vector>

#include "gpusched/kvcache.hpp"
#include "gpusched/kvcache/detail/ghost_fifo.hpp"
#include "gpusched/kvcache/detail/ghost_ring.hpp"
#include "kv_test_support.hpp"

namespace kv = gpusched::kvcache;
namespace kd = gpusched::kvcache::detail;
namespace pol = gpusched::kvcache::policies;

namespace {

// ARC with B1/B2 in private ghost_fifos (the implementation before ghosts moved to the tier).
class reference_arc {
 public:
  static constexpr std::string_view name = "reference_arc";
  void reserve(std::size_t n) {
    c_ = n;
    links_.reserve(n);
    in_t2_.assign(n, 0);
    key_.assign(n, 0);
    b1_.reserve(n);
    b2_.reserve(n);
  }
  void on_insert(kv::slot_t s, const kv::access_info& a) {
    key_[s] = a.key;
    const double b1 = static_cast<double>(b1_.size()), b2 = static_cast<double>(b2_.size());
    if (b1_.erase(a.key)) {
      p_ = std::min(static_cast<double>(c_), p_ + std::max(1.0, b2 / std::max(1.0, b1)));
      to_t2(s);
    } else if (b2_.erase(a.key)) {
      p_ = std::max(0.0, p_ - std::max(1.0, b1 / std::max(1.0, b2)));
      to_t2(s);
    } else {
      in_t2_[s] = 0;
      t1_.push_front(links_, s);
    }
    while (!b1_.empty_live() && t1_.size() + b1_.size() > c_) b1_.pop_oldest();
    while (!b2_.empty_live() && t1_.size() + t2_.size() + b1_.size() + b2_.size() > 2 * c_)
      b2_.pop_oldest();
  }
  void on_hit(kv::slot_t s, const kv::access_info&) {
    if (in_t2_[s] != 0) t2_.move_to_front(links_, s);
    else {
      t1_.unlink(links_, s);
      to_t2(s);
    }
  }
  void on_evict(kv::slot_t s) {
    if (in_t2_[s] != 0) {
      t2_.unlink(links_, s);
      b2_.push(key_[s]);
    } else {
      t1_.unlink(links_, s);
      b1_.push(key_[s]);
    }
  }
  [[nodiscard]] kv::slot_t victim(const kv::tier_view& v) const {
    const bool from_t1 = !t1_.empty() && (static_cast<double>(t1_.size()) > p_ || t2_.empty());
    kv::slot_t s = oldest(from_t1 ? t1_ : t2_, v);
    if (s == kv::no_slot) s = oldest(from_t1 ? t2_ : t1_, v);
    return s;
  }
  [[nodiscard]] double target_t1() const noexcept { return p_; }

 private:
  void to_t2(kv::slot_t s) {
    in_t2_[s] = 1;
    t2_.push_front(links_, s);
  }
  [[nodiscard]] kv::slot_t oldest(const kd::slot_list& l, const kv::tier_view& v) const {
    for (kv::slot_t s = l.tail(); s != kv::no_slot; s = links_.prev[s])
      if (v.evictable(s)) return s;
    return kv::no_slot;
  }
  std::size_t c_ = 0;
  double p_ = 0;
  kd::slot_links links_;
  kd::slot_list t1_, t2_;
  std::vector<std::uint8_t> in_t2_;
  std::vector<kv::block_id> key_;
  kd::ghost_fifo b1_, b2_;
};


static_assert(kv::ghost_keeping<pol::arc> && kv::ghost_keeping<pol::s3fifo>);
static_assert(kv::ghost_keeping<pol::queue_aware<pol::arc>> && kv::ghost_keeping<pol::pinning<pol::s3fifo>>);
static_assert(!kv::ghost_keeping<pol::lru> && !kv::ghost_keeping<reference_arc>);
static_assert(kv::eviction_policy<pol::queue_aware<pol::arc>> && kv::eviction_policy<pol::pinning<pol::arc>>);

// Prefix-tree traces: requests extend one of a few earlier prefixes by a few fresh blocks.
std::vector<kv::request> random_trace(std::uint32_t seed, std::size_t requests, std::size_t roots) {
  std::mt19937_64 g(seed);
  std::vector<std::vector<kv::block_id>> prefixes;
  std::vector<kv::request> out;
  kv::block_id next = 1;
  for (std::size_t i = 0; i < requests; ++i) {
    kv::request r;
    if (prefixes.size() < roots || g() % 4 == 0) {
      r.blocks = {next++};
    } else {
      r.blocks = prefixes[g() % prefixes.size()];
      r.blocks.resize(1 + g() % r.blocks.size());
    }
    const std::size_t extra = g() % 5;
    for (std::size_t k = 0; k < extra; ++k) r.blocks.push_back(next++);
    prefixes.push_back(r.blocks);
    if (prefixes.size() > 4 * roots) prefixes.erase(prefixes.begin() + static_cast<long>(g() % prefixes.size()));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

TEST_CASE("arc and s3fifo with ghosts in the tier's index replay like private ghost queues") {
  for (const std::uint32_t seed : {1u, 2u, 3u}) {
    const auto rs = random_trace(seed, 3000, 20);
    for (const std::size_t cap : {0u, 1u, 2u, 3u, 8u, 30u, 150u}) {
      CAPTURE(seed);
      CAPTURE(cap);
      (void)kv_test::same_replay<pol::arc, reference_arc>(rs, cap, 97);
      (void)kv_test::same_replay<pol::s3fifo, kv_test::reference_s3fifo>(rs, cap, 97);
    }
  }
}

TEST_CASE("ghost_keeping tiers: ghosts are not resident, erase and exclusive moves leave ghosts") {
  kv::tier<pol::arc> t(2);
  (void)kv::replay(t, std::vector<kv::request>{{0, 0, 0, {1}}, {0, 0, 0, {2}}, {0, 0, 0, {3}}});
  // 3 evicted 1 into B1, then |T1| + |B1| <= 2 forgot it again.
  CHECK_FALSE(t.contains(1));
  CHECK(t.find(1) == kv::no_slot);
  CHECK_FALSE(t.erase(1));
  std::size_t n = 0;
  t.for_each_block([&](kv::block_id) { ++n; });
  CHECK(n == 2);
  CHECK(t.erase(2));  // removal remembers 2 in B1, as on_evict always did
  CHECK(t.size() == 1);
  CHECK_FALSE(t.contains(2));
  CHECK_FALSE(t.erase(2));  // a live ghost: nothing to erase
  {  // a ghost parent is no parent (its index entry is not a slot)
    kv::tier<pol::arc> u(3);
    (void)kv::replay(u, std::vector<kv::request>{{0, 0, 0, {1}}, {0, 0, 0, {1}}, {0, 0, 0, {2}},
                                                 {0, 0, 0, {3}}, {0, 0, 0, {4}}});  // 2 -> B1
    REQUIRE_FALSE(u.contains(2));
    kv::access_info a;
    a.key = 9;
    a.parent = 2;
    a.position = 1;
    const auto in = u.insert(a);
    REQUIRE(in.slot != kv::no_slot);
    CHECK(u.contains(9));
  }
  (void)kv::replay(t, std::vector<kv::request>{{0, 0, 0, {2}}});  // a B1 ghost returns: p grows
  CHECK(t.policy().target_t1() == 1.0);
  CHECK(t.contains(2));
}

TEST_CASE("ghost_ring with the tier's index agrees with ghost_fifo") {
  struct directory {  // the tier's index: block -> ghost id, and each id's block
    kd::flat_map64 map;
    std::unordered_map<std::uint32_t, std::uint64_t> block;
    void forget_ghost(std::uint32_t id) {
      REQUIRE(block.count(id) == 1);
      REQUIRE(map.find(block[id]) == id);
      map.erase(block[id]);
      block.erase(id);
    }
    void prefetch_ghost(std::uint32_t id) const { REQUIRE(block.count(id) == 1); }
  };
  for (const std::uint32_t seed : {7u, 8u, 9u}) {
    std::mt19937_64 g(seed);
    const std::size_t cap = 9;
    kd::ghost_fifo ref;
    ref.reserve(cap);
    kd::ghost_ring ring;
    ring.reserve(cap, 100);
    directory dir;
    for (int step = 0; step < 20000; ++step) {
      const std::uint64_t k = g() % 30;
      switch (g() % 3) {
        case 0:  // only blocks that are not ghosts are evicted (they were resident)
          if (ref.contains(k)) break;
          ref.push(k);
          {
            const std::uint32_t id = ring.push(dir);
            REQUIRE(dir.block.count(id) == 0);  // an id is reused only after it was forgotten
            dir.map.set(k, id);
            dir.block[id] = k;
          }
          break;
        case 1: {  // a ghost returns
          const std::uint32_t id = dir.map.find(k);
          CHECK(ref.erase(k) == (id != kd::flat_map64::npos));
          if (id != kd::flat_map64::npos) {
            CHECK(ring.owns(id));
            ring.returned(id);
            dir.map.erase(k);
            dir.block.erase(id);
          }
          break;
        }
        default:
          ref.pop_oldest();
          ring.pop_oldest(dir);
      }
      REQUIRE(ring.size() == ref.size());
      REQUIRE(dir.map.size() == ref.size());
      for (std::uint64_t x = 0; x < 30; ++x) REQUIRE(dir.map.contains(x) == ref.contains(x));
    }
  }
}
