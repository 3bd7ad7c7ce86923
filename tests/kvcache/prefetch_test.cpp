// The hierarchy's prefetch slot: a hand-worked window (budget = link bandwidth x the time until
// the next request starts, arrivals respected), a user-written policy checking the budget
// accounting on random traces, and the invariants prefetch must keep.
#include <doctest/doctest.h>

#include <memory>
#include <random>
#include <tuple>
#include <vector>

#include "gpusched/kvcache.hpp"

namespace kv = gpusched::kvcache;
namespace pol = gpusched::kvcache::policies;

namespace {
using T = kv::tier<pol::lru>;

struct missing_name {
  void prefetch(kv::prefetch_context&) {}
};
struct missing_prefetch {
  static constexpr std::string_view name = "x";
};
static_assert(!kv::prefetch_policy<missing_name>);
static_assert(!kv::prefetch_policy<missing_prefetch>);

// Two tiers: HBM of 8 blocks, host of 100 over a `bw` link; one GPU, so r1 waits for r0.
// r0 = {1,2} (1024 tokens, 0.0512 s of prefill); r1 = {10,11,12} with 10 and 11 in the host.
// A 512-token block is 512 x 35 KB = 17.92 MB.
template <class Prefetch, class Admission = kv::admit_all>
auto two_requests(double bw, double r1_arrival, bool arrived_only,
                  kv::inclusion mode = kv::inclusion::exclusive, std::size_t max_blocks = 0) {
  kv::hierarchy_options o;
  o.rates.gpus = 1;
  o.prefetch_arrived_only = arrived_only;
  o.mode = mode;
  using H = kv::basic_hierarchy<Admission, Prefetch, T, T>;
  auto h = std::make_unique<H>(o, T(8), T(100, pol::lru{}, kv::tier_link::symmetric(bw, 0.0)));
  if constexpr (requires { h->prefetcher().max_blocks; }) h->prefetcher().max_blocks = max_blocks;
  for (const kv::block_id b : {10, 11}) {
    kv::access_info a;
    a.key = b;
    h->template get<1>().insert(a);
  }
  std::vector<kv::request> rs(2);
  rs[0].blocks = {1, 2};
  rs[0].input_tokens = 1024;
  rs[1].blocks = {10, 11, 12};
  rs[1].input_tokens = 1536;
  rs[1].arrival = r1_arrival;
  kv::vector_source src(rs);
  h->replay(src, 1);
  return h;
}
}  // namespace

TEST_CASE("prefetch: one window, hand-worked") {
  const double block = 512 * 35e3;
  SUBCASE("budget for one block: 0.0512 s x 525 MB/s = 26.88 MB") {
    const auto h = two_requests<kv::prefetch_queue>(525e6, 0.0, true);
    const auto& st = h->stats();
    CHECK(st.tiers[1].prefetched == 1);
    CHECK(st.tiers[1].bytes_read == doctest::Approx(block));
    CHECK(st.prefetch_used == 1);
    CHECK(st.tiers[0].hits == 1);  // block 10, now in HBM
    // Block 11: loading (17.92 MB / 525 MB/s = 34.1 ms) + 512 tokens of prefill exceeds
    // recomputing it with block 12 (0.0512 s), so it is recomputed.
    CHECK(st.tiers[1].recomputed == 1);
    CHECK(st.tiers[1].loaded == 0);
    CHECK(st.ttft[1] == doctest::Approx(0.0512 + 0.0512));  // waits for r0, then 1024 tokens
    CHECK(h->get<0>().contains(12));
    CHECK_FALSE(h->get<1>().contains(10));  // exclusive: moved up, not copied
  }
  SUBCASE("without prefetch the same request recomputes everything") {
    const auto h = two_requests<kv::no_prefetch>(525e6, 0.0, true);
    const auto& st = h->stats();
    CHECK(st.tiers[1].prefetched == 0);
    CHECK(st.prefetch_used == 0);
    CHECK(st.ttft[1] == doctest::Approx(0.0512 + 0.0768));
  }
  SUBCASE("a budget for both blocks leaves only block 12 to compute") {
    const auto h = two_requests<kv::prefetch_queue>(5250e6, 0.0, true);
    const auto& st = h->stats();
    CHECK(st.tiers[1].prefetched == 2);
    CHECK(st.prefetch_used == 2);
    CHECK(st.tiers[0].hits == 2);
    CHECK(st.ttft[1] == doctest::Approx(0.0512 + 0.0256));
  }
  SUBCASE("a request that has not arrived when the window opens is not prefetched") {
    const auto h = two_requests<kv::prefetch_queue>(5250e6, 0.01, true);
    const auto& st = h->stats();
    CHECK(st.tiers[1].prefetched == 0);
    // Loads on demand: 2 x 17.92 MB / 5.25 GB/s = 6.8 ms + 0.0256 s beats 0.0768 s.
    CHECK(st.ttft[1] == doctest::Approx(0.0512 - 0.01 + 2 * block / 5250e6 + 0.0256));
    const auto hk = two_requests<kv::prefetch_queue>(5250e6, 0.01, false);
    const auto& known = hk->stats();
    CHECK(known.tiers[1].prefetched == 2);
    CHECK(known.ttft[1] == doctest::Approx(0.0512 - 0.01 + 0.0256));
  }
}

namespace {
// Admission that keeps every block out of HBM (tier 0).
struct refuse_hbm {
  [[nodiscard]] bool admit(std::size_t tier, kv::block_id /*b*/) const { return tier != 0; }
};
}  // namespace

