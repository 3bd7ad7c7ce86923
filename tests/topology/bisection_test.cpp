// Bisection bandwidth of hand-built scale-out fabrics: hand-worked values, the fast method against
// brute force on random fabrics, and the errors.

#include "gpusched/topology/bisection.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/core/units.hpp"
#include "gpusched/topology/topology.hpp"

namespace {

namespace gt = gpusched::topology;
using gpusched::units::gb_per_s;
using gt::device_id;
using gt::device_kind;
using gt::link_kind;

// A topology under construction, with short names for the devices a fabric is made of.
struct fabric_builder {
  gt::topology t;
  explicit fabric_builder(std::string name) : t(std::move(name)) {}
  device_id add(device_kind kind, const std::string& name, int tier = 0) {
    gt::device d;
    d.kind = kind;
    d.name = name;
    d.tier = tier;
    return t.add_device(d);
  }
  device_id nic(const std::string& name) { return add(device_kind::nic, name); }
  device_id sw(const std::string& name, int tier) {
    return add(device_kind::network_switch, name, tier);
  }
  void link(device_id a, device_id b, double gbps, link_kind kind = link_kind::ethernet) {
    gt::link l;
    l.kind = kind;
    l.bandwidth = gb_per_s(gbps);
    t.add_link(a, b, l);
  }
};

// A two-tier tree: `leaves` leaves of `per_leaf` NICs at `nic_gbps`, every leaf joined to every
// one of `spines` spines by `up_gbps` (tiers set unless `tiers` is false).
gt::topology two_tier(int leaves, int per_leaf, double nic_gbps, int spines, double up_gbps,
                      bool tiers = true) {
  fabric_builder b("two-tier " + std::to_string(leaves) + "x" + std::to_string(per_leaf));
  std::vector<device_id> spine;
  for (int s = 0; s < spines; ++s)
    spine.push_back(b.sw("spine" + std::to_string(s), tiers ? 2 : 0));
  for (int l = 0; l < leaves; ++l) {
    const auto leaf = b.sw("leaf" + std::to_string(l), tiers ? 1 : 0);
    for (int k = 0; k < per_leaf; ++k)
      b.link(b.nic("nic" + std::to_string(l) + "." + std::to_string(k)), leaf, nic_gbps);
    for (auto s : spine) b.link(leaf, s, up_gbps);
  }
  return std::move(b.t);
}

// A three-tier folded Clos: `pods` pods, each of `leaves` leaves (`per_leaf` NICs at `nic_gbps`)
// fully joined to the pod's `spines` spines by `leaf_up`; every spine joined to every core by
// `spine_up`.
gt::topology three_tier(int pods, int leaves, int per_leaf, double nic_gbps, int spines,
                        double leaf_up, int cores, double spine_up) {
  fabric_builder b("three-tier");
  std::vector<device_id> core;
  for (int c = 0; c < cores; ++c) core.push_back(b.sw("core" + std::to_string(c), 3));
  for (int p = 0; p < pods; ++p) {
    const std::string pod = "pod" + std::to_string(p) + "/";
    std::vector<device_id> spine;
    for (int s = 0; s < spines; ++s) {
      spine.push_back(b.sw(pod + "spine" + std::to_string(s), 2));
      for (auto c : core) b.link(spine.back(), c, spine_up, link_kind::infiniband);
    }
    for (int l = 0; l < leaves; ++l) {
      const auto leaf = b.sw(pod + "leaf" + std::to_string(l), 1);
      for (int k = 0; k < per_leaf; ++k)
        b.link(b.nic(pod + "nic" + std::to_string(l) + "." + std::to_string(k)), leaf, nic_gbps,
               link_kind::infiniband);
      for (auto s : spine) b.link(leaf, s, leaf_up, link_kind::infiniband);
    }
  }
  return std::move(b.t);
}

// An irregular fabric: 4-16 NICs (some dual-homed, some with PCIe links to a host CPU that must
// not count) on random leaves, random leaf-spine links, sometimes a core tier, sometimes storage.
gt::topology random_fabric(unsigned seed) {
  std::mt19937 rng(seed);
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const double gbps[] = {25, 50, 100, 200, 400};
  const auto rate = [&] { return gbps[pick(0, 4)]; };
  fabric_builder b("random " + std::to_string(seed));
  const bool tiers = pick(0, 1) == 1;
  const int n = pick(4, 16), leaves = pick(1, 5), spines = pick(1, 3);
  const int cores = pick(0, 2) == 0 ? pick(1, 2) : 0;
  std::vector<device_id> leaf, spine;
  for (int l = 0; l < leaves; ++l) leaf.push_back(b.sw("leaf" + std::to_string(l), tiers ? 1 : 0));
  for (int s = 0; s < spines; ++s)
    spine.push_back(b.sw("spine" + std::to_string(s), tiers ? 2 : 0));
  const auto cpu = b.add(device_kind::cpu, "host");
  for (int i = 0; i < n; ++i) {
    const auto nic = b.nic("nic" + std::to_string(i));
    const int home = pick(0, leaves - 1);
    b.link(nic, leaf[static_cast<std::size_t>(home)], rate());
    if (leaves > 1 && pick(0, 4) == 0)
      b.link(nic, leaf[static_cast<std::size_t>((home + 1) % leaves)], rate());
    if (pick(0, 3) == 0) b.link(nic, cpu, 64.0, link_kind::pcie5);
  }
  for (auto l : leaf) {
    bool linked = false;
    for (auto s : spine)
      if (pick(0, 2) > 0) b.link(l, s, rate()), linked = true;
    if (!linked && pick(0, 3) > 0) b.link(l, spine[0], rate());  // else the leaf is an island
  }
  for (int c = 0; c < cores; ++c) {
    const auto core = b.sw("core" + std::to_string(c), tiers ? 3 : 0);
    for (auto s : spine)
      if (pick(0, 1) == 1) b.link(s, core, rate());
  }
  if (pick(0, 2) == 0) {
    const auto storage = b.add(device_kind::storage, "storage");
    b.link(storage, leaf[0], rate());
    if (leaves > 1) b.link(storage, leaf.back(), rate());
  }
  return std::move(b.t);
}

// The result is internally consistent: its witness is balanced, made of endpoints, and cuts
// exactly the reported bandwidth.
void check_witness(const gt::topology& t, const gt::bisection_result& r) {
  CHECK((r.side_a.size() == r.endpoints / 2 || r.side_a.size() == (r.endpoints + 1) / 2));
  CHECK(std::is_sorted(r.side_a.begin(), r.side_a.end()));
  CHECK(gt::min_cut_bandwidth(t, r.side_a) == r.bandwidth);
  CHECK(r.bandwidth <= r.endpoint_bandwidth_half);
  CHECK(r.full_bisection == (r.bandwidth == r.endpoint_bandwidth_half));
}

std::vector<std::string> names_of(const gt::topology& t, const std::vector<device_id>& ids) {
  std::vector<std::string> out;
  for (auto id : ids) out.push_back(t[id].name);
  return out;
}

}  // namespace

