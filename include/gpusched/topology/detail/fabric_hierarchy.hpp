#pragma once
// Internals of bisection.hpp: the endpoints of a scale-out fabric ordered along its hierarchy
// (leaf, pod, ...), so that balanced splits along that hierarchy can be written down directly.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <tuple>
#include <utility>
#include <vector>

#include "gpusched/topology/detail/fabric_cut.hpp"
#include "gpusched/topology/topology.hpp"
#include "gpusched/topology/types.hpp"

namespace gpusched::topology::detail {

/// The endpoints ordered along the fabric's hierarchy, each with its chain of ancestors.
struct endpoint_hierarchy {
  std::vector<std::uint32_t> order;  ///< endpoint local ids; a subtree's endpoints are contiguous
  /// chain[i] for order[i]: {component, root, ..., leaf switch, the endpoint itself}.
  std::vector<std::vector<std::uint32_t>> chain;
};

/// Builds the hierarchy: a device's level is its switch tier when set, else its hop distance to
/// the nearest endpoint; each device's parent is a neighbour of higher level (switches first, then
/// the lowest level, the widest link, the lowest id), so in a folded Clos each endpoint hangs under
/// its leaf, each leaf under a spine of its pod, each pod's spine under a core. Devices of one
/// link that are not switches (a storage node on a leaf) are never parents.
inline endpoint_hierarchy make_hierarchy(const topology& t, const scale_out_fabric& f) {
  const std::size_t m = f.ids.size();
  const auto& g = t.graph();
  const auto is_switch = [&](std::uint32_t v) {
    return g[f.ids[v]].kind == device_kind::network_switch;
  };
  std::vector<std::int64_t> level(m, -1);
  std::vector<std::uint32_t> queue;
  for (std::uint32_t e = 0; e < f.endpoints; ++e) {
    queue.push_back(e);
    level[e] = 0;
  }
  for (std::size_t head = 0; head < queue.size(); ++head)
    for (const auto& [w, c] : f.adj[queue[head]])
      if (level[w] < 0) {
        level[w] = level[queue[head]] + 1;
        queue.push_back(w);
      }
  for (auto v = static_cast<std::uint32_t>(f.endpoints); v < m; ++v)
    if (level[v] > 0 && is_switch(v) && g[f.ids[v]].tier > 0) level[v] = g[f.ids[v]].tier;

  std::vector<std::uint32_t> component(m, not_on_fabric);
  std::vector<std::size_t> members;  // endpoints per component
  for (std::uint32_t s = 0; s < m; ++s) {
    if (component[s] != not_on_fabric) continue;
    const auto id = static_cast<std::uint32_t>(members.size());
    members.push_back(0);
    queue.assign(1, s);
    component[s] = id;
    for (std::size_t head = 0; head < queue.size(); ++head) {
      if (queue[head] < f.endpoints) ++members[id];
      for (const auto& [w, c] : f.adj[queue[head]])
        if (component[w] == not_on_fabric) {
          component[w] = id;
          queue.push_back(w);
        }
    }
  }

  std::vector<std::vector<std::uint32_t>> children(m);
  std::vector<std::uint32_t> parent(m, not_on_fabric);
  for (std::uint32_t v = 0; v < m; ++v) {
    if (level[v] < 0) continue;  // a component without endpoints
    std::uint32_t best = not_on_fabric;
    std::tuple<bool, std::int64_t, flow_capacity, std::uint32_t> best_key{};
    for (const auto& [w, c] : f.adj[v]) {
      if (level[w] <= level[v] || (!is_switch(w) && f.adj[w].size() < 2)) continue;
      const auto key = std::make_tuple(!is_switch(w), level[w], -c, w);
      if (best == not_on_fabric || key < best_key) {
        best = w;
        best_key = key;
      }
    }
    if (best != not_on_fabric) {
      children[best].push_back(v);
      parent[v] = best;
    }
  }

  // What isolating each subtree costs along the hierarchy: the least of its own boundary and its
  // children's costs summed (an endpoint: its links). Siblings are visited cheapest per endpoint
  // first, so the splits below put the weakest subtrees together; in a symmetric tree all tie.
  std::vector<std::size_t> depth(m, 0);
  std::vector<std::uint32_t> by_level;
  for (std::uint32_t v = 0; v < m; ++v)
    if (level[v] >= 0) by_level.push_back(v);
  std::stable_sort(by_level.begin(), by_level.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return level[a] > level[b]; });
  for (const auto v : by_level)
    if (parent[v] != not_on_fabric) depth[v] = depth[parent[v]] + 1;
  // A link lies inside the subtree of its ends' lowest common ancestor and all above it.
  std::vector<flow_capacity> boundary(m, 0), cost(m, 0), children_cost(m, 0);
  std::vector<std::size_t> count(m, 0);
  for (std::uint32_t a = 0; a < m; ++a)
    for (const auto& [b, c] : f.adj[a]) {
      boundary[a] += c;
      if (b < a || level[a] < 0) continue;
      auto x = a, y = b;
      while (depth[x] > depth[y]) x = parent[x];
      while (depth[y] > depth[x]) y = parent[y];
      while (x != y && parent[x] != not_on_fabric && parent[y] != not_on_fabric) {
        x = parent[x];
        y = parent[y];
      }
      if (x == y) boundary[x] -= 2 * c;
    }
  for (auto it = by_level.rbegin(); it != by_level.rend(); ++it) {  // children before parents
    const auto v = *it;
    if (v < f.endpoints) count[v] = 1;
    cost[v] =
        v >= f.endpoints && count[v] > 0 ? std::min(boundary[v], children_cost[v]) : boundary[v];
    if (parent[v] == not_on_fabric) continue;
    boundary[parent[v]] += boundary[v];  // sums of the subtree's links, less the internal ones
    count[parent[v]] += count[v];
    if (count[v] > 0) children_cost[parent[v]] += cost[v];
  }
  const auto cheaper = [&](std::uint32_t a, std::uint32_t b) {  // cost per endpoint, then id
    const auto per = [&](std::uint32_t v) {
      return static_cast<double>(cost[v]) / static_cast<double>(std::max<std::size_t>(count[v], 1));
    };
    return per(a) < per(b) || (per(a) == per(b) && a < b);
  };
  for (auto& c : children) std::sort(c.begin(), c.end(), cheaper);

