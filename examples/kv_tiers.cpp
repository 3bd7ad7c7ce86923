// kv_tiers: replays a request trace through a KV-cache hierarchy (GPU HBM, host memory, a
// context-memory tier) and prints per-tier hits, loads, recomputes and bytes moved, the prefix hit
// ratio against Belady's bound for the HBM size, and time to first token (p50/p90/p99).
//
//   kv_tiers                                   built-in synthetic trace, 3 tiers, default policy
//   kv_tiers --trace conversation_trace.jsonl --tiers 1 --compare
//   kv_tiers --hbm-percent 10 --host-gbps 64 --json
//   kv_tiers --prefetch 32                     prefetch the blocks of the next 32 queued requests
//
// Defaults (issue 5): HBM = 5% of the trace's distinct blocks; host = 4x HBM over NVLink-C2C
// (450 GB/s each way); context-memory tier = 20x HBM over the NIC (100 GB/s); DeepSeek-V3 in FP8:
// 35 KB of KV per token, 20,000 prefill tokens/s per GPU, 8 GPUs; 512-token blocks.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/core/units.hpp"
#include "gpusched/io/mooncake_trace.hpp"
#include "gpusched/kvcache.hpp"

namespace kv = gpusched::kvcache;
namespace pol = gpusched::kvcache::policies;
namespace units = gpusched::units;

