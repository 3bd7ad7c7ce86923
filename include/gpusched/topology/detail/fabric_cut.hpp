#pragma once
// Internals of bisection.hpp: the scale-out part of a topology as a small graph, and the minimum
// cut between two sets of its endpoints, computed with Boost.Graph's push-relabel max-flow.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>
#include <boost/property_map/property_map.hpp>

#include "gpusched/core/error.hpp"
#include "gpusched/topology/topology.hpp"
#include "gpusched/topology/types.hpp"

namespace gpusched::topology::detail {

/// Capacities in whole bytes per second: integers keep max-flow exact and its checks valid.
using flow_capacity = std::int64_t;
inline constexpr std::uint32_t not_on_fabric = std::numeric_limits<std::uint32_t>::max();

/// The network links of a topology and the devices they touch, renumbered densely: the endpoints
/// (NICs with a network link) are local ids 0..endpoints-1, every other device after them.
struct scale_out_fabric {
  std::vector<device_id> ids;        ///< local id -> topology id, ascending within each group
  std::vector<std::uint32_t> local;  ///< topology id -> local id, or not_on_fabric
  std::size_t endpoints = 0;
  std::vector<std::vector<std::pair<std::uint32_t, flow_capacity>>> adj;  ///< network links only
  std::vector<flow_capacity> endpoint_capacity;  ///< total network bandwidth of each endpoint
};

/// Extracts the fabric of `t`; `where` names the caller in errors.
inline scale_out_fabric make_scale_out_fabric(const topology& t, const std::string& where) {
  const auto& g = t.graph();
  std::vector<char> touched(t.num_devices(), 0);
  double total = 0.0;
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    if (!is_network(g[*it].kind)) continue;
    touched[boost::source(*it, g)] = touched[boost::target(*it, g)] = 1;
    total += std::round(g[*it].bandwidth);
  }
  // Every flow value is at most twice the sum of all capacities; keep it far from INT64_MAX.
  require(total < 1e18, where,
          "network links total " + std::to_string(total) + " B/s, too much for exact 64-bit flows");
  scale_out_fabric f;
  f.local.assign(t.num_devices(), not_on_fabric);
  for (const bool endpoint : {true, false})
    for (device_id v = 0; v < t.num_devices(); ++v)
      if (touched[v] && (g[v].kind == device_kind::nic) == endpoint) {
        f.local[v] = static_cast<std::uint32_t>(f.ids.size());
        f.ids.push_back(v);
        if (endpoint) ++f.endpoints;
      }
  f.adj.resize(f.ids.size());
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    if (!is_network(g[*it].kind)) continue;
    const auto c = static_cast<flow_capacity>(std::llround(g[*it].bandwidth));
    const auto a = f.local[boost::source(*it, g)], b = f.local[boost::target(*it, g)];
    f.adj[a].emplace_back(b, c);
    f.adj[b].emplace_back(a, c);
  }
  f.endpoint_capacity.assign(f.endpoints, 0);
  for (std::size_t e = 0; e < f.endpoints; ++e)
    for (const auto& [w, c] : f.adj[e]) f.endpoint_capacity[e] += c;
  return f;
}

