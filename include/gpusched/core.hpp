#pragma once
// Umbrella header of the core part: errors, units, number formats, version.
#include "gpusched/core/error.hpp"
#include "gpusched/core/formats.hpp"
#include "gpusched/core/units.hpp"
#include "gpusched/core/version.hpp"
