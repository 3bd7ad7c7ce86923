#pragma once
// Scalar number formats below FP32: exact value sets, round-to-nearest-even casts and bit codes of
// BF16, FP8 E4M3 (OCP "E4M3FN": no Inf, NaN = S.1111.111, max 448), FP8 E5M2 (IEEE-like, max
// 57344), FP4 E2M1 (codes 0-7 = {0, 0.5, 1, 1.5, 2, 3, 4, 6}, bit 3 = sign, no Inf/NaN) and the
// E8M0 power-of-two scale of the OCP Microscaling formats.
// Sources: OCP 8-bit Floating Point Specification (OFP8) rev 1.0 (2023) for E4M3/E5M2; OCP
// Microscaling Formats (MX) v1.0 (2023) for E2M1 and E8M0; NVIDIA NVFP4 blog (2025-06-24).
//
// Rounding: every cast rounds to nearest, ties to even, in exact arithmetic (the input is a float;
// scaling by powers of two in double is exact), subnormals included. Casts SATURATE: a finite value
// beyond the largest finite value becomes that value with its sign (what quantization recipes do
// after clamping; OFP8's "saturating" conversion mode). NaN and Inf are rejected by the codecs
// before they reach these helpers; the helpers themselves map them as documented per function.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

namespace gpusched::cost::formats {

/// Shape of a binary minifloat: mantissa bits, smallest normal exponent, largest finite value.
struct minifloat_shape {
  int mantissa_bits = 0;
  int min_normal_exponent = 0;
  double max_finite = 0.0;
};

inline constexpr minifloat_shape e4m3_shape{3, -6, 448.0};      ///< OFP8 E4M3: bias 7
inline constexpr minifloat_shape e5m2_shape{2, -14, 57344.0};   ///< OFP8 E5M2: bias 15
inline constexpr minifloat_shape e2m1_shape{1, 0, 6.0};         ///< MX FP4 E2M1: bias 1
inline constexpr minifloat_shape fp16_shape{10, -14, 65504.0};  ///< IEEE binary16: bias 15
inline constexpr double e4m3_max = 448.0;
inline constexpr double e2m1_max = 6.0;

/// Rounds a finite `x` to the nearest value of `shape` (ties to even), saturating at +-max_finite.
/// Exact: the quantum of x's binade is a power of two, so x / quantum is exact in double.
inline double round_to_shape(double x, const minifloat_shape& shape) {
  if (x == 0.0 || !std::isfinite(x)) return x;
  const double a = std::fabs(x);
  int e = 0;
  std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1): floor(log2 a) = e - 1
  int exponent = e - 1;
  if (exponent < shape.min_normal_exponent) exponent = shape.min_normal_exponent;  // subnormal binade
  const double quantum = std::ldexp(1.0, exponent - shape.mantissa_bits);
  double r = std::nearbyint(a / quantum) * quantum;  // default rounding mode: to nearest, ties to even
  if (r > shape.max_finite) r = shape.max_finite;
  return std::copysign(r, x);
}

/// FP8 E4M3 cast (round to nearest even, subnormals down to 2^-9, saturating at +-448).
inline float round_e4m3(float x) { return static_cast<float>(round_to_shape(x, e4m3_shape)); }
/// FP8 E5M2 cast (round to nearest even, subnormals down to 2^-16, saturating at +-57344).
inline float round_e5m2(float x) { return static_cast<float>(round_to_shape(x, e5m2_shape)); }

/// FP16 cast (round to nearest even, subnormals down to 2^-24, saturating at +-65504; IEEE would
/// give Inf above 65520 — quantizers saturate).
inline float round_fp16(float x) { return static_cast<float>(round_to_shape(x, fp16_shape)); }

