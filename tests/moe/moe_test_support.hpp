#pragma once
// Shared by the moe test files: a problem from loads and a cluster shape, nothing else set.
#include <utility>

#include <Eigen/Core>

#include "gpusched/moe/problem.hpp"

namespace moe_test {

inline gpusched::moe::problem make(Eigen::MatrixXd loads, int gpus, int per_domain, int slots, int groups = 1) {
  gpusched::moe::problem p;
  p.loads = std::move(loads);
  p.cluster.gpus = gpus;
  p.cluster.gpus_per_domain = per_domain;
  p.cluster.slots_per_gpu = slots;
  p.groups = groups;
  return p;
}

}  // namespace moe_test
