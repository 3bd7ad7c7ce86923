// The NCCL XML import rules and errors, one small hand-written file each.
#include "gpusched/io/nccl_xml.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include <boost/graph/adjacency_list.hpp>

#include "io_test_support.hpp"

namespace io = gpusched::io;
namespace topo = gpusched::topology;
using gpusched::io::test::contains;
using gpusched::io::test::error_of;
using topo::device_kind;
using topo::link_kind;

namespace {

// One CPU holding `body`.
std::string one_cpu(std::string_view body) {
  return "<system version=\"1\"><cpu numaid=\"0\" arch=\"x86_64\" vendor=\"GenuineIntel\">" +
         std::string(body) + "</cpu></system>";
}

io::nccl_import import(std::string_view xml) { return io::import_nccl_xml_string(xml, "t.xml"); }

std::string import_error(std::string_view xml) {
  return error_of([&] { (void)import(xml); });
}

bool any_note(const io::nccl_import& r, std::string_view part) {
  for (const auto& n : r.notes)
    if (contains(n, part)) return true;
  return false;
}

const topo::link& link_of(const topo::topology& t, std::string_view a, std::string_view b) {
  auto e = t.link_between(t.id_of(a), t.id_of(b));
  REQUIRE(e.has_value());
  return t[*e];
}

std::string pci(std::string_view busid, std::string_view cls, std::string_view inner = "",
                std::string_view link = "link_speed=\"16.0 GT/s PCIe\" link_width=\"16\"") {
  return "<pci busid=\"" + std::string(busid) + "\" class=\"" + std::string(cls) + "\" " +
         std::string(link) + (inner.empty() ? "/>" : ">" + std::string(inner) + "</pci>");
}

std::string gpu(int rank, int sm, std::string_view nvlinks = "") {
  const std::string a = "<gpu dev=\"" + std::to_string(rank) + "\" sm=\"" + std::to_string(sm) +
                        "\" rank=\"" + std::to_string(rank) + "\" gdr=\"1\"";
  return nvlinks.empty() ? a + "/>" : a + ">" + std::string(nvlinks) + "</gpu>";
}

std::string nvlink(std::string_view target, int count, std::string_view tclass) {
  return "<nvlink target=\"" + std::string(target) + "\" count=\"" + std::to_string(count) +
         "\" tclass=\"" + std::string(tclass) + "\"/>";
}

}  // namespace

TEST_CASE("NCCL XML rules: PCI classes make GPUs, NICs and switches without child elements") {
  const auto r = import(one_cpu(pci("0000:01:00.0", "0x060400",
                                    pci("0000:02:00.0", "0x030000") +        // VGA controller
                                        pci("0000:03:00.0", "0x030200") +    // 3D controller
                                        pci("0000:04:00.0", "0x020000") +    // Ethernet
                                        pci("0000:05:00.0", "0x020700"))));  // InfiniBand
  const auto& t = r.topology;
  CHECK(t.num_gpus() == 2);
  CHECK(t[t.id_of("0000:02:00.0")].kind == device_kind::gpu);
  CHECK(t[t.id_of("0000:02:00.0")].spec.empty());
  CHECK(t[t.id_of("0000:01:00.0")].kind == device_kind::pcie_switch);
  REQUIRE(r.nics.size() == 2);
  CHECK(r.nics[0].fabric == link_kind::ethernet);
  CHECK(r.nics[1].fabric == link_kind::infiniband);
  CHECK(r.nics[0].bandwidth == doctest::Approx(16 * 16e9 * 128 / 130 / 8));  // its Gen4 x16 link
  CHECK(any_note(r, "GPU model unknown"));
  CHECK(any_note(r, "NIC without a <net> speed"));
  CHECK(t.num_links() == 5);
}

TEST_CASE("NCCL XML rules: sm gives the GPU model; unknown sm leaves the spec empty with a note") {
  const auto r = import(one_cpu(
      pci("0000:01:00.0", "0x030200", gpu(0, 100)) + pci("0000:02:00.0", "0x030200", gpu(1, 90)) +
      pci("0000:03:00.0", "0x030200", gpu(2, 80)) + pci("0000:04:00.0", "0x030200", gpu(3, 75))));
  const auto& t = r.topology;
  CHECK(t[t.gpus()[0]].spec == "B200");
  CHECK(t[t.gpus()[1]].spec == "H100");
  CHECK(t[t.gpus()[2]].spec == "A100");
  CHECK(t[t.gpus()[3]].spec.empty());
  CHECK(any_note(r, "GPU sm 75 is not in the catalog"));
}

