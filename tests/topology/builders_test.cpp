// Topology builders: device and link counts against the vendors' figures, per-direction link
// bandwidths, rack placement, and superpod fabrics (tier counts, port budgets, rail placement, leaf
// coverage contiguity walked directly, paths through the router).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gpusched/topology/builders.hpp"
#include "gpusched/topology/router.hpp"

namespace topo = gpusched::topology;
namespace build = gpusched::topology::build;
using topo::device_id;
using topo::device_kind;
using topo::link_kind;

namespace {

std::size_t count_kind(const topo::topology& t, device_kind k) { return t.devices_of(k).size(); }

/// Chips behind the vertices of a kind (an aggregated NVSwitch plane counts its `count`).
std::uint64_t chips(const topo::topology& t, device_kind k) {
  std::uint64_t n = 0;
  for (device_id v : t.devices_of(k)) n += t[v].count;
  return n;
}

std::map<link_kind, std::size_t> links_by_kind(const topo::topology& t) {
  std::map<link_kind, std::size_t> out;
  const auto& g = t.graph();
  for (auto [e, end] = boost::edges(g); e != end; ++e) ++out[g[*e].kind];
  return out;
}

/// The links of `v` (with the neighbour) whose kind satisfies `pred`.
template <class Pred>
std::vector<std::pair<device_id, topo::link>> links_of(const topo::topology& t, device_id v,
                                                       Pred pred) {
  std::vector<std::pair<device_id, topo::link>> out;
  const auto& g = t.graph();
  for (auto [e, end] = boost::out_edges(v, g); e != end; ++e)
    if (pred(g[*e].kind)) out.emplace_back(static_cast<device_id>(boost::target(*e, g)), g[*e]);
  return out;
}

std::vector<std::string> names(const topo::topology& t, const topo::route& r) {
  std::vector<std::string> out;
  for (auto v : r.devices) out.push_back(t[v].name);
  return out;
}

/// Checks every GPU: one NVLink edge of `bandwidth` per direction over `count` links, to the plane.
void check_gpu_nvlinks(const topo::topology& t, link_kind kind, double bandwidth,
                       std::uint32_t count) {
  for (device_id gpu : t.gpus()) {
    const auto nv = links_of(t, gpu, topo::is_nvlink);
    REQUIRE(nv.size() == 1);
    CHECK(t[nv[0].first].kind == device_kind::nvswitch);
    CHECK(nv[0].second.kind == kind);
    CHECK(nv[0].second.bandwidth == bandwidth);
    CHECK(nv[0].second.count == count);
  }
}

/// Checks the NIC of every GPU: exactly one, by PCIe of `pcie_kind`, with `line_rate` recorded.
void check_gpu_nics(const topo::topology& t, link_kind pcie_kind, double line_rate) {
  for (device_id gpu : t.gpus()) {
    const auto to_nic = links_of(t, gpu, [](link_kind) { return true; });
    const auto n = std::count_if(to_nic.begin(), to_nic.end(), [&](const auto& x) {
      return t[x.first].kind == device_kind::nic;
    });
    CHECK(n == 1);
    for (const auto& [nic, l] : to_nic) {
      if (t[nic].kind != device_kind::nic) continue;
      CHECK(l.kind == pcie_kind);
      CHECK(l.bandwidth > line_rate);  // the host link never throttles the NIC
      CHECK(t[nic].port_bandwidth == line_rate);
    }
  }
}

// --- Fabric properties the router relies on ------------------------------------------------------

struct fabric_view {
  std::vector<device_id> leaves;  // in id (= creation) order
  std::map<device_id, int> leaf_number;
  std::map<device_id, std::vector<int>> covered;  // leaves reachable going down, sorted
  int top_tier = 0;
};

fabric_view walk_fabric(const topo::topology& t) {
  fabric_view f;
  const auto& g = t.graph();
  for (device_id v : t.devices_of(device_kind::network_switch)) {
    f.top_tier = std::max(f.top_tier, t[v].tier);
    if (t[v].tier == 1) {
      f.leaf_number[v] = static_cast<int>(f.leaves.size());
      f.leaves.push_back(v);
    }
  }
  // Walk down from every switch, tier by tier.
  for (int tier = 1; tier <= f.top_tier; ++tier)
    for (device_id v : t.devices_of(device_kind::network_switch)) {
      if (t[v].tier != tier) continue;
      std::vector<int> cov;
      if (tier == 1) cov.push_back(f.leaf_number[v]);
      for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
        const auto u = static_cast<device_id>(boost::target(*e, g));
        if (t[u].kind == device_kind::network_switch && t[u].tier == tier - 1)
          cov.insert(cov.end(), f.covered[u].begin(), f.covered[u].end());
      }
      std::sort(cov.begin(), cov.end());
      cov.erase(std::unique(cov.begin(), cov.end()), cov.end());
      f.covered[v] = std::move(cov);
    }
  return f;
}

