#pragma once
// Builders for 8-GPU NVIDIA DGX servers (DGX H100, DGX B200): one NVLink domain of 8 GPUs.
//
// Modelling granularity
//   - The NVSwitch chips of the GPU baseboard are ONE switch-plane vertex (kind nvswitch, `count` =
//     chips). Each GPU's 18 NVLinks are spread over all chips (DGX H100: 5+4+4+5 over 4 chips; DGX
//     B200: 9+9 over 2, by port count) and NCCL stripes traffic over every link, so one GPU<->plane
//     edge of 18 links (450 GB/s each way on H100, 900 on B200) gives the right bandwidth for any
//     pair, while a per-chip model would make a GPU pair look limited to the links of a single
//     chip.
//   - Each GPU has its own compute NIC, linked to it by the NIC's PCIe link (Gen5 x16 for
//     ConnectX-7). In the real server GPU k and NIC k sit behind one PCIe switch; the switch is not
//     modelled (GPU<->NIC traffic never crosses the CPU, which is what matters here).
//   - GPUs 0-3 hang off CPU0 and 4-7 off CPU1 by PCIe Gen5 x16 (DGX H100 user guide, network
//     modules table); the two CPUs are joined by their UPI links (an estimate, hardware/cpus.hpp).
//   - DGX B200's two BlueField-3 DPUs (storage / in-band) hang off one CPU each by PCIe Gen5 x16.
//   - NICs are left unconnected (a standalone server); superpod() cables them into a fabric.

#include <string>

#include "gpusched/hardware/systems.hpp"
#include "gpusched/topology/builders/common.hpp"
#include "gpusched/topology/builders/detail/links.hpp"
#include "gpusched/topology/topology.hpp"

namespace gpusched::topology::build {

namespace detail {

/// One 8-GPU HGX/DGX server of system `s` added to `t`.
inline domain_ids add_hgx8(topology& t, const hardware::system_spec& s, const rack_options& o) {
  const auto& gpu = *s.gpu;
  const auto& cpu = *s.cpu;
  const auto& nic = *s.nic;
  const std::string& p = o.prefix;
  domain_ids ids;
  ids.gpus.reserve(static_cast<std::size_t>(s.gpus));
  ids.nics.reserve(static_cast<std::size_t>(s.gpus));

  ids.nvswitch_plane =
      t.add_device(make_device(device_kind::nvswitch, p + "nvswitch-plane", s.nvswitch->name,
                               o.rack, static_cast<std::uint32_t>(s.nvswitch_chips.value_or(1))));
  for (int c = 0; c < s.cpus; ++c)
    ids.cpus.push_back(t.add_device(
        make_device(device_kind::cpu, p + "cpu" + std::to_string(c), cpu.name, o.rack)));
  for (int c = 1; c < s.cpus; ++c)
    t.add_link(ids.cpus[0], ids.cpus[static_cast<std::size_t>(c)], socket_interconnect(cpu));

  const int gpus_per_cpu = s.gpus / s.cpus;
  const auto nvlinks = static_cast<std::uint32_t>(gpu.nvlink_links.value_or(1));
  for (int g = 0; g < s.gpus; ++g) {
    const std::string k = std::to_string(g);
    const device_id gid =
        t.add_device(make_device(device_kind::gpu, p + "gpu" + k, gpu.name, o.rack));
    const device_id nid = t.add_device(
        make_device(device_kind::nic, p + "nic" + k, nic.name, o.rack, 1, nic.line_rate));
    t.add_link(gid, ids.nvswitch_plane,
               nvlink(gpu.nvlink_generation, gpu.nvlink_bandwidth, nvlinks));
    t.add_link(gid, ids.cpus[static_cast<std::size_t>(g / gpus_per_cpu)],
               pcie(cpu.pcie_generation, 16));
    t.add_link(gid, nid, pcie(nic.pcie_generation, nic.pcie_lanes));
    ids.gpus.push_back(gid);
    ids.nics.push_back(nid);
  }
  for (int d = 0; d < s.dpus; ++d) {
    const auto& dpu = *s.dpu;
    const device_id did = t.add_device(make_device(device_kind::dpu, p + "dpu" + std::to_string(d),
                                                   dpu.name, o.rack, 1, dpu.line_rate));
    t.add_link(did, ids.cpus[static_cast<std::size_t>(d % s.cpus)],
               pcie(dpu.pcie_generation, dpu.pcie_lanes));
    ids.dpus.push_back(did);
  }
  return ids;
}

}  // namespace detail

/// Adds one DGX H100 (8 H100 SXM, 4 NVSwitch chips as one plane, 8 ConnectX-7, 2 Xeon 8480C) to
/// `t`.
inline domain_ids add_dgx_h100(topology& t, const rack_options& o = {}) {
  return detail::add_hgx8(t, hardware::systems::dgx_h100, o);
}

/// Adds one DGX B200 (8 B200, 2 NVLink 5 switch chips as one plane, 8 ConnectX-7, 2 BlueField-3,
/// 2 Xeon 8570) to `t`.
inline domain_ids add_dgx_b200(topology& t, const rack_options& o = {}) {
  return detail::add_hgx8(t, hardware::systems::dgx_b200, o);
}

/// A standalone DGX H100 server ("gpu0".."gpu7", "nic0".., "cpu0", "cpu1", "nvswitch-plane").
inline topology dgx_h100() {
  topology t{std::string(hardware::systems::dgx_h100.name)};
  add_dgx_h100(t);
  return t;
}

/// A standalone DGX B200 server (names as dgx_h100, plus "dpu0", "dpu1").
inline topology dgx_b200() {
  topology t{std::string(hardware::systems::dgx_b200.name)};
  add_dgx_b200(t);
  return t;
}

}  // namespace gpusched::topology::build
