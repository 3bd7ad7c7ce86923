// compact_placer: uniform-dispatch placement with few domains per expert group.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>

#include "gpusched/io/placement_json.hpp"
#include "gpusched/moe.hpp"
#include "moe_test_support.hpp"

namespace moe = gpusched::moe;

namespace {
using moe_test::make;

// Uniform dispatch: every replica of an expert carries 1 / its replica count.
void check_uniform(const moe::placement& plan) {
  for (const auto& l : plan.layers)
    for (std::size_t s = 0; s < l.physical_to_logical.size(); ++s)
      CHECK(l.dispatch_weight[s] ==
            doctest::Approx(1.0 /
                            l.replica_count[static_cast<std::size_t>(l.physical_to_logical[s])]));
}

double max_over_mean(const moe::problem& p, const moe::placement& plan, int layer) {
  const auto load = moe::gpu_loads(p, plan, layer);
  return load.maxCoeff() / load.mean();
}
}  // namespace

TEST_CASE("compact_placer: hand-worked case keeps each group in one domain at perfect balance") {
  // 2 domains x 2 GPUs x 2 slots, 8 experts in 2 groups of 4, loads 4 3 2 1 | 4 3 2 1. Mean GPU
  // load 5 = the bound (largest + smallest); {4, 1} and {3, 2} per domain reach it with each group
  // in its own domain. The pour puts group 0 (the hotter on ties: the lower) in domain 0 whole
  // (10 = its share), group 1 in domain 1, and Karmarkar-Karp pairs largest with smallest.
  Eigen::MatrixXd w(1, 8);
  w << 4, 3, 2, 1, 4, 3, 2, 1;
  const auto p = make(w, 4, 2, 2, 2);
  const auto plan = moe::compact_placer<>{}.solve(p);
  moe::validate(plan);
  const auto& l = plan.layers[0];
  for (int s = 0; s < 8; ++s)
    CHECK(l.physical_to_logical[static_cast<std::size_t>(s)] / 4 == s / 4);  // group = domain
  const auto load = moe::gpu_loads(p, plan, 0);
  for (int g = 0; g < 4; ++g) CHECK(load(g) == doctest::Approx(5.0));
  const auto m = moe::evaluate(p, plan);
  CHECK(m.nodes_per_group == doctest::Approx(1.0));
  CHECK(m.max_over_mean == doctest::Approx(1.0));
  // EPLB-global on the same problem mixes the groups over both domains.
  auto global = p;
  global.cluster.gpus_per_domain = 4;
  CHECK(moe::evaluate(p, moe::eplb(global)).nodes_per_group > 1.0);
}

TEST_CASE("compact_placer: a hot group spills only what balance needs") {
  // 2 domains x 2 GPUs x 3 slots (12 slots, 8 experts): group 0 carries 3/4 of the load, so it
  // needs both domains; group 1 (1/4) fits in one. Any plan has npg >= 0.75 x 2 + 0.25 x 1.
  Eigen::MatrixXd w(1, 8);
  w << 8, 7, 5, 4, 3, 2, 2, 1;
  const auto p = make(w, 4, 2, 3, 2);
  const auto plan = moe::compact_placer<>{}.solve(p);
  moe::validate(plan);
  check_uniform(plan);
  const auto m = moe::evaluate(p, plan);
  CHECK(m.nodes_per_group >= 1.75 - 1e-12);
  CHECK(m.nodes_per_group <= 2.0 + 1e-12);
  CHECK(m.max_over_mean <= 1.05);
}

TEST_CASE("compact_placer: valid uniform plans; the sweep never adds domains nor passes the cap") {
  for (int seed = 1; seed <= 4; ++seed)
    for (const auto& [gpus, per_domain, slots] :
         {std::tuple{16, 4, 3}, std::tuple{32, 8, 5}, std::tuple{24, 6, 2}}) {
      const int cluster_gpus = gpus;  // a structured binding cannot be captured (clang 14)
      CAPTURE(seed);
      CAPTURE(cluster_gpus);
      const auto p =
          make(moe::lognormal_loads(3, 32, 1.0 + 0.2 * seed, static_cast<std::uint64_t>(seed), 1e5),
               gpus, per_domain, slots, 8);
      moe::compact_placer<> with, without;
      without.sweep = false;
      const auto a = with.solve(p), b = without.solve(p);
      for (const auto* plan : {&a, &b}) {
        moe::validate(*plan);  // every expert present, views agree, no GPU holds an expert twice
        check_uniform(*plan);
      }
      const auto ma = moe::evaluate(p, a), mb = moe::evaluate(p, b);
      CHECK(ma.duplicate_replicas == 0);
      for (int l = 0; l < p.layers(); ++l) {
        const auto& x = ma.layers[static_cast<std::size_t>(l)];
        const auto& y = mb.layers[static_cast<std::size_t>(l)];
        CHECK(x.nodes_per_group <= y.nodes_per_group + 1e-12);
        CHECK(x.max_load <=
              std::max(y.max_load, x.bound + with.max_imbalance * x.mean_load) * (1 + 1e-12));
      }
      CHECK(a.layers[0].physical_to_logical ==
            with.solve(p).layers[0].physical_to_logical);  // deterministic
    }
}

TEST_CASE("compact_placer: a looser cap gives fewer or equal domains per group") {
  const auto p = make(moe::lognormal_loads(4, 256, 1.0, 3, 1e6), 64, 8, 5, 8);
  moe::compact_placer<> tight, loose;
  tight.max_imbalance = 0.002;
  loose.max_imbalance = 0.05;
  const auto t = moe::evaluate(p, tight.solve(p)), l = moe::evaluate(p, loose.solve(p));
  CHECK(l.nodes_per_group <= t.nodes_per_group);
  for (const auto& x : l.layers) CHECK(x.max_load <= x.bound + 0.05 * x.mean_load + 1e-9);
}

TEST_CASE(
    "compact_placer: half EPLB-global's domains per group at EPLB-global's balance on real loads") {
  const auto loads = gpusched::io::read_expert_loads(GPUSCHED_TEST_DATA_DIR
                                                     "/moe/decode_in2000out100_layers3-6.json");
  const auto p = make(loads, 64, 8, 5, 8);
  auto global = p;
  global.cluster.gpus_per_domain = 64;
  const auto ref = moe::evaluate(p, moe::eplb(global));
  const auto plan = moe::compact_placer<>{}.solve(p);
  moe::validate(plan);
  const auto m = moe::evaluate(p, plan);
  CHECK(m.max_over_mean <= ref.max_over_mean);
  CHECK(m.nodes_per_group <= ref.nodes_per_group / 2);
  for (int l = 0; l < p.layers(); ++l)
    CHECK(max_over_mean(p, plan, l) <= 1.0 + 0.01 + 1e-9);  // bound = mean here
}

TEST_CASE("compact_placer: bad options are rejected") {
  const auto p = make(moe::lognormal_loads(1, 16, 1.0, 1, 1e4), 4, 2, 5, 4);
  moe::compact_placer<> c;
  c.max_imbalance = -0.1;
  CHECK_THROWS_AS((void)c.solve(p), gpusched::error);
  c.max_imbalance = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS((void)c.solve(p), gpusched::error);
  c.max_imbalance = 0.01;
  c.max_moves = -1;
  CHECK_THROWS_AS((void)c.solve(p), gpusched::error);
  c.max_moves = 0;  // no balance search: still a valid plan
  CHECK_NOTHROW(moe::validate(c.solve(p)));
}
