#include "gpusched/io/dot.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "gpusched/io/nccl_xml.hpp"
#include "io_test_support.hpp"

namespace io = gpusched::io;
namespace topo = gpusched::topology;
using gpusched::io::test::contains;

namespace {

std::size_t occurrences(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (auto p = text.find(part); p != std::string_view::npos; p = text.find(part, p + part.size()))
    ++n;
  return n;
}

std::string dot_of(const topo::topology& t) {
  std::ostringstream out;
  io::write_dot(out, t);
  return out.str();
}

topo::topology small() {
  topo::topology t("two H100 \"test\" box");
  t.add_device({topo::device_kind::gpu, "gpu0", "H100", 0, -1, 1});
  t.add_device({topo::device_kind::gpu, "my \"gpu\" \\ 1", "H100", 0, -1, 1});
  t.add_device({topo::device_kind::nvswitch, "nvswitch", "", 0, -1, 4});
  t.add_device({topo::device_kind::cpu, "cpu0", "", 0, -1, 1});
  t.add_device({topo::device_kind::nic, "nic0", "ConnectX-7", 0, -1, 1});
  t.add_device({topo::device_kind::network_switch, "leaf0", "", 1, -1, 1});
  const topo::link nv{topo::link_kind::nvlink4, 450e9, 1e-7, 18};
  t.add_link("gpu0", "nvswitch", nv);
  t.add_link("my \"gpu\" \\ 1", "nvswitch", nv);
  t.add_link("cpu0", "gpu0", topo::link{topo::link_kind::pcie5, 63.015e9, 1e-7, 16});
  t.add_link("cpu0", "nic0", topo::link{topo::link_kind::pcie5, 63.015e9, 1e-7, 16});
  t.add_link("nic0", "leaf0", topo::link{topo::link_kind::infiniband, 50e9, 1e-6, 1});
  return t;
}

}  // namespace

TEST_CASE("DOT: one labelled, shaped node per device and one edge per link") {
  const auto t = small();
  const auto dot = dot_of(t);
  CHECK(dot.rfind("graph G {", 0) == 0);
  CHECK(occurrences(dot, "--") == t.num_links());
  CHECK(occurrences(dot, "label=\"gpu0\\ngpu H100\", shape=box") == 1);
  CHECK(occurrences(dot, "label=\"nvswitch\\nnvswitch x4\", shape=diamond") == 1);
  CHECK(occurrences(dot, "label=\"cpu0\\ncpu\", shape=ellipse") == 1);
  CHECK(occurrences(dot, "label=\"nic0\\nnic ConnectX-7\", shape=hexagon") == 1);
  CHECK(occurrences(dot, "label=\"leaf0\\nnetwork_switch\", shape=diamond") == 1);
  // Link labels: kind, count, bandwidth per direction in GB/s.
  CHECK(occurrences(dot, "label=\"nvlink4 x18\\n450 GB/s\", style=bold") == 2);
  CHECK(occurrences(dot, "label=\"pcie5 x16\\n63.02 GB/s\"]") == 2);
  CHECK(occurrences(dot, "label=\"infiniband\\n50 GB/s\", style=dashed") == 1);
}

TEST_CASE("DOT: quotes and backslashes in names are escaped") {
  const auto dot = dot_of(small());
  CHECK(contains(dot, "label=\"my \\\"gpu\\\" \\\\ 1\\ngpu H100\""));
  CHECK(contains(dot, "label=\"two H100 \\\"test\\\" box\";"));
  // Every quote inside a label is escaped: outside escapes, quotes come in pairs on each line.
  std::istringstream lines(dot);
  for (std::string line; std::getline(lines, line);) {
    std::size_t quotes = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\') {
        ++i;
        continue;
      }
      quotes += line[i] == '"';
    }
    CAPTURE(line);
    CHECK(quotes % 2 == 0);
  }
}

TEST_CASE("DOT: an imported server has every device name once as a node label") {
  const auto r =
      io::import_nccl_xml(gpusched::io::test::topology_file("aws-p5.48xl-h100-topo.xml"));
  const auto& t = r.topology;
  const auto dot = dot_of(t);
  for (topo::device_id v = 0; v < t.num_devices(); ++v) {
    CAPTURE(t[v].name);
    CHECK(occurrences(dot, "label=\"" + t[v].name + "\\n") == 1);
  }
  CHECK(occurrences(dot, "--") == t.num_links());

  gpusched::io::test::scratch_dir dir("dot");
  io::write_dot(dir.path() / "p5.dot", t);
  std::ifstream in(dir.path() / "p5.dot");
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == dot);
  CHECK(contains(
      gpusched::io::test::error_of([&] { io::write_dot(dir.path() / "no" / "such.dot", t); }),
      "cannot open the file for writing"));
}
