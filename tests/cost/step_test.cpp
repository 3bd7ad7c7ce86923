// Tests of gpusched/cost/roofline.hpp, collectives.hpp, cluster.hpp and step.hpp.
#include <doctest/doctest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include <Eigen/Core>

#include "gpusched/core/error.hpp"
#include "gpusched/cost/cluster.hpp"
#include "gpusched/cost/collectives.hpp"
#include "gpusched/cost/step.hpp"
#include "gpusched/hardware/gpus.hpp"
#include "gpusched/topology/builders/nvl72.hpp"
#include "gpusched/topology/router.hpp"

namespace c = gpusched::cost;
namespace hw = gpusched::hardware;
namespace t = gpusched::topology;
namespace u = gpusched::units;
using nf = gpusched::number_format;

namespace {
c::efficiency unit_efficiency() {
  c::efficiency e;
  e.compute = 1.0;
  e.memory = 1.0;
  e.network = 1.0;
  e.overlap = 1.0;
  e.kernel_latency = 0.0;
  e.gemm_ramp = 0.0;
  e.expert_tile = 1.0;
  e.step_overhead = 0.0;
  e.collective_latency = 0.0;
  return e;
}
}  // namespace

TEST_CASE("roofline: GEMM time is the larger of compute and memory, with the bound reported") {
  const auto e = unit_efficiency();
  const auto& h100 = hw::gpus::h100_sxm;
  // Decode-like GEMM (m = 1): weights 8192 x 8192 FP8 = 64 MiB-ish read, memory bound.
  const auto small = c::gemm(1, 8192, 8192, nf::fp8_e4m3, nf::fp8_e4m3, h100, e);
  CHECK(small.bound() == c::resource::memory);
  CHECK(small.bytes == 8192.0 * 8192 + 8192 + 8192 * 2);
  CHECK(small.time() == doctest::Approx(small.bytes / 3.35e12));
  // Prefill-like GEMM (m = 8192): 2 m n k flops at the FP8 peak, compute bound.
  const auto big = c::gemm(8192, 8192, 8192, nf::fp8_e4m3, nf::fp8_e4m3, h100, e);
  CHECK(big.bound() == c::resource::compute);
  CHECK(big.time() == doctest::Approx(2.0 * 8192 * 8192 * 8192 / 1979e12));
  // W4A8 runs at the FP8 rate; Rubin has no published FP8 peak: an error naming both.
  CHECK(c::compute_format(nf::nvfp4, nf::fp8_e4m3) == nf::fp8_e4m3);
  CHECK_THROWS_WITH_AS(c::gemm(1, 1, 1, nf::fp8_e4m3, nf::fp8_e4m3, hw::gpus::rubin, e),
                       doctest::Contains("Rubin has no published dense peak for fp8_e4m3"), gpusched::error);
  CHECK_THROWS_AS(c::gemm(-1, 1, 1, nf::bf16, nf::bf16, h100, e), gpusched::error);
}

TEST_CASE("roofline: grouped GEMM reads only experts that receive tokens") {
  const auto e = unit_efficiency();
  const auto& b200 = hw::gpus::b200;
  std::vector<double> tokens = {0, 3, 0, 5};
  const auto g = c::grouped_gemm(tokens, 4096, 1024, nf::nvfp4, nf::fp8_e4m3, b200, e);
  CHECK(g.flops == 2.0 * 8 * 4096 * 1024);
  CHECK(g.bytes == doctest::Approx(2 * 4096.0 * 1024 * 4.5 / 8 + 8 * 1024.0 + 8 * 4096.0 * 2));
  // Uniform form agrees with the explicit counts when every expert gets >= 1 token.
  std::vector<double> even(16, 4.0);
  const auto a = c::grouped_gemm(even, 512, 256, nf::bf16, nf::bf16, b200, e);
  const auto b = c::grouped_gemm_uniform(16, 64, 512, 256, nf::bf16, nf::bf16, b200, e);
  CHECK(a.bytes == doctest::Approx(b.bytes));
  CHECK(a.flops == doctest::Approx(b.flops));
  tokens[2] = std::nan("");
  CHECK_THROWS_WITH_AS(c::grouped_gemm(tokens, 1, 1, nf::bf16, nf::bf16, b200, e), doctest::Contains("expert 2"),
                       gpusched::error);
}

