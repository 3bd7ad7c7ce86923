#pragma once
// cost::cluster: what the communication model needs to know about a system, in one value: the GPU
// model, and GPU x GPU one-way latency and per-direction bandwidth with each GPU's NVLink domain.
// Built from a topology through its router (alpha-beta figures of the real paths), or from catalog
// figures for a uniform system of NVLink domains joined by a non-blocking fabric (for what-if
// studies before a topology exists). Collectives (collectives.hpp) read only this value.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "gpusched/core/error.hpp"
#include "gpusched/hardware/gpus.hpp"
#include "gpusched/hardware/latency.hpp"
#include "gpusched/topology/matrices.hpp"
#include "gpusched/topology/router.hpp"

namespace gpusched::cost {

/// GPUs, their pairwise alpha-beta figures and NVLink domains.
struct cluster {
  const hardware::gpu_spec* gpu = nullptr;  ///< every GPU of the cluster is this model
  Eigen::MatrixXd bandwidth;                ///< bytes/s per direction, +inf on the diagonal
  Eigen::MatrixXd latency;                  ///< one-way seconds, 0 on the diagonal
  std::vector<std::int32_t> domain;         ///< NVLink domain of each GPU
  bool in_switch_reduction = false;         ///< NVLink domains have NVSwitch SHARP (NVLS)

  [[nodiscard]] std::size_t size() const noexcept { return domain.size(); }
  [[nodiscard]] const hardware::gpu_spec& spec() const {
    require(gpu != nullptr, "cost::cluster", "no GPU model set");
    return *gpu;
  }
};

/// The cluster of every GPU of a topology (in topology::gpus() order), all of model `gpu`.
/// NVLS is assumed available when every NVLink domain contains an NVSwitch (NVLink 4 and later).
inline cluster cluster_of(const topology::router& r, const hardware::gpu_spec& gpu) {
  cluster c;
  c.gpu = &gpu;
  auto m = topology::all_pairs(r);
  c.bandwidth = std::move(m.bandwidth);
  c.latency = std::move(m.latency);
  const auto& t = r.system();
  for (auto g : t.gpus()) c.domain.push_back(r.domain_of(g));
  c.in_switch_reduction = gpu.nvlink_generation >= 4 && !t.devices_of(topology::device_kind::nvswitch).empty();
  return c;
}

/// A uniform system: `domains` NVLink domains of `gpus_per_domain` GPUs of model `gpu`, each GPU
/// with its NVLink bandwidth inside its domain and `scale_out` bytes/s per direction (its NIC)
/// to every GPU of other domains over a non-blocking fabric. Latencies from hardware/latency.hpp:
/// two NVLink hops inside a domain; NIC + PCIe + `fabric_switches` switch hops + NIC outside.
inline cluster uniform_cluster(const hardware::gpu_spec& gpu, int gpus_per_domain, int domains,
                               bytes_per_second scale_out, int fabric_switches = 3,
                               hardware::network_protocol protocol = hardware::network_protocol::infiniband) {
  const char* where = "cost::uniform_cluster";
  require(gpus_per_domain >= 1 && domains >= 1, where, "need at least one GPU and one domain");
  require(static_cast<double>(gpus_per_domain) * domains <= 16384.0, where, "more than 16,384 GPUs");
  require(std::isfinite(scale_out) && scale_out > 0.0, where, "scale-out bandwidth must be positive");
  require(gpu.nvlink_bandwidth > 0.0 || gpus_per_domain == 1, where, "GPU has no NVLink bandwidth");
  const auto n = static_cast<Eigen::Index>(gpus_per_domain * domains);
  namespace lat = hardware::latency;
  const double inside = 2.0 * lat::nvlink_hop;
  const double outside = 2.0 * (lat::pcie_hop + lat::nic + lat::network_cable) +
                         fabric_switches * lat::switch_hop(protocol);
  cluster c;
  c.gpu = &gpu;
  c.bandwidth.resize(n, n);
  c.latency.resize(n, n);
  c.domain.resize(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) c.domain[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i / gpus_per_domain);
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i < n; ++i) {
      const bool same = c.domain[static_cast<std::size_t>(i)] == c.domain[static_cast<std::size_t>(j)];
      c.bandwidth(i, j) = i == j ? std::numeric_limits<double>::infinity() : same ? gpu.nvlink_bandwidth : scale_out;
      c.latency(i, j) = i == j ? 0.0 : same ? inside : outside;
    }
  c.in_switch_reduction = gpu.nvlink_generation >= 4;
  return c;
}

}  // namespace gpusched::cost
