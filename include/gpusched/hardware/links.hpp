#pragma once
// Per-link and per-lane bandwidths of the interconnects gpusched models, per direction, each with
// its source. Whole-device figures (a GPU's NVLink total, a NIC's line rate) live with the device
// (gpus.hpp, nics.hpp); this file holds the unit rates they are made of. Latencies: latency.hpp.
// hardware does not depend on topology (core -> hardware -> topology): turning these figures into
// topology::link values is done by topology/builders/detail/links.hpp.

#include <optional>
#include <string>

#include "gpusched/core/error.hpp"
#include "gpusched/core/units.hpp"

namespace gpusched::hardware::links {

// --- NVLink, per link, per direction -------------------------------------------------------------
// NVIDIA quotes per-GPU totals over both directions; dividing by the link count gives the per-link
// rate, and halving gives one direction.

/// NVLink 3 (A100): 600 GB/s bidirectional over 12 links = 50 GB/s per link = 25 GB/s each way
/// (NVIDIA A100 datasheet, 2020).
inline constexpr bytes_per_second nvlink3_per_link = units::bidirectional_gb_per_s(600.0 / 12.0);
/// NVLink 4 (H100/H200): 900 GB/s bidirectional over 18 links = 25 GB/s each way; 18 x 25 = 450
/// GB/s per GPU each way (NVIDIA H100 datasheet, 2023).
inline constexpr bytes_per_second nvlink4_per_link = units::bidirectional_gb_per_s(900.0 / 18.0);
/// NVLink 5 (Blackwell): 1.8 TB/s bidirectional over 18 links = 50 GB/s each way (NVIDIA DGX
/// SuperPOD GB200 reference architecture: "18 NVL5 links ... 1.8 TB/s"; NVLink 5 switch ports are
/// 100 GB/s bidirectional).
inline constexpr bytes_per_second nvlink5_per_link = units::bidirectional_gb_per_s(1800.0 / 18.0);
/// NVLink 6 (Rubin), PRELIMINARY: 3.6 TB/s bidirectional per GPU is announced; the link count and
/// so the per-link rate are not, hence no per-link figure (nvlink_per_link(6) is nullopt).
inline constexpr bytes_per_second nvlink6_per_gpu = units::bidirectional_gb_per_s(3600.0);

/// Per-link, per-direction bandwidth of NVLink `generation` (3..5); nullopt for 6 (unpublished) and
/// for any other number.
constexpr std::optional<bytes_per_second> nvlink_per_link(int generation) {
  switch (generation) {
    case 3:
      return nvlink3_per_link;
    case 4:
      return nvlink4_per_link;
    case 5:
      return nvlink5_per_link;
    default:
      return std::nullopt;
  }
}

// --- NVLink-C2C (CPU <-> GPU), per direction -----------------------------------------------------

/// Grace NVLink-C2C: 900 GB/s bidirectional = 450 GB/s each way (NVIDIA Grace Hopper / GB200
/// product pages). In GB200/GB300 one Grace serves two GPUs over it.
inline constexpr bytes_per_second grace_c2c = units::bidirectional_gb_per_s(900.0);
/// Vera NVLink-C2C, PRELIMINARY: 1.8 TB/s bidirectional = 900 GB/s each way (CES-2026 Rubin
/// platform material, SPECS.md).
inline constexpr bytes_per_second vera_c2c = units::bidirectional_gb_per_s(1800.0);

// --- PCIe, per lane, per direction ---------------------------------------------------------------
// Usable rate after line encoding, from the PCI-SIG base specifications' transfer rates:
//   Gen3  8 GT/s, 128b/130b -> 0.985 GB/s      Gen5 32 GT/s, 128b/130b -> 3.938 GB/s
//   Gen4 16 GT/s, 128b/130b -> 1.969 GB/s      Gen6 64 GT/s, PAM4 + 1b/1b FLIT mode -> 7.563 GB/s
// Gen6 carries 242 useful bytes (TLP + DLLP) in every 256-byte FLIT (the rest is CRC and FEC), so a
// lane moves 8 GB/s x 242/256; the often-quoted 7.877 GB/s (twice Gen5) ignores the FLIT overhead.
// These match io/detail/link_figures.hpp. TLP header overheads are left to the cost model.

inline constexpr bytes_per_second pcie3_lane = 8.0e9 * 128.0 / 130.0 / 8.0;
inline constexpr bytes_per_second pcie4_lane = 16.0e9 * 128.0 / 130.0 / 8.0;
inline constexpr bytes_per_second pcie5_lane = 32.0e9 * 128.0 / 130.0 / 8.0;
inline constexpr bytes_per_second pcie6_lane = 64.0e9 * 242.0 / 256.0 / 8.0;

/// Per-lane, per-direction bandwidth of PCIe `generation` (3..6); other generations are an error.
constexpr bytes_per_second pcie_lane(int generation) {
  switch (generation) {
    case 3:
      return pcie3_lane;
    case 4:
      return pcie4_lane;
    case 5:
      return pcie5_lane;
    case 6:
      return pcie6_lane;
    default:
      throw error("hardware::links::pcie_lane",
                  "PCIe generation " + std::to_string(generation) + " is not catalogued (3..6)");
  }
}

/// Bandwidth per direction of a PCIe link of `lanes` lanes of `generation`.
constexpr bytes_per_second pcie(int generation, int lanes) {
  if (lanes < 1) throw error("hardware::links::pcie", "a PCIe link needs at least one lane");
  return pcie_lane(generation) * lanes;
}

}  // namespace gpusched::hardware::links