namespace {
// Two 4-GPU NVLink domains (one NVSwitch plane each), one NIC per GPU on one leaf switch.
t::topology two_servers() {
  t::topology topo("2x4");
  std::vector<t::device_id> gpus;
  const auto leaf = topo.add_device({t::device_kind::network_switch, "leaf", "", 1});
  for (int s = 0; s < 2; ++s) {
    const auto plane = topo.add_device({t::device_kind::nvswitch, "s" + std::to_string(s) + "/nvs", "", 0, s});
    for (int g = 0; g < 4; ++g) {
      const std::string n = "s" + std::to_string(s) + "/gpu" + std::to_string(g);
      const auto gpu = topo.add_device({t::device_kind::gpu, n, "H100-SXM", 0, s});
      const auto nic = topo.add_device({t::device_kind::nic, n + "/nic", "", 0, s});
      topo.add_link(gpu, plane, {t::link_kind::nvlink4, u::gb_per_s(450), u::microseconds(0.1), 18});
      topo.add_link(gpu, nic, {t::link_kind::pcie5, u::gb_per_s(64), u::microseconds(0.15), 16});
      topo.add_link(nic, leaf, {t::link_kind::infiniband, u::gbit_per_s(400), u::microseconds(0.6), 1});
    }
  }
  return topo;
}
}  // namespace

TEST_CASE("collectives: alpha-beta over a real topology, hand-worked") {
  const auto topo = two_servers();
  const t::router r(topo);
  const auto cl = c::cluster_of(r, hw::gpus::h100_sxm);
  REQUIRE(cl.size() == 8);
  CHECK(cl.domain[0] == cl.domain[3]);
  CHECK(cl.domain[0] != cl.domain[4]);
  const auto e = unit_efficiency();
  // Point to point inside a server: NVLink 450 GB/s, 2 x 0.1 us.
  const auto p = c::point_to_point(cl, 0, 1, 450e6, e);
  CHECK(p.time() == doctest::Approx(0.2e-6 + 1e-3));
  // Across servers: the NIC (50 GB/s) is the bottleneck.
  CHECK(c::point_to_point(cl, 0, 4, 50e6, e).transfer == doctest::Approx(1e-3));
  // Ring all-reduce of 4 GPUs in one server: 2 (n-1)/n B / bw + 2 (n-1) steps of latency.
  const std::vector<std::size_t> server{0, 1, 2, 3};
  const auto ring = c::all_reduce(cl, server, 4e9, c::allreduce_algorithm::ring, e);
  CHECK(ring.transfer == doctest::Approx(1.5 * 4e9 / 450e9));
  CHECK(ring.latency == doctest::Approx(6 * 0.2e-6));
  // NVLS: the buffer once each way; cheaper than the ring, chosen automatically.
  const auto nvls = c::all_reduce(cl, server, 4e9, c::allreduce_algorithm::nvls, e);
  CHECK(nvls.transfer == doctest::Approx(4e9 / 450e9));
  CHECK(c::all_reduce(cl, server, 4e9, c::allreduce_algorithm::automatic, e).time() == doctest::Approx(nvls.time()));
  const std::vector<std::size_t> all{0, 1, 2, 3, 4, 5, 6, 7};
  CHECK_THROWS_AS(c::all_reduce(cl, all, 1e6, c::allreduce_algorithm::nvls, e), gpusched::error);
  // All-gather: (n-1) shares over the ring's slowest link (a cross-server hop: 50 GB/s).
  CHECK(c::all_gather(cl, all, 1e9, e).transfer == doctest::Approx(7 * 1e9 / 50e9));
  // Uniform all-to-all: each GPU sends 8 GB over 8 GPUs: 3 GB over NVLink, 4 GB over its NIC.
  const auto a2a = c::all_to_all(cl, all, c::uniform_traffic(8, 8e9), e);
  CHECK(a2a.transfer == doctest::Approx(4e9 / 50e9));
  CHECK(a2a.bytes == doctest::Approx(7e9));
  // The same figures from the catalog-based uniform cluster (NIC bandwidth alike).
  const auto uni = c::uniform_cluster(hw::gpus::h100_sxm, 4, 2, u::gbit_per_s(400));
  CHECK(c::all_to_all(uni, all, c::uniform_traffic(8, 8e9), e).transfer == doctest::Approx(a2a.transfer));
  CHECK_THROWS_AS(c::all_to_all(cl, all, Eigen::MatrixXd::Zero(3, 3), e), gpusched::error);
  // Transfers between any devices follow the router's path: GPU -> its NIC over PCIe (64 GB/s).
  const auto gpu0 = topo.id_of("s0/gpu0"), nic0 = topo.id_of("s0/gpu0/nic");
  const auto x = c::transfer(r, gpu0, nic0, 64e6, e);
  CHECK(x.transfer == doctest::Approx(1e-3));
  CHECK(x.latency == doctest::Approx(0.15e-6));
  CHECK(c::transfer(r, gpu0, gpu0, 1e9, e).time() == 0.0);
}

