// Validation of the step model against published measurements. Each row states its source, the
// configuration the source describes and the assumptions the source leaves open. The efficiency
// factors are GLOBAL (cost::efficiency defaults); nothing is fitted per row. A leave-one-out check
// refits the factors without each row (coordinate descent on a fixed grid) and predicts it. Each
// row's step_model is built once (the layout's collective figures are precomputed), so the fits
// stay fast.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
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

// Formats of TensorRT-LLM's DeepSeek-R1 FP4 recipe (tech blogs 1 and 3): FP8 attention and dense
// GEMMs, NVFP4 routed experts (W4A4), BF16 attention core and KV unless the row says FP8.
c::precision trtllm_fp4() {
  c::precision f;
  f.expert_weights = nf::nvfp4;
  f.expert_activations = nf::nvfp4;
  f.dispatch = nf::nvfp4;  // blog 3: FP4 all-gather of the MoE inputs
  return f;
}

// Dense models (docs/cost.md, section 4), in the fit and the band since the model represents the
// MoE-specific losses (GEMM ramp, expert tile padding, EP balls-into-bins imbalance); before that
// they were held out, under-predicted by 34-59%. Source and assumptions:
//
// TensorRT-LLM "Overview" of performance (docs/source/performance/perf-overview.md
// in NVIDIA/TensorRT-LLM at commit 00f37686, the v1.0 revision: its "NEW for v1.0" RTX 6000
// note), tables "Llama 3.3 70B" and "Llama 3.1 405B", "Total Output Throughput (tokens/sec)" of
// trtllm-bench's offline maximum-load run (PyTorch backend, all requests queued at once, synthetic
// ISL/OSL with standard deviation 0), ModelOpt checkpoints nvidia/Llama-3.3-70B-Instruct-FP8 /
// -FP4 and nvidia/Llama-3.1-405B-Instruct-FP8 / -FP4. Selection rule, fixed before any prediction
// was looked at: the 1000/1000 row of every H100, H200 and B200 column of both tables (GB200 left
// out: the same chip as B200). Measured per GPU = the table's total / TP.
// Llama-3.3-70B is modelled with models::llama31_70b (hidden 8192, 80 layers, 64 / 8 heads of 128,
// intermediate 28672, vocab 128256): assumed, as its gated config.json was not reachable here.
// Batch: trtllm-bench sizes max_batch_size from the KV capacity at ISL + OSL per request, capped
// at 4,096 (tensorrt_llm/bench/build/tuning.py, calc_engine_setting / finetune_setting), and its
// default scheduler (guaranteed no evict) reserves the whole sequence, so the concurrency is what
// fits in memory at context 2,000 (max_batch_for_memory, 90% of HBM usable: the doc runs with
// kv_cache_free_gpu_mem_fraction 0.95 of the memory left after weights and activations).
// Formats: FP8 checkpoints W8A8 with FP8 KV (the v0.17 revision of the doc: "If you specify FP8
// quantization, the KV cache will automatically be set to FP8"); FP4 checkpoints NVFP4 W4A4, KV
// assumed FP8 as well. In-flight batching of prefill and decode on the same GPUs, one group.
void append_dense_rows(std::vector<row>& out) {
  struct dense_row {
    const char* name;
    const c::model_spec* model;
    const hw::gpu_spec* gpu;
    int tp;
    bool fp4;
    double total;
  };
  static const dense_row table[] = {
      {"Llama-3.3-70B 1K/1K, 1 B200 FP4 (TP1)", &c::models::llama31_70b, &hw::gpus::b200, 1, true, 7007},
      {"Llama-3.3-70B 1K/1K, 1 H200 FP8 (TP1)", &c::models::llama31_70b, &hw::gpus::h200, 1, false, 2909},
      {"Llama-3.3-70B 1K/1K, 2 H100 FP8 (TP2)", &c::models::llama31_70b, &hw::gpus::h100_sxm, 2, false, 4205},
      {"Llama-3.1-405B 1K/1K, 4 B200 FP4 (TP4)", &c::models::llama31_405b, &hw::gpus::b200, 4, true, 5209},
      {"Llama-3.1-405B 1K/1K, 8 H200 FP8 (TP8)", &c::models::llama31_405b, &hw::gpus::h200, 8, false, 3330},
      {"Llama-3.1-405B 1K/1K, 8 H100 FP8 (TP8)", &c::models::llama31_405b, &hw::gpus::h100_sxm, 8, false, 2919},
  };
  for (const auto& d : table) {
    c::parallel_layout l;
    l.tp = d.tp;
    c::precision f;
    if (d.fp4) f.weights = f.activations = nf::nvfp4;
    f.kv_cache = nf::fp8_e4m3;
    const double isl = 1000, osl = 1000;
    const double batch = std::min(4096.0, c::max_batch_for_memory(*d.model, *d.gpu, l, f, isl + osl));
    // One cluster and step_model per row, kept alive for the fits (the model holds references).
    auto cl = std::make_shared<c::cluster>(servers(*d.gpu, 1));
    auto sm = std::make_shared<c::step_model>(*d.model, *cl, l);
    out.push_back({d.name, "TensorRT-LLM perf overview v1.0", d.total / d.tp,
                   [cl, sm, f, batch, isl, osl](const c::efficiency& e) {
                     c::workload w;
                     w.batch = batch;
                     w.prompt = isl;
                     return c::colocated_serving(*sm, f, w, osl, e, c::batching::in_flight).tokens_per_second_per_gpu;
                   }});
  }
}

