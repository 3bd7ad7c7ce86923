// Topology at scale: build time, one cross-rack path query, all-pairs GPU matrices (dense for 72
// and 576 GPUs; one streamed row for 72,000 GPUs, which would need 2 x 41 GB as dense matrices),
// fast bisection, and the memory the topology and its router hold.
// Sizes: one GB200 NVL72 rack (72 GPUs), a SuperPOD scalable unit of 8 racks (576 GPUs) and a
// 1,000-rack pod (72,000 GPUs), all on the default Spectrum-X fabric.

#include <benchmark/benchmark.h>

#include <fstream>
#include <string>
#include <unistd.h>

#include "gpusched/topology.hpp"

namespace topo = gpusched::topology;

namespace {

// Resident set size now, in bytes (Linux /proc/self/statm: pages).
double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

topo::topology pod(int racks) {
  topo::build::superpod_options o;
  o.system = topo::build::system_kind::gb200_nvl72;
  o.racks = racks;
  return topo::build::superpod(o);
}

void BM_build(benchmark::State& state) {
  const int racks = static_cast<int>(state.range(0));
  double held = 0.0;
  std::size_t gpus = 0, devices = 0, links = 0;
  for (auto _ : state) {
    const double before = resident_bytes();
    auto t = pod(racks);
    const topo::router r{t};
    held = resident_bytes() - before;
    gpus = t.num_gpus();
    devices = t.num_devices();
    links = t.num_links();
    benchmark::DoNotOptimize(r.fabric_is_structured());
  }
  state.counters["gpus"] = static_cast<double>(gpus);
  state.counters["devices"] = static_cast<double>(devices);
  state.counters["links"] = static_cast<double>(links);
  state.counters["resident_MB"] = held / 1e6;  // topology + router, measured as RSS growth
}
BENCHMARK(BM_build)->Arg(1)->Arg(8)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_path_cross_rack(benchmark::State& state) {
  const int racks = static_cast<int>(state.range(0));
  const auto t = pod(racks);
  const topo::router r{t};
  const auto gpus = t.gpus();
  // First GPU of rack 0 to a GPU on another rail in the last rack: the longest kind of route.
  const auto from = gpus.front(), to = gpus[gpus.size() - 2];
  topo::route p;
  for (auto _ : state) {
    p = r.path(from, to);
    benchmark::DoNotOptimize(p.devices.data());
  }
  state.counters["hops"] = static_cast<double>(p.hops());
  state.counters["GB_per_s"] = p.bandwidth / 1e9;
  state.counters["latency_us"] = p.latency * 1e6;
}
BENCHMARK(BM_path_cross_rack)->Arg(1)->Arg(8)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_all_pairs_dense(benchmark::State& state) {
  const auto t = pod(static_cast<int>(state.range(0)));
  const topo::router r{t};
  double worst = 0.0, narrowest = 0.0;
  for (auto _ : state) {
    const auto m = topo::all_pairs(r);
    worst = m.latency.maxCoeff();
    narrowest = m.bandwidth.minCoeff();
    benchmark::DoNotOptimize(worst);
  }
  state.counters["gpus"] = static_cast<double>(t.num_gpus());
  state.counters["worst_latency_us"] = worst * 1e6;
  state.counters["min_GB_per_s"] = narrowest / 1e9;
}
BENCHMARK(BM_all_pairs_dense)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);

void BM_all_pairs_row_streamed(benchmark::State& state) {
  const auto t = pod(static_cast<int>(state.range(0)));
  const topo::router r{t};
  std::vector<double> bw(t.num_gpus()), lat(t.num_gpus());
  std::size_t row = 0;
  for (auto _ : state) {
    r.gpu_row(row, bw, lat);
    benchmark::DoNotOptimize(bw.data());
    row = (row + 7919) % t.num_gpus();
  }
  state.counters["gpus_per_row"] = static_cast<double>(t.num_gpus());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(t.num_gpus()));
}
BENCHMARK(BM_all_pairs_row_streamed)->Arg(8)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_bisection(benchmark::State& state) {
  const auto t = pod(static_cast<int>(state.range(0)));
  topo::bisection_result b;
  for (auto _ : state) {
    b = topo::bisection_bandwidth(t);
    benchmark::DoNotOptimize(b.bandwidth);
  }
  state.counters["endpoints"] = static_cast<double>(b.endpoints);
  state.counters["bisection_TB_per_s"] = b.bandwidth / 1e12;
  state.counters["full_bisection"] = b.full_bisection ? 1.0 : 0.0;
}
BENCHMARK(BM_bisection)->Arg(1)->Arg(8)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
