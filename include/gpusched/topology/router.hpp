#pragma once
// router: the paths an inference engine's traffic really takes through a topology, answered in
// microseconds even for a 72,000-GPU pod:
//   - inside an NVLink domain: GPU -> NVSwitch plane -> GPU (or a direct NVLink);
//   - inside one host without NVLink: over PCIe / C2C / the CPU interconnect;
//   - across domains: GPU -> its nearest NIC -> up-down through the scale-out fabric -> NIC -> GPU.
// Anything else (hand-made or imported graphs of another shape) falls back to a general search:
// widest bottleneck first, then lowest latency, then fewest hops. GPUs never forward traffic.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/graph/connected_components.hpp>
#include <boost/property_map/property_map.hpp>
#include <boost/graph/filtered_graph.hpp>

#include "gpusched/core/error.hpp"
#include "gpusched/topology/detail/fabric_index.hpp"
#include "gpusched/topology/detail/link_filter.hpp"
#include "gpusched/topology/detail/search.hpp"
#include "gpusched/topology/domains.hpp"
#include "gpusched/topology/topology.hpp"
#include "gpusched/topology/validate.hpp"

namespace gpusched::topology {

/// A path between two devices: the devices crossed (both ends included), its bottleneck
/// bandwidth per direction and its total one-way latency.
struct route {
  std::vector<device_id> devices;
  bytes_per_second bandwidth = std::numeric_limits<double>::infinity();  ///< infinite for a == b
  seconds latency = 0.0;
  [[nodiscard]] std::size_t hops() const noexcept { return devices.empty() ? 0 : devices.size() - 1; }
};

/// Answers path queries on one topology. Construction validates the topology (every GPU linked
/// and connected) and indexes it in O(devices + links); the topology must outlive the router and
/// must not change while the router is used.
class router {
 public:
  explicit router(const topology& t) : t_(&t), domains_(t) {
    validate_connected(t);
    const auto& g = t.graph();
    const std::size_t n = t.num_devices();

    // Hosts: components over host-side links (PCIe, C2C, CPU interconnect).
    boost::filtered_graph<graph_type, detail::link_kind_filter> host(
        g, detail::link_kind_filter{&g, &is_host_side});
    host_component_.resize(n);
    boost::connected_components(host, boost::make_iterator_property_map(host_component_.begin(),
                                                                     boost::get(boost::vertex_index, g)));

    fabric_ = detail::fabric_index(t);
    index_gpu_attachments();
  }

  /// The topology this router answers for.
  [[nodiscard]] const topology& system() const noexcept { return *t_; }
  /// The NVLink domains of the topology.
  [[nodiscard]] const nvlink_domains& domains() const noexcept { return domains_; }
  /// NVLink domain of a GPU (see nvlink_domains::of).
  [[nodiscard]] std::int32_t domain_of(device_id gpu) const { return domains_.of(gpu); }
  /// True when the scale-out fabric has the folded-Clos shape routed without search.
  [[nodiscard]] bool fabric_is_structured() const noexcept { return fabric_.routable(); }

  /// The NICs nearest to a GPU over host-side links (fewest hops; all ties), in id order.
  [[nodiscard]] std::span<const device_id> nics_of(device_id gpu) const {
    const auto i = gpu_slot(gpu, "router::nics_of");
    return std::span(nics_).subspan(nic_begin_[i], nic_begin_[i + 1] - nic_begin_[i]);
  }

  /// Scale-up bandwidth of a GPU per direction: the sum of its NVLink links.
  [[nodiscard]] bytes_per_second scale_up_bandwidth(device_id gpu) const {
    gpu_slot(gpu, "router::scale_up_bandwidth");
    const auto& g = t_->graph();
    double total = 0.0;
    for (auto [e, end] = boost::out_edges(gpu, g); e != end; ++e)
      if (is_nvlink(g[*e].kind)) total += g[*e].bandwidth;
    return total;
  }