/// Min cut between a set of endpoints and the rest, one max-flow per query on a flow network built
/// once. Endpoints are contracted into the source (side A) or the sink (side B): a link from an
/// endpoint to device v becomes an arc s->v or v->t whose capacity is set per query, so the graph
/// holds only the non-endpoint devices (switches, storage) and two terminals.
class fabric_cut_evaluator {
 public:
  explicit fabric_cut_evaluator(const scale_out_fabric& f)
      : f_(&f), from_s_(others(), none), to_t_(others(), none) {
    const std::size_t e_count = f.endpoints, vertices = others() + 2;
    // Arcs come in pairs (2k, 2k+1): an arc and its reverse of capacity 0, as push-relabel's flow
    // checks expect. An undirected link of capacity c is two such pairs, one each way; a terminal
    // arc (s->v, v->t) is one pair whose capacity each query sets.
    std::size_t arcs = 0;
    for (std::size_t u = e_count; u < f.adj.size(); ++u)
      for (const auto& [w, c] : f.adj[u]) arcs += w > u ? 4 : w < e_count ? 2 : 0;
    std::vector<std::pair<std::size_t, std::size_t>> ends;
    std::vector<flow_capacity> caps;
    ends.reserve(arcs);
    caps.reserve(arcs);
    const auto add_pair = [&](std::size_t u, std::size_t v, flow_capacity c) {
      ends.emplace_back(u, v);
      ends.emplace_back(v, u);
      caps.push_back(c);
      caps.push_back(0);
      return ends.size() - 2;
    };
    for (std::size_t u = e_count; u < f.adj.size(); ++u)
      for (const auto& [w, c] : f.adj[u]) {
        if (w > u) add_pair(vertex_of(u), vertex_of(w), c), add_pair(vertex_of(w), vertex_of(u), c);
        if (w < e_count && from_s_[u - e_count] == none) {
          from_s_[u - e_count] = add_pair(source, vertex_of(u), 0);
          to_t_[u - e_count] = add_pair(vertex_of(u), sink, 0);
        }
      }
    // A compressed sparse row graph stores arcs sorted by source, arc i of the sorted list having
    // edge index i: counting-sort the arcs and renumber the reverses and terminal arcs.
    std::vector<std::size_t> first(vertices + 1, 0), position(ends.size());
    for (const auto& [u, v] : ends) ++first[u + 1];
    std::partial_sum(first.begin(), first.end(), first.begin());
    for (std::size_t i = 0; i < ends.size(); ++i) position[i] = first[ends[i].first]++;
    std::vector<std::pair<std::size_t, std::size_t>> sorted(ends.size());
    cap_.resize(ends.size());
    reverse_.resize(ends.size());
    for (std::size_t i = 0; i < ends.size(); ++i) {
      sorted[position[i]] = ends[i];
      cap_[position[i]] = caps[i];
      reverse_[position[i]] = edge(ends[i ^ 1U].first, position[i ^ 1U]);
    }
    for (auto* terminal : {&from_s_, &to_t_})
      for (auto& arc : *terminal)
        if (arc != none) arc = position[arc];
    graph_ = flow_graph(boost::edges_are_sorted, sorted.begin(), sorted.end(), vertices);
    residual_.assign(ends.size(), 0);
    into_.assign(others(), 0);
    out_of_.assign(others(), 0);
  }

  /// Per-direction min cut between the endpoints with in_a[e] != 0 and those with in_a[e] == 0;
  /// when a cheap lower bound already reaches `stop_at`, that bound instead (no max-flow).
  [[nodiscard]] flow_capacity operator()(
      std::span<const char> in_a,
      flow_capacity stop_at = std::numeric_limits<flow_capacity>::max()) {
    const std::size_t e_count = f_->endpoints;
    std::fill(into_.begin(), into_.end(), 0);
    std::fill(out_of_.begin(), out_of_.end(), 0);
    flow_capacity direct = 0;  // links joining an endpoint of A to one of B directly
    for (std::size_t e = 0; e < e_count; ++e)
      for (const auto& [w, c] : f_->adj[e]) {
        if (w >= e_count)
          (in_a[e] ? into_ : out_of_)[w - e_count] += c;
        else if (w > e && in_a[e] != in_a[w])
          direct += c;
      }
    // Each device v adjacent to endpoints of both sides sits on one side, so the cut holds all of
    // v's links to the other side's endpoints: at least min(into v, out of v), over disjoint links.
    flow_capacity bound = direct;
    for (std::size_t k = 0; k < others(); ++k)
      if (from_s_[k] != none) {
        cap_[from_s_[k]] = into_[k];
        cap_[to_t_[k]] = out_of_[k];
        bound += std::min(into_[k], out_of_[k]);
      }
    if (bound >= stop_at) return bound;
    const auto index = boost::get(boost::edge_index, graph_);
    return direct +
           boost::push_relabel_max_flow(graph_, source, sink,
                                        boost::make_iterator_property_map(cap_.begin(), index),
                                        boost::make_iterator_property_map(residual_.begin(), index),
                                        boost::make_iterator_property_map(reverse_.begin(), index),
                                        boost::get(boost::vertex_index, graph_));
  }

 private:
  using flow_graph = boost::compressed_sparse_row_graph<boost::directedS>;
  using edge = flow_graph::edge_descriptor;
  static constexpr std::size_t source = 0, sink = 1;
  static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

  [[nodiscard]] std::size_t others() const { return f_->adj.size() - f_->endpoints; }
  [[nodiscard]] std::size_t vertex_of(std::size_t local) const { return local - f_->endpoints + 2; }

  const scale_out_fabric* f_;
  flow_graph graph_;
  std::vector<flow_capacity> cap_, residual_, into_, out_of_;
  std::vector<edge> reverse_;
  std::vector<std::size_t> from_s_, to_t_;  // arc index of s->v and v->t per non-endpoint device
};

}  // namespace gpusched::topology::detail
