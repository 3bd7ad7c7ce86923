#pragma once
// Plain value types of a topology: what a device is, what a link is.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "gpusched/core/units.hpp"

namespace gpusched::topology {

/// Index of a device in a topology (a Boost.Graph vertex index).
using device_id = std::uint32_t;
inline constexpr device_id no_device = std::numeric_limits<device_id>::max();

/// What a vertex of the topology is.
enum class device_kind : std::uint8_t {
  gpu,
  cpu,
  nvswitch,     ///< an NVLink switch chip, or (aggregated) the switch plane of one NVLink domain
  pcie_switch,  ///< a PCIe switch or root port (NCCL XML "pci" bridges)
  nic,          ///< a scale-out network adapter (ConnectX, EFA)
  dpu,          ///< a DPU (BlueField), fronting storage or the context-memory tier
  network_switch,  ///< a scale-out switch: leaf (tier 1), spine (tier 2), core (tier 3) ...
  storage,      ///< a storage or context-memory node on the fabric
};

/// What an edge of the topology is.
enum class link_kind : std::uint8_t {
  nvlink3,
  nvlink4,
  nvlink5,
  nvlink6,
  nvlink_c2c,
  pcie3,
  pcie4,
  pcie5,
  pcie6,
  ethernet,          ///< scale-out Ethernet (Spectrum-X, RoCE, EFA)
  infiniband,        ///< scale-out InfiniBand (Quantum)
  cpu_interconnect,  ///< between CPU sockets of one host (UPI, Infinity Fabric, Grace-to-Grace)
};

/// True for the scale-up links that form an NVLink domain (not C2C, which joins a GPU to its CPU).
constexpr bool is_nvlink(link_kind k) {
  return k == link_kind::nvlink3 || k == link_kind::nvlink4 || k == link_kind::nvlink5 ||
         k == link_kind::nvlink6;
}
/// True for links of the scale-out fabric (NIC to switch, switch to switch, storage to switch).
constexpr bool is_network(link_kind k) {
  return k == link_kind::ethernet || k == link_kind::infiniband;
}
/// True for PCIe links of any generation.
constexpr bool is_pcie(link_kind k) {
  return k == link_kind::pcie3 || k == link_kind::pcie4 || k == link_kind::pcie5 ||
         k == link_kind::pcie6;
}

/// True for links inside one host: PCIe, NVLink-C2C and the CPU-to-CPU interconnect.
constexpr bool is_host_side(link_kind k) {
  return is_pcie(k) || k == link_kind::nvlink_c2c || k == link_kind::cpu_interconnect;
}

/// A device of the system.
struct device {
  device_kind kind = device_kind::gpu;
  std::string name;  ///< unique, human-readable ("rack3/tray7/gpu2")
  std::string spec;  ///< catalog model ("H100-SXM", "Grace", "ConnectX-7", "QM9700"); may be empty
  std::int32_t tier = 0;  ///< for network switches: 1 = leaf, 2 = spine, 3 = core; else 0
  std::int32_t rack = -1;  ///< rack (or server) index the device sits in, -1 if none
  std::uint32_t count = 1;  ///< identical chips aggregated into this vertex (4 NVSwitch chips as one plane)
  /// NICs, DPUs and storage nodes: line rate per direction of all ports together (0 = unknown).
  /// Lets a standalone server report its scale-out bandwidth before any fabric is attached.
  bytes_per_second port_bandwidth = 0.0;
  friend bool operator==(const device&, const device&) = default;
};

/// A link between two devices. Links are full duplex and symmetric: `bandwidth` is available in
/// each direction at once. Parallel physical links between the same pair are aggregated into one.
struct link {
  link_kind kind = link_kind::pcie5;
  bytes_per_second bandwidth = 0.0;  ///< per direction, all aggregated lanes/links together
  seconds latency = 0.0;             ///< one-way latency contributed by this hop
  std::uint32_t count = 1;           ///< physical links aggregated into this edge (18 NVLinks, 16 lanes...)
  friend bool operator==(const link&, const link&) = default;
};

constexpr std::string_view to_string(device_kind k) {
  switch (k) {
    case device_kind::gpu: return "gpu";
    case device_kind::cpu: return "cpu";
    case device_kind::nvswitch: return "nvswitch";
    case device_kind::pcie_switch: return "pcie_switch";
    case device_kind::nic: return "nic";
    case device_kind::dpu: return "dpu";
    case device_kind::network_switch: return "network_switch";
    case device_kind::storage: return "storage";
  }
  return "?";
}

constexpr std::string_view to_string(link_kind k) {
  switch (k) {
    case link_kind::nvlink3: return "nvlink3";
    case link_kind::nvlink4: return "nvlink4";
    case link_kind::nvlink5: return "nvlink5";
    case link_kind::nvlink6: return "nvlink6";
    case link_kind::nvlink_c2c: return "nvlink_c2c";
    case link_kind::pcie3: return "pcie3";
    case link_kind::pcie4: return "pcie4";
    case link_kind::pcie5: return "pcie5";
    case link_kind::pcie6: return "pcie6";
    case link_kind::ethernet: return "ethernet";
    case link_kind::infiniband: return "infiniband";
    case link_kind::cpu_interconnect: return "cpu_interconnect";
  }
  return "?";
}

}  // namespace gpusched::topology