  /// Scale-out bandwidth of a GPU per direction: its share of its nearest NICs' line rates (a NIC
  /// serving k GPUs counts 1/k for each). A NIC's line rate is its network link's bandwidth, or
  /// its `port_bandwidth` when it is not cabled to a fabric.
  [[nodiscard]] bytes_per_second scale_out_bandwidth(device_id gpu) const {
    double total = 0.0;
    for (device_id nic : nics_of(gpu))
      total += nic_line_rate(nic) / static_cast<double>(nic_sharers_[nic]);
    return total;
  }

  /// The path from `from` to `to` (any devices). Throws gpusched::error when none exists.
  [[nodiscard]] route path(device_id from, device_id to) const {
    const auto& g = t_->graph();
    const std::string where = "router::path";
    require(from < t_->num_devices(), where, "unknown device id " + std::to_string(from));
    require(to < t_->num_devices(), where, "unknown device id " + std::to_string(to));
    if (from == to) return route{{from}, std::numeric_limits<double>::infinity(), 0.0};

    const auto da = domains_.of(from);
    if (da >= 0 && da == domains_.of(to)) {
      if (auto r = nvlink_path(from, to)) return *r;
      if (auto r = detail::widest_then_fastest(*t_, from, to, [](const link& l) { return is_nvlink(l.kind); }))
        return measured(std::move(r->devices));
    }
    if (host_component_[from] == host_component_[to]) {
      if (auto r = detail::widest_then_fastest(*t_, from, to, [](const link& l) { return is_host_side(l.kind); }))
        return measured(std::move(r->devices));
    }
    if (auto r = fabric_path(from, to)) return *r;
    if (auto r = detail::widest_then_fastest(*t_, from, to, [](const link&) { return true; }))
      return measured(std::move(r->devices));
    throw error(where, "no path from '" + g[from].name + "' to '" + g[to].name + "'");
  }

  /// Bandwidth and latency from GPU number `row` (index into topology::gpus()) to every GPU, in
  /// gpus() order; equal to path() for every pair but computed from the structure: the fabric
  /// part depends only on the two leaves, so it is routed once per leaf. O(GPUs) per row.
  void gpu_row(std::size_t row, std::span<double> bandwidth, std::span<double> latency) const {
    const auto gpus = t_->gpus();
    require(row < gpus.size(), "router::gpu_row", "row " + std::to_string(row) + " out of range");
    require(bandwidth.size() == gpus.size() && latency.size() == gpus.size(), "router::gpu_row",
            "output spans must have one entry per GPU");
    const device_id a = gpus[row];
    std::vector<double> leaf_bw, leaf_lat;  // fabric part to each destination leaf, routed lazily
    for (std::size_t j = 0; j < gpus.size(); ++j) {
      const device_id b = gpus[j];
      const bool via_fabric = a != b && fabric_.routable() && attach_leaf_[row] != no_device &&
                              attach_leaf_[j] != no_device && host_component_[a] != host_component_[b] &&
                              (domains_.of(a) != domains_.of(b));
      if (!via_fabric) {
        const route r = path(a, b);
        bandwidth[j] = r.bandwidth;
        latency[j] = r.latency;
        continue;
      }
      if (leaf_bw.empty()) {
        leaf_bw.assign(fabric_.num_leaves(), std::numeric_limits<double>::quiet_NaN());
        leaf_lat.assign(fabric_.num_leaves(), 0.0);
      }
      const auto leaf = static_cast<std::size_t>(fabric_.leaf_number(attach_leaf_[j]));
      if (std::isnan(leaf_bw[leaf])) {
        const auto switches = fabric_.route(*t_, attach_leaf_[row], attach_leaf_[j]);
        require(!switches.empty(), "router::gpu_row", "fabric cannot route between two leaves");
        const route r = measured(switches);
        leaf_bw[leaf] = r.bandwidth;
        leaf_lat[leaf] = r.latency;
      }
      bandwidth[j] = std::min({attach_bw_[row], leaf_bw[leaf], attach_bw_[j]});
      latency[j] = attach_lat_[row] + leaf_lat[leaf] + attach_lat_[j];
    }
  }

