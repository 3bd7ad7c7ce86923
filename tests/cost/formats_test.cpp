// Tests of gpusched/cost/formats/: minifloat casts, the NVFP4 and MXFP4 codecs, error metrics.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/core/formats.hpp"
#include "gpusched/cost/formats/description.hpp"
#include "gpusched/cost/formats/error_metrics.hpp"
#include "gpusched/cost/formats/minifloat.hpp"
#include "gpusched/cost/formats/mxfp4.hpp"
#include "gpusched/cost/formats/nvfp4.hpp"

namespace f = gpusched::cost::formats;

TEST_CASE("formats: every finite E4M3 and E5M2 code round-trips through its value") {
  int e4m3_finite = 0;
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    const float v = f::decode_e4m3(code);
    if (std::isnan(v)) {
      CHECK((c & 0x7F) == 0x7F);
      continue;
    }
    ++e4m3_finite;
    CHECK(f::encode_e4m3(v) == code);
    CHECK(f::round_e4m3(v) == v);
  }
  CHECK(e4m3_finite == 254);
  CHECK(f::decode_e4m3(0x7E) == 448.0f);             // largest finite
  CHECK(f::decode_e4m3(0x01) == std::ldexp(1.0f, -9));  // smallest subnormal
  CHECK(f::decode_e4m3(0x08) == std::ldexp(1.0f, -6));  // smallest normal
  for (int c = 0; c < 256; ++c) {
    const auto code = static_cast<std::uint8_t>(c);
    const float v = f::decode_e5m2(code);
    if (std::isnan(v)) continue;
    CHECK(f::encode_e5m2(v) == code);
  }
  CHECK(f::decode_e5m2(0x7B) == 57344.0f);
  CHECK(std::isinf(f::decode_e5m2(0x7C)));
}

TEST_CASE("formats: the E4M3 encoder agrees with the exact rounding, ties and a sweep of floats") {
  // encode_e4m3 searches a midpoint table; round_e4m3 rounds by scaling in double. They must give
  // the same value for every float: each midpoint and its float neighbours, and every 4,999th
  // positive finite float (bit patterns), both signs.
  auto agree = [](float x) {
    const float a = f::decode_e4m3(f::encode_e4m3(x)), b = f::round_e4m3(x);
    return a == b && std::signbit(a) == std::signbit(b);
  };
  int mismatches = 0;
  for (int c = 0; c < 126; ++c) {
    const float lo = f::decode_e4m3(static_cast<std::uint8_t>(c)), hi = f::decode_e4m3(static_cast<std::uint8_t>(c + 1));
    const float mid = 0.5f * (lo + hi);
    for (float x : {mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f)})
      mismatches += (agree(x) && agree(-x)) ? 0 : 1;
    // At the tie the even code wins.
    CHECK(f::encode_e4m3(mid) % 2 == 0);
  }
  for (std::uint32_t bits = 0; bits < 0x7F800000u; bits += 4999u) {
    float x = 0.0f;
    std::memcpy(&x, &bits, sizeof x);
    mismatches += (agree(x) && agree(-x)) ? 0 : 1;
  }
  CHECK(mismatches == 0);
  CHECK(f::encode_e4m3(std::numeric_limits<float>::infinity()) == 0x7E);  // saturates at 448
  CHECK(f::encode_e4m3(-1e30f) == 0xFE);
  CHECK(f::encode_e4m3(-0.0f) == 0x80);
}

TEST_CASE("formats: casts round to nearest even, subnormals included, and saturate") {
  // E4M3 normal binade [1, 2): quantum 1/8. 1 + 1/16 is a tie -> even mantissa (1.0).
  CHECK(f::round_e4m3(1.0625f) == 1.0f);
  CHECK(f::round_e4m3(1.1875f) == 1.25f);  // tie between 1.125 (odd) and 1.25 (even)
  CHECK(f::round_e4m3(1.07f) == 1.125f);
  // Subnormals: quantum 2^-9. 1.5 quanta -> 2 quanta; 2.5 quanta -> 2 quanta; 0.5 quantum -> 0.
  const float q = std::ldexp(1.0f, -9);
  CHECK(f::round_e4m3(1.5f * q) == 2 * q);
  CHECK(f::round_e4m3(2.5f * q) == 2 * q);
  CHECK(f::round_e4m3(0.5f * q) == 0.0f);
  CHECK(f::round_e4m3(0.51f * q) == q);
  // Saturation at 448 (480 would be the next step; 470 is nearer to it but saturates).
  CHECK(f::round_e4m3(470.0f) == 448.0f);
  CHECK(f::round_e4m3(-1e6f) == -448.0f);
  CHECK(f::round_e5m2(1e6f) == 57344.0f);
  CHECK(f::round_e5m2(1.125f) == 1.0f);  // quantum 0.25: tie -> even
  CHECK(f::round_e5m2(1.375f) == 1.5f);
  // BF16: 8 significant bits.
  CHECK(f::round_bf16(1.0f + std::ldexp(1.0f, -8)) == 1.0f);  // tie -> even
  CHECK(f::round_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 1.0f + std::ldexp(1.0f, -6));
  CHECK(f::round_bf16(3.0f) == 3.0f);
}