/// Every property of a proper folded Clos the router's up-down routing needs, plus port budgets.
void check_fabric(const topo::topology& t, int radix) {
  const fabric_view f = walk_fabric(t);
  const auto& g = t.graph();
  const int all = static_cast<int>(f.leaves.size());
  for (device_id v : t.devices_of(device_kind::network_switch)) {
    const auto& cov = f.covered.at(v);
    REQUIRE_FALSE(cov.empty());
    // Contiguous coverage.
    CHECK(cov.back() - cov.front() + 1 == static_cast<int>(cov.size()));
    // Port budget, counting aggregated cables.
    std::uint64_t ports = 0;
    bool has_up = false;
    for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
      CHECK(topo::is_network(g[*e].kind));
      ports += g[*e].count;
      const auto u = static_cast<device_id>(boost::target(*e, g));
      if (t[u].kind != device_kind::network_switch) {
        CHECK(t[v].tier == 1);  // endpoints hang off leaves only
        continue;
      }
      CHECK(std::abs(t[u].tier - t[v].tier) == 1);
      if (t[u].tier == t[v].tier + 1) {
        has_up = true;
        // Any uplink leads to a switch covering at least as much.
        const auto& up = f.covered.at(u);
        CHECK(std::includes(up.begin(), up.end(), cov.begin(), cov.end()));
      }
    }
    CHECK(ports <= static_cast<std::uint64_t>(radix));
    if (t[v].tier == f.top_tier) {
      CHECK(static_cast<int>(cov.size()) == all);  // the top covers every leaf
    } else {
      CHECK(has_up);
    }
  }
  // Every NIC, storage node: exactly one network link, to a leaf.
  for (auto kind : {device_kind::nic, device_kind::storage})
    for (device_id v : t.devices_of(kind)) {
      const auto net = links_of(t, v, topo::is_network);
      REQUIRE(net.size() == 1);
      CHECK(t[net[0].first].tier == 1);
    }
}

std::vector<int> tiers_along(const topo::topology& t, const topo::route& r) {
  std::vector<int> out;
  for (auto v : r.devices)
    if (t[v].kind == device_kind::network_switch) out.push_back(t[v].tier);
  return out;
}

}  // namespace

// --- Single domains ------------------------------------------------------------------------------

