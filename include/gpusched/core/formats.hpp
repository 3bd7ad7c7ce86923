#pragma once
// Identifiers of the number formats gpusched reasons about. hardware keys peak FLOPS by them; the
// cost part holds the codecs. Bits per element include the amortised block scales.

#include <array>
#include <string_view>

namespace gpusched {

/// A number format used for weights, activations or KV cache.
enum class number_format { fp32, bf16, fp16, fp8_e4m3, fp8_e5m2, mxfp4, nvfp4 };

/// Every format, in declaration order (for tables and loops).
inline constexpr std::array all_number_formats{
    number_format::fp32,     number_format::bf16,  number_format::fp16, number_format::fp8_e4m3,
    number_format::fp8_e5m2, number_format::mxfp4, number_format::nvfp4};

/// Storage cost of one element, including its share of block scales.
/// MXFP4: 4-bit E2M1 + one 8-bit E8M0 scale per 32 elements = 4.25 bits (OCP Microscaling v1.0).
/// NVFP4: 4-bit E2M1 + one 8-bit E4M3 scale per 16 elements = 4.5 bits (NVIDIA NVFP4 blog, 2025-06-24);
/// the per-tensor FP32 scale is negligible and not counted.
constexpr double bits_per_element(number_format f) {
  switch (f) {
    case number_format::fp32: return 32.0;
    case number_format::bf16:
    case number_format::fp16: return 16.0;
    case number_format::fp8_e4m3:
    case number_format::fp8_e5m2: return 8.0;
    case number_format::mxfp4: return 4.0 + 8.0 / 32.0;
    case number_format::nvfp4: return 4.0 + 8.0 / 16.0;
  }
  return 0.0;  // unreachable for valid enumerators
}

/// Short lower-case name ("bf16", "fp8_e4m3", "nvfp4").
constexpr std::string_view to_string(number_format f) {
  switch (f) {
    case number_format::fp32: return "fp32";
    case number_format::bf16: return "bf16";
    case number_format::fp16: return "fp16";
    case number_format::fp8_e4m3: return "fp8_e4m3";
    case number_format::fp8_e5m2: return "fp8_e5m2";
    case number_format::mxfp4: return "mxfp4";
    case number_format::nvfp4: return "nvfp4";
  }
  return "?";
}

}  // namespace gpusched