TEST_CASE("formats: E2M1 grid, ties to even code, saturation, nibble sign") {
  for (std::uint8_t c = 0; c < 16; ++c) {
    if (c == 8) continue;  // -0 encodes as +0 (sign set only for x < 0, as NVIDIA's recipe)
    CHECK(f::encode_e2m1(f::decode_e2m1(c)) == c);
  }
  CHECK(f::encode_e2m1(-0.0f) == 0);
  CHECK(f::encode_e2m1(0.25f) == 0);   // tie 0 | 0.5 -> code 0
  CHECK(f::encode_e2m1(0.75f) == 2);   // tie 0.5 | 1 -> code 2 (1.0)
  CHECK(f::encode_e2m1(1.25f) == 2);   // tie 1 | 1.5 -> code 2
  CHECK(f::encode_e2m1(1.75f) == 4);   // tie 1.5 | 2 -> code 4
  CHECK(f::encode_e2m1(2.5f) == 4);    // tie 2 | 3 -> code 4
  CHECK(f::encode_e2m1(3.5f) == 6);    // tie 3 | 4 -> code 6
  CHECK(f::encode_e2m1(5.0f) == 6);    // tie 4 | 6 -> code 6
  CHECK(f::encode_e2m1(5.01f) == 7);
  CHECK(f::encode_e2m1(100.0f) == 7);  // saturates at 6
  CHECK(f::encode_e2m1(-2.9f) == (8 | 5));
  CHECK(f::decode_e8m0(127) == 1.0f);
  CHECK(f::decode_e8m0(130) == 8.0f);
}

namespace {
// Global scale 10.5 / 2688 = 2^-8 exactly, so the hand-worked figures below are exact.
std::vector<float> hand_worked_tensor() {
  std::vector<float> x(48, 0.0f);
  const float s = 1.75f;  // block 0: amax 10.5 -> (10.5/6) / 2^-8 = 448 -> divisor 448 * 2^-8 = 1.75
  const float grid[16] = {6, -3, 0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5, -0.75f, 0.3f, 0, 1, -6, 4, 0.5f};
  for (int i = 0; i < 16; ++i) x[static_cast<std::size_t>(i)] = grid[i] * s;
  // block 1: amax 1 -> (1/6)/2^-8 = 42.67 -> E4M3 44 (binade [32,64), quantum 4) -> divisor 0.171875
  x[16] = 1.0f;
  x[17] = 0.5f;
  x[18] = -0.25f;
  // block 2: amax 18 * 2^-18 -> scale 3 * 2^-10 = 1.5 subnormal quanta -> ties to 2 quanta (2^-8)
  x[32] = 18.0f * std::ldexp(1.0f, -18);
  return x;
}
}  // namespace

TEST_CASE("nvfp4: hand-worked blocks follow NVIDIA's recipe exactly") {
  const auto x = hand_worked_tensor();
  const auto t = f::quantize_nvfp4(x);
  CHECK(t.global_scale == std::ldexp(1.0f, -8));
  REQUIRE(t.scales.size() == 3);
  CHECK(t.scales[0] == 0x7E);                     // 448
  CHECK(f::decode_e4m3(t.scales[1]) == 44.0f);    // 42.67 rounded on E4M3's grid
  CHECK(t.scales[2] == 0x02);                     // subnormal 2 * 2^-9, tie to even
  const std::uint8_t expected[16] = {7, 8 | 5, 0, 2, 2, 4, 4, 6, 6, 8 | 2, 1, 0, 2, 8 | 7, 6, 1};
  for (std::size_t i = 0; i < 16; ++i) CHECK(t.code(i) == expected[i]);
  // Nibble order: element 0 low, element 1 high.
  CHECK(t.codes[0] == ((8 | 5) << 4 | 7));
  CHECK(t.code(16) == 7);        // 1 / 0.171875 = 5.82 -> 6
  CHECK(t.code(17) == 5);        // 2.91 -> 3
  CHECK(t.code(18) == (8 | 3));  // -1.45 -> -1.5
  CHECK(t.code(19) == 0);        // zero stays zero
  CHECK(t.code(32) == 6);        // 18 * 2^-18 / (2^-8 * 2^-8) = 4.5 -> 4 (the 4 | 6 midpoint is 5)
  const auto y = f::dequantize_nvfp4(t);
  CHECK(y[0] == 10.5f);
  CHECK(y[1] == -5.25f);
  CHECK(y[16] == 6.0f * 0.171875f);
  CHECK(y[17] == 3.0f * 0.171875f);
  CHECK(y[18] == -1.5f * 0.171875f);
  CHECK(t.bytes() == 24 + 3 + 4);
}

