#pragma once
// Number formatting shared by the io writers and the import notes (no <format> in our compilers).

#include <sstream>
#include <string>

#include "gpusched/core/units.hpp"

namespace gpusched::io::detail {

/// A bandwidth in GB/s with at most 4 significant digits: 450e9 -> "450 GB/s", 63.015e9 -> "63.02
/// GB/s".
inline std::string format_gb_per_s(bytes_per_second b) {
  std::ostringstream out;
  out.precision(4);
  out << b / 1e9 << " GB/s";
  return out.str();
}

/// A time in microseconds with at most 4 significant digits: 1.5e-7 -> "0.15 us".
inline std::string format_us(seconds s) {
  std::ostringstream out;
  out.precision(4);
  out << s * 1e6 << " us";
  return out.str();
}

}  // namespace gpusched::io::detail
