#pragma once
// NVLink domains: the sets of GPUs joined by NVLink (directly or through NVSwitch planes).
// Inside a domain GPUs exchange data at scale-up bandwidth; between domains traffic crosses NICs.

#include <cstdint>
#include <span>
#include <vector>

#include <boost/graph/connected_components.hpp>
#include <boost/property_map/property_map.hpp>
#include <boost/graph/filtered_graph.hpp>

#include "gpusched/topology/detail/link_filter.hpp"
#include "gpusched/topology/topology.hpp"

namespace gpusched::topology {

/// The NVLink domains of a topology. Domain ids are dense and numbered in the order of each
/// domain's first GPU, so a DGX server or an NVL72 rack built first is domain 0.
class nvlink_domains {
 public:
  nvlink_domains() = default;

  explicit nvlink_domains(const topology& t) : of_device_(t.num_devices(), -1) {
    const auto& g = t.graph();
    // Components of the graph restricted to NVLink edges; only GPUs and NVSwitches take part.
    boost::filtered_graph<graph_type, detail::link_kind_filter> nv(
        g, detail::link_kind_filter{&g, &is_nvlink});
    std::vector<int> component(t.num_devices());
    boost::connected_components(
        nv, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, g)));

    std::vector<std::int32_t> remap(t.num_devices(), -1);
    for (device_id gpu : t.gpus()) {
      auto& d = remap[static_cast<std::size_t>(component[gpu])];
      if (d < 0) {
        d = static_cast<std::int32_t>(gpus_.size());
        gpus_.emplace_back();
      }
      gpus_[static_cast<std::size_t>(d)].push_back(gpu);
    }
    for (device_id v = 0; v < t.num_devices(); ++v) {
      const auto kind = g[v].kind;
      if (kind == device_kind::gpu || kind == device_kind::nvswitch)
        of_device_[v] = remap[static_cast<std::size_t>(component[v])];
    }
  }

  /// Number of domains (a GPU without NVLink is a domain of its own).
  [[nodiscard]] std::size_t size() const noexcept { return gpus_.size(); }
  /// Domain of a GPU or NVSwitch; -1 for other devices and for switches joining no GPU.
  [[nodiscard]] std::int32_t of(device_id v) const {
    require(v < of_device_.size(), "nvlink_domains::of", "unknown device id " + std::to_string(v));
    return of_device_[v];
  }
  /// GPUs of domain `d`, in id order.
  [[nodiscard]] std::span<const device_id> gpus(std::size_t d) const {
    require(d < gpus_.size(), "nvlink_domains::gpus", "unknown domain " + std::to_string(d));
    return gpus_[d];
  }
  /// Size of the largest domain (72 for an NVL72 rack, 8 for a DGX server).
  [[nodiscard]] std::size_t largest() const noexcept {
    std::size_t best = 0;
    for (const auto& d : gpus_) best = d.size() > best ? d.size() : best;
    return best;
  }

 private:
  std::vector<std::int32_t> of_device_;
  std::vector<std::vector<device_id>> gpus_;
};

}  // namespace gpusched::topology
