#pragma once
// Synthetic expert loads with fixed seeds, for tests, benchmarks and examples: Zipf over a random
// permutation of the experts, lognormal, multinomial windows drawn from given per-layer shares,
// a drifting sequence of snapshots, and routed tokens with co-activation (topics). Deterministic
// for a seed (with one standard library).

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

/// Loads and co-activation counts of a sample of routed tokens (see `topic_routing`).
struct routed_tokens {
  Eigen::MatrixXd loads;                      ///< layers x experts: tokens routed to each expert
  std::vector<Eigen::MatrixXd> coactivation;  ///< per layer, experts x experts: tokens picking both
};

/// `tokens` tokens per layer, each routed to `top_k` distinct experts, with co-activation
/// structure that expert groups do not capture: per layer every expert gets a popularity
/// (lognormal, sigma `sigma`) and one of `topics` topics (a random permutation dealt round-robin,
/// so topics cut across expert groups); a token draws a topic uniformly, then each of its experts
/// with probability `focus` among its topic's experts and otherwise among all experts, by
/// popularity, redrawing repeats. The co-activation matrices are symmetric with a zero diagonal.
[[nodiscard]] inline routed_tokens topic_routing(int layers, int experts, int top_k, std::int64_t tokens, int topics,
                                                 double focus, double sigma, std::uint64_t seed) {
  require(layers > 0 && experts > 0 && top_k > 0 && top_k <= experts && tokens >= 0 && topics > 0 &&
              topics <= experts && focus >= 0.0 && focus <= 1.0 && sigma >= 0.0,
          "moe::topic_routing", "bad arguments (need 0 < top_k <= experts, 0 < topics <= experts, 0 <= focus <= 1)");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, sigma);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> pick_topic(0, topics - 1);
  routed_tokens out;
  out.loads = Eigen::MatrixXd::Zero(layers, experts);
  std::vector<int> perm(static_cast<std::size_t>(experts)), chosen;
  std::vector<double> popularity(static_cast<std::size_t>(experts));
  for (int l = 0; l < layers; ++l) {
    for (auto& x : popularity) x = std::exp(normal(rng));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    std::vector<std::vector<int>> members(static_cast<std::size_t>(topics));
    for (int i = 0; i < experts; ++i) members[static_cast<std::size_t>(i % topics)].push_back(perm[static_cast<std::size_t>(i)]);
    std::discrete_distribution<int> any(popularity.begin(), popularity.end());
    std::vector<std::discrete_distribution<int>> within;
    for (const auto& m : members) {
      std::vector<double> pw;
      for (int e : m) pw.push_back(popularity[static_cast<std::size_t>(e)]);
      within.emplace_back(pw.begin(), pw.end());
    }
    Eigen::MatrixXd co = Eigen::MatrixXd::Zero(experts, experts);
    for (std::int64_t t = 0; t < tokens; ++t) {
      const auto topic = static_cast<std::size_t>(pick_topic(rng));
      chosen.clear();
      int topic_tries = 0;  // a topic smaller than top_k runs out: then draw among all experts
      while (static_cast<int>(chosen.size()) < top_k) {
        const bool in_topic = topic_tries < 4 * top_k && unit(rng) < focus;
        if (in_topic) ++topic_tries;
        const int e = in_topic ? members[topic][static_cast<std::size_t>(within[topic](rng))] : any(rng);
        if (std::find(chosen.begin(), chosen.end(), e) == chosen.end()) chosen.push_back(e);
      }
      for (std::size_t i = 0; i < chosen.size(); ++i) {
        out.loads(l, chosen[i]) += 1.0;
        for (std::size_t j = 0; j < i; ++j) {
          co(chosen[i], chosen[j]) += 1.0;
          co(chosen[j], chosen[i]) += 1.0;
        }
      }
    }
    out.coactivation.push_back(std::move(co));
  }
  return out;
}

}  // namespace gpusched::moe
