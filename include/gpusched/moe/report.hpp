#pragma once
// Human- and machine-readable reports of a placement: a per-GPU load table, a metrics JSON object
// and an SVG heatmap of load per GPU per layer (used by the examples).

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "gpusched/moe/metrics.hpp"

namespace gpusched::moe {

/// Metrics as JSON (averages plus per-layer max/mean and bound).
[[nodiscard]] inline nlohmann::json metrics_to_json(const metrics& m) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& x : m.layers)
    layers.push_back({{"max_over_mean", x.max_over_mean}, {"bound_over_mean", x.mean_load > 0 ? x.bound / x.mean_load : 1.0},
                      {"nodes_per_group", x.nodes_per_group}, {"duplicates", x.duplicate_replicas}});
  return {{"max_over_mean", m.max_over_mean}, {"bound_over_mean", m.bound_over_mean},
          {"nodes_per_group", m.nodes_per_group}, {"duplicate_replicas", m.duplicate_replicas}, {"layers", layers}};
}

/// Writes a table of GPU load summed over layers, relative to the mean (one row per GPU).
inline void write_gpu_table(std::ostream& out, const problem& p, const placement& plan) {
  Eigen::VectorXd total = Eigen::VectorXd::Zero(plan.gpus), worst = Eigen::VectorXd::Zero(plan.gpus);
  for (int l = 0; l < p.layers(); ++l) {
    const Eigen::VectorXd g = gpu_loads(p, plan, l);
    total += g;
    const double mean = g.mean();
    for (int i = 0; i < plan.gpus; ++i) worst(i) = std::max(worst(i), mean > 0 ? g(i) / mean : 1.0);
  }
  const double mean = total.mean();
  out << "gpu  domain  tokens(all layers)  load/mean  worst layer load/mean\n";
  char line[128];
  for (int i = 0; i < plan.gpus; ++i) {
    std::snprintf(line, sizeof line, "%4d %6d %18.0f %10.4f %10.4f\n", i, p.cluster.domain_of(i), total(i),
                  mean > 0 ? total(i) / mean : 1.0, worst(i));
    out << line;
  }
}

/// Writes an SVG heatmap: one column per GPU, one row per layer, colour = load / layer mean
/// (white at or below the mean, red at the layer's worst of the whole plan).
inline void write_svg_heatmap(std::ostream& out, const problem& p, const placement& plan) {
  const int cell = 6, w = plan.gpus * cell, h = p.layers() * cell;
  double top = 1.0;
  std::vector<Eigen::VectorXd> rel;
  for (int l = 0; l < p.layers(); ++l) {
    Eigen::VectorXd g = gpu_loads(p, plan, l);
    const double mean = g.mean();
    if (mean > 0) g /= mean; else g.setOnes();
    top = std::max(top, g.maxCoeff());
    rel.push_back(g);
  }
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h + 20 << "\">\n";
  for (int l = 0; l < p.layers(); ++l)
    for (int i = 0; i < plan.gpus; ++i) {
      const double t = top > 1.0 ? std::clamp((rel[static_cast<std::size_t>(l)](i) - 1.0) / (top - 1.0), 0.0, 1.0) : 0.0;
      const int gb = static_cast<int>(255 * (1.0 - t));
      out << "<rect x=\"" << i * cell << "\" y=\"" << l * cell << "\" width=\"" << cell << "\" height=\"" << cell
          << "\" fill=\"rgb(255," << gb << ',' << gb << ")\"/>\n";
    }
  out << "<text x=\"0\" y=\"" << h + 15 << "\" font-size=\"11\">GPUs (columns) x layers (rows); red = "
      << top << " x layer mean</text>\n</svg>\n";
}

}  // namespace gpusched::moe