namespace {

struct setup {
  std::size_t tiers = 3;
  double hbm_percent = 5, host_factor = 4, context_factor = 20;
  double host_gbps = 450, context_gbps = 100;
  std::size_t prefetch = 0;  // queue depth seen by the prefetch policy (0: no prefetch)
  kv::hierarchy_options options{};
};

struct result {
  std::string policy;
  kv::hierarchy_stats stats;
  std::vector<std::size_t> capacity;
};

// Always a 3-tier type; tiers beyond `tiers` get no capacity (one instantiation per policy).
template <class P>
result run(const std::vector<kv::request>& rs, std::size_t distinct, const setup& s) {
  const auto hbm = static_cast<std::size_t>(static_cast<double>(distinct) * s.hbm_percent / 100.0);
  const std::size_t host = s.tiers >= 2 ? static_cast<std::size_t>(s.host_factor * static_cast<double>(hbm)) : 0;
  const std::size_t ctx = s.tiers >= 3 ? static_cast<std::size_t>(s.context_factor * static_cast<double>(hbm)) : 0;
  using T0 = kv::tier<P>;
  using T1 = kv::tier<pol::lru>;
  kv::prefetching_hierarchy<T0, T1, T1> h(
      s.options, T0(hbm, P{}, {}, "hbm"),
      T1(host, pol::lru{}, kv::tier_link::symmetric(units::gb_per_s(s.host_gbps), units::microseconds(10)), "host"),
      T1(ctx, pol::lru{}, kv::tier_link::symmetric(units::gb_per_s(s.context_gbps), units::microseconds(50)),
         "context"));
  kv::vector_source src(rs);
  return {std::string(P::name), h.replay(src, s.prefetch), {hbm, host, ctx}};
}

nlohmann::json to_json(const result& r, std::size_t tiers) {
  nlohmann::json j{{"policy", r.policy},
                   {"hit_ratio", r.stats.hit_ratio()},
                   {"prefill_tokens_saved", r.stats.saved_tokens},
                   {"tokens", r.stats.tokens},
                   {"ttft_s", {{"mean", r.stats.ttft_mean()},
                               {"p50", r.stats.ttft_percentile(50)},
                               {"p90", r.stats.ttft_percentile(90)},
                               {"p99", r.stats.ttft_percentile(99)}}},
                   {"prefetch_used", r.stats.prefetch_used}};
  for (std::size_t k = 0; k < tiers; ++k) {
    const auto& t = r.stats.tiers[k];
    j["tiers"].push_back({{"name", t.name}, {"capacity_blocks", r.capacity[k]}, {"hits", t.hits},
                          {"loaded", t.loaded}, {"recomputed", t.recomputed}, {"inserted", t.inserted},
                          {"evictions", t.evictions}, {"demotions", t.demotions},
                          {"prefetched", t.prefetched},
                          {"bytes_read", t.bytes_read}, {"bytes_written", t.bytes_written}});
  }
  return j;
}

void print(const result& r, std::size_t tiers) {
  std::printf("\npolicy %s: prefix hit ratio %.4f, prefill tokens saved %.1f%%\n", r.policy.c_str(),
              r.stats.hit_ratio(),
              r.stats.tokens == 0 ? 0.0 : 100.0 * static_cast<double>(r.stats.saved_tokens) / static_cast<double>(r.stats.tokens));
  std::printf("  %-8s %10s %10s %10s %10s %10s %10s %10s %10s %10s\n", "tier", "capacity", "hits", "loaded",
              "recomputed", "inserted", "evictions", "demotions", "read GB", "written GB");
  for (std::size_t k = 0; k < tiers; ++k) {
    const auto& t = r.stats.tiers[k];
    std::printf("  %-8s %10zu %10llu %10llu %10llu %10llu %10llu %10llu %10.1f %10.1f\n", t.name.c_str(), r.capacity[k],
                static_cast<unsigned long long>(t.hits), static_cast<unsigned long long>(t.loaded),
                static_cast<unsigned long long>(t.recomputed), static_cast<unsigned long long>(t.inserted),
                static_cast<unsigned long long>(t.evictions), static_cast<unsigned long long>(t.demotions),
                t.bytes_read / 1e9, t.bytes_written / 1e9);
  }
  std::uint64_t prefetched = 0;
  for (const auto& t : r.stats.tiers) prefetched += t.prefetched;
  if (prefetched > 0)
    std::printf("  prefetched %llu blocks into HBM, %llu of them used\n",
                static_cast<unsigned long long>(prefetched),
                static_cast<unsigned long long>(r.stats.prefetch_used));
  std::printf("  TTFT (s): mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f\n", r.stats.ttft_mean(),
              r.stats.ttft_percentile(50), r.stats.ttft_percentile(90), r.stats.ttft_percentile(99));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Replay a request trace through a KV-cache hierarchy"};
  std::string trace;
  std::size_t requests = 5000;
  std::uint64_t seed = 1;
  setup s;
  bool compare = false, json = false;
  app.add_option("--trace", trace, "Mooncake JSON-lines trace (or .csv); default: built-in synthetic");
  app.add_option("--requests", requests, "requests of the synthetic trace")->check(CLI::PositiveNumber);
  app.add_option("--seed", seed, "seed of the synthetic trace");
  app.add_option("--tiers", s.tiers, "tiers: 1 (HBM), 2 (+host), 3 (+context memory)")->check(CLI::Range(1, 3));
  app.add_option("--hbm-percent", s.hbm_percent, "HBM capacity, % of the trace's distinct blocks")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--host-factor", s.host_factor, "host tier capacity as a multiple of HBM")->check(CLI::NonNegativeNumber);
  app.add_option("--context-factor", s.context_factor, "context tier capacity as a multiple of HBM")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--host-gbps", s.host_gbps, "host link, GB/s each way")->check(CLI::PositiveNumber);
  app.add_option("--context-gbps", s.context_gbps, "context tier link, GB/s each way")->check(CLI::PositiveNumber);
  app.add_option("--prefetch", s.prefetch, "prefetch for the next N queued requests that have arrived (0: off)");
  app.add_option("--kb-per-token", s.options.rates.bytes_per_token, "KV bytes per token")
      ->transform([](std::string v) { return std::to_string(std::stod(v) * 1e3); })
      ->check(CLI::PositiveNumber);
  app.add_option("--prefill-tps", s.options.rates.prefill_tokens_per_second, "prefill tokens/s per GPU")
      ->check(CLI::PositiveNumber);
  app.add_option("--gpus", s.options.rates.gpus, "prefill GPUs sharing the queue")->check(CLI::PositiveNumber);
  app.add_flag("--inclusive", [&](std::int64_t) { s.options.mode = kv::inclusion::inclusive; },
               "inclusive tiers (default: exclusive, evictions demote)");
  app.add_flag("--no-recompute", [&](std::int64_t) { s.options.load_or_recompute = false; },
               "always load every cached prefix block, even when recomputing is faster");
  app.add_flag("--compare", compare, "run every online policy side by side");
  app.add_flag("--json", json, "machine-readable output");
  CLI11_PARSE(app, argc, argv);
  try {
    std::vector<kv::request> rs;
    if (trace.empty()) {
      kv::synthetic_options o;
      o.requests = requests;
      o.seed = seed;
      rs = kv::synthetic_trace(o);
    } else if (trace.size() > 4 && trace.substr(trace.size() - 4) == ".csv") {
      gpusched::io::csv_trace t(trace);
      rs = kv::read_all(t);
    } else {
      gpusched::io::mooncake_trace t(trace);
      rs = kv::read_all(t);
    }
    kv::detail::flat_map64 seen;
    for (const auto& r : rs)
      for (const auto b : r.blocks) seen.set(b, 1);
    const std::size_t distinct = seen.size();
    const auto hbm = static_cast<std::size_t>(static_cast<double>(distinct) * s.hbm_percent / 100.0);
    const double bound = kv::belady_bound(rs, hbm).hit_ratio();
    std::vector<result> results;
    if (compare) {
      results.push_back(run<pol::lru>(rs, distinct, s));
      results.push_back(run<pol::lfu>(rs, distinct, s));
      results.push_back(run<pol::arc>(rs, distinct, s));
      results.push_back(run<pol::s3fifo>(rs, distinct, s));
      results.push_back(run<pol::sieve>(rs, distinct, s));
      results.push_back(run<pol::leaf_first>(rs, distinct, s));
      results.push_back(run<pol::gdsf>(rs, distinct, s));
      results.push_back(run<pol::hit_bonus>(rs, distinct, s));
    }
    results.push_back(run<pol::default_policy>(rs, distinct, s));
    if (json) {
      nlohmann::json j{{"trace", trace.empty() ? "synthetic" : trace},
                       {"requests", rs.size()},
                       {"distinct_blocks", distinct},
                       {"tiers", s.tiers},
                       {"belady_bound_hbm_hit_ratio", bound}};
      for (const auto& r : results) j["results"].push_back(to_json(r, s.tiers));
      std::cout << j.dump(2) << "\n";
      return 0;
    }
    std::printf("trace %s: %zu requests, %zu distinct blocks; %zu tier(s), HBM %zu blocks (%.1f%%)\n",
                trace.empty() ? "synthetic" : trace.c_str(), rs.size(), distinct, s.tiers, hbm, s.hbm_percent);
    std::printf("Belady bound for HBM alone: block hit ratio %.4f\n", bound);
    for (const auto& r : results) print(r, s.tiers);
    if (compare) {
      std::printf("\n%-12s %10s %10s %10s %10s %10s\n", "policy", "hit ratio", "TTFT mean", "p50", "p90", "p99");
      for (const auto& r : results)
        std::printf("%-12s %10.4f %10.3f %10.3f %10.3f %10.3f\n", r.policy.c_str(), r.stats.hit_ratio(),
                    r.stats.ttft_mean(), r.stats.ttft_percentile(50), r.stats.ttft_percentile(90),
                    r.stats.ttft_percentile(99));
    }
  } catch (const gpusched::error& e) {
    std::fprintf(stderr, "kv_tiers: %s\n", e.what());
    return 1;
  }
  return 0;
}
