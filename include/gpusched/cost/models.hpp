#pragma once
// Transformer model descriptions (shapes from each model's published config.json) and the
// quantities the cost model derives from them: parameter counts, parameters read per token, KV-cache
// bytes per token. Counts cover the matrices and embeddings; norms, biases and router gates are
// included where they are not negligible (router gates are counted; norms and biases are < 0.01%).
//
// "Active parameters" here means the parameters a token reads: every attention and dense weight,
// the shared experts, `active_experts` routed experts and the output head, but NOT the input
// embedding table (a lookup reads one row). This is the figure OpenAI publishes for GPT-OSS and
// lands within ~3% of DeepSeek, Moonshot, Qwen and Mistral's published "active" figures.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "gpusched/core/error.hpp"
#include "gpusched/core/formats.hpp"
#include "gpusched/core/units.hpp"
#include "gpusched/hardware/detail/lookup.hpp"

namespace gpusched::cost {

/// How a model's attention stores keys and values.
enum class attention_kind {
  mha,  ///< multi-head: one K and V head per query head
  gqa,  ///< grouped-query: kv_heads K/V heads shared by groups of query heads
  mla,  ///< DeepSeek multi-head latent attention: one compressed latent + RoPE key per token
};

/// The shape of a decoder-only transformer (dense or mixture-of-experts).
struct model_spec {
  std::string_view name;
  int layers = 0;              ///< decoder layers
  int hidden = 0;              ///< model width
  int vocab = 0;               ///< vocabulary size
  bool tied_embeddings = false;
  attention_kind attention = attention_kind::gqa;
  int heads = 0;               ///< query heads
  int kv_heads = 0;            ///< K/V heads (GQA/MHA)
  int head_dim = 0;            ///< per-head width of Q, K and V (GQA/MHA)
  // MLA only (DeepSeek-V2/V3 naming).
  int q_lora_rank = 0;         ///< 0: queries projected directly
  int kv_lora_rank = 0;        ///< width of the cached latent
  int qk_nope_dim = 0;         ///< per-head query/key width without RoPE
  int qk_rope_dim = 0;         ///< per-head (shared for keys) RoPE width
  int v_head_dim = 0;          ///< per-head value width
  // Feed-forward: gated (SwiGLU: gate, up, down = 3 matrices).
  int dense_layers = 0;        ///< layers with a dense FFN instead of experts (MoE models: the first ones)
  int dense_intermediate = 0;  ///< intermediate width of the dense FFN
  int experts = 0;             ///< routed experts per MoE layer (0: dense model)
  int shared_experts = 0;      ///< always-active experts per MoE layer
  int active_experts = 0;      ///< routed experts each token visits
  int expert_intermediate = 0; ///< intermediate width of one expert
  int windowed_layers = 0;     ///< layers with sliding-window attention
  int window = 0;              ///< their window, tokens
  int mtp_modules = 0;         ///< multi-token-prediction modules shipped (not counted in totals)
  double published_total = 0;  ///< vendor's total parameter count
  double published_active = 0; ///< vendor's active parameter count per token
};

/// True when the model has routed experts.
constexpr bool is_moe(const model_spec& m) { return m.experts > 0; }
/// Number of MoE layers.
constexpr int moe_layers(const model_spec& m) { return is_moe(m) ? m.layers - m.dense_layers : 0; }
/// Number of layers with a dense FFN.
constexpr int dense_ffn_layers(const model_spec& m) { return is_moe(m) ? m.dense_layers : m.layers; }

/// Attention weights of one layer (projections only).
constexpr double attention_params(const model_spec& m) {
  const double h = m.hidden;
  if (m.attention == attention_kind::mla) {
    const double qk = m.qk_nope_dim + m.qk_rope_dim;
    const double q = m.q_lora_rank > 0 ? h * m.q_lora_rank + double(m.q_lora_rank) * m.heads * qk
                                       : h * m.heads * qk;
    const double kv_down = h * (m.kv_lora_rank + m.qk_rope_dim);
    const double kv_up = double(m.kv_lora_rank) * m.heads * (m.qk_nope_dim + m.v_head_dim);
    const double out = double(m.heads) * m.v_head_dim * h;
    return q + kv_down + kv_up + out;
  }
  const double q = h * m.heads * m.head_dim, kv = 2.0 * h * m.kv_heads * m.head_dim;
  return q + kv + double(m.heads) * m.head_dim * h;
}
/// Weights of one gated expert (gate, up, down).
constexpr double expert_params(const model_spec& m) { return 3.0 * m.hidden * m.expert_intermediate; }
/// Weights of one dense gated FFN.
constexpr double dense_ffn_params(const model_spec& m) { return 3.0 * m.hidden * m.dense_intermediate; }
/// Router weights of one MoE layer.
constexpr double router_params(const model_spec& m) { return double(m.hidden) * m.experts; }
/// Input embedding table.
constexpr double embedding_params(const model_spec& m) { return double(m.vocab) * m.hidden; }
/// Output head (0 when tied to the embedding).
constexpr double head_params(const model_spec& m) { return m.tied_embeddings ? 0.0 : embedding_params(m); }

/// Total parameters (without MTP modules).
constexpr double total_params(const model_spec& m) {
  return m.layers * attention_params(m) + dense_ffn_layers(m) * dense_ffn_params(m) +
         moe_layers(m) * ((m.experts + m.shared_experts) * expert_params(m) + router_params(m)) +
         embedding_params(m) + head_params(m);
}

/// Parameters one token reads (see the header comment: embedding table excluded, head included).
constexpr double active_params(const model_spec& m) {
  return m.layers * attention_params(m) + dense_ffn_layers(m) * dense_ffn_params(m) +
         moe_layers(m) * ((m.active_experts + m.shared_experts) * expert_params(m) + router_params(m)) +
         (m.tied_embeddings ? embedding_params(m) : head_params(m));
}

/// KV-cache elements one token stores in one full-attention layer: MLA caches the latent plus the
/// shared RoPE key (kv_lora_rank + qk_rope_dim); GQA/MHA cache K and V per K/V head.
constexpr double kv_elements_per_layer(const model_spec& m) {
  return m.attention == attention_kind::mla ? double(m.kv_lora_rank + m.qk_rope_dim)
                                            : 2.0 * m.kv_heads * m.head_dim;
}

/// KV-cache bytes one token adds in `format` over all layers (windowed layers included: a token
/// stays cached there only while inside the window; see kv_bytes_for_context).
constexpr double kv_bytes_per_token(const model_spec& m, number_format format) {
  return kv_elements_per_layer(m) * m.layers * bits_per_element(format) / 8.0;
}

/// KV-cache bytes of a sequence of `context` tokens, windowed layers capped at their window.
constexpr double kv_bytes_for_context(const model_spec& m, double context, number_format format) {
  const double full = m.layers - m.windowed_layers;
  const double windowed = m.windowed_layers * (context < m.window ? context : double(m.window));
  return kv_elements_per_layer(m) * (full * context + windowed) * bits_per_element(format) / 8.0;
}

namespace models {

/// DeepSeek-V3 (and R1, same architecture). Source: huggingface.co/deepseek-ai/DeepSeek-V3
/// config.json (hidden 7168, 61 layers, first_k_dense_replace 3, 256 routed + 1 shared experts,
/// 8 per token, moe_intermediate 2048, intermediate 18432, 128 heads, q_lora 1536, kv_lora 512,
/// qk_nope 128, qk_rope 64, v 128, vocab 129280, 1 MTP module); DeepSeek-V3 technical report
/// (arXiv:2412.19437): 671B total, 37B activated.
inline constexpr model_spec deepseek_v3{
    "DeepSeek-V3", 61, 7168, 129280, false, attention_kind::mla, 128, 128, 0,
    1536, 512, 128, 64, 128, 3, 18432, 256, 1, 8, 2048, 0, 0, 1, 671e9, 37e9};

/// DeepSeek-R1: the V3 architecture (huggingface.co/deepseek-ai/DeepSeek-R1 config.json).
inline constexpr model_spec deepseek_r1{
    "DeepSeek-R1", 61, 7168, 129280, false, attention_kind::mla, 128, 128, 0,
    1536, 512, 128, 64, 128, 3, 18432, 256, 1, 8, 2048, 0, 0, 1, 671e9, 37e9};

/// Kimi K2. Source: huggingface.co/moonshotai/Kimi-K2-Instruct config.json (DeepSeek-V3 layout
/// with 64 heads, 384 routed experts, first_k_dense_replace 1, vocab 163840); Moonshot's model
/// card: 1T total, 32B activated.
inline constexpr model_spec kimi_k2{
    "Kimi-K2", 61, 7168, 163840, false, attention_kind::mla, 64, 64, 0,
    1536, 512, 128, 64, 128, 1, 18432, 384, 1, 8, 2048, 0, 0, 0, 1.0e12, 32e9};

/// Qwen3-235B-A22B. Source: huggingface.co/Qwen/Qwen3-235B-A22B config.json (hidden 4096, 94
/// layers, 64 query / 4 KV heads of 128, 128 experts, 8 per token, moe_intermediate 1536, vocab
/// 151936, untied); Qwen3 model card: 235B total, 22B activated.
inline constexpr model_spec qwen3_235b{
    "Qwen3-235B-A22B", 94, 4096, 151936, false, attention_kind::gqa, 64, 4, 128,
    0, 0, 0, 0, 0, 0, 0, 128, 0, 8, 1536, 0, 0, 0, 235e9, 22e9};

/// Llama-2-70B. Source: huggingface.co/meta-llama/Llama-2-70b-hf config.json (hidden 8192, 80
/// layers, 64 / 8 heads of 128, intermediate 28672, vocab 32000); 70B (the paper's rounding of
/// 68.98B).
inline constexpr model_spec llama2_70b{
    "Llama-2-70B", 80, 8192, 32000, false, attention_kind::gqa, 64, 8, 128,
    0, 0, 0, 0, 0, 80, 28672, 0, 0, 0, 0, 0, 0, 0, 70e9, 70e9};

/// Llama-3.1-70B. Source: huggingface.co/meta-llama/Llama-3.1-70B config.json (as Llama-2-70B with
/// vocab 128256); 70B.
inline constexpr model_spec llama31_70b{
    "Llama-3.1-70B", 80, 8192, 128256, false, attention_kind::gqa, 64, 8, 128,
    0, 0, 0, 0, 0, 80, 28672, 0, 0, 0, 0, 0, 0, 0, 70e9, 70e9};

/// Llama-3.1-405B. Source: huggingface.co/meta-llama/Llama-3.1-405B config.json (hidden 16384, 126
/// layers, 128 / 8 heads of 128, intermediate 53248, vocab 128256); 405B.
inline constexpr model_spec llama31_405b{
    "Llama-3.1-405B", 126, 16384, 128256, false, attention_kind::gqa, 128, 8, 128,
    0, 0, 0, 0, 0, 126, 53248, 0, 0, 0, 0, 0, 0, 0, 405e9, 405e9};

/// GPT-OSS-120B. Source: huggingface.co/openai/gpt-oss-120b config.json (hidden 2880, 36 layers,
/// 64 query / 8 KV heads of 64, 128 experts, 4 per token, expert intermediate 2880, vocab 201088,
/// sliding window 128 on alternate layers); OpenAI model card (2025-08): 116.83B total, 5.13B active.
inline constexpr model_spec gpt_oss_120b{
    "GPT-OSS-120B", 36, 2880, 201088, false, attention_kind::gqa, 64, 8, 64,
    0, 0, 0, 0, 0, 0, 0, 128, 0, 4, 2880, 18, 128, 0, 116.83e9, 5.13e9};

/// Mixtral-8x7B. Source: huggingface.co/mistralai/Mixtral-8x7B-v0.1 config.json (hidden 4096, 32
/// layers, 32 / 8 heads of 128, 8 experts, 2 per token, intermediate 14336, vocab 32000); Mistral's
/// announcement (2023-12): 46.7B total, 12.9B active.
inline constexpr model_spec mixtral_8x7b{
    "Mixtral-8x7B", 32, 4096, 32000, false, attention_kind::gqa, 32, 8, 128,
    0, 0, 0, 0, 0, 0, 0, 8, 0, 2, 14336, 0, 0, 0, 46.7e9, 12.9e9};

}  // namespace models

/// Every model in the catalog.
inline constexpr std::array all_models{models::deepseek_v3, models::deepseek_r1, models::kimi_k2,
                                       models::qwen3_235b,  models::llama2_70b,  models::llama31_70b,
                                       models::llama31_405b, models::gpt_oss_120b, models::mixtral_8x7b};

/// The model named `name`; an unknown name is a gpusched::error listing the known ones.
inline const model_spec& model(std::string_view name) {
  return hardware::detail::find_by_name(all_models, name, "cost::model", "model");
}

}  // namespace gpusched::cost
