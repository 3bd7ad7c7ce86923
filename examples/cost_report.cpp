// cost_report: where the time of a prefill or decode step goes for a model on a system, and what a
// token costs. Compares NVFP4 with FP8 and BF16 weights, and GB200 NVL72 with Vera Rubin NVL72, for
// the same MoE model. `--json` prints machine-readable output.
//
//   cost_report                                  DeepSeek-V3 decode on one GB200 NVL72, EP72
//   cost_report --model Qwen3-235B-A22B --batch 32 --context 8192 --json
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "gpusched/core/error.hpp"
#include "gpusched/cost.hpp"
#include "gpusched/hardware/systems.hpp"
#include "gpusched/topology/builders.hpp"
#include "gpusched/topology/router.hpp"

namespace c = gpusched::cost;
namespace hw = gpusched::hardware;
using nf = gpusched::number_format;

namespace {

nlohmann::json to_json(const c::step_result& r, double price) {
  nlohmann::json j{{"step_ms", r.step_time * 1e3},
                   {"tpot_ms", r.tpot * 1e3},
                   {"tokens_per_second_per_gpu", r.tokens_per_second_per_gpu},
                   {"dollars_per_million_tokens", c::cost_per_million_tokens(r, price)}};
  for (const auto& b : r.by_operator)
    j["by_operator"].push_back({{"name", b.name}, {"bound", c::to_string(b.bound)}, {"ms", b.time * 1e3}});
  for (auto res : {c::resource::compute, c::resource::memory, c::resource::network, c::resource::overhead})
    j["by_resource_ms"][std::string(c::to_string(res))] = r.of(res) * 1e3;
  return j;
}

// The alpha-beta cluster of one NVLink domain of a catalogued system, from its real topology.
c::cluster rack(const hw::system_spec& s) {
  namespace build = gpusched::topology::build;
  const std::string name(s.name);
  const auto topo = name == "DGX H100"      ? build::dgx_h100()
                    : name == "DGX B200"    ? build::dgx_b200()
                    : name == "GB200 NVL72" ? build::gb200_nvl72()
                    : name == "GB300 NVL72" ? build::gb300_nvl72()
                                            : build::vera_rubin_nvl72();
  const gpusched::topology::router r(topo);
  return c::cluster_of(r, *s.gpu);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gpusched cost report: step time, breakdown, throughput and price of inference"};
  std::string model = "DeepSeek-V3", system = "GB200 NVL72";
  double batch = 64, context = 4096, price = 3.0;
  int mtp = 0;
  double acceptance = 0.85;
  bool json = false;
  app.add_option("--model", model, "model name (cost::all_models)");
  app.add_option("--system", system, "system name (hardware::all_systems); one NVLink domain is used");
  app.add_option("--batch", batch, "sequences per GPU (attention data parallel over the domain)");
  app.add_option("--context", context, "mean KV length per sequence");
  app.add_option("--mtp", mtp, "multi-token-prediction draft depth");
  app.add_option("--acceptance", acceptance, "acceptance probability of each draft token");
  app.add_option("--price", price, "dollars per GPU-hour");
  app.add_flag("--json", json, "machine-readable output");
  CLI11_PARSE(app, argc, argv);

  try {
    const auto& m = c::model(model);
    c::parallel_layout l;
    l.attention_dp = hw::system(system).gpus;
    l.overlap = true;
    c::workload w;
    w.batch = batch;
    w.context = context;
    w.mtp_depth = mtp;
    w.acceptance = acceptance;

    nlohmann::json out;
    const auto base_cluster = rack(hw::system(system));
    const auto base = c::decode_step(m, base_cluster, l, c::precision{}, w);
    out["model"] = m.name;
    out["system"] = system;
    out["decode"] = to_json(base, price);

    // Weight formats on the same system (FP8 activations; BF16 runs entirely in BF16).
    for (nf f : {nf::nvfp4, nf::fp8_e4m3, nf::bf16}) {
      c::precision p;
      p.weights = f;
      p.activations = f == nf::bf16 ? nf::bf16 : nf::fp8_e4m3;
      p.dispatch = f == nf::bf16 ? nf::bf16 : nf::fp8_e4m3;
      out["formats"][std::string(gpusched::to_string(f))] = to_json(c::decode_step(m, base_cluster, l, p, w), price);
    }
    // GB200 NVL72 versus Vera Rubin NVL72 in NVFP4 (the only Rubin peak published; preliminary).
    c::precision fp4;
    fp4.weights = nf::nvfp4;
    fp4.activations = nf::nvfp4;
    fp4.attention = nf::nvfp4;  // Rubin publishes no BF16/FP8 peak, so attention is costed at NVFP4 too
    for (const auto* s : {&hw::systems::gb200_nvl72, &hw::systems::vera_rubin_nvl72})
      out["systems_nvfp4"][std::string(s->name)] = to_json(c::decode_step(m, rack(*s), l, fp4, w), price);

    if (json) {
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    std::printf("%s decode on %s: %d GPUs, batch %.0f per GPU, context %.0f\n", std::string(m.name).c_str(),
                system.c_str(), l.gpus(), batch, context);
    std::printf("  step %.2f ms, TPOT %.2f ms, %.0f tokens/s per GPU, $%.3f per million tokens at $%.2f/GPU-h\n",
                base.step_time * 1e3, base.tpot * 1e3, base.tokens_per_second_per_gpu,
                c::cost_per_million_tokens(base, price), price);
    std::printf("  %-24s %10s  %s\n", "operator", "ms/step", "bound");
    for (const auto& b : base.by_operator)
      std::printf("  %-24s %10.3f  %s\n", std::string(b.name).c_str(), b.time * 1e3,
                  std::string(c::to_string(b.bound)).c_str());
    std::printf("\nweights format (same system):\n");
    for (auto& [k, v] : out["formats"].items())
      std::printf("  %-10s %8.0f tokens/s/GPU  $%.3f/M tokens\n", k.c_str(), v["tokens_per_second_per_gpu"].get<double>(),
                  v["dollars_per_million_tokens"].get<double>());
    std::printf("\nsystems, NVFP4 (Rubin figures preliminary):\n");
    for (auto& [k, v] : out["systems_nvfp4"].items())
      std::printf("  %-18s %8.0f tokens/s/GPU  TPOT %.2f ms\n", k.c_str(), v["tokens_per_second_per_gpu"].get<double>(),
                  v["tpot_ms"].get<double>());
  } catch (const gpusched::error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
