#pragma once
// Every latency figure gpusched uses, in one place. These are ESTIMATES: vendors rarely publish
// hop latencies, and the few published ones are best cases (idle switch, cut-through, minimum
// packet). Each is the one-way hardware latency one hop adds; software overheads (kernel launch,
// NCCL protocol steps, RDMA verbs) belong to the cost model, not here. Use them for relative
// comparisons (an NVLink hop is much cheaper than a trip through the scale-out fabric), not as
// measurements. Values shared with io/detail/link_figures.hpp are kept identical.
//
// How the topology builders spend them along a path (so a path's summed latency is meaningful):
//   GPU -> NVSwitch plane -> GPU        2 x nvlink_hop
//   GPU -> CPU over C2C / PCIe          c2c_hop / pcie_hop
//   GPU -> NIC (PCIe)                   pcie_hop
//   NIC -> leaf                         nic + switch/2 + cable
//   switch -> switch                    switch + cable
// Each endpoint edge carries half of the leaf it enters or leaves, so a path over k switches adds
// exactly k switch hops.

#include "gpusched/core/units.hpp"
#include "gpusched/hardware/switches.hpp"

namespace gpusched::hardware::latency {

/// GPU <-> NVSwitch plane (one NVLink hop), ESTIMATE 0.1 us, so GPU -> switch -> GPU ~ 0.2 us.
/// Basis: NVLink/NVSwitch port-to-port latency is unpublished; NCCL's tuning model
/// (src/graph/tuning.cc, hwLat) charges ~0.5 us per NVLink step INCLUDING its software protocol,
/// which bounds the hardware part from above. Shared with io/detail (nvlink_hop_latency).
inline constexpr seconds nvlink_hop = units::microseconds(0.1);

/// GPU <-> CPU over NVLink-C2C, ESTIMATE 0.1 us: a direct chip-to-chip link without a switch; no
/// published figure, taken equal to an NVLink hop.
inline constexpr seconds c2c_hop = units::microseconds(0.1);

/// One PCIe link (device to root port or switch), ESTIMATE 0.15 us. Basis: current PCIe switches
/// quote ~0.1-0.15 us port to port; root ports are slower. NCCL's model charges 1 us per PCIe step
/// including software. Shared with io/detail (pcie_hop_latency).
inline constexpr seconds pcie_hop = units::microseconds(0.15);

/// Between the two sockets of a host (UPI, Grace-to-Grace), ESTIMATE 0.1 us: remote-socket memory
/// accesses typically cost 0.05-0.15 us more than local ones. Shared with io/detail.
inline constexpr seconds cpu_interconnect_hop = units::microseconds(0.1);

/// One network adapter traversal (send or receive side: DMA engine, transport, SerDes), ESTIMATE
/// 0.5 us. Basis: RDMA adapters of the ConnectX class reach ~1 us end to end between two hosts
/// back to back (two adapters); NCCL's model charges 2.7 us per network step including software.
inline constexpr seconds nic = units::microseconds(0.5);

/// InfiniBand switch, port to port, ESTIMATE 0.2 us. Basis: NVIDIA's HDR Quantum QM8700 datasheet
/// quotes 130 ns; NDR (Quantum-2) and XDR (Quantum-X800) figures are not published by NVIDIA, and
/// third-party pages quote 150-400 ns.
inline constexpr seconds infiniband_switch = units::microseconds(0.2);

/// Ethernet switch, port to port, ESTIMATE 0.5 us. Basis: Spectrum-class cut-through switches are
/// quoted at a few hundred ns; NVIDIA publishes no Spectrum-4 (SN5600) figure, and RoCE fabrics
/// with adaptive routing and deep shared buffers sit above InfiniBand.
inline constexpr seconds ethernet_switch = units::microseconds(0.5);

/// Propagation in fibre or copper: ~5 ns per metre (light at ~2/3 c).
inline constexpr seconds cable_per_metre = units::nanoseconds(5);
/// Typical cable of a scale-out fabric, ESTIMATE 10 m (in-row NIC-to-leaf and leaf-to-spine runs
/// span a few to a few tens of metres): 50 ns, added to every network link.
inline constexpr seconds network_cable = 10.0 * cable_per_metre;

/// Port-to-port estimate for a switch speaking `protocol`.
constexpr seconds switch_hop(network_protocol protocol) {
  return protocol == network_protocol::infiniband ? infiniband_switch : ethernet_switch;
}

}  // namespace gpusched::hardware::latency
