#pragma once
// balance_dispatch: weighted dispatch. For a fixed replica layout, chooses each replica's share of
// its expert's tokens to minimise the most loaded GPU: a min-max flow (source -> expert with its
// load -> every GPU hosting it -> sink with capacity T), binary search on the smallest T that lets
// every token through (Boost.Graph push-relabel max-flow). The result meets total/G whenever the
// layout allows it, and is optimal for the layout in any case (up to the integer scaling below).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>

#include "gpusched/moe/metrics.hpp"
#include "gpusched/moe/placement.hpp"
#include "gpusched/moe/problem.hpp"

namespace gpusched::moe {
namespace detail {

using flow_traits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
using flow_graph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::no_property,
    boost::property<boost::edge_capacity_t, std::int64_t,
                    boost::property<boost::edge_residual_capacity_t, std::int64_t,
                                    boost::property<boost::edge_reverse_t, flow_traits::edge_descriptor>>>>;

/// The flow network of one layer; capacities are integers (loads scaled so the total is ~2^40),
/// because floating-point push-relabel is not robust.
class dispatch_network {
 public:
  dispatch_network(const std::vector<std::int64_t>& w, const std::vector<int>& phy2log, int slots_per_gpu, int gpus)
      : g_(w.size() + static_cast<std::size_t>(gpus) + 2) {
    const auto E = w.size();
    src_ = E + static_cast<std::size_t>(gpus);
    sink_ = src_ + 1;
    for (std::size_t e = 0; e < E; ++e) add(src_, e, w[e]);
    // One edge per (expert, GPU) pair, even if the GPU holds the expert twice.
    std::vector<std::pair<std::size_t, std::size_t>> pairs;
    for (std::size_t s = 0; s < phy2log.size(); ++s)
      pairs.emplace_back(static_cast<std::size_t>(phy2log[s]), s / static_cast<std::size_t>(slots_per_gpu));
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    for (const auto& [e, gpu] : pairs) pair_edges_.push_back({e, gpu, add(e, E + gpu, w[e])});
    for (std::size_t gpu = 0; gpu < static_cast<std::size_t>(gpus); ++gpu) sink_edges_.push_back(add(E + gpu, sink_, 0));
  }
  /// Max flow with every GPU capped at `cap`.
  std::int64_t flow(std::int64_t cap) {
    auto capacity = boost::get(boost::edge_capacity, g_);
    for (auto ed : sink_edges_) capacity[ed] = cap;
    return boost::push_relabel_max_flow(g_, src_, sink_);
  }
  /// Flow on each (expert, GPU) edge of the last run.
  struct pair_flow {
    std::size_t expert, gpu;
    std::int64_t flow;
  };
  std::vector<pair_flow> pair_flows() const {
    auto capacity = boost::get(boost::edge_capacity, g_);
    auto residual = boost::get(boost::edge_residual_capacity, g_);
    std::vector<pair_flow> out;
    for (const auto& p : pair_edges_) out.push_back({p.expert, p.gpu, capacity[p.handle] - residual[p.handle]});
    return out;
  }

 private:
  using edge = flow_traits::edge_descriptor;
  struct pair_edge {
    std::size_t expert, gpu;
    edge handle;
  };
  edge add(std::size_t u, std::size_t v, std::int64_t cap) {
    auto capacity = boost::get(boost::edge_capacity, g_);
    auto reverse = boost::get(boost::edge_reverse, g_);
    const edge e = boost::add_edge(u, v, g_).first;
    const edge r = boost::add_edge(v, u, g_).first;
    capacity[e] = cap;
    capacity[r] = 0;
    reverse[e] = r;
    reverse[r] = e;
    return e;
  }
  flow_graph g_;
  std::size_t src_ = 0, sink_ = 0;
  std::vector<pair_edge> pair_edges_;
  std::vector<edge> sink_edges_;
};

}  // namespace detail

/// Replaces the dispatch weights of every layer of `plan` by min-max ones for the loads of `p`
/// (the layout is unchanged). Experts with no load keep uniform weights.
inline void balance_dispatch(const problem& p, placement& plan) {
  validate(p);
  require(plan.gpus == p.cluster.gpus && plan.slots_per_gpu == p.cluster.slots_per_gpu && plan.experts == p.experts() &&
              plan.layers.size() == static_cast<std::size_t>(p.layers()),
          "moe::balance_dispatch", "placement shape differs from the problem's");
  for (int li = 0; li < p.layers(); ++li) {
    auto& l = plan.layers[static_cast<std::size_t>(li)];
    const double total = p.loads.row(li).sum();
    if (total <= 0.0) continue;
    const double scale = std::ldexp(1.0, 40) / total;
    std::vector<std::int64_t> w(static_cast<std::size_t>(p.experts()));
    std::int64_t sum = 0;
    for (int e = 0; e < p.experts(); ++e) sum += w[static_cast<std::size_t>(e)] = std::llround(p.loads(li, e) * scale);
    detail::dispatch_network net(w, l.physical_to_logical, plan.slots_per_gpu, plan.gpus);
    // T lies in [ceil(sum/G), the current plan's max]; the current weights are a feasible flow
    // up to rounding, which the margin of one unit per expert covers.
    std::int64_t lo = (sum + plan.gpus - 1) / plan.gpus;
    std::int64_t hi = std::min<std::int64_t>(sum, std::llround(gpu_loads(p, plan, li).maxCoeff() * scale) + p.experts());
    if (net.flow(hi) != sum) hi = sum;
    if (net.flow(lo) == sum) {
      hi = lo;
    } else {
      while (hi - lo > 1) {  // invariant: lo infeasible, hi feasible
        const std::int64_t mid = lo + (hi - lo) / 2;
        (net.flow(mid) == sum ? hi : lo) = mid;
        if (static_cast<double>(hi - lo) < 1e-7 * static_cast<double>(hi)) break;
      }
    }
    net.flow(hi);
    for (const auto& f : net.pair_flows()) {
      if (w[f.expert] == 0) continue;
      // Replicas of the expert on this GPU share its flow equally.
      std::vector<int> here;
      for (int s : l.logical_to_physical[f.expert])
        if (static_cast<std::size_t>(plan.gpu_of(s)) == f.gpu) here.push_back(s);
      for (int s : here)
        l.dispatch_weight[static_cast<std::size_t>(s)] =
            static_cast<double>(f.flow) / static_cast<double>(w[f.expert]) / static_cast<double>(here.size());
    }
  }
}

}  // namespace gpusched::moe
