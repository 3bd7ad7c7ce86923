#pragma once
// superpod(): N NVLink domains of one system (NVL72 racks, or 8-GPU DGX servers) joined by a
// rail-optimized scale-out fabric, the shape of NVIDIA's DGX SuperPOD reference architectures.
//
// Endpoints: every GPU has one compute NIC; NIC k of a domain is on rail k. Optional storage and
// context-memory nodes join the same fabric on leaves of their own (after the compute leaves).
//
// Ports: the port speed defaults to the NIC speed when the switch can split its native ports down
// to it (SN5600: 64 x 800G or 128 x 400G), else the native speed; a NIC faster than a port takes
// ceil(NIC / port) ports (a 1.6 Tb/s ConnectX-9 on 800G ports takes 2); radix = ports at it.
//
// Leaves: with oversubscription r (down:up), a leaf has u = round(k / (1 + r)) uplinks and
// d = k - u downlink ports (k/2 each at 1:1). Rail-optimized placement: when the N domains fit on
// one leaf (N <= d / ports-per-NIC) each leaf takes whole rails of all domains; otherwise each rail
// gets ceil(N / (d / ports-per-NIC)) leaves of its own. If every endpoint port fits on one switch,
// the fabric is that single switch (1 tier).
//
// Tiers: above the leaves, the smallest folded Clos of this radix (builders/detail/clos.hpp), so a
// rail's traffic stays on its leaf and other traffic climbs only as far as it must.
//
// Aggregation: parallel cables between the same two switches form one edge (bandwidth = port
// speed x cables, `count` = cables); a NIC's ports to its leaf form one edge.
//
// Scale: linear in devices and links; 1,000 GB200 NVL72 racks (72,000 GPUs, 220k devices, 416k
// links) build in about 1.5 s and 125 MB at -O2 (benchmarks/topology/builders_bench.cpp).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/hardware/systems.hpp"
#include "gpusched/topology/builders/common.hpp"
#include "gpusched/topology/builders/detail/clos.hpp"
#include "gpusched/topology/builders/detail/links.hpp"
#include "gpusched/topology/builders/dgx.hpp"
#include "gpusched/topology/builders/nvl72.hpp"
#include "gpusched/topology/topology.hpp"

namespace gpusched::topology::build {

/// The NVLink-domain system a superpod is made of (a DGX "rack" is one 8-GPU server).
enum class system_kind : std::uint8_t {
  gb200_nvl72,
  gb300_nvl72,
  vera_rubin_nvl72,
  dgx_h100,
  dgx_b200
};

/// The scale-out fabric family: Spectrum-X Ethernet or Quantum InfiniBand.
enum class fabric_kind : std::uint8_t { spectrum_x, quantum_infiniband };

/// The catalog entry of a system kind.
inline const hardware::system_spec& system_of(system_kind k) {
  switch (k) {
    case system_kind::gb200_nvl72:
      return hardware::systems::gb200_nvl72;
    case system_kind::gb300_nvl72:
      return hardware::systems::gb300_nvl72;
    case system_kind::vera_rubin_nvl72:
      return hardware::systems::vera_rubin_nvl72;
    case system_kind::dgx_h100:
      return hardware::systems::dgx_h100;
    case system_kind::dgx_b200:
      return hardware::systems::dgx_b200;
  }
  throw error("topology::build::system_of", "unknown system kind");
}

/// What superpod() builds. Zero means "the default" for the switch, port speed and radix.
struct superpod_options {
  system_kind system = system_kind::gb200_nvl72;
  int racks = 8;  ///< NVLink domains: racks, or servers for DGX systems
  fabric_kind fabric = fabric_kind::spectrum_x;
  std::string
      switch_model;  ///< "" = SN5600 (Spectrum-X); QM9700 for <= 400G NICs, else Q3400 (Quantum)
  bytes_per_second port_speed =
      0.0;        ///< per direction; 0 = NIC speed if the switch splits to it, else native
  int radix = 0;  ///< ports per switch at port_speed; 0 = from the switch spec
  double oversubscription = 1.0;  ///< leaf down:up port ratio (1 = non-blocking)
  int storage_nodes = 0;          ///< storage nodes on the fabric
  bytes_per_second storage_link_speed = units::gbit_per_s(400);
  int context_memory_nodes = 0;  ///< context-memory (KV-cache tier) nodes on the fabric
  bytes_per_second context_memory_link_speed = units::gbit_per_s(800);
};

/// The fabric superpod() builds for some options: radix, ports, tiers and switch counts.
struct superpod_info {
  std::string system;        ///< "GB200 NVL72"
  std::string switch_model;  ///< "SN5600"
  hardware::network_protocol protocol = hardware::network_protocol::ethernet;
  int domains = 0;  ///< racks or servers
  int gpus = 0;
  int rails = 0;  ///< compute NICs per domain
  int storage_nodes = 0;
  int context_memory_nodes = 0;
  bytes_per_second nic_speed = 0.0;   ///< per NIC, per direction
  bytes_per_second port_speed = 0.0;  ///< per switch port, per direction
  int radix = 0;                      ///< ports per switch at port_speed
  int ports_per_nic = 1;
  int leaf_down_ports = 0;        ///< ports per leaf for endpoints
  int leaf_up_ports = 0;          ///< 0 for a single-switch fabric
  double oversubscription = 0.0;  ///< leaf_down_ports / leaf_up_ports; 0 for a single switch
  int compute_leaves = 0, storage_leaves = 0, context_memory_leaves = 0;
  int tiers = 0;  ///< 1 = one switch, 2 = leaf-spine, 3 = leaf-spine-core ...
  std::vector<std::int64_t> switches_per_tier;  ///< index 0 = leaves
  int top_parallel_links = 0;  ///< cables from each top switch to each block below it