TEST_CASE("bisection: two leaves under one spine, spine links narrower than the NICs") {
  // 4 NICs x 50 GB/s per leaf, 100 GB/s to the spine: the best split is leaf against leaf and its
  // cheapest cut is one leaf's spine link, 100 GB/s (the NIC links of a half total 200).
  const auto t = two_tier(2, 4, 50, 1, 100);
  const auto fast = gt::bisection_bandwidth(t);
  CHECK(fast.bandwidth == gb_per_s(100));
  CHECK(fast.endpoints == 8);
  CHECK(fast.endpoint_bandwidth_half == gb_per_s(200));
  CHECK_FALSE(fast.full_bisection);
  CHECK(names_of(t, fast.side_a) ==
        std::vector<std::string>{"nic0.0", "nic0.1", "nic0.2", "nic0.3"});
  check_witness(t, fast);
  CHECK(gt::bisection_bandwidth_brute_force(t).bandwidth == gb_per_s(100));
}

TEST_CASE("bisection: two leaves under one spine at 200 GB/s have full bisection") {
  const auto t = two_tier(2, 4, 50, 1, 200);
  const auto fast = gt::bisection_bandwidth(t);
  CHECK(fast.bandwidth == gb_per_s(200));  // 4 x 50: the NIC links of a half
  CHECK(fast.full_bisection);
  check_witness(t, fast);
  CHECK(gt::bisection_bandwidth_brute_force(t).bandwidth == gb_per_s(200));
}

