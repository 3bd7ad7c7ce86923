#pragma once
// Whole-topology checks that single add_device/add_link calls cannot make.

#include <string>
#include <vector>

#include <boost/graph/connected_components.hpp>
#include <boost/property_map/property_map.hpp>

#include "gpusched/topology/topology.hpp"

namespace gpusched::topology {

/// Throws gpusched::error naming the first GPU that has no link at all, or that cannot reach the
/// first GPU through any chain of links. Queries call this so that a broken description fails
/// loudly instead of producing infinite costs later.
inline void validate_connected(const topology& t) {
  const auto& g = t.graph();
  const std::string where = "topology '" + t.name() + "'";
  for (device_id gpu : t.gpus())
    require(boost::out_degree(gpu, g) > 0, where, "GPU '" + g[gpu].name + "' has no links");
  if (t.num_gpus() < 2) return;
  std::vector<int> component(t.num_devices());
  boost::connected_components(
      g, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, g)));
  const device_id first = t.gpus().front();
  for (device_id gpu : t.gpus())
    require(component[gpu] == component[first], where,
            "GPU '" + g[gpu].name + "' is disconnected from GPU '" + g[first].name + "'");
}

}  // namespace gpusched::topology
