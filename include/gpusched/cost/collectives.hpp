#pragma once
// Alpha-beta costs of the collectives inference uses, over a cost::cluster (GPU x GPU latency and
// bandwidth from topology paths). A transfer of B bytes over a path costs latency + B / (bandwidth x
// efficiency.network); every collective step also pays efficiency.collective_latency (software).
//   all-to-all   from a GPU x GPU traffic matrix (bytes group[i] sends to group[j]); each GPU's
//                NVLink and network traffic proceed in parallel, each serialised on its own port,
//                sends and receives in parallel (full duplex): time = alpha + max over GPUs and ports.
//   all-reduce   ring (2(n-1) steps of bytes/n), double binary tree (2 log2 n latency steps, the
//                same bandwidth term), NVLS (in-switch reduction inside one NVLink domain: each GPU
//                sends and receives the buffer once).
//   all-gather   ring, (n-1) steps of the per-GPU share.
//   point-to-point between two GPUs, or between any two devices of a topology (KV transfers
//                between tiers or across the fabric).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>

#include <Eigen/Core>

#include "gpusched/core/error.hpp"
#include "gpusched/cost/cluster.hpp"
#include "gpusched/cost/detail/stage_figures.hpp"
#include "gpusched/cost/roofline.hpp"
#include "gpusched/topology/router.hpp"

namespace gpusched::cost {

/// Cost of one communication: its latency (alpha) and bandwidth (beta) parts.
struct comm_cost {
  seconds latency = 0.0;    ///< alpha: path latencies and software steps
  seconds transfer = 0.0;   ///< beta: bytes over bandwidth on the busiest port
  double bytes = 0.0;       ///< bytes the busiest GPU sends
  [[nodiscard]] seconds time() const noexcept { return latency + transfer; }
};

/// All-reduce algorithms.
enum class allreduce_algorithm { automatic, ring, tree, nvls };

namespace detail {
inline void check_group(const cluster& c, std::span<const std::size_t> group, const char* where) {
  require(!group.empty(), where, "empty group");
  for (std::size_t i = 0; i < group.size(); ++i)
    require(group[i] < c.size(), where,
            "group member " + std::to_string(i) + " is GPU " + std::to_string(group[i]) + ", cluster has " +
                std::to_string(c.size()));
}
inline void check_bytes(double bytes, const char* where) {
  require(std::isfinite(bytes) && bytes >= 0.0, where, "byte count must be finite and non-negative");
}
// Slowest neighbour link and largest neighbour latency around the ring group[0] -> group[1] -> ...
inline std::pair<double, double> ring_figures(const cluster& c, std::span<const std::size_t> g) {
  double bw = std::numeric_limits<double>::infinity(), lat = 0.0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    const auto a = static_cast<Eigen::Index>(g[i]), b = static_cast<Eigen::Index>(g[(i + 1) % g.size()]);
    if (a == b) continue;
    bw = std::min(bw, c.bandwidth(a, b));
    lat = std::max(lat, c.latency(a, b));
  }
  return {bw, lat};
}
}  // namespace detail

/// The traffic matrix of an all-to-all where each of `n` GPUs sends `bytes_per_gpu` spread evenly
/// over all n GPUs (its own share stays local): entry (i, j) = bytes_per_gpu / n for i != j.
inline Eigen::MatrixXd uniform_traffic(std::size_t n, double bytes_per_gpu) {
  detail::check_bytes(bytes_per_gpu, "cost::uniform_traffic");
  const auto s = static_cast<Eigen::Index>(n);
  Eigen::MatrixXd t = Eigen::MatrixXd::Constant(s, s, n ? bytes_per_gpu / static_cast<double>(n) : 0.0);
  t.diagonal().setZero();
  return t;
}

/// All-to-all among `group` with `traffic(i, j)` bytes from group[i] to group[j].
inline comm_cost all_to_all(const cluster& c, std::span<const std::size_t> group, const Eigen::MatrixXd& traffic,
                            const efficiency& e) {
  const char* where = "cost::all_to_all";
  detail::check_group(c, group, where);
  const auto n = static_cast<Eigen::Index>(group.size());
  require(traffic.rows() == n && traffic.cols() == n, where,
          "traffic matrix is " + std::to_string(traffic.rows()) + "x" + std::to_string(traffic.cols()) +
              ", group has " + std::to_string(n) + " GPUs");
  comm_cost out;
  double worst_lat = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto gi = static_cast<Eigen::Index>(group[static_cast<std::size_t>(i)]);
    const auto di = c.domain[static_cast<std::size_t>(gi)];
    double send_nv = 0, send_net = 0, recv_nv = 0, recv_net = 0, sent = 0;
    for (Eigen::Index j = 0; j < n; ++j) {
      if (i == j) continue;
      const auto gj = static_cast<Eigen::Index>(group[static_cast<std::size_t>(j)]);
      const double out_b = traffic(i, j), in_b = traffic(j, i);
      if (!(out_b >= 0.0) || !(in_b >= 0.0) || !std::isfinite(out_b) || !std::isfinite(in_b))
        throw error(where, "traffic(" + std::to_string(i) + ", " + std::to_string(j) +
                               ") must be finite and non-negative");
      if (out_b == 0.0 && in_b == 0.0) continue;
      const double bw = c.bandwidth(gi, gj);
      const bool same = c.domain[static_cast<std::size_t>(gj)] == di;
      (same ? send_nv : send_net) += out_b / bw;
      (same ? recv_nv : recv_net) += in_b / bw;
      sent += out_b;
      worst_lat = std::max(worst_lat, c.latency(gi, gj));
    }
    out.transfer = std::max({out.transfer, send_nv, send_net, recv_nv, recv_net});
    out.bytes = std::max(out.bytes, sent);
  }
  out.transfer /= e.network;
  out.latency = out.bytes > 0.0 ? worst_lat + e.collective_latency : 0.0;
  return out;
}

