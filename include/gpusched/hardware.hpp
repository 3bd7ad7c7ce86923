#pragma once
// Umbrella header of the hardware part: the catalog of GPU, CPU, NIC, switch and system facts, each
// with its source, and every latency estimate gpusched uses.
#include "gpusched/hardware/cpus.hpp"
#include "gpusched/hardware/gpus.hpp"
#include "gpusched/hardware/latency.hpp"
#include "gpusched/hardware/links.hpp"
#include "gpusched/hardware/nics.hpp"
#include "gpusched/hardware/switches.hpp"
#include "gpusched/hardware/systems.hpp"