  /// Switches of all tiers.
  [[nodiscard]] std::int64_t total_switches() const {
    std::int64_t n = 0;
    for (auto s : switches_per_tier) n += s;
    return n;
  }
  /// One line, e.g.
  /// "GB200 NVL72 x8 | SN5600 ethernet, radix 128 x 400 Gb/s, 1:1, 2 tiers (9 leaf + 8 spine)".
  [[nodiscard]] std::string summary() const {
    std::array<char, 32> ratio{};
    std::snprintf(ratio.data(), ratio.size(), "%g:1", oversubscription);
    std::string s =
        system + " x" + std::to_string(domains) + " | " + switch_model +
        (protocol == hardware::network_protocol::infiniband ? " infiniband" : " ethernet") +
        ", radix " + std::to_string(radix) + " x " +
        std::to_string(std::llround(port_speed * 8.0 / 1e9)) + " Gb/s, " +
        (leaf_up_ports > 0 ? std::string(ratio.data()) : std::string("single switch")) + ", " +
        std::to_string(tiers) + (tiers == 1 ? " tier (" : " tiers (");
    for (std::size_t t = 0; t < switches_per_tier.size(); ++t)
      s += (t > 0 ? " + " : "") + std::to_string(switches_per_tier[t]) + " " +
           detail::tier_prefix(static_cast<int>(t) + 1);
    return s + ")";
  }
};

namespace detail {

/// Everything superpod() decides before creating a device.
struct superpod_plan {
  superpod_info info;
  clos_plan clos;
  const hardware::system_spec* system = nullptr;
  bytes_per_second nic_link = 0.0;
  int nics_per_leaf = 0;    ///< c = d / ports_per_nic
  int rails_per_leaf = 0;   ///< when domains <= c: whole rails per leaf, else 0
  int leaves_per_rail = 0;  ///< when domains > c
  int storage_ports = 1, storage_per_leaf = 1, context_ports = 1, context_per_leaf = 1;
  bytes_per_second storage_link = 0.0, context_link = 0.0;
  bool single_switch = false;
};

inline int ports_for(bytes_per_second speed, bytes_per_second port_speed) {
  return static_cast<int>(std::ceil(speed / port_speed - 1e-9));
}

inline superpod_plan plan(const superpod_options& o) {
  const std::string where = "topology::build::superpod";
  require(o.racks >= 1, where, "racks must be at least 1");
  require(std::isfinite(o.oversubscription) && o.oversubscription > 0.0, where,
          "oversubscription must be positive and finite");
  require(o.storage_nodes >= 0 && o.context_memory_nodes >= 0, where, "node counts must be >= 0");
  require(o.storage_link_speed > 0.0 && o.context_memory_link_speed > 0.0 && o.port_speed >= 0.0 &&
              o.radix >= 0,
          where, "speeds must be positive and radix non-negative");
  superpod_plan p;
  p.system = &system_of(o.system);
  const auto& nic = *p.system->nic;
  const bool ib = o.fabric == fabric_kind::quantum_infiniband;
  const std::string model = !o.switch_model.empty()                   ? o.switch_model
                            : !ib                                     ? "SN5600"
                            : nic.line_rate <= units::gbit_per_s(400) ? "QM9700"
                                                                      : "Q3400";
  const auto& sw = hardware::network_switch(model);
  require(sw.protocol ==
              (ib ? hardware::network_protocol::infiniband : hardware::network_protocol::ethernet),
          where, "switch '" + model + "' does not speak the chosen fabric's protocol");

  auto& i = p.info;
  i.system = std::string(p.system->name);
  i.switch_model = model;
  i.protocol = sw.protocol;
  i.domains = o.racks;
  i.rails = p.system->gpus;
  i.gpus = o.racks * p.system->gpus;
  i.storage_nodes = o.storage_nodes;
  i.context_memory_nodes = o.context_memory_nodes;
  i.nic_speed = nic.line_rate;
  i.port_speed = o.port_speed > 0.0               ? o.port_speed
                 : sw.ports_at(nic.line_rate) > 0 ? nic.line_rate
                                                  : sw.port_speed;
  i.radix = o.radix > 0 ? o.radix : sw.ports_at(i.port_speed);
  require(i.radix >= 2, where,
          "switch '" + model + "' has no ports at the chosen port speed; set radix");
  i.ports_per_nic = ports_for(nic.line_rate, i.port_speed);
  p.nic_link = std::min(nic.line_rate, i.ports_per_nic * i.port_speed);
  p.storage_ports = ports_for(o.storage_link_speed, i.port_speed);
  p.storage_link = std::min(o.storage_link_speed, p.storage_ports * i.port_speed);
  p.context_ports = ports_for(o.context_memory_link_speed, i.port_speed);
  p.context_link = std::min(o.context_memory_link_speed, p.context_ports * i.port_speed);

  const std::int64_t endpoint_ports = std::int64_t{i.gpus} * i.ports_per_nic +
                                      std::int64_t{o.storage_nodes} * p.storage_ports +
                                      std::int64_t{o.context_memory_nodes} * p.context_ports;
  if (endpoint_ports <= i.radix) {  // everything on one switch
    p.single_switch = true;
    i.leaf_down_ports = i.radix;
    i.compute_leaves = 1;
    p.clos = plan_clos(1, i.radix, 0);
  } else {
    i.leaf_up_ports = static_cast<int>(
        std::clamp<long long>(std::llround(i.radix / (1.0 + o.oversubscription)), 1, i.radix - 1));
    i.leaf_down_ports = i.radix - i.leaf_up_ports;
    i.oversubscription = static_cast<double>(i.leaf_down_ports) / i.leaf_up_ports;
    p.nics_per_leaf = i.leaf_down_ports / i.ports_per_nic;
    require(p.nics_per_leaf >= 1, where, "a leaf has too few down ports for one NIC");
    if (o.racks <= p.nics_per_leaf) {
      p.rails_per_leaf = p.nics_per_leaf / o.racks;
      i.compute_leaves = (i.rails + p.rails_per_leaf - 1) / p.rails_per_leaf;
    } else {
      p.leaves_per_rail = (o.racks + p.nics_per_leaf - 1) / p.nics_per_leaf;
      i.compute_leaves = i.rails * p.leaves_per_rail;
    }
    p.storage_per_leaf = i.leaf_down_ports / p.storage_ports;
    p.context_per_leaf = i.leaf_down_ports / p.context_ports;
    require(p.storage_per_leaf >= 1 && p.context_per_leaf >= 1, where,
            "a leaf has too few down ports for one storage or context-memory node");
    i.storage_leaves = (o.storage_nodes + p.storage_per_leaf - 1) / p.storage_per_leaf;
    i.context_memory_leaves =
        (o.context_memory_nodes + p.context_per_leaf - 1) / p.context_per_leaf;
    p.clos = plan_clos(i.compute_leaves + i.storage_leaves + i.context_memory_leaves, i.radix,
                       i.leaf_up_ports);
  }
  i.tiers = p.clos.tiers;
  i.switches_per_tier = p.clos.switches;
  i.top_parallel_links = p.clos.top_parallel;
  return p;
}

/// Leaf number of NIC `rail` of domain `domain`.
inline std::int64_t compute_leaf(const superpod_plan& p, int rail, int domain) {
  if (p.single_switch) return 0;
  if (p.rails_per_leaf > 0) return rail / p.rails_per_leaf;
  return std::int64_t{rail} * p.leaves_per_rail + domain / p.nics_per_leaf;
}

}  // namespace detail

/// The fabric superpod(o) would build, without building it (cheap; for planning and reports).
inline superpod_info plan_superpod(const superpod_options& o) { return detail::plan(o).info; }

/// Builds `o.racks` domains of `o.system` ("rack<r>/tray<t>/gpu<j>" for NVL72, "node<r>/gpu<g>" for
/// DGX), storage nodes "storage<i>", context-memory nodes "ctxmem<i>" and the fabric ("leaf<n>",
/// "spine<n>", "core<n>", ...). The topology's name is plan_superpod(o).summary().
inline topology superpod(const superpod_options& o) {
  const detail::superpod_plan p = detail::plan(o);
  const auto& info = p.info;
  const auto& sys = *p.system;
  topology t{info.summary()};
  t.reserve(static_cast<std::size_t>(info.gpus) * 4 + static_cast<std::size_t>(info.storage_nodes + info.context_memory_nodes));

  const bool rack_scale = sys.compute_trays > 1;
  std::vector<device_id> nics;  // domain-major, rail order within a domain
  nics.reserve(static_cast<std::size_t>(info.gpus));
  for (int r = 0; r < o.racks; ++r) {
    const rack_options ro{r, (rack_scale ? "rack" : "node") + std::to_string(r) + "/"};
    const domain_ids ids =
        rack_scale ? detail::add_nvl_rack(t, sys, ro) : detail::add_hgx8(t, sys, ro);
    nics.insert(nics.end(), ids.nics.begin(), ids.nics.end());
  }
  std::vector<device_id> storage;
  std::vector<device_id> context;
  for (int s = 0; s < o.storage_nodes; ++s)
    storage.push_back(
        t.add_device(detail::make_device(device_kind::storage, "storage" + std::to_string(s),
                                         "storage", -1, 1, o.storage_link_speed)));
  for (int s = 0; s < o.context_memory_nodes; ++s)
    context.push_back(
        t.add_device(detail::make_device(device_kind::storage, "ctxmem" + std::to_string(s),
                                         "context-memory", -1, 1, o.context_memory_link_speed)));
  std::vector<device_id> leaves;
  leaves.reserve(static_cast<std::size_t>(info.switches_per_tier.front()));
  for (std::int64_t l = 0; l < info.switches_per_tier.front(); ++l)
    leaves.push_back(
        t.add_device(detail::make_device(device_kind::network_switch, "leaf" + std::to_string(l),
                                         info.switch_model, -1, 1, 0.0, 1)));

  const link nic_link = detail::endpoint_link(info.protocol, p.nic_link,
                                              static_cast<std::uint32_t>(info.ports_per_nic));
  for (int r = 0; r < o.racks; ++r)
    for (int k = 0; k < info.rails; ++k)
      t.add_link(nics[static_cast<std::size_t>(r) * static_cast<std::size_t>(info.rails) +
                      static_cast<std::size_t>(k)],
                 leaves[static_cast<std::size_t>(detail::compute_leaf(p, k, r))], nic_link);
  const auto attach = [&](const std::vector<device_id>& nodes, std::int64_t first_leaf,
                          int per_leaf, bytes_per_second bw, int ports) {
    const link l = detail::endpoint_link(info.protocol, bw, static_cast<std::uint32_t>(ports));
    for (std::size_t s = 0; s < nodes.size(); ++s)
      t.add_link(nodes[s],
                 leaves[static_cast<std::size_t>(
                     p.single_switch ? 0 : first_leaf + static_cast<std::int64_t>(s) / per_leaf)],
                 l);
  };
  attach(storage, info.compute_leaves, p.storage_per_leaf, p.storage_link, p.storage_ports);
  attach(context, std::int64_t{info.compute_leaves} + info.storage_leaves, p.context_per_leaf,
         p.context_link, p.context_ports);

  detail::wire_clos(t, p.clos, leaves, info.switch_model, info.protocol, info.port_speed);
  return t;
}

}  // namespace gpusched::topology::build