namespace detail {
// All-reduce over a group described by its precomputed figures (stage_figures.hpp).
inline comm_cost all_reduce_with(const group_figures& g, double bytes, allreduce_algorithm algorithm,
                                 const efficiency& e) {
  const char* where = "cost::all_reduce";
  check_bytes(bytes, where);
  const double n = g.n;
  if (n <= 1.0 || bytes == 0.0) return {};
  const double bw = g.ring_bandwidth, step = g.ring_latency + e.collective_latency;
  comm_cost ring{2.0 * (n - 1.0) * step, 2.0 * (n - 1.0) / n * bytes / (bw * e.network), 2.0 * (n - 1.0) / n * bytes};
  comm_cost tree{2.0 * std::ceil(std::log2(n)) * step, 2.0 * (n - 1.0) / n * bytes / (bw * e.network), 2.0 * bytes};
  comm_cost nvls{2.0 * step, bytes / (bw * e.network), bytes};
  switch (algorithm) {
    case allreduce_algorithm::ring: return ring;
    case allreduce_algorithm::tree: return tree;
    case allreduce_algorithm::nvls:
      require(g.nvls, where, "NVLS needs every GPU of the group in one NVLink domain with NVSwitch");
      return nvls;
    case allreduce_algorithm::automatic: {
      comm_cost best = ring.time() <= tree.time() ? ring : tree;
      if (g.nvls && nvls.time() < best.time()) best = nvls;
      return best;
    }
  }
  return ring;
}
}  // namespace detail

/// All-reduce of a `bytes` buffer held by every GPU of `group`.
inline comm_cost all_reduce(const cluster& c, std::span<const std::size_t> group, double bytes,
                            allreduce_algorithm algorithm, const efficiency& e) {
  detail::check_group(c, group, "cost::all_reduce");
  return detail::all_reduce_with(detail::figures_of(c, group), bytes, algorithm, e);
}

/// All-gather: every GPU of `group` contributes `bytes_per_gpu` and ends with all of them (ring).
inline comm_cost all_gather(const cluster& c, std::span<const std::size_t> group, double bytes_per_gpu,
                            const efficiency& e) {
  const char* where = "cost::all_gather";
  detail::check_group(c, group, where);
  detail::check_bytes(bytes_per_gpu, where);
  if (group.size() == 1 || bytes_per_gpu == 0.0) return {};
  const double n = static_cast<double>(group.size());
  const auto [bw, lat] = detail::ring_figures(c, group);
  return {(n - 1.0) * (lat + e.collective_latency), (n - 1.0) * bytes_per_gpu / (bw * e.network),
          (n - 1.0) * bytes_per_gpu};
}

/// Point-to-point transfer of `bytes` from GPU `a` to GPU `b` of the cluster.
inline comm_cost point_to_point(const cluster& c, std::size_t a, std::size_t b, double bytes, const efficiency& e) {
  const char* where = "cost::point_to_point";
  require(a < c.size() && b < c.size(), where, "GPU index out of range");
  detail::check_bytes(bytes, where);
  if (a == b || bytes == 0.0) return {};
  const auto ia = static_cast<Eigen::Index>(a), ib = static_cast<Eigen::Index>(b);
  return {c.latency(ia, ib) + e.collective_latency, bytes / (c.bandwidth(ia, ib) * e.network), bytes};
}

/// Transfer of `bytes` between any two devices of a topology (GPU to host memory over C2C or PCIe,
/// to a storage node over the fabric ...), along the router's path.
inline comm_cost transfer(const topology::router& r, topology::device_id from, topology::device_id to, double bytes,
                          const efficiency& e) {
  detail::check_bytes(bytes, "cost::transfer");
  if (from == to || bytes == 0.0) return {};
  const auto p = r.path(from, to);
  return {p.latency + e.collective_latency, bytes / (p.bandwidth * e.network), bytes};
}

}  // namespace gpusched::cost
