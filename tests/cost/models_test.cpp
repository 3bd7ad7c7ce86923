// Tests of gpusched/cost/models.hpp: derived parameter counts against published totals, KV bytes.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "gpusched/core/error.hpp"
#include "gpusched/cost/models.hpp"

namespace c = gpusched::cost;
using nf = gpusched::number_format;

TEST_CASE("models: derived totals match published totals within 3%, active within 3%") {
  for (const auto& m : c::all_models) {
    CAPTURE(std::string(m.name));
    const double total = c::total_params(m), active = c::active_params(m);
    // Published totals are rounded ("70B", "1T"); 3% covers the rounding and the omitted norms.
    CHECK(std::fabs(total / m.published_total - 1.0) < 0.03);
    CHECK(std::fabs(active / m.published_active - 1.0) < 0.03);
    CHECK(active <= total);
  }
}

TEST_CASE("models: hand-worked DeepSeek-V3 and Llama-2-70B counts") {
  const auto& ds = c::models::deepseek_v3;
  // MLA projections: 7168*1536 + 1536*128*192 + 7168*576 + 512*128*256 + 128*128*7168.
  CHECK(c::attention_params(ds) == 7168.0 * 1536 + 1536.0 * 128 * 192 + 7168.0 * 576 + 512.0 * 128 * 256 +
                                       128.0 * 128 * 7168);
  CHECK(c::expert_params(ds) == 3.0 * 7168 * 2048);
  CHECK(c::moe_layers(ds) == 58);
  CHECK(c::total_params(ds) == doctest::Approx(671e9).epsilon(0.005));
  // Llama-2-70B: 68.98B by the config (80 x (151.0M + 704.6M) + 2 x 262.1M).
  CHECK(c::total_params(c::models::llama2_70b) == doctest::Approx(68.976e9).epsilon(0.001));
  CHECK(c::total_params(c::models::gpt_oss_120b) == doctest::Approx(116.83e9).epsilon(0.01));
}

TEST_CASE("models: KV bytes per token, MLA versus GQA, per format") {
  // DeepSeek-V3 MLA: (512 + 64) x 61 layers = 35,136 elements: 70,272 bytes in BF16.
  CHECK(c::kv_bytes_per_token(c::models::deepseek_v3, nf::bf16) == 70272.0);
  CHECK(c::kv_bytes_per_token(c::models::deepseek_v3, nf::fp8_e4m3) == 35136.0);
  // Llama-2-70B GQA: 2 x 8 x 128 x 80 = 163,840 elements: 327,680 bytes (320 KiB) in BF16.
  CHECK(c::kv_bytes_per_token(c::models::llama2_70b, nf::bf16) == 327680.0);
  CHECK(c::kv_bytes_per_token(c::models::llama2_70b, nf::nvfp4) == 163840.0 * 4.5 / 8.0);
  // GPT-OSS: half the layers keep only a 128-token window.
  const auto& g = c::models::gpt_oss_120b;
  const double per_layer = 2.0 * 8 * 64 * 2;  // BF16
  CHECK(c::kv_bytes_for_context(g, 1000, nf::bf16) == per_layer * (18 * 1000 + 18 * 128));
  CHECK(c::kv_bytes_for_context(g, 100, nf::bf16) == per_layer * 36 * 100);
}

TEST_CASE("models: lookup by name, unknown names are errors listing the catalog") {
  CHECK(c::model("Kimi-K2").experts == 384);
  CHECK_THROWS_WITH_AS(c::model("GPT-5"), doctest::Contains("unknown model 'GPT-5'"), gpusched::error);
}
