#pragma once
// Switches: scale-out network switches (InfiniBand Quantum, Ethernet Spectrum) and NVLink switch
// chips (NVSwitch). Port speeds per direction; vendor-claimed figures with their sources.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "gpusched/core/units.hpp"
#include "gpusched/hardware/detail/lookup.hpp"
#include "gpusched/hardware/links.hpp"

namespace gpusched::hardware {

/// The protocol of a scale-out fabric.
enum class network_protocol : std::uint8_t { ethernet, infiniband };

/// A scale-out switch: its native ports and how far each splits into slower ports.
struct network_switch_spec {
  std::string_view name;  ///< catalog key ("QM9700", "Q3400", "SN5600")
  std::string_view asic;  ///< switch silicon ("Quantum-2", ...)
  network_protocol protocol = network_protocol::infiniband;
  int ports = 0;                      ///< native ports
  bytes_per_second port_speed = 0.0;  ///< native port speed, per direction
  int max_breakout = 1;               ///< each native port may split into up to this many ports
  bool preliminary = false;

  /// Ports available at `speed` per direction: native ports times the split that reaches `speed`
  /// (native_speed / speed when that is a whole number <= max_breakout), else 0 (unsupported).
  [[nodiscard]] constexpr int ports_at(bytes_per_second speed) const {
    if (speed <= 0.0) return 0;
    for (int split = 1; split <= max_breakout; ++split) {
      const double diff = port_speed - speed * split;
      if ((diff < 0 ? -diff : diff) <= 1e-9 * port_speed) return ports * split;
    }
    return 0;
  }
};

namespace network_switches {

using units::gbit_per_s;

/// NVIDIA Quantum-2 QM9700: 64 ports of 400 Gb/s NDR InfiniBand on 32 OSFP cages, 51.2 Tb/s
/// bidirectional (QM9700/QM9790 user manual; DGX SuperPOD RAs); each port splits into 2 x 200 Gb/s.
inline constexpr network_switch_spec qm9700{
    "QM9700", "Quantum-2", network_protocol::infiniband, 64, gbit_per_s(400), 2, false};
/// NVIDIA Quantum-X800 Q3400(-RA): 144 ports of 800 Gb/s XDR InfiniBand, 115.2 Tb/s (NVIDIA
/// Quantum-X800 announcement, GTC 2024; DGX SuperPOD B300 RA). Port splitting not modelled.
inline constexpr network_switch_spec q3400{
    "Q3400", "Quantum-X800", network_protocol::infiniband, 144, gbit_per_s(800), 1, false};
/// NVIDIA Spectrum-4 SN5600: 64 ports of 800 GbE (or 128 x 400 GbE, up to 256 x 100 GbE), 51.2 Tb/s
/// (NVIDIA Spectrum-4 announcement 2022-03; SN5000 2U hardware user manual). Spectrum-X switch.
inline constexpr network_switch_spec sn5600{
    "SN5600", "Spectrum-4", network_protocol::ethernet, 64, gbit_per_s(800), 2, false};

}  // namespace network_switches

/// Every scale-out switch in the catalog.
inline constexpr std::array all_network_switches{network_switches::qm9700, network_switches::q3400,
                                                 network_switches::sn5600};

/// The scale-out switch named `name`; an unknown name is a gpusched::error listing the known ones.
inline const network_switch_spec& network_switch(std::string_view name) {
  return detail::find_by_name(all_network_switches, name, "hardware::network_switch",
                              "network switch");
}

/// An NVLink switch chip generation.
struct nvswitch_spec {
  std::string_view name;  ///< catalog key ("NVSwitch3", "NVLink5-Switch", ...)
  int nvlink_generation = 0;
  std::optional<int> ports;                    ///< NVLink ports per chip
  std::optional<bytes_per_second> port_speed;  ///< per port, per direction
  std::optional<int> chips_per_tray;  ///< chips per NVLink switch tray (rack-scale systems)
  bool preliminary = false;
};

namespace nvswitches {

/// Third-generation NVSwitch (Hopper): 64 NVLink 4 ports at 25 GB/s each way (NVIDIA H100
/// architecture whitepaper, 2022). DGX/HGX H100 carry 4 chips on the GPU baseboard.
inline constexpr nvswitch_spec gen3{"NVSwitch3",  4,    64, links::nvlink4_per_link,
                                    std::nullopt, false};
/// NVLink 5 switch chip (Blackwell): 72 NVLink 5 ports of 100 GB/s bidirectional = 50 GB/s each way
/// (DGX B200 user guide: 2 chips = 14.4 TB/s; DGX SuperPOD GB200 RA: 9 switch trays x 2 chips, each
/// GPU with one link to each of the 18 chips).
inline constexpr nvswitch_spec nvlink5{"NVLink5-Switch", 5, 72, links::nvlink5_per_link, 2, false};
/// NVLink 6 switch (Vera Rubin NVL72), PRELIMINARY: 9 switch trays and 3.6 TB/s per GPU are
/// announced; ports, port speed and chips per tray are not verified here.
inline constexpr nvswitch_spec nvlink6{"NVLink6-Switch", 6,   std::nullopt, std::nullopt,
                                       std::nullopt,     true};

}  // namespace nvswitches

/// Every NVLink switch generation in the catalog.
inline constexpr std::array all_nvswitches{nvswitches::gen3, nvswitches::nvlink5,
                                           nvswitches::nvlink6};

/// The NVLink switch named `name`; an unknown name is a gpusched::error listing the known ones.
inline const nvswitch_spec& nvswitch(std::string_view name) {
  return detail::find_by_name(all_nvswitches, name, "hardware::nvswitch", "NVLink switch");
}

}  // namespace gpusched::hardware
