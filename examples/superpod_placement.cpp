// DeepSeek-V3 (58 MoE layers x 256 routed experts, 8 expert groups; DeepSeek-V3 technical report,
// arXiv:2412.19437) over 8 Vera Rubin NVL72 racks (576 GPUs, a SuperPOD), hierarchical: the
// grouped placer keeps each expert group in a home rack (or --solver best: replica-count search for
// 2 slots per GPU | wrap: wrap-around layout with weighted dispatch, groups on consecutive GPUs |
// eplb). Prints per-GPU
// loads and metrics. Loads: built-in synthetic (lognormal, sigma 1, seed 1) or --loads FILE
// (.json as SGLang dumps, or .csv: one layer per line).
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "gpusched/io/placement_json.hpp"
#include "gpusched/moe.hpp"
#include "gpusched/topology/builders/superpod.hpp"

namespace moe = gpusched::moe;

int main(int argc, char** argv) {
  CLI::App app{"Expert placement of DeepSeek-V3 over 8 Vera Rubin NVL72 racks"};
  std::string loads_file, svg_file, solver = "grouped";
  int slots = 2;
  bool json = false, weighted = false;
  app.add_option("--loads", loads_file, "expert loads (.json or .csv, layers x experts)");
  app.add_option("--slots", slots, "expert slots per GPU")->check(CLI::PositiveNumber);
  app.add_option("--solver", solver, "grouped | best | wrap | eplb")->check(CLI::IsMember({"grouped", "best", "wrap", "eplb"}));
  app.add_flag("--weighted", weighted, "min-max weighted dispatch");
  app.add_flag("--json", json, "print the plan and metrics as JSON");
  app.add_option("--svg", svg_file, "write a heatmap of load per GPU per layer");
  CLI11_PARSE(app, argc, argv);
  try {
    gpusched::topology::build::superpod_options o;
    o.system = gpusched::topology::build::system_kind::vera_rubin_nvl72;
    o.racks = 8;
    const auto rack = gpusched::topology::build::superpod(o);
    moe::problem p;
    p.loads = loads_file.empty() ? moe::lognormal_loads(58, 256, 1.0, 1, 8.0 * 131072)
                                 : gpusched::io::read_expert_loads(loads_file, true);
    p.cluster = moe::cluster_of(rack, slots);
    p.groups = p.experts() % 8 == 0 ? 8 : 1;
    auto plan = solver == "eplb"   ? moe::eplb(p)
                : solver == "best" ? moe::placer<moe::policies::replicate_for_pairs>{}.solve(p)
                : solver == "wrap" ? moe::wrap_placer{}.solve(p)
                                   : moe::grouped_placer<>{}.solve(p);
    if (weighted) moe::balance_dispatch(p, plan);
    const auto m = moe::evaluate(p, plan);
    if (json) {
      std::cout << nlohmann::json{{"placement", gpusched::io::placement_to_json(plan)}, {"metrics", moe::metrics_to_json(m)}}.dump(1) << '\n';
    } else {
      moe::write_gpu_table(std::cout, p, plan);
      std::cout << "GPUs " << p.cluster.gpus << ", slots " << p.cluster.slots() << ", layers " << p.layers()
                << "\nmax/mean (mean over layers) " << m.max_over_mean << ", lower bound/mean " << m.bound_over_mean
                << ", racks per expert group " << m.nodes_per_group << ", GPUs holding an expert twice " << m.duplicate_replicas << '\n';
    }
    if (!svg_file.empty()) {
      std::ofstream out(svg_file);
      moe::write_svg_heatmap(out, p, plan);
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
