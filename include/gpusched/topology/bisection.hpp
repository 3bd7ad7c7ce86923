#pragma once
// Bisection bandwidth of the scale-out fabric (the Ethernet / InfiniBand network) of a topology.
//
// Definition. The endpoints are the NICs that have at least one network link (link_kind ethernet
// or infiniband). A balanced split puts floor(n/2) of the n endpoints on one side and ceil(n/2) on
// the other; its cut is the least total bandwidth (per direction) of network links whose removal
// separates the two sides, which by max-flow/min-cut is the most traffic one side can send to the
// other at once.
// Switches, storage nodes and all other devices may fall on either side, whichever makes the cut
// smaller. Only network links count: PCIe, NVLink and other host-side or scale-up links are
// ignored, so two NICs of one server are not joined through their host. The bisection bandwidth
// is the least cut over all balanced splits. When the endpoints lie in separate components of the
// network and whole components can be grouped into a balanced split, the bisection is 0: that is
// a real answer (one half cannot reach the other), not an error.
//
// Exact computation is NP-hard in general (it contains graph minimum bisection), hence two
// functions: bisection_bandwidth_brute_force tries every balanced split (at most 20 endpoints),
// bisection_bandwidth tries a few splits along the fabric's hierarchy of leaves and spines. The
// fast one is exact on symmetric fat trees and an upper bound on the bisection in general.
// Capacities are rounded to whole bytes per second so that every max-flow is exact.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/core/units.hpp"
#include "gpusched/topology/detail/fabric_cut.hpp"
#include "gpusched/topology/detail/fabric_hierarchy.hpp"
#include "gpusched/topology/topology.hpp"
#include "gpusched/topology/types.hpp"

