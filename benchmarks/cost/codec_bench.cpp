// NVFP4 / MXFP4 codec throughput (values per second) next to the machine's memory bandwidth bound
// (a std::memcpy of the same float buffer): bytes_per_second counts input floats read.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "gpusched/cost/formats/error_metrics.hpp"
#include "gpusched/cost/formats/mxfp4.hpp"
#include "gpusched/cost/formats/nvfp4.hpp"

namespace f = gpusched::cost::formats;

namespace {
std::vector<float> data(std::size_t n) {
  std::mt19937 rng(1);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = d(rng);
  return x;
}
constexpr std::size_t n = 1 << 20;

void set_rate(benchmark::State& s) {
  s.SetItemsProcessed(static_cast<std::int64_t>(s.iterations()) * static_cast<std::int64_t>(n));
  s.SetBytesProcessed(static_cast<std::int64_t>(s.iterations()) * static_cast<std::int64_t>(n * sizeof(float)));
}
}  // namespace

static void bm_memcpy_bound(benchmark::State& s) {
  const auto x = data(n);
  std::vector<float> y(n);
  for (auto _ : s) {
    std::memcpy(y.data(), x.data(), n * sizeof(float));
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_rate(s);
}
BENCHMARK(bm_memcpy_bound);

static void bm_nvfp4_quantize(benchmark::State& s) {
  const auto x = data(n);
  for (auto _ : s) benchmark::DoNotOptimize(f::quantize_nvfp4(x));
  set_rate(s);
  s.counters["sqnr_db"] = f::measure_error(x, f::dequantize_nvfp4(f::quantize_nvfp4(x))).sqnr_db;
}
BENCHMARK(bm_nvfp4_quantize);

static void bm_nvfp4_dequantize(benchmark::State& s) {
  const auto t = f::quantize_nvfp4(data(n));
  std::vector<float> y(n);
  for (auto _ : s) {
    f::dequantize_nvfp4(t, y);
    benchmark::DoNotOptimize(y.data());
  }
  set_rate(s);
}
BENCHMARK(bm_nvfp4_dequantize);

static void bm_mxfp4_quantize(benchmark::State& s) {
  const auto x = data(n);
  for (auto _ : s) benchmark::DoNotOptimize(f::quantize_mxfp4(x));
  set_rate(s);
  s.counters["sqnr_db"] = f::measure_error(x, f::dequantize_mxfp4(f::quantize_mxfp4(x))).sqnr_db;
}
BENCHMARK(bm_mxfp4_quantize);

BENCHMARK_MAIN();
