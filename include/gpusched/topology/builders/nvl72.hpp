#pragma once
// Builders for NVL72 racks (GB200 NVL72, GB300 NVL72, Vera Rubin NVL72): one NVLink domain of 72
// GPUs in 18 compute trays, joined by 9 NVLink switch trays.
//
// Modelling granularity
//   - The 9 switch trays (2 NVLink 5 switch chips each = 18 chips on GB200/GB300) are ONE switch-
//     plane vertex with `count` = 18. Each GPU has 18 NVLinks, one to each chip (DGX SuperPOD GB200
//     RA), and collectives stripe over all of them, so one GPU<->plane edge of 18 links carrying
//     the GPU's full NVLink bandwidth (1.8 TB/s bidirectional = 900 GB/s each way) is exact for any
//     pair of GPUs. Vera Rubin NVL72 (PRELIMINARY): NVLink 6 at 3.6 TB/s bidirectional = 1.8 TB/s
//     each way per GPU; the chips per switch tray and the links per GPU are unpublished, so there
//     the plane's `count` is the 9 switch TRAYS and each GPU edge is one aggregated link (count 1).
//   - Compute tray t holds CPUs "tray<t>/cpu0..1" and GPUs "tray<t>/gpu0..3"; GPUs 0-1 sit on cpu0,
//     2-3 on cpu1, each by its own NVLink-C2C edge of the CPU's full C2C rate (Grace: 900 GB/s
//     bidirectional = 450 GB/s each way; Vera: 1.8 TB/s = 900). The CPU's C2C is SHARED by its two
//     GPUs: each edge is exact for one GPU alone and optimistic when both use it at once.
//   - The two CPUs of a tray are not linked to each other (no such link is documented).
//   - One compute NIC per GPU ("tray<t>/nic<j>", rail 4t+j), linked straight to its GPU by PCIe:
//     ConnectX-7 Gen5 x16 (GB200), ConnectX-8 Gen6 x16 (GB300), ConnectX-9 Gen6 x32 (Rubin,
//     assumption, see hardware/nics.hpp). The PCIe switch between them is not modelled.
//   - DPUs hang off the tray's CPUs by PCIe (dpu k on cpu k): BlueField-3, 2 per tray on GB200 and
//     1 per tray on GB300; BlueField-4, 1 per tray on Rubin.
//   - NICs are left unconnected (a standalone rack); superpod() cables them into a fabric.

#include <cstddef>
#include <cstdint>
#include <string>

#include "gpusched/core/error.hpp"
#include "gpusched/hardware/systems.hpp"
#include "gpusched/topology/builders/common.hpp"
#include "gpusched/topology/builders/detail/links.hpp"
#include "gpusched/topology/topology.hpp"

