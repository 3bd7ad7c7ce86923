#pragma once
// Import of NCCL topology XML (the NCCL_TOPO_FILE format that cloud providers ship for their GPU
// servers: <system> / <cpu> / nested <pci> / <gpu> / <nvlink> / <nic> / <net>) into a topology.
//
// What becomes what:
//   <cpu numaid=N>                      device cpu "cpuN"; CPUs of one file are joined pairwise by
//                                       cpu_interconnect links (estimated bandwidth, see notes)
//   <pci> class 0x0604xx (or unknown)   device pcie_switch named by its bus id
//   <pci> class 0x03xxxx or with <gpu>  device gpu named by its bus id; spec from sm (80 A100,
//                                       90 H100, 100 B200) or, failing that, the PCI device id
//   <pci> class 0x02xxxx or with <nic>  device nic named by its bus id, one per PCI NIC: its <net>
//                                       ports are summed (NCCL also merges ports into one NIC)
//   <nic> directly under <cpu>          device nic "cpuN/nicK", assumed Gen4 x16 to its CPU
//   each <pci> to its parent            a PCIe link of its own link_speed x link_width (count =
//                                       lanes); a missing rate or width is copied from the parent's
//                                       link, else Gen4 x16
//   <nvlink target=GPU count=N>         one NVLink edge per GPU pair, count N (listed by both GPUs,
//                                       counted once)
//   <nvlink tclass=0x068000 count=N>    the GPU joins a single aggregated NVSwitch-plane device
//                                       "nvswitch" (count = distinct switch bus ids), counts summed
//   <nvlink> to the GPU's own bus id    ignored with a note (no self-loop, no guessed peer)
// GPUs are added first, in rank order (file order when ranks are missing), so GPU id = rank. NICs
// stay unconnected on their network side: a single-server file describes no fabric; their speeds
// are in nccl_import::nics. Every assumption made to fill a gap is reported in nccl_import::notes.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include "gpusched/core/error.hpp"
#include "gpusched/io/detail/format.hpp"
#include "gpusched/io/detail/link_figures.hpp"
#include "gpusched/io/detail/nccl_xml_reader.hpp"
#include "gpusched/topology/topology.hpp"

