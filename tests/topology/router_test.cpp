// Router: paths worked out by hand on small systems, and structural answers (gpu_row, all_pairs)
// checked against path() and against the general search on random fat trees.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "gpusched/core/units.hpp"
#include "gpusched/topology/matrices.hpp"
#include "gpusched/topology/router.hpp"

namespace topo = gpusched::topology;
using gpusched::units::gb_per_s;
using gpusched::units::microseconds;

namespace {

topo::link make_link(topo::link_kind kind, double gbps, double us) {
  return topo::link{kind, gb_per_s(gbps), microseconds(us), 1};
}

topo::device dev(topo::device_kind kind, std::string name, int tier = 0, double port_gbps = 0.0) {
  topo::device d;
  d.kind = kind;
  d.name = std::move(name);
  d.tier = tier;
  d.port_bandwidth = gb_per_s(port_gbps);
  return d;
}

// Two "servers" of 2 GPUs on an NVSwitch plane; each GPU has its own NIC over PCIe; NICs sit on
// one leaf per server; the two leaves meet at a spine.
//   s0g0 s0g1 -- s0nv        s1g0 s1g1 -- s1nv
//   s0g0 - s0n0 - leaf0 - spine - leaf1 - s1n0 - s1g0
topo::topology two_servers() {
  topo::topology t{"two servers"};
  for (int s = 0; s < 2; ++s) {
    const std::string p = "s" + std::to_string(s);
    t.add_device(dev(topo::device_kind::nvswitch, p + "nv"));
    t.add_device(dev(topo::device_kind::network_switch, "leaf" + std::to_string(s), 1));
    for (int g = 0; g < 2; ++g) {
      const std::string gpu = p + "g" + std::to_string(g), nic = p + "n" + std::to_string(g);
      t.add_device(dev(topo::device_kind::gpu, gpu));
      t.add_device(dev(topo::device_kind::nic, nic));
      t.add_link(gpu, p + "nv", make_link(topo::link_kind::nvlink4, 450, 0.5));
      t.add_link(gpu, nic, make_link(topo::link_kind::pcie5, 63, 0.25));
      t.add_link(nic, "leaf" + std::to_string(s), make_link(topo::link_kind::infiniband, 50, 0.6));
    }
  }
  t.add_device(dev(topo::device_kind::network_switch, "spine", 2));
  t.add_link("leaf0", "spine", make_link(topo::link_kind::infiniband, 100, 0.4));
  t.add_link("leaf1", "spine", make_link(topo::link_kind::infiniband, 100, 0.4));
  return t;
}

std::vector<std::string> names(const topo::topology& t, const topo::route& r) {
  std::vector<std::string> out;
  for (auto v : r.devices) out.push_back(t[v].name);
  return out;
}

}  // namespace

TEST_CASE("router: NVLink inside a domain, NICs and fabric across domains") {
  const auto t = two_servers();
  const topo::router r{t};
  CHECK(r.domains().size() == 2);
  CHECK(r.domain_of(t.id_of("s0g1")) == 0);
  CHECK(r.domain_of(t.id_of("s1g0")) == 1);
  CHECK(r.fabric_is_structured());

  const auto inside = r.path(t.id_of("s0g0"), t.id_of("s0g1"));
  CHECK(names(t, inside) == std::vector<std::string>{"s0g0", "s0nv", "s0g1"});
  CHECK(inside.bandwidth == doctest::Approx(450e9));
  CHECK(inside.latency == doctest::Approx(1.0e-6));
  CHECK(inside.hops() == 2);

  const auto across = r.path(t.id_of("s0g1"), t.id_of("s1g0"));
  CHECK(names(t, across) == std::vector<std::string>{"s0g1", "s0n1", "leaf0", "spine", "leaf1",
                                                     "s1n0", "s1g0"});
  CHECK(across.bandwidth == doctest::Approx(50e9));  // the NIC ports
  CHECK(across.latency == doctest::Approx((0.25 + 0.6 + 0.4 + 0.4 + 0.6 + 0.25) * 1e-6));

  const auto self = r.path(t.id_of("s0g0"), t.id_of("s0g0"));
  CHECK(self.hops() == 0);
  CHECK(self.latency == 0.0);

  CHECK(r.scale_up_bandwidth(t.id_of("s0g0")) == doctest::Approx(450e9));
  CHECK(r.scale_out_bandwidth(t.id_of("s0g0")) == doctest::Approx(50e9));
  CHECK(r.nics_of(t.id_of("s1g1")).size() == 1);
  CHECK(t[r.nics_of(t.id_of("s1g1"))[0]].name == "s1n1");
}

