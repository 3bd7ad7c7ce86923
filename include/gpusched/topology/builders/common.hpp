#pragma once
// Values shared by the topology builders: where a domain goes inside a bigger topology, and the
// ids of what a builder added.

#include <cstdint>
#include <string>
#include <vector>

#include "gpusched/topology/types.hpp"

namespace gpusched::topology::build {

/// Where an add_* builder places one NVLink domain: the rack (or server) index stored in every
/// device's `rack`, and a prefix for every device name ("rack3/" gives "rack3/tray0/gpu1").
struct rack_options {
  std::int32_t rack = 0;
  std::string prefix;
};

/// The devices one add_* builder created, for callers that wire more around them.
struct domain_ids {
  std::vector<device_id> gpus;  ///< in rank order
  std::vector<device_id> nics;  ///< compute-fabric NICs in rail order (NIC k serves GPU k)
  std::vector<device_id> cpus;
  std::vector<device_id> dpus;
  device_id nvswitch_plane = no_device;  ///< the aggregated NVLink switch-plane vertex
};

}  // namespace gpusched::topology::build