namespace gpusched::topology::build {

namespace detail {

/// One NVL72-style rack of system `s` added to `t`.
inline domain_ids add_nvl_rack(topology& t, const hardware::system_spec& s, const rack_options& o) {
  const auto& gpu = *s.gpu;
  const auto& cpu = *s.cpu;
  const auto& nic = *s.nic;
  require(cpu.c2c.has_value(), "topology::build", "CPU '" + std::string(cpu.name) + "' has no C2C");
  const int trays = s.compute_trays;
  const int cpus_per_tray = s.cpus / trays;
  const int gpus_per_tray = s.gpus / trays;
  const int gpus_per_cpu = gpus_per_tray / cpus_per_tray;
  const int dpus_per_tray = s.dpus / trays;

  domain_ids ids;
  ids.gpus.reserve(static_cast<std::size_t>(s.gpus));
  ids.nics.reserve(static_cast<std::size_t>(s.gpus));
  ids.cpus.reserve(static_cast<std::size_t>(s.cpus));
  ids.dpus.reserve(static_cast<std::size_t>(s.dpus));

  const auto plane_count = static_cast<std::uint32_t>(s.nvswitch_chips.value_or(s.switch_trays));
  ids.nvswitch_plane = t.add_device(make_device(device_kind::nvswitch, o.prefix + "nvswitch-plane",
                                                s.nvswitch->name, o.rack, plane_count));
  const link gpu_nvlink = nvlink(gpu.nvlink_generation, gpu.nvlink_bandwidth,
                                 static_cast<std::uint32_t>(gpu.nvlink_links.value_or(1)));
  const link gpu_cpu = c2c(*cpu.c2c);
  const link gpu_nic = pcie(nic.pcie_generation, nic.pcie_lanes);

  for (int tray = 0; tray < trays; ++tray) {
    const std::string tp = o.prefix + "tray" + std::to_string(tray) + "/";
    const std::size_t first_cpu = ids.cpus.size();
    for (int c = 0; c < cpus_per_tray; ++c)
      ids.cpus.push_back(t.add_device(
          make_device(device_kind::cpu, tp + "cpu" + std::to_string(c), cpu.name, o.rack)));
    for (int j = 0; j < gpus_per_tray; ++j) {
      const std::string k = std::to_string(j);
      const device_id gid =
          t.add_device(make_device(device_kind::gpu, tp + "gpu" + k, gpu.name, o.rack));
      const device_id nid = t.add_device(
          make_device(device_kind::nic, tp + "nic" + k, nic.name, o.rack, 1, nic.line_rate));
      t.add_link(gid, ids.nvswitch_plane, gpu_nvlink);
      t.add_link(gid, ids.cpus[first_cpu + static_cast<std::size_t>(j / gpus_per_cpu)], gpu_cpu);
      t.add_link(gid, nid, gpu_nic);
      ids.gpus.push_back(gid);
      ids.nics.push_back(nid);
    }
    for (int d = 0; d < dpus_per_tray; ++d) {
      const auto& dpu = *s.dpu;
      const device_id did = t.add_device(make_device(
          device_kind::dpu, tp + "dpu" + std::to_string(d), dpu.name, o.rack, 1, dpu.line_rate));
      t.add_link(did, ids.cpus[first_cpu + static_cast<std::size_t>(d % cpus_per_tray)],
                 pcie(dpu.pcie_generation, dpu.pcie_lanes));
      ids.dpus.push_back(did);
    }
  }
  return ids;
}

inline topology standalone_rack(const hardware::system_spec& s) {
  topology t{std::string(s.name)};
  add_nvl_rack(t, s, {});
  return t;
}

}  // namespace detail

/// Adds one GB200 NVL72 rack (72 GB200 GPUs, 36 Grace, 18 switch chips as one plane, 72 ConnectX-7,
/// 36 BlueField-3) to `t`.
inline domain_ids add_gb200_nvl72(topology& t, const rack_options& o = {}) {
  return detail::add_nvl_rack(t, hardware::systems::gb200_nvl72, o);
}
/// Adds one GB300 NVL72 rack (72 GB300 GPUs, 36 Grace, 18 switch chips, 72 ConnectX-8,
/// 18 BlueField-3) to `t`.
inline domain_ids add_gb300_nvl72(topology& t, const rack_options& o = {}) {
  return detail::add_nvl_rack(t, hardware::systems::gb300_nvl72, o);
}
/// Adds one Vera Rubin NVL72 rack (PRELIMINARY: 72 Rubin, 36 Vera, 9 NVLink 6 switch trays as one
/// plane, 72 ConnectX-9, 18 BlueField-4) to `t`.
inline domain_ids add_vera_rubin_nvl72(topology& t, const rack_options& o = {}) {
  return detail::add_nvl_rack(t, hardware::systems::vera_rubin_nvl72, o);
}

/// A standalone GB200 NVL72 rack ("tray0/gpu0" .. "tray17/gpu3", "nvswitch-plane", ...).
inline topology gb200_nvl72() { return detail::standalone_rack(hardware::systems::gb200_nvl72); }
/// A standalone GB300 NVL72 rack (names as gb200_nvl72).
inline topology gb300_nvl72() { return detail::standalone_rack(hardware::systems::gb300_nvl72); }
/// A standalone Vera Rubin NVL72 rack (PRELIMINARY figures; names as gb200_nvl72).
inline topology vera_rubin_nvl72() {
  return detail::standalone_rack(hardware::systems::vera_rubin_nvl72);
}

}  // namespace gpusched::topology::build
