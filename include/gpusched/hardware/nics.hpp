#pragma once
// hardware::nic_spec: scale-out network adapters (ConnectX SuperNICs, BlueField DPUs, AWS EFA).
// Line rates are per direction; vendors quote them in Gb/s per direction, converted with
// units::gbit_per_s. The host interface is the PCIe link the adapter presents to its GPU or CPU.

#include <array>
#include <optional>
#include <string_view>

#include "gpusched/core/units.hpp"
#include "gpusched/hardware/detail/lookup.hpp"

namespace gpusched::hardware {

/// A network adapter: its total line rate and host interface.
struct nic_spec {
  std::string_view name;             ///< catalog key ("ConnectX-7", "BlueField-3", ...)
  bytes_per_second line_rate = 0.0;  ///< all network ports together, per direction
  int pcie_generation = 0;           ///< host interface generation (0: not modelled)
  int pcie_lanes = 0;                ///< host lanes modelled toward the GPU or CPU it serves
  bool is_dpu = false;               ///< a BlueField DPU (has its own Arm cores)
  bool preliminary = false;          ///< figures from announcements, not datasheets
};

namespace nics {

using units::gbit_per_s;

/// NVIDIA ConnectX-7: 400 Gb/s (NDR InfiniBand / 400GbE), PCIe Gen5 x16 (ConnectX-7 datasheet,
/// 2022; the DGX H100/B200 compute NICs are single-port 400G cards).
inline constexpr nic_spec connectx7{"ConnectX-7", gbit_per_s(400), 5, 16, false, false};
/// NVIDIA ConnectX-8 SuperNIC: 800 Gb/s, PCIe Gen6 (48 lanes through an integrated PCIe switch;
/// x16 modelled toward its GPU) (NVIDIA GB300 NVL72 / Quantum-X800 material, 2025).
inline constexpr nic_spec connectx8{"ConnectX-8", gbit_per_s(800), 6, 16, false, false};
/// NVIDIA ConnectX-9 SuperNIC, PRELIMINARY: 1.6 Tb/s per GPU, PCIe Gen6 with 48 lanes (GTC-DC 2025
/// / CES-2026 material as reported by Hardwareluxx, 2025-10). Some analyses describe it as two 800G
/// chips per GPU; the per-GPU rate is the same. x32 is modelled toward the GPU so the host link
/// (2 x 121 GB/s) does not understate the 200 GB/s NIC; that lane split is an assumption.
inline constexpr nic_spec connectx9{"ConnectX-9", gbit_per_s(1600), 6, 32, false, true};
/// NVIDIA BlueField-3 DPU: up to 400 Gb/s, PCIe Gen5 x16 (BlueField-3 DPU user manual).
inline constexpr nic_spec bluefield3{"BlueField-3", gbit_per_s(400), 5, 16, true, false};
/// NVIDIA BlueField-4 DPU, PRELIMINARY: Grace-class CPU + ConnectX-9 networking, up to 800 Gb/s
/// (GTC-DC 2025 announcement as reported by Hardwareluxx, 2025-10). Host link assumed Gen6 x16.
inline constexpr nic_spec bluefield4{"BlueField-4", gbit_per_s(800), 6, 16, true, true};
/// AWS Elastic Fabric Adapter as on p5.48xlarge: 32 adapters of 100 Gb/s (speed="100000" Mb/s in
/// the aws-ofi-nccl p5.48xl topology file, shared/data/topologies). Host link not modelled.
inline constexpr nic_spec efa_p5{"EFA", gbit_per_s(100), 0, 0, false, false};

}  // namespace nics

/// Every adapter in the catalog.
inline constexpr std::array all_nics{nics::connectx7,  nics::connectx8,  nics::connectx9,
                                     nics::bluefield3, nics::bluefield4, nics::efa_p5};

/// The adapter named `name`; an unknown name is a gpusched::error listing the known ones.
inline const nic_spec& nic(std::string_view name) {
  return detail::find_by_name(all_nics, name, "hardware::nic", "network adapter");
}

}  // namespace gpusched::hardware
