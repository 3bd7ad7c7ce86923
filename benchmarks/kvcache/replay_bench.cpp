// Replays traces through every eviction policy at 1/5/10/25% of the distinct blocks (one tier):
// hit ratio, gap to Belady's bound (belady_bound.hpp) and LRU, fraction of the LRU-Belady gap
// closed, block operations per second (one block operation = one hash id of a request replayed;
// the tier is built outside the timed region). Then the 3-tier default of issue 5 against HBM
// alone (TTFT mean/p50/p90/p99), and flat_map64 against std::unordered_map. Real trace from
// GPUSCHED_DATA_DIR/traces when present (skipped with a message otherwise) and synthetic traces
// of eleven shapes.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "gpusched/io/mooncake_trace.hpp"
#include "gpusched/kvcache.hpp"

namespace kv = gpusched::kvcache;

namespace pol {
using namespace gpusched::kvcache::policies;
/// hit_density without the recency guard (density decides every eviction).
struct unguarded_density : hit_density {
  static constexpr std::string_view name = "hit_density_unguarded";
  unguarded_density() : hit_density(false) {}
};
}  // namespace pol

namespace {
struct trace_data {
  std::string name;
  std::vector<kv::request> requests;
  std::size_t distinct = 0;
  std::map<int, double> lru, belady;  // per capacity percent
};
std::vector<trace_data> traces;

std::size_t capacity(const trace_data& t, int percent) {
  return static_cast<std::size_t>(static_cast<double>(t.distinct) * percent / 100.0);
}
template <class P>
kv::replay_stats replay_once(const trace_data& t, int percent, std::size_t lookahead, benchmark::State* state) {
  if (state != nullptr) state->PauseTiming();
  kv::tier<P> tier(capacity(t, percent));
  kv::replay_options o;
  o.lookahead = lookahead;
  kv::vector_source src(t.requests);
  if (state != nullptr) state->ResumeTiming();
  if constexpr (kv::needs_future<P>) {
    kv::vector_source pass1(t.requests);
    const auto oracle = kv::future_oracle::build(pass1);
    return kv::replay(tier, src, o, &oracle);
  } else {
    return kv::replay(tier, src, o);
  }
}
double bound(const trace_data& t, int percent) {
  return kv::belady_bound(t.requests, capacity(t, percent)).hit_ratio();
}

template <class P>
void bm_replay(benchmark::State& state, std::size_t trace, int percent, std::size_t lookahead) {
  const trace_data& t = traces[trace];
  double h = 0;
  std::uint64_t ops = 0;
  for (auto _ : state) {
    h = replay_once<P>(t, percent, lookahead, &state).hit_ratio();
    for (const auto& r : t.requests) ops += r.blocks.size();
  }
  const double lru = t.lru.at(percent), bel = t.belady.at(percent);
  state.counters["hit_ratio"] = h;
  state.counters["gap_to_belady"] = bel - h;
  state.counters["minus_lru"] = h - lru;
  state.counters["gap_closed"] = bel > lru ? (h - lru) / (bel - lru) : 0.0;
  state.counters["block_ops_per_s"] = benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
}

void bm_bound(benchmark::State& state, std::size_t trace, int percent) {
  const trace_data& t = traces[trace];
  double h = 0;
  for (auto _ : state) h = bound(t, percent);
  state.counters["hit_ratio"] = h;
  state.counters["minus_lru"] = h - t.lru.at(percent);
  state.counters["gap_closed"] = 1.0;
}

// Issue 5's 3-tier default: HBM 5% of the distinct blocks, host 4x over NVLink-C2C (450 GB/s),
// context memory 20x over the NIC (`context_gbps`); 35 KB/token, 20,000 prefill tokens/s/GPU.
// Prefetch: prefetch_queue over the next `queue` requests that have arrived (0: no prefetch).
template <class P, class Prefetch = kv::no_prefetch>
void bm_tiers(benchmark::State& state, std::size_t trace, std::size_t tiers, double context_gbps,
              std::size_t gpus = 8, std::size_t queue = 0) {
  const trace_data& t = traces[trace];
  kv::hierarchy_stats st;
  for (auto _ : state) {
    const std::size_t hbm = capacity(t, 5);
    using T0 = kv::tier<P>;
    using T1 = kv::tier<pol::lru>;
    kv::hierarchy_options o;
    o.rates.gpus = gpus;
    kv::basic_hierarchy<kv::admit_all, Prefetch, T0, T1, T1> h(
        o, T0(hbm),
        T1(tiers >= 2 ? 4 * hbm : 0, pol::lru{}, kv::tier_link::symmetric(450e9, 10e-6)),
        T1(tiers >= 3 ? 20 * hbm : 0, pol::lru{}, kv::tier_link::symmetric(context_gbps * 1e9, 50e-6)));
    kv::vector_source src(t.requests);
    st = h.replay(src, queue);
  }
  std::uint64_t prefetched = 0;
  for (const auto& x : st.tiers) prefetched += x.prefetched;
  state.counters["prefetched"] = static_cast<double>(prefetched);
  state.counters["prefetch_used"] = static_cast<double>(st.prefetch_used);
  state.counters["hit_ratio"] = st.hit_ratio();
  state.counters["ttft_mean_s"] = st.ttft_mean();
  state.counters["ttft_p50_s"] = st.ttft_percentile(50);
  state.counters["ttft_p90_s"] = st.ttft_percentile(90);
  state.counters["ttft_p99_s"] = st.ttft_percentile(99);
  std::uint64_t loaded = 0, recomputed = 0;
  for (const auto& x : st.tiers) {
    loaded += x.loaded;
    recomputed += x.recomputed;
  }
  state.counters["lower_loaded"] = static_cast<double>(loaded);
  state.counters["lower_recomputed"] = static_cast<double>(recomputed);
}
template <class P>
void add_tiers(const std::string& label) {
  for (std::size_t i = 0; i < traces.size(); ++i)
    for (const std::size_t n : {1, 3})
      for (const double gbps : {100.0, 0.25}) {
        if (n == 1 && gbps != 100.0) continue;
        benchmark::RegisterBenchmark((traces[i].name + "/tiers" + std::to_string(n) + "/" + label +
                                      (n == 3 ? "/ctx" + std::to_string(static_cast<int>(gbps * 1000)) + "MBps" : ""))
                                         .c_str(),
                                     [i, n, gbps](benchmark::State& s) { bm_tiers<P>(s, i, n, gbps); })
            ->Unit(benchmark::kMillisecond)->Iterations(1);
      }
}
// Prefetch rows: 3 tiers, context link 100 GB/s or 1 GB/s, 8 GPUs (issue 5's setup) and 3 GPUs
// (a busier queue), without and with prefetch of the next 32 arrived requests.
template <class P>
void add_prefetch(const std::string& label) {
  for (std::size_t i = 0; i < traces.size(); ++i)
    for (const double gbps : {100.0, 1.0})
      for (const std::size_t gpus : {8, 3})
        for (const bool pf : {false, true}) {
          const std::string name = traces[i].name + "/tiers3/" + label + "/ctx" +
                                   std::to_string(static_cast<int>(gbps * 1000)) + "MBps/gpus" +
                                   std::to_string(gpus) + (pf ? "/prefetch32" : "/noprefetch");
          benchmark::RegisterBenchmark(name.c_str(), [i, gbps, gpus, pf](benchmark::State& s) {
            if (pf) bm_tiers<P, kv::prefetch_queue>(s, i, 3, gbps, gpus, 32);
            else bm_tiers<P>(s, i, 3, gbps, gpus, 0);
          })->Unit(benchmark::kMillisecond)->Iterations(1);
        }
}

// flat_map64 against std::unordered_map on the trace's ids: lookup, insert when absent, and erase
// one old id per insert (a cache's index at a fixed size).
template <bool Flat>
void bm_index(benchmark::State& state, std::size_t trace) {
  const trace_data& t = traces[trace];
  const std::size_t cap = capacity(t, 5);
  std::uint64_t ops = 0, found = 0;
  for (auto _ : state) {
    state.PauseTiming();
    kv::detail::flat_map64 flat(cap);
    std::unordered_map<std::uint64_t, std::uint32_t> node;
    node.reserve(cap);
    std::vector<std::uint64_t> fifo(cap, 0);
    std::size_t head = 0, size = 0;
    state.ResumeTiming();
    for (const auto& r : t.requests)
      for (const auto b : r.blocks) {
        ++ops;
        const bool hit = Flat ? flat.contains(b) : node.count(b) != 0;
        if (hit) {
          ++found;
          continue;
        }
        if (size == cap) {
          if constexpr (Flat) flat.erase(fifo[head]); else node.erase(fifo[head]);
          head = (head + 1) % cap;
          --size;
        }
        fifo[(head + size++) % cap] = b;
        if constexpr (Flat) flat.set(b, 1); else node.emplace(b, 1);
      }
  }
  benchmark::DoNotOptimize(found);
  state.counters["block_ops_per_s"] = benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
}

template <class P>
void add(const std::string& label, std::size_t lookahead = 0) {
  for (std::size_t i = 0; i < traces.size(); ++i)
    for (const int pct : {1, 5, 10, 25})
      benchmark::RegisterBenchmark(
          (traces[i].name + "/" + label + "/" + std::to_string(pct) + "%").c_str(),
          [i, pct, lookahead](benchmark::State& s) { bm_replay<P>(s, i, pct, lookahead); })
          ->Unit(benchmark::kMillisecond)->Iterations(traces[i].name == "conversation" ? 5 : 1);
}

void load(trace_data t) {
  kv::detail::flat_map64 seen;
  for (const auto& r : t.requests)
    for (const auto b : r.blocks) seen.set(b, 1);
  t.distinct = seen.size();
  for (const int pct : {1, 5, 10, 25}) {
    t.lru[pct] = replay_once<pol::lru>(t, pct, 0, nullptr).hit_ratio();
    t.belady[pct] = bound(t, pct);
  }
  traces.push_back(std::move(t));
}
}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("GPUSCHED_DATA_DIR");
#ifdef GPUSCHED_DATA_DIR
  const std::string dir = env ? env : GPUSCHED_DATA_DIR;
