#pragma once
// Everything in gpusched. Include a part's umbrella (gpusched/topology.hpp ...) to compile less.
#include "gpusched/core.hpp"
#include "gpusched/cost.hpp"
#include "gpusched/hardware.hpp"
#include "gpusched/io.hpp"
#include "gpusched/kvcache.hpp"
#include "gpusched/moe.hpp"
#include "gpusched/topology.hpp"