TEST_CASE("bisection: 1:1 two-tier fat tree of 4 leaves and 2 spines") {
  // Each leaf: 4 x 50 GB/s down, 2 x 100 GB/s up. Half the leaves' uplinks = 2 x 200 = 400 GB/s,
  // as much as the 8 NIC links of a half: full bisection.
  const auto t = two_tier(4, 4, 50, 2, 100);
  const auto fast = gt::bisection_bandwidth(t);
  CHECK(fast.bandwidth == gb_per_s(400));
  CHECK(fast.endpoint_bandwidth_half == gb_per_s(400));
  CHECK(fast.full_bisection);
  check_witness(t, fast);
  CHECK(gt::bisection_bandwidth_brute_force(t).bandwidth == gb_per_s(400));
}

TEST_CASE("bisection: 2:1 oversubscribed two-tier fat tree") {
  // Each leaf: 200 GB/s down, 2 x 50 GB/s up. Leaves {0,1} against {2,3}: their 4 uplinks, 200 GB/s
  // (cutting at the spines instead also costs 2 x 2 x 50). Splitting a leaf only adds NIC links.
  const auto t = two_tier(4, 4, 50, 2, 50);
  const auto fast = gt::bisection_bandwidth(t);
  CHECK(fast.bandwidth == gb_per_s(200));
  CHECK(fast.endpoint_bandwidth_half == gb_per_s(400));
  CHECK_FALSE(fast.full_bisection);
  check_witness(t, fast);
  // The exact answer on this 16-NIC two-level system is the same.
  const auto exact = gt::bisection_bandwidth_brute_force(t);
  CHECK(exact.bandwidth == fast.bandwidth);
  CHECK(exact.full_bisection == fast.full_bisection);
  check_witness(t, exact);
}

TEST_CASE("bisection: 16-NIC two-level system with 3 spines, brute force equals fast") {
  // Each leaf: 4 x 100 GB/s down, 3 x 75 = 225 GB/s up; half the leaves' uplinks = 450 GB/s.
  const auto t = two_tier(4, 4, 100, 3, 75, /*tiers=*/false);
  const auto fast = gt::bisection_bandwidth(t);
  const auto exact = gt::bisection_bandwidth_brute_force(t);
  CHECK(fast.bandwidth == gb_per_s(450));
  CHECK(exact.bandwidth == fast.bandwidth);
  check_witness(t, exact);
}

TEST_CASE("bisection: three-tier fabric limited at the core") {
  // 2 pods x 2 leaves x 2 NICs at 100 GB/s, 1:1 inside a pod (leaf: 200 down, 2 x 100 up), each
  // pod's two spines joined to the core by 50 GB/s: pod against pod cuts 2 x 50 = 100 GB/s.
  const auto t = three_tier(2, 2, 2, 100, 2, 100, 1, 50);
  const auto fast = gt::bisection_bandwidth(t);
  CHECK(fast.bandwidth == gb_per_s(100));
  CHECK(names_of(t, fast.side_a) ==
        std::vector<std::string>{"pod0/nic0.0", "pod0/nic0.1", "pod0/nic1.0", "pod0/nic1.1"});
  check_witness(t, fast);
  CHECK(gt::bisection_bandwidth_brute_force(t).bandwidth == gb_per_s(100));
}