TEST_CASE("DGX H100: 8 GPUs on one 4-chip NVSwitch plane, 8 ConnectX-7, 2 CPUs") {
  const auto t = build::dgx_h100();
  CHECK(t.name() == "DGX H100");
  CHECK(t.num_gpus() == 8);
  CHECK(count_kind(t, device_kind::nvswitch) == 1);
  CHECK(chips(t, device_kind::nvswitch) == 4);
  CHECK(count_kind(t, device_kind::nic) == 8);
  CHECK(count_kind(t, device_kind::cpu) == 2);
  CHECK(count_kind(t, device_kind::dpu) == 0);
  CHECK(count_kind(t, device_kind::network_switch) == 0);
  const auto links = links_by_kind(t);
  CHECK(links.at(link_kind::nvlink4) == 8);
  CHECK(links.at(link_kind::pcie5) == 16);  // GPU-CPU and GPU-NIC
  CHECK(links.at(link_kind::cpu_interconnect) == 1);
  CHECK(t.num_links() == 25);
  check_gpu_nvlinks(t, link_kind::nvlink4, 450e9, 18);
  check_gpu_nics(t, link_kind::pcie5, 50e9);
  CHECK(t[t.id_of("gpu0")].spec == "H100-SXM");
  CHECK(t[t.id_of("nic3")].spec == "ConnectX-7");
  CHECK(t.link_between(t.id_of("gpu3"), t.id_of("cpu0")).has_value());
  CHECK(t.link_between(t.id_of("gpu4"), t.id_of("cpu1")).has_value());
  CHECK_FALSE(t.link_between(t.id_of("gpu4"), t.id_of("cpu0")).has_value());
  CHECK(t[*t.link_between(t.id_of("gpu0"), t.id_of("nic0"))].count == 16);
  for (device_id v = 0; v < t.num_devices(); ++v) CHECK(t[v].rack == 0);
}

TEST_CASE("DGX H100 through the router: GPU0 -> GPU7 at 450 GB/s over 2 hops") {
  const auto t = build::dgx_h100();
  const topo::router r{t};
  const auto p = r.path(t.id_of("gpu0"), t.id_of("gpu7"));
  CHECK(p.hops() == 2);
  CHECK(p.bandwidth == 450e9);
  CHECK(p.latency == doctest::Approx(0.2e-6));
  CHECK(names(t, p) == std::vector<std::string>{"gpu0", "nvswitch-plane", "gpu7"});
  CHECK(r.scale_up_bandwidth(t.id_of("gpu5")) == 450e9);
  CHECK(r.scale_out_bandwidth(t.id_of("gpu5")) == 50e9);
}

TEST_CASE("DGX B200: 2 NVLink 5 switch chips, 900 GB/s per GPU each way, 2 BlueField-3") {
  const auto t = build::dgx_b200();
  CHECK(t.num_gpus() == 8);
  CHECK(chips(t, device_kind::nvswitch) == 2);
  CHECK(count_kind(t, device_kind::nic) == 8);
  CHECK(count_kind(t, device_kind::cpu) == 2);
  CHECK(count_kind(t, device_kind::dpu) == 2);
  CHECK(t.num_links() == 8 + 16 + 1 + 2);
  check_gpu_nvlinks(t, link_kind::nvlink5, 900e9, 18);
  check_gpu_nics(t, link_kind::pcie5, 50e9);
  CHECK(t[t.id_of("dpu1")].port_bandwidth == 50e9);
  CHECK(t.link_between(t.id_of("dpu1"), t.id_of("cpu1")).has_value());
}

