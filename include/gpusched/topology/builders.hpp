#pragma once
// Umbrella header of the topology builders (namespace gpusched::topology::build): real systems
// assembled from the hardware catalog. DGX H100 / B200 servers, GB200 / GB300 / Vera Rubin NVL72
// racks, and superpods of either joined by a rail-optimized Spectrum-X or InfiniBand fabric.
#include "gpusched/topology/builders/common.hpp"
#include "gpusched/topology/builders/dgx.hpp"
#include "gpusched/topology/builders/nvl72.hpp"
#include "gpusched/topology/builders/superpod.hpp"
