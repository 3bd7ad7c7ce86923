#pragma once
// The step model: how long one prefill or decode step of a model takes on a parallel layout, where
// the time goes, and what it means for throughput, latency and price.
//
// A stage of the pipeline holds G = tp x attention_dp GPUs. Attention runs tensor-parallel inside
// each of the attention_dp groups; MoE layers spread the experts over all G GPUs (expert parallel,
// all-to-all dispatch and combine) or shard every expert over them (expert tensor parallel,
// all-reduce). Each kernel costs its roofline time (roofline.hpp) plus a fixed kernel latency (a GEMM
// also its measured wave ramp-up and tail; expert GEMMs compute whole row tiles);
// communication costs its alpha-beta time over the cluster (collectives.hpp); with `overlap` (two
// micro-batches in flight, as DeepSeek and SGLang do) a layer hides efficiency.overlap x
// min(compute, communication) of the sum, otherwise it takes the sum. Each step pays a fixed
// step_overhead once (scheduling, sampling, host synchronisation). With hierarchical dispatch
// (DeepEP's normal kernels) a token crosses the scale-out fabric once per destination NVLink
// domain and fans out over NVLink. Pipeline stages split the layers evenly and pass activations
// point to point. A per-GPU expert load (the moe part's placement) makes the busiest GPU set the
// MoE layer's expert time and skews the all-to-all towards it.
//
// step_model precomputes what depends only on the model, the cluster and the layout (stage GPUs,
// collective figures, all-to-all port loads); decode_step / prefill_step build one per call.
// See docs/cost.md for the assumptions and the measured error.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "gpusched/core/error.hpp"
#include "gpusched/core/formats.hpp"
#include "gpusched/cost/cluster.hpp"
#include "gpusched/cost/collectives.hpp"
#include "gpusched/cost/detail/layer_sum.hpp"
#include "gpusched/cost/detail/stage_figures.hpp"
#include "gpusched/cost/models.hpp"
#include "gpusched/cost/roofline.hpp"

namespace gpusched::cost {

/// Number formats of the tensors of a step.
struct precision {
  number_format weights = number_format::fp8_e4m3;      ///< GEMM weights (attention, dense, and experts unless set below)
  number_format activations = number_format::fp8_e4m3;  ///< GEMM inputs
  number_format attention = number_format::bf16;        ///< attention core (QK, PV) compute
  number_format kv_cache = number_format::bf16;         ///< stored K/V or MLA latent
  number_format dispatch = number_format::fp8_e4m3;     ///< MoE dispatch payload
  number_format combine = number_format::bf16;          ///< MoE combine payload
  std::optional<number_format> expert_weights;          ///< MoE expert weights when they differ (NVFP4 experts)
  std::optional<number_format> expert_activations;      ///< MoE expert inputs when they differ
};

/// How the model is spread over GPUs. Stage s uses cluster GPUs first_gpu + s*G ... + (s+1)*G - 1.
struct parallel_layout {
  int tp = 1;                  ///< tensor-parallel degree of attention and dense layers
  int attention_dp = 1;        ///< attention data-parallel groups per stage
  int pp = 1;                  ///< pipeline stages
  bool expert_parallel = true; ///< MoE experts spread over the stage (EP = tp x attention_dp)
  bool overlap = false;        ///< overlap communication with compute (two micro-batches)
  bool hierarchical_dispatch = true;  ///< MoE tokens cross the fabric once per destination domain
  allreduce_algorithm allreduce = allreduce_algorithm::automatic;
  std::size_t first_gpu = 0;   ///< cluster index of the layout's first GPU
  [[nodiscard]] int stage_gpus() const noexcept { return tp * attention_dp; }
  [[nodiscard]] int gpus() const noexcept { return tp * attention_dp * pp; }
};

/// What a step processes.
struct workload {
  double batch = 1.0;            ///< sequences per attention group in one step
  double prompt = 1024.0;        ///< prefill: prompt tokens per sequence
  double cached_fraction = 0.0;  ///< prefill: share of prompt tokens found in the prefix cache
  double context = 1024.0;       ///< decode: mean KV length per sequence
  int mtp_depth = 0;             ///< decode: draft tokens per step (multi-token prediction)
  double acceptance = 0.0;       ///< decode: probability each successive draft token is accepted
  double expert_imbalance = 1.0; ///< busiest GPU's expert rows / mean, when no per-GPU load is given
  /// Optional per-GPU expert load of one MoE layer (G entries, any non-negative scale: token rows,
  /// shares; the moe part's per-GPU load): GPU g receives load[g] / sum of the routed rows. The
  /// busiest GPU sets the expert time and the all-to-all is skewed towards loaded GPUs.
  const Eigen::VectorXd* gpu_load = nullptr;
  /// Optional experts (replicas) held per GPU (G entries); default experts / G each.
  const Eigen::VectorXd* gpu_experts = nullptr;
  const Eigen::MatrixXd* dispatch_traffic = nullptr;  ///< optional G x G dispatch bytes of one MoE layer
};

/// The result of a step evaluation.
struct step_result {
  seconds step_time = 0.0;          ///< one step, end to end through all stages
  seconds stage_time = 0.0;         ///< one stage's share (the pipeline's throughput interval)
  double tokens = 0.0;              ///< tokens produced (decode, accepted) or consumed (prefill) per step, all groups
  double tokens_per_second_per_gpu = 0.0;
  seconds ttft = 0.0;               ///< prefill: time to first token of the batch
  seconds tpot = 0.0;               ///< decode: time per output token of one sequence
  double gpus = 0.0;
  std::vector<breakdown_entry> by_operator;
  std::array<seconds, 4> by_resource{};  ///< indexed by resource, summed over operators

