#pragma once
// MoE interop: placements to and from JSON (the three EPLB views plus dispatch weights), and
// per-expert load matrices from JSON ({"logical_count": [[...], ...]} as SGLang dumps them, or a
// bare array of arrays) or CSV (one layer per line, comma-separated, '#' comments).

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "gpusched/core/error.hpp"
#include "gpusched/moe/placement.hpp"

namespace gpusched::io {

/// A placement as JSON: {"gpus", "slots_per_gpu", "experts", "layers": [{"physical_to_logical",
/// "logical_to_physical", "replica_count", "dispatch_weight"}]}.
[[nodiscard]] inline nlohmann::json placement_to_json(const moe::placement& plan) {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : plan.layers)
    layers.push_back({{"physical_to_logical", l.physical_to_logical},
                      {"logical_to_physical", l.logical_to_physical},
                      {"replica_count", l.replica_count},
                      {"dispatch_weight", l.dispatch_weight}});
  return {{"gpus", plan.gpus}, {"slots_per_gpu", plan.slots_per_gpu}, {"experts", plan.experts}, {"layers", layers}};
}

/// Reads placement_to_json's format; `where` names the source in errors. Only
/// physical_to_logical is required per layer; logical_to_physical (if given) must list the same
/// slots and sets the replica order; dispatch_weight defaults to uniform. The result is validated
/// (duplicates on a GPU are accepted, as engines may have them).
[[nodiscard]] inline moe::placement placement_from_json(const nlohmann::json& j, const std::string& where = "placement") {
  const auto field = [&](const nlohmann::json& o, const char* key, const std::string& at) -> const nlohmann::json& {
    if (!o.is_object() || !o.contains(key)) throw error(at, std::string("missing field \"") + key + "\"");
    return o.at(key);
  };
  moe::placement plan;
  try {
    plan.gpus = field(j, "gpus", where).get<int>();
    plan.slots_per_gpu = field(j, "slots_per_gpu", where).get<int>();
    plan.experts = field(j, "experts", where).get<int>();
    require(plan.gpus > 0 && plan.slots_per_gpu > 0 && plan.experts > 0, where,
            "gpus, slots_per_gpu and experts must be positive");
    const auto& layers = field(j, "layers", where);
    require(layers.is_array(), where + "/layers", "must be an array");
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const std::string at = where + "/layers/" + std::to_string(i);
      auto l = moe::make_layer(field(layers[i], "physical_to_logical", at).get<std::vector<int>>(), plan.experts);
      if (layers[i].contains("logical_to_physical")) {
        auto l2p = layers[i].at("logical_to_physical").get<std::vector<std::vector<int>>>();
        require(l2p.size() == l.logical_to_physical.size(), at, "logical_to_physical has the wrong number of experts");
        for (std::size_t e = 0; e < l2p.size(); ++e) {
          auto a = l2p[e], b = l.logical_to_physical[e];
          std::sort(a.begin(), a.end());
          if (a != b) throw error(at + "/logical_to_physical/" + std::to_string(e), "disagrees with physical_to_logical");
        }
        l.logical_to_physical = std::move(l2p);
      }
      if (layers[i].contains("replica_count") &&
          layers[i].at("replica_count").get<std::vector<int>>() != l.replica_count)
        throw error(at + "/replica_count", "disagrees with physical_to_logical");
      if (layers[i].contains("dispatch_weight")) {
        l.dispatch_weight = layers[i].at("dispatch_weight").get<std::vector<double>>();
        require(l.dispatch_weight.size() == l.physical_to_logical.size(), at + "/dispatch_weight",
                "must have one weight per slot");
      }
      plan.layers.push_back(std::move(l));
    }
  } catch (const nlohmann::json::exception& e) {
    throw error(where, e.what());
  }
  moe::validate(plan, true);
  return plan;
}

/// Writes a placement to a JSON file.
inline void write_placement(const std::filesystem::path& file, const moe::placement& plan) {
  std::ofstream out(file);
  require(static_cast<bool>(out), file.string(), "cannot open for writing");
  out << placement_to_json(plan).dump() << '\n';
}

/// Reads a placement from a JSON file.
[[nodiscard]] inline moe::placement read_placement(const std::filesystem::path& file) {
  std::ifstream in(file);
  require(static_cast<bool>(in), file.string(), "cannot open");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw error(file.string(), e.what());
  }
  return placement_from_json(j, file.string());
}

namespace detail {
// Keeps only the rows with some load when asked (DeepSeek's first layers are dense: all zero).
inline Eigen::MatrixXd load_rows(const std::vector<std::vector<double>>& rows, bool skip_empty, const std::string& where) {
  std::vector<std::size_t> keep;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != rows.front().size())
      throw error(where, "layer " + std::to_string(r) + " has " + std::to_string(rows[r].size()) + " experts, layer 0 has " +
                             std::to_string(rows.front().size()));
    double sum = 0.0;
    for (std::size_t e = 0; e < rows[r].size(); ++e) {
      const double v = rows[r][e];
      if (!std::isfinite(v) || v < 0.0)
        throw error(where, "layer " + std::to_string(r) + ", expert " + std::to_string(e) + ": load is not a finite non-negative number");
      sum += v;
    }
    if (!skip_empty || sum > 0.0) keep.push_back(r);
  }
  require(!keep.empty() && !rows.front().empty(), where, "no layer with experts");
  Eigen::MatrixXd m(static_cast<Eigen::Index>(keep.size()), static_cast<Eigen::Index>(rows.front().size()));
  for (std::size_t i = 0; i < keep.size(); ++i)
    for (std::size_t e = 0; e < rows.front().size(); ++e) m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(e)) = rows[keep[i]][e];
  return m;
}
}  // namespace detail

/// Reads a layers x experts load matrix from JSON (an object with "logical_count", or an array of
/// arrays) or, for a ".csv" file, CSV. `skip_empty_layers` drops layers whose loads are all zero.
[[nodiscard]] inline Eigen::MatrixXd read_expert_loads(const std::filesystem::path& file, bool skip_empty_layers = false) {
  std::ifstream in(file);
  const std::string name = file.string();
  require(static_cast<bool>(in), name, "cannot open");
  std::vector<std::vector<double>> rows;
  if (file.extension() == ".csv") {
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.empty() || line[0] == '#') continue;
      std::vector<double> row;
      std::stringstream ss(line);
      std::string cell;
      while (std::getline(ss, cell, ',')) {
        std::size_t used = 0;
        double v = 0.0;
        try {
          v = std::stod(cell, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        while (used < cell.size() && std::isspace(static_cast<unsigned char>(cell[used]))) ++used;
        if (used == 0 || used != cell.size())
          throw error(name + ":" + std::to_string(n), "column " + std::to_string(row.size() + 1) + ": \"" + cell + "\" is not a number");
        row.push_back(v);
      }
      if (!rows.empty() && row.size() != rows.front().size())
        throw error(name + ":" + std::to_string(n), "has " + std::to_string(row.size()) + " values, the first layer " +
                                                        std::to_string(rows.front().size()));
      rows.push_back(std::move(row));
    }
    require(!rows.empty(), name, "no data line");
  } else {
    try {
      const auto j = nlohmann::json::parse(in);
      const auto& a = j.is_object() ? j.at("logical_count") : j;
      rows = a.get<std::vector<std::vector<double>>>();
    } catch (const nlohmann::json::exception& e) {
      throw error(name, e.what());
    }
    require(!rows.empty(), name, "no layer");
  }
  return detail::load_rows(rows, skip_empty_layers, name);
}

}  // namespace gpusched::io
