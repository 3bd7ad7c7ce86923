// Builder speed: a superpod of N GB200 NVL72 racks (N x 72 GPUs) with its rail-optimized fabric,
// and a router over it. The design target is 1,000 racks (72,000 GPUs) in under 5 s and 2 GB at
// -O2. Counters: GPUs, devices, links and fabric tiers, so size and speed are read together.
#include <benchmark/benchmark.h>

#include "gpusched/topology/builders.hpp"
#include "gpusched/topology/router.hpp"

namespace build = gpusched::topology::build;

namespace {

build::superpod_options options(benchmark::State& state) {
  build::superpod_options o;
  o.racks = static_cast<int>(state.range(0));
  o.fabric =
      state.range(1) ? build::fabric_kind::quantum_infiniband : build::fabric_kind::spectrum_x;
  return o;
}

void BM_superpod_build(benchmark::State& state) {
  const auto o = options(state);
  std::size_t devices = 0, links = 0, gpus = 0;
  for (auto _ : state) {
    auto t = build::superpod(o);
    devices = t.num_devices();
    links = t.num_links();
    gpus = t.num_gpus();
    benchmark::DoNotOptimize(t);
  }
  state.counters["gpus"] = static_cast<double>(gpus);
  state.counters["devices"] = static_cast<double>(devices);
  state.counters["links"] = static_cast<double>(links);
  state.counters["tiers"] = build::plan_superpod(o).tiers;
}

void BM_superpod_router(benchmark::State& state) {
  const auto t = build::superpod(options(state));
  for (auto _ : state) {
    gpusched::topology::router r{t};
    benchmark::DoNotOptimize(r);
  }
  state.counters["gpus"] = static_cast<double>(t.num_gpus());
}

}  // namespace

// Args: {racks, 0 = Spectrum-X SN5600 / 1 = Quantum QM9700}.
BENCHMARK(BM_superpod_build)
    ->Args({8, 0})
    ->Args({64, 0})
    ->Args({1000, 0})
    ->Args({1000, 1})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_superpod_router)->Args({8, 0})->Args({1000, 0})->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