TEST_CASE("collectives: random traffic, all-to-all time is bounded by the busiest port") {
  const auto cl = c::uniform_cluster(hw::gpus::b200, 8, 4, u::gbit_per_s(400));
  const auto e = unit_efficiency();
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> d(0.0, 1e8);
  std::vector<std::size_t> g(32);
  std::iota(g.begin(), g.end(), 0);
  for (int trial = 0; trial < 5; ++trial) {
    Eigen::MatrixXd tr(32, 32);
    for (Eigen::Index i = 0; i < 32; ++i)
      for (Eigen::Index j = 0; j < 32; ++j) tr(i, j) = i == j ? 0.0 : d(rng);
    const auto a = c::all_to_all(cl, g, tr, e);
    // Lower bound: any GPU's off-domain bytes over its NIC; upper: all its bytes over the NIC.
    double lower = 0.0, upper = 0.0;
    for (Eigen::Index i = 0; i < 32; ++i) {
      double off = 0.0;
      for (Eigen::Index j = 0; j < 32; ++j) off += (i / 8 != j / 8) ? tr(i, j) : 0.0;
      lower = std::max(lower, off / 50e9);
      upper = std::max(upper, std::max(tr.row(i).sum(), tr.col(i).sum()) / 50e9);
    }
    CHECK(a.transfer >= lower * (1 - 1e-12));
    CHECK(a.transfer <= upper * (1 + 1e-12));
  }
}

TEST_CASE("step: decode breakdown sums to the step, throughput and price follow from it") {
  const auto cl = c::uniform_cluster(hw::gpus::gb200, 72, 1, u::gbit_per_s(400));
  c::parallel_layout l;
  l.attention_dp = 72;
  l.overlap = true;
  c::workload w;
  w.batch = 64;
  w.context = 4096;
  const auto r = c::decode_step(c::models::deepseek_v3, cl, l, c::precision{}, w);
  double sum = 0.0;
  for (const auto& b : r.by_operator) sum += b.time;
  CHECK(sum == doctest::Approx(r.step_time));
  double by_res = 0.0;
  for (double v : r.by_resource) by_res += v;
  CHECK(by_res == doctest::Approx(r.step_time));
  CHECK(r.tokens == 64.0 * 72);
  CHECK(r.tokens_per_second_per_gpu == doctest::Approx(64.0 / r.step_time));
  CHECK(r.tpot == doctest::Approx(r.step_time));
  CHECK(c::cost_per_million_tokens(r, 3.6) == doctest::Approx(1e-3 / r.tokens_per_second_per_gpu * 1e6));
  // Longer contexts and bigger batches never make a step faster.
  w.context = 8192;
  CHECK(c::decode_step(c::models::deepseek_v3, cl, l, c::precision{}, w).step_time > r.step_time);
  // NVFP4 weights read fewer bytes than FP8: a memory-bound small batch gets faster.
  w.batch = 1;
  c::precision fp4;
  fp4.weights = nf::nvfp4;
  const auto slow = c::decode_step(c::models::deepseek_v3, cl, l, c::precision{}, w);
  const auto fast = c::decode_step(c::models::deepseek_v3, cl, l, fp4, w);
  CHECK(fast.step_time < slow.step_time);
}

