#pragma once
// NVFP4 codec: E2M1 elements in blocks of 16, one FP8 E4M3 scale per block, one FP32 scale per
// tensor, following NVIDIA's reference recipe (TensorRT Model Optimizer,
// modelopt/torch/quantization/qtensor/nvfp4_tensor.py; digest in shared/data/hardware/SPECS.md),
// in FP32 arithmetic and in the recipe's order:
//   global      = amax(|x|) / (6 * 448)                          (an all-zero tensor: global = 1)
//   block scale = E4M3_rne( (amax(|block|) / 6) / global )       (a zero block: scale 1)
//   code        = E2M1_rne_saturating( x / (float(block scale) * global) )
//   value       = e2m1(code) * (float(block scale) * global)
// Packing: two codes per byte, the even element in the low nibble.
// Documented rules beyond the recipe: the E4M3 cast saturates at 448 (the recipe's clamp); if a
// block's scale rounds to zero (block amax below ~2^-10 * 6 * global, i.e. 1.3e-6 of the tensor's
// amax) every element of the block encodes as 0 instead of dividing by zero. NaN/Inf and sizes
// that are not a multiple of 16 are a gpusched::error. GPU kernels use an approximate reciprocal
// and may differ from this reference by one code at exact ties.

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

inline constexpr std::size_t nvfp4_block = 16;  ///< elements per E4M3 scale

/// A tensor in NVFP4: packed codes, E4M3 block-scale codes and the FP32 tensor scale.
struct nvfp4_tensor {
  std::size_t size = 0;              ///< number of elements (a multiple of 16)
  std::vector<std::uint8_t> codes;   ///< size / 2 bytes, element 2i in the low nibble of byte i
  std::vector<std::uint8_t> scales;  ///< size / 16 E4M3 codes
  float global_scale = 1.0f;         ///< FP32 per-tensor scale

  /// The 4-bit code of element `i`.
  [[nodiscard]] std::uint8_t code(std::size_t i) const {
    require(i < size, "nvfp4_tensor::code", "index " + std::to_string(i) + " out of range");
    const std::uint8_t byte = codes[i / 2];
    return (i % 2 == 0) ? (byte & 0x0F) : static_cast<std::uint8_t>(byte >> 4);
  }
  /// Storage in bytes (codes + scales + the FP32 global scale).
  [[nodiscard]] std::size_t bytes() const noexcept { return codes.size() + scales.size() + 4; }
};

/// The recipe's global scale of a tensor with absolute maximum `amax` (1 when amax is 0).
inline float nvfp4_global_scale(float amax) {
  if (amax == 0.0f) return 1.0f;
  return amax / (6.0f * 448.0f);
}

/// Quantizes `values` (size a multiple of 16, all finite) with NVIDIA's recipe.
inline nvfp4_tensor quantize_nvfp4(std::span<const float> values) {
  detail::check_block_input(values, nvfp4_block, "cost::formats::quantize_nvfp4");
  nvfp4_tensor t;
  t.size = values.size();
  t.codes.assign(values.size() / 2, 0);
  t.scales.assign(values.size() / nvfp4_block, 0);
  float amax = 0.0f;
  for (float v : values) amax = std::max(amax, std::fabs(v));
  t.global_scale = nvfp4_global_scale(amax);

  for (std::size_t b = 0; b < t.scales.size(); ++b) {
    const float* block = values.data() + b * nvfp4_block;
    float block_amax = 0.0f;
    for (std::size_t k = 0; k < nvfp4_block; ++k) block_amax = std::max(block_amax, std::fabs(block[k]));
    const float per_block = block_amax / 6.0f;
    const float wanted = per_block == 0.0f ? 1.0f : per_block / t.global_scale;
    t.scales[b] = encode_e4m3(wanted);
    const float divisor = e4m3_value(t.scales[b]) * t.global_scale;
    // Codes of the block first (a loop the compiler vectorises), then two per byte.
    std::uint8_t c[nvfp4_block] = {};
    if (divisor != 0.0f)
      for (std::size_t k = 0; k < nvfp4_block; ++k) c[k] = encode_e2m1(block[k] / divisor);
    std::uint8_t* out = t.codes.data() + b * (nvfp4_block / 2);
    for (std::size_t j = 0; j < nvfp4_block / 2; ++j)
      out[j] = static_cast<std::uint8_t>(c[2 * j] | (c[2 * j + 1] << 4));
  }
  return t;
}

/// Dequantizes into `out` (out.size() == t.size).
inline void dequantize_nvfp4(const nvfp4_tensor& t, std::span<float> out) {
  const char* where = "cost::formats::dequantize_nvfp4";
  require(out.size() == t.size, where, "output has " + std::to_string(out.size()) + " elements, tensor " +
                                           std::to_string(t.size));
  require(t.size % nvfp4_block == 0 && t.codes.size() == t.size / 2 && t.scales.size() == t.size / nvfp4_block,
          where, "inconsistent tensor: codes/scales do not match its size");
  for (std::size_t b = 0; b < t.scales.size(); ++b) {
    const float scale = e4m3_value(t.scales[b]) * t.global_scale;
    const std::uint8_t* in = t.codes.data() + b * (nvfp4_block / 2);
    float* o = out.data() + b * nvfp4_block;
    for (std::size_t j = 0; j < nvfp4_block / 2; ++j) {
      o[2 * j] = decode_e2m1(in[j]) * scale;
      o[2 * j + 1] = decode_e2m1(static_cast<std::uint8_t>(in[j] >> 4)) * scale;
    }
  }
}

/// Dequantized copy.
inline std::vector<float> dequantize_nvfp4(const nvfp4_tensor& t) {
  std::vector<float> out(t.size);
  dequantize_nvfp4(t, out);
  return out;
}

}  // namespace gpusched::cost::formats
