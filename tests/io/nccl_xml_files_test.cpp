// The four real NCCL topology files of tests/data/topologies (see SOURCE.md there).
#include "gpusched/io/nccl_xml.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include <boost/graph/adjacency_list.hpp>

#include "gpusched/topology/router.hpp"
#include "gpusched/topology/validate.hpp"
#include "io_test_support.hpp"

namespace io = gpusched::io;
namespace topo = gpusched::topology;
using gpusched::io::test::contains;
using gpusched::io::test::topology_file;
using topo::device_kind;
using topo::link_kind;

namespace {

std::size_t count_links(const topo::topology& t, link_kind k) {
  std::size_t n = 0;
  for (auto [it, end] = boost::edges(t.graph()); it != end; ++it) n += t.graph()[*it].kind == k;
  return n;
}

const topo::link& link_of(const topo::topology& t, std::string_view a, std::string_view b) {
  auto e = t.link_between(t.id_of(a), t.id_of(b));
  REQUIRE(e.has_value());
  return t[*e];
}

bool any_note(const io::nccl_import& r, std::string_view part) {
  for (const auto& n : r.notes)
    if (contains(n, part)) return true;
  return false;
}

constexpr double gen3_lane = 8e9 * 128.0 / 130.0 / 8.0;
constexpr double gen4_lane = 16e9 * 128.0 / 130.0 / 8.0;
constexpr double gen5_lane = 32e9 * 128.0 / 130.0 / 8.0;

}  // namespace

TEST_CASE("NCCL XML: Azure ND H100 v5 (PCI classes only, no <gpu>/<net>)") {
  const auto r = io::import_nccl_xml(topology_file("azure-ndv5-h100-topo.xml"));
  const auto& t = r.topology;
  CHECK(t.name() == "azure-ndv5-h100-topo");
  CHECK(t.num_gpus() == 8);
  CHECK(t.devices_of(device_kind::nic).size() == 8);
  CHECK(t.devices_of(device_kind::pcie_switch).size() == 8);
  CHECK(t.devices_of(device_kind::cpu).size() == 2);
  CHECK(t.devices_of(device_kind::nvswitch).empty());
  CHECK(t.num_devices() == 26);
  CHECK(t.num_links() == 16 + 8 + 1);  // endpoints to switches, switches to CPUs, CPU to CPU
  // GPU ids follow the file order (no ranks); names are the bus ids.
  CHECK(t[t.gpus()[0]].name == "0001:00:00.0");
  CHECK(t[t.gpus()[3]].name == "0008:00:00.0");
  CHECK(t[t.gpus()[7]].name == "000c:00:00.0");
  CHECK(t[t.gpus()[0]].spec.empty());  // no sm, no PCI device id in the file
  const auto& gpu_link = link_of(t, "ffff:ff:01.0", "0001:00:00.0");
  CHECK(gpu_link.kind == link_kind::pcie5);
  CHECK(gpu_link.count == 16);
  CHECK(gpu_link.bandwidth == doctest::Approx(16 * gen5_lane));
  CHECK(count_links(t, link_kind::cpu_interconnect) == 1);
  // NICs: InfiniBand (class 0x020700), speed assumed = their PCIe link.
  REQUIRE(r.nics.size() == 8);
  for (const auto& nic : r.nics) {
    CHECK(t[nic.device].kind == device_kind::nic);
    CHECK(nic.fabric == link_kind::infiniband);
    CHECK_FALSE(nic.bandwidth_from_file);
    CHECK(nic.bandwidth == doctest::Approx(16 * gen5_lane));
    CHECK(nic.ports.empty());
  }
  CHECK(any_note(r, "GPU given by PCI class only"));
  CHECK(any_note(r, "GPU model unknown"));
  CHECK(any_note(r, "NIC without a <net> speed: assumed its PCIe link bandwidth, 63.02 GB/s"));
  CHECK(any_note(r, "no usable <nvlink>"));
  CHECK(any_note(r, "Sapphire Rapids"));
  CHECK_NOTHROW(topo::validate_connected(t));
}

