#include "gpusched/io/topology_json.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>

#include <boost/graph/adjacency_list.hpp>
#include <nlohmann/json.hpp>

#include "gpusched/io/nccl_xml.hpp"
#include "io_test_support.hpp"

namespace io = gpusched::io;
namespace topo = gpusched::topology;
using gpusched::io::test::contains;
using gpusched::io::test::error_of;

namespace {

// Every device kind and link kind, awkward doubles, non-default tier/rack/count, odd names.
topo::topology sample() {
  topo::topology t("sample \"system\"");
  const topo::device_kind kinds[] = {topo::device_kind::gpu,
                                     topo::device_kind::cpu,
                                     topo::device_kind::nvswitch,
                                     topo::device_kind::pcie_switch,
                                     topo::device_kind::nic,
                                     topo::device_kind::dpu,
                                     topo::device_kind::network_switch,
                                     topo::device_kind::storage};
  int i = 0;
  for (auto k : kinds) {
    topo::device d;
    d.kind = k;
    d.name = "dev" + std::to_string(i) + (i == 3 ? " \"quoted\" \\ é" : "");
    d.spec = i % 2 ? "spec-" + std::to_string(i) : "";
    d.tier = i == 6 ? 2 : 0;
    d.rack = i == 7 ? 41 : -1;
    d.count = i == 2 ? 4u : 1u;
    t.add_device(d);
    ++i;
  }
  const topo::link_kind links[] = {
      topo::link_kind::nvlink3,  topo::link_kind::nvlink4,    topo::link_kind::nvlink5,
      topo::link_kind::nvlink6,  topo::link_kind::nvlink_c2c, topo::link_kind::pcie3,
      topo::link_kind::pcie4,    topo::link_kind::pcie5,      topo::link_kind::pcie6,
      topo::link_kind::ethernet, topo::link_kind::infiniband, topo::link_kind::cpu_interconnect};
  int j = 0;
  for (auto k : links) {
    const auto a = static_cast<topo::device_id>(j % 8);
    const auto b = static_cast<topo::device_id>((j + 1 + j / 8) % 8);
    t.add_link(a, b,
               topo::link{k, (0.1 + 0.2) * 1e9 * (j + 1) / 3.0, 1e-7 / 3.0 * j,
                          static_cast<std::uint32_t>(j + 1)});
    ++j;
  }
  return t;
}

void check_same(const topo::topology& x, const topo::topology& y) {
  CHECK(x.name() == y.name());
  REQUIRE(x.num_devices() == y.num_devices());
  for (topo::device_id v = 0; v < x.num_devices(); ++v) CHECK(x[v] == y[v]);
  REQUIRE(x.num_links() == y.num_links());
  const auto& gx = x.graph();
  const auto& gy = y.graph();
  auto [xi, xe] = boost::edges(gx);
  auto [yi, ye] = boost::edges(gy);
  for (; xi != xe; ++xi, ++yi) {
    CHECK(boost::source(*xi, gx) == boost::source(*yi, gy));
    CHECK(boost::target(*xi, gx) == boost::target(*yi, gy));
    CHECK(gx[*xi] == gy[*yi]);  // exact: bandwidth and latency compared bit for bit
  }
}

// A valid two-device document to break in the error tests.
nlohmann::json good() {
  return nlohmann::json::parse(R"({
    "format": "gpusched.topology", "version": 1, "name": "t",
    "devices": [{"name": "gpu0", "kind": "gpu"}, {"name": "gpu1", "kind": "gpu", "spec": "H100"},
                {"name": "sw", "kind": "nvswitch", "count": 4}],
    "links": [{"a": "gpu0", "b": "sw", "kind": "nvlink4", "bandwidth_bytes_per_s": 4.5e11,
               "latency_s": 1e-7, "count": 18},
              {"a": "gpu1", "b": "sw", "kind": "nvlink4", "bandwidth_bytes_per_s": 4.5e11}]})");
}