namespace gpusched::io {

/// A NIC of an imported file and what the file says about its network side.
struct nccl_nic {
  topology::device_id device = topology::no_device;
  std::vector<std::string> ports;    ///< the <net> names, one per port (empty if none listed)
  bytes_per_second bandwidth = 0.0;  ///< per direction, all ports together
  bool bandwidth_from_file = false;  ///< false: no <net> speed, bandwidth = its PCIe link (a bound)
  topology::link_kind fabric =
      topology::link_kind::ethernet;  ///< 0x0207xx InfiniBand, else Ethernet
};

/// The result of importing an NCCL topology file: the topology, what was inferred, the NICs.
struct nccl_import {
  topology::topology topology;
  std::vector<std::string> notes;  ///< what the file lacks and what was assumed instead
  std::vector<nccl_nic> nics;      ///< one per nic device, in device id order
};

namespace detail {

/// The NVLink figures of a planned GPU; unknown generations get the documented default.
inline gpu_generation nvlink_generation(const plan_node& gpu, note_list& notes) {
  if (gpu.sm)
    if (auto g = gpu_generation_of_sm(*gpu.sm)) return *g;
  notes.add("NVLink generation of a GPU of unknown model: assumed NVLink4, " +
                format_gb_per_s(unknown_gpu_generation.nvlink_per_link) + " per link per direction",
            gpu.name);
  return unknown_gpu_generation;
}

/// Second pass: creates the devices and links a plan describes.
inline nccl_import build_nccl_topology(plan p, std::string_view source, std::string name) {
  using topology::device;
  using topology::device_id;
  using topology::device_kind;
  using topology::link;
  using topology::link_kind;
  using topology::no_device;
  nccl_import out{topology::topology(std::move(name)), {}, {}};
  auto& t = out.topology;
  auto& notes = p.notes;
  const auto& nodes = p.nodes;
  std::vector<device_id> id(nodes.size(), no_device);

  // GPUs first, in rank order when every GPU has a distinct rank.
  std::vector<std::size_t> gpus;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].role == plan_role::gpu) gpus.push_back(i);
  const bool ranked = std::all_of(gpus.begin(), gpus.end(), [&](auto i) { return nodes[i].rank; });
  if (ranked) {
    std::stable_sort(gpus.begin(), gpus.end(),
                     [&](auto a, auto b) { return *nodes[a].rank < *nodes[b].rank; });
    for (std::size_t k = 1; k < gpus.size(); ++k)
      if (*nodes[gpus[k]].rank == *nodes[gpus[k - 1]].rank)
        throw error(std::string(source) + ": <pci busid=\"" + nodes[gpus[k]].name + "\"> <gpu>",
                    "attribute rank=\"" + std::to_string(*nodes[gpus[k]].rank) +
                        "\" is also the rank of GPU " + nodes[gpus[k - 1]].name);
  } else if (!gpus.empty()) {
    notes.add("GPUs without a rank in the file: GPU ids follow the order of the file");
  }
  auto add = [&](std::size_t i) {
    static constexpr device_kind kinds[] = {device_kind::cpu, device_kind::pcie_switch,
                                            device_kind::gpu, device_kind::nic};
    device d;
    d.kind = kinds[static_cast<std::size_t>(nodes[i].role)];
    d.name = nodes[i].name;
    d.spec = nodes[i].spec;
    // A NIC's line rate, so scale-out bandwidth is known before any fabric is attached: the
    // <net> speeds, or else its PCIe link as an upper bound (noted below).
    if (nodes[i].role == plan_role::nic)
      d.port_bandwidth = nodes[i].speed > 0.0 ? nodes[i].speed
                                              : nodes[i].gen.lane_bandwidth * nodes[i].width;
    id[i] = t.add_device(std::move(d));
  };
  for (auto i : gpus) add(i);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].role != plan_role::gpu) add(i);

  // PCIe links to parents; NICs.
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    if (n.parent < 0) continue;
    link l{n.gen.kind, n.gen.lane_bandwidth * n.width, detail::pcie_hop_latency,
           static_cast<std::uint32_t>(n.width)};
    t.add_link(id[static_cast<std::size_t>(n.parent)], id[i], l);
    if (n.role != plan_role::nic) continue;
    nccl_nic nic{id[i], n.ports, n.speed, n.speed > 0.0, n.fabric};
    if (!nic.bandwidth_from_file) {
      nic.bandwidth = l.bandwidth;
      notes.add("NIC without a <net> speed: assumed its PCIe link bandwidth, " +
                    format_gb_per_s(l.bandwidth) + " per direction (an upper bound)",
                n.name);
    }
    out.nics.push_back(std::move(nic));
  }
  std::sort(out.nics.begin(), out.nics.end(),
            [](const auto& a, const auto& b) { return a.device < b.device; });

  // NVLinks: GPU pairs (each pair once) and GPU -> aggregated NVSwitch plane.
  std::map<std::string, std::size_t> gpu_by_busid;
  for (auto i : gpus) gpu_by_busid[nodes[i].name] = i;
  struct pair_counts {
    std::uint32_t from_first = 0, from_second = 0;
  };
  std::map<std::pair<std::size_t, std::size_t>, pair_counts> pairs;
  std::map<std::size_t, std::uint32_t> to_switch;
  std::set<std::string> switch_busids;
  for (auto i : gpus) {
    for (const auto& e : nodes[i].nvlinks) {
      auto peer = gpu_by_busid.find(e.target);
      if (e.target == nodes[i].name) {
        notes.add(
            "<nvlink> targeting the GPU's own bus id ignored (no self-loop): the file does "
            "not say which GPU is the real NVLink peer, so no NVLink edge was created",
            nodes[i].name);
      } else if (peer != gpu_by_busid.end()) {
        const std::pair<std::size_t, std::size_t> key = std::minmax(i, peer->second);
        auto& c = pairs[key];
        (i == key.first ? c.from_first : c.from_second) += e.count;
      } else if (e.tclass == 0x068000u || p.nvswitch_busids.count(e.target)) {
        to_switch[i] += e.count;
        switch_busids.insert(e.target);
      } else if (e.tclass == 0x068001u) {
        notes.add("<nvlink> to a CPU (tclass 0x068001, POWER-style) is not modelled: ignored",
                  nodes[i].name);
      } else {
        std::ostringstream cls;
        if (e.tclass)
          cls << "its tclass 0x" << std::hex << std::setw(6) << std::setfill('0') << *e.tclass
              << " is not";
        else
          cls << "it has no tclass marking";
        throw error(e.where, "target \"" + e.target + "\" is not a GPU of this file and " +
                                 cls.str() + " an NVSwitch (0x068000)");
      }
    }
  }
  for (const auto& [key, c] : pairs) {
    const auto& a = nodes[key.first];
    const auto& b = nodes[key.second];
    const std::string subject = a.name + " - " + b.name;
    std::uint32_t count = std::max(c.from_first, c.from_second);
    if (c.from_first == 0 || c.from_second == 0) {
      notes.add("NVLink listed by only one of its two GPUs: taken as symmetric", subject);
    } else if (c.from_first != c.from_second) {
      count = std::min(c.from_first, c.from_second);
      notes.add("the two GPUs of an NVLink pair list different link counts: took the smaller",
                subject);
    }
    auto ga = nvlink_generation(a, notes);
    auto gb = nvlink_generation(b, notes);
    const auto& g = ga.nvlink_per_link <= gb.nvlink_per_link ? ga : gb;
    t.add_link(id[key.first], id[key.second],
               link{g.nvlink, g.nvlink_per_link * count, nvlink_hop_latency, count});
  }
  if (!to_switch.empty()) {
    device plane{device_kind::nvswitch,
                 "nvswitch",
                 "",
                 0,
                 -1,
                 static_cast<std::uint32_t>(switch_busids.size())};
    const device_id sw = t.add_device(std::move(plane));
    notes.add("NVSwitch chips (" + std::to_string(switch_busids.size()) +
              " distinct <nvlink> targets) aggregated into one NVSwitch-plane device \"nvswitch\"");
    for (const auto& [i, count] : to_switch) {
      auto g = nvlink_generation(nodes[i], notes);
      t.add_link(id[i], sw, link{g.nvlink, g.nvlink_per_link * count, nvlink_hop_latency, count});
    }
  }
  if (gpus.size() > 1 && pairs.empty() && to_switch.empty())
    notes.add(
        "no usable <nvlink> in the file: GPUs are joined only through PCIe and the CPUs "
        "(NCCL would add the NVLinks it finds on the live system)");

  // CPUs: joined pairwise (NCCL does the same), with estimated bandwidth.
  std::vector<std::size_t> cpus;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].role == plan_role::cpu) cpus.push_back(i);
  for (std::size_t x = 0; x < cpus.size(); ++x)
    for (std::size_t y = x + 1; y < cpus.size(); ++y) {
      const auto& a = nodes[cpus[x]];
      const auto& b = nodes[cpus[y]];
      auto ea = estimate_cpu_interconnect(a.vendor, a.family, a.model);
      auto eb = estimate_cpu_interconnect(b.vendor, b.family, b.model);
      const auto& e = ea.bandwidth <= eb.bandwidth ? ea : eb;
      t.add_link(id[cpus[x]], id[cpus[y]],
                 link{link_kind::cpu_interconnect, e.bandwidth, cpu_interconnect_latency, 1});
      notes.add("CPUs joined by cpu_interconnect links of estimated " +
                    format_gb_per_s(e.bandwidth) + " per direction (" + std::string(e.basis) +
                    ") and " + format_us(cpu_interconnect_latency),
                a.name + " - " + b.name);
    }
  if (!out.nics.empty())
    notes.add(
        "NICs are left unconnected on their network side: the file describes one server, "
        "no fabric");
  notes.add("link latencies are estimates: PCIe " + format_us(pcie_hop_latency) + ", NVLink " +
            format_us(nvlink_hop_latency) + " per hop");
  out.notes = notes.render();
  return out;
}