TEST_CASE("NCCL XML rules: GPUs are numbered by rank, not file order") {
  const auto r = import(one_cpu(pci("0000:01:00.0", "0x030200", gpu(1, 90)) +
                                pci("0000:02:00.0", "0x030200", gpu(0, 90))));
  CHECK(r.topology[r.topology.gpus()[0]].name == "0000:02:00.0");
  CHECK(r.topology[r.topology.gpus()[1]].name == "0000:01:00.0");
}

TEST_CASE("NCCL XML rules: PCIe rates map to generations with real per-lane bandwidth") {
  struct row {
    const char* speed;
    link_kind kind;
    double lane;
  };
  const row rows[] = {{"2.5 GT/s", link_kind::pcie3, 0.25e9},
                      {"5 GT/s", link_kind::pcie3, 0.5e9},
                      {"8 GT/s", link_kind::pcie3, 8e9 * 128 / 130 / 8},
                      {"16.0 GT/s PCIe", link_kind::pcie4, 16e9 * 128 / 130 / 8},
                      {"32.0 GT/s PCIe", link_kind::pcie5, 32e9 * 128 / 130 / 8},
                      {"64.0 GT/s PCIe", link_kind::pcie6, 64e9 * 242 / 256 / 8}};
  for (const auto& row : rows) {
    CAPTURE(row.speed);
    const auto r =
        import(one_cpu(pci("0000:01:00.0", "0x020000", "",
                           "link_speed=\"" + std::string(row.speed) + "\" link_width=\"4\"")));
    const auto& l = link_of(r.topology, "cpu0", "0000:01:00.0");
    CHECK(l.kind == row.kind);
    CHECK(l.count == 4);
    CHECK(l.bandwidth == doctest::Approx(4 * row.lane));
  }
  const auto gen1 = import(
      one_cpu(pci("0000:01:00.0", "0x020000", "", "link_speed=\"2.5 GT/s\" link_width=\"1\"")));
  CHECK(any_note(gen1, "PCIe Gen1 link recorded with kind pcie3"));
}

TEST_CASE(
    "NCCL XML rules: a missing rate or width is taken from the parent's link, else Gen4 x16") {
  const auto r = import(one_cpu(
      pci("0000:01:00.0", "0x060400",
          pci("0000:02:00.0", "0x030200", "", "link_speed=\"\" link_width=\"0\"") +
              pci("0000:03:00.0", "0x030200", "", "link_speed=\"Unknown\" link_width=\"8\""),
          "link_speed=\"32.0 GT/s PCIe\" link_width=\"16\"") +
      pci("0000:04:00.0", "0x030200", "", "")));
  const auto& t = r.topology;
  const auto& inherited = link_of(t, "0000:01:00.0", "0000:02:00.0");
  CHECK(inherited.kind == link_kind::pcie5);
  CHECK(inherited.count == 16);
  const auto& rate_only = link_of(t, "0000:01:00.0", "0000:03:00.0");
  CHECK(rate_only.kind == link_kind::pcie5);
  CHECK(rate_only.count == 8);
  const auto& defaulted = link_of(t, "cpu0", "0000:04:00.0");
  CHECK(defaulted.kind == link_kind::pcie4);
  CHECK(defaulted.count == 16);
  CHECK(any_note(r, "assumed Gen5 x16, the parent's link"));
  CHECK(any_note(r, "PCIe link_speed not stated: assumed Gen5 x8, the parent's link"));
  CHECK(any_note(r, "assumed Gen4 x16, the default"));
  for (auto [it, end] = boost::edges(t.graph()); it != end; ++it)
    CHECK(t.graph()[*it].bandwidth > 0);
}

TEST_CASE("NCCL XML rules: a <nic> under <cpu> is a NIC on that CPU; its ports are summed") {
  const auto r = import(one_cpu(
      "<nic><net name=\"mlx5_0\" dev=\"0\" speed=\"200000\"/><net name=\"mlx5_1\" dev=\"1\" "
      "speed=\"200000\"/></nic>"));
  REQUIRE(r.nics.size() == 1);
  CHECK(r.nics[0].ports == std::vector<std::string>{"mlx5_0", "mlx5_1"});
  CHECK(r.nics[0].bandwidth == doctest::Approx(50e9));  // 2 x 200 Gb/s
  CHECK(r.topology.link_between(r.topology.id_of("cpu0"), r.nics[0].device).has_value());
  CHECK(any_note(r, "NICs are left unconnected"));
}