TEST_CASE("nvfp4: every representable value of a block round-trips exactly") {
  // With global scale 2^-8 and block scale 448 the divisor is 1.75: x = 1.75 * e2m1 value.
  std::vector<float> x(16);
  for (std::uint8_t c = 0; c < 16; ++c) x[c] = 1.75f * f::decode_e2m1(c == 8 ? 7 : c);
  const auto t = f::quantize_nvfp4(x);
  const auto y = f::dequantize_nvfp4(t);
  for (std::size_t i = 0; i < 16; ++i) {
    CHECK(y[i] == x[i]);
    CHECK(t.code(i) == (i == 8 ? 7 : i));
  }
}

TEST_CASE("nvfp4: all-zero tensor has global scale 1 and unit block scales") {
  std::vector<float> x(32, 0.0f);
  const auto t = f::quantize_nvfp4(x);
  CHECK(t.global_scale == 1.0f);
  CHECK(t.scales[0] == 0x38);  // E4M3 1.0
  CHECK(t.scales[1] == 0x38);
  for (auto b : t.codes) CHECK(b == 0);
  for (float v : f::dequantize_nvfp4(t)) CHECK(v == 0.0f);
}

TEST_CASE("mxfp4: OCP shared exponent floor(log2 amax) - 2, hand-worked blocks") {
  std::vector<float> x(64, 0.0f);
  x[0] = 0.8f;   // floor(log2 0.8) = -1 -> X = 2^-3; 0.8 * 8 = 6.4 -> 6 -> 0.75
  x[1] = 0.1f;   // 0.8 -> code 2 (1.0) -> 0.125
  x[2] = -0.3f;  // -2.4 -> -2 -> -0.25
  x[32] = 7.0f;  // floor(log2 7) = 2 -> X = 1; 7 saturates to 6
  x[33] = 2.5f;  // tie 2 | 3 -> 2
  const auto t = f::quantize_mxfp4(x);
  CHECK(t.scales[0] == 127 - 3);
  CHECK(t.scales[1] == 127);
  CHECK(t.code(0) == 7);
  CHECK(t.code(1) == 2);
  CHECK(t.code(2) == (8 | 4));
  CHECK(t.code(32) == 7);
  CHECK(t.code(33) == 4);
  const auto y = f::dequantize_mxfp4(t);
  CHECK(y[0] == 0.75f);
  CHECK(y[1] == 0.125f);
  CHECK(y[2] == -0.25f);
  CHECK(y[32] == 6.0f);
  CHECK(y[33] == 2.0f);
  CHECK(t.bytes() == 32 + 2);
  // All-zero block: scale code 127 (documented rule).
  std::vector<float> z(32, 0.0f);
  CHECK(f::quantize_mxfp4(z).scales[0] == 127);
}

TEST_CASE("mxfp4: every E2M1 value times any power-of-two scale round-trips exactly") {
  for (int k : {-120, -20, -3, 0, 5, 60, 120}) {
    std::vector<float> x(32, 0.0f);
    for (std::uint8_t c = 0; c < 16; ++c) x[c] = std::ldexp(f::decode_e2m1(c), k);
    x[16] = std::ldexp(6.0f, k);  // fixes the block's amax to 6 * 2^k
    const auto t = f::quantize_mxfp4(x);
    CHECK(t.scales[0] == 127 + k);
    const auto y = f::dequantize_mxfp4(t);
    for (std::size_t i = 0; i < 32; ++i) CHECK(y[i] == x[i]);
  }
}

TEST_CASE("codecs: bad input is a gpusched::error naming the element") {
  std::vector<float> x(32, 1.0f);
  x[5] = std::nanf("");
  CHECK_THROWS_WITH_AS(f::quantize_nvfp4(x), doctest::Contains("element 5 is NaN"), gpusched::error);
  x[5] = INFINITY;
  CHECK_THROWS_WITH_AS(f::quantize_mxfp4(x), doctest::Contains("element 5 is infinite"), gpusched::error);
  std::vector<float> odd(24, 1.0f);
  CHECK_THROWS_WITH_AS(f::quantize_nvfp4(odd), doctest::Contains("multiple of the block size 16"),
                       gpusched::error);
  CHECK_THROWS_AS(f::quantize_mxfp4(std::vector<float>(16, 1.0f)), gpusched::error);
  auto t = f::quantize_nvfp4(std::vector<float>(16, 1.0f));
  std::vector<float> wrong(8);
  CHECK_THROWS_AS(f::dequantize_nvfp4(t, wrong), gpusched::error);
  CHECK_THROWS_AS(f::measure_error(std::vector<float>(3), std::vector<float>(4)), gpusched::error);
}

