#pragma once
// Descriptions of the number formats: element layout, block size, scale format, storage cost and
// the exact set of finite values an element can take (before block scaling).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "gpusched/core/formats.hpp"
#include "gpusched/cost/formats/minifloat.hpp"

namespace gpusched::cost::formats {

/// How a format stores one element and its scales.
struct format_description {
  number_format format = number_format::bf16;
  int exponent_bits = 0;         ///< element exponent bits
  int mantissa_bits = 0;         ///< element stored mantissa bits
  int block_size = 1;            ///< elements sharing one block scale (1: no block scale)
  std::string_view block_scale;  ///< "" (none), "E8M0" (MXFP4), "E4M3" (NVFP4)
  bool tensor_scale = false;     ///< an FP32 per-tensor scale as well (NVFP4)
  double max_finite = 0.0;       ///< largest finite element value
  double min_subnormal = 0.0;    ///< smallest positive element value
  double bits_per_element = 0.0; ///< storage including amortised block scales
};

/// The description of `f` (OCP OFP8 / MX v1.0, IEEE 754, NVIDIA NVFP4 blog 2025-06-24).
constexpr format_description describe(number_format f) {
  switch (f) {
    case number_format::fp32: return {f, 8, 23, 1, "", false, 3.4028234663852886e38, 1.401298464324817e-45, 32};
    case number_format::bf16: return {f, 8, 7, 1, "", false, 3.3895313892515355e38, 9.183549615799121e-41, 16};
    case number_format::fp16: return {f, 5, 10, 1, "", false, 65504.0, 5.960464477539063e-08, 16};
    case number_format::fp8_e4m3: return {f, 4, 3, 1, "", false, 448.0, 0.001953125, 8};
    case number_format::fp8_e5m2: return {f, 5, 2, 1, "", false, 57344.0, 1.52587890625e-05, 8};
    case number_format::mxfp4: return {f, 2, 1, 32, "E8M0", false, 6.0, 0.5, 4.25};
    case number_format::nvfp4: return {f, 2, 1, 16, "E4M3", true, 6.0, 0.5, 4.5};
  }
  return {};
}

/// Every distinct finite value of an element of `f`, ascending (-0 and +0 are one value), for the
/// formats of at most 16 bits; FP32 (2^32 codes) returns an empty list.
inline std::vector<double> finite_values(number_format f) {
  std::vector<double> v;
  switch (f) {
    case number_format::fp8_e4m3:
      for (int c = 0; c < 256; ++c) v.push_back(decode_e4m3(static_cast<std::uint8_t>(c)));
      break;
    case number_format::fp8_e5m2:
      for (int c = 0; c < 256; ++c) v.push_back(decode_e5m2(static_cast<std::uint8_t>(c)));
      break;
    case number_format::mxfp4:
    case number_format::nvfp4:
      for (int c = 0; c < 16; ++c) v.push_back(decode_e2m1(static_cast<std::uint8_t>(c)));
      break;
    case number_format::fp16:
      for (int c = 0; c < 0x7C00; ++c) {  // positive finite codes; exponent field 31 is Inf/NaN
        const int e = c >> 10, m = c & 0x3FF;
        const double x = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
        v.push_back(x);
        v.push_back(-x);
      }
      break;
    case number_format::bf16:
      for (int c = 0; c < 0x7F80; ++c) {  // positive finite codes of the top 16 bits of a float
        const int e = c >> 7, m = c & 0x7F;
        const double x = e == 0 ? std::ldexp(m, -133) : std::ldexp(128 + m, e - 134);
        v.push_back(x);
        v.push_back(-x);
      }
      break;
    case number_format::fp32: break;
  }
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace gpusched::cost::formats
