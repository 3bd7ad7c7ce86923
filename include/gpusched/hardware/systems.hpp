#pragma once
// hardware::system_spec: what one NVLink domain of each catalogued system is made of (an 8-GPU DGX
// server, an NVL72 rack): how many GPUs, CPUs, NVLink switch chips, NICs and DPUs, and which
// models. The topology builders read these counts; the tests check them against vendor figures.

#include <array>
#include <optional>
#include <string_view>

#include "gpusched/hardware/cpus.hpp"
#include "gpusched/hardware/gpus.hpp"
#include "gpusched/hardware/nics.hpp"
#include "gpusched/hardware/switches.hpp"

namespace gpusched::hardware {

/// The composition of one NVLink domain of a system.
struct system_spec {
  std::string_view name;  ///< "DGX H100", "GB200 NVL72", ...
  const gpu_spec* gpu = nullptr;
  int gpus = 0;  ///< GPUs in the NVLink domain
  const cpu_spec* cpu = nullptr;
  int cpus = 0;
  const nvswitch_spec* nvswitch = nullptr;
  std::optional<int> nvswitch_chips;  ///< NVLink switch chips in the domain, when verified
  int switch_trays = 0;           ///< NVLink switch trays (rack-scale systems), 0 for baseboards
  int compute_trays = 1;          ///< compute trays (rack-scale) or 1 (a server)
  const nic_spec* nic = nullptr;  ///< compute-fabric NIC, one per GPU in every system here
  const nic_spec* dpu = nullptr;  ///< DPU for storage / front-end, may be null
  int dpus = 0;
  bool preliminary = false;
};

namespace systems {

/// NVIDIA DGX H100: 8 H100 SXM, 4 third-generation NVSwitch chips, 2 Xeon Platinum 8480C, 8 single-
/// port ConnectX-7 for the compute fabric (NVIDIA DGX BasePOD RA; DGX H100 user guide, network
/// modules table: ConnectX 0-3 on CPU0 serve GPUs 0-3, 4-7 on CPU1). The 2 dual-port storage
/// ConnectX-7 cards are not modelled.
inline constexpr system_spec dgx_h100{"DGX H100", &gpus::h100_sxm,   8,       &cpus::xeon_8480c,
                                      2,          &nvswitches::gen3, 4,       0,
                                      1,          &nics::connectx7,  nullptr, 0,
                                      false};

/// NVIDIA DGX B200: 8 B200, "2 x 5th generation NVLink switches ... 14.4 TB/s", 2 Xeon 8570, 8
/// single- port ConnectX-7 (compute), 2 dual-port BlueField-3 DPUs (storage, in-band) (DGX B200
/// user guide).
inline constexpr system_spec dgx_b200{"DGX B200",
                                      &gpus::b200,
                                      8,
                                      &cpus::xeon_8570,
                                      2,
                                      &nvswitches::nvlink5,
                                      2,
                                      0,
                                      1,
                                      &nics::connectx7,
                                      &nics::bluefield3,
                                      2,
                                      false};

/// NVIDIA GB200 NVL72: 18 compute trays of 2 Grace + 4 B200, 9 NVLink switch trays of 2 chips
/// (DGX SuperPOD GB200 RA); per tray 4 ConnectX-7 400G for the compute fabric and 2 BlueField-3 for
/// storage / management (DGX GB200 user guide, compute tray table) -> 72 NICs, 36 DPUs per rack.
inline constexpr system_spec gb200_nvl72{
    "GB200 NVL72",    &gpus::gb200,      72, &cpus::grace, 36, &nvswitches::nvlink5, 18, 9, 18,
    &nics::connectx7, &nics::bluefield3, 36, false};

/// NVIDIA GB300 NVL72: as GB200 NVL72 with Blackwell Ultra GPUs; 9 NVSwitch trays / 18 NVLink
/// switch chips; 4 ConnectX-8 per tray = 72 (NVIDIA NVL72 Enterprise RA, components); 18 BlueField
/// DPUs per rack (NVIDIA's GB300 NVL72 launch figures as listed in G. Lockwood's B300 notes; not
/// checked against a primary page).
inline constexpr system_spec gb300_nvl72{
    "GB300 NVL72",    &gpus::gb300,      72, &cpus::grace, 36, &nvswitches::nvlink5, 18, 9, 18,
    &nics::connectx8, &nics::bluefield3, 18, false};

/// NVIDIA Vera Rubin NVL72, PRELIMINARY: 18 compute trays of 2 Vera + 4 Rubin, 9 NVLink 6 switch
/// trays (switch-chip count NOT verified -> unknown), ConnectX-9 1.6 Tb/s per GPU, one BlueField-4
/// per tray (CES-2026 Rubin platform material; Wheeler's Network analysis of the compute tray).
inline constexpr system_spec vera_rubin_nvl72{
    "Vera Rubin NVL72",   &gpus::rubin, 72,  &cpus::vera, 36,
    &nvswitches::nvlink6, std::nullopt, 9,   18,          &nics::connectx9,
    &nics::bluefield4,    18,           true};

}  // namespace systems

/// Every system in the catalog.
inline constexpr std::array all_systems{systems::dgx_h100, systems::dgx_b200, systems::gb200_nvl72,
                                        systems::gb300_nvl72, systems::vera_rubin_nvl72};

/// The system named `name`; an unknown name is a gpusched::error listing the known ones.
inline const system_spec& system(std::string_view name) {
  return detail::find_by_name(all_systems, name, "hardware::system", "system");
}

}  // namespace gpusched::hardware