namespace gpusched::topology {

/// The bisection bandwidth of a scale-out fabric and a balanced split that attains it.
struct bisection_result {
  bytes_per_second bandwidth = 0.0;  ///< least cut over the balanced splits found, per direction
  std::size_t endpoints = 0;         ///< NICs with at least one network link
  /// Least total network bandwidth of floor(n/2) endpoints: the cut at their NIC links, the most
  /// any fabric can offer a half of this size.
  bytes_per_second endpoint_bandwidth_half = 0.0;
  bool full_bisection = false;    ///< bandwidth == endpoint_bandwidth_half: the fabric never limits
  std::vector<device_id> side_a;  ///< the witness split: the endpoints of one side, ascending ids
};

namespace detail {

/// The result for the best cut found, its witness split, and the fabric's endpoints.
inline bisection_result bisection_result_of(const scale_out_fabric& f, flow_capacity best,
                                            const std::vector<char>& in_a) {
  bisection_result r;
  r.endpoints = f.endpoints;
  r.bandwidth = static_cast<bytes_per_second>(best);
  std::vector<flow_capacity> caps = f.endpoint_capacity;
  std::sort(caps.begin(), caps.end());
  const flow_capacity half = std::accumulate(
      caps.begin(), caps.begin() + static_cast<std::ptrdiff_t>(f.endpoints / 2), flow_capacity{0});
  r.endpoint_bandwidth_half = static_cast<bytes_per_second>(half);
  r.full_bisection = best >= half;
  for (std::size_t e = 0; e < f.endpoints; ++e)
    if (in_a[e]) r.side_a.push_back(f.ids[e]);
  std::sort(r.side_a.begin(), r.side_a.end());
  return r;
}

/// The fabric of `t`, checked to have at least two endpoints.
inline scale_out_fabric bisection_fabric(const topology& t, const std::string& where) {
  scale_out_fabric f = make_scale_out_fabric(t, where);
  require(f.endpoints >= 2, where,
          "has " + std::to_string(f.endpoints) +
              " NIC(s) with a network (ethernet/infiniband) link; it has no scale-out fabric to "
              "bisect (at least 2 are needed)");
  return f;
}

}  // namespace detail

/// Bisection bandwidth from the fabric's hierarchy: a few balanced splits, one max-flow each.
/// Exact on symmetric fat trees, an upper bound in general (the witness split attains it).
/// Candidates, at each depth of the hierarchy (everything, component, pod, leaf, endpoint): every
/// subtree cut in half; whole subtrees taken in order while they fit in a half, the rest filled
/// with the endpoints of least NIC bandwidth. Throws gpusched::error with fewer than 2 endpoints.
inline bisection_result bisection_bandwidth(const topology& t) {
  const std::string where = "bisection_bandwidth(topology '" + t.name() + "')";
  const detail::scale_out_fabric f = detail::bisection_fabric(t, where);
  const detail::endpoint_hierarchy h = detail::make_hierarchy(t, f);
  detail::fabric_cut_evaluator cut(f);
  const std::size_t n = f.endpoints;
  detail::flow_capacity best = -1;
  std::vector<char> best_side, side(n, 0);
  const auto consider = [&] {
    const auto c = best < 0 ? cut(side) : cut(side, best);
    if (best < 0 || c < best) {
      best = c;
      best_side = side;
    }
  };

  // Positions in the hierarchy order by their endpoint's NIC bandwidth, least first.
  std::vector<std::size_t> by_capacity(n);
  std::iota(by_capacity.begin(), by_capacity.end(), std::size_t{0});
  std::stable_sort(by_capacity.begin(), by_capacity.end(), [&](std::size_t a, std::size_t b) {
    return f.endpoint_capacity[h.order[a]] < f.endpoint_capacity[h.order[b]];
  });
  // Side A = the first `whole` positions, then the least-bandwidth endpoints after them.
  const auto prefix_then_cheapest = [&](std::size_t whole) {
    std::fill(side.begin(), side.end(), 0);
    for (std::size_t i = 0; i < whole; ++i) side[h.order[i]] = 1;
    std::size_t missing = n / 2 - whole;
    for (std::size_t i = 0; i < n && missing > 0; ++i)
      if (by_capacity[i] >= whole) {
        side[h.order[by_capacity[i]]] = 1;
        --missing;
      }
    consider();
  };

  std::size_t depth_max = 0;
  for (const auto& c : h.chain) depth_max = std::max(depth_max, c.size());
  std::size_t previous_blocks = 0;
  for (std::size_t d = 0; d <= depth_max; ++d) {
    const std::vector<std::size_t> sizes = detail::hierarchy_blocks(h, d);
    if (sizes.size() == previous_blocks) continue;  // same blocks as the depth above
    previous_blocks = sizes.size();
    // Every block cut in half; blocks of odd size give their middle endpoint to A in turn.
    const bool any_odd = std::any_of(sizes.begin(), sizes.end(), [](auto s) { return s % 2 == 1; });
    for (const bool extra_first : {false, true}) {
      if (extra_first && !any_odd) break;
      bool extra = extra_first;  // whether the next odd block gives its middle endpoint to A
      std::size_t pos = 0;
      for (const auto s : sizes) {
        const std::size_t to_a = s / 2 + (s % 2 == 1 && extra ? 1 : 0);
        if (s % 2 == 1) extra = !extra;
        for (std::size_t i = 0; i < s; ++i, ++pos) side[h.order[pos]] = i < to_a ? 1 : 0;
      }
      consider();
    }
    // Whole blocks in hierarchy order while they fit in a half, the rest its cheapest endpoints.
    std::size_t whole = 0;
    for (std::size_t i = 0; i < sizes.size() && whole + sizes[i] <= n / 2; ++i) whole += sizes[i];
    if (whole > 0 && whole < n / 2) prefix_then_cheapest(whole);
  }
  prefix_then_cheapest(0);  // the floor(n/2) endpoints of least NIC bandwidth
  return detail::bisection_result_of(f, best, best_side);
}

/// Exact bisection bandwidth by trying every balanced split, one max-flow each (none when a cheap
/// lower bound already rules the split out). Throws gpusched::error beyond 20 endpoints (the
/// splits grow as 2^n) or with fewer than 2.
/// Work saved without loss: endpoint 0 stays on side A (a split and its mirror cut the same), and
/// interchangeable endpoints (identical network links to identical devices, like the NICs of one
/// leaf at one speed) are counted, not chosen: only how many of each class go to A matters.
inline bisection_result bisection_bandwidth_brute_force(const topology& t) {
  const std::string where = "bisection_bandwidth_brute_force(topology '" + t.name() + "')";
  detail::scale_out_fabric f = detail::bisection_fabric(t, where);
  const std::size_t n = f.endpoints;
  require(n <= 20, where,
          "has " + std::to_string(n) +
              " endpoints; brute force may need one max-flow per balanced split, C(n-1, n/2) of "
              "them (92,378 at 20, 35 million at 28), so it stops at 20; use bisection_bandwidth");
  for (auto& neighbours : f.adj) std::sort(neighbours.begin(), neighbours.end());
  std::vector<std::vector<std::uint32_t>> classes;  // twins; the class of endpoint 0 first
  for (std::uint32_t e = 0; e < n; ++e) {
    const auto twin = std::find_if(classes.begin(), classes.end(),
                                   [&](const auto& c) { return f.adj[c.front()] == f.adj[e]; });
    if (twin == classes.end())
      classes.push_back({e});
    else
      twin->push_back(e);
  }
  detail::fabric_cut_evaluator cut(f);
  detail::flow_capacity best = -1;
  std::vector<char> best_side, side(n, 0);
  std::vector<std::size_t> to_a(classes.size(), 0);  // an odometer over how many of each go to A
  to_a[0] = 1;
  for (bool more = true; more;) {
    const auto size_a = std::accumulate(to_a.begin(), to_a.end(), std::size_t{0});
    if (size_a == n / 2 || size_a == (n + 1) / 2) {
      for (std::size_t c = 0; c < classes.size(); ++c)
        for (std::size_t i = 0; i < classes[c].size(); ++i)
          side[classes[c][i]] = i < to_a[c] ? 1 : 0;
      const auto value = best < 0 ? cut(side) : cut(side, best);
      if (best < 0 || value < best) {
        best = value;
        best_side = side;
      }
    }
    more = false;
    for (std::size_t c = 0; c < classes.size() && !more; ++c) {
      more = to_a[c] < classes[c].size();
      to_a[c] = more ? to_a[c] + 1 : (c == 0 ? 1 : 0);
    }
  }
  return detail::bisection_result_of(f, best, best_side);
}

/// Per-direction min cut of network links between the NICs `side_a` and all other endpoints
/// (the cut of any split, balanced or not). Every id must be an endpoint, named at most once.
inline bytes_per_second min_cut_bandwidth(const topology& t, std::span<const device_id> side_a) {
  const std::string where = "min_cut_bandwidth(topology '" + t.name() + "')";
  const detail::scale_out_fabric f = detail::make_scale_out_fabric(t, where);
  std::vector<char> side(f.endpoints, 0);
  for (const device_id v : side_a) {
    require(v < t.num_devices(), where, "unknown device id " + std::to_string(v));
    const auto e = f.local[v];
    require(e < f.endpoints, where,
            "device '" + t[v].name + "' is not a NIC with a network link (not an endpoint)");
    require(!side[e], where, "device '" + t[v].name + "' is named twice in side_a");
    side[e] = 1;
  }
  detail::fabric_cut_evaluator cut(f);
  return static_cast<bytes_per_second>(cut(side));
}

}  // namespace gpusched::topology