TEST_CASE("step: MTP, pipeline and prefill figures") {
  const auto cl = c::uniform_cluster(hw::gpus::h200, 8, 2, u::gbit_per_s(400));
  CHECK(c::accepted_tokens(3, 0.5) == doctest::Approx(1.875));
  CHECK(c::accepted_tokens(0, 0.9) == 1.0);
  // The inverse: 1 + a + a^2 = 1.75 at a = 0.5 exactly; a round trip at a published mean.
  CHECK(c::acceptance_for(2, 1.75) == doctest::Approx(0.5).epsilon(1e-12));
  CHECK(c::accepted_tokens(3, c::acceptance_for(3, 2.82)) == doctest::Approx(2.82).epsilon(1e-12));
  CHECK(c::acceptance_for(3, 1.0) == doctest::Approx(0.0).epsilon(1e-12));
  CHECK(c::acceptance_for(3, 4.0) == doctest::Approx(1.0).epsilon(1e-12));
  CHECK_THROWS_AS(c::acceptance_for(3, 4.5), gpusched::error);
  CHECK_THROWS_AS(c::acceptance_for(0, 1.0), gpusched::error);
  c::parallel_layout l;
  l.tp = 8;
  c::workload w;
  w.batch = 8;
  w.context = 2000;
  const auto plain = c::decode_step(c::models::llama31_70b, cl, l, c::precision{}, w);
  w.mtp_depth = 2;
  w.acceptance = 0.8;
  const auto mtp = c::decode_step(c::models::llama31_70b, cl, l, c::precision{}, w);
  CHECK(mtp.tokens == doctest::Approx(8 * 2.44));
  CHECK(mtp.tpot < plain.tpot);  // memory-bound: verifying 3 tokens costs little more than 1
  // Two pipeline stages: twice the GPUs, each stage half the layers plus a hop.
  c::parallel_layout pp = l;
  pp.pp = 2;
  w.mtp_depth = 0;
  const auto two = c::decode_step(c::models::llama31_70b, cl, pp, c::precision{}, w);
  CHECK(two.gpus == 16);
  CHECK(two.stage_time < plain.stage_time);
  CHECK(two.step_time > plain.step_time);
  // Prefill: cached prefixes cut the work; TTFT is the step.
  c::workload p;
  p.batch = 2;
  p.prompt = 4096;
  const auto cold = c::prefill_step(c::models::llama31_70b, cl, l, c::precision{}, p);
  p.cached_fraction = 0.5;
  const auto warm = c::prefill_step(c::models::llama31_70b, cl, l, c::precision{}, p);
  CHECK(warm.ttft < cold.ttft);
  CHECK(warm.tokens == cold.tokens);
  // Disaggregation: the KV of a 4,096-token prompt crossing servers over the 50 GB/s NIC.
  const auto kv = c::kv_transfer(c::models::llama31_70b, cl, 0, 8, 4096, nf::bf16, unit_efficiency());
  CHECK(kv.transfer == doctest::Approx(4096.0 * 327680 / 50e9));
  // Disaggregated: TTFT adds the transfer; GPU-seconds per request add up over both pools.
  const auto dec = c::decode_step(c::models::llama31_70b, cl, l, c::precision{}, w);
  const auto d = c::disaggregated_serving(cold, dec, kv, 4096, 512);
  CHECK(d.ttft == doctest::Approx(cold.ttft + kv.time()));
  CHECK(d.tpot == dec.tpot);
  CHECK(1.0 / d.tokens_per_second_per_gpu ==
        doctest::Approx(4096.0 / 512 / cold.tokens_per_second_per_gpu + 1.0 / dec.tokens_per_second_per_gpu));
  const auto co = c::colocated_serving(c::models::llama31_70b, cl, l, c::precision{}, w, 512);
  CHECK(co.tokens_per_second_per_gpu > 0.0);
  // In-flight batching with one attention group: nothing to wait for, same as offline.
  CHECK(c::colocated_serving(c::models::llama31_70b, cl, l, c::precision{}, w, 512, {}, c::batching::in_flight)
            .tokens_per_second_per_gpu == doctest::Approx(co.tokens_per_second_per_gpu));
  // Memory-bounded batch: weights 70.6 GB FP8 / 8 GPUs leave room for the KV.
  CHECK(c::max_batch_for_memory(c::models::llama31_70b, hw::gpus::h200, l, c::precision{}, 2000) > 100);
  // Bad inputs name the field.
  p.cached_fraction = 1.0;
  CHECK_THROWS_WITH_AS(c::prefill_step(c::models::llama31_70b, cl, l, c::precision{}, p),
                       doctest::Contains("cached_fraction"), gpusched::error);
  l.tp = 32;
  CHECK_THROWS_WITH_AS(c::decode_step(c::models::llama31_70b, cl, l, c::precision{}, w),
                       doctest::Contains("cluster has 16"), gpusched::error);
}

