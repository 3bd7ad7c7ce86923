#pragma once
// Umbrella header of the cost part: number formats and their codecs, model catalog, roofline
// operator costs, alpha-beta collectives over a cluster, and the prefill/decode step model.
#include "gpusched/cost/cluster.hpp"
#include "gpusched/cost/collectives.hpp"
#include "gpusched/cost/formats/description.hpp"
#include "gpusched/cost/formats/error_metrics.hpp"
#include "gpusched/cost/formats/minifloat.hpp"
#include "gpusched/cost/formats/mxfp4.hpp"
#include "gpusched/cost/formats/nvfp4.hpp"
#include "gpusched/cost/models.hpp"
#include "gpusched/cost/roofline.hpp"
#include "gpusched/cost/step.hpp"
