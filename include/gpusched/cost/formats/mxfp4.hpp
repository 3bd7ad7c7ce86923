#pragma once
// MXFP4 codec per the OCP Microscaling Formats (MX) Specification v1.0 (2023), section 6.3:
// blocks of 32 E2M1 elements share one E8M0 scale X = 2^(floor(log2(amax(|block|))) - 2), where 2
// is the exponent of E2M1's largest normal (6 = 1.5 * 2^2); elements are x / X rounded to nearest
// even on the E2M1 grid, saturating at +-6. Packing: two codes per byte, even element low.
// Documented rules: an all-zero block gets exponent 0 (scale 1, code 127); the shared exponent is
// clamped to E8M0's range [-127, 127]; NaN/Inf and sizes not a multiple of 32 are a gpusched::error.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/cost/detail/check_input.hpp"
#include "gpusched/cost/formats/minifloat.hpp"

namespace gpusched::cost::formats {

inline constexpr std::size_t mxfp4_block = 32;  ///< elements per E8M0 scale

/// A tensor in MXFP4: packed codes and E8M0 scale codes.
struct mxfp4_tensor {
  std::size_t size = 0;              ///< number of elements (a multiple of 32)
  std::vector<std::uint8_t> codes;   ///< size / 2 bytes, element 2i in the low nibble of byte i
  std::vector<std::uint8_t> scales;  ///< size / 32 E8M0 codes (exponent + 127)

  /// The 4-bit code of element `i`.
  [[nodiscard]] std::uint8_t code(std::size_t i) const {
    require(i < size, "mxfp4_tensor::code", "index " + std::to_string(i) + " out of range");
    const std::uint8_t byte = codes[i / 2];
    return (i % 2 == 0) ? (byte & 0x0F) : static_cast<std::uint8_t>(byte >> 4);
  }
  /// Storage in bytes (codes + scales).
  [[nodiscard]] std::size_t bytes() const noexcept { return codes.size() + scales.size(); }
};

/// The E8M0 scale code OCP MX assigns to a block with absolute maximum `amax`.
inline std::uint8_t mxfp4_scale_code(float amax) {
  if (amax == 0.0f) return 127;
  int e = 0;
  std::frexp(amax, &e);             // amax = m * 2^e, m in [0.5, 1)
  int shared = (e - 1) - 2;         // floor(log2 amax) - emax(E2M1)
  shared = std::clamp(shared, -127, 127);
  return static_cast<std::uint8_t>(shared + 127);
}

/// Quantizes `values` (size a multiple of 32, all finite) with the OCP MX rule.
inline mxfp4_tensor quantize_mxfp4(std::span<const float> values) {
  detail::check_block_input(values, mxfp4_block, "cost::formats::quantize_mxfp4");
  mxfp4_tensor t;
  t.size = values.size();
  t.codes.assign(values.size() / 2, 0);
  t.scales.assign(values.size() / mxfp4_block, 0);
  for (std::size_t b = 0; b < t.scales.size(); ++b) {
    const float* block = values.data() + b * mxfp4_block;
    float amax = 0.0f;
    for (std::size_t k = 0; k < mxfp4_block; ++k) amax = std::max(amax, std::fabs(block[k]));
    t.scales[b] = mxfp4_scale_code(amax);
    // 2^-exponent is an exact float for |exponent| <= 127 (2^-127 as a subnormal), and a float
    // product is the exact product rounded once: the same value as scaling in double and rounding
    // to float. |scaled| < 8, so nothing overflows.
    const float inverse = std::ldexp(1.0f, 127 - static_cast<int>(t.scales[b]));
    std::uint8_t c[mxfp4_block] = {};
    for (std::size_t k = 0; k < mxfp4_block; ++k) c[k] = encode_e2m1(block[k] * inverse);
    std::uint8_t* out = t.codes.data() + b * (mxfp4_block / 2);
    for (std::size_t j = 0; j < mxfp4_block / 2; ++j)
      out[j] = static_cast<std::uint8_t>(c[2 * j] | (c[2 * j + 1] << 4));
  }
  return t;
}

/// Dequantizes into `out` (out.size() == t.size).
inline void dequantize_mxfp4(const mxfp4_tensor& t, std::span<float> out) {
  const char* where = "cost::formats::dequantize_mxfp4";
  require(out.size() == t.size, where, "output has " + std::to_string(out.size()) + " elements, tensor " +
                                           std::to_string(t.size));
  require(t.size % mxfp4_block == 0 && t.codes.size() == t.size / 2 && t.scales.size() == t.size / mxfp4_block,
          where, "inconsistent tensor: codes/scales do not match its size");
  for (std::size_t b = 0; b < t.scales.size(); ++b) {
    if (t.scales[b] == 0xFF) throw error(where, "scale " + std::to_string(b) + " is the E8M0 NaN code");
    // The product of an E2M1 value and 2^exponent is exact in double; one rounding to float.
    const double scale = std::ldexp(1.0, static_cast<int>(t.scales[b]) - 127);
    const std::uint8_t* in = t.codes.data() + b * (mxfp4_block / 2);
    float* o = out.data() + b * mxfp4_block;
    for (std::size_t j = 0; j < mxfp4_block / 2; ++j) {
      o[2 * j] = static_cast<float>(decode_e2m1(in[j]) * scale);
      o[2 * j + 1] = static_cast<float>(decode_e2m1(static_cast<std::uint8_t>(in[j] >> 4)) * scale);
    }
  }
}

/// Dequantized copy.
inline std::vector<float> dequantize_mxfp4(const mxfp4_tensor& t) {
  std::vector<float> out(t.size);
  dequantize_mxfp4(t, out);
  return out;
}

}  // namespace gpusched::cost::formats