  /// Seconds attributed to resource `r`.
  [[nodiscard]] seconds of(resource r) const { return by_resource[static_cast<std::size_t>(r)]; }
};

/// Price of a million tokens at `dollars_per_gpu_hour`.
inline double cost_per_million_tokens(const step_result& r, double dollars_per_gpu_hour) {
  require(std::isfinite(dollars_per_gpu_hour) && dollars_per_gpu_hour >= 0.0, "cost::cost_per_million_tokens",
          "price must be finite and non-negative");
  require(r.tokens_per_second_per_gpu > 0.0, "cost::cost_per_million_tokens", "throughput is zero");
  return dollars_per_gpu_hour / 3600.0 / r.tokens_per_second_per_gpu * 1e6;
}

/// Expected accepted tokens per decode step with `depth` drafts each accepted with probability `a`
/// given its predecessors were: 1 + a + a^2 + ... + a^depth.
inline double accepted_tokens(int depth, double a) {
  double total = 1.0, p = 1.0;
  for (int i = 0; i < depth; ++i) total += (p *= a);
  return total;
}

/// The per-draft acceptance `a` at which `depth` drafts yield `mean_accepted` tokens per step on
/// average (the inverse of accepted_tokens; sources usually publish the mean accepted length, e.g.
/// TensorRT-LLM's "acceptance rate" 2.82 for three MTP layers). Needs 1 <= mean_accepted <= 1 + depth.
inline double acceptance_for(int depth, double mean_accepted) {
  const char* where = "cost::acceptance_for";
  require(depth >= 1, where, "depth must be >= 1, got " + std::to_string(depth));
  require(std::isfinite(mean_accepted) && mean_accepted >= 1.0 && mean_accepted <= 1.0 + depth, where,
          "mean accepted tokens must lie in [1, 1 + depth], got " + std::to_string(mean_accepted));
  double lo = 0.0, hi = 1.0;  // accepted_tokens is increasing in a: bisect to double precision
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (accepted_tokens(depth, mid) < mean_accepted ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

/// Per-GPU expert load from per-expert token counts and the GPU each expert (replica) lives on:
/// the `gpu_load` / `gpu_experts` inputs of a workload. Token counts of replicas are whatever the
/// placement dispatches to each replica.
struct gpu_expert_load {
  Eigen::VectorXd load;     ///< token rows per GPU
  Eigen::VectorXd experts;  ///< experts (replicas) per GPU
};

/// Sums `tokens[e]` onto GPU `gpu_of[e]` for each expert (replica) e of one MoE layer.
inline gpu_expert_load load_from_experts(std::span<const double> tokens, std::span<const std::size_t> gpu_of,
                                         std::size_t gpus) {
  const char* where = "cost::load_from_experts";
  require(tokens.size() == gpu_of.size(), where,
          "tokens has " + std::to_string(tokens.size()) + " entries, gpu_of has " + std::to_string(gpu_of.size()));
  gpu_expert_load r{Eigen::VectorXd::Zero(static_cast<Eigen::Index>(gpus)),
                    Eigen::VectorXd::Zero(static_cast<Eigen::Index>(gpus))};
  for (std::size_t e = 0; e < tokens.size(); ++e) {
    if (!(std::isfinite(tokens[e]) && tokens[e] >= 0.0))
      throw error(where, "token count of expert " + std::to_string(e) + " must be finite and non-negative");
    if (gpu_of[e] >= gpus)
      throw error(where, "expert " + std::to_string(e) + " is on GPU " + std::to_string(gpu_of[e]) + ", stage has " +
                             std::to_string(gpus));
    r.load[static_cast<Eigen::Index>(gpu_of[e])] += tokens[e];
    r.experts[static_cast<Eigen::Index>(gpu_of[e])] += 1.0;
  }
  return r;
}

namespace detail {
enum class phase { prefill, decode };

// Expected maximum of n independent standard normal variables, E[max] = integral of x n phi(x)
// Phi(x)^(n-1) dx, by the midpoint rule on [-10, 10] (1.4236 for n = 8, 2.0697 for n = 32). 0 for
// n <= 1. The integrand is smooth and vanishes at both ends, so the rule converges exponentially:
// 200 points agree with 4,000 within 1e-12 up to n = 4,608 and 1e-10 at n = 72,000, at a twentieth
// of the cost (this runs once per step_model, inside every one-shot decode_step).
inline double expected_max_normal(double n) {
  if (n <= 1.0) return 0.0;
  constexpr int steps = 200;
  constexpr double lo = -10.0, hi = 10.0, dx = (hi - lo) / steps;
  const double inv_sqrt_2pi = 1.0 / std::sqrt(2.0 * 3.141592653589793);
  double sum = 0.0;
  for (int i = 0; i < steps; ++i) {
    const double x = lo + (i + 0.5) * dx;
    const double cdf = 0.5 * std::erfc(-x / std::sqrt(2.0));
    sum += x * n * inv_sqrt_2pi * std::exp(-0.5 * x * x) * std::pow(cdf, n - 1.0);
  }
  return sum * dx;
}

}  // namespace detail

/// A model on a cluster with a layout, with everything that depends only on those precomputed.
/// Holds references: the model and cluster must outlive it.
class step_model {
 public:
  step_model(const model_spec& m, const cluster& c, const parallel_layout& l) : m_(m), c_(c), l_(l) {
    const char* where = "cost::step";
    require(m.layers > 0 && m.hidden > 0, where, "model '" + std::string(m.name) + "' has no layers");
    require(l.tp >= 1 && l.attention_dp >= 1 && l.pp >= 1, where, "tp, attention_dp and pp must be >= 1");
    require(l.pp <= m.layers, where, "more pipeline stages than layers");
    if (l.first_gpu + static_cast<std::size_t>(l.gpus()) > c.size())
      throw error(where, "layout needs " + std::to_string(l.gpus()) + " GPUs from index " +
                             std::to_string(l.first_gpu) + ", cluster has " + std::to_string(c.size()));
    require(!is_moe(m) || l.expert_parallel || l.attention_dp == 1, where,
            "expert tensor parallelism needs attention_dp == 1");
    gpu_ = &c.spec();
    stage_.resize(static_cast<std::size_t>(l.stage_gpus()));
    std::iota(stage_.begin(), stage_.end(), l.first_gpu);
    tp_ = detail::figures_of(c, std::span<const std::size_t>(stage_.data(), static_cast<std::size_t>(l.tp)));
    all_ = detail::figures_of(c, stage_);
    if (is_moe(m) && l.expert_parallel && l.stage_gpus() > 1)
      a2a_ = detail::a2a_of(c, stage_, m.active_experts, l.hierarchical_dispatch);
    if (is_moe(m) && l.expert_parallel) z_max_ = detail::expected_max_normal(l.stage_gpus());
    if (l.pp > 1) {
      const auto a = static_cast<Eigen::Index>(l.first_gpu), b = a + static_cast<Eigen::Index>(stage_.size());
      hop_latency_ = c.latency(a, b);
      hop_bandwidth_ = c.bandwidth(a, b);
    }
  }

  /// One decode step: every sequence of every attention group advances by 1 + mtp_depth tokens.
  [[nodiscard]] step_result decode(const precision& f, const workload& w, const efficiency& e = {}) const {
    return evaluate(f, w, e, detail::phase::decode);
  }
  /// One prefill step: every attention group processes `batch` prompts of `prompt` tokens.
  [[nodiscard]] step_result prefill(const precision& f, const workload& w, const efficiency& e = {}) const {
    return evaluate(f, w, e, detail::phase::prefill);
  }
  /// The layout this model was prepared for.
  [[nodiscard]] const parallel_layout& layout() const noexcept { return l_; }

 private:
  step_result evaluate(const precision& f, const workload& w, const efficiency& e, detail::phase p) const;
  void check(const workload& w) const;

  const model_spec& m_;
  const cluster& c_;
  parallel_layout l_;
  const hardware::gpu_spec* gpu_ = nullptr;
  std::vector<std::size_t> stage_;
  detail::group_figures tp_, all_;
  detail::a2a_figures a2a_;
  double z_max_ = 0.0;  // expected maximum of stage_gpus standard normals (busiest EP rank)
  seconds hop_latency_ = 0.0;
  double hop_bandwidth_ = 0.0;
};

inline void step_model::check(const workload& w) const {
  const char* where = "cost::step";
  for (auto [v, name] : {std::pair{w.batch, "batch"}, {w.prompt, "prompt"}, {w.context, "context"}})
    if (!(std::isfinite(v) && v > 0.0)) throw error(where, std::string(name) + " must be positive and finite");
  require(w.cached_fraction >= 0.0 && w.cached_fraction < 1.0, where, "cached_fraction must be in [0, 1)");
  require(w.mtp_depth >= 0 && w.acceptance >= 0.0 && w.acceptance <= 1.0, where,
          "mtp_depth must be >= 0 and acceptance in [0, 1]");
  require(std::isfinite(w.expert_imbalance) && w.expert_imbalance >= 1.0, where, "expert_imbalance must be >= 1");
  const auto G = static_cast<Eigen::Index>(stage_.size());
  for (auto [v, name] : {std::pair{w.gpu_load, "gpu_load"}, {w.gpu_experts, "gpu_experts"}}) {
    if (!v) continue;
    if (v->size() != G)
      throw error(where, std::string(name) + " has " + std::to_string(v->size()) + " entries, stage has " +
                             std::to_string(G) + " GPUs");
    for (Eigen::Index i = 0; i < G; ++i)
      if (!(std::isfinite((*v)[i]) && (*v)[i] >= 0.0))
        throw error(where, std::string(name) + "[" + std::to_string(i) + "] must be finite and non-negative");
  }
  require(!w.gpu_load || w.gpu_load->sum() > 0.0, where, "gpu_load sums to zero");
}

namespace detail {
// Attention core flops per (query token, key position) pair on one GPU holding `heads` heads.
inline double attention_pair_flops(const model_spec& m, double heads, phase p) {
  if (m.attention == attention_kind::mla) {
    // Decode uses the absorbed form (QK over latent + RoPE key, PV over the latent); prefill the
    // expanded form (QK over nope + rope dims, PV over v dims).
    return p == phase::decode ? 2.0 * heads * (2.0 * m.kv_lora_rank + m.qk_rope_dim)
                              : 2.0 * heads * (m.qk_nope_dim + m.qk_rope_dim + m.v_head_dim);
  }
  return 4.0 * heads * m.head_dim;
}

// Share of the KV cache one GPU of a TP group reads: MLA's latent is shared by all heads (every TP
// rank reads all of it); GQA splits K/V heads over ranks down to one head per rank.
inline double kv_share(const model_spec& m, int tp) {
  if (m.attention == attention_kind::mla) return 1.0;
  return 1.0 / std::min<double>(tp, m.kv_heads);
}

// Kernels per block, counted from the usual fused implementations (TensorRT-LLM, SGLang): MLA
// projections q_a+kv_a (fused), q_b, the two absorbed batched GEMMs, o_proj; GQA qkv and o_proj;
// two RMSNorms and RoPE (residual adds fused); router GEMM + top-k; an MLP is up+gate, activation,
// down; routed experts add token permute and unpermute; the head adds sampling.
inline int projection_kernels(const model_spec& m) { return m.attention == attention_kind::mla ? 5 : 2; }
constexpr int core_kernels = 1, elementwise_kernels = 3, router_kernels = 2, mlp_kernels = 3,
              expert_kernels = 5, head_kernels = 2;
// GEMM kernels among them: every projection kernel, two per MLP or grouped expert MLP (up+gate, down), one
// router and one head GEMM.
constexpr int mlp_gemms = 2;
}  // namespace detail

inline step_result step_model::evaluate(const precision& f, const workload& w, const efficiency& e,
                                        detail::phase p) const {
  using detail::phase;
  validate(e);
  check(w);
  const auto& m = m_;
  const auto& gpu = *gpu_;
  const double tp = l_.tp, G = l_.stage_gpus(), adp = l_.attention_dp, pp = l_.pp;
  const double h = m.hidden;
  const double width = p == phase::decode ? 1.0 + w.mtp_depth : 1.0;
  // Tokens one attention group pushes through the layers in this step.
  const double new_per_seq = p == phase::decode ? width : w.prompt * (1.0 - w.cached_fraction);
  const double T = w.batch * new_per_seq;
  const double act = 2.0;  // BF16 activations between kernels
  const number_format ew = f.expert_weights.value_or(f.weights), ea = f.expert_activations.value_or(f.activations);

  // The per-layer costs of `T` tokens per attention group (the step's tokens, or one draft
  // token per sequence for an MTP draft pass): the dense-layer and MoE-layer sums.
  auto layers = [&](double T) {
    // ---- attention block (every layer) ----
    detail::layer_sum attn;
    attn.op("attention.projections", gemm(T, attention_params(m) / (tp * h), h, f.weights, f.activations, gpu, e),
            detail::projection_kernels(m), e, detail::projection_kernels(m));
    {
      const double heads = m.heads / tp;
      double pairs = 0.0, kv_bytes = 0.0;  // per attention group, per layer (averaged over window kinds)
      const double kv_per_token_layer = kv_elements_per_layer(m) * bytes_of(f.kv_cache);
      const double windowed = static_cast<double>(m.windowed_layers) / m.layers;
      if (p == phase::decode) {
        const double ctx = w.context * (1.0 - windowed) + std::min<double>(w.context, m.window) * windowed;
        pairs = T * ctx;
        kv_bytes = w.batch * ctx * kv_per_token_layer * detail::kv_share(m, l_.tp);
      } else {
        const double S = w.prompt, P = w.prompt * w.cached_fraction;
        const double full = (S * S - P * P) / 2.0;
        const double win = m.window > 0 ? std::min(full, (S - P) * static_cast<double>(m.window)) : full;
        pairs = w.batch * (full * (1.0 - windowed) + win * windowed);
        kv_bytes = w.batch * S * kv_per_token_layer * detail::kv_share(m, l_.tp);  // write new, read cached
      }
      attn.op("attention.core",
              roofline(pairs * detail::attention_pair_flops(m, heads, p), kv_bytes + T * h * act, f.attention, gpu, e),
              detail::core_kernels, e);
    }
    attn.op("elementwise", elementwise(8.0 * T * h, act, gpu, e), detail::elementwise_kernels, e);
    if (l_.tp > 1) attn.comm("attention.allreduce", detail::all_reduce_with(tp_, T * h * act, l_.allreduce, e));

    // ---- feed-forward: dense layers ----
    detail::layer_sum dense = attn;
    if (dense_ffn_layers(m) > 0) {
      dense.op("ffn.dense", gemm(T, 3.0 * m.dense_intermediate / tp, h, f.weights, f.activations, gpu, e),
               detail::mlp_kernels, e, detail::mlp_gemms);
      if (l_.tp > 1) dense.comm("ffn.allreduce", detail::all_reduce_with(tp_, T * h * act, l_.allreduce, e));
    }

    // ---- feed-forward: MoE layers ----
    detail::layer_sum moe = attn;
    if (is_moe(m)) {
      const double N = T * adp;  // distinct tokens entering the stage's MoE
      const double k = m.active_experts;
      // The router gate is tiny and kept in higher precision: costed in the attention format.
      moe.op("moe.router", gemm(T, m.experts, h, f.attention, f.attention, gpu, e), detail::router_kernels, e, 1);
      if (m.shared_experts > 0)
        moe.op("moe.shared_expert", gemm(T, 3.0 * m.expert_intermediate * m.shared_experts / tp, h, f.weights,
                                         f.activations, gpu, e),
               detail::mlp_kernels, e, detail::mlp_gemms);
      if (l_.expert_parallel) {
        const double n = 3.0 * m.expert_intermediate;
        if (w.gpu_load) {
          // The busiest GPU (in time) sets the layer: its rows and its experts.
          const double total = w.gpu_load->sum();
          op_cost worst{};
          for (Eigen::Index g = 0; g < w.gpu_load->size(); ++g) {
            const double experts_g = w.gpu_experts ? (*w.gpu_experts)[g] : m.experts / G;
            const auto c = grouped_gemm_uniform(experts_g, N * k * (*w.gpu_load)[g] / total, n, h, ew, ea, gpu, e);
            if (c.time() > worst.time()) worst = c;
          }
          moe.op("moe.experts", worst, detail::expert_kernels, e, detail::mlp_gemms);
        } else {
          // The busiest GPU sets the layer: with N x k independent routing choices spread evenly
          // in expectation, a GPU's rows are binomial (mean N k / G); the expected maximum over G
          // GPUs is the mean plus z_G standard deviations (balls into bins, normal approximation;
          // z_G = E[max of G standard normals], precomputed).
          // expert_imbalance multiplies in the skew of real expert popularity, when known.
          const double mean = N * k / G;
          const double rows = (mean + z_max_ * std::sqrt(mean * (1.0 - 1.0 / G))) * w.expert_imbalance;
          moe.op("moe.experts", grouped_gemm_uniform(m.experts / G, rows, n, h, ew, ea, gpu, e),
                 detail::expert_kernels, e, detail::mlp_gemms);
        }
        if (l_.stage_gpus() > 1) {
          const double tokens_per_gpu = N / G;
          if (w.dispatch_traffic) {
            moe.comm("moe.dispatch", all_to_all(c_, stage_, *w.dispatch_traffic, e));
            const Eigen::MatrixXd combine =
                w.dispatch_traffic->transpose() * (bytes_of(f.combine) / bytes_of(f.dispatch));
            moe.comm("moe.combine", all_to_all(c_, stage_, combine, e));
          } else {
            // Port seconds per byte-per-token: precomputed for a uniform load, else one G x G pass.
            double port = a2a_.uniform_port, sent = a2a_.uniform_sent;
            if (w.gpu_load) {
              const Eigen::VectorXd share = *w.gpu_load / w.gpu_load->sum();
              std::tie(port, sent) = detail::a2a_weighted(a2a_, share);
            }
            const double per_token = tokens_per_gpu * h;
            for (auto [name, fmt] : {std::pair{"moe.dispatch", f.dispatch}, {"moe.combine", f.combine}}) {
              comm_cost cc;
              cc.transfer = port * per_token * bytes_of(fmt) / e.network;
              cc.bytes = sent * per_token * bytes_of(fmt);
              cc.latency = cc.bytes > 0.0 ? a2a_.max_latency + e.collective_latency : 0.0;
              moe.comm(name, cc);
            }
          }
        }
      } else {
        moe.op("moe.experts",
               grouped_gemm_uniform(m.experts, N * k, 3.0 * m.expert_intermediate / G, h, ew, ea, gpu, e),
               detail::expert_kernels, e, detail::mlp_gemms);
        if (l_.stage_gpus() > 1) moe.comm("moe.allreduce", detail::all_reduce_with(all_, N * h * act, l_.allreduce, e));
      }
    }
    return std::pair<detail::layer_sum, detail::layer_sum>{dense, moe};
  };
  const auto [dense, moe] = layers(T);

  // ---- head, pipeline, multi-token prediction ----
  detail::layer_sum head;
  head.op("lm_head", gemm(p == phase::decode ? T : w.batch, m.vocab / tp, h, f.weights, f.activations, gpu, e),
          detail::head_kernels, e, 1);
  comm_cost hop{};
  if (l_.pp > 1 && T * h * act > 0.0)
    hop = {hop_latency_ + e.collective_latency, T * h * act / (hop_bandwidth_ * e.network), T * h * act};

  step_result r;
  r.by_operator.reserve(detail::layer_sum::capacity + 2);
  r.gpus = l_.gpus();
  const double n_dense = static_cast<double>(dense_ffn_layers(m)), n_moe = static_cast<double>(moe_layers(m));
  // MTP drafts are autoregressive (DeepSeek-V3's MTP module, TensorRT-LLM's "MTP3_Autoregressive"):
  // draft k runs one more MoE (or dense) layer and a head pass on one token per sequence. The
  // verification of the 1 + depth tokens is the main pass above.
  const double drafts = p == phase::decode ? static_cast<double>(w.mtp_depth) : 0.0;
  detail::layer_sum draft_layer, draft_head;
  if (drafts > 0.0) {
    const auto one = layers(w.batch);
    draft_layer = is_moe(m) ? one.second : one.first;
    draft_head.op("lm_head", gemm(w.batch, m.vocab / tp, h, f.weights, f.activations, gpu, e), detail::head_kernels,
                  e, 1);
  }
  const double hidden = l_.overlap ? e.overlap : 0.0;
  const seconds all_layers = n_dense * dense.time(hidden) + n_moe * moe.time(hidden) +
                             drafts * (draft_layer.time(hidden) + draft_head.time(0.0)) + head.time(0.0);
  const seconds hops = (pp - 1.0) * hop.time();
  r.step_time = all_layers + hops + e.step_overhead;
  r.stage_time = all_layers / pp + (l_.pp > 1 ? hop.time() : 0.0) + e.step_overhead;
  dense.flush(n_dense, hidden, r);
  moe.flush(n_moe, hidden, r);
  head.flush(1.0, 0.0, r);
  draft_layer.flush(drafts, hidden, r);
  draft_head.flush(drafts, 0.0, r);
  if (l_.pp > 1) detail::layer_sum::add_entry(r, "pipeline.p2p", resource::network, hops);
  if (e.step_overhead > 0.0) detail::layer_sum::add_entry(r, "step.overhead", resource::overhead, e.step_overhead);

  if (p == phase::decode) {
    const double accepted = accepted_tokens(w.mtp_depth, w.acceptance);
    r.tokens = w.batch * adp * accepted;
    r.tpot = r.step_time / accepted;
  } else {
    r.tokens = w.batch * adp * w.prompt;  // input tokens, cached ones included
    r.ttft = r.step_time;
  }
  // The pipeline keeps pp micro-batches in flight: one finishes every stage_time.
  r.tokens_per_second_per_gpu = r.tokens / r.stage_time / r.gpus;
  return r;
}

/// One decode step: every sequence of every attention group advances by 1 + mtp_depth tokens.
inline step_result decode_step(const model_spec& m, const cluster& c, const parallel_layout& l, const precision& f,
                               const workload& w, const efficiency& e = {}) {
  return step_model(m, c, l).decode(f, w, e);
}

/// One prefill step: every attention group processes `batch` prompts of `prompt` tokens.
inline step_result prefill_step(const model_spec& m, const cluster& c, const parallel_layout& l, const precision& f,
                                const workload& w, const efficiency& e = {}) {
  return step_model(m, c, l).prefill(f, w, e);
}

/// Serving figures of requests of `prompt` input and `output` output tokens.
struct serving_estimate {
  double tokens_per_second_per_gpu = 0.0;  ///< output tokens
  seconds ttft = 0.0;                      ///< prefill step of the batch
  seconds tpot = 0.0;                      ///< decode time per output token at the mean context
};

/// How colocated serving admits prompts.
enum class batching {
  offline,   ///< each batch is prefilled in one step, then decoded (MLPerf Offline)
  in_flight  ///< continuous batching: each attention group admits prompts into its decode iterations
};

/// Prefill and decode sharing the same GPUs: each batch of `w.batch` sequences per attention group
/// is prefilled, then decoded for `output` tokens at the mean context prompt + output / 2.
///
/// batching::offline prefills every group's batch in one step. batching::in_flight (TensorRT-LLM,
/// vLLM, SGLang serving) admits a new prompt into a group's decode iteration when one of its
/// sequences finishes, independently per attention group; the groups meet at every MoE layer, so an
/// iteration in which any group prefills runs at that group's pace. With p = min(1, batch x
/// accepted tokens per step / output) the chance that a given group prefills in an iteration, the
/// prefill time is paid (1 - (1 - p)^attention_dp) / p times over (1 for a single group, up to
/// attention_dp when prefills never coincide). Only the prefill work that stays in the group is
/// stalled for: the routed experts, dispatch and combine of an expert-parallel stage are spread over
/// all its GPUs.
inline serving_estimate colocated_serving(const step_model& sm, const precision& f, workload w, double output,
                                          const efficiency& e = {}, batching b = batching::offline) {
  require(std::isfinite(output) && output >= 1.0, "cost::colocated_serving", "output must be >= 1 token");
  const auto& l = sm.layout();
  const auto pre = sm.prefill(f, w, e);
  w.context = w.prompt + output / 2.0;
  const auto dec = sm.decode(f, w, e);
  const double accepted = accepted_tokens(w.mtp_depth, w.acceptance);
  const double steps = output / accepted;
  double prefill_time = pre.stage_time;
  if (b == batching::in_flight && l.attention_dp > 1) {
    const double p = std::min(1.0, w.batch * accepted / output);
    const double stall = p > 0.0 ? (1.0 - std::pow(1.0 - p, l.attention_dp)) / p : 1.0;
    // Expert-parallel work (routed experts, dispatch, combine) of one group's prompt is spread over
    // the whole stage and is not waited for; the rest (attention, dense and shared layers) is.
    double spread = 0.0;
    if (l.expert_parallel)
      for (const auto& o : pre.by_operator)
        if (o.name == "moe.experts" || o.name == "moe.dispatch" || o.name == "moe.combine") spread += o.time;
    const double spread_share = pre.step_time > 0.0 ? std::min(1.0, spread / pre.step_time) : 0.0;
    prefill_time = pre.stage_time * (spread_share + stall * (1.0 - spread_share));
  }
  serving_estimate s;
  s.ttft = pre.step_time;
  s.tpot = dec.tpot;
  const double seconds_per_batch = prefill_time + steps * dec.stage_time;
  s.tokens_per_second_per_gpu = w.batch * l.attention_dp * output / seconds_per_batch / l.gpus();
  return s;
}

/// colocated_serving of model `m` on cluster `c` with layout `l`.
inline serving_estimate colocated_serving(const model_spec& m, const cluster& c, const parallel_layout& l,
                                          const precision& f, const workload& w, double output,
                                          const efficiency& e = {}, batching b = batching::offline) {
  return colocated_serving(step_model(m, c, l), f, w, output, e, b);
}

/// Prefill and decode on separate GPU pools (disaggregated serving), sized so the prefill pool
/// keeps up with the decode pool: TTFT is the prefill step plus the KV transfer; throughput is
/// output tokens per second per GPU of both pools together (per request: prompt / prefill rate +
/// output / decode rate GPU-seconds).
inline serving_estimate disaggregated_serving(const step_result& prefill, const step_result& decode,
                                              const comm_cost& kv, double prompt, double output) {
  const char* where = "cost::disaggregated_serving";
  require(std::isfinite(prompt) && prompt >= 1.0 && std::isfinite(output) && output >= 1.0, where,
          "prompt and output must be >= 1 token");
  require(prefill.tokens_per_second_per_gpu > 0.0 && decode.tokens_per_second_per_gpu > 0.0, where,
          "both steps need a positive throughput");
  serving_estimate s;
  s.ttft = prefill.ttft + kv.time();
  s.tpot = decode.tpot;
  const double gpu_seconds = prompt / prefill.tokens_per_second_per_gpu + output / decode.tokens_per_second_per_gpu;
  s.tokens_per_second_per_gpu = output / gpu_seconds;
  return s;
}

/// Largest batch per attention group whose weights and KV cache of `context` tokens per sequence
/// fit in `usable` (a fraction) of each GPU's HBM; 0 when the weights alone do not fit.
inline double max_batch_for_memory(const model_spec& m, const hardware::gpu_spec& gpu, const parallel_layout& l,
                                   const precision& f, double context, double usable = 0.9) {
  require(usable > 0.0 && usable <= 1.0, "cost::max_batch_for_memory", "usable must be in (0, 1]");
  const double weights = total_params(m) * bytes_of(f.weights) / l.gpus();
  const double free = gpu.hbm_capacity * usable - weights;
  // KV of one attention group's sequence is spread over its tp GPUs (MLA: replicated) and its layers over pp.
  const double kv_per_seq = kv_bytes_for_context(m, context, f.kv_cache) / l.pp *
                            detail::kv_share(m, l.tp);
  return free > 0.0 ? std::floor(free / kv_per_seq) : 0.0;
}

/// Time to move one sequence's KV cache of `context` tokens from GPU `from` to GPU `to` of the
/// cluster (prefill/decode disaggregation), over the path between them.
inline comm_cost kv_transfer(const model_spec& m, const cluster& c, std::size_t from, std::size_t to, double context,
                             number_format kv, const efficiency& e = {}) {
  return point_to_point(c, from, to, kv_bytes_for_context(m, context, kv), e);
}

}  // namespace gpusched::cost