TEST_CASE("bisection: storage nodes may fall on either side") {
  // Two leaves under a 100 GB/s spine, plus a storage node on both leaves at 400 GB/s: it carries
  // traffic between the leaves, so the bisection rises to the NIC links of a half, 200 GB/s.
  auto t = two_tier(2, 4, 50, 1, 100);
  gt::device storage;
  storage.kind = device_kind::storage;
  storage.name = "storage";
  const auto s = t.add_device(storage);
  for (const char* leaf : {"leaf0", "leaf1"}) {
    gt::link l;
    l.kind = link_kind::ethernet;
    l.bandwidth = gb_per_s(400);
    t.add_link(s, t.id_of(leaf), l);
  }
  CHECK(gt::bisection_bandwidth(t).bandwidth == gb_per_s(200));
  CHECK(gt::bisection_bandwidth(t).full_bisection);
  CHECK(gt::bisection_bandwidth_brute_force(t).bandwidth == gb_per_s(200));
}

TEST_CASE("bisection: only network links count, and separate islands bisect to zero") {
  // Two leaves with no spine, each with 4 NICs; all 8 NICs share a host CPU over PCIe, which is
  // not part of the fabric: the islands are a balanced split with nothing between them.
  fabric_builder b("islands");
  const auto cpu = b.add(device_kind::cpu, "cpu");
  for (int l = 0; l < 2; ++l) {
    const auto leaf = b.sw("leaf" + std::to_string(l), 1);
    for (int k = 0; k < 4; ++k) {
      const auto nic = b.nic("nic" + std::to_string(l) + "." + std::to_string(k));
      b.link(nic, leaf, 50);
      b.link(nic, cpu, 64, link_kind::pcie5);
    }
  }
  const auto fast = gt::bisection_bandwidth(b.t);
  CHECK(fast.bandwidth == 0.0);
  CHECK_FALSE(fast.full_bisection);
  CHECK(names_of(b.t, fast.side_a) ==
        std::vector<std::string>{"nic0.0", "nic0.1", "nic0.2", "nic0.3"});
  CHECK(gt::bisection_bandwidth_brute_force(b.t).bandwidth == 0.0);

  // Islands of 3 and 5 NICs cannot be split 4/4 whole: one NIC of the large island must go to the
  // small one's side, and its 50 GB/s link is the cut.
  fabric_builder u("uneven islands");
  for (int l = 0; l < 2; ++l) {
    const auto leaf = u.sw("leaf" + std::to_string(l), 1);
    for (int k = 0; k < (l == 0 ? 5 : 3); ++k)
      u.link(u.nic("nic" + std::to_string(l) + "." + std::to_string(k)), leaf, 50);
  }
  CHECK(gt::bisection_bandwidth(u.t).bandwidth == gb_per_s(50));
  CHECK(gt::bisection_bandwidth_brute_force(u.t).bandwidth == gb_per_s(50));

  // Two NICs cabled back to back (no switch at all): the cable is the bisection.
  fabric_builder cable("back to back");
  cable.link(cable.nic("a"), cable.nic("b"), 50, link_kind::infiniband);
  const auto direct = gt::bisection_bandwidth(cable.t);
  CHECK(direct.bandwidth == gb_per_s(50));
  CHECK(direct.full_bisection);
  CHECK(gt::bisection_bandwidth_brute_force(cable.t).bandwidth == gb_per_s(50));
}

