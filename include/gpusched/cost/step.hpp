#pragma once
// The step model: how long one prefill or decode step of a model takes on a parallel layout, where
// the time goes, and what it means for throughput, latency and price.
//
// A stage of the pipeline holds G = tp x attention_dp GPUs. Attention runs tensor-parallel inside
// each of the attention_dp groups; MoE layers spread the experts over all G GPUs (expert parallel,
// all-to-all dispatch and combine) or shard every expert over them (expert tensor parallel,
// all-reduce). Each layer's operators cost their roofline time (roofline.hpp); communication costs
// its alpha-beta time over the cluster (collectives.hpp); with `overlap` (two micro-batches in
// flight, as DeepSeek and SGLang do) a layer hides efficiency.overlap x min(compute, communication)
// of the sum, otherwise it takes the sum. With hierarchical dispatch (DeepEP's normal kernels) a
// token crosses the scale-out fabric once per destination NVLink domain and fans out over NVLink. Pipeline stages split the layers evenly and pass activations point to point.
// See docs/cost.md for the assumptions and the measured error.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "gpusched/core/error.hpp"
#include "gpusched/core/formats.hpp"
#include "gpusched/cost/cluster.hpp"
#include "gpusched/cost/collectives.hpp"
#include "gpusched/cost/models.hpp"
#include "gpusched/cost/roofline.hpp"

namespace gpusched::cost {

/// Number formats of the tensors of a step.
struct precision {
  number_format weights = number_format::fp8_e4m3;      ///< GEMM weights (attention, dense, experts)
  number_format activations = number_format::fp8_e4m3;  ///< GEMM inputs
  number_format attention = number_format::bf16;        ///< attention core (QK, PV) compute
  number_format kv_cache = number_format::bf16;         ///< stored K/V or MLA latent
  number_format dispatch = number_format::fp8_e4m3;     ///< MoE dispatch payload
  number_format combine = number_format::bf16;          ///< MoE combine payload
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
  double expert_imbalance = 1.0; ///< busiest GPU's expert rows / mean (the moe part's max_over_mean)
  const Eigen::MatrixXd* dispatch_traffic = nullptr;  ///< optional G x G dispatch bytes of one MoE layer
};

/// One line of a step's breakdown.
struct breakdown_entry {
  std::string_view name;  ///< operator ("attention.core", "moe.dispatch", ...)
  resource bound = resource::compute;
  seconds time = 0.0;     ///< summed over the step (all layers, all stages on the critical path)
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

namespace detail {

enum class phase { prefill, decode };

// Accumulates one layer kind's costs, then scales by its layer count.
class layer_sum {
 public:
  void op(std::string_view name, const op_cost& c) { add(name, c.bound(), c.time(), false); }
  void comm(std::string_view name, const comm_cost& c) { add(name, resource::network, c.time(), true); }
  void fixed(std::string_view name, seconds t) { add(name, resource::overhead, t, false); }
  [[nodiscard]] seconds time(double hidden) const {
    return compute_ + comm_ + fixed_ - hidden * std::min(compute_, comm_);
  }
  void flush(double count, double hidden, step_result& r) const {
    // Overlapped communication is charged only for the part that is not hidden behind compute.
    const double comm_scale = comm_ > 0 ? (comm_ - hidden * std::min(compute_, comm_)) / comm_ : 1.0;
    for (const auto& e : entries_) {
      const double t = e.time * count * (e.bound == resource::network ? comm_scale : 1.0);
      add_entry(r, e.name, e.bound, t);
    }
  }
  static void add_entry(step_result& r, std::string_view name, resource b, seconds t) {
    r.by_resource[static_cast<std::size_t>(b)] += t;
    for (auto& e : r.by_operator)
      if (e.name == name) {
        e.time += t;
        return;
      }
    r.by_operator.push_back({name, b, t});
  }