TEST_CASE("GB200 NVL72: 18 trays of 2 Grace + 4 GPUs, 18 switch chips, 72 CX-7, 36 BlueField-3") {
  const auto t = build::gb200_nvl72();
  CHECK(t.num_gpus() == 72);
  CHECK(count_kind(t, device_kind::cpu) == 36);
  CHECK(count_kind(t, device_kind::nvswitch) == 1);
  CHECK(chips(t, device_kind::nvswitch) == 18);
  CHECK(count_kind(t, device_kind::nic) == 72);
  CHECK(count_kind(t, device_kind::dpu) == 36);
  const auto links = links_by_kind(t);
  CHECK(links.at(link_kind::nvlink5) == 72);
  CHECK(links.at(link_kind::nvlink_c2c) == 72);
  CHECK(links.at(link_kind::pcie5) == 72 + 36);
  CHECK(t.num_links() == 252);
  check_gpu_nvlinks(t, link_kind::nvlink5, 900e9, 18);
  check_gpu_nics(t, link_kind::pcie5, 50e9);
  // Each Grace serves two GPUs over C2C at 450 GB/s each way.
  for (device_id cpu : t.devices_of(device_kind::cpu)) {
    const auto c2c = links_of(t, cpu, [](link_kind k) { return k == link_kind::nvlink_c2c; });
    CHECK(c2c.size() == 2);
    for (const auto& [gpu, l] : c2c) CHECK(l.bandwidth == 450e9);
    CHECK(t[cpu].spec == "Grace");
  }
  CHECK(t.link_between(t.id_of("tray3/gpu1"), t.id_of("tray3/cpu0")).has_value());
  CHECK(t.link_between(t.id_of("tray3/gpu2"), t.id_of("tray3/cpu1")).has_value());
  CHECK(t.link_between(t.id_of("tray17/dpu1"), t.id_of("tray17/cpu1")).has_value());
  const topo::router r{t};
  const auto p = r.path(t.id_of("tray0/gpu0"), t.id_of("tray17/gpu3"));
  CHECK(p.hops() == 2);
  CHECK(p.bandwidth == 900e9);
}

TEST_CASE("GB300 NVL72: ConnectX-8 at 800 Gb/s over PCIe Gen6, one BlueField-3 per tray") {
  const auto t = build::gb300_nvl72();
  CHECK(t.num_gpus() == 72);
  CHECK(chips(t, device_kind::nvswitch) == 18);
  CHECK(count_kind(t, device_kind::nic) == 72);
  CHECK(count_kind(t, device_kind::dpu) == 18);
  CHECK(t.num_links() == 72 * 3 + 18);
  check_gpu_nvlinks(t, link_kind::nvlink5, 900e9, 18);
  check_gpu_nics(t, link_kind::pcie6, 100e9);
  CHECK(t[t.gpus()[0]].spec == "GB300");
}

TEST_CASE(
    "Vera Rubin NVL72 (preliminary): NVLink 6 at 1.8 TB/s each way, ConnectX-9, BlueField-4") {
  const auto t = build::vera_rubin_nvl72();
  CHECK(t.num_gpus() == 72);
  CHECK(count_kind(t, device_kind::cpu) == 36);
  CHECK(count_kind(t, device_kind::nic) == 72);
  CHECK(count_kind(t, device_kind::dpu) == 18);
  check_gpu_nvlinks(t, link_kind::nvlink6, 1.8e12, 1);  // links per GPU unpublished: one aggregate
  check_gpu_nics(t, link_kind::pcie6, 200e9);
  for (device_id cpu : t.devices_of(device_kind::cpu))
    for (const auto& [gpu, l] :
         links_of(t, cpu, [](link_kind k) { return k == link_kind::nvlink_c2c; }))
      CHECK(l.bandwidth == 900e9);
  CHECK(t[t.devices_of(device_kind::dpu).front()].spec == "BlueField-4");
}

TEST_CASE("add_* builders place a domain in a rack, with a prefix, NICs in rail order") {
  topo::topology t{"two racks"};
  const auto a = build::add_gb200_nvl72(t, {0, "rack0/"});
  const auto b = build::add_gb200_nvl72(t, {3, "rack3/"});
  CHECK(t.num_gpus() == 144);
  REQUIRE(b.nics.size() == 72);
  REQUIRE(b.gpus.size() == 72);
  for (std::size_t k = 0; k < 72; ++k) {
    const std::string tray = "rack3/tray" + std::to_string(k / 4) + "/";
    CHECK(t[b.gpus[k]].name == tray + "gpu" + std::to_string(k % 4));
    CHECK(t[b.nics[k]].name == tray + "nic" + std::to_string(k % 4));
    CHECK(t.link_between(b.gpus[k], b.nics[k]).has_value());
  }
  CHECK(t[b.nvswitch_plane].name == "rack3/nvswitch-plane");
  CHECK(a.nvswitch_plane != b.nvswitch_plane);
  for (device_id v : b.gpus) CHECK(t[v].rack == 3);
  for (device_id v : b.cpus) CHECK(t[v].rack == 3);
  for (device_id v : b.dpus) CHECK(t[v].rack == 3);
  for (device_id v : a.nics) CHECK(t[v].rack == 0);
  const auto c = build::add_dgx_h100(t, {7, "node7/"});
  CHECK(t[c.gpus[5]].name == "node7/gpu5");
  CHECK(t[c.nvswitch_plane].rack == 7);
  CHECK_THROWS_AS(build::add_dgx_h100(t, {8, "node7/"}), gpusched::error);  // duplicate names
}