TEST_CASE("router: all_pairs equals path() for every pair") {
  const auto t = two_servers();
  const topo::router r{t};
  const auto m = topo::all_pairs(r);
  REQUIRE(m.bandwidth.rows() == 4);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t j = 0; j < 4; ++j) {
      const auto p = r.path(t.gpus()[i], t.gpus()[j]);
      const auto a = static_cast<Eigen::Index>(i), b = static_cast<Eigen::Index>(j);
      CHECK(m.bandwidth(a, b) == p.bandwidth);
      CHECK(m.latency(a, b) == doctest::Approx(p.latency));
    }
  CHECK(topo::worst_gpu_latency(r) == doctest::Approx(2.5e-6));
}

TEST_CASE("router: PCIe-only host routes through its switch, a shared NIC halves scale-out") {
  // p4d-like: two GPUs and one NIC behind one PCIe switch under a CPU.
  topo::topology t{"pcie box"};
  t.add_device(dev(topo::device_kind::cpu, "cpu"));
  t.add_device(dev(topo::device_kind::pcie_switch, "sw"));
  t.add_device(dev(topo::device_kind::gpu, "g0"));
  t.add_device(dev(topo::device_kind::gpu, "g1"));
  t.add_device(dev(topo::device_kind::nic, "n0", 0, 12.5));
  t.add_link("cpu", "sw", make_link(topo::link_kind::pcie4, 31.5, 0.3));
  t.add_link("g0", "sw", make_link(topo::link_kind::pcie4, 31.5, 0.2));
  t.add_link("g1", "sw", make_link(topo::link_kind::pcie4, 31.5, 0.2));
  t.add_link("n0", "sw", make_link(topo::link_kind::pcie4, 31.5, 0.2));
  const topo::router r{t};
  CHECK(r.domains().size() == 2);  // no NVLink: each GPU alone
  const auto p = r.path(t.id_of("g0"), t.id_of("g1"));
  CHECK(names(t, p) == std::vector<std::string>{"g0", "sw", "g1"});
  CHECK(p.bandwidth == doctest::Approx(31.5e9));
  CHECK(r.scale_up_bandwidth(t.id_of("g0")) == 0.0);
  // The NIC is not cabled: its port rate counts, split between the two GPUs that share it.
  CHECK(r.scale_out_bandwidth(t.id_of("g0")) == doctest::Approx(6.25e9));
}

TEST_CASE("router: GPUs never forward traffic, and the widest path wins over the shortest") {
  // g0 - g1 - g2 by NVLink (a chain) and g0 - cpu - g2 by PCIe: g0 -> g2 may not pass through g1.
  topo::topology t{"chain"};
  for (const char* n : {"g0", "g1", "g2"}) t.add_device(dev(topo::device_kind::gpu, n));
  t.add_device(dev(topo::device_kind::cpu, "cpu"));
  t.add_link("g0", "g1", make_link(topo::link_kind::nvlink3, 300, 0.3));
  t.add_link("g1", "g2", make_link(topo::link_kind::nvlink3, 300, 0.3));
  t.add_link("g0", "cpu", make_link(topo::link_kind::pcie4, 31.5, 0.5));
  t.add_link("g2", "cpu", make_link(topo::link_kind::pcie4, 31.5, 0.5));
  const topo::router r{t};
  const auto p = r.path(t.id_of("g0"), t.id_of("g2"));
  CHECK(names(t, p) == std::vector<std::string>{"g0", "cpu", "g2"});
  CHECK(p.bandwidth == doctest::Approx(31.5e9));
}

