#pragma once
// Input checks shared by the block codecs: finite values, whole blocks.

#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "gpusched/core/error.hpp"

namespace gpusched::cost::detail {

/// Throws unless `values` is a whole number of blocks of finite floats; names the first bad index.
inline void check_block_input(std::span<const float> values, std::size_t block, std::string_view where) {
  require(values.size() % block == 0, where,
          "size " + std::to_string(values.size()) + " is not a multiple of the block size " +
              std::to_string(block) + " (pad the tensor's last dimension)");
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw error(where, "element " + std::to_string(i) + " is " +
                             (std::isnan(values[i]) ? std::string("NaN") : std::string("infinite")) +
                             "; NVFP4/MXFP4 have no NaN or Inf");
}

}  // namespace gpusched::cost::detail