std::vector<row> rows() {
  std::vector<row> out;
  const auto& ds = c::models::deepseek_v3;
  const auto& r1 = c::models::deepseek_r1;
  static const c::cluster h800_4 = servers(hw::gpus::h800, 4);
  static const c::cluster h800_18 = servers(hw::gpus::h800, 18);
  static const c::cluster h100_4 = servers(hw::gpus::h100_sxm, 4);
  static const c::cluster h100_9 = servers(hw::gpus::h100_sxm, 9);
  static const c::cluster b200_1 = servers(hw::gpus::b200, 1);
  static const c::cluster h200_1 = servers(hw::gpus::h200, 1);
  auto ep = [](int gpus, bool hierarchical) {
    c::parallel_layout l;
    l.attention_dp = gpus;
    l.overlap = true;
    l.hierarchical_dispatch = hierarchical;
    return l;
  };
  auto tp8 = [] {
    c::parallel_layout l;
    l.tp = 8;
    l.expert_parallel = false;
    return l;
  };
  static const c::step_model ds_prefill_h800(ds, h800_4, ep(32, true));
  static const c::step_model ds_decode_h800(ds, h800_18, ep(144, false));
  static const c::step_model ds_prefill_h100(ds, h100_4, ep(32, true));
  static const c::step_model ds_decode_h100(ds, h100_9, ep(72, false));
  static const c::step_model r1_tp8_b200(r1, b200_1, tp8());
  static const c::step_model r1_tp8_h200(r1, h200_1, tp8());
  c::parallel_layout dp8;  // TensorRT-LLM max throughput: attention DP8, experts EP8, no overlap
  dp8.attention_dp = 8;
  static const c::step_model r1_dp8_b200(r1, b200_1, dp8);
  static const c::step_model r1_dp8_h200(r1, h200_1, dp8);

  // DeepSeek open-infra-index, day 6 "DeepSeek-V3/R1 Inference System Overview" (2025-03-01):
  // prefill EP32 / DP32 on 4 H800 nodes, 73.7k input tokens/s per node including cache hits
  // (56.3% of input tokens hit the on-disk KV cache), FP8 GEMMs and dispatch, BF16 attention and
  // combine, dual micro-batch overlap. Assumed: prompt = the stated mean KV length 4,989; 4 prompts
  // per GPU per step (compute bound, insensitive to it).
  out.push_back({"DeepSeek-V3 prefill, 32 H800 (EP32)", "DeepSeek open-infra-index day 6", 73.7e3 / 8,
                 [&](const c::efficiency& e) {
                   c::workload w;
                   w.batch = 4;
                   w.prompt = 4989;
                   w.cached_fraction = 0.563;
                   return ds_prefill_h800.prefill(c::precision{}, w, e).tokens_per_second_per_gpu;
                 }});
  // Same source: decode EP144 on 18 nodes, 14.8k output tokens/s per node at 20-22 tokens/s per
  // user, mean KV length 4,989. Batch per GPU = 14.8k / 8 / 21 = 88 sequences (derived). DeepEP's
  // low-latency kernels send per GPU (no per-node deduplication). MTP not stated: off.
  out.push_back({"DeepSeek-V3 decode, 144 H800 (EP144)", "DeepSeek open-infra-index day 6", 14.8e3 / 8,
                 [&](const c::efficiency& e) {
                   return ds_decode_h800.decode(c::precision{}, decode_load(14.8e3 / 8 / 21, 4989), e)
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
                     c::workload w;
                     w.batch = 16384.0 / prompt;
                     w.prompt = prompt;
                     return ds_prefill_h100.prefill(c::precision{}, w, e).tokens_per_second_per_gpu;
                   }});
  }
  // Same source: decode EP72 on 9 nodes, 22,282 output tokens/s per node, 2K inputs, 256 sequences
  // per GPU; DeepEP low-latency kernels. Assumed: mean context 2,000 tokens.
  out.push_back({"DeepSeek-V3 decode, 72 H100 (EP72)", "LMSYS 2025-05-05", 22282.0 / 8,
                 [&](const c::efficiency& e) {
                   return ds_decode_h100.decode(c::precision{}, decode_load(256, 2000), e).tokens_per_second_per_gpu;
                 }});
  // TensorRT-LLM tech blog 1 "Pushing Latency Boundaries: Optimizing DeepSeek-R1 Performance on
  // NVIDIA B200 GPUs": 368 tokens/s per user at batch 1 on 8 B200, ISL 1K / OSL 2K, attention
  // TP8, MoE NVFP4 (TP4 x EP2, modelled as expert tensor parallelism over 8), 3 MTP layers.
  // The blog's precision table: attention modules BF16, dense and MoE FFN NVFP4. The 368 step of
  // its table is "relax acceptance", whose own table gives 3.06-3.10 accepted tokens per step for
  // three MTP layers (strict: 2.82): 3.08 used. Assumed: mean context 2,048. Measured and
  // predicted in tokens/s per user.
  out.push_back({"DeepSeek-R1 decode batch 1, 8 B200 NVFP4 (TP8, MTP 3)", "TensorRT-LLM tech blog 1", 368.0,
                 [&](const c::efficiency& e) {
                   auto w = decode_load(1, 2048);
                   w.mtp_depth = 3;
                   w.acceptance = c::acceptance_for(3, 3.08);
                   auto f = trtllm_fp4();
                   f.weights = nf::bf16;
                   f.activations = nf::bf16;
                   return 1.0 / r1_tp8_b200.decode(f, w, e).tpot;
                 }});
  // TensorRT-LLM "How to get best performance on DeepSeek-R1" (docs/source/blogs/Best_perf_practice_
  // on_DeepSeek-R1_in_TensorRT-LLM.md), H200 min-latency: batch 1, ISL 1K / OSL 2K, TP8 with MoE
  // EP4 (modelled as expert TP over 8), MTP 3, FP8 checkpoint: 158.1 tokens/s per user. The run
  // uses strict acceptance (no relaxed-acceptance options); its dataset is not named, so blog 1's
  // strict figure for three MTP layers, 2.82 accepted tokens per step, is used. Context 2,048.
  out.push_back({"DeepSeek-R1 decode batch 1, 8 H200 FP8 (TP8, MTP 3)", "TensorRT-LLM R1 best-perf doc", 158.1,
                 [&](const c::efficiency& e) {
                   auto w = decode_load(1, 2048);
                   w.mtp_depth = 3;
                   w.acceptance = c::acceptance_for(3, 2.82);
                   return 1.0 / r1_tp8_h200.decode(c::precision{}, w, e).tpot;
                 }});
  // Same document, B200 max-throughput with FP16 KV cache: 4,548 output tokens/s per GPU,
  // attention DP8 + EP8 (tech blog 3 "Optimizing DeepSeek R1 Throughput on NVIDIA Blackwell GPUs":
  // ~4,600), ISL 1,024 / OSL 2,048 synthetic, 3,072 concurrent requests = 384 per GPU, no MTP,
  // prefill and decode on the same GPUs in trtllm-bench's in-flight batching (max 1,536 tokens per
  // iteration: one 1K prompt admitted at a time per attention-DP rank): colocated serving with
  // batching::in_flight.
  out.push_back({"DeepSeek-R1 serving 1K/2K, 8 B200 FP4 (DP8+EP8, 384/GPU)", "TensorRT-LLM R1 best-perf doc / blog 3",
                 4548.0, [&](const c::efficiency& e) {
                   c::workload w;
                   w.batch = 384;
                   w.prompt = 1024;
                   return c::colocated_serving(r1_dp8_b200, trtllm_fp4(), w, 2048, e, c::batching::in_flight)
                       .tokens_per_second_per_gpu;
                 }});
  // Same document, B200 max-throughput for R1-0528 with FP8 KV cache and FP8 attention (blog 3):
  // 5,393 tokens/s per GPU at 7,168 concurrent = 896 per GPU, in-flight batching with at most
  // 2,048 tokens per iteration. The section names no dataset; the sections around it use ISL
  // 1,024 / OSL 2,048 (assumed). Blog 3 measured FP8 KV + attention at +6% end to end at equal
  // concurrency; the model gives it more (docs/cost.md).
  out.push_back({"DeepSeek-R1 serving 1K/2K, 8 B200 FP4 FP8-KV (896/GPU)", "TensorRT-LLM R1 best-perf doc", 5393.0,
                 [&](const c::efficiency& e) {
                   auto f = trtllm_fp4();
                   f.kv_cache = nf::fp8_e4m3;
                   f.attention = nf::fp8_e4m3;
                   c::workload w;
                   w.batch = 896;
                   w.prompt = 1024;
                   return c::colocated_serving(r1_dp8_b200, f, w, 2048, e, c::batching::in_flight)
                       .tokens_per_second_per_gpu;
                 }});
  // Same document, H200 max-throughput: FP8 checkpoint, DP8 + EP8, ISL 1,024 / OSL 2,048, 1,024
  // concurrent = 128 per GPU, in-flight batching: 1,436 tokens/s per GPU.
  out.push_back({"DeepSeek-R1 serving 1K/2K, 8 H200 FP8 (DP8+EP8, 128/GPU)", "TensorRT-LLM R1 best-perf doc", 1436.2,
                 [&](const c::efficiency& e) {
                   c::workload w;
                   w.batch = 128;
                   w.prompt = 1024;
                   return c::colocated_serving(r1_dp8_h200, c::precision{}, w, 2048, e, c::batching::in_flight)
                       .tokens_per_second_per_gpu;
                 }});
  append_dense_rows(out);
  return out;
}