// --- Superpods -----------------------------------------------------------------------------------

TEST_CASE("superpod: 8 GB200 NVL72 racks on Spectrum-X, SN5600 as 128 x 400 GbE, 2 tiers") {
  build::superpod_options o;  // defaults: GB200 NVL72 x8, Spectrum-X, 1:1
  const auto info = build::plan_superpod(o);
  CHECK(info.switch_model == "SN5600");
  CHECK(info.radix == 128);
  CHECK(info.port_speed == 50e9);
  CHECK(info.ports_per_nic == 1);
  CHECK(info.leaf_down_ports == 64);
  CHECK(info.leaf_up_ports == 64);
  CHECK(info.oversubscription == 1.0);
  // 64 NICs per leaf = 8 whole rails of 8 racks each -> 72 / 8 = 9 leaves; each leaf's 64 uplinks
  // go 8 at a time to 8 spines (9 x 8 = 72 <= 128 ports per spine).
  CHECK(info.tiers == 2);
  CHECK(info.switches_per_tier == std::vector<std::int64_t>{9, 8});
  CHECK(info.top_parallel_links == 8);

  const auto t = build::superpod(o);
  CHECK(t.name() == info.summary());
  CHECK(t.num_gpus() == 576);
  CHECK(chips(t, device_kind::nvswitch) == 8 * 18);
  CHECK(count_kind(t, device_kind::nic) == 576);
  CHECK(count_kind(t, device_kind::network_switch) == 17);
  check_fabric(t, info.radix);
  for (device_id nic : t.devices_of(device_kind::nic)) {
    const auto net = links_of(t, nic, topo::is_network);
    CHECK(net[0].second.bandwidth == 50e9);
    CHECK(net[0].second.kind == link_kind::ethernet);
  }
  // Rail-optimized: NIC k of every rack is on leaf k / 8.
  for (int rack : {0, 5, 7})
    for (int k : {0, 7, 8, 71}) {
      const std::string nic = "rack" + std::to_string(rack) + "/tray" + std::to_string(k / 4) +
                              "/nic" + std::to_string(k % 4);
      CHECK(links_of(t, t.id_of(nic), topo::is_network)[0].first ==
            t.id_of("leaf" + std::to_string(k / 8)));
    }
  // Leaf-spine bundles: 8 cables of 400 Gb/s = 400 GB/s each way.
  const auto up = links_of(t, t.id_of("leaf0"), topo::is_network);
  CHECK(std::count_if(up.begin(), up.end(), [](const auto& x) { return x.second.count == 8; }) ==
        8);
}

