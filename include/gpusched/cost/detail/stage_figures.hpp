#pragma once
// What a step evaluation needs from the cluster that depends only on the system, the model's
// routing fan-out and the layout, computed once: the stage's GPUs, the all-reduce figures of the
// TP group and of the whole stage, and the per-GPU port loads of a uniform MoE all-to-all (so a
// decode-step evaluation does no routing, no allocation and no G x G work per call).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "gpusched/cost/cluster.hpp"

namespace gpusched::cost::detail {

// Ring figures and NVLS eligibility of a group (see all_reduce in collectives.hpp).
struct group_figures {
  double n = 1.0;
  double ring_bandwidth = std::numeric_limits<double>::infinity();
  seconds ring_latency = 0.0;
  bool nvls = false;
};

inline group_figures figures_of(const cluster& c, std::span<const std::size_t> g) {
  group_figures f;
  f.n = static_cast<double>(g.size());
  for (std::size_t i = 0; i < g.size(); ++i) {
    const auto a = static_cast<Eigen::Index>(g[i]), b = static_cast<Eigen::Index>(g[(i + 1) % g.size()]);
    if (a == b) continue;
    f.ring_bandwidth = std::min(f.ring_bandwidth, c.bandwidth(a, b));
    f.ring_latency = std::max(f.ring_latency, c.latency(a, b));
  }
  bool one_domain = true;
  for (auto x : g) one_domain = one_domain && c.domain[x] == c.domain[g[0]];
  f.nvls = one_domain && c.in_switch_reduction;
  return f;
}

// Port loads of one MoE all-to-all where GPU i sends unit bytes per token to GPU j with weight
// w(i, j): p_gpu inside an NVLink domain (the chance one of a token's k experts is on j), and
// towards another domain p_gpu (flat, DeepEP low-latency) or share[j] (hierarchical: the token
// crosses once per destination domain, then fans out over NVLink).
struct a2a_figures {
  Eigen::MatrixXd inv_bandwidth;  // G x G, 1 / bytes-per-second, 0 on the diagonal
  std::vector<unsigned char> same;  // G x G column-major: 1 when both GPUs share an NVLink domain
  std::vector<double> other_weight; // weight towards GPU j from another domain
  double p_gpu = 0.0;
  seconds max_latency = 0.0;
  // Uniform case: per GPU seconds per byte-per-token on each port (send/recv x NVLink/network).
  double uniform_port = 0.0;   // max over GPUs and ports
  double uniform_sent = 0.0;   // max bytes factor a GPU sends
};

inline a2a_figures a2a_of(const cluster& c, std::span<const std::size_t> stage, double k, bool hierarchical) {
  a2a_figures f;
  const auto G = stage.size();
  const auto n = static_cast<Eigen::Index>(G);
  const double g = static_cast<double>(G);
  f.p_gpu = 1.0 - std::pow(1.0 - 1.0 / g, k);
  f.inv_bandwidth.setZero(n, n);
  f.same.assign(G * G, 0);
  f.other_weight.assign(G, f.p_gpu);
  std::vector<double> members(G, 0.0);
  for (std::size_t j = 0; j < G; ++j)
    for (std::size_t q = 0; q < G; ++q) members[j] += c.domain[stage[q]] == c.domain[stage[j]] ? 1.0 : 0.0;
  if (hierarchical)
    for (std::size_t j = 0; j < G; ++j) f.other_weight[j] = (1.0 - std::pow(1.0 - members[j] / g, k)) / members[j];
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i < n; ++i) {
      if (i == j) continue;
      const auto gi = static_cast<Eigen::Index>(stage[static_cast<std::size_t>(i)]);
      const auto gj = static_cast<Eigen::Index>(stage[static_cast<std::size_t>(j)]);
      f.inv_bandwidth(i, j) = 1.0 / c.bandwidth(gi, gj);
      f.same[static_cast<std::size_t>(j) * G + static_cast<std::size_t>(i)] =
          c.domain[static_cast<std::size_t>(gi)] == c.domain[static_cast<std::size_t>(gj)] ? 1 : 0;
      f.max_latency = std::max(f.max_latency, c.latency(gi, gj));
    }
  // Uniform loads: every GPU sends the same token count.
  std::vector<double> send_nv(G, 0.0), send_net(G, 0.0), recv_nv(G, 0.0), recv_net(G, 0.0), sent(G, 0.0);
  for (std::size_t j = 0; j < G; ++j)
    for (std::size_t i = 0; i < G; ++i) {
      if (i == j) continue;
      const bool s = f.same[j * G + i] != 0;
      const double w = s ? f.p_gpu : f.other_weight[j];
      const double t = w * f.inv_bandwidth(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      (s ? send_nv[i] : send_net[i]) += t;
      (s ? recv_nv[j] : recv_net[j]) += t;
      sent[i] += w;
    }
  for (std::size_t i = 0; i < G; ++i) {
    f.uniform_port = std::max({f.uniform_port, send_nv[i], send_net[i], recv_nv[i], recv_net[i]});
    f.uniform_sent = std::max(f.uniform_sent, sent[i]);
  }
  return f;
}

// Port time (seconds per unit of `bytes_per_token`) and busiest sender's bytes factor when GPU j
// receives in proportion to load_share[j] x G (1 = uniform) and every GPU sends the same tokens.
// Combine is the transpose of dispatch, so its port maximum is the same figure.
inline std::pair<double, double> a2a_weighted(const a2a_figures& f, const Eigen::VectorXd& load_share) {
  const auto G = f.other_weight.size();
  const double g = static_cast<double>(G);
  double port = 0.0, most = 0.0;
  std::vector<double> recv_nv(G, 0.0), recv_net(G, 0.0);
  for (std::size_t i = 0; i < G; ++i) {
    double s_nv = 0.0, s_net = 0.0, sent = 0.0;
    for (std::size_t j = 0; j < G; ++j) {
      if (i == j) continue;
      const bool s = f.same[j * G + i] != 0;
      const double w = (s ? f.p_gpu : f.other_weight[j]) * load_share[static_cast<Eigen::Index>(j)] * g;
      const double t = w * f.inv_bandwidth(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
      (s ? s_nv : s_net) += t;
      (s ? recv_nv[j] : recv_net[j]) += t;
      sent += w;
    }
    port = std::max({port, s_nv, s_net});
    most = std::max(most, sent);
  }
  for (std::size_t j = 0; j < G; ++j) port = std::max({port, recv_nv[j], recv_net[j]});
  return {port, most};
}

}  // namespace gpusched::cost::detail