TEST_CASE("codecs: error on random data is bounded and ordered FP8 < NVFP4 < MXFP4") {
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(4096);
  for (auto& v : x) v = normal(rng);

  const auto nv = f::quantize_nvfp4(x);
  const auto nv_y = f::dequantize_nvfp4(nv);
  const auto mx_y = f::dequantize_mxfp4(f::quantize_mxfp4(x));
  // FP8 E4M3 with one per-tensor scale amax / 448 (the usual FP8 recipe).
  float amax = 0.0f;
  for (float v : x) amax = std::max(amax, std::fabs(v));
  const float s8 = amax / 448.0f;
  std::vector<float> fp8_y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) fp8_y[i] = f::round_e4m3(x[i] / s8) * s8;

  const auto e_nv = f::measure_error(x, nv_y);
  const auto e_mx = f::measure_error(x, mx_y);
  const auto e_8 = f::measure_error(x, fp8_y);
  MESSAGE("rmse fp8 " << e_8.rmse << " nvfp4 " << e_nv.rmse << " mxfp4 " << e_mx.rmse);
  CHECK(e_8.rmse < e_nv.rmse / 3.0);
  CHECK(e_nv.rmse < e_mx.rmse);
  // FP4 keeps ~2 significant bits: relative RMSE of a Gaussian lands near 0.1 (SQNR ~ 20 dB).
  CHECK(e_nv.sqnr_db > 15.0);
  CHECK(e_nv.sqnr_db < 25.0);
  // Every element is within one unit of its block's divisor (half the widest grid gap is 1,
  // saturation after E4M3 rounding of the scale costs at most 6/16 of it).
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float divisor = f::decode_e4m3(nv.scales[i / 16]) * nv.global_scale;
    CHECK(std::fabs(nv_y[i] - x[i]) <= divisor);
  }
  CHECK(gpusched::bits_per_element(gpusched::number_format::nvfp4) * static_cast<double>(x.size()) / 8.0 ==
        doctest::Approx(static_cast<double>(nv.bytes() - 4)));
}

TEST_CASE("formats: descriptions and exact value sets agree with the casts") {
  using gpusched::number_format;
  for (auto fmt : gpusched::all_number_formats) {
    const auto d = f::describe(fmt);
    CHECK(d.format == fmt);
    CHECK(d.bits_per_element == gpusched::bits_per_element(fmt));
  }
  // Distinct finite values: E4M3 253 (254 codes, +-0 one value), E5M2 247, E2M1 15.
  const auto e4 = f::finite_values(number_format::fp8_e4m3);
  CHECK(e4.size() == 253);
  CHECK(e4.back() == 448.0);
  CHECK(f::finite_values(number_format::fp8_e5m2).size() == 247);
  const auto fp4 = f::finite_values(number_format::nvfp4);
  CHECK(fp4.size() == 15);
  CHECK(fp4.back() == f::describe(number_format::nvfp4).max_finite);
  // Every value of a set is a fixed point of its cast. FP16: 0x7C00 positive codes, each with its
  // negative, +-0 counted once; BF16 likewise with 0x7F80.
  for (double v : e4) CHECK(f::round_e4m3(static_cast<float>(v)) == static_cast<float>(v));
  const auto h = f::finite_values(number_format::fp16);
  CHECK(h.size() == 2 * 0x7C00 - 1);
  CHECK(h.back() == 65504.0);
  CHECK(h[h.size() / 2 + 1] == f::describe(number_format::fp16).min_subnormal);
  int mismatches = 0;
  for (double v : h) mismatches += f::round_fp16(static_cast<float>(v)) == static_cast<float>(v) ? 0 : 1;
  CHECK(mismatches == 0);
  const auto b = f::finite_values(number_format::bf16);
  CHECK(b.size() == 2 * 0x7F80 - 1);
  mismatches = 0;
  for (double v : b) mismatches += f::round_bf16(static_cast<float>(v)) == static_cast<float>(v) ? 0 : 1;
  CHECK(mismatches == 0);
  CHECK(f::round_fp16(1.0f + std::ldexp(1.0f, -11)) == 1.0f);  // tie -> even
  CHECK(f::round_fp16(1e6f) == 65504.0f);
  CHECK(f::finite_values(number_format::fp32).empty());
}