 private:
  std::size_t gpu_slot(device_id gpu, const char* where) const {
    require(gpu < gpu_index_.size() && gpu_index_[gpu] >= 0, where,
            "device " + std::to_string(gpu) + " is not a GPU");
    return static_cast<std::size_t>(gpu_index_[gpu]);
  }

  /// Bandwidth and latency of a device sequence, link by link.
  route measured(std::vector<device_id> devices) const {
    const auto& g = t_->graph();
    route r{std::move(devices), std::numeric_limits<double>::infinity(), 0.0};
    for (std::size_t i = 1; i < r.devices.size(); ++i) {
      auto [e, found] = boost::edge(r.devices[i - 1], r.devices[i], g);
      require(found, "router", "internal: consecutive path devices are not linked");
      r.bandwidth = std::min(r.bandwidth, g[e].bandwidth);
      r.latency += g[e].latency;
    }
    return r;
  }

  /// Direct NVLink, or through one NVSwitch plane shared by both ends (the widest such).
  std::optional<route> nvlink_path(device_id a, device_id b) const {
    const auto& g = t_->graph();
    if (auto e = boost::edge(a, b, g); e.second && is_nvlink(g[e.first].kind)) return measured({a, b});
    std::optional<route> best;
    for (auto [e, end] = boost::out_edges(a, g); e != end; ++e) {
      const device_id s = static_cast<device_id>(boost::target(*e, g));
      if (!is_nvlink(g[*e].kind) || g[s].kind != device_kind::nvswitch) continue;
      auto f = boost::edge(s, b, g);
      if (!f.second || !is_nvlink(g[f.first].kind)) continue;
      route r = measured({a, s, b});
      if (!best || r.bandwidth > best->bandwidth ||
          (r.bandwidth == best->bandwidth && r.latency < best->latency))
        best = std::move(r);
    }
    return best;
  }

  /// The device's way onto the fabric: itself if cabled to a leaf, else its nearest NIC.
  /// Returns the host-side devices from `v` to the NIC (both included); empty when none.
  std::vector<device_id> attachment(device_id v) const {
    if (fabric_.leaf_of_endpoint(*t_, v)) return {v};
    if (v < gpu_index_.size() && gpu_index_[v] >= 0) {
      const auto i = static_cast<std::size_t>(gpu_index_[v]);
      return {host_path_.begin() + static_cast<std::ptrdiff_t>(path_begin_[i]),
              host_path_.begin() + static_cast<std::ptrdiff_t>(path_begin_[i + 1])};
    }
    std::vector<device_id> nics, path;
    nearest_nics(v, nics, path);
    return path;
  }

  std::optional<route> fabric_path(device_id from, device_id to) const {
    auto a = attachment(from);
    auto b = attachment(to);
    if (a.empty() || b.empty()) return std::nullopt;
    std::vector<device_id> middle;
    const auto leaf_a = fabric_.leaf_of_endpoint(*t_, a.back());
    const auto leaf_b = fabric_.leaf_of_endpoint(*t_, b.back());
    if (fabric_.routable() && leaf_a && leaf_b) {
      middle = fabric_.route(*t_, *leaf_a, *leaf_b);
    } else if (auto r = detail::widest_then_fastest(*t_, a.back(), b.back(),
                                                    [](const link& l) { return is_network(l.kind); })) {
      middle.assign(r->devices.begin() + 1, r->devices.end() - 1);
    }
    if (middle.empty()) return std::nullopt;
    std::vector<device_id> all(a.begin(), a.end());
    all.insert(all.end(), middle.begin(), middle.end());
    all.insert(all.end(), b.rbegin(), b.rend());
    return measured(std::move(all));
  }

