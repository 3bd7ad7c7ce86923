#pragma once
// problem: everything an expert-placement solver may use, as one plain value — per-layer loads,
// the cluster's shape, and optional expert groups, co-activation, previous plan and migration limit.

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "gpusched/core/error.hpp"
#include "gpusched/moe/placement.hpp"
#include "gpusched/topology/router.hpp"
#include "gpusched/topology/topology.hpp"

namespace gpusched::moe {

/// The shape of the GPUs experts go on: GPU i is in domain i / gpus_per_domain and rack
/// i / (gpus_per_domain * domains_per_rack). A domain is EPLB's "node" (server, tray or rack).
struct cluster_shape {
  int gpus = 0;
  int gpus_per_domain = 0;
  int domains_per_rack = 1;
  int slots_per_gpu = 0;
  [[nodiscard]] int slots() const noexcept { return gpus * slots_per_gpu; }
  [[nodiscard]] int domains() const noexcept { return gpus_per_domain > 0 ? gpus / gpus_per_domain : 0; }
  [[nodiscard]] int domain_of(int gpu) const noexcept { return gpu / gpus_per_domain; }
  [[nodiscard]] int rack_of(int gpu) const noexcept { return gpu / (gpus_per_domain * domains_per_rack); }
};

/// Everything a solver may use. Only `loads` and `cluster` are required.
struct problem {
  Eigen::MatrixXd loads;  ///< layers x experts: tokens routed to each expert (>= 0, finite)
  cluster_shape cluster;
  int groups = 1;  ///< expert groups (DeepSeek group-limited routing); experts e*E/groups.. form one
  std::vector<Eigen::MatrixXd> coactivation;  ///< optional, per layer E x E: tokens picking i and j
  const placement* previous = nullptr;        ///< optional current plan (migration cost, repair)
  double bytes_per_expert = 1.0;              ///< weight bytes of one expert replica
  double max_bytes_moved = std::numeric_limits<double>::infinity();  ///< incremental budget per call
  bool allow_duplicates = false;  ///< may one GPU hold two replicas of one expert?
  [[nodiscard]] int layers() const noexcept { return static_cast<int>(loads.rows()); }
  [[nodiscard]] int experts() const noexcept { return static_cast<int>(loads.cols()); }
};

/// Throws gpusched::error naming the field and index unless `p` is a well-formed problem.
inline void validate(const problem& p) {
  const char* where = "moe::problem";
  const auto& c = p.cluster;
  require(p.loads.rows() > 0 && p.loads.cols() > 0, where, "loads must have at least one layer and expert");
  for (Eigen::Index l = 0; l < p.loads.rows(); ++l)
    for (Eigen::Index e = 0; e < p.loads.cols(); ++e) {
      const double v = p.loads(l, e);
      if (!(std::isfinite(v) && v >= 0.0)) throw error(where, "loads(" + std::to_string(l) + ", " + std::to_string(e) + ") = " + std::to_string(v) +
                  " is not a finite non-negative number");
    }
  require(c.gpus > 0, where, "cluster.gpus must be positive");
  if (!(c.gpus_per_domain > 0 && c.gpus % c.gpus_per_domain == 0)) throw error(where, "cluster.gpus_per_domain (" + std::to_string(c.gpus_per_domain) + ") must divide cluster.gpus (" +
              std::to_string(c.gpus) + ")");
  require(c.domains_per_rack > 0 && c.domains() % c.domains_per_rack == 0, where,
          "cluster.domains_per_rack must divide the number of domains");
  require(c.slots_per_gpu > 0, where, "cluster.slots_per_gpu must be positive");
  require(static_cast<std::int64_t>(c.gpus) * c.slots_per_gpu <= std::numeric_limits<int>::max(), where,
          "gpus x slots_per_gpu overflows");
  if (!(c.slots() >= p.experts())) throw error(where, "slots (" + std::to_string(c.slots()) + ") fewer than experts (" + std::to_string(p.experts()) + ")");
  if (!(p.groups > 0 && p.experts() % p.groups == 0)) throw error(where, "groups (" + std::to_string(p.groups) + ") must divide experts (" + std::to_string(p.experts()) + ")");
  require(p.coactivation.empty() || p.coactivation.size() == static_cast<std::size_t>(p.layers()), where,
          "coactivation must be empty or hold one matrix per layer");
  for (std::size_t l = 0; l < p.coactivation.size(); ++l) {
    const auto& m = p.coactivation[l];
    if (!(m.rows() == p.loads.cols() && m.cols() == p.loads.cols())) throw error(where, "coactivation[" + std::to_string(l) + "] must be experts x experts");
    if (!(m.allFinite() && (m.array() >= 0.0).all())) throw error(where, "coactivation[" + std::to_string(l) + "] must be finite and non-negative");
  }
  require(std::isfinite(p.bytes_per_expert) && p.bytes_per_expert >= 0.0, where,
          "bytes_per_expert must be finite and non-negative");
  require(!std::isnan(p.max_bytes_moved) && p.max_bytes_moved >= 0.0, where,
          "max_bytes_moved must be non-negative");
  if (p.previous != nullptr) {
    const auto& prev = *p.previous;
    require(prev.gpus == c.gpus && prev.slots_per_gpu == c.slots_per_gpu && prev.experts == p.experts() &&
                prev.layers.size() == static_cast<std::size_t>(p.layers()),
            where, "previous placement has a different shape (gpus, slots, experts or layers)");
    validate(prev, true);
  }
}

/// The cluster shape of a topology: its GPUs in topology::gpus() order, NVLink domains as domains
/// and the device `rack` field for racks. GPUs of one domain must be consecutive in that order
/// and all domains the same size (true for every builder), else gpusched::error.
[[nodiscard]] inline cluster_shape cluster_of(const topology::topology& t, int slots_per_gpu) {
  const char* where = "moe::cluster_of";
  require(slots_per_gpu > 0, where, "slots_per_gpu must be positive");
  const topology::router r{t};
  const auto gpus = t.gpus();
  require(!gpus.empty(), where, "topology has no GPU");
  const auto& doms = r.domains();
  const auto per_domain = static_cast<int>(doms.gpus(0).size());
  std::map<std::int32_t, int> domains_in_rack;
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    const auto d = r.domain_of(gpus[i]);
    require(doms.gpus(static_cast<std::size_t>(d)).size() == static_cast<std::size_t>(per_domain), where,
            "NVLink domains differ in size");
    if (!(d == static_cast<std::int32_t>(i) / per_domain)) throw error(where, "GPUs of one NVLink domain are not consecutive (GPU " + t.graph()[gpus[i]].name + ")");
    if (i % static_cast<std::size_t>(per_domain) == 0) ++domains_in_rack[t.graph()[gpus[i]].rack];
  }
  const int per_rack = domains_in_rack.begin()->second;
  for (const auto& [rack, n] : domains_in_rack)
    if (!(n == per_rack)) throw error(where, "racks hold different numbers of NVLink domains (rack " + std::to_string(rack) + ")");
  cluster_shape c;
  c.gpus = static_cast<int>(gpus.size());
  c.gpus_per_domain = per_domain;
  c.domains_per_rack = per_rack;
  c.slots_per_gpu = slots_per_gpu;
  return c;
}

}  // namespace gpusched::moe
