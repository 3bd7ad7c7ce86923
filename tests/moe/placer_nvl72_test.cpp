// The NVL72 speed round's pieces against references: the radix-ordered replica list, the
// heap-based slot-limited LPT, the LPT start of bound-limited layers, and the placer's shared
// D'Hondt counts.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "gpusched/moe.hpp"
#include "moe_test_support.hpp"

namespace moe = gpusched::moe;
namespace pk = moe::policies::detail_packing;

namespace {
// The replica list as first written: a comparison sort of every replica.
std::vector<pk::item> replicas_reference(const std::vector<double>& w, const std::vector<int>& counts) {
  std::vector<pk::item> items;
  for (std::size_t e = 0; e < w.size(); ++e)
    for (int r = 0; r < counts[e]; ++r) items.push_back({w[e] / counts[e], static_cast<int>(e)});
  std::sort(items.begin(), items.end(),
            [](const pk::item& a, const pk::item& b) { return a.size != b.size ? a.size > b.size : a.expert < b.expert; });
  return items;
}

// Slot-limited LPT as first written (ordered set of open GPUs).
std::vector<int> lpt_reference(const std::vector<pk::item>& items, const moe::pack_shape& s) {
  const int S = s.slots_per_gpu;
  std::vector<int> map(items.size(), -1), used(static_cast<std::size_t>(s.gpus), 0);
  std::set<std::pair<double, int>> open;
  for (int g = 0; g < s.gpus; ++g) open.emplace(0.0, g);
  const auto holds = [&](int g, int e) {
    for (int k = 0; k < used[static_cast<std::size_t>(g)]; ++k)
      if (map[static_cast<std::size_t>(g * S + k)] == e) return true;
    return false;
  };
  for (const auto& it : items) {
    auto pick = open.begin();
    if (!s.allow_duplicates)
      for (auto i = open.begin(); i != open.end(); ++i)
        if (!holds(i->second, it.expert)) {
          pick = i;
          break;
        }
    auto [load, g] = *pick;
    open.erase(pick);
    map[static_cast<std::size_t>(g * S + used[static_cast<std::size_t>(g)]++)] = it.expert;
    if (used[static_cast<std::size_t>(g)] < S) open.emplace(load + it.size, g);
  }
  return map;
}

// Random counts >= 1 summing to gpus x slots, at most `cap` each.
std::vector<int> random_counts(std::mt19937& rng, int experts, int slots, int cap) {
  std::vector<int> c(static_cast<std::size_t>(experts), 1);
  for (int left = slots - experts; left > 0;) {
    auto& x = c[rng() % c.size()];
    if (x < cap) {
      ++x;
      --left;
    }
  }
  return c;
}
}  // namespace

TEST_CASE("replicas: the radix order equals the comparison sort, ties and zero loads included") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    const int gpus = 2 + static_cast<int>(rng() % 20), slots = 1 + static_cast<int>(rng() % 5);
    // At least slots_per_gpu experts, so that counts capped at one per GPU can fill the slots.
    const int experts = slots + static_cast<int>(rng() % static_cast<unsigned>(gpus * slots - slots + 1));
    std::vector<double> w(static_cast<std::size_t>(experts));
    for (auto& x : w) {
      switch (trial % 4) {
        case 0: x = static_cast<double>(rng() % 5); break;  // many ties and zeros
        case 1: x = std::ldexp(static_cast<double>(rng() % 1000 + 1), static_cast<int>(rng() % 40) - 20); break;
        default: x = std::uniform_real_distribution<double>(0.0, 1e6)(rng);
      }
    }
    moe::pack_shape s;
    s.gpus = gpus;
    s.slots_per_gpu = slots;
    const auto c = random_counts(rng, experts, s.slots(), gpus);
    const auto got = pk::replicas(w, c, s);
    const auto want = replicas_reference(w, c);
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].expert == want[i].expert);
      CHECK(got[i].size == want[i].size);
    }
  }
}