TEST_CASE("NCCL XML rules: GPU-to-GPU NVLinks listed by both GPUs become one edge") {
  const auto r = import(
      one_cpu(pci("0000:01:00.0", "0x030200", gpu(0, 80, nvlink("0000:02:00.0", 12, "0x030200"))) +
              pci("0000:02:00.0", "0x030200", gpu(1, 80, nvlink("0000:01:00.0", 12, "0x030200")))));
  const auto& l = link_of(r.topology, "0000:01:00.0", "0000:02:00.0");
  CHECK(l.kind == link_kind::nvlink3);
  CHECK(l.count == 12);
  CHECK(l.bandwidth == doctest::Approx(300e9));  // 600 GB/s bidirectional
  CHECK(r.topology.num_links() == 3);

  const auto uneven = import(
      one_cpu(pci("0000:01:00.0", "0x030200", gpu(0, 90, nvlink("0000:02:00.0", 6, "0x030200"))) +
              pci("0000:02:00.0", "0x030200", gpu(1, 90, nvlink("0000:01:00.0", 4, "0x030200"))) +
              pci("0000:03:00.0", "0x030200", gpu(2, 90, nvlink("0000:01:00.0", 2, "0x030200")))));
  CHECK(link_of(uneven.topology, "0000:01:00.0", "0000:02:00.0").count == 4);
  CHECK(link_of(uneven.topology, "0000:01:00.0", "0000:03:00.0").count == 2);
  CHECK(any_note(uneven, "list different link counts: took the smaller"));
  CHECK(any_note(uneven, "listed by only one of its two GPUs"));
}

TEST_CASE("NCCL XML rules: NVLinks to NVSwitches join one aggregated NVSwitch-plane device") {
  std::string body;
  for (int g = 0; g < 2; ++g) {
    const std::string links = nvlink("0000:a0:00.0", 4, "0x068000") +
                              nvlink("0000:A1:00.0", 4, "0x068000") +  // bus ids: any case
                              nvlink("0000:a2:00.0", 5, "0x068000") +
                              nvlink("0000:a3:00.0", 5, "0x068000");
    body += pci("0000:0" + std::to_string(g + 1) + ":00.0", "0x030200", gpu(g, 90, links));
  }
  const auto r = import(one_cpu(body));
  const auto& t = r.topology;
  const auto switches = t.devices_of(device_kind::nvswitch);
  REQUIRE(switches.size() == 1);
  CHECK(t[switches[0]].count == 4);
  for (auto g : t.gpus()) {
    const auto& l = t[*t.link_between(g, switches[0])];
    CHECK(l.kind == link_kind::nvlink4);
    CHECK(l.count == 18);
    CHECK(l.bandwidth == doctest::Approx(450e9));  // 900 GB/s bidirectional
  }
  CHECK(any_note(r, "aggregated into one NVSwitch-plane device"));

  // A <pci> of class 0x068000 creates no device but makes its bus id an NVSwitch target.
  const auto listed =
      import(one_cpu(pci("0000:a0:00.0", "0x068000") +
                     pci("0000:01:00.0", "0x030200",
                         gpu(0, 100, "<nvlink target=\"0000:a0:00.0\" count=\"18\"/>"))));
  CHECK(listed.topology.devices_of(device_kind::nvswitch).size() == 1);
  CHECK(listed.topology.num_devices() == 3);
  CHECK(link_of(listed.topology, "0000:01:00.0", "nvswitch").bandwidth == doctest::Approx(900e9));
}

TEST_CASE("NCCL XML rules: an NVLink to the GPU itself is ignored with a note") {
  const auto r = import(
      one_cpu(pci("0000:01:00.0", "0x030200", gpu(0, 80, nvlink("0000:01:00.0", 12, "0x030200")))));
  CHECK(r.topology.num_links() == 1);  // only the PCIe link
  CHECK(any_note(r, "own bus id ignored"));
}

TEST_CASE("NCCL XML rules: several CPUs are joined pairwise; comments and unknown elements pass") {
  const auto r = import(
      "<!-- a comment --><system version=\"1\">"
      "<cpu numaid=\"0\" vendor=\"AuthenticAMD\" familyid=\"25\"><!-- c --><pcilink/></cpu>"
      "<cpu numaid=\"1\" vendor=\"AuthenticAMD\" familyid=\"25\"/>"
      "<cpu numaid=\"2\" vendor=\"AuthenticAMD\" familyid=\"25\"/></system>");
  CHECK(r.topology.num_links() == 3);
  CHECK(r.topology[*r.topology.link_between(0, 2)].kind == link_kind::cpu_interconnect);
  CHECK(any_note(r, "element <pcilink> inside <cpu numaid=\"0\"> is not modelled"));
  CHECK(any_note(r, "estimated 64 GB/s"));
}

TEST_CASE("NCCL XML errors: malformed XML names the source and line") {
  const auto msg =
      import_error("<system version=\"1\">\n<cpu numaid=\"0\">\n<pci busid=\"x\"\n</system>");
  CHECK(contains(msg, "t.xml:"));
  CHECK(contains(msg, "malformed XML"));
  CHECK(contains(import_error("<topology/>"), "t.xml: no <system> element"));
  CHECK(contains(import_error("<system version=\"2\"><cpu/></system>"),
                 "attribute version=\"2\" is not supported"));
  CHECK(contains(import_error("<system version=\"1\"/>"), "no <cpu> element"));
  CHECK(contains(error_of([] { (void)io::import_nccl_xml("/nonexistent/topo.xml"); }),
                 "/nonexistent/topo.xml: cannot open the file"));
}

