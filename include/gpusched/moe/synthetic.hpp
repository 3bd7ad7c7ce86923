#pragma once
// Synthetic expert loads with fixed seeds, for tests, benchmarks and examples: Zipf over a random
// permutation of the experts, lognormal, multinomial windows drawn from given per-layer shares,
// and a drifting sequence of snapshots. Deterministic for a seed (with one standard library).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include <Eigen/Core>

#include "gpusched/core/error.hpp"

namespace gpusched::moe {

/// Zipf loads: per layer a random permutation of the experts; rank r (1-based) gets load
/// proportional to r^-s; each layer scaled to `total` token choices.
[[nodiscard]] inline Eigen::MatrixXd zipf_loads(int layers, int experts, double s, std::uint64_t seed, double total) {
  require(layers > 0 && experts > 0 && s >= 0.0 && total >= 0.0, "moe::zipf_loads", "bad arguments");
  std::mt19937_64 rng(seed);
  Eigen::MatrixXd m(layers, experts);
  std::vector<int> perm(static_cast<std::size_t>(experts));
  double norm = 0.0;
  for (int r = 1; r <= experts; ++r) norm += std::pow(r, -s);
  for (int l = 0; l < layers; ++l) {
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int r = 0; r < experts; ++r) m(l, perm[static_cast<std::size_t>(r)]) = total * std::pow(r + 1, -s) / norm;
  }
  return m;
}

/// Lognormal loads: exp of a normal(0, sigma) per expert, each layer scaled to `total`.
[[nodiscard]] inline Eigen::MatrixXd lognormal_loads(int layers, int experts, double sigma, std::uint64_t seed, double total) {
  require(layers > 0 && experts > 0 && sigma >= 0.0 && total >= 0.0, "moe::lognormal_loads", "bad arguments");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, sigma);
  Eigen::MatrixXd m(layers, experts);
  for (int l = 0; l < layers; ++l) {
    for (int e = 0; e < experts; ++e) m(l, e) = std::exp(normal(rng));
    m.row(l) *= total / m.row(l).sum();
  }
  return m;
}

/// A window of `choices` expert choices per layer, multinomial over each layer's shares of `loads`
/// (drawn expert by expert with conditional binomials, exact and fast).
[[nodiscard]] inline Eigen::MatrixXd sample_window(const Eigen::MatrixXd& loads, std::int64_t choices, std::uint64_t seed) {
  require(choices >= 0, "moe::sample_window", "choices must be non-negative");
  std::mt19937_64 rng(seed);
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(loads.rows(), loads.cols());
  for (Eigen::Index l = 0; l < loads.rows(); ++l) {
    double rest = loads.row(l).sum();
    std::int64_t left = choices;
    for (Eigen::Index e = 0; e < loads.cols() && left > 0 && rest > 0.0; ++e) {
      const double pe = std::clamp(loads(l, e) / rest, 0.0, 1.0);  // rounding only
      std::binomial_distribution<std::int64_t> draw(left, pe);
      const std::int64_t n = e + 1 == loads.cols() ? left : draw(rng);
      m(l, e) = static_cast<double>(n);
      left -= n;
      rest -= loads(l, e);
    }
  }
  return m;
}

/// `steps` snapshots of drifting loads: a lognormal base whose per-expert log-load does a random
/// walk with step `drift` (so hot experts cool down and others heat up), each scaled to `total`.
[[nodiscard]] inline std::vector<Eigen::MatrixXd> drifting_loads(int layers, int experts, int steps, double drift,
                                                                 std::uint64_t seed, double total) {
  require(steps > 0 && drift >= 0.0, "moe::drifting_loads", "bad arguments");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::MatrixXd logload(layers, experts);
  for (int l = 0; l < layers; ++l)
    for (int e = 0; e < experts; ++e) logload(l, e) = normal(rng);
  std::vector<Eigen::MatrixXd> out;
  for (int t = 0; t < steps; ++t) {
    Eigen::MatrixXd m = logload.array().exp();
    for (int l = 0; l < layers; ++l) m.row(l) *= total / m.row(l).sum();
    out.push_back(m);
    for (int l = 0; l < layers; ++l)
      for (int e = 0; e < experts; ++e) logload(l, e) += drift * normal(rng);
  }
  return out;
}

}  // namespace gpusched::moe
