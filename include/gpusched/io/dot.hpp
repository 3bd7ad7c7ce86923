#pragma once
// A topology as a Graphviz DOT graph, for looking at it (`dot -Tsvg topo.dot -o topo.svg`).
// Nodes are labelled "name\nkind spec" and shaped by kind (GPU box, CPU ellipse, switches diamond,
// NIC/DPU hexagon, storage cylinder); edges are labelled "kind xcount\nbandwidth per direction"
// ("nvlink4 x18\n450 GB/s"), NVLink drawn bold, network links dashed.

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>

#include <boost/graph/graphviz.hpp>

#include "gpusched/core/error.hpp"
#include "gpusched/io/detail/format.hpp"
#include "gpusched/topology/topology.hpp"
#include "gpusched/topology/types.hpp"

namespace gpusched::io {

namespace detail {

/// `lines` as one quoted DOT string: each line escaped (quotes, backslashes, line breaks), the
/// lines joined by DOT's "\n".
inline std::string dot_label(std::initializer_list<std::string_view> lines) {
  std::string out = "\"";
  bool first = true;
  for (auto text : lines) {
    if (!first) out += "\\n";
    first = false;
    for (char c : text) {
      if (c == '\r') continue;
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out + "\"";
}

/// The Graphviz node shape of a device kind.
constexpr std::string_view dot_shape(topology::device_kind k) {
  switch (k) {
    case topology::device_kind::gpu:
      return "box";
    case topology::device_kind::cpu:
      return "ellipse";
    case topology::device_kind::nvswitch:
    case topology::device_kind::pcie_switch:
    case topology::device_kind::network_switch:
      return "diamond";
    case topology::device_kind::nic:
    case topology::device_kind::dpu:
      return "hexagon";
    case topology::device_kind::storage:
      return "cylinder";
  }
  return "ellipse";
}

/// Writes the attributes of a vertex (label and shape).
struct dot_vertex_writer {
  const topology::graph_type* g;
  template <class Vertex>
  void operator()(std::ostream& out, const Vertex& v) const {
    const auto& d = (*g)[v];
    std::string second(topology::to_string(d.kind));
    if (!d.spec.empty()) second += " " + d.spec;
    if (d.count > 1) second += " x" + std::to_string(d.count);
    out << " [label=" << dot_label({d.name, second}) << ", shape=" << dot_shape(d.kind) << "]";
  }
};

/// Writes the attributes of an edge (label and style).
struct dot_edge_writer {
  const topology::graph_type* g;
  template <class Edge>
  void operator()(std::ostream& out, const Edge& e) const {
    const auto& l = (*g)[e];
    std::string label(topology::to_string(l.kind));
    if (l.count > 1) label += " x" + std::to_string(l.count);
    out << "[label=" << dot_label({label, format_gb_per_s(l.bandwidth)});
    if (topology::is_nvlink(l.kind) || l.kind == topology::link_kind::nvlink_c2c)
      out << ", style=bold";
    else if (topology::is_network(l.kind))
      out << ", style=dashed";
    out << "]";
  }
};

/// Writes graph-wide attributes: the topology's name as the graph label.
struct dot_graph_writer {
  const topology::topology* t;
  void operator()(std::ostream& out) const {
    out << "label=" << dot_label({t->name()}) << ";\n"
        << "node [fontname=\"Helvetica\"];\nedge [fontname=\"Helvetica\", fontsize=10];\n";
  }
};

}  // namespace detail

/// Writes `t` as an undirected DOT graph to `out` (one node per device, one edge per link).
inline void write_dot(std::ostream& out, const topology::topology& t) {
  const auto& g = t.graph();
  boost::write_graphviz(out, g, detail::dot_vertex_writer{&g}, detail::dot_edge_writer{&g},
                        detail::dot_graph_writer{&t});
}

/// Writes `t` as a DOT file (replacing it).
inline void write_dot(const std::filesystem::path& file, const topology::topology& t) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw error(file.string(), "cannot open the file for writing");
  write_dot(out, t);
  out.flush();
  if (!out) throw error(file.string(), "writing failed");
}

}  // namespace gpusched::io