/// BF16 cast of a float: round to nearest even on the top 16 bits (subnormals included); values
/// that round past the largest BF16 become Inf as in IEEE; NaN stays NaN.
inline float round_bf16(float x) {
  if (std::isnan(x)) return x;
  std::uint32_t bits = 0;
  std::memcpy(&bits, &x, sizeof bits);
  bits += 0x7FFFu + ((bits >> 16) & 1u);  // ties to even on bit 16
  bits &= 0xFFFF0000u;
  float out = 0.0f;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

// ---- bit codes ------------------------------------------------------------------------------

/// The value of an E4M3 code (0x7F and 0xFF are NaN).
inline float decode_e4m3(std::uint8_t code) {
  const bool negative = (code & 0x80u) != 0;
  const int exponent_field = (code >> 3) & 0xF;
  const int mantissa = code & 0x7;
  if (exponent_field == 0xF && mantissa == 0x7) return std::numeric_limits<float>::quiet_NaN();
  const double v = exponent_field == 0 ? std::ldexp(mantissa, -9)  // subnormal: m/8 * 2^-6
                                       : std::ldexp(8 + mantissa, exponent_field - 7 - 3);
  return static_cast<float>(negative ? -v : v);
}

/// decode_e4m3 from a table built once (the codecs' per-block scale lookup).
inline float e4m3_value(std::uint8_t code) {
  static const auto table = [] {
    std::array<float, 256> t{};
    for (int c = 0; c < 256; ++c) t[static_cast<std::size_t>(c)] = decode_e4m3(static_cast<std::uint8_t>(c));
    return t;
  }();
  return table[code];
}

/// Midpoints between consecutive non-negative finite E4M3 values (codes 0-126), built once. Each
/// is exact in float: two neighbours have at most 4 significant bits, their mean at most 5.
inline const std::array<float, 126>& e4m3_midpoints() {
  static const auto table = [] {
    std::array<float, 126> t{};
    for (std::size_t c = 0; c < t.size(); ++c)
      t[c] = 0.5f * (decode_e4m3(static_cast<std::uint8_t>(c)) + decode_e4m3(static_cast<std::uint8_t>(c + 1)));
    return t;
  }();
  return table;
}

/// The E4M3 code of a float after round_e4m3 (NaN -> 0x7F; Inf saturates to +-448). The magnitude's
/// code is the number of midpoints below it, plus one at a tie above an odd code (ties to even):
/// the same code as rounding with round_to_shape (tested over every tie and a sweep of floats).
inline std::uint8_t encode_e4m3(float x) {
  if (std::isnan(x)) return 0x7F;
  const std::uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
  const float a = std::fabs(x);
  const auto& mid = e4m3_midpoints();
  auto code = static_cast<std::size_t>(std::lower_bound(mid.begin(), mid.end(), a) - mid.begin());
  if (code < mid.size() && mid[code] == a && (code & 1u) != 0) ++code;  // beyond 448: code 126, saturated
  return static_cast<std::uint8_t>(sign | code);
}

/// The value of an E5M2 code (exponent field 31: Inf for mantissa 0, else NaN).
inline float decode_e5m2(std::uint8_t code) {
  const bool negative = (code & 0x80u) != 0;
  const int exponent_field = (code >> 2) & 0x1F;
  const int mantissa = code & 0x3;
  double v = 0.0;
  if (exponent_field == 0x1F)
    v = mantissa == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  else
    v = exponent_field == 0 ? std::ldexp(mantissa, -16) : std::ldexp(4 + mantissa, exponent_field - 15 - 2);
  return static_cast<float>(negative ? -v : v);
}

/// The E5M2 code of a float after round_e5m2 (NaN -> 0x7F, Inf -> +-Inf code).
inline std::uint8_t encode_e5m2(float x) {
  if (std::isnan(x)) return 0x7F;
  const std::uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
  if (std::isinf(x)) return static_cast<std::uint8_t>(sign | 0x7C);
  const double r = std::fabs(round_to_shape(x, e5m2_shape));
  if (r == 0.0) return sign;
  int e = 0;
  std::frexp(r, &e);
  const int exponent = e - 1;
  if (exponent < -14) return static_cast<std::uint8_t>(sign | static_cast<int>(std::ldexp(r, 16)));
  const int mantissa = static_cast<int>(std::ldexp(r, 2 - exponent)) - 4;
  return static_cast<std::uint8_t>(sign | ((exponent + 15) << 2) | mantissa);
}

/// Magnitudes of the eight E2M1 codes 0-7; code | 8 is the negative value.
inline constexpr float e2m1_values[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};

/// The value of a 4-bit E2M1 code (only the low nibble is read).
inline float decode_e2m1(std::uint8_t code) {
  const float v = e2m1_values[code & 0x7];
  return (code & 0x8) != 0 ? -v : v;
}

/// The E2M1 code of a finite float: round to nearest even on the grid, saturating at +-6. The sign
/// bit is set only for x < 0 (so -0 encodes as +0, as in NVIDIA's recipe).
inline std::uint8_t encode_e2m1(float x) {
  // Count the midpoints between neighbouring magnitudes (0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5) below
  // |x|; at a tie the even code (0, 2, 4, 6) wins, so the three midpoints above an odd code (0.75,
  // 1.75, 3.5) step up. Straight-line comparisons: branch-free, and vectorised in the codecs' loops.
  const float a = std::fabs(x);
  const int code = static_cast<int>(a > 0.25f) + static_cast<int>(a > 0.75f) + static_cast<int>(a > 1.25f) +
                   static_cast<int>(a > 1.75f) + static_cast<int>(a > 2.5f) + static_cast<int>(a > 3.5f) +
                   static_cast<int>(a > 5.0f) +
                   static_cast<int>((a == 0.75f) | (a == 1.75f) | (a == 3.5f));
  return static_cast<std::uint8_t>(code | (x < 0.0f ? 0x8 : 0x0));
}

/// The scale 2^(code - 127) of an E8M0 code (0xFF is NaN).
inline float decode_e8m0(std::uint8_t code) {
  if (code == 0xFF) return std::numeric_limits<float>::quiet_NaN();
  return std::ldexp(1.0f, static_cast<int>(code) - 127);
}

}  // namespace gpusched::cost::formats
