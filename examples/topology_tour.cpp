// topology_tour: builds every built-in GPU system and prints what a scheduler needs to know about
// it — GPUs, NVLink domain size, per-GPU scale-up and scale-out bandwidth, bisection bandwidth of
// the scale-out fabric, worst GPU-to-GPU latency.
//   topology_tour                       table of the built-in systems
//   topology_tour --json                the same as JSON
//   topology_tour --dot FILE [--system NAME]   Graphviz DOT of one system (default dgx_h100)
//   topology_tour --nccl-xml FILE       import an NCCL topology file and summarise it

#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "gpusched/io.hpp"
#include "gpusched/topology.hpp"

namespace topo = gpusched::topology;

namespace {

struct system_entry {
  std::string key;
  std::function<topo::topology()> make;
};

std::vector<system_entry> built_in_systems() {
  auto pod = [](topo::build::system_kind kind, int racks, topo::build::fabric_kind fabric) {
    return [=] {
      topo::build::superpod_options o;
      o.system = kind;
      o.racks = racks;
      o.fabric = fabric;
      return topo::build::superpod(o);
    };
  };
  using topo::build::fabric_kind;
  using topo::build::system_kind;
  return {
      {"dgx_h100", [] { return topo::build::dgx_h100(); }},
      {"dgx_b200", [] { return topo::build::dgx_b200(); }},
      {"gb200_nvl72", [] { return topo::build::gb200_nvl72(); }},
      {"gb300_nvl72", [] { return topo::build::gb300_nvl72(); }},
      {"vera_rubin_nvl72", [] { return topo::build::vera_rubin_nvl72(); }},
      {"dgx_h100_pod32", pod(system_kind::dgx_h100, 32, fabric_kind::quantum_infiniband)},
      {"gb200_superpod8", pod(system_kind::gb200_nvl72, 8, fabric_kind::quantum_infiniband)},
      {"gb300_superpod8", pod(system_kind::gb300_nvl72, 8, fabric_kind::spectrum_x)},
      {"vera_rubin_superpod8", pod(system_kind::vera_rubin_nvl72, 8, fabric_kind::spectrum_x)},
  };
}

/// One row of the table: figures per GPU are those of the first GPU (builders are symmetric).
struct summary {
  std::string key, name;
  std::size_t gpus = 0, devices = 0, links = 0, domains = 0, domain_size = 0;
  double scale_up = 0.0, scale_out = 0.0, worst_latency = 0.0;
  std::optional<double> bisection;  // none without a scale-out fabric
};

summary summarise(const std::string& key, const topo::topology& t) {
  const topo::router r{t};
  summary s;
  s.key = key;
  s.name = t.name();
  s.gpus = t.num_gpus();
  s.devices = t.num_devices();
  s.links = t.num_links();
  s.domains = r.domains().size();
  s.domain_size = r.domains().largest();
  if (t.num_gpus() > 0) {
    s.scale_up = r.scale_up_bandwidth(t.gpus().front());
    s.scale_out = r.scale_out_bandwidth(t.gpus().front());
  }
  s.worst_latency = topo::worst_gpu_latency(r);
  try {
    s.bisection = topo::bisection_bandwidth(t).bandwidth;
  } catch (const gpusched::error&) {
    // A standalone server or rack has no cabled fabric: no bisection to report.
  }
  return s;
}

nlohmann::json to_json(const summary& s) {
  nlohmann::json j{{"system", s.key},
                   {"name", s.name},
                   {"gpus", s.gpus},
                   {"devices", s.devices},
                   {"links", s.links},
                   {"nvlink_domains", s.domains},
                   {"nvlink_domain_size", s.domain_size},
                   {"scale_up_bytes_per_s_per_direction", s.scale_up},
                   {"scale_out_bytes_per_s_per_direction", s.scale_out},
                   {"worst_gpu_latency_s", s.worst_latency}};
  j["bisection_bytes_per_s_per_direction"] = s.bisection ? nlohmann::json(*s.bisection) : nullptr;
  return j;
}

void print_table(const std::vector<summary>& rows) {
  std::printf("%-22s %7s %7s %12s %13s %14s %12s\n", "system", "GPUs", "domain", "scale-up",
              "scale-out", "bisection", "worst lat.");
  std::printf("%-22s %7s %7s %12s %13s %14s %12s\n", "", "", "size", "GB/s/GPU", "GB/s/GPU",
              "TB/s", "us");
  for (const auto& s : rows) {
    char bisection[32] = "-";
    if (s.bisection) std::snprintf(bisection, sizeof bisection, "%.1f", *s.bisection / 1e12);
    std::printf("%-22s %7zu %7zu %12.0f %13.1f %14s %12.2f\n", s.key.c_str(), s.gpus,
                s.domain_size, s.scale_up / 1e9, s.scale_out / 1e9, bisection,
                s.worst_latency * 1e6);
  }
  std::printf("\nBandwidths are per direction (vendors quote NVLink as both directions: x2).\n"
              "Latencies are documented estimates (include/gpusched/hardware/latency.hpp).\n");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Tour of gpusched's built-in GPU systems"};
  bool json = false;
  std::string dot_file, nccl_file, system = "dgx_h100";
  app.add_flag("--json", json, "print the summary as JSON");
  app.add_option("--dot", dot_file, "write the Graphviz DOT of --system to FILE");
  app.add_option("--system", system, "the system --dot draws (a key of the table)");
  app.add_option("--nccl-xml", nccl_file, "import an NCCL topology XML file and summarise it");
  CLI11_PARSE(app, argc, argv);

  try {
    const auto systems = built_in_systems();
    if (!dot_file.empty()) {
      for (const auto& s : systems)
        if (s.key == system) {
          gpusched::io::write_dot(dot_file, s.make());
          std::cout << "wrote " << dot_file << " (" << s.key << ")\n";
          return 0;
        }
      std::cerr << "unknown --system '" << system << "'; known:";
      for (const auto& s : systems) std::cerr << ' ' << s.key;
      std::cerr << '\n';
      return 2;
    }
    if (!nccl_file.empty()) {
      const auto imported = gpusched::io::import_nccl_xml(nccl_file);
      const auto s = summarise(nccl_file, imported.topology);
      if (json) {
        auto j = to_json(s);
        j["notes"] = imported.notes;
        std::cout << j.dump(2) << '\n';
      } else {
        print_table({s});
        std::cout << "\nWhat the file lacks and what was assumed:\n";
        for (const auto& note : imported.notes) std::cout << "  - " << note << '\n';
      }
      return 0;
    }
    std::vector<summary> rows;
    for (const auto& s : systems) rows.push_back(summarise(s.key, s.make()));
    if (json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& s : rows) j.push_back(to_json(s));
      std::cout << j.dump(2) << '\n';
    } else {
      print_table(rows);
    }
  } catch (const gpusched::error& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
