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
    const auto block = values.subspan(b * mxfp4_block, mxfp4_block);
    float amax = 0.0f;
    for (float v : block) amax = std::max(amax, std::fabs(v));
    t.scales[b] = mxfp4_scale_code(amax);
    const int exponent = static_cast<int>(t.scales[b]) - 127;
    for (std::size_t k = 0; k < mxfp4_block; ++k) {
      // Scaling by a power of two is exact (in double, even for float subnormals), and |scaled| < 8
      // so the float conversion is exact too.
      const double scaled = std::ldexp(static_cast<double>(block[k]), -exponent);
      const std::uint8_t c = encode_e2m1(static_cast<float>(scaled));
      const std::size_t i = b * mxfp4_block + k;
      t.codes[i / 2] |= static_cast<std::uint8_t>(i % 2 == 0 ? c : c << 4);
    }
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
    require(t.scales[b] != 0xFF, where, "scale " + std::to_string(b) + " is the E8M0 NaN code");
    const int exponent = static_cast<int>(t.scales[b]) - 127;
    for (std::size_t k = 0; k < mxfp4_block; ++k) {
      const std::size_t i = b * mxfp4_block + k;
      const std::uint8_t byte = t.codes[i / 2];
      const float v = decode_e2m1(i % 2 == 0 ? byte : static_cast<std::uint8_t>(byte >> 4));
      out[i] = static_cast<float>(std::ldexp(static_cast<double>(v), exponent));
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
