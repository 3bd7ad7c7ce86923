#pragma once
// Folded-Clos (fat-tree) planning and wiring above a row of leaves, shaped for the router's up-down
// routing (topology/detail/fabric_index.hpp): every switch covers a contiguous range of leaves, and
// every uplink leads to a switch covering a superset, up to a top tier that covers all leaves.
//
// Structure, for radix k, h = k/2 and leaves with u uplinks each (u = k/2 at 1:1):
//   level-1 blocks are single leaves; a level-t block (2 <= t < T) groups h consecutive level-(t-1)
//   blocks (the last block may hold fewer) and owns m_t = m_(t-1) * q_(t-1) tier-t switches, where
//   m_1 = 1, q_1 = u and q_t = h: switch (i, c) of a block links once to switch i of each
//   sub-block, so it uses <= h down ports and offers h up ports. Top tier T: all B level-(T-1)
//   blocks meet; top switch (i, c) links to switch i of every block with p parallel cables
//   (aggregated into one edge), p the largest divisor of q_(T-1) with B * p <= k, so there are
//   m_(T-1) * q_(T-1) / p top switches. T is the smallest count with B = ceil(L / h^(T-2)) <= k.
// Above the leaves the fabric is non-blocking (up ports = down ports); oversubscription is applied
// at the leaves only. A partial last block keeps its full switch set with idle down ports, the way
// NVIDIA's reference architectures build a full scalable unit even when it is not filled.
// Checks against NVIDIA's DGX SuperPOD B200 RA (QM9700, k = 64, 8 rails): 64 nodes -> 16 leaves +
// 8 spines; 256 -> 64 + 32; 512 -> 128 + 128 + 64 cores; 2048 -> 512 + 512 + 256 (tests).

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/hardware/switches.hpp"
#include "gpusched/topology/builders/detail/links.hpp"
#include "gpusched/topology/topology.hpp"

