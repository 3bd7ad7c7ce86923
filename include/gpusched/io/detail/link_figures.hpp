#pragma once
// Link figures and estimates the NCCL XML importer needs, in one place. The unit rates and the
// latency estimates come from the hardware catalog (hardware/links.hpp, latency.hpp, cpus.hpp);
// what is only the importer's business (PCIe Gen1/2, the sm -> generation table, NVIDIA PCI device
// ids, the older-CPU socket estimate) is defined here, each with its source.

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

#include "gpusched/core/units.hpp"
#include "gpusched/hardware/cpus.hpp"
#include "gpusched/hardware/latency.hpp"
#include "gpusched/hardware/links.hpp"
#include "gpusched/topology/types.hpp"

namespace gpusched::io::detail {

// --- PCIe ----------------------------------------------------------------------------------------
// Usable bandwidth of one lane, per direction, after line encoding: Gen3..6 from hardware::links
// (0.985 / 1.969 / 3.938 / 7.563 GB/s; Gen6 counts 242 data bytes per 256-byte FLIT); Gen1 and
// Gen2 (2.5 and 5 GT/s, 8b/10b: 0.25 and 0.5 GB/s, PCI-SIG base specifications) only appear in
// files written while a device idled at a low link rate. NCCL itself uses lower "effective"
// figures (width x 1.5/3/6/12/24/48 Gb/s / 8); we keep the real link rate and let the cost model
// apply efficiencies.

/// One PCIe generation: its transfer rate, per-lane bandwidth per direction and link kind.
struct pcie_generation {
  int gen = 0;
  double gt_per_s = 0.0;
  bytes_per_second lane_bandwidth = 0.0;  ///< per lane, per direction
  /// Gen1/2 have no kind of their own and use pcie3.
  topology::link_kind kind = topology::link_kind::pcie4;
};

inline constexpr pcie_generation pcie_generations[] = {
    {1, 2.5, 2.5e9 * 8.0 / 10.0 / 8.0, topology::link_kind::pcie3},
    {2, 5.0, 5.0e9 * 8.0 / 10.0 / 8.0, topology::link_kind::pcie3},
    {3, 8.0, hardware::links::pcie3_lane, topology::link_kind::pcie3},
    {4, 16.0, hardware::links::pcie4_lane, topology::link_kind::pcie4},
    {5, 32.0, hardware::links::pcie5_lane, topology::link_kind::pcie5},
    {6, 64.0, hardware::links::pcie6_lane, topology::link_kind::pcie6},
};

/// The generation running at `gt_per_s` GT/s, if it is one of the six standard rates.
inline std::optional<pcie_generation> pcie_generation_of_rate(double gt_per_s) {
  for (const auto& g : pcie_generations)
    if (std::abs(g.gt_per_s - gt_per_s) < 1e-6) return g;
  return std::nullopt;
}

/// Assumed when neither an element nor any ancestor states its PCIe link: Gen4 x16, the link of
/// A100-generation GPUs and NICs (an assumption, always reported in the import notes).
inline constexpr int default_pcie_gen = 4;
inline constexpr int default_pcie_width = 16;

// --- NVLink --------------------------------------------------------------------------------------
// Per link, per direction, from hardware::links (NVIDIA datasheets quote totals over both
// directions):
//   A100 (sm 80)  NVLink3: 600 GB/s over 12 links  -> 25 GB/s per link each way
//   H100 (sm 90)  NVLink4: 900 GB/s over 18 links  -> 25 GB/s per link each way
//   B200 (sm 100) NVLink5: 1800 GB/s over 18 links -> 50 GB/s per link each way

/// What a GPU generation (CUDA compute capability x10, NCCL's `sm`) implies for the importer.
struct gpu_generation {
  int sm = 0;
  std::string_view spec;                   ///< catalog model name
  topology::link_kind nvlink;              ///< its NVLink generation
  bytes_per_second nvlink_per_link = 0.0;  ///< per link, per direction
};

inline constexpr gpu_generation gpu_generations[] = {
    {80, "A100", topology::link_kind::nvlink3, hardware::links::nvlink3_per_link},
    {90, "H100", topology::link_kind::nvlink4, hardware::links::nvlink4_per_link},
    {100, "B200", topology::link_kind::nvlink5, hardware::links::nvlink5_per_link},
};

/// The generation with compute capability `sm`, if known.
inline std::optional<gpu_generation> gpu_generation_of_sm(int sm) {
  for (const auto& g : gpu_generations)
    if (g.sm == sm) return g;
  return std::nullopt;
}

/// Assumed for NVLinks of a GPU whose generation is unknown: NVLink4 at 25 GB/s per link each way
/// (the per-link rate of both A100 and H100); reported in the import notes.
inline constexpr gpu_generation unknown_gpu_generation{0, "", topology::link_kind::nvlink4,
                                                       hardware::links::nvlink4_per_link};

/// NVIDIA PCI device ids of data-center GPUs (vendor 0x10de), from the PCI ID repository
/// (pci-ids.ucw.cz): used only when a file gives no `sm` for a GPU.
struct known_gpu_device {
  std::uint32_t device = 0;
  int sm = 0;
  std::string_view description;
};
inline constexpr known_gpu_device known_gpu_devices[] = {
    {0x20b0, 80, "GA100 [A100 SXM4 40GB]"}, {0x20b2, 80, "GA100 [A100 SXM4 80GB]"},
    {0x20b5, 80, "GA100 [A100 PCIe 80GB]"}, {0x20f1, 80, "GA100 [A100 PCIe 40GB]"},
    {0x2330, 90, "GH100 [H100 SXM5 80GB]"}, {0x2331, 90, "GH100 [H100 PCIe]"},
};
inline constexpr std::uint32_t nvidia_vendor_id = 0x10de;

// --- Latency estimates ---------------------------------------------------------------------------
// One way, per hop: hardware::latency, where their bases are given.
inline constexpr seconds pcie_hop_latency = hardware::latency::pcie_hop;
inline constexpr seconds nvlink_hop_latency = hardware::latency::nvlink_hop;
inline constexpr seconds cpu_interconnect_latency = hardware::latency::cpu_interconnect_hop;

// --- CPU-to-CPU bandwidth estimates --------------------------------------------------------------
// Per direction, all links between two sockets together.
/// Intel Skylake-SP / Cascade Lake (family 6, model 0x55..0x8e): 3 UPI links at 10.4 GT/s,
/// 2 bytes per transfer -> 3 x 20.8 GB/s.
inline constexpr bytes_per_second intel_upi_skylake = 3.0 * units::gb_per_s(20.8);
/// Intel Sapphire Rapids and later (family 6, model >= 0x8f): the catalog's Xeon 8480C, 4 UPI 2.0
/// links at 16 GT/s, 32 GB/s each (conservative for Emerald Rapids, whose links run at 20 GT/s).
inline constexpr bytes_per_second intel_upi_sapphire_rapids =
    hardware::cpus::xeon_8480c.socket_links * *hardware::cpus::xeon_8480c.socket_link_bandwidth;
/// Every other CPU (AMD Infinity Fabric / xGMI, Arm, older Intel): a round 64 GB/s.
inline constexpr bytes_per_second other_cpu_interconnect = units::gb_per_s(64.0);

/// The estimate above for a CPU described by NCCL's `vendor`, `familyid` and `modelid`, and the
/// reason in words (for the import notes).
struct cpu_interconnect_estimate {
  bytes_per_second bandwidth = 0.0;
  std::string_view basis;
};
inline cpu_interconnect_estimate estimate_cpu_interconnect(std::string_view vendor, int family,
                                                           int model) {
  if (vendor == "GenuineIntel" && family == 6 && model >= 0x8f)
    return {intel_upi_sapphire_rapids,
            "Intel UPI 2.0, 4 links x 32 GB/s (Sapphire Rapids or later)"};
  if (vendor == "GenuineIntel" && family == 6 && model >= 0x55)
    return {intel_upi_skylake, "Intel UPI, 3 links x 20.8 GB/s (Skylake-SP / Cascade Lake)"};
  return {other_cpu_interconnect, "a generic 64 GB/s estimate"};
}

}  // namespace gpusched::io::detail
