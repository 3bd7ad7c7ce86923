// The default policy's learning components: request-length classes, the guard's paired test and
// the victim scan's per-class cache.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

#include "gpusched/kvcache.hpp"

namespace kv = gpusched::kvcache;
namespace pol = gpusched::kvcache::policies;

TEST_CASE("hit_density: classes by the length of the placing request") {
  using hd = pol::hit_density;
  CHECK(hd::length_level(0) == 0);
  CHECK(hd::length_level(15) == 0);
  CHECK(hd::length_level(16) == 1);
  CHECK(hd::length_level(63) == 1);
  CHECK(hd::length_level(64) == 2);
  // level x (last, hits): level 1, not last, 2 hits = 1 * 8 + 0 + 2; the two-argument index is
  // level 0.
  CHECK(hd::class_index(2, false, 1) == 10);
  CHECK(hd::class_index(3, true, 2) == 2 * 8 + 4 + 3);
  CHECK(hd::class_index(1, true, 0) == hd::class_index(1, true));
  CHECK(hd::class_index(hd::hit_levels - 1, true, hd::length_levels - 1) == hd::classes - 1);
}

TEST_CASE("hit_density: learns that long requests' blocks are not reused and evicts them first") {
  // Step i: a short request s_i (8 blocks), a long request of 20 fresh blocks that never return,
  // and, from i = 4 on, s_{i-4} again. Between the two visits of s_i come 132 other blocks: 72
  // slots under LRU keep none of s_i. The long requests' blocks (length level 1) are never
  // reused, so their learned density falls below the short ones' (level 0), and evicting them
  // first keeps the five live short requests (40 blocks) up to their reuse.
  std::vector<kv::request> rs;
  kv::block_id next = 1'000'000;
  auto shorter = [&](kv::block_id i) {
    kv::request r;
    for (kv::block_id k = 0; k < 8; ++k) r.blocks.push_back(i * 8 + k);
    rs.push_back(r);
  };
  for (kv::block_id i = 0; i < 300; ++i) {
    shorter(i);
    kv::request l;
    for (int k = 0; k < 20; ++k) l.blocks.push_back(next++);
    rs.push_back(l);
    if (i >= 4) shorter(i - 4);
  }
  kv::tier<pol::hit_density> t(72, pol::hit_density(false));
  const auto st = kv::replay(t, rs);
  const auto& p = t.policy();
  CHECK(p.density(pol::hit_density::class_index(0, false, 1), 16) <
        p.density(pol::hit_density::class_index(0, false, 0), 16));
  kv::tier<pol::lru> l(72);
  const auto lru_hits = kv::replay(l, rs).hits;
  CAPTURE(lru_hits);
  CAPTURE(st.hits);
  CHECK(lru_hits < 100);
  CHECK(st.hits > lru_hits + 1500);  // 296 revisits x 8 blocks = 2368 possible
}

TEST_CASE("hit_density: the guard's paired test on the shadows' per-request differences") {
  // After any replay: follows_density() is exactly "-D <= sqrt(S)" for the paired statistic;
  // D equals the difference of the shadows' decayed hit counts (both decay together), and
  // |D| <= S since every per-request difference is an integer.
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
      const auto lead = d.policy().shadow_lead();
      CHECK(h[0] + h[1] > 0.0);  // the shadows ran
      CHECK(lead[0] == doctest::Approx(h[0] - h[1]));
      CHECK(std::abs(lead[0]) <= lead[1] + 1e-9);
      CHECK(d.policy().follows_density() == (-lead[0] <= std::sqrt(lead[1])));
    }
  }
  kv::tier<pol::hit_density> u(100, pol::hit_density(false));
  CHECK(u.policy().shadow_lead() == std::array<double, 2>{0.0, 0.0});
  CHECK(u.policy().follows_density());
}

TEST_CASE("hit_density: the per-class victim cache decides as a full scan does") {
  // queue_aware with an empty queue hands the policy a protecting view, for which victim() scans
  // every class without its cache; nothing is protected, so every decision must be the same.
  for (const std::uint64_t seed : {41u, 42u}) {
    kv::synthetic_options o;
    o.requests = 3000;
    o.seed = seed;
    o.zipf = seed == 41 ? 1.2 : 0.7;
    o.turn_blocks = seed == 41 ? 3.0 : 12.0;  // 12: many requests of 16+ blocks
    const auto rs = kv::synthetic_trace(o);
    for (const std::size_t cap : {std::size_t{40}, std::size_t{400}, std::size_t{2000}}) {
      CAPTURE(seed);
      CAPTURE(cap);
      for (const bool guarded : {false, true}) {
        CAPTURE(guarded);
        kv::tier<pol::hit_density> cached(cap, pol::hit_density(guarded));
        kv::tier<pol::queue_aware<pol::hit_density>> full(
            cap, pol::queue_aware<pol::hit_density>(pol::hit_density(guarded)));
        const auto a = kv::replay(cached, rs);
        kv::vector_source src(rs);
        const auto b = kv::replay(full, src);  // lookahead 0: an empty queue is attached
        CHECK(a.hits == b.hits);
        CHECK(a.evictions == b.evictions);
        CHECK(a.evictions > 0);
        std::set<kv::block_id> ra, rb;
        cached.for_each_block([&](kv::block_id k) { ra.insert(k); });
        full.for_each_block([&](kv::block_id k) { rb.insert(k); });
        CHECK(ra == rb);
      }
    }
  }
}