TEST_CASE("step: in-flight batching over attention-DP groups pays the unaligned prefills") {
  // DeepSeek-V3 on 8 H200, attention DP8 + EP8; 64 sequences per group, 256 output tokens: each
  // group admits a prompt in p = 64 / 256 = 1/4 of its iterations, so prefill is paid
  // (1 - (3/4)^8) / (1/4) = 4 x (1 - 6561/65536) = 3.5995... times over.
  const auto cl = c::uniform_cluster(hw::gpus::h200, 8, 1, u::gbit_per_s(400));
  c::parallel_layout l;
  l.attention_dp = 8;
  const c::step_model sm(c::models::deepseek_v3, cl, l);
  c::workload w;
  w.batch = 64;
  w.prompt = 512;
  const auto pre = sm.prefill(c::precision{}, w);
  auto wd = w;
  wd.context = 512 + 128;
  const auto dec = sm.decode(c::precision{}, wd);
  const double stall = (1.0 - std::pow(0.75, 8)) / 0.25;
  CHECK(stall == doctest::Approx(3.59954833984375));
  // Only the group's own prefill work is waited for: the routed experts, dispatch and combine are
  // spread over all eight GPUs (TensorRT-LLM tech blog 10: the slowest rank bounds the attention).
  double spread = 0.0;
  for (const auto& o : pre.by_operator)
    if (o.name == "moe.experts" || o.name == "moe.dispatch" || o.name == "moe.combine") spread += o.time;
  const double share = spread / pre.step_time;
  REQUIRE(share > 0.0);
  REQUIRE(share < 1.0);
  const auto off = c::colocated_serving(sm, c::precision{}, w, 256);
  const auto inf = c::colocated_serving(sm, c::precision{}, w, 256, {}, c::batching::in_flight);
  CHECK(off.tokens_per_second_per_gpu ==
        doctest::Approx(64.0 * 8 * 256 / (pre.stage_time + 256 * dec.stage_time) / 8));
  const double waited = pre.stage_time * (share + stall * (1.0 - share));
  CHECK(inf.tokens_per_second_per_gpu == doctest::Approx(64.0 * 8 * 256 / (waited + 256 * dec.stage_time) / 8));
  // Between no stall and every prefill waited for in full.
  CHECK(inf.tokens_per_second_per_gpu < off.tokens_per_second_per_gpu);
  CHECK(inf.tokens_per_second_per_gpu >
        64.0 * 8 * 256 / (stall * pre.stage_time + 256 * dec.stage_time) / 8);
  // A group busy admitting in every iteration (p = 1): prefills always coincide, no extra cost.
  w.batch = 256;
  CHECK(c::colocated_serving(sm, c::precision{}, w, 256, {}, c::batching::in_flight).tokens_per_second_per_gpu ==
        doctest::Approx(c::colocated_serving(sm, c::precision{}, w, 256).tokens_per_second_per_gpu));
}

