#pragma once
// An assignable edge predicate for boost::filtered_graph (lambdas are not copy-assignable, which
// Boost's iterators require): keeps the links whose kind passes `accept`.

#include "gpusched/topology/topology.hpp"

namespace gpusched::topology::detail {

struct link_kind_filter {
  const graph_type* graph = nullptr;
  bool (*accept)(link_kind) = nullptr;
  bool operator()(edge_descriptor e) const { return accept((*graph)[e].kind); }
};

}  // namespace gpusched::topology::detail