double abs_error(double predicted, double measured) { return std::fabs(predicted / measured - 1.0); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The objective of the global fit over rows (skipping `skip`): the worst absolute error first, as
// the acceptance band is a worst-case criterion, and the median as a tie-breaker. (A median-first
// objective let the fit sacrifice rows: two left the band.)
double objective(const std::vector<row>& r, const c::efficiency& e, std::size_t skip) {
  std::vector<double> err;
  for (std::size_t i = 0; i < r.size(); ++i)
    if (i != skip) err.push_back(abs_error(r[i].predict(e), r[i].measured));
  return *std::max_element(err.begin(), err.end()) + 0.25 * median(err);
}

// Coordinate descent over a fixed grid of each global factor, two sweeps. The GEMM ramp and the
// expert tile are not fitted: they keep their measured / sourced defaults.
// Starts from a neutral point, not from the library defaults (which were fitted on all rows and
// would leak the left-out row into its own prediction).
c::efficiency fit(const std::vector<row>& r, std::size_t skip) {
  c::efficiency e;
  e.compute = 0.5;
  e.memory = 0.8;
  e.network = 0.8;
  e.overlap = 0.5;
  e.kernel_latency = 2e-6;
  e.step_overhead = 0.0;
  // Grids span what kernels plausibly reach: GEMM/attention 20-80% of dense peak, 15-90% of HBM
  // bandwidth (down to what small decode GEMMs reach end to end), collectives 50-90% of links.
  const std::vector<double> computes = {0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8};
  const std::vector<double> memories = {0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
  const std::vector<double> networks = {0.5, 0.6, 0.7, 0.8, 0.9};
  const std::vector<double> overlaps = {0.0, 0.25, 0.5, 0.75, 1.0};
  // Kernel latency 1-12 us (1 us: the launch gap under CUDA graphs with programmatic dependent
  // launch, the physical floor); per-step host overhead 0-8 ms (scheduling, sampling).
  const std::vector<double> kernels = {1e-6, 2e-6, 3e-6, 4e-6, 6e-6, 8e-6, 12e-6};
  const std::vector<double> steps = {0.0, 0.25e-3, 0.5e-3, 1e-3, 2e-3, 4e-3, 8e-3};
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
    tune(e.kernel_latency, kernels);
    tune(e.step_overhead, steps);
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
                "kernel %.0f us step %.2f ms)\n",
                r[i].name.c_str(), 100.0 * err, e.compute, e.memory, e.network, e.overlap, e.kernel_latency * 1e6, e.step_overhead * 1e3);
  }
  std::printf("leave-one-out: %d of %zu rows within 50%%\n", within, r.size());
  // Every row, predicted by factors fitted without it, stays within the band.
  CHECK(within == static_cast<int>(r.size()));
}