TEST_CASE("cluster: the builder's GB200 NVL72 gives the catalog's uniform figures") {
  const auto topo = t::build::gb200_nvl72();
  const t::router r(topo);
  const auto real = c::cluster_of(r, hw::gpus::gb200);
  const auto uni = c::uniform_cluster(hw::gpus::gb200, 72, 1, u::gbit_per_s(400));
  REQUIRE(real.size() == 72);
  CHECK(real.in_switch_reduction);
  CHECK(real.bandwidth(0, 71) == doctest::Approx(uni.bandwidth(0, 71)));  // NVLink 5: 900 GB/s each way
  c::parallel_layout l;
  l.attention_dp = 72;
  c::workload w;
  w.batch = 32;
  w.context = 2048;
  const auto a = c::decode_step(c::models::deepseek_v3, real, l, c::precision{}, w);
  const auto b = c::decode_step(c::models::deepseek_v3, uni, l, c::precision{}, w);
  CHECK(a.step_time == doctest::Approx(b.step_time).epsilon(0.01));
}

TEST_CASE("step: a per-GPU expert load changes the MoE time; the default is the balls-into-bins maximum") {
  const auto cl = c::uniform_cluster(hw::gpus::h100_sxm, 8, 4, u::gbit_per_s(400));
  c::parallel_layout l;
  l.attention_dp = 32;
  const c::step_model sm(c::models::deepseek_v3, cl, l);
  c::workload w;
  w.batch = 128;
  w.context = 2048;
  const auto base = sm.decode(c::precision{}, w);
  auto time_of = [](const c::step_result& r, std::string_view name) {
    for (const auto& e : r.by_operator)
      if (e.name == name) return e.time;
    return -1.0;
  };
  // Every GPU exactly equally loaded: faster than the default, which charges the expected busiest
  // GPU of random routing (N k = 32,768 rows over 32 GPUs: mean 1,024, plus z_32 deviations).
  const Eigen::VectorXd even = Eigen::VectorXd::Constant(32, 3.0);
  w.gpu_load = &even;
  const auto same = sm.decode(c::precision{}, w);
  CHECK(time_of(same, "moe.experts") < time_of(base, "moe.experts"));
  // A realised load whose busiest GPU holds exactly that expected maximum gives the default's expert time.
  const double mean = 128.0 * 32 * 8 / 32;
  const double busiest = mean + c::detail::expected_max_normal(32) * std::sqrt(mean * (1.0 - 1.0 / 32));
  // Known expected maxima of n standard normals: n = 2 exactly 1/sqrt(pi); n = 10: 1.53875.
  CHECK(c::detail::expected_max_normal(1) == 0.0);
  CHECK(c::detail::expected_max_normal(2) == doctest::Approx(1.0 / std::sqrt(3.141592653589793)).epsilon(1e-6));
  CHECK(c::detail::expected_max_normal(10) == doctest::Approx(1.53875).epsilon(1e-4));
  Eigen::VectorXd peak = Eigen::VectorXd::Constant(32, (32 * mean - busiest) / 31);
  peak[0] = busiest;
  w.gpu_load = &peak;
  CHECK(time_of(sm.decode(c::precision{}, w), "moe.experts") == doctest::Approx(time_of(base, "moe.experts")));
  // One GPU gets twice the mean load: its experts set the layer; dispatch towards it grows too.
  Eigen::VectorXd skew = Eigen::VectorXd::Constant(32, 1.0);
  skew[5] = 1.0 + 31.0 / 30.0 * 1.0;  // any positive scale; normalised internally
  skew *= 7.0;
  w.gpu_load = &skew;
  const auto slow = sm.decode(c::precision{}, w);
  CHECK(slow.step_time > base.step_time);
  CHECK(time_of(slow, "moe.experts") > time_of(base, "moe.experts"));
  CHECK(time_of(slow, "moe.dispatch") > time_of(base, "moe.dispatch"));
  // From per-expert counts and an expert -> GPU map (256 experts, 8 per GPU).
  std::vector<double> tokens(256, 4.0);
  std::vector<std::size_t> gpu_of(256);
  for (std::size_t e = 0; e < 256; ++e) gpu_of[e] = e / 8;
  tokens[0] = 40.0;  // a hot expert on GPU 0
  const auto load = c::load_from_experts(tokens, gpu_of, 32);
  CHECK(load.load[0] == doctest::Approx(7 * 4.0 + 40.0));
  CHECK(load.load[1] == doctest::Approx(32.0));
  CHECK(load.experts.sum() == 256.0);
  w.gpu_load = &load.load;
  w.gpu_experts = &load.experts;
  CHECK(sm.decode(c::precision{}, w).step_time > base.step_time);
  // Bad shapes and values name the field.
  const Eigen::VectorXd short_load = Eigen::VectorXd::Ones(31);
  w.gpu_load = &short_load;
  CHECK_THROWS_WITH_AS(static_cast<void>(sm.decode(c::precision{}, w)), doctest::Contains("gpu_load has 31 entries"), gpusched::error);
  gpu_of[3] = 40;
  CHECK_THROWS_WITH_AS(c::load_from_experts(tokens, gpu_of, 32), doctest::Contains("expert 3 is on GPU 40"),
                       gpusched::error);
}