/// Parses `xml` and imports it; `source` names it in errors, `name` becomes the topology's name.
inline nccl_import import_nccl(std::string_view xml, std::string_view source, std::string name) {
  namespace pt = boost::property_tree;
  pt::ptree tree;
  std::istringstream in{std::string(xml)};
  try {
    pt::read_xml(in, tree, pt::xml_parser::no_comments | pt::xml_parser::trim_whitespace);
  } catch (const pt::xml_parser_error& e) {
    throw error(std::string(source) + ":" + std::to_string(e.line()),
                "malformed XML: " + e.message());
  }
  auto system = tree.get_child_optional("system");
  if (!system) throw error(source, "no <system> element: not an NCCL topology file");
  return build_nccl_topology(nccl_xml_reader(source).read(*system), source, std::move(name));
}

}  // namespace detail

/// Imports NCCL topology XML held in memory; `source_name` names it in errors and names the
/// topology.
inline nccl_import import_nccl_xml_string(std::string_view xml,
                                          std::string_view source_name = "<xml>") {
  return detail::import_nccl(xml, source_name, std::string(source_name));
}

/// Imports an NCCL topology XML file (NCCL_TOPO_FILE); the topology is named after the file's stem.
inline nccl_import import_nccl_xml(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw error(file.string(), "cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  return detail::import_nccl(text.str(), file.string(), file.stem().string());
}

}  // namespace gpusched::io