TEST_CASE("router: bad topologies and queries are named errors") {
  topo::topology t{"broken"};
  t.add_device(dev(topo::device_kind::gpu, "g0"));
  t.add_device(dev(topo::device_kind::gpu, "lonely"));
  t.add_device(dev(topo::device_kind::cpu, "cpu"));
  t.add_link("g0", "cpu", make_link(topo::link_kind::pcie5, 63, 0.2));
  CHECK_THROWS_WITH_AS(topo::router{t}, doctest::Contains("GPU 'lonely' has no links"), gpusched::error);

  t.add_device(dev(topo::device_kind::cpu, "cpu2"));
  t.add_link("lonely", "cpu2", make_link(topo::link_kind::pcie5, 63, 0.2));
  CHECK_THROWS_WITH_AS(topo::router{t}, doctest::Contains("'lonely' is disconnected from GPU 'g0'"),
                       gpusched::error);

  const auto ok = two_servers();
  const topo::router r{ok};
  CHECK_THROWS_AS((void)r.path(0, 999), gpusched::error);
  CHECK_THROWS_WITH_AS((void)r.scale_up_bandwidth(ok.id_of("spine")), doctest::Contains("not a GPU"),
                       gpusched::error);
}

TEST_CASE("router: a fabric that is not a folded Clos falls back to the general search") {
  // Back-to-back NICs: no switch at all.
  topo::topology t{"back to back"};
  for (const char* n : {"g0", "g1"}) t.add_device(dev(topo::device_kind::gpu, n));
  for (const char* n : {"n0", "n1"}) t.add_device(dev(topo::device_kind::nic, n));
  t.add_link("g0", "n0", make_link(topo::link_kind::pcie5, 63, 0.2));
  t.add_link("g1", "n1", make_link(topo::link_kind::pcie5, 63, 0.2));
  t.add_link("n0", "n1", make_link(topo::link_kind::ethernet, 50, 1.0));
  const topo::router r{t};
  CHECK_FALSE(r.fabric_is_structured());
  const auto p = r.path(t.id_of("g0"), t.id_of("g1"));
  CHECK(names(t, p) == std::vector<std::string>{"g0", "n0", "n1", "g1"});
  CHECK(p.latency == doctest::Approx(1.4e-6));
}

TEST_CASE("router: on random fat trees the structured route is as wide and as fast as the best") {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const int leaves = pick(2, 6), spines = pick(1, 3), per_leaf = pick(1, 4);
    topo::topology t{"random " + std::to_string(seed)};
    const double nic_bw = 25.0 * pick(1, 4), up_bw = 25.0 * pick(1, 8);
    for (int l = 0; l < leaves; ++l)
      t.add_device(dev(topo::device_kind::network_switch, "leaf" + std::to_string(l), 1));
    for (int s = 0; s < spines; ++s) {
      const std::string sp = "spine" + std::to_string(s);
      t.add_device(dev(topo::device_kind::network_switch, sp, 2));
      for (int l = 0; l < leaves; ++l)
        t.add_link("leaf" + std::to_string(l), sp, make_link(topo::link_kind::ethernet, up_bw, 0.5));
    }
    for (int l = 0; l < leaves; ++l)
      for (int k = 0; k < per_leaf; ++k) {
        const std::string id = std::to_string(l) + "_" + std::to_string(k);
        t.add_device(dev(topo::device_kind::gpu, "g" + id));
        t.add_device(dev(topo::device_kind::nic, "n" + id));
        t.add_link("g" + id, "n" + id, make_link(topo::link_kind::pcie5, 63, 0.2));
        t.add_link("n" + id, "leaf" + std::to_string(l), make_link(topo::link_kind::ethernet, nic_bw, 0.5));
      }
    const topo::router r{t};
    REQUIRE(r.fabric_is_structured());
    const auto m = topo::all_pairs(r);
    for (std::size_t i = 0; i < t.num_gpus(); ++i)
      for (std::size_t j = 0; j < t.num_gpus(); ++j) {
        if (i == j) continue;
        const auto a = t.gpus()[i], b = t.gpus()[j];
        const auto best = topo::detail::widest_then_fastest(t, a, b, [](const topo::link&) { return true; });
        REQUIRE(best);
        const auto p = r.path(a, b);
        CHECK(p.bandwidth == doctest::Approx(best->bandwidth));
        CHECK(p.latency == doctest::Approx(best->latency));
        CHECK(m.bandwidth(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) == p.bandwidth);
        for (std::size_t k = 1; k + 1 < p.devices.size(); ++k)
          CHECK(t[p.devices[k]].kind != topo::device_kind::gpu);
      }
  }
}