namespace gpusched::topology::build::detail {

/// The shape of a folded Clos above `leaves` leaves (see the header comment).
struct clos_plan {
  int radix = 0;
  int half = 0;     ///< h = radix / 2: down (= up) ports of non-top, non-leaf switches
  int leaf_up = 0;  ///< u
  int tiers = 0;    ///< T (1 = a single switch, no uplinks)
  std::vector<std::int64_t> blocks;          ///< n_t: level-t blocks, t = 1..T-1 (index t-1)
  std::vector<std::int64_t> block_switches;  ///< m_t
  std::vector<std::int64_t> block_up;        ///< q_t: up ports of each of those switches
  int top_parallel = 0;                      ///< p: parallel cables from a top switch to each block
  std::vector<std::int64_t> switches;        ///< switches per tier, index 0 = leaves
};

/// Plans the tiers above `leaves` leaves of radix `radix` with `leaf_up` uplinks each. One leaf
/// with no uplinks is a single-tier fabric.
inline clos_plan plan_clos(std::int64_t leaves, int radix, int leaf_up) {
  const std::string where = "topology::build::superpod";
  require(leaves >= 1, where, "a fabric needs at least one leaf");
  clos_plan c;
  c.radix = radix;
  c.half = radix / 2;
  c.leaf_up = leaf_up;
  if (leaves == 1 && leaf_up == 0) {
    c.tiers = 1;
    c.switches = {1};
    return c;
  }
  require(leaf_up >= 1, where, "leaves need uplinks when there is more than one leaf");
  c.tiers = 2;
  std::int64_t top_blocks = leaves;
  while (top_blocks > radix) {
    require(c.half >= 2, where,
            "radix " + std::to_string(radix) + " is too small to connect " +
                std::to_string(leaves) + " leaves");
    top_blocks = (top_blocks + c.half - 1) / c.half;
    require(++c.tiers <= 16, where, "more than 16 tiers needed; raise the radix");
  }
  c.blocks = {leaves};
  c.block_switches = {1};
  c.block_up = {leaf_up};
  for (int t = 2; t < c.tiers; ++t) {
    c.blocks.push_back((c.blocks.back() + c.half - 1) / c.half);
    c.block_switches.push_back(c.block_switches.back() * c.block_up.back());
    c.block_up.push_back(c.half);
  }
  const std::int64_t q = c.block_up.back();
  for (std::int64_t p = q; p >= 1; --p)
    if (q % p == 0 && top_blocks * p <= radix) {
      c.top_parallel = static_cast<int>(p);
      break;
    }
  c.switches = {leaves};
  for (int t = 2; t < c.tiers; ++t)
    c.switches.push_back(c.blocks[static_cast<std::size_t>(t - 1)] *
                         c.block_switches[static_cast<std::size_t>(t - 1)]);
  c.switches.push_back(c.block_switches.back() * q / c.top_parallel);
  std::int64_t total = 0;
  for (auto n : c.switches) total += n;
  require(total <= 50'000'000, where,
          "the fabric would need " + std::to_string(total) + " switches");
  return c;
}

/// Conventional name prefix of tier `tier`'s switches: leaf, spine, core, then "tier<t>-".
inline std::string tier_prefix(int tier) {
  switch (tier) {
    case 1:
      return "leaf";
    case 2:
      return "spine";
    case 3:
      return "core";
    default:
      return "tier" + std::to_string(tier) + "-";
  }
}

/// Adds the switches of tiers 2..T above `leaves` (ids in leaf-number order) and wires them as
/// planned. Switch names: spine<n>, core<n>, tier<t>-<n>, n counted within the tier.
inline void wire_clos(topology& t, const clos_plan& c, const std::vector<device_id>& leaves,
                      std::string_view model, hardware::network_protocol protocol,
                      bytes_per_second port_speed) {
  if (c.tiers < 2) return;
  std::vector<device_id> below(leaves);  // switches of the tier below, block-major
  std::vector<device_id> here;
  const link one = switch_link(protocol, port_speed, 1);
  const auto add_switch = [&](int tier, std::int64_t n) {
    return t.add_device(make_device(device_kind::network_switch,
                                    tier_prefix(tier) + std::to_string(n), model, -1, 1, 0.0,
                                    tier));
  };
  for (int tier = 2; tier <= c.tiers; ++tier) {
    const auto sub = static_cast<std::size_t>(tier - 2);  // plan index of the level below
    const std::int64_t m_below = c.block_switches[sub];
    const std::int64_t q_below = c.block_up[sub];
    const std::int64_t n_below = c.blocks[sub];
    here.clear();
    here.reserve(static_cast<std::size_t>(c.switches[static_cast<std::size_t>(tier - 1)]));
    if (tier < c.tiers) {
      for (std::int64_t block = 0; block * c.half < n_below; ++block) {
        const std::int64_t first = block * c.half;
        const std::int64_t last = std::min<std::int64_t>(first + c.half, n_below);
        for (std::int64_t i = 0; i < m_below; ++i)
          for (std::int64_t u = 0; u < q_below; ++u) {
            const device_id s = add_switch(tier, static_cast<std::int64_t>(here.size()));
            here.push_back(s);
            for (std::int64_t b = first; b < last; ++b)
              t.add_link(below[static_cast<std::size_t>(b * m_below + i)], s, one);
          }
      }
    } else {
      const link bundle =
          switch_link(protocol, port_speed, static_cast<std::uint32_t>(c.top_parallel));
      for (std::int64_t i = 0; i < m_below; ++i)
        for (std::int64_t u = 0; u < q_below / c.top_parallel; ++u) {
          const device_id s = add_switch(tier, static_cast<std::int64_t>(here.size()));
          here.push_back(s);
          for (std::int64_t b = 0; b < n_below; ++b)
            t.add_link(below[static_cast<std::size_t>(b * m_below + i)], s, bundle);
        }
    }
    below.swap(here);
  }
}

}  // namespace gpusched::topology::build::detail
