#pragma once
// gpusched::topology::topology: the graph of a GPU system — devices as vertices, links as edges —
// stored in a Boost.Graph adjacency list so every Boost algorithm applies to it directly.

#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "gpusched/core/error.hpp"
#include "gpusched/topology/types.hpp"

namespace gpusched::topology {

/// The Boost.Graph type behind a topology: undirected, vertices carry `device`, edges carry `link`.
using graph_type = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, device, link>;
using edge_descriptor = graph_type::edge_descriptor;

/// A GPU system: devices and the links between them. Adding is validated (unique names, known
/// endpoints, positive finite bandwidth, non-negative finite latency), so a topology is always
/// well formed; whether it is connected is checked by `validate_connected` and by the queries.
class topology {
 public:
  topology() = default;
  explicit topology(std::string name) : name_(std::move(name)) {}

  /// The system's name ("DGX H100", "GB200 NVL72 x8"), used in reports and DOT output.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  /// Adds a device; its name must be non-empty and unique. Returns its id (ids are dense, 0..n-1).
  device_id add_device(device d) {
    // Messages are built only on failure: builders add hundreds of thousands of devices.
    if (d.name.empty()) throw error("topology::add_device", "device name is empty");
    if (d.count < 1) throw error(device_where(d.name), "count must be at least 1");
    if (!std::isfinite(d.port_bandwidth) || d.port_bandwidth < 0.0)
      throw error(device_where(d.name), "port bandwidth must be non-negative and finite, got " +
                                            std::to_string(d.port_bandwidth));
    if (num_devices() >= static_cast<std::size_t>(no_device))
      throw error(device_where(d.name), "too many devices for 32-bit device ids");
    auto [it, inserted] = by_name_.try_emplace(d.name, static_cast<device_id>(num_devices()));
    if (!inserted) throw error("topology::add_device", "duplicate device name '" + d.name + "'");
    const bool is_gpu = d.kind == device_kind::gpu;
    const auto id = static_cast<device_id>(boost::add_vertex(std::move(d), graph_));
    if (is_gpu) gpus_.push_back(id);
    return id;
  }

  /// Adds a link between two distinct known devices. Parallel links should be aggregated by the
  /// caller into one edge (bandwidth summed, `count` set); adding a second edge between the same
  /// pair is an error so that aggregation mistakes cannot double-count silently.
  edge_descriptor add_link(device_id a, device_id b, link l) {
    if (a >= num_devices()) throw error(link_where(a, b), "unknown device id " + std::to_string(a));
    if (b >= num_devices()) throw error(link_where(a, b), "unknown device id " + std::to_string(b));
    if (a == b) throw error(link_where(a, b), "a link must join two different devices");
    if (!std::isfinite(l.bandwidth) || l.bandwidth <= 0.0)
      throw error(link_where(a, b),
                  "bandwidth must be positive and finite, got " + std::to_string(l.bandwidth));
    if (!std::isfinite(l.latency) || l.latency < 0.0)
      throw error(link_where(a, b),
                  "latency must be non-negative and finite, got " + std::to_string(l.latency));
    if (l.count < 1) throw error(link_where(a, b), "link count must be at least 1");
    if (boost::edge(a, b, graph_).second)
      throw error(link_where(a, b), "the two devices are already linked");
    return boost::add_edge(a, b, l, graph_).first;
  }

  /// Reserves room in the name index for `devices` devices (large builders call it up front).
  void reserve(std::size_t devices) { by_name_.reserve(devices); }

  /// Adds a link between devices named `a` and `b` (an unknown name is an error naming it).
  edge_descriptor add_link(std::string_view a, std::string_view b, link l) {
    return add_link(id_of(a), id_of(b), l);
  }

  [[nodiscard]] std::size_t num_devices() const noexcept { return boost::num_vertices(graph_); }
  [[nodiscard]] std::size_t num_links() const noexcept { return boost::num_edges(graph_); }

  /// The device with id `id` (unchecked beyond an assertion-free bounds check that throws).
  [[nodiscard]] const device& operator[](device_id id) const {
    require(id < num_devices(), "topology", "unknown device id " + std::to_string(id));
    return graph_[id];
  }
  [[nodiscard]] const link& operator[](edge_descriptor e) const { return graph_[e]; }

  /// The id of the device named `name`, if any.
  [[nodiscard]] std::optional<device_id> find(std::string_view name) const {
    auto it = by_name_.find(std::string(name));
    if (it == by_name_.end()) return std::nullopt;
    return it->second;
  }
  /// The id of the device named `name`; an unknown name is a gpusched::error.
  [[nodiscard]] device_id id_of(std::string_view name) const {
    auto id = find(name);
    if (!id) throw error("topology '" + name_ + "'", "unknown device '" + std::string(name) + "'");
    return *id;
  }

  /// The link joining `a` and `b`, if they are adjacent.
  [[nodiscard]] std::optional<edge_descriptor> link_between(device_id a, device_id b) const {
    auto [e, found] = boost::edge(a, b, graph_);
    if (!found) return std::nullopt;
    return e;
  }

  /// GPU ids in the order they were added (the GPU "rank" order of builders and importers).
  [[nodiscard]] std::span<const device_id> gpus() const noexcept { return gpus_; }
  [[nodiscard]] std::size_t num_gpus() const noexcept { return gpus_.size(); }

  /// Ids of all devices of one kind, in id order.
  [[nodiscard]] std::vector<device_id> devices_of(device_kind kind) const {
    std::vector<device_id> out;
    for (device_id v = 0; v < num_devices(); ++v)
      if (graph_[v].kind == kind) out.push_back(v);
    return out;
  }

  /// The underlying Boost graph, for Boost algorithms and custom traversals.
  [[nodiscard]] const graph_type& graph() const noexcept { return graph_; }

 private:
  static std::string device_where(const std::string& name) {
    return "topology::add_device(" + name + ")";
  }
  [[nodiscard]] std::string link_where(device_id a, device_id b) const {
    return "topology::add_link(" + name_of(a) + ", " + name_of(b) + ")";
  }
  [[nodiscard]] std::string name_of(device_id id) const {
    return id < num_devices() ? graph_[id].name : "#" + std::to_string(id);
  }

  std::string name_;
  graph_type graph_;
  std::unordered_map<std::string, device_id> by_name_;
  std::vector<device_id> gpus_;
};

}  // namespace gpusched::topology
