// One full DeepSeek-V3 decode-step evaluation on a 72-GPU layout (GB200 NVL72, attention-DP 72,
// EP72, uniform dispatch; alpha-beta figures from the builder's GB200 NVL72 topology), the figure
// the placement solvers need in microseconds (target < 100 us). The step_model is prepared once
// (what depends only on the system and layout); the loop evaluates steps, as a solver comparing
// batches or loads would. The one-shot decode_step (preparation included) is timed too, and a
// decode step with a per-GPU expert load (one G x G all-to-all pass).
// Counters: the predicted tokens/s per GPU and TPOT next to the evaluation time.
#include <benchmark/benchmark.h>

#include "gpusched/cost/step.hpp"
#include "gpusched/hardware/gpus.hpp"
#include "gpusched/topology/builders/nvl72.hpp"
#include "gpusched/topology/router.hpp"

namespace c = gpusched::cost;

static void bm_deepseek_decode_step_72(benchmark::State& s) {
  const auto topo = gpusched::topology::build::gb200_nvl72();
  const gpusched::topology::router router(topo);
  const auto cl = c::cluster_of(router, gpusched::hardware::gpus::gb200);
  c::parallel_layout l;
  l.attention_dp = 72;
  l.overlap = true;
  c::workload w;
  w.batch = 64;
  w.context = 4096;
  const c::step_model sm(c::models::deepseek_v3, cl, l);
  Eigen::VectorXd load = Eigen::VectorXd::Ones(72);
  load[3] = 2.0;
  if (s.range(0) == 2) w.gpu_load = &load;
  c::step_result r;
  for (auto _ : s) {
    r = s.range(0) == 1 ? c::decode_step(c::models::deepseek_v3, cl, l, c::precision{}, w)
                        : sm.decode(c::precision{}, w);
    benchmark::DoNotOptimize(r.step_time);
  }
  s.counters["tokens_per_s_per_gpu"] = r.tokens_per_second_per_gpu;
  s.counters["tpot_ms"] = r.tpot * 1e3;
}
// 0: prepared step_model; 1: one-shot decode_step (prepares every call); 2: prepared, per-GPU load.
BENCHMARK(bm_deepseek_decode_step_72)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

static void bm_deepseek_prefill_step_32(benchmark::State& s) {
  const auto cl = c::uniform_cluster(gpusched::hardware::gpus::h100_sxm, 8, 4, gpusched::units::gbit_per_s(400));
  c::parallel_layout l;
  l.attention_dp = 32;
  l.overlap = true;
  c::workload w;
  w.batch = 4;
  w.prompt = 4096;
  c::step_result r;
  for (auto _ : s) {
    r = c::prefill_step(c::models::deepseek_v3, cl, l, c::precision{}, w);
    benchmark::DoNotOptimize(r.step_time);
  }
  s.counters["tokens_per_s_per_gpu"] = r.tokens_per_second_per_gpu;
}
BENCHMARK(bm_deepseek_prefill_step_32)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