std::string from(const nlohmann::json& doc) {
  return error_of([&] { (void)io::topology_from_json(doc, "bad.json"); });
}

}  // namespace

TEST_CASE("topology JSON: to_json then from_json gives back the same devices and links") {
  const auto t = sample();
  check_same(t, io::topology_from_json(io::to_json(t)));
  // Through text as well: doubles survive serialisation exactly.
  check_same(t, io::parse_topology_json(io::to_json(t).dump(2)));
}

TEST_CASE("topology JSON: the document follows the documented schema") {
  const auto doc = io::to_json(sample());
  CHECK(doc["format"] == "gpusched.topology");
  CHECK(doc["version"] == 1);
  CHECK(doc["devices"].size() == 8);
  CHECK(doc["devices"][2]["kind"] == "nvswitch");
  CHECK(doc["devices"][2]["count"] == 4);
  CHECK(doc["links"][1]["kind"] == "nvlink4");
  CHECK(doc["links"][1].contains("bandwidth_bytes_per_s"));
  CHECK(doc["links"][1].contains("latency_s"));
}

TEST_CASE("topology JSON: optional fields take their defaults") {
  const auto t = io::topology_from_json(good());
  CHECK(t.num_devices() == 3);
  CHECK(t[0].spec.empty());
  CHECK(t[0].tier == 0);
  CHECK(t[0].rack == -1);
  CHECK(t[0].count == 1);
  CHECK(t[2].count == 4);
  const auto e = *t.link_between(1, 2);
  CHECK(t[e].latency == 0.0);
  CHECK(t[e].count == 1);
  CHECK(t[*t.link_between(0, 2)].count == 18);
}

TEST_CASE("topology JSON: files round trip, an imported NCCL topology included") {
  gpusched::io::test::scratch_dir dir("json");
  const auto imported =
      io::import_nccl_xml(gpusched::io::test::topology_file("aws-p5.48xl-h100-topo.xml")).topology;
  io::write_topology_json(dir.path() / "p5.json", imported);
  check_same(imported, io::read_topology_json(dir.path() / "p5.json"));
  io::write_topology_json(dir.path() / "sample.json", sample());
  check_same(sample(), io::read_topology_json(dir.path() / "sample.json"));
}

TEST_CASE("topology JSON: each bad input is an error naming the source, the JSON path and why") {
  auto bad = good();
  bad["links"][1]["b"] = "gpu9";
  auto msg = from(bad);
  CHECK(contains(msg, "bad.json: links[1].b"));
  CHECK(contains(msg, "unknown device \"gpu9\""));

  bad = good();
  bad["devices"][1]["kind"] = "tpu";
  msg = from(bad);
  CHECK(contains(msg, "devices[1].kind"));
  CHECK(contains(msg, "unknown kind \"tpu\""));
  CHECK(contains(msg, "network_switch"));  // lists the valid spellings

  bad = good();
  bad["links"][0]["kind"] = "nvlink9";
  CHECK(contains(from(bad), "links[0].kind: unknown kind \"nvlink9\""));

  bad = good();
  bad["devices"][0].erase("name");
  CHECK(contains(from(bad), "devices[0].name: missing required field"));

  bad = good();
  bad["links"][1].erase("bandwidth_bytes_per_s");
  CHECK(contains(from(bad), "links[1].bandwidth_bytes_per_s: missing required field"));

  bad = good();
  bad["devices"][0]["name"] = 7;
  CHECK(contains(from(bad), "devices[0].name: must be a string, got number"));

  bad = good();
  bad["devices"][2]["count"] = 1.5;
  CHECK(contains(from(bad), "devices[2].count: must be an integer"));

  bad = good();
  bad["devices"][2]["count"] = 0;
  CHECK(contains(from(bad), "devices[2].count: must be between 1"));

  bad = good();
  bad["devices"][0]["rack"] = "rack 1";
  CHECK(contains(from(bad), "devices[0].rack: must be an integer, got string"));

  bad = good();
  bad["devices"][0]["tier"] = 1LL << 40;
  CHECK(contains(from(bad), "devices[0].tier: must be between"));

  bad = good();
  bad["links"][0]["bandwidth_bytes_per_s"] = "fast";
  CHECK(contains(from(bad), "links[0].bandwidth_bytes_per_s: must be a number, got string"));

  bad = good();
  bad["links"] = nlohmann::json::object();
  CHECK(contains(from(bad), "links: must be an array, got object"));

  bad = good();
  bad["devices"][1] = "gpu1";
  CHECK(contains(from(bad), "devices[1]: must be an object, got string"));

  bad = good();
  bad["devices"][0]["bandwidth"] = 1;
  CHECK(contains(from(bad), "devices[0].bandwidth: unknown key"));

  bad = good();
  bad["extra"] = true;
  CHECK(contains(from(bad), "bad.json: extra: unknown key"));

  CHECK(contains(from(nlohmann::json::array()), "must be a JSON object, got array"));
}