  // Whole components chosen greedily (largest first) to fit in floor(n/2) go first: when they
  // fill it exactly, the first split below cuts nothing.
  std::vector<std::uint32_t> comps(members.size());
  std::iota(comps.begin(), comps.end(), 0U);
  std::stable_sort(comps.begin(), comps.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return members[a] > members[b]; });
  std::vector<char> first(members.size(), 0);
  std::size_t filled = 0;
  for (const auto c : comps)
    if (members[c] > 0 && filled + members[c] <= f.endpoints / 2) {
      filled += members[c];
      first[c] = 1;
    }
  std::vector<std::vector<std::uint32_t>> roots(members.size());
  for (std::uint32_t v = 0; v < m; ++v)
    if (level[v] >= 0 && parent[v] == not_on_fabric) roots[component[v]].push_back(v);
  for (auto& r : roots) std::sort(r.begin(), r.end(), cheaper);

  endpoint_hierarchy h;
  std::vector<std::uint32_t> path;
  std::vector<std::pair<std::uint32_t, std::size_t>> stack;  // (device, depth below the root)
  for (const bool pass : {true, false})
    for (std::uint32_t c = 0; c < members.size(); ++c) {
      if (static_cast<bool>(first[c]) != pass) continue;
      for (const auto r : roots[c]) {
        stack.assign(1, {r, 0});
        while (!stack.empty()) {
          const auto [v, depth] = stack.back();
          stack.pop_back();
          path.resize(depth);
          path.push_back(v);
          if (v < f.endpoints) {
            h.order.push_back(v);
            h.chain.emplace_back(1, c);
            h.chain.back().insert(h.chain.back().end(), path.begin(), path.end());
          }
          for (auto it = children[v].rbegin(); it != children[v].rend(); ++it)
            stack.emplace_back(*it, depth + 1);
        }
      }
    }
  return h;
}

/// Sizes of the runs of the hierarchy order that share their ancestor at chain depth `d`
/// (d == 0: one run of everything; deeper than a chain: the endpoint alone).
inline std::vector<std::size_t> hierarchy_blocks(const endpoint_hierarchy& h, std::size_t d) {
  std::vector<std::size_t> sizes;
  if (h.order.empty()) return sizes;
  if (d == 0) return {h.order.size()};
  const auto key = [&](std::size_t i) {
    return h.chain[i][std::min(d - 1, h.chain[i].size() - 1)];
  };
  sizes.push_back(1);
  for (std::size_t i = 1; i < h.order.size(); ++i)
    if (key(i) == key(i - 1))
      ++sizes.back();
    else
      sizes.push_back(1);
  return sizes;
}

}  // namespace gpusched::topology::detail
