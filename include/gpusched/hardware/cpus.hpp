#pragma once
// hardware::cpu_spec: host CPUs of the catalogued systems: cores, memory, how they reach their GPUs
// (PCIe or NVLink-C2C) and each other (socket interconnect). Vendor-claimed unless marked.

#include <array>
#include <optional>
#include <string_view>

#include "gpusched/core/units.hpp"
#include "gpusched/hardware/detail/lookup.hpp"
#include "gpusched/hardware/links.hpp"

namespace gpusched::hardware {

/// A host CPU (one socket).
struct cpu_spec {
  std::string_view name;  ///< catalog key ("Xeon-8480C", "Grace", ...)
  int cores = 0;
  std::optional<byte_count> memory;     ///< attached memory per socket, when fixed by the product
  int pcie_generation = 0;              ///< PCIe generation of its root ports
  std::optional<bytes_per_second> c2c;  ///< NVLink-C2C per direction (Grace, Vera)
  int socket_links = 0;                 ///< links to the other socket of a 2-socket host
  std::optional<bytes_per_second> socket_link_bandwidth;  ///< per link, per direction (ESTIMATE)
  bool preliminary = false;
};

namespace cpus {

/// Intel Xeon Platinum 8480C (Sapphire Rapids), the DGX H100/H200 CPU: 56 cores, PCIe Gen5 (NVIDIA
/// DGX BasePOD RA: "Dual Intel Xeon Platinum 8480C, 112 cores total ... PCIe 5.0"); 4 UPI 2.0 links
/// at 16 GT/s (Intel ARK). Per-link bandwidth is an ESTIMATE: 16 GT/s x 2 payload bytes = 32 GB/s
/// each way (the rule that gives Intel's 20.8 GB/s for 10.4 GT/s UPI); also used by io/detail.
inline constexpr cpu_spec xeon_8480c{"Xeon-8480C", 56, std::nullopt,        5,
                                     std::nullopt, 4,  units::gb_per_s(32), false};
/// Intel Xeon Platinum 8570 (Emerald Rapids), the DGX B200 CPU: 56 cores, PCIe Gen5 (NVIDIA DGX
/// B200 user guide); 4 UPI 2.0 links at 20 GT/s (Intel ARK) -> ESTIMATE 40 GB/s each way per link.
inline constexpr cpu_spec xeon_8570{"Xeon-8570",  56, std::nullopt,        5,
                                    std::nullopt, 4,  units::gb_per_s(40), false};
/// NVIDIA Grace (in GB200/GB300): 72 Arm Neoverse V2 cores, up to 480 GB LPDDR5X, NVLink-C2C
/// 900 GB/s bidirectional (SPECS.md; MLPerf v5.1: 960 GB per tray of 2 Grace). PCIe Gen5.
inline constexpr cpu_spec grace{"Grace",          72, units::gigabytes(480), 5,
                                links::grace_c2c, 0,  std::nullopt,          false};
/// NVIDIA Vera, PRELIMINARY: 88 custom Arm cores, ~1.5 TB LPDDR5X, NVLink-C2C 1.8 TB/s
/// bidirectional (CES-2026 Rubin platform material, SPECS.md). PCIe Gen6 assumed.
inline constexpr cpu_spec vera{"Vera",          88, units::terabytes(1.5), 6,
                               links::vera_c2c, 0,  std::nullopt,          true};

}  // namespace cpus

/// Every CPU in the catalog.
inline constexpr std::array all_cpus{cpus::xeon_8480c, cpus::xeon_8570, cpus::grace, cpus::vera};

/// The CPU named `name`; an unknown name is a gpusched::error listing the known ones.
inline const cpu_spec& cpu(std::string_view name) {
  return detail::find_by_name(all_cpus, name, "hardware::cpu", "CPU");
}

}  // namespace gpusched::hardware