#else
  const std::string dir = env ? env : "../shared/data";
#endif
  const std::string path = dir + "/traces/conversation_trace.jsonl";
  if (std::filesystem::exists(path)) {
    gpusched::io::mooncake_trace tr(path);
    load({"conversation", kv::read_all(tr), 0, {}, {}});
  } else {
    std::printf("replay_bench: %s not found; real-trace rows skipped\n", path.c_str());
  }
  // Synthetic shapes (not fitted to anything; each its own seed).
  kv::synthetic_options o;
  o.requests = 20000;
  load({"syn_docs", kv::synthetic_trace(o), 0, {}, {}});
  kv::synthetic_options q = o;  // no documents, short chats, quick turns, heavy Zipf
  q.documents = 0;
  q.continue_probability = 0.8;
  q.think_time = 20;
  q.zipf = 1.4;
  q.seed = 2;
  load({"syn_chat", kv::synthetic_trace(q), 0, {}, {}});
  kv::synthetic_options l = o;  // long think times (5 min), half the sessions continue
  l.think_time = 300;
  l.continue_probability = 0.5;
  l.session_rate = 4;
  l.seed = 3;
  load({"syn_longthink", kv::synthetic_trace(l), 0, {}, {}});
  kv::synthetic_options d = o;  // document QA: many documents, flat popularity, few follow-ups
  d.documents = 2000;
  d.document_probability = 0.9;
  d.continue_probability = 0.2;
  d.zipf = 0.8;
  d.seed = 4;
  load({"syn_docqa", kv::synthetic_trace(d), 0, {}, {}});
  kv::synthetic_options p = o;  // long shared system prompts, short sessions
  p.system_prompts = 50;
  p.system_blocks = 16;
  p.continue_probability = 0.3;
  p.documents = 0;
  p.seed = 5;
  load({"syn_sysprompt", kv::synthetic_trace(p), 0, {}, {}});
  kv::synthetic_options z = o;  // wide Zipf over many documents, long turns, 2-minute think
  z.zipf = 0.6;
  z.documents = 5000;
  z.document_probability = 0.5;
  z.continue_probability = 0.7;
  z.think_time = 120;
  z.turn_blocks = 6;
  z.seed = 6;
  load({"syn_zipfwide", kv::synthetic_trace(z), 0, {}, {}});
  // Two shapes added after the default's guard was redesigned, as held-out checks.
  kv::synthetic_options n1 = o;  // 10-minute think times, many follow-ups, flatter popularity
  n1.think_time = 600;
  n1.continue_probability = 0.7;
  n1.zipf = 0.9;
  n1.documents = 1000;
  n1.seed = 11;
  load({"syn_verylongthink", kv::synthetic_trace(n1), 0, {}, {}});
  kv::synthetic_options n2 = o;  // long turns (10 blocks), quick replies, short sessions
  n2.think_time = 30;
  n2.continue_probability = 0.4;
  n2.turn_blocks = 10;
  n2.system_prompts = 20;
  n2.system_blocks = 8;
  n2.seed = 12;
  load({"syn_longturn", kv::synthetic_trace(n2), 0, {}, {}});
  // Three more held-out shapes, generated while the paired guard and length classes were chosen
  // (each setting was checked on them; not tuned to them).
  kv::synthetic_options h1 = o;  // deep chats: most sessions continue, 3-minute think times
  h1.requests = 15000;
  h1.continue_probability = 0.85;
  h1.think_time = 180;
  h1.turn_blocks = 4;
  h1.zipf = 1.1;
  h1.documents = 300;
  h1.document_probability = 0.5;
  h1.seed = 101;
  load({"syn_deepchat", kv::synthetic_trace(h1), 0, {}, {}});
  kv::synthetic_options h2 = o;  // 100 system prompts of 6 blocks, flat popularity, busy arrivals
  h2.requests = 15000;
  h2.continue_probability = 0.55;
  h2.think_time = 90;
  h2.turn_blocks = 2;
  h2.system_prompts = 100;
  h2.system_blocks = 6;
  h2.zipf = 0.7;
  h2.session_rate = 6;
  h2.seed = 202;
  load({"syn_manyprompts", kv::synthetic_trace(h2), 0, {}, {}});
  kv::synthetic_options h3 = o;  // long shared documents (24 blocks), 4-minute think times
  h3.requests = 15000;
  h3.documents = 800;
  h3.document_blocks = 24;
  h3.document_probability = 0.6;
  h3.continue_probability = 0.65;
  h3.think_time = 240;
  h3.turn_blocks = 5;
  h3.zipf = 1.2;
  h3.seed = 303;
  load({"syn_longdocs", kv::synthetic_trace(h3), 0, {}, {}});

  add<pol::lru>("lru");
  add<pol::lfu>("lfu");
  add<pol::arc>("arc");
  add<pol::s3fifo>("s3fifo");
  add<pol::sieve>("sieve");
  add<pol::leaf_first>("leaf_first");
  add<pol::gdsf>("gdsf");
  add<pol::hit_bonus>("hit_bonus");
  add<pol::unguarded_density>("hit_density_unguarded");
  add<pol::default_policy>("default");
  add<pol::queue_aware<pol::default_policy>>("default+queue32", 32);
  add<pol::belady>("belady_pinned_fnu");
  for (std::size_t i = 0; i < traces.size(); ++i)
    for (const int pct : {1, 5, 10, 25})
      benchmark::RegisterBenchmark((traces[i].name + "/belady_bound/" + std::to_string(pct) + "%").c_str(),
                                   [i, pct](benchmark::State& s) { bm_bound(s, i, pct); })
          ->Unit(benchmark::kMillisecond)->Iterations(1);
  add_tiers<pol::lru>("lru");
  add_tiers<pol::default_policy>("default");
  add_prefetch<pol::lru>("lru");
  benchmark::RegisterBenchmark("index/flat_map64", [](benchmark::State& s) { bm_index<true>(s, 0); })
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("index/std_unordered_map", [](benchmark::State& s) { bm_index<false>(s, 0); })
      ->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
