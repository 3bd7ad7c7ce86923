#pragma once
// Quantization error metrics: how far a reconstructed tensor is from the original.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>

#include "gpusched/core/error.hpp"

namespace gpusched::cost::formats {

/// Error of a reconstruction `approx` of `exact`.
struct quantization_error {
  double rmse = 0.0;                ///< sqrt(mean((approx - exact)^2))
  double max_abs = 0.0;             ///< max |approx - exact|
  double max_relative = 0.0;        ///< max |approx - exact| / |exact| over non-zero exact values
  double sqnr_db = 0.0;             ///< 10 log10(sum exact^2 / sum error^2); +inf when exact
};

/// Error metrics of `approx` against `exact` (same sizes, both non-empty).
inline quantization_error measure_error(std::span<const float> exact, std::span<const float> approx) {
  const char* where = "cost::formats::measure_error";
  require(exact.size() == approx.size(), where,
          "sizes differ: " + std::to_string(exact.size()) + " vs " + std::to_string(approx.size()));
  require(!exact.empty(), where, "empty tensors");
  quantization_error q;
  double sum_sq_err = 0.0, sum_sq = 0.0;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    const double x = exact[i], d = static_cast<double>(approx[i]) - x;
    sum_sq_err += d * d;
    sum_sq += x * x;
    q.max_abs = std::max(q.max_abs, std::fabs(d));
    if (x != 0.0) q.max_relative = std::max(q.max_relative, std::fabs(d) / std::fabs(x));
  }
  q.rmse = std::sqrt(sum_sq_err / static_cast<double>(exact.size()));
  q.sqnr_db = sum_sq_err == 0.0 ? HUGE_VAL : 10.0 * std::log10(sum_sq / sum_sq_err);
  return q;
}

}  // namespace gpusched::cost::formats
