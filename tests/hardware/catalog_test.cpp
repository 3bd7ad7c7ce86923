// Hardware catalog: vendor figures converted to per-direction bytes/s exactly once, per-link rates
// consistent with per-GPU totals, lookups that name what is unknown, preliminary entries flagged.
// Expected values are written out from the vendors' own numbers, not read back from the catalog.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "gpusched/hardware.hpp"

namespace hw = gpusched::hardware;
using gpusched::number_format;

namespace {
std::string message_of(auto&& f) {
  try {
    f();
  } catch (const gpusched::error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("NVLink per GPU is the vendor's bidirectional figure halved") {
  CHECK(hw::gpu("H100-SXM").nvlink_bandwidth == 450e9);  // "900 GB/s"
  CHECK(hw::gpu("H200").nvlink_bandwidth == 450e9);
  CHECK(hw::gpu("H800").nvlink_bandwidth == 200e9);  // "400 GB/s"
  CHECK(hw::gpu("B200").nvlink_bandwidth == 900e9);  // "1.8 TB/s"
  CHECK(hw::gpu("GB200").nvlink_bandwidth == 900e9);
  CHECK(hw::gpu("B300").nvlink_bandwidth == 900e9);
  CHECK(hw::gpu("GB300").nvlink_bandwidth == 900e9);
  CHECK(hw::gpu("Rubin").nvlink_bandwidth == 1.8e12);  // "3.6 TB/s"
}

TEST_CASE("per-link NVLink rates times the link count give the per-GPU totals") {
  CHECK(hw::links::nvlink3_per_link == 25e9);
  CHECK(hw::links::nvlink4_per_link == 25e9);
  CHECK(hw::links::nvlink5_per_link == 50e9);
  CHECK(18 * hw::links::nvlink4_per_link == hw::gpus::h100_sxm.nvlink_bandwidth);
  CHECK(18 * hw::links::nvlink5_per_link == hw::gpus::gb200.nvlink_bandwidth);
  CHECK(hw::gpus::h100_sxm.nvlink_links == 18);
  CHECK(hw::gpus::gb300.nvlink_links == 18);
  CHECK_FALSE(hw::links::nvlink_per_link(6).has_value());
  CHECK_FALSE(hw::gpus::rubin.nvlink_links.has_value());
  CHECK(hw::links::nvlink6_per_gpu == hw::gpus::rubin.nvlink_bandwidth);
}

TEST_CASE("NVLink-C2C and PCIe rates per direction") {
  CHECK(hw::links::grace_c2c == 450e9);
  CHECK(hw::links::vera_c2c == 900e9);
  CHECK(hw::links::pcie3_lane == doctest::Approx(0.985e9).epsilon(1e-3));
  CHECK(hw::links::pcie4_lane == doctest::Approx(1.969e9).epsilon(1e-3));
  CHECK(hw::links::pcie5_lane == doctest::Approx(3.938e9).epsilon(1e-3));
  CHECK(hw::links::pcie6_lane == doctest::Approx(7.5625e9).epsilon(1e-9));  // 8 GB/s x 242/256
  CHECK(hw::links::pcie(5, 16) == doctest::Approx(63.015e9).epsilon(1e-4));
  CHECK(hw::links::pcie(4, 8) == doctest::Approx(8 * 1.969e9).epsilon(1e-3));
  CHECK_THROWS_AS((void)hw::links::pcie_lane(7), gpusched::error);
  CHECK_THROWS_AS((void)hw::links::pcie(5, 0), gpusched::error);
  static_assert(hw::links::pcie(5, 16) > 63e9, "usable in constant expressions");
}

TEST_CASE("NIC line rates are vendor Gb/s divided by 8") {
  CHECK(hw::nic("ConnectX-7").line_rate == 50e9);    // 400 Gb/s
  CHECK(hw::nic("ConnectX-8").line_rate == 100e9);   // 800 Gb/s
  CHECK(hw::nic("ConnectX-9").line_rate == 200e9);   // 1.6 Tb/s
  CHECK(hw::nic("BlueField-3").line_rate == 50e9);   // 400 Gb/s
  CHECK(hw::nic("BlueField-4").line_rate == 100e9);  // 800 Gb/s
  CHECK(hw::nic("EFA").line_rate == 12.5e9);         // 100 Gb/s
  CHECK(hw::nic("ConnectX-9").preliminary);
  CHECK(hw::nic("BlueField-4").preliminary);
  CHECK_FALSE(hw::nic("ConnectX-7").preliminary);
  CHECK(hw::nic("BlueField-3").is_dpu);
  // Every modelled host link carries its NIC at full rate.
  for (const auto& n : hw::all_nics)
    if (n.pcie_lanes > 0) CHECK(hw::links::pcie(n.pcie_generation, n.pcie_lanes) > n.line_rate);
}

TEST_CASE("memory and dense compute figures") {
  const auto& h100 = hw::gpu("H100-SXM");
  CHECK(h100.hbm_capacity == 80e9);
  CHECK(h100.hbm_bandwidth == 3.35e12);
  CHECK(h100.peak_flops(number_format::fp8_e4m3) == 1.979e15);  // 3,958 sparse / 2
  CHECK(h100.peak_flops(number_format::fp8_e5m2) == 1.979e15);
  CHECK(h100.peak_flops(number_format::bf16) == 989.5e12);
  CHECK(h100.peak_flops(number_format::fp16) == 989.5e12);
  CHECK_FALSE(h100.peak_flops(number_format::nvfp4).has_value());  // Hopper has no FP4
  CHECK_FALSE(h100.peak_flops(number_format::fp32).has_value());   // not tracked
  CHECK(hw::gpu("H200").hbm_capacity == 141e9);
  CHECK(hw::gpu("H200").hbm_bandwidth == 4.8e12);
  CHECK(hw::gpu("B200").peak_flops(number_format::nvfp4) == 9e15);
  CHECK(hw::gpu("B200").peak_flops(number_format::mxfp4) == 9e15);
  CHECK(hw::gpu("GB200").peak_flops(number_format::fp8_e4m3) == 5e15);
  CHECK(hw::gpu("GB300").peak_flops(number_format::nvfp4) == 15e15);
  CHECK(hw::gpu("GB300").hbm_capacity == 288e9);
  CHECK(hw::gpu("GB200").tdp_watts == 1200.0);
  CHECK(hw::gpu("GB300").tdp_watts == 1400.0);
  // Rack totals NVIDIA quotes for GB200 NVL72: 13.4 TB HBM and 130 TB/s NVLink (bidirectional).
  CHECK(72 * hw::gpu("GB200").hbm_capacity == doctest::Approx(13.4e12).epsilon(0.01));
  CHECK(72 * 2 * hw::gpu("GB200").nvlink_bandwidth == doctest::Approx(130e12).epsilon(0.01));
}

TEST_CASE("Rubin is preliminary, with unknown FP8 and BF16") {
  const auto& rubin = hw::gpu("Rubin");
  CHECK(rubin.preliminary);
  CHECK_FALSE(rubin.peak_flops(number_format::fp8_e4m3).has_value());
  CHECK_FALSE(rubin.peak_flops(number_format::bf16).has_value());
  CHECK_FALSE(rubin.tdp_watts.has_value());
  CHECK(rubin.peak_flops(number_format::nvfp4) == 50e15);
  // Vera Rubin NVL72 rack figures: 20.7 TB HBM4, 260 TB/s NVLink.
  CHECK(72 * rubin.hbm_capacity == doctest::Approx(20.7e12).epsilon(0.01));
  CHECK(72 * 2 * rubin.nvlink_bandwidth == doctest::Approx(260e12).epsilon(0.01));
  for (const auto& g : hw::all_gpus)
    if (g.name != "Rubin") CHECK_FALSE(g.preliminary);
  CHECK(hw::system("Vera Rubin NVL72").preliminary);
  CHECK_FALSE(hw::system("Vera Rubin NVL72").nvswitch_chips.has_value());
}

TEST_CASE("lookups name the unknown entry and list the known ones") {
  CHECK(&hw::gpu("H100-SXM") == &hw::all_gpus[0]);
  CHECK_THROWS_AS((void)hw::gpu("H100"), gpusched::error);
  const std::string m = message_of([] { (void)hw::gpu("A100-SXM"); });
  CHECK(m.find("'A100-SXM'") != std::string::npos);
  CHECK(m.find("hardware::gpu") != std::string::npos);
  for (const char* known : {"H100-SXM", "H800", "H200", "B200", "B300", "GB200", "GB300", "Rubin"})
    CHECK(m.find(known) != std::string::npos);
  CHECK(message_of([] { (void)hw::nic("CX7"); }).find("'CX7'") != std::string::npos);
  CHECK(message_of([] { (void)hw::network_switch("QM8700"); }).find("QM9700") != std::string::npos);
  CHECK_THROWS_AS((void)hw::cpu("Epyc"), gpusched::error);
  CHECK_THROWS_AS((void)hw::nvswitch("gen9"), gpusched::error);
  CHECK_THROWS_AS((void)hw::system("DGX A100"), gpusched::error);
}

TEST_CASE("catalog names are unique") {
  std::set<std::string_view> names;
  for (const auto& g : hw::all_gpus) CHECK(names.insert(g.name).second);
  names.clear();
  for (const auto& n : hw::all_nics) CHECK(names.insert(n.name).second);
  names.clear();
  for (const auto& s : hw::all_systems) CHECK(names.insert(s.name).second);
}

TEST_CASE("switch ports at a speed follow the port splits the vendors allow") {
  const auto& sn5600 = hw::network_switch("SN5600");
  CHECK(sn5600.protocol == hw::network_protocol::ethernet);
  CHECK(sn5600.ports_at(100e9) == 64);  // 800 GbE
  CHECK(sn5600.ports_at(50e9) == 128);  // 400 GbE
  CHECK(sn5600.ports_at(25e9) == 0);    // 200 GbE split not modelled
  const auto& qm9700 = hw::network_switch("QM9700");
  CHECK(qm9700.protocol == hw::network_protocol::infiniband);
  CHECK(qm9700.ports_at(50e9) == 64);   // NDR 400 Gb/s
  CHECK(qm9700.ports_at(25e9) == 128);  // NDR200
  CHECK(qm9700.ports_at(100e9) == 0);
  CHECK(hw::network_switch("Q3400").ports_at(100e9) == 144);  // XDR 800 Gb/s
  CHECK(hw::network_switch("Q3400").ports_at(0.0) == 0);
}

TEST_CASE("NVLink switch chips and system compositions match the vendor figures") {
  // DGX B200 user guide: 2 NVLink 5 switch chips = 14.4 TB/s aggregate (bidirectional).
  const auto& nvl5 = hw::nvswitch("NVLink5-Switch");
  CHECK(2 * *nvl5.ports * *nvl5.port_speed * 2 == doctest::Approx(14.4e12));
  // Every GB200 GPU has one link to each of the 18 chips: 72 GPUs x 18 links = 18 chips x 72 ports.
  CHECK(72 * 18 == 18 * *nvl5.ports);
  CHECK(hw::nvswitch("NVSwitch3").ports == 64);
  const auto& gb200 = hw::system("GB200 NVL72");
  CHECK(gb200.gpus == 72);
  CHECK(gb200.cpus == 36);
  CHECK(gb200.nvswitch_chips == 18);
  CHECK(gb200.switch_trays == 9);
  CHECK(gb200.compute_trays == 18);
  CHECK(gb200.dpus == 36);
  CHECK(hw::system("GB300 NVL72").nic->name == "ConnectX-8");
  CHECK(hw::system("DGX H100").nvswitch_chips == 4);
  CHECK(hw::system("DGX B200").nvswitch_chips == 2);
  CHECK(hw::system("DGX B200").cpu->name == "Xeon-8570");
}

TEST_CASE("latency estimates are ordered as the hardware is") {
  namespace lat = hw::latency;
  CHECK(lat::nvlink_hop > 0.0);
  CHECK(lat::nvlink_hop <= lat::pcie_hop);
  CHECK(lat::pcie_hop < lat::nic);
  CHECK(lat::infiniband_switch < lat::ethernet_switch);
  CHECK(lat::switch_hop(hw::network_protocol::infiniband) == lat::infiniband_switch);
  CHECK(lat::network_cable == doctest::Approx(50e-9));
}
