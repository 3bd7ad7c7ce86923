// affinity_placer (co-activated experts share a domain) and the topic-routing generator.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <vector>

#include "gpusched/moe.hpp"
#include "moe_test_support.hpp"

namespace moe = gpusched::moe;

namespace {
using moe_test::make;

// Co-activated token pairs of one layer in total (upper triangle, as evaluate reads it).
double all_pairs(const Eigen::MatrixXd& co) {
  double s = 0.0;
  for (Eigen::Index j = 0; j < co.cols(); ++j)
    for (Eigen::Index i = 0; i < j; ++i) s += co(i, j);
  return s;
}

std::set<int> experts_on(const moe::layer_placement& l, int gpu, int slots) {
  std::set<int> out;
  for (int s = gpu * slots; s < (gpu + 1) * slots; ++s) out.insert(l.physical_to_logical[static_cast<std::size_t>(s)]);
  return out;
}
}  // namespace

TEST_CASE("topic routing: loads count every choice, co-activation counts every pair of a token") {
  const int top_k = 4;
  const auto r = moe::topic_routing(3, 24, top_k, 500, 4, 0.8, 1.0, 11);
  REQUIRE(r.coactivation.size() == 3);
  for (int l = 0; l < 3; ++l) {
    const auto& co = r.coactivation[static_cast<std::size_t>(l)];
    CHECK(r.loads.row(l).sum() == doctest::Approx(500.0 * top_k));
    CHECK(co.isApprox(co.transpose()));
    CHECK(co.diagonal().isZero());
    // A token picking e adds top_k - 1 partners to e's row.
    for (int e = 0; e < 24; ++e) CHECK(co.row(e).sum() == doctest::Approx(r.loads(l, e) * (top_k - 1)));
  }
  CHECK(moe::topic_routing(3, 24, top_k, 500, 4, 0.8, 1.0, 11).loads == r.loads);  // seeded
  CHECK_THROWS_AS((void)moe::topic_routing(1, 4, 5, 10, 2, 0.5, 1.0, 1), gpusched::error);  // top_k > experts
  CHECK_THROWS_AS((void)moe::topic_routing(1, 8, 2, 10, 2, 1.5, 1.0, 1), gpusched::error);  // focus > 1
}

TEST_CASE("affinity placer, worked by hand: the strongly co-activated pairs share a domain") {
  // Four equal experts, two domains of one GPU with two slots. Pairs (0,2) and (1,3) are picked
  // together 10 times, every other pair once. Greedy start (hottest first, ties to the lowest
  // index): 0 -> domain 0; 1 -> domain 0 (affinity 1 beats 0); 2, 3 -> domain 1 (domain 0 full).
  // Best swap for expert 0: with 3, gain (10+1) - 1 + (10+1) - 1 - 2*1 = 18 (with 2 it is 0), so
  // domain 0 = {1, 3}, domain 1 = {0, 2}; no move or swap gains after that. Split pairs: (0,1),
  // (0,3), (1,2), (2,3), once each = 4 of 24.
  auto p = make(Eigen::MatrixXd::Constant(1, 4, 1.0), 2, 1, 2);
  Eigen::MatrixXd co = Eigen::MatrixXd::Ones(4, 4);
  co(0, 2) = co(2, 0) = co(1, 3) = co(3, 1) = 10.0;
  co.diagonal().setZero();
  p.coactivation = {co};
  const auto plan = moe::affinity_placer<>{}.solve(p);
  CHECK_NOTHROW(moe::validate(plan, false));
  CHECK(experts_on(plan.layers[0], 0, 2) == std::set<int>{1, 3});
  CHECK(experts_on(plan.layers[0], 1, 2) == std::set<int>{0, 2});
  const auto m = moe::evaluate(p, plan);
  CHECK(m.cross_domain == doctest::Approx(4.0));
  CHECK(m.max_over_mean == doctest::Approx(1.0));
  // The homes alone, from the detail function.
  const std::vector<double> w(4, 1.0);
  CHECK(moe::detail::affinity_homes(w, co, p.cluster, 0.05, 16) == std::vector<int>{1, 0, 1, 0});
  CHECK(moe::detail::affinity_homes(w, co, p.cluster, 0.05, 0) == std::vector<int>{0, 0, 1, 1});  // greedy only
}

TEST_CASE("affinity placer on topic-routed tokens: fewer split pairs than group- or load-only placers") {
  // 64 experts over 8 domains of 4 GPUs x 3 slots; 8 topics cutting across the 8 expert groups.
  const auto r = moe::topic_routing(4, 64, 4, 6000, 8, 0.85, 1.0, 5);
  auto p = make(r.loads, 32, 4, 3, 8);
  p.coactivation = r.coactivation;
  const auto affinity = moe::affinity_placer<>{}.solve(p);
  const auto again = moe::affinity_placer<>{}.solve(p);
  CHECK_NOTHROW(moe::validate(affinity, false));
  for (std::size_t l = 0; l < affinity.layers.size(); ++l) {
    CHECK(affinity.layers[l].physical_to_logical == again.layers[l].physical_to_logical);  // deterministic
    CHECK(std::accumulate(affinity.layers[l].replica_count.begin(), affinity.layers[l].replica_count.end(), 0) ==
          p.cluster.slots());
  }
  const auto ma = moe::evaluate(p, affinity);
  const auto mg = moe::evaluate(p, moe::grouped_placer<>{}.solve(p));
  const auto mp = moe::evaluate(p, moe::placer<>{}.solve(p));
  double pairs = 0.0;
  for (const auto& co : r.coactivation) pairs += all_pairs(co);
  MESSAGE("split pairs: affinity " << ma.cross_domain / pairs << " grouped " << mg.cross_domain / pairs
                                   << " placer " << mp.cross_domain / pairs << "; max/mean " << ma.max_over_mean
                                   << " / " << mg.max_over_mean << " / " << mp.max_over_mean);
  CHECK(ma.duplicate_replicas == 0);
  CHECK(ma.cross_domain < 0.75 * mg.cross_domain);
  CHECK(ma.cross_domain < 0.75 * mp.cross_domain);
  CHECK(ma.max_over_mean <= mg.max_over_mean + 0.03);  // balance near the same shedding scheme's
  // slack trades balance for locality: never more split pairs with more slack.
  moe::affinity_placer<> loose;
  loose.slack = 0.2;
  const auto ml = moe::evaluate(p, loose.solve(p));
  CHECK(ml.cross_domain <= ma.cross_domain + 1e-9 * pairs);
}

TEST_CASE("affinity placer: clear errors") {
  auto p = make(moe::lognormal_loads(2, 16, 1.0, 3, 100.0), 8, 4, 3);
  CHECK_THROWS_WITH_AS((void)moe::affinity_placer<>{}.solve(p), doctest::Contains("co-activation"), gpusched::error);
  p.coactivation = moe::topic_routing(2, 16, 2, 50, 4, 0.5, 1.0, 1).coactivation;
  moe::affinity_placer<> bad;
  bad.tolerance = -0.1;
  CHECK_THROWS_AS((void)bad.solve(p), gpusched::error);
  p.coactivation.pop_back();  // one matrix for two layers
  CHECK_THROWS_AS((void)moe::affinity_placer<>{}.solve(p), gpusched::error);
}