TEST_CASE("superpod paths: same rail across racks stays on its leaf; other rails cross a spine") {
  const auto t = build::superpod({});
  const topo::router r{t};
  CHECK(r.fabric_is_structured());
  const auto same_rail = r.path(t.id_of("rack0/tray0/gpu0"), t.id_of("rack7/tray0/gpu0"));
  CHECK(names(t, same_rail) == std::vector<std::string>{"rack0/tray0/gpu0", "rack0/tray0/nic0",
                                                        "leaf0", "rack7/tray0/nic0",
                                                        "rack7/tray0/gpu0"});
  CHECK(same_rail.bandwidth == 50e9);
  // 2 PCIe hops + 2 x (NIC + half an Ethernet switch + cable).
  CHECK(same_rail.latency == doctest::Approx(2 * 0.15e-6 + 2 * (0.5e-6 + 0.25e-6 + 0.05e-6)));
  const auto cross = r.path(t.id_of("rack0/tray0/gpu0"), t.id_of("rack6/tray17/gpu3"));
  CHECK(cross.hops() == 6);
  CHECK(tiers_along(t, cross) == std::vector<int>{1, 2, 1});
  CHECK(t[cross.devices[1]].name == "rack0/tray0/nic0");
  CHECK(t[cross.devices[4]].name == "leaf8");  // rail 71 -> leaf 71 / 8
  CHECK(t[cross.devices[5]].name == "rack6/tray17/nic3");
  CHECK(cross.bandwidth == 50e9);  // the NIC is the bottleneck
  // Inside a rack NVLink wins.
  CHECK(r.path(t.id_of("rack2/tray0/gpu0"), t.id_of("rack2/tray9/gpu1")).bandwidth == 900e9);
}

TEST_CASE("superpod on Quantum InfiniBand: QM9700 for 400G NICs, Q3400 for 800G and faster") {
  build::superpod_options o;
  o.fabric = build::fabric_kind::quantum_infiniband;
  auto info = build::plan_superpod(o);
  CHECK(info.switch_model == "QM9700");
  CHECK(info.radix == 64);
  // 32 NICs per leaf = 4 rails x 8 racks -> 18 leaves; 32 uplinks in bundles of 2 -> 16 spines.
  CHECK(info.switches_per_tier == std::vector<std::int64_t>{18, 16});
  const auto t = build::superpod(o);
  check_fabric(t, info.radix);
  CHECK(links_by_kind(t).at(link_kind::infiniband) == 576 + 18 * 16);

  o.system = build::system_kind::vera_rubin_nvl72;  // 1.6 Tb/s ConnectX-9 on 800G XDR ports
  info = build::plan_superpod(o);
  CHECK(info.switch_model == "Q3400");
  CHECK(info.radix == 144);
  CHECK(info.ports_per_nic == 2);
  // 72 down ports = 36 NICs = 4 rails x 8 racks -> 18 leaves; 72 uplinks in bundles of 8 -> 9
  // spines.
  CHECK(info.switches_per_tier == std::vector<std::int64_t>{18, 9});
  const auto rubin = build::superpod(o);
  check_fabric(rubin, info.radix);
  const auto nic_link = links_of(rubin, rubin.id_of("rack1/tray2/nic3"), topo::is_network);
  CHECK(nic_link[0].second.count == 2);
  CHECK(nic_link[0].second.bandwidth == 200e9);

  o.system = build::system_kind::gb300_nvl72;
  o.fabric = build::fabric_kind::spectrum_x;  // SN5600 at its native 800 GbE
  info = build::plan_superpod(o);
  CHECK(info.radix == 64);
  CHECK(info.port_speed == 100e9);
  CHECK(info.switches_per_tier == std::vector<std::int64_t>{18, 16});
  const auto gb300 = build::superpod(o);
  const topo::router r{gb300};
  CHECK(r.path(gb300.id_of("rack0/tray0/gpu0"), gb300.id_of("rack3/tray5/gpu2")).bandwidth ==
        100e9);
}

TEST_CASE("superpod tiers match NVIDIA's DGX SuperPOD B200 tables (QM9700, 8 rails per node)") {
  build::superpod_options o;
  o.system = build::system_kind::dgx_b200;
  o.fabric = build::fabric_kind::quantum_infiniband;
  // DGX SuperPOD B200 RA, "larger SuperPOD component counts": nodes -> leaf, spine, core switches.
  const std::vector<std::pair<int, std::vector<std::int64_t>>> table = {
      {64, {16, 8}},         {128, {32, 16}},         {256, {64, 32}},
      {512, {128, 128, 64}}, {1024, {256, 256, 128}}, {2048, {512, 512, 256}}};
  for (const auto& [nodes, switches] : table) {
    o.racks = nodes;
    CHECK(build::plan_superpod(o).switches_per_tier == switches);
  }
  o.racks = 64;
  const auto t = build::superpod(o);
  CHECK(t.num_gpus() == 512);
  CHECK(count_kind(t, device_kind::network_switch) == 24);
  check_fabric(t, 64);
  CHECK(t[t.id_of("node63/gpu7")].rack == 63);
}