TEST_CASE("bisection: the fast method bounds brute force on random fabrics, exactly on fat trees") {
  std::size_t tight = 0;
  for (unsigned seed = 1; seed <= 32; ++seed) {
    CAPTURE(seed);
    const auto t = random_fabric(seed);
    const auto fast = gt::bisection_bandwidth(t);
    const auto exact = gt::bisection_bandwidth_brute_force(t);
    CHECK(fast.endpoints == exact.endpoints);
    CHECK(fast.bandwidth >= exact.bandwidth);
    CHECK(fast.endpoint_bandwidth_half == exact.endpoint_bandwidth_half);
    check_witness(t, fast);
    check_witness(t, exact);
    if (fast.bandwidth == exact.bandwidth) ++tight;
  }
  MESSAGE("fast == exact on " << tight << " of 32 irregular fabrics");

  // Symmetric fat trees, with odd counts and every kind of oversubscription: exact.
  std::mt19937 rng(2024);
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const double rates[] = {25, 50, 100, 200};
  for (int i = 0; i < 24; ++i) {
    CAPTURE(i);
    const int leaves = pick(1, 4), per_leaf = pick(std::max(1, 4 / leaves), 16 / leaves);
    const auto t = two_tier(leaves, per_leaf, rates[pick(0, 3)], pick(1, 3), rates[pick(0, 3)],
                            pick(0, 1) == 1);
    const auto fast = gt::bisection_bandwidth(t);
    CHECK(fast.bandwidth == gt::bisection_bandwidth_brute_force(t).bandwidth);
  }
  for (int i = 0; i < 24; ++i) {
    CAPTURE(i);
    const int pods = pick(2, 3), leaves = pick(1, 2), per_leaf = pick(1, 16 / (pods * leaves));
    if (pods * leaves * per_leaf < 4) continue;
    const auto t = three_tier(pods, leaves, per_leaf, rates[pick(0, 3)], pick(1, 2),
                              rates[pick(0, 3)], pick(1, 2), rates[pick(0, 3)]);
    const auto fast = gt::bisection_bandwidth(t);
    CHECK(fast.bandwidth == gt::bisection_bandwidth_brute_force(t).bandwidth);
  }
}

TEST_CASE("bisection: errors") {
  using Catch = gpusched::error;
  fabric_builder none("gpus only");
  none.add(device_kind::gpu, "gpu0");
  CHECK_THROWS_WITH_AS(gt::bisection_bandwidth(none.t), doctest::Contains("topology 'gpus only'"),
                       Catch);
  CHECK_THROWS_WITH_AS(gt::bisection_bandwidth(none.t), doctest::Contains("no scale-out fabric"),
                       Catch);

  // One NIC on the network, another joined only over PCIe: one endpoint is not a fabric.
  fabric_builder one("one nic");
  const auto leaf = one.sw("leaf", 1);
  const auto cpu = one.add(device_kind::cpu, "cpu");
  one.link(one.nic("nic0"), leaf, 50);
  one.link(one.nic("nic1"), cpu, 64, link_kind::pcie5);
  CHECK_THROWS_WITH_AS(gt::bisection_bandwidth(one.t), doctest::Contains("has 1 NIC(s)"), Catch);
  CHECK_THROWS_WITH_AS(gt::bisection_bandwidth_brute_force(one.t),
                       doctest::Contains("no scale-out fabric"), Catch);

  // Brute force stops past 20 endpoints; the fast method does not.
  const auto big = two_tier(3, 7, 50, 1, 100);
  CHECK_THROWS_WITH_AS(gt::bisection_bandwidth_brute_force(big),
                       doctest::Contains("has 21 endpoints"), Catch);
  // Its half of 10 NICs: leaf 0's 7 and 3 of leaf 1 cut leaf 0's uplink and those 3 NIC links.
  CHECK(gt::bisection_bandwidth(big).bandwidth == gb_per_s(250));

  // min_cut_bandwidth takes endpoints only, each once.
  const auto t = two_tier(2, 2, 50, 1, 100);
  const std::vector<device_id> spine{t.id_of("spine0")};
  CHECK_THROWS_WITH_AS((void)gt::min_cut_bandwidth(t, spine),
                       doctest::Contains("'spine0' is not a NIC"), Catch);
  const std::vector<device_id> twice{t.id_of("nic0.0"), t.id_of("nic0.0")};
  CHECK_THROWS_WITH_AS((void)gt::min_cut_bandwidth(t, twice), doctest::Contains("named twice"),
                       Catch);
  CHECK(gt::min_cut_bandwidth(t, std::vector<device_id>{t.id_of("nic0.0")}) == gb_per_s(50));
}