TEST_CASE("NCCL XML: AWS p5.48xlarge (8 H100, 32 EFA NICs at 100 Gb/s)") {
  const auto r = io::import_nccl_xml(topology_file("aws-p5.48xl-h100-topo.xml"));
  const auto& t = r.topology;
  CHECK(t.num_gpus() == 8);
  CHECK(t.devices_of(device_kind::nic).size() == 32);
  CHECK(t.devices_of(device_kind::pcie_switch).size() == 8);
  CHECK(t.devices_of(device_kind::cpu).size() == 1);
  CHECK(count_links(t, link_kind::cpu_interconnect) == 0);
  for (std::size_t k = 0; k < 8; ++k) CHECK(t[t.gpus()[k]].spec == "H100");  // sm 90
  CHECK(t[t.gpus()[0]].name == "0000:4f:00.0");                              // rank 0
  CHECK(t[t.gpus()[7]].name == "0000:c0:00.0");                              // rank 7
  REQUIRE(r.nics.size() == 32);
  for (const auto& nic : r.nics) {
    CHECK(nic.bandwidth == doctest::Approx(12.5e9));
    CHECK(nic.bandwidth_from_file);
    CHECK(nic.fabric == link_kind::ethernet);
    CHECK(nic.ports.size() == 1);
  }
  CHECK(r.nics.front().ports.front() == "rdmap79s0");
  // Each element's link uses its own rate: GPU Gen5 x16, switch Gen4 x16, NIC Gen4 x8.
  CHECK(link_of(t, "0000:00:00.0", "0000:4f:00.0").kind == link_kind::pcie5);
  CHECK(link_of(t, "0000:00:00.0", "0000:4f:00.0").bandwidth == doctest::Approx(16 * gen5_lane));
  CHECK(link_of(t, "cpu0", "0000:00:00.0").kind == link_kind::pcie4);
  CHECK(link_of(t, "cpu0", "0000:00:00.0").bandwidth == doctest::Approx(16 * gen4_lane));
  CHECK(link_of(t, "0000:00:00.0", "0000:50:00.0").count == 8);
  CHECK(link_of(t, "0000:00:00.0", "0000:50:00.0").bandwidth == doctest::Approx(8 * gen4_lane));
  CHECK_FALSE(any_note(r, "NIC without a <net> speed"));
  CHECK(any_note(r, "no usable <nvlink>"));
  CHECK_NOTHROW(topo::validate_connected(t));
  // Each GPU's 4 EFA NICs sit beside it under its PCIe switch: 4 x 100 Gb/s of scale-out each.
  const topo::router router{t};
  for (auto gpu : t.gpus()) {
    CHECK(router.nics_of(gpu).size() == 4);
    CHECK(router.scale_out_bandwidth(gpu) == doctest::Approx(50e9));
  }
}

TEST_CASE("NCCL XML: AWS p4d.24xlarge (PCI only, Gen3, XML comments)") {
  const auto r = io::import_nccl_xml(topology_file("aws-p4d-24xl-a100-topo.xml"));
  const auto& t = r.topology;
  CHECK(t.num_gpus() == 8);
  CHECK(t.devices_of(device_kind::nic).size() == 4);
  CHECK(t.devices_of(device_kind::pcie_switch).size() == 4);
  CHECK(t.devices_of(device_kind::cpu).size() == 2);
  for (auto [it, end] = boost::edges(t.graph()); it != end; ++it) {
    const auto& l = t.graph()[*it];
    if (l.kind == link_kind::cpu_interconnect) continue;
    CHECK(l.kind == link_kind::pcie3);  // 8 GT/s
    CHECK(l.count == 16);
    CHECK(l.bandwidth == doctest::Approx(16 * gen3_lane));
  }
  // No sm in the file: the generation comes from NVIDIA PCI device id 0x20b0 (A100 SXM4 40GB).
  CHECK(t[t.gpus()[0]].spec == "A100");
  CHECK(any_note(r, "PCI device id 0x20b0"));
  REQUIRE(r.nics.size() == 4);
  CHECK_FALSE(r.nics[0].bandwidth_from_file);
  CHECK(r.nics[0].bandwidth == doctest::Approx(16 * gen3_lane));
  CHECK(any_note(r, "an upper bound"));
  CHECK(any_note(r, "Skylake-SP"));
  CHECK_NOTHROW(topo::validate_connected(t));
  // Two GPUs share each NIC, so each GPU gets half of its (PCIe-bounded) line rate.
  const topo::router router{t};
  CHECK(router.scale_out_bandwidth(t.gpus()[0]) == doctest::Approx(16 * gen3_lane / 2));
  CHECK(t[router.nics_of(t.gpus()[0])[0]].port_bandwidth == doctest::Approx(16 * gen3_lane));
}

TEST_CASE("NCCL XML: Azure NC A100 v4 (self-targeting NVLinks, NIC under the CPU)") {
  const auto r = io::import_nccl_xml(topology_file("azure-ncv4-a100-topo.xml"));
  const auto& t = r.topology;
  CHECK(t.num_gpus() == 4);
  for (auto g : t.gpus()) CHECK(t[g].spec == "A100");  // sm 80
  CHECK(t.devices_of(device_kind::cpu).size() == 4);
  CHECK(count_links(t, link_kind::cpu_interconnect) == 6);  // 4 CPUs, joined pairwise
  // The self-targeting <nvlink> creates no edge at all (and certainly no self loop).
  CHECK(count_links(t, link_kind::nvlink3) == 0);
  for (auto [it, end] = boost::edges(t.graph()); it != end; ++it)
    CHECK(boost::source(*it, t.graph()) != boost::target(*it, t.graph()));
  CHECK(any_note(r, "own bus id ignored (no self-loop)"));
  // link_speed="" and link_width="0" under a CPU: the stated default, Gen4 x16.
  const auto& gpu_link = link_of(t, "cpu0", "0001:00:00.0");
  CHECK(gpu_link.kind == link_kind::pcie4);
  CHECK(gpu_link.count == 16);
  CHECK(any_note(r, "PCIe link_speed and link_width not stated: assumed Gen4 x16"));
  REQUIRE(r.nics.size() == 1);
  CHECK(t[r.nics[0].device].name == "cpu0/nic0");
  CHECK(r.nics[0].bandwidth == doctest::Approx(12.5e9));
  CHECK(r.nics[0].bandwidth_from_file);
  CHECK(r.nics[0].ports == std::vector<std::string>{"eth0"});
  CHECK(link_of(t, "cpu0", "cpu0/nic0").kind == link_kind::pcie4);
  CHECK(any_note(r, "<nic> directly under <cpu>"));
  CHECK_NOTHROW(topo::validate_connected(t));
}