TEST_CASE("superpod with a stated radix: 3 tiers computed and routed up-down") {
  build::superpod_options o;
  o.radix = 16;  // SN5600 ports at 400G, but only 16 per switch
  // k = 16: 8 NICs per leaf = one rail of 8 racks -> 72 leaves > 16, so 3 tiers: pods of 8 leaves
  // (9 pods) with 8 spines each = 72 spines; the 9 pods meet at 8 x 8 / 1 = 64 cores.
  const auto info = build::plan_superpod(o);
  CHECK(info.tiers == 3);
  CHECK(info.switches_per_tier == std::vector<std::int64_t>{72, 72, 64});
  const auto t = build::superpod(o);
  check_fabric(t, 16);
  const topo::router r{t};
  CHECK(r.fabric_is_structured());
  // Rail 0 (leaf 0, pod 0) to rail 71 (leaf 71, pod 8): leaf, spine, core, spine, leaf.
  const auto p = r.path(t.id_of("rack0/tray0/gpu0"), t.id_of("rack4/tray17/gpu3"));
  CHECK(tiers_along(t, p) == std::vector<int>{1, 2, 3, 2, 1});
  CHECK(p.hops() == 8);
  CHECK(p.bandwidth == 50e9);
  // Rail 1 (leaf 1) to rail 2 (leaf 2) in the same pod turn at a spine.
  CHECK(tiers_along(t, r.path(t.id_of("rack0/tray0/gpu1"), t.id_of("rack1/tray0/gpu2"))) ==
        std::vector<int>{1, 2, 1});
}

TEST_CASE("superpod oversubscription, single-switch fabrics and option errors") {
  build::superpod_options o;
  o.fabric = build::fabric_kind::quantum_infiniband;
  o.oversubscription = 3.0;  // QM9700: 48 down, 16 up
  auto info = build::plan_superpod(o);
  CHECK(info.leaf_down_ports == 48);
  CHECK(info.leaf_up_ports == 16);
  CHECK(info.oversubscription == 3.0);
  // 48 NICs per leaf = 6 rails x 8 racks -> 12 leaves; 16 uplinks in bundles of 4 -> 4 spines.
  CHECK(info.switches_per_tier == std::vector<std::int64_t>{12, 4});
  check_fabric(build::superpod(o), 64);

  o = {};
  o.system = build::system_kind::dgx_h100;
  o.fabric = build::fabric_kind::quantum_infiniband;
  o.racks = 4;  // 32 NICs fit one 64-port switch
  info = build::plan_superpod(o);
  CHECK(info.tiers == 1);
  CHECK(info.switches_per_tier == std::vector<std::int64_t>{1});
  const auto one = build::superpod(o);
  check_fabric(one, 64);
  const topo::router r{one};
  const auto p = r.path(one.id_of("node0/gpu0"), one.id_of("node3/gpu5"));
  CHECK(names(one, p) ==
        std::vector<std::string>{"node0/gpu0", "node0/nic0", "leaf0", "node3/nic5", "node3/gpu5"});

  o = {};
  o.racks = 0;
  CHECK_THROWS_AS(build::plan_superpod(o), gpusched::error);
  o = {};
  o.fabric = build::fabric_kind::quantum_infiniband;
  o.switch_model = "SN5600";  // Ethernet switch on an InfiniBand fabric
  CHECK_THROWS_AS(build::plan_superpod(o), gpusched::error);
  o = {};
  o.switch_model = "Tomahawk";
  CHECK_THROWS_AS(build::plan_superpod(o), gpusched::error);
  o = {};
  o.oversubscription = 0.0;
  CHECK_THROWS_AS(build::plan_superpod(o), gpusched::error);
}

