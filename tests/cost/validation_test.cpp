// Validation of the step model against published measurements. Each row states its source, the
// configuration the source describes and the assumptions the source leaves open. The efficiency
// factors are GLOBAL (cost::efficiency defaults); nothing is fitted per row. A leave-one-out check
// refits the factors without each row (coordinate descent on a fixed grid) and predicts it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "gpusched/cost/step.hpp"
#include "gpusched/hardware/gpus.hpp"

namespace c = gpusched::cost;
namespace hw = gpusched::hardware;
namespace u = gpusched::units;
using nf = gpusched::number_format;

namespace {

struct row {
  std::string name;
  std::string source;
  double measured;
  std::function<double(const c::efficiency&)> predict;
};

c::workload decode_load(double batch, double context) {
  c::workload w;
  w.batch = batch;
  w.context = context;
  return w;
}

// One 8-GPU server per NVLink domain, one 400 Gb/s ConnectX-7 per GPU (DGX/HGX H100 and H800
// servers as DeepSeek and LMSYS describe them), InfiniBand leaf-spine fabric.
c::cluster servers(const hw::gpu_spec& gpu, int nodes) {
  return c::uniform_cluster(gpu, 8, nodes, u::gbit_per_s(400));
}

std::vector<row> rows() {
  std::vector<row> out;
  const auto& ds = c::models::deepseek_v3;
  static const c::cluster h800_4 = servers(hw::gpus::h800, 4);
  static const c::cluster h800_18 = servers(hw::gpus::h800, 18);
  static const c::cluster h100_4 = servers(hw::gpus::h100_sxm, 4);
  static const c::cluster h100_9 = servers(hw::gpus::h100_sxm, 9);
  static const c::cluster b200_1 = servers(hw::gpus::b200, 1);

  // DeepSeek open-infra-index, day 6 "DeepSeek-V3/R1 Inference System Overview" (2025-03-01):
  // prefill EP32 / DP32 on 4 H800 nodes, 73.7k input tokens/s per node including cache hits
  // (56.3% of input tokens hit the on-disk KV cache), FP8 GEMMs and dispatch, BF16 attention and
  // combine, dual micro-batch overlap. Assumed: prompt = the stated mean KV length 4,989; 4 prompts
  // per GPU per step (compute bound, insensitive to it).
  out.push_back({"DeepSeek-V3 prefill, 32 H800 (EP32)", "DeepSeek open-infra-index day 6", 73.7e3 / 8,
                 [&](const c::efficiency& e) {
                   c::parallel_layout l;
                   l.attention_dp = 32;
                   l.overlap = true;
                   c::workload w;
                   w.batch = 4;
                   w.prompt = 4989;
                   w.cached_fraction = 0.563;
                   return c::prefill_step(ds, h800_4, l, c::precision{}, w, e).tokens_per_second_per_gpu;
                 }});
  // Same source: decode EP144 on 18 nodes, 14.8k output tokens/s per node at 20-22 tokens/s per
  // user, mean KV length 4,989. Batch per GPU = 14.8k / 8 / 21 = 88 sequences (derived). DeepEP's
  // low-latency kernels send per GPU (no per-node deduplication). MTP not stated: off.
  out.push_back({"DeepSeek-V3 decode, 144 H800 (EP144)", "DeepSeek open-infra-index day 6", 14.8e3 / 8,
                 [&](const c::efficiency& e) {
                   c::parallel_layout l;
                   l.attention_dp = 144;
                   l.overlap = true;
                   l.hierarchical_dispatch = false;
                   return c::decode_step(ds, h800_18, l, c::precision{}, decode_load(14.8e3 / 8 / 21, 4989), e)
                       .tokens_per_second_per_gpu;
                 }});
  // LMSYS blog "Deploying DeepSeek with PD Disaggregation and Large-scale Expert Parallelism on 96
  // H100 GPUs" (2025-05-05): prefill EP32 on 4 nodes, 57,674 / 54,543 / 50,302 input tokens/s per
  // node for 1K / 2K / 4K prompts; DeepEP normal kernels, two-batch overlap. Assumed: 16,384
  // tokens per GPU per step.
  const double prefill_measured[3] = {57674, 54543, 50302};
  for (int i = 0; i < 3; ++i) {
    const double prompt = 1024.0 * (1 << i);
    out.push_back({"DeepSeek-V3 prefill " + std::to_string(int(prompt)) + ", 32 H100 (EP32)", "LMSYS 2025-05-05",
                   prefill_measured[i] / 8, [&, prompt](const c::efficiency& e) {
                     c::parallel_layout l;
                     l.attention_dp = 32;
                     l.overlap = true;
                     c::workload w;
                     w.batch = 16384.0 / prompt;
                     w.prompt = prompt;
                     return c::prefill_step(ds, h100_4, l, c::precision{}, w, e).tokens_per_second_per_gpu;
                   }});
  }
  // Same source: decode EP72 on 9 nodes, 22,282 output tokens/s per node, 2K inputs, 256 sequences
  // per GPU; DeepEP low-latency kernels. Assumed: mean context 2,000 tokens.
  out.push_back({"DeepSeek-V3 decode, 72 H100 (EP72)", "LMSYS 2025-05-05", 22282.0 / 8,
                 [&](const c::efficiency& e) {
                   c::parallel_layout l;
                   l.attention_dp = 72;
                   l.overlap = true;
                   l.hierarchical_dispatch = false;
                   return c::decode_step(ds, h100_9, l, c::precision{}, decode_load(256, 2000), e)
                       .tokens_per_second_per_gpu;
                 }});
  // TensorRT-LLM tech blog 1 "Pushing Latency Boundaries: Optimizing DeepSeek-R1 Performance on
  // NVIDIA B200 GPUs": 368 tokens/s per user at batch 1 on 8 B200, ISL 1K / OSL 2K, attention BF16
  // TP8, MoE NVFP4 (TP4 x EP2, modelled as expert tensor parallelism over 8), 3 MTP layers.
  // Assumed: acceptance 0.85 per draft (DeepSeek-V3 report: 85-90% for the second token); mean
  // context 2,048. Measured and predicted in tokens/s per user.
  out.push_back({"DeepSeek-R1 decode batch 1, 8 B200 NVFP4 (TP8, MTP 3)", "TensorRT-LLM tech blog 1", 368.0,
                 [&](const c::efficiency& e) {
                   c::parallel_layout l;
                   l.tp = 8;
                   l.expert_parallel = false;
                   c::precision f;
                   f.weights = nf::nvfp4;
                   f.activations = nf::nvfp4;
                   auto w = decode_load(1, 2048);
                   w.mtp_depth = 3;
                   w.acceptance = 0.85;
                   return 1.0 / c::decode_step(c::models::deepseek_r1, b200_1, l, f, w, e).tpot;
                 }});
  return out;
}

double abs_error(double predicted, double measured) { return std::fabs(predicted / measured - 1.0); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Median absolute error over rows (skipping `skip`), the objective of the global fit.
double objective(const std::vector<row>& r, const c::efficiency& e, std::size_t skip) {
  std::vector<double> err;
  for (std::size_t i = 0; i < r.size(); ++i)
    if (i != skip) err.push_back(abs_error(r[i].predict(e), r[i].measured));
  // Median first, the worst row as a tie-breaker, so no single row is sacrificed.
  return median(err) + 0.25 * *std::max_element(err.begin(), err.end());
}

// Coordinate descent over a fixed grid of each global factor, two sweeps.
// Starts from a neutral point, not from the library defaults (which were fitted on all rows and
// would leak the left-out row into its own prediction).
c::efficiency fit(const std::vector<row>& r, std::size_t skip) {
  c::efficiency e;
  e.compute = 0.5;
  e.memory = 0.8;
  e.network = 0.8;
  e.overlap = 0.5;
  e.layer_overhead = 10e-6;
  // Grids span what kernels plausibly reach: GEMM/attention 30-80% of dense peak, streaming
  // kernels 60-90% of HBM bandwidth, collectives 50-90% of link bandwidth.
  const std::vector<double> computes = {0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
  const std::vector<double> memories = {0.6, 0.7, 0.8, 0.9};
  const std::vector<double> networks = {0.5, 0.6, 0.7, 0.8, 0.9};
  const std::vector<double> overlaps = {0.0, 0.25, 0.5, 0.75, 1.0};
  const std::vector<double> overheads = {10e-6, 20e-6, 40e-6, 60e-6, 80e-6, 100e-6};
  for (int sweep = 0; sweep < 2; ++sweep) {
    auto tune = [&](double& field, const std::vector<double>& grid) {
      double best = field, best_obj = objective(r, e, skip);
      for (double v : grid) {
        field = v;
        const double o = objective(r, e, skip);
        if (o < best_obj) best = v, best_obj = o;
      }
      field = best;
    };
    tune(e.compute, computes);
    tune(e.memory, memories);
    tune(e.network, networks);
    tune(e.overlap, overlaps);
    tune(e.layer_overhead, overheads);
  }
  return e;
}

}  // namespace

TEST_CASE("validation: every published row within 50%, median within 25%, with global factors") {
  const auto r = rows();
  const c::efficiency defaults{};
  std::vector<double> err;
  std::printf("%-55s %12s %12s %8s\n", "row", "measured", "predicted", "error");
  for (const auto& x : r) {
    const double p = x.predict(defaults);
    err.push_back(abs_error(p, x.measured));
    std::printf("%-55s %12.1f %12.1f %7.1f%%\n", x.name.c_str(), x.measured, p, 100.0 * err.back());
    CHECK_MESSAGE(err.back() <= 0.50, x.name << " (" << x.source << ")");
  }
  const double med = median(err), worst = *std::max_element(err.begin(), err.end());
  std::printf("median error %.1f%%, worst %.1f%%\n", 100.0 * med, 100.0 * worst);
  CHECK(med <= 0.25);
}

TEST_CASE("validation: leave-one-out, factors fitted without a row still predict it") {
  const auto r = rows();
  int within = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const auto e = fit(r, i);
    const double err = abs_error(r[i].predict(e), r[i].measured);
    within += err <= 0.50 ? 1 : 0;
    std::printf("leave-one-out %-55s error %6.1f%% (compute %.2f memory %.2f network %.2f overlap %.2f "
                "overhead %.0f us)\n",
                r[i].name.c_str(), 100.0 * err, e.compute, e.memory, e.network, e.overlap, e.layer_overhead * 1e6);
  }
  std::printf("leave-one-out: %d of %zu rows within 50%%\n", within, r.size());
  // Reported, and required for all but at most one row (a row that alone pins a factor, such as
  // the only latency-bound one, cannot be predicted when left out).
  CHECK(within >= static_cast<int>(r.size()) - 1);
}