 private:
  void add(std::string_view name, resource b, seconds t, bool is_comm) {
    (is_comm ? comm_ : b == resource::overhead ? fixed_ : compute_) += t;
    entries_.push_back({name, b, t});
  }
  std::vector<breakdown_entry> entries_;
  seconds compute_ = 0, comm_ = 0, fixed_ = 0;
};

inline void check_inputs(const model_spec& m, const cluster& c, const parallel_layout& l, const workload& w,
                         const efficiency& e) {
  const char* where = "cost::step";
  validate(e);
  require(m.layers > 0 && m.hidden > 0, where, "model '" + std::string(m.name) + "' has no layers");
  require(l.tp >= 1 && l.attention_dp >= 1 && l.pp >= 1, where, "tp, attention_dp and pp must be >= 1");
  require(l.pp <= m.layers, where, "more pipeline stages than layers");
  require(l.first_gpu + static_cast<std::size_t>(l.gpus()) <= c.size(), where,
          "layout needs " + std::to_string(l.gpus()) + " GPUs from index " + std::to_string(l.first_gpu) +
              ", cluster has " + std::to_string(c.size()));
  require(!is_moe(m) || l.expert_parallel || l.attention_dp == 1, where,
          "expert tensor parallelism needs attention_dp == 1");
  for (auto [v, name] : {std::pair{w.batch, "batch"}, {w.prompt, "prompt"}, {w.context, "context"}})
    require(std::isfinite(v) && v > 0.0, where, std::string(name) + " must be positive and finite");
  require(w.cached_fraction >= 0.0 && w.cached_fraction < 1.0, where, "cached_fraction must be in [0, 1)");
  require(w.mtp_depth >= 0 && w.acceptance >= 0.0 && w.acceptance <= 1.0, where,
          "mtp_depth must be >= 0 and acceptance in [0, 1]");
  require(std::isfinite(w.expert_imbalance) && w.expert_imbalance >= 1.0, where, "expert_imbalance must be >= 1");
}

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

inline step_result evaluate(const model_spec& m, const cluster& c, const parallel_layout& l, const precision& f,
                            const workload& w, const efficiency& e, phase p) {
  check_inputs(m, c, l, w, e);
  const auto& gpu = c.spec();
  const double tp = l.tp, G = l.stage_gpus(), adp = l.attention_dp, pp = l.pp;
  const double h = m.hidden;
  const double width = p == phase::decode ? 1.0 + w.mtp_depth : 1.0;
  // Tokens one attention group pushes through the layers in this step.
  const double new_per_seq = p == phase::decode ? width : w.prompt * (1.0 - w.cached_fraction);
  const double T = w.batch * new_per_seq;
  const double act = 2.0;  // BF16 activations between kernels

  std::vector<std::size_t> stage(static_cast<std::size_t>(G));
  std::iota(stage.begin(), stage.end(), l.first_gpu);
  const std::span<const std::size_t> tp_group(stage.data(), static_cast<std::size_t>(l.tp));

  // ---- attention block (every layer) ----
  layer_sum attn;
  attn.op("attention.projections", gemm(T, attention_params(m) / (tp * h), h, f.weights, f.activations, gpu, e));
  {
    const double heads = m.heads / tp;
    double pairs = 0.0, kv_bytes = 0.0;  // per attention group, per layer (averaged over window kinds)
    const double kv_per_token_layer = kv_elements_per_layer(m) * bytes_of(f.kv_cache);
    const double windowed = static_cast<double>(m.windowed_layers) / m.layers;
    if (p == phase::decode) {
      const double ctx = w.context * (1.0 - windowed) + std::min<double>(w.context, m.window) * windowed;
      pairs = T * ctx;
      kv_bytes = w.batch * ctx * kv_per_token_layer * kv_share(m, l.tp);
    } else {
      const double S = w.prompt, P = w.prompt * w.cached_fraction;
      const double full = (S * S - P * P) / 2.0;
      const double win = m.window > 0 ? std::min(full, (S - P) * static_cast<double>(m.window)) : full;
      pairs = w.batch * (full * (1.0 - windowed) + win * windowed);
      kv_bytes = w.batch * S * kv_per_token_layer * kv_share(m, l.tp);  // write new, read cached
    }
    attn.op("attention.core", roofline(pairs * attention_pair_flops(m, heads, p), kv_bytes + T * h * act,
                                       f.attention, gpu, e));
  }
  attn.op("elementwise", elementwise(8.0 * T * h, act, gpu, e));
  if (l.tp > 1) attn.comm("attention.allreduce", all_reduce(c, tp_group, T * h * act, l.allreduce, e));
  attn.fixed("layer.overhead", e.layer_overhead);

  // ---- feed-forward: dense layers ----
  layer_sum dense = attn;
  if (dense_ffn_layers(m) > 0) {
    dense.op("ffn.dense", gemm(T, 3.0 * m.dense_intermediate / tp, h, f.weights, f.activations, gpu, e));
    if (l.tp > 1) dense.comm("ffn.allreduce", all_reduce(c, tp_group, T * h * act, l.allreduce, e));
  }

  // ---- feed-forward: MoE layers ----
  layer_sum moe = attn;
  if (is_moe(m)) {
    const double N = T * adp;  // distinct tokens entering the stage's MoE
    const double k = m.active_experts;
    // The router gate is tiny and kept in higher precision: costed in the attention format.
    moe.op("moe.router", gemm(T, m.experts, h, f.attention, f.attention, gpu, e));
    if (m.shared_experts > 0)
      moe.op("moe.shared_expert", gemm(T, 3.0 * m.expert_intermediate * m.shared_experts / tp, h, f.weights,
                                       f.activations, gpu, e));
    if (l.expert_parallel) {
      const double rows = N * k / G * w.expert_imbalance;
      moe.op("moe.experts", grouped_gemm_uniform(m.experts / G, rows, 3.0 * m.expert_intermediate, h, f.weights,
                                                 f.activations, gpu, e));
      if (l.stage_gpus() > 1) {
        // Each token goes once to every distinct GPU holding one of its k experts.
        const double fanout = G * (1.0 - std::pow(1.0 - 1.0 / G, k));
        const double tokens_per_gpu = N / G;
        const double out = tokens_per_gpu * fanout * h;
        const auto gs = static_cast<std::size_t>(G);
        if (!w.dispatch_traffic && l.hierarchical_dispatch) {
          // Per destination GPU j: NVLink peers get the token when one of its experts is there;
          // another domain gets it once when any of its GPUs holds one (then fans out over NVLink).
          std::vector<double> share(gs);  // bytes factor towards a GPU of another domain
          for (std::size_t j = 0; j < gs; ++j) {
            double members = 0.0;
            for (std::size_t q = 0; q < gs; ++q) members += c.domain[stage[q]] == c.domain[stage[j]] ? 1.0 : 0.0;
            share[j] = (1.0 - std::pow(1.0 - members / G, k)) / members;
          }
          const double p_gpu = 1.0 - std::pow(1.0 - 1.0 / G, k);
          Eigen::MatrixXd t(static_cast<Eigen::Index>(gs), static_cast<Eigen::Index>(gs));
          for (std::size_t j = 0; j < gs; ++j)
            for (std::size_t i = 0; i < gs; ++i)
              t(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) =
                  i == j ? 0.0
                         : tokens_per_gpu * h * (c.domain[stage[i]] == c.domain[stage[j]] ? p_gpu : share[j]);
          moe.comm("moe.dispatch", all_to_all(c, stage, t * bytes_of(f.dispatch), e));
          moe.comm("moe.combine", all_to_all(c, stage, t.transpose() * bytes_of(f.combine), e));
        } else if (w.dispatch_traffic) {
          moe.comm("moe.dispatch", all_to_all(c, stage, *w.dispatch_traffic, e));
          const Eigen::MatrixXd combine = w.dispatch_traffic->transpose() *
                                          (bytes_of(f.combine) / bytes_of(f.dispatch));
          moe.comm("moe.combine", all_to_all(c, stage, combine, e));
        } else {
          // Uniform: a GPU's share to itself (1/G) stays local.
          moe.comm("moe.dispatch", all_to_all(c, stage, uniform_traffic(gs, out * bytes_of(f.dispatch)), e));
          moe.comm("moe.combine", all_to_all(c, stage, uniform_traffic(gs, out * bytes_of(f.combine)), e));
        }
      }
    } else {
      moe.op("moe.experts", grouped_gemm_uniform(m.experts, N * k, 3.0 * m.expert_intermediate / G, h, f.weights,
                                                 f.activations, gpu, e));
      if (l.stage_gpus() > 1) moe.comm("moe.allreduce", all_reduce(c, stage, N * h * act, l.allreduce, e));
    }
  }

  // ---- head, pipeline, multi-token prediction ----
  layer_sum head;
  head.op("lm_head", gemm(p == phase::decode ? T : w.batch, m.vocab / tp, h, f.weights, f.activations, gpu, e));
  const std::size_t gs = static_cast<std::size_t>(G);
  comm_cost hop{};
  if (l.pp > 1) hop = point_to_point(c, l.first_gpu, l.first_gpu + gs, T * h * act, e);

  step_result r;
  r.gpus = l.gpus();
  const double n_dense = static_cast<double>(dense_ffn_layers(m)), n_moe = static_cast<double>(moe_layers(m));
  // MTP drafts cost one more MoE (or dense) layer and a head pass each.
  const double drafts = p == phase::decode ? static_cast<double>(w.mtp_depth) : 0.0;
  const layer_sum& draft_layer = is_moe(m) ? moe : dense;
  const double hidden = l.overlap ? e.overlap : 0.0;
  const seconds all_layers = n_dense * dense.time(hidden) + n_moe * moe.time(hidden) +
                             drafts * draft_layer.time(hidden) + (1.0 + drafts) * head.time(0.0);
  const seconds hops = (pp - 1.0) * hop.time();
  r.step_time = all_layers + hops;
  r.stage_time = all_layers / pp + (l.pp > 1 ? hop.time() : 0.0);
  dense.flush(n_dense, hidden, r);
  moe.flush(n_moe + (is_moe(m) ? drafts : 0.0), hidden, r);
  if (!is_moe(m) && drafts > 0) dense.flush(drafts, hidden, r);
  head.flush(1.0 + drafts, 0.0, r);
  if (l.pp > 1) layer_sum::add_entry(r, "pipeline.p2p", resource::network, hops);

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

}  // namespace detail

/// One decode step: every sequence of every attention group advances by 1 + mtp_depth tokens.
inline step_result decode_step(const model_spec& m, const cluster& c, const parallel_layout& l, const precision& f,
                               const workload& w, const efficiency& e = {}) {
  return detail::evaluate(m, c, l, f, w, e, detail::phase::decode);
}

/// One prefill step: every attention group processes `batch` prompts of `prompt` tokens.
inline step_result prefill_step(const model_spec& m, const cluster& c, const parallel_layout& l, const precision& f,
                                const workload& w, const efficiency& e = {}) {
  return detail::evaluate(m, c, l, f, w, e, detail::phase::prefill);
}

/// Serving figures of requests of `prompt` input and `output` output tokens.
struct serving_estimate {
  double tokens_per_second_per_gpu = 0.0;  ///< output tokens
  seconds ttft = 0.0;                      ///< prefill step of the batch
  seconds tpot = 0.0;                      ///< decode time per output token at the mean context
};

/// Prefill and decode sharing the same GPUs (an offline batch, as MLPerf's Offline scenario): each
/// batch of `w.batch` sequences per attention group is prefilled in one step, then decoded for
/// `output` tokens at the mean context prompt + output / 2.
inline serving_estimate colocated_serving(const model_spec& m, const cluster& c, const parallel_layout& l,
                                          const precision& f, workload w, double output, const efficiency& e = {}) {
  require(std::isfinite(output) && output >= 1.0, "cost::colocated_serving", "output must be >= 1 token");
  const auto pre = prefill_step(m, c, l, f, w, e);
  w.context = w.prompt + output / 2.0;
  const auto dec = decode_step(m, c, l, f, w, e);
  const double steps = output / accepted_tokens(w.mtp_depth, w.acceptance);
  serving_estimate s;
  s.ttft = pre.step_time;
  s.tpot = dec.tpot;
  const double seconds_per_batch = pre.stage_time + steps * dec.stage_time;
  s.tokens_per_second_per_gpu = w.batch * l.attention_dp * output / seconds_per_batch / l.gpus();
  return s;
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