TEST_CASE("topology JSON: bandwidth must be positive and finite, latency non-negative") {
  for (double bw : {0.0, -1e9, std::nan(""), std::numeric_limits<double>::infinity()}) {
    auto bad = good();
    bad["links"][1]["bandwidth_bytes_per_s"] = bw;
    const auto msg = from(bad);
    CAPTURE(bw);
    CHECK(contains(msg, "bad.json: links[1].bandwidth_bytes_per_s: must be"));
  }
  auto bad = good();
  bad["links"][0]["latency_s"] = -1e-6;
  CHECK(contains(from(bad), "links[0].latency_s: must be at least 0"));
}

TEST_CASE("topology JSON: duplicate devices, self links and parallel links are rejected") {
  auto bad = good();
  bad["devices"][1]["name"] = "gpu0";
  CHECK(contains(from(bad), "devices[1].name: duplicate device name \"gpu0\""));

  bad = good();
  bad["links"][1]["a"] = "sw";
  CHECK(contains(from(bad), "links[1]: a link must join two different devices"));

  bad = good();
  bad["links"][1]["a"] = "gpu0";
  CHECK(contains(from(bad), "links[1]: devices \"gpu0\" and \"sw\" are already linked"));
}

TEST_CASE("topology JSON: wrong format or version") {
  auto bad = good();
  bad["format"] = "something.else";
  CHECK(contains(from(bad), "format: is \"something.else\", expected \"gpusched.topology\""));
  bad = good();
  bad["version"] = 2;
  CHECK(contains(from(bad), "version: unsupported version 2 (this reads version 1)"));
  bad = good();
  bad.erase("version");
  CHECK(contains(from(bad), "version: missing required field"));
  bad = good();
  bad["version"] = "1";
  CHECK(contains(from(bad), "version: must be an integer, got string"));
}

TEST_CASE("topology JSON: malformed text is an error with the file and byte position") {
  const auto msg = error_of(
      [] { (void)io::parse_topology_json("{\"format\": \"gpusched.topology\",, }", "t.json"); });
  CHECK(contains(msg, "t.json: malformed JSON at byte 32"));
  CHECK(contains(msg, "syntax error"));

  gpusched::io::test::scratch_dir dir("json-bad");
  const auto file = dir.path() / "broken.json";
  std::ofstream(file) << "{\"format\": ";
  const auto from_file = error_of([&] { (void)io::read_topology_json(file); });
  CHECK(contains(from_file, file.string() + ": malformed JSON at byte"));

  // Semantic errors read from a file name the file too.
  std::ofstream(dir.path() / "kind.json") << R"({"format": "gpusched.topology", "version": 1,
      "devices": [{"name": "x", "kind": "quantum"}], "links": []})";
  CHECK(contains(error_of([&] { (void)io::read_topology_json(dir.path() / "kind.json"); }),
                 (dir.path() / "kind.json").string() + ": devices[0].kind: unknown kind"));

  CHECK(contains(error_of([&] { (void)io::read_topology_json(dir.path() / "absent.json"); }),
                 "absent.json: cannot open the file"));
}