TEST_CASE("pack_lpt: the heap version makes the same picks as the ordered-set one") {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    const int gpus = 1 + static_cast<int>(rng() % 12), slots = 1 + static_cast<int>(rng() % 5);
    // At least slots_per_gpu experts, so that counts capped at one per GPU can fill the slots.
    const int experts = slots + static_cast<int>(rng() % static_cast<unsigned>(gpus * slots - slots + 1));
    std::vector<double> w(static_cast<std::size_t>(experts));
    for (auto& x : w) x = trial % 3 == 0 ? static_cast<double>(rng() % 4) : std::uniform_real_distribution<double>(0.0, 100.0)(rng);
    moe::pack_shape s;
    s.gpus = gpus;
    s.slots_per_gpu = slots;
    s.allow_duplicates = trial % 5 == 0;
    // Caps above the GPU count force duplicates: the fallback (lightest open GPU) is exercised.
    const auto c = random_counts(rng, experts, s.slots(), trial % 4 == 0 ? s.slots() : gpus);
    const auto items = pk::replicas(w, c, s);
    CHECK(moe::policies::pack_lpt{}.pack(w, c, s) == lpt_reference(items, s));
  }
}

TEST_CASE("bound-limited layers start from LPT; the placer stays at or under EPLB there") {
  // NVL72 shape, Zipf 1.2: the hottest expert's replica is above the mean GPU load.
  const auto loads = moe::zipf_loads(3, 256, 1.2, 2, 8.0 * 131072);
  const auto p = moe_test::make(loads, 72, 72, 4, 8);
  std::vector<double> w(256);
  for (int e = 0; e < 256; ++e) w[static_cast<std::size_t>(e)] = loads(0, e);
  const auto s = moe::shape_of(p, w);
  REQUIRE(s.bound > loads.row(0).sum() / 72 * 1.01);
  const auto c = moe::policies::replicate_by_load{}.replicate(w, s);
  CHECK(moe::policies::pack_differencing{}.pack(w, c, s) == moe::policies::pack_lpt{}.pack(w, c, s));
  const auto ours = moe::evaluate(p, moe::placer<>{}.solve(p));
  const auto ref = moe::evaluate(p, moe::eplb(p));
  CHECK(ours.max_over_mean <= ref.max_over_mean);
  CHECK(ours.duplicate_replicas == 0);
  // Not bound-limited (lognormal): still differencing, which differs from LPT here.
  const auto ln = moe::lognormal_loads(1, 256, 1.0, 3, 8.0 * 131072);
  std::vector<double> v(256);
  for (int e = 0; e < 256; ++e) v[static_cast<std::size_t>(e)] = ln(0, e);
  const auto s2 = moe::shape_of(p, v);
  const auto c2 = moe::policies::replicate_by_load{}.replicate(v, s2);
  CHECK(moe::policies::pack_differencing{}.pack(v, c2, s2) != moe::policies::pack_lpt{}.pack(v, c2, s2));
}

TEST_CASE("placer<>: solve (shared D'Hondt counts) equals solve_layer layer by layer") {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    const int gpus = 2 + static_cast<int>(rng() % 9), slots = 1 + static_cast<int>(rng() % 5);
    const int experts = slots + static_cast<int>(rng() % static_cast<unsigned>(gpus * slots - slots + 1));
    const auto p = moe_test::make(moe::zipf_loads(3, experts, 1.0 + 0.1 * (trial % 4), rng(), 1e4), gpus, 1, slots);
    const moe::placer<> solver;
    const auto plan = solver.solve(p);
    for (int l = 0; l < p.layers(); ++l) {
      std::vector<double> w(static_cast<std::size_t>(experts));
      for (int e = 0; e < experts; ++e) w[static_cast<std::size_t>(e)] = p.loads(l, e);
      CHECK(plan.layers[static_cast<std::size_t>(l)].physical_to_logical == solver.solve_layer(w, moe::shape_of(p, w)));
    }
  }
}
