#pragma once
// Turning hardware catalog figures into topology::link and topology::device values. Kept here (not
// in hardware/) because hardware must not depend on topology. Every latency comes from
// hardware/latency.hpp; see its header for how they add up along a path.

#include <cstdint>
#include <string>
#include <string_view>

#include "gpusched/core/error.hpp"
#include "gpusched/hardware/cpus.hpp"
#include "gpusched/hardware/latency.hpp"
#include "gpusched/hardware/links.hpp"
#include "gpusched/hardware/switches.hpp"
#include "gpusched/topology/types.hpp"

namespace gpusched::topology::build::detail {

/// The link kind of NVLink `generation` (3..6).
inline link_kind nvlink_kind(int generation) {
  switch (generation) {
    case 3:
      return link_kind::nvlink3;
    case 4:
      return link_kind::nvlink4;
    case 5:
      return link_kind::nvlink5;
    case 6:
      return link_kind::nvlink6;
    default:
      throw error("topology::build", "no NVLink generation " + std::to_string(generation));
  }
}

/// The link kind of PCIe `generation` (3..6).
inline link_kind pcie_kind(int generation) {
  switch (generation) {
    case 3:
      return link_kind::pcie3;
    case 4:
      return link_kind::pcie4;
    case 5:
      return link_kind::pcie5;
    case 6:
      return link_kind::pcie6;
    default:
      throw error("topology::build", "no PCIe generation " + std::to_string(generation));
  }
}

/// A GPU's NVLinks to a switch plane aggregated into one edge: `bandwidth` per direction over
/// `count` physical links (1 when the link count is unpublished).
inline link nvlink(int generation, bytes_per_second bandwidth, std::uint32_t count) {
  return link{nvlink_kind(generation), bandwidth, hardware::latency::nvlink_hop, count};
}

/// A PCIe link of `lanes` lanes (count = lanes).
inline link pcie(int generation, int lanes) {
  return link{pcie_kind(generation), hardware::links::pcie(generation, lanes),
              hardware::latency::pcie_hop, static_cast<std::uint32_t>(lanes)};
}

/// An NVLink-C2C link of `bandwidth` per direction.
inline link c2c(bytes_per_second bandwidth) {
  return link{link_kind::nvlink_c2c, bandwidth, hardware::latency::c2c_hop, 1};
}

/// The socket interconnect of a 2-socket host of `cpu` (all its socket links aggregated).
inline link socket_interconnect(const hardware::cpu_spec& cpu) {
  require(cpu.socket_links >= 1 && cpu.socket_link_bandwidth.has_value(), "topology::build",
          "CPU '" + std::string(cpu.name) + "' has no catalogued socket interconnect");
  return link{link_kind::cpu_interconnect, *cpu.socket_link_bandwidth * cpu.socket_links,
              hardware::latency::cpu_interconnect_hop,
              static_cast<std::uint32_t>(cpu.socket_links)};
}

/// The link kind of a fabric speaking `protocol`.
inline link_kind network_kind(hardware::network_protocol protocol) {
  return protocol == hardware::network_protocol::infiniband ? link_kind::infiniband
                                                            : link_kind::ethernet;
}

/// An endpoint (NIC, DPU, storage) to its leaf: adapter + half the leaf's hop + cable.
inline link endpoint_link(hardware::network_protocol protocol, bytes_per_second bandwidth,
                          std::uint32_t ports) {
  using namespace hardware::latency;
  return link{network_kind(protocol), bandwidth, nic + switch_hop(protocol) / 2.0 + network_cable,
              ports};
}

/// Switch to switch, `ports` parallel cables of `port_speed` aggregated into one edge.
inline link switch_link(hardware::network_protocol protocol, bytes_per_second port_speed,
                        std::uint32_t ports) {
  using namespace hardware::latency;
  return link{network_kind(protocol), port_speed * ports, switch_hop(protocol) + network_cable,
              ports};
}

/// A device value; `port_bandwidth` only for NICs, DPUs and storage nodes.
inline device make_device(device_kind kind, std::string name, std::string_view spec,
                          std::int32_t rack, std::uint32_t count = 1,
                          bytes_per_second port_bandwidth = 0.0, std::int32_t tier = 0) {
  device d;
  d.kind = kind;
  d.name = std::move(name);
  d.spec = std::string(spec);
  d.tier = tier;
  d.rack = rack;
  d.count = count;
  d.port_bandwidth = port_bandwidth;
  return d;
}

}  // namespace gpusched::topology::build::detail
