#pragma once
// Up-down routing index of a scale-out fabric built as a folded Clos (fat tree), the shape of
// rail-optimized SuperPOD fabrics. Leaves (tier-1 switches) are numbered in id order; each
// higher-tier switch covers a contiguous range of leaf numbers. A route goes up from the source
// leaf until a switch covers the destination leaf, then down. Each step scans one switch's
// links, so a route costs O(tiers x radix) regardless of the fabric's size.
// When the fabric does not have this shape (`routable()` is false), callers fall back to the
// general search.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "gpusched/topology/topology.hpp"

namespace gpusched::topology::detail {

class fabric_index {
 public:
  fabric_index() = default;

  explicit fabric_index(const topology& t)
      : leaf_of_(t.num_devices(), -1), lo_(t.num_devices(), empty_lo), hi_(t.num_devices(), -1) {
    const auto& g = t.graph();
    routable_ = true;
    std::int32_t max_tier = 0;
    for (device_id v = 0; v < t.num_devices(); ++v) {
      const auto& d = g[v];
      if (d.kind != device_kind::network_switch) continue;
      if (d.tier < 1) routable_ = false;
      max_tier = std::max(max_tier, d.tier);
      if (d.tier == 1) {
        const auto index = static_cast<std::int32_t>(leaves_.size());
        leaves_.push_back(v);
        leaf_of_[v] = lo_[v] = hi_[v] = index;
      }
    }
    // Every network link must join an endpoint to a leaf, or adjacent tiers of switches.
    for (auto [e, end] = boost::edges(g); e != end && routable_; ++e) {
      if (!is_network(g[*e].kind)) continue;
      const auto& a = g[boost::source(*e, g)];
      const auto& b = g[boost::target(*e, g)];
      const bool a_sw = a.kind == device_kind::network_switch;
      const bool b_sw = b.kind == device_kind::network_switch;
      if (a_sw && b_sw) {
        if (std::abs(a.tier - b.tier) != 1) routable_ = false;
      } else if (a_sw != b_sw) {
        if ((a_sw ? a.tier : b.tier) != 1) routable_ = false;
      } else {
        routable_ = false;  // endpoint to endpoint (back-to-back cable): use the general search
      }
    }
    // Coverage of higher tiers, tier by tier: the union of the children's ranges, which must be
    // contiguous (sorted ranges chain without a gap).
    std::vector<std::pair<std::int32_t, std::int32_t>> ranges;
    for (std::int32_t tier = 2; tier <= max_tier && routable_; ++tier) {
      for (device_id v = 0; v < t.num_devices() && routable_; ++v) {
        if (g[v].kind != device_kind::network_switch || g[v].tier != tier) continue;
        ranges.clear();
        for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
          const device_id u = static_cast<device_id>(boost::target(*e, g));
          if (g[u].kind == device_kind::network_switch && g[u].tier == tier - 1 && hi_[u] >= 0)
            ranges.emplace_back(lo_[u], hi_[u]);
        }
        std::sort(ranges.begin(), ranges.end());
        std::int32_t lo = empty_lo, hi = -1;
        for (auto [a, b] : ranges) {
          if (hi >= 0 && a > hi + 1) routable_ = false;
          lo = std::min(lo, a);
          hi = std::max(hi, b);
        }
        lo_[v] = lo;
        hi_[v] = hi;
      }
    }
  }

  /// True when the fabric is a folded Clos this index can route.
  [[nodiscard]] bool routable() const noexcept { return routable_; }
  [[nodiscard]] std::size_t num_leaves() const noexcept { return leaves_.size(); }
  /// Leaf number of a tier-1 switch, -1 for anything else.
  [[nodiscard]] std::int32_t leaf_number(device_id v) const { return leaf_of(v); }

  /// The leaf an endpoint (NIC, DPU, storage) is cabled to: its first network neighbour.
  [[nodiscard]] std::optional<device_id> leaf_of_endpoint(const topology& t, device_id v) const {
    const auto& g = t.graph();
    for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
      const device_id u = static_cast<device_id>(boost::target(*e, g));
      if (is_network(g[*e].kind) && g[u].kind == device_kind::network_switch && g[u].tier == 1)
        return u;
    }
    return std::nullopt;
  }

  /// Switches from leaf `from` to leaf `to`, both included (just one when they are equal).
  /// Empty when up-down routing cannot connect them.
  [[nodiscard]] std::vector<device_id> route(const topology& t, device_id from, device_id to) const {
    const auto& g = t.graph();
    const std::int32_t dst = leaf_of(to);
    const std::int32_t src = leaf_of(from);
    std::vector<device_id> up{from};
    device_id v = from;
    // Up: any uplink works in a folded Clos; spread by destination as ECMP would.
    while (!covers(v, dst)) {
      std::size_t n_up = 0;
      for (auto [e, end] = boost::out_edges(v, g); e != end; ++e)
        if (is_uplink(g, v, *e)) ++n_up;
      if (n_up == 0) return {};
      std::size_t pick = static_cast<std::size_t>(dst) % n_up;
      for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
        if (!is_uplink(g, v, *e)) continue;
        if (pick-- == 0) {
          v = static_cast<device_id>(boost::target(*e, g));
          break;
        }
      }
      up.push_back(v);
    }
    // Down: a child covering the destination; spread by source.
    while (v != to) {
      std::size_t n_down = 0;
      for (auto [e, end] = boost::out_edges(v, g); e != end; ++e)
        if (is_downlink(g, v, *e) && covers(static_cast<device_id>(boost::target(*e, g)), dst))
          ++n_down;
      if (n_down == 0) return {};
      std::size_t pick = static_cast<std::size_t>(src) % n_down;
      for (auto [e, end] = boost::out_edges(v, g); e != end; ++e) {
        const device_id u = static_cast<device_id>(boost::target(*e, g));
        if (!is_downlink(g, v, *e) || !covers(u, dst)) continue;
        if (pick-- == 0) {
          v = u;
          break;
        }
      }
      up.push_back(v);
    }
    return up;
  }

 private:
  static constexpr std::int32_t empty_lo = std::numeric_limits<std::int32_t>::max();

  [[nodiscard]] std::int32_t leaf_of(device_id v) const { return leaf_of_[v]; }
  [[nodiscard]] bool covers(device_id v, std::int32_t leaf) const {
    return lo_[v] <= leaf && leaf <= hi_[v];
  }
  static bool is_uplink(const graph_type& g, device_id v, edge_descriptor e) {
    const auto& u = g[boost::target(e, g)];
    return is_network(g[e].kind) && u.kind == device_kind::network_switch && u.tier == g[v].tier + 1;
  }
  static bool is_downlink(const graph_type& g, device_id v, edge_descriptor e) {
    const auto& u = g[boost::target(e, g)];
    return is_network(g[e].kind) && u.kind == device_kind::network_switch && u.tier == g[v].tier - 1;
  }

  bool routable_ = false;
  std::vector<std::int32_t> leaf_of_;
  std::vector<device_id> leaves_;
  std::vector<std::int32_t> lo_, hi_;  // covered leaf range per switch vertex
};

}  // namespace gpusched::topology::detail