TEST_CASE("superpod storage and context-memory nodes get leaves of their own") {
  build::superpod_options o;
  o.storage_nodes = 100;        // 400G: 64 per leaf -> 2 leaves
  o.context_memory_nodes = 10;  // 800G = 2 x 400G ports: 32 per leaf -> 1 leaf
  const auto info = build::plan_superpod(o);
  CHECK(info.compute_leaves == 9);
  CHECK(info.storage_leaves == 2);
  CHECK(info.context_memory_leaves == 1);
  CHECK(info.switches_per_tier.front() == 12);
  const auto t = build::superpod(o);
  check_fabric(t, info.radix);
  CHECK(count_kind(t, device_kind::storage) == 110);
  const auto leaf_of = [&](const std::string& n) {
    return t[links_of(t, t.id_of(n), topo::is_network)[0].first].name;
  };
  CHECK(leaf_of("storage0") == "leaf9");
  CHECK(leaf_of("storage63") == "leaf9");
  CHECK(leaf_of("storage64") == "leaf10");
  CHECK(leaf_of("ctxmem9") == "leaf11");
  const auto ctx = links_of(t, t.id_of("ctxmem0"), topo::is_network)[0].second;
  CHECK(ctx.count == 2);
  CHECK(ctx.bandwidth == 100e9);
  CHECK(t[t.id_of("ctxmem0")].spec == "context-memory");
  const topo::router r{t};
  const auto p = r.path(t.id_of("rack3/tray4/gpu2"), t.id_of("storage70"));
  CHECK(tiers_along(t, p) == std::vector<int>{1, 2, 1});
  CHECK(p.bandwidth == 50e9);
}

TEST_CASE("superpod of 64 GB200 NVL72 racks (4,608 GPUs) builds and routes") {
  build::superpod_options o;
  o.racks = 64;
  const auto info = build::plan_superpod(o);
  // 64 NICs per leaf = one rail of 64 racks -> 72 leaves; 64 uplinks, 1 per spine -> 64 spines.
  CHECK(info.switches_per_tier == std::vector<std::int64_t>{72, 64});
  const auto t = build::superpod(o);
  CHECK(t.num_gpus() == 4608);
  CHECK(count_kind(t, device_kind::network_switch) == 136);
  CHECK(count_kind(t, device_kind::nic) == 4608);
  check_fabric(t, info.radix);
  const topo::router r{t};
  const auto p = r.path(t.id_of("rack0/tray0/gpu0"), t.id_of("rack63/tray17/gpu3"));
  CHECK(tiers_along(t, p) == std::vector<int>{1, 2, 1});
  CHECK(p.bandwidth == 50e9);
}

TEST_CASE("1,000-rack plans need 3 tiers of SN5600 at 400G and 4 of QM9700") {
  build::superpod_options o;
  o.racks = 1000;  // 72,000 GPUs; the build itself is timed in benchmarks/topology
  auto info = build::plan_superpod(o);
  // k = 128: 1000 racks / 64 per leaf = 16 leaves per rail x 72 rails = 1152 leaves > 128;
  // pods of 64 leaves -> 18 pods x 64 spines; 18 pods x 64 ports meet at 64 x 64 / 4 = 1024 cores.
  CHECK(info.switches_per_tier == std::vector<std::int64_t>{1152, 1152, 1024});
  o.fabric = build::fabric_kind::quantum_infiniband;
  info = build::plan_superpod(o);
  CHECK(info.tiers == 4);
  CHECK(info.switches_per_tier.front() == 72 * 32);  // ceil(1000 / 32) leaves per rail
}