TEST_CASE("step: a prepared step_model gives the same result as the one-shot functions") {
  const auto cl = c::uniform_cluster(hw::gpus::gb200, 72, 1, u::gbit_per_s(400));
  c::parallel_layout l;
  l.attention_dp = 72;
  l.overlap = true;
  c::workload w;
  w.batch = 64;
  w.context = 4096;
  const c::step_model sm(c::models::deepseek_v3, cl, l);
  CHECK(sm.decode(c::precision{}, w).step_time ==
        c::decode_step(c::models::deepseek_v3, cl, l, c::precision{}, w).step_time);
  // The precomputed uniform all-to-all equals the explicit uniform traffic matrix of the same bytes.
  const c::efficiency e{};
  const auto a = sm.decode(c::precision{}, w, e);
  l.hierarchical_dispatch = false;
  const double per_gpu = 64.0 * c::models::deepseek_v3.hidden * 72 * (1.0 - std::pow(1.0 - 1.0 / 72, 8));
  const Eigen::MatrixXd t = c::uniform_traffic(72, per_gpu);  // FP8 dispatch: one byte per element
  w.dispatch_traffic = &t;
  const auto b = c::decode_step(c::models::deepseek_v3, cl, l, c::precision{}, w, e);
  auto time_of = [](const c::step_result& r, std::string_view name) {
    for (const auto& x : r.by_operator)
      if (x.name == name) return x.time;
    return -1.0;
  };
  CHECK(time_of(a, "moe.dispatch") == doctest::Approx(time_of(b, "moe.dispatch")));
}

TEST_CASE("roofline: grouped expert GEMMs compute whole tiles of rows") {
  auto e = unit_efficiency();
  e.expert_tile = 128;
  // Poisson counts: a mean of 0.5 rows fills a tile with probability 1 - exp(-0.5); a mean of 96
  // almost always needs one tile, a mean of 200 two.
  CHECK(c::padded_rows(0.5, 128) == doctest::Approx(128.0 * (1.0 - std::exp(-0.5))));
  CHECK(c::padded_rows(96, 128) == doctest::Approx(128.0).epsilon(0.01));
  CHECK(c::padded_rows(200, 128) == doctest::Approx(256.0).epsilon(0.001));
  CHECK(c::padded_rows(128, 128) > 128.0 + 50.0);  // about half the time a second tile
  CHECK(c::padded_rows(1e6, 128) == doctest::Approx(1e6 + 64));
  CHECK(c::padded_rows(7.0, 1.0) == 7.0);
  // Whole counts: 3 and 5 rows compute two tiles; the bytes are unchanged.
  const std::vector<double> tokens = {0, 3, 0, 5};
  const auto g = c::grouped_gemm(tokens, 4096, 1024, nf::nvfp4, nf::fp8_e4m3, hw::gpus::b200, e);
  CHECK(g.flops == 2.0 * 256 * 4096 * 1024);
  CHECK(g.bytes == doctest::Approx(2 * 4096.0 * 1024 * 4.5 / 8 + 8 * 1024.0 + 8 * 4096.0 * 2));
  e.expert_tile = 0.5;
  CHECK_THROWS_AS(c::validate(e), gpusched::error);
}
