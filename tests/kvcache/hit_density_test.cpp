// The default policy's learning components: position classes and the guard's noise margin.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "gpusched/kvcache.hpp"

namespace kv = gpusched::kvcache;
namespace pol = gpusched::kvcache::policies;

TEST_CASE("hit_density: classes by position in the request") {
  using hd = pol::hit_density;
  CHECK(hd::position_level(0) == 0);
  CHECK(hd::position_level(15) == 0);
  CHECK(hd::position_level(16) == 1);
  CHECK(hd::position_level(63) == 1);
  CHECK(hd::position_level(64) == 2);
  // level x (last, hits): level 1, not last, 2 hits = 1 * 8 + 0 + 2; the old two-argument index
  // is level 0.
  CHECK(hd::class_index(2, false, 1) == 10);
  CHECK(hd::class_index(3, true, 2) == 2 * 8 + 4 + 3);
  CHECK(hd::class_index(1, true, 0) == hd::class_index(1, true));
  CHECK(hd::class_index(hd::hit_levels - 1, true, hd::position_levels - 1) == hd::classes - 1);
}

TEST_CASE("hit_density: learns that deep positions are not reused and evicts them first") {
  // Request i: 16 blocks p_i (positions 0-15) then 4 new blocks (16-19); four requests later a
  // second visit reuses p_i with a new tail. Positions 16-19 are never reused: the learned density
  // of (no hits, not last, level 1) falls below that of (no hits, not last, level 0).
  std::vector<kv::request> rs;
  kv::block_id next = 1'000'000;
  auto visit = [&](kv::block_id i) {
    kv::request r;
    for (kv::block_id k = 0; k < 16; ++k) r.blocks.push_back(i * 16 + k);
    for (int k = 0; k < 4; ++k) r.blocks.push_back(next++);
    rs.push_back(r);
  };
  for (kv::block_id i = 0; i < 300; ++i) {
    visit(i);
    if (i >= 4) visit(i - 4);
  }
  kv::tier<pol::hit_density> t(120, pol::hit_density(false));
  const auto st = kv::replay(t, rs);
  const auto& p = t.policy();
  CHECK(p.density(pol::hit_density::class_index(0, false, 1), 4) <
        p.density(pol::hit_density::class_index(0, false, 0), 4));
  // 120 slots hold 6 requests under LRU, not the 8-9 requests between the two visits of p_i: LRU
  // hits almost nothing. Dropping the deep tails first keeps the prefixes up to their reuse.
  kv::tier<pol::lru> l(120);
  const auto lru_hits = kv::replay(l, rs).hits;
  CAPTURE(lru_hits);
  CAPTURE(st.hits);
  CHECK(st.hits > lru_hits + 1000);
}

TEST_CASE("hit_density: the guard leaves the density rule only past one sigma of noise") {
  // After any replay, follows_density() must be exactly: LRU shadow's lead <= sqrt(total hits).
  for (const std::uint64_t seed : {31u, 32u, 33u}) {
    kv::synthetic_options o;
    o.requests = 3000;
    o.seed = seed;
    o.think_time = seed == 32 ? 300.0 : 30.0;
    const auto rs = kv::synthetic_trace(o);
    for (const std::size_t cap : {std::size_t{300}, std::size_t{3000}}) {
      CAPTURE(seed);
      CAPTURE(cap);
      kv::tier<pol::default_policy> d(cap);
      (void)kv::replay(d, rs);
      const auto h = d.policy().shadow_hits();
      CHECK(h[0] + h[1] > 0.0);  // the shadows ran
      CHECK(d.policy().follows_density() == (h[1] - h[0] <= std::sqrt(h[0] + h[1])));
    }
  }
}