TEST_CASE("validation: the library defaults are the global fit on all rows") {
  // Reproducibility of cost::efficiency's defaults: the same coordinate descent on every row.
  const auto r = rows();
  const auto e = fit(r, r.size());
  std::printf("fit on all rows: compute %.2f memory %.2f network %.2f overlap %.2f kernel %.0f us step %.2f ms\n",
              e.compute, e.memory, e.network, e.overlap, e.kernel_latency * 1e6, e.step_overhead * 1e3);
  const c::efficiency d{};
  CHECK(e.compute == doctest::Approx(d.compute));
  CHECK(e.memory == doctest::Approx(d.memory));
  CHECK(e.network == doctest::Approx(d.network));
  CHECK(e.overlap == doctest::Approx(d.overlap));
  CHECK(e.kernel_latency == doctest::Approx(d.kernel_latency));
  CHECK(e.step_overhead == doctest::Approx(d.step_overhead));
}

TEST_CASE("held out: MTP depth scaling at batch 1 against TensorRT-LLM tech blog 1 (not in the fit)") {
  // Blog 1, "Autoregressive MTP Layers" table (8 B200, R1 NVFP4, batch 1, TP8, one software state):
  // accepted tokens per step and tokens/s per user for 0-5 MTP layers. Speedups over no MTP remove
  // the absolute efficiency, so this checks the MTP structure (drafts cost one layer and a head
  // pass each; verifying 1 + depth tokens reads more experts) with the default factors.
  const double accepted[6] = {1.0, 1.92, 2.58, 2.82, 2.99, 3.01};
  const double measured[6] = {111, 198, 250, 253, 245, 239};
  static const c::cluster b200 = servers(hw::gpus::b200, 1);
  c::parallel_layout tp8;
  tp8.tp = 8;
  tp8.expert_parallel = false;
  const c::step_model sm(c::models::deepseek_r1, b200, tp8);
  auto f = trtllm_fp4();
  f.weights = nf::bf16;  // blog 1: BF16 attention modules
  f.activations = nf::bf16;
  auto w = decode_load(1, 2048);
  double speedup[6] = {};
  double base = 0.0;
  for (int d = 0; d <= 5; ++d) {
    w.mtp_depth = d;
    w.acceptance = d > 0 ? c::acceptance_for(d, accepted[d]) : 0.0;
    const double tps = 1.0 / sm.decode(f, w).tpot;
    if (d == 0) base = tps;
    speedup[d] = tps / base;
    const double err = abs_error(speedup[d], measured[d] / measured[0]);
    std::printf("MTP %d: speedup model %.2f, measured %.2f, error %.1f%%\n", d, speedup[d], measured[d] / measured[0],
                100.0 * err);
    CHECK(err <= 0.30);
  }
  // The shape: a gain at every depth, a plateau at two to four layers, then decline (blog: 3 best,
  // 2 within 1.2% and 4 within 3.2% of it); the model's best must lie on the plateau, with three
  // layers within 4% of it.
  const int best = static_cast<int>(std::max_element(speedup, speedup + 6) - speedup);
  CHECK((best >= 2 && best <= 4));
  CHECK(speedup[3] >= 0.96 * speedup[best]);
  CHECK(speedup[5] < speedup[best]);
  CHECK(speedup[1] > 1.0);
}