TEST_CASE("prefetch: inclusive copies, max_blocks caps a window, admission is respected") {
  SUBCASE("inclusive: the block is copied up and stays below") {
    const auto h = two_requests<kv::prefetch_queue>(525e6, 0.0, true, kv::inclusion::inclusive);
    CHECK(h->stats().tiers[1].prefetched == 1);
    CHECK(h->stats().ttft[1] == doctest::Approx(0.0512 + 0.0512));
    CHECK(h->get<0>().contains(10));
    CHECK(h->get<1>().contains(10));
  }
  SUBCASE("max_blocks = 1 with budget for both") {
    const auto h = two_requests<kv::prefetch_queue>(5250e6, 0.0, true, kv::inclusion::exclusive, 1);
    CHECK(h->stats().tiers[1].prefetched == 1);
    // Block 11 is loaded on demand: 17.92 MB / 5.25 GB/s = 3.4 ms, then block 12's prefill.
    CHECK(h->stats().ttft[1] == doctest::Approx(0.0512 + 512 * 35e3 / 5250e6 + 0.0256));
  }
  SUBCASE("an admission policy that refuses HBM refuses prefetch too") {
    const auto with = two_requests<kv::prefetch_queue, refuse_hbm>(5250e6, 0.0, true);
    const auto without = two_requests<kv::no_prefetch, refuse_hbm>(5250e6, 0.0, true);
    CHECK(with->stats().tiers[1].prefetched == 0);
    CHECK(with->get<0>().size() == 0);
    CHECK(with->stats().ttft[1] == doctest::Approx(without->stats().ttft[1]));
  }
}

namespace {
// A user-written policy: asks for every lower-tier block of every waiting request and checks that
// the hierarchy charges exactly the block's bytes to the right tier, and refuses past the budget.
struct greedy_checker {
  static constexpr std::string_view name = "greedy_checker";
  std::size_t windows = 0, fetched = 0, refused_budget = 0, bad = 0;
  void prefetch(kv::prefetch_context& ctx) {
    ++windows;
    for (std::size_t q = 0; q < ctx.waiting_count(); ++q) {
      const kv::request& r = ctx.waiting(q);
      for (std::size_t i = 0; i < r.blocks.size(); ++i) {
        const std::size_t k = ctx.level(r.blocks[i]);
        if (k == 0 || k == ctx.levels()) continue;
        const double before = ctx.budget(k), bytes = ctx.block_bytes(r, i);
        const bool ok = ctx.fetch(r, i);
        if (ok) {
          ++fetched;
          if (before < bytes || ctx.budget(k) != before - bytes || ctx.level(r.blocks[i]) != 0) ++bad;
        } else {
          if (before < bytes) ++refused_budget;
          if (ctx.budget(k) != before) ++bad;
        }
      }
    }
  }
};
static_assert(kv::prefetch_policy<greedy_checker>);

std::vector<kv::request> random_timed_trace(std::uint32_t seed, std::size_t n) {
  std::mt19937 g(seed);
  std::vector<kv::request> out;
  kv::block_id next = 1;
  double t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    kv::request r;
    if (!out.empty() && g() % 4 != 0) {
      const auto& base = out[g() % out.size()];
      const std::size_t keep = std::min<std::size_t>(12, g() % (base.blocks.size() + 1));
      r.blocks.assign(base.blocks.begin(), base.blocks.begin() + static_cast<std::ptrdiff_t>(keep));
    }
    const std::size_t extra = 1 + g() % 4;
    for (std::size_t k = 0; k < extra; ++k) r.blocks.push_back(next++);
    t += static_cast<double>(g() % 100) / 1000.0;  // bursts keep a queue
    r.arrival = t;
    r.input_tokens = r.blocks.size() * 512 - g() % 300;
    out.push_back(std::move(r));
  }
  return out;
}
}  // namespace

TEST_CASE("prefetch: budget accounting and invariants on random traces") {
  for (const std::uint32_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    const auto rs = random_timed_trace(seed, 400);
    kv::hierarchy_options o;
    o.rates.gpus = 2;
    auto make_tiers = [] {
      return std::tuple{T(24), T(60, pol::lru{}, kv::tier_link::symmetric(2e9, 1e-3)),
                        T(100000, pol::lru{}, kv::tier_link::symmetric(0.5e9, 5e-3))};
    };
    auto [a0, a1, a2] = make_tiers();
    kv::basic_hierarchy<kv::admit_all, greedy_checker, T, T, T> with(o, std::move(a0), std::move(a1),
                                                                     std::move(a2));
    auto [b0, b1, b2] = make_tiers();
    kv::hierarchy<T, T, T> without(o, std::move(b0), std::move(b1), std::move(b2));
    kv::vector_source s1(rs), s2(rs);
    const auto& sw = with.replay(s1, 8);
    const auto& so = without.replay(s2, 8);
    const auto& c = with.prefetcher();
    CHECK(c.bad == 0);
    CHECK(c.windows > 0);
    CHECK(c.fetched > 0);
    CHECK(c.refused_budget > 0);  // the links did limit it
    CHECK(sw.tiers[1].prefetched + sw.tiers[2].prefetched == c.fetched);
    CHECK(sw.prefetch_used <= c.fetched);
    CHECK(sw.prefetch_used > 0);
    // The bottom tier holds every block, tiers are exclusive with demotion: prefetch moves blocks
    // but loses none, so the prefix hits over all tiers are those without prefetch.
    CHECK(sw.hits == so.hits);
    CHECK(with.get<0>().size() <= 24);
    CHECK(with.get<1>().size() <= 60);
    bool all = true, twice = false;
    for (const auto& r : rs)
      for (const auto b : r.blocks) {
        const int n = int{with.get<0>().contains(b)} + int{with.get<1>().contains(b)} +
                      int{with.get<2>().contains(b)};
        all = all && n >= 1;
        twice = twice || n > 1;
      }
    CHECK(all);
    CHECK_FALSE(twice);
  }
}
