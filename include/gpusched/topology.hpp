#pragma once
// Umbrella header of the topology part: the graph of a GPU system and its queries.
#include "gpusched/topology/bisection.hpp"
#include "gpusched/topology/builders.hpp"
#include "gpusched/topology/domains.hpp"
#include "gpusched/topology/matrices.hpp"
#include "gpusched/topology/router.hpp"
#include "gpusched/topology/topology.hpp"
#include "gpusched/topology/types.hpp"
#include "gpusched/topology/validate.hpp"