  /// Breadth-first over host-side links from `v`, never through another GPU or a switch of the
  /// fabric: fills every NIC at the smallest hop count (id order) and the path to the first one.
  /// Touches only the host around `v`, so it stays cheap in a 72,000-GPU pod.
  void nearest_nics(device_id v, std::vector<device_id>& nics, std::vector<device_id>& path) const {
    const auto& g = t_->graph();
    nics.clear();
    path.clear();
    std::unordered_map<device_id, device_id> parent{{v, v}};
    std::vector<device_id> frontier{v}, next;
    while (!frontier.empty() && nics.empty()) {
      next.clear();
      for (device_id u : frontier) {
        if (u != v && g[u].kind == device_kind::gpu) continue;  // GPUs do not forward
        for (auto [e, end] = boost::out_edges(u, g); e != end; ++e) {
          if (!is_host_side(g[*e].kind)) continue;
          const auto w = static_cast<device_id>(boost::target(*e, g));
          if (!parent.try_emplace(w, u).second) continue;
          (g[w].kind == device_kind::nic ? nics : next).push_back(w);
        }
      }
      frontier.swap(next);
    }
    if (nics.empty()) return;
    std::sort(nics.begin(), nics.end());
    for (device_id w = nics.front(); w != v; w = parent.at(w)) path.push_back(w);
    path.push_back(v);
    std::reverse(path.begin(), path.end());
  }

  void index_gpu_attachments() {
    const auto gpus = t_->gpus();
    gpu_index_.assign(t_->num_devices(), -1);
    nic_sharers_.assign(t_->num_devices(), 0);
    nic_begin_.assign(1, 0);
    path_begin_.assign(1, 0);
    attach_leaf_.assign(gpus.size(), no_device);
    attach_bw_.assign(gpus.size(), 0.0);
    attach_lat_.assign(gpus.size(), 0.0);
    std::vector<device_id> nics, path;
    for (std::size_t i = 0; i < gpus.size(); ++i) {
      gpu_index_[gpus[i]] = static_cast<std::int32_t>(i);
      nearest_nics(gpus[i], nics, path);
      for (device_id nic : nics) ++nic_sharers_[nic];
      nics_.insert(nics_.end(), nics.begin(), nics.end());
      nic_begin_.push_back(nics_.size());
      host_path_.insert(host_path_.end(), path.begin(), path.end());
      path_begin_.push_back(host_path_.size());
      if (path.empty()) continue;
      if (auto leaf = fabric_.leaf_of_endpoint(*t_, path.back())) {
        path.push_back(*leaf);
        const route r = measured(path);
        attach_leaf_[i] = *leaf;
        attach_bw_[i] = r.bandwidth;
        attach_lat_[i] = r.latency;
      }
    }
  }

  bytes_per_second nic_line_rate(device_id nic) const {
    const auto& g = t_->graph();
    double cabled = 0.0;
    for (auto [e, end] = boost::out_edges(nic, g); e != end; ++e)
      if (is_network(g[*e].kind)) cabled += g[*e].bandwidth;
    return cabled > 0.0 ? cabled : g[nic].port_bandwidth;
  }

  const topology* t_;
  nvlink_domains domains_;
  std::vector<int> host_component_;
  detail::fabric_index fabric_;
  std::vector<std::int32_t> gpu_index_;         // per device: index in gpus(), -1 if not a GPU
  std::vector<std::uint32_t> nic_sharers_;      // per device: GPUs whose nearest NICs include it
  std::vector<device_id> nics_;                 // nearest NICs per GPU (CSR)
  std::vector<std::size_t> nic_begin_;
  std::vector<device_id> host_path_;            // GPU -> first nearest NIC, per GPU (CSR)
  std::vector<std::size_t> path_begin_;
  std::vector<device_id> attach_leaf_;          // per GPU: leaf of its NIC, or no_device
  std::vector<double> attach_bw_, attach_lat_;  // per GPU: GPU -> leaf bottleneck and latency
};

}  // namespace gpusched::topology
