// Replays traces through every eviction policy at 1/5/10/25% of the distinct blocks (one tier):
// hit ratio, gap to Belady and LRU, fraction of the LRU-Belady gap closed, block operations per
// second (one block operation = one hash id of a request replayed). Real trace from
// GPUSCHED_DATA_DIR/traces when present (skipped with a message otherwise) and a synthetic trace.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gpusched/io/mooncake_trace.hpp"
#include "gpusched/kvcache.hpp"

namespace kv = gpusched::kvcache;
namespace pol = gpusched::kvcache::policies;

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
double hit_ratio(const trace_data& t, int percent, std::size_t lookahead = 0) {
  kv::tier<P> tier(capacity(t, percent));
  kv::replay_options o;
  o.lookahead = lookahead;
  kv::vector_source src(t.requests);
  if constexpr (kv::needs_future<P>) {
    kv::vector_source pass1(t.requests);
    const auto oracle = kv::future_oracle::build(pass1);
    return kv::replay(tier, src, o, &oracle).hit_ratio();
  } else {
    return kv::replay(tier, src, o).hit_ratio();
  }
}

template <class P>
void bm_replay(benchmark::State& state, std::size_t trace, int percent, std::size_t lookahead) {
  const trace_data& t = traces[trace];
  double h = 0;
  std::uint64_t ops = 0;
  for (auto _ : state) {
    h = hit_ratio<P>(t, percent, lookahead);
    for (const auto& r : t.requests) ops += r.blocks.size();
  }
  const double lru = t.lru.at(percent), bel = t.belady.at(percent);
  state.counters["hit_ratio"] = h;
  state.counters["gap_to_belady"] = bel - h;
  state.counters["minus_lru"] = h - lru;
  state.counters["gap_closed"] = bel > lru ? (h - lru) / (bel - lru) : 0.0;
  state.counters["block_ops_per_s"] = benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
}

template <class P>
void add(const std::string& label, std::size_t lookahead = 0) {
  for (std::size_t i = 0; i < traces.size(); ++i)
    for (const int pct : {1, 5, 10, 25})
      benchmark::RegisterBenchmark(
          (traces[i].name + "/" + label + "/" + std::to_string(pct) + "%").c_str(),
          [i, pct, lookahead](benchmark::State& s) { bm_replay<P>(s, i, pct, lookahead); })
          ->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
}

void load(trace_data t) {
  kv::detail::flat_map64 seen;
  for (const auto& r : t.requests)
    for (const auto b : r.blocks) seen.set(b, 1);
  t.distinct = seen.size();
  for (const int pct : {1, 5, 10, 25}) {
    t.lru[pct] = hit_ratio<pol::lru>(t, pct);
    t.belady[pct] = hit_ratio<pol::belady>(t, pct);
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
  kv::synthetic_options o;
  o.requests = 20000;
  load({"synthetic_docs", kv::synthetic_trace(o), 0, {}, {}});
  kv::synthetic_options q = o;  // another shape: no documents, short chats, quick turns, heavy Zipf
  q.documents = 0;
  q.continue_probability = 0.8;
  q.think_time = 20;
  q.zipf = 1.4;
  q.seed = 2;
  load({"synthetic_chat", kv::synthetic_trace(q), 0, {}, {}});

  add<pol::lru>("lru");
  add<pol::lfu>("lfu");
  add<pol::arc>("arc");
  add<pol::s3fifo>("s3fifo");
  add<pol::sieve>("sieve");
  add<pol::leaf_first>("leaf_first");
  add<pol::gdsf>("gdsf");
  add<pol::default_policy>("default");
  add<pol::queue_aware<pol::default_policy>>("default+queue32", 32);
  add<pol::belady>("belady");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
