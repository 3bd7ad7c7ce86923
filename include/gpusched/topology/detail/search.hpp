#pragma once
// General path search over any topology, used where the structure gives no faster answer
// (imported servers, hand-made graphs, paths inside one host). Two phases, both Boost Dijkstra:
//   1. the widest path: the largest bottleneck bandwidth B* from source to target;
//   2. among paths whose every link has bandwidth >= B*, the lowest total latency, then fewest hops.
// This is the choice NCCL makes between path types (best bandwidth first), made deterministic.

#include <algorithm>
#include <functional>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/property_map/function_property_map.hpp>
#include <boost/property_map/property_map.hpp>

#include "gpusched/topology/topology.hpp"

namespace gpusched::topology::detail {

/// A path found by the general search.
struct found_path {
  std::vector<device_id> devices;
  bytes_per_second bandwidth = 0.0;
  seconds latency = 0.0;
};

/// Searches a path from `from` to `to` using only edges accepted by `use_edge`. GPUs other than
/// the two ends are never transit vertices (GPUs do not forward traffic). Returns nullopt when
/// no such path exists.
template <class EdgePredicate>
std::optional<found_path> widest_then_fastest(const topology& t, device_id from, device_id to,
                                              EdgePredicate use_edge) {
  const auto& g = t.graph();
  if (from == to) return found_path{{from}, std::numeric_limits<double>::infinity(), 0.0};
  auto edge_ok = [&](edge_descriptor e) { return use_edge(g[e]); };
  auto vertex_ok = [&](device_id v) {
    return v == from || v == to || g[v].kind != device_kind::gpu;
  };
  using view = boost::filtered_graph<graph_type, std::function<bool(edge_descriptor)>,
                                     std::function<bool(device_id)>>;
  view sub(g, edge_ok, vertex_ok);
  const std::size_t n = t.num_devices();

  // Phase 1: widest path (maximise the minimum bandwidth along the path).
  const auto index = boost::get(boost::vertex_index, g);
  std::vector<double> width(n, 0.0);
  std::vector<std::size_t> pred(n);
  auto width_map = boost::make_iterator_property_map(width.begin(), index);
  auto pred_map = boost::make_iterator_property_map(pred.begin(), index);
  auto bandwidth_of = boost::make_function_property_map<edge_descriptor>(
      [&g](edge_descriptor e) { return g[e].bandwidth; });
  boost::dijkstra_shortest_paths(
      sub, from,
      boost::weight_map(bandwidth_of)
          .distance_map(width_map)
          .predecessor_map(pred_map)
          .distance_compare(std::greater<double>())
          .distance_combine([](double a, double b) { return a < b ? a : b; })
          .distance_inf(0.0)
          .distance_zero(std::numeric_limits<double>::infinity()));
  const double widest = width[to];
  if (!(widest > 0.0)) return std::nullopt;

  // Phase 2: fastest path using only links at least as wide as the widest bottleneck.
  auto wide_enough = [&, widest](edge_descriptor e) {
    return use_edge(g[e]) && g[e].bandwidth >= widest;
  };
  view wide(g, wide_enough, vertex_ok);
  using cost = std::pair<double, std::size_t>;  // (latency, hops): lexicographic
  std::vector<cost> dist(n);
  auto dist_map = boost::make_iterator_property_map(dist.begin(), index);
  auto cost_of = boost::make_function_property_map<edge_descriptor>(
      [&g](edge_descriptor e) { return cost{g[e].latency, 1}; });
  boost::dijkstra_shortest_paths(
      wide, from,
      boost::weight_map(cost_of)
          .distance_map(dist_map)
          .predecessor_map(pred_map)
          .distance_compare(std::less<cost>())
          .distance_combine([](cost a, cost b) { return cost{a.first + b.first, a.second + b.second}; })
          .distance_inf(cost{std::numeric_limits<double>::infinity(), 0})
          .distance_zero(cost{0.0, 0}));

  found_path out;
  out.latency = dist[to].first;
  out.bandwidth = widest;
  for (device_id v = to;; v = static_cast<device_id>(pred[v])) {
    out.devices.push_back(v);
    if (v == from) break;
  }
  std::reverse(out.devices.begin(), out.devices.end());
  return out;
}

}  // namespace gpusched::topology::detail
