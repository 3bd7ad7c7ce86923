#pragma once
// All-pairs GPU-to-GPU bandwidth and latency as Eigen matrices, built from the structure
// (router::gpu_row: O(GPUs) per row), never by an all-pairs search over switches. For pods too
// large to hold G x G doubles, stream rows with router::gpu_row instead.

#include <cstddef>
#include <string>

#include <Eigen/Core>

#include "gpusched/core/error.hpp"
#include "gpusched/topology/router.hpp"

namespace gpusched::topology {

/// Bandwidth (bytes/s per direction, +inf on the diagonal) and one-way latency (s, 0 on the
/// diagonal) between every pair of GPUs, indexed in topology::gpus() order.
struct gpu_pair_matrices {
  Eigen::MatrixXd bandwidth;
  Eigen::MatrixXd latency;
};

/// Default ceiling for all_pairs: 16,384 GPUs = 2 x 2 GiB of doubles.
inline constexpr std::size_t all_pairs_max_gpus = 16384;

/// Fills both matrices for every GPU pair. Throws gpusched::error above `max_gpus` GPUs, where
/// the matrices would not fit comfortably in memory (use router::gpu_row per row instead).
inline gpu_pair_matrices all_pairs(const router& r, std::size_t max_gpus = all_pairs_max_gpus) {
  const std::size_t n = r.system().num_gpus();
  require(n <= max_gpus, "topology::all_pairs",
          std::to_string(n) + " GPUs exceed the limit of " + std::to_string(max_gpus) +
              " for dense matrices; stream rows with router::gpu_row");
  const auto size = static_cast<Eigen::Index>(n);
  gpu_pair_matrices m{Eigen::MatrixXd(size, size), Eigen::MatrixXd(size, size)};
  // Column-major storage: fill column i with row i's values (the matrices are symmetric).
  for (Eigen::Index i = 0; i < size; ++i)
    r.gpu_row(static_cast<std::size_t>(i), {m.bandwidth.col(i).data(), n}, {m.latency.col(i).data(), n});
  return m;
}

/// The largest GPU-to-GPU latency of the system (0 for fewer than two GPUs), streamed row by row
/// so it works for any size.
inline seconds worst_gpu_latency(const router& r) {
  const std::size_t n = r.system().num_gpus();
  std::vector<double> bw(n), lat(n);
  double worst = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    r.gpu_row(i, bw, lat);
    for (double l : lat) worst = l > worst ? l : worst;
  }
  return worst;
}

}  // namespace gpusched::topology