TEST_CASE("NCCL XML errors: structure") {
  CHECK(contains(
      import_error(one_cpu("<pci class=\"0x030200\" link_speed=\"8 GT/s\" link_width=\"16\"/>")),
      "t.xml: <pci> #0: has no busid attribute"));
  CHECK(contains(import_error(one_cpu(gpu(0, 90))), "<gpu> must be inside a <pci> element"));
  CHECK(contains(import_error("<system version=\"1\"><gpu/></system>"),
                 "<gpu> must be inside a <cpu> element"));
  CHECK(contains(
      import_error(one_cpu(pci("0000:01:00.0", "0x030200") + pci("0000:01:00.0", "0x020000"))),
      "<pci busid=\"0000:01:00.0\">: attribute busid=\"0000:01:00.0\" appears twice"));
  CHECK(contains(import_error(one_cpu("<pci busid=\"0000:01:00.0\" link_width=\"16\"/>")),
                 "has no class attribute and no <gpu>, <nic> or <pci> child"));
  CHECK(contains(import_error(one_cpu(pci("0000:01:00.0", "0x030200", gpu(0, 90)) +
                                      pci("0000:02:00.0", "0x030200", gpu(0, 90)))),
                 "attribute rank=\"0\" is also the rank of GPU 0000:01:00.0"));
  CHECK(contains(
      import_error("<system version=\"1\"><cpu numaid=\"1\"/><cpu numaid=\"1\"/></system>"),
      "attribute numaid=\"1\" is used by another <cpu>"));
}

TEST_CASE("NCCL XML errors: NVLinks to unknown targets") {
  const auto msg = import_error(
      one_cpu(pci("0000:01:00.0", "0x030200", gpu(0, 90, nvlink("0000:99:00.0", 4, "0x030200")))));
  CHECK(contains(msg, "t.xml: <pci busid=\"0000:01:00.0\"> <nvlink> #0"));
  CHECK(contains(msg, "target \"0000:99:00.0\" is not a GPU of this file"));
  CHECK(contains(msg, "tclass 0x030200 is not an NVSwitch"));
  CHECK(contains(
      import_error(one_cpu(pci("0000:01:00.0", "0x030200", gpu(0, 90, "<nvlink count=\"4\"/>")))),
      "has no target attribute"));
  CHECK(contains(import_error(one_cpu(pci("0000:01:00.0", "0x030200",
                                          gpu(0, 90, nvlink("0000:99:00.0", 0, "0x068000"))))),
                 "attribute count=\"0\" must be at least 1"));
}

TEST_CASE("NCCL XML errors: non-numeric attributes name the element, attribute and value") {
  CHECK(contains(
      import_error(
          one_cpu(pci("0000:01:00.0", "0x030200", "", "link_speed=\"8 GT/s\" link_width=\"x16\""))),
      "t.xml: <pci busid=\"0000:01:00.0\">: attribute link_width=\"x16\" is not an integer"));
  CHECK(contains(import_error(one_cpu(
                     pci("0000:01:00.0", "0x030200", "", "link_speed=\"fast\" link_width=\"16\""))),
                 "attribute link_speed=\"fast\" is not a PCIe rate"));
  CHECK(contains(import_error(one_cpu(pci("0000:01:00.0", "0x030200", "",
                                          "link_speed=\"10 GT/s\" link_width=\"16\""))),
                 "attribute link_speed=\"10 GT/s\" is not a standard PCIe rate"));
  CHECK(contains(import_error(one_cpu(pci("0000:01:00.0", "gpu"))),
                 "attribute class=\"gpu\" is not a hexadecimal number"));
  CHECK(contains(
      import_error(one_cpu(pci("0000:01:00.0", "0x030200", "<gpu sm=\"eighty\" rank=\"0\"/>"))),
      "<pci busid=\"0000:01:00.0\"> <gpu>: attribute sm=\"eighty\" is not an integer"));
  CHECK(contains(
      import_error(one_cpu(pci("0000:01:00.0", "0x030200",
                               gpu(0, 90, "<nvlink target=\"0000:02:00.0\" count=\"many\"/>")))),
      "attribute count=\"many\" is not an integer"));
  CHECK(contains(import_error(one_cpu("<nic><net name=\"eth0\" speed=\"fast\"/></nic>")),
                 "<nic> cpu0/nic0 <net> #0: attribute speed=\"fast\" is not a number"));
  CHECK(contains(import_error("<system version=\"1\"><cpu numaid=\"zero\"/></system>"),
                 "attribute numaid=\"zero\" is not an integer"));
}
