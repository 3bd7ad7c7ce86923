#pragma once
// Umbrella header of the io part: readers and writers (topology JSON, NCCL topology XML, DOT,
// request traces).
#include "gpusched/io/dot.hpp"
#include "gpusched/io/mooncake_trace.hpp"
#include "gpusched/io/nccl_xml.hpp"
#include "gpusched/io/placement_json.hpp"
#include "gpusched/io/topology_json.hpp"
