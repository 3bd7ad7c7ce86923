#pragma once
// First pass of the NCCL XML importer: walks the <system> tree and produces a plan — one entry per
// device to create, the PCIe link to its parent and what each GPU and NIC says — checking every
// attribute it reads. The second pass (gpusched/io/nccl_xml.hpp) turns the plan into a topology.
//
// Classification follows NCCL (src/graph/topo.cc): a <pci> with a <gpu> child or class 0x03xxxx is
// a GPU, with a <nic> child or class 0x02xxxx a NIC, class 0x0604xx a PCIe switch/bridge; NVSwitch
// (0x068000) and CPU-bridge (0x068001) <pci> elements create no device (NVSwitches come from the
// <nvlink> targets); any other class is treated as a bridge, as NCCL does.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gpusched/io/detail/link_figures.hpp"
#include "gpusched/io/detail/xml_attributes.hpp"
#include "gpusched/topology/types.hpp"

namespace gpusched::io::detail {

/// One <nvlink> of a GPU, as written.
struct nvlink_entry {
  std::string target;  ///< bus id, lower case
  std::uint32_t count = 1;
  std::optional<std::uint32_t> tclass;
  std::string where;  ///< for errors found in the second pass
};

enum class plan_role : std::uint8_t { cpu, bridge, gpu, nic };

/// A device to create.
struct plan_node {
  plan_role role = plan_role::bridge;
  std::string name;  ///< bus id (lower case), "cpu<numaid>" or "cpu<numaid>/nic<k>"
  std::string spec;
  int parent = -1;        ///< index in plan::nodes; -1 for CPUs
  pcie_generation gen{};  ///< the PCIe link to the parent (not for CPUs)
  int width = 0;
  // CPU
  std::string vendor;
  int family = 0, model = 0;
  // GPU
  std::optional<int> sm, rank;
  std::vector<nvlink_entry> nvlinks;
  // NIC
  std::vector<std::string> ports;
  bytes_per_second speed = 0.0;  ///< sum of the ports' speeds; 0 when the file gives none
  topology::link_kind fabric = topology::link_kind::ethernet;
};

/// The PCIe link of an element's parent, which a child without link attributes inherits.
struct parent_link {
  pcie_generation gen{};
  int width = 0;
};

/// Everything the first pass learned.
struct plan {
  std::vector<plan_node> nodes;
  std::set<std::string> nvswitch_busids;  ///< <pci class="0x068000"> elements seen
  note_list notes;
};

/// Walks one NCCL topology tree into a plan.
class nccl_xml_reader {
 public:
  explicit nccl_xml_reader(std::string_view source) : source_(source) {}

  /// Reads the <system> element (the root of an NCCL_TOPO_FILE).
  plan read(const ptree& system) {
    element sys(source_, "<system>", system);
    if (auto v = sys.get_int("version")) {
      if (*v != 1)
        sys.fail("version", std::to_string(*v), "is not supported (this reads version 1)");
    } else {
      p_.notes.add("<system> has no version attribute: read as version 1");
    }
    bool any_cpu = false;
    for_each_element(system, [&](const std::string& tag, const ptree& child) {
      if (tag == "cpu") {
        any_cpu = true;
        read_cpu(child);
      } else if (tag == "gpu" || tag == "pci" || tag == "nic") {
        throw error(sys.where(), "<" + tag + "> must be inside a <cpu> element");
      } else {
        ignored(tag, "<system>");
      }
    });
    require(any_cpu, sys.where(), "no <cpu> element: nothing to import");
    return std::move(p_);
  }

 private:
  void ignored(const std::string& tag, std::string_view parent) {
    p_.notes.add("element <" + tag + "> inside " + std::string(parent) +
                 " is not modelled: ignored");
  }

  int add(plan_node n) {
    p_.nodes.push_back(std::move(n));
    return static_cast<int>(p_.nodes.size()) - 1;
  }

  void read_cpu(const ptree& el) {
    const int index = cpu_count_++;
    element cpu(source_, "<cpu> #" + std::to_string(index), el);
    plan_node n;
    n.role = plan_role::cpu;
    auto numa = cpu.get_int("numaid");
    if (numa) {
      n.name = "cpu" + std::to_string(*numa);
    } else {
      n.name = "cpu" + std::to_string(index);
      p_.notes.add("<cpu> without numaid: named by its position in the file", n.name);
    }
    for (const auto& other : p_.nodes)
      if (other.role == plan_role::cpu && other.name == n.name)
        cpu.fail("numaid", std::to_string(numa.value_or(index)), "is used by another <cpu>");
    n.vendor = cpu.get("vendor").value_or("");
    n.family = static_cast<int>(cpu.get_int("familyid").value_or(0));
    n.model = static_cast<int>(cpu.get_int("modelid").value_or(0));
    const std::string label = "<cpu numaid=\"" + std::to_string(numa.value_or(index)) + "\">";
    const int self = add(std::move(n));
    int nics = 0;
    for_each_element(el, [&](const std::string& tag, const ptree& child) {
      if (tag == "pci")
        read_pci(child, self, std::nullopt);
      else if (tag == "nic")
        read_cpu_nic(child, self, nics++);
      else if (tag == "gpu")
        throw error(cpu.where(), "<gpu> must be inside a <pci> element");
      else
        ignored(tag, label);
    });
  }

  // A <nic> directly under <cpu> (no PCI element): a NIC attached to that CPU.
  void read_cpu_nic(const ptree& el, int cpu, int k) {
    plan_node n;
    n.role = plan_role::nic;
    n.name = p_.nodes[static_cast<std::size_t>(cpu)].name + "/nic" + std::to_string(k);
    n.parent = cpu;
    n.gen = pcie_generations[default_pcie_gen - 1];
    n.width = default_pcie_width;
    p_.notes.add("<nic> directly under <cpu> has no PCIe link in the file: assumed Gen" +
                     std::to_string(default_pcie_gen) + " x" + std::to_string(default_pcie_width) +
                     " to its CPU",
                 n.name);
    read_nets(el, n, "<nic> " + n.name);
    p_.notes.add("fabric kind of a <nic> without PCI class is unknown: assumed Ethernet", n.name);
    add(std::move(n));
  }

  // The <net> ports of a <nic>: their names and summed speed (NCCL's speed is in Mb/s).
  void read_nets(const ptree& nic_el, plan_node& n, const std::string& label) {
    int k = 0;
    for_each_element(nic_el, [&](const std::string& tag, const ptree& child) {
      if (tag != "net") {
        ignored(tag, "<nic>");
        return;
      }
      element net(source_, label + " <net> #" + std::to_string(k), child);
      n.ports.push_back(net.get("name").value_or(n.name + "/port" + std::to_string(k)));
      ++k;
      auto mbps = net.get_number("speed");
      if (mbps && *mbps > 0.0)
        n.speed += *mbps * 1e6 / 8.0;
      else
        p_.notes.add("<net> without a positive speed: its speed is not counted", n.ports.back());
    });
  }

  // Reads link_speed / link_width, inferring what is missing from the parent link or the default.
  void read_link(const element& pci, plan_node& n, const std::optional<parent_link>& parent_pci) {
    std::optional<pcie_generation> gen;
    if (auto raw = pci.get("link_speed")) {
      const std::string_view v = trim(*raw);
      const bool unknown = v.empty() || lower(v.substr(0, 7)) == "unknown";
      if (!unknown) {
        double rate = 0.0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), rate);
        if (ec != std::errc{} || end == v.data())
          pci.fail("link_speed", *raw, "is not a PCIe rate like \"16.0 GT/s PCIe\"");
        gen = pcie_generation_of_rate(rate);
        if (!gen)
          pci.fail("link_speed", *raw,
                   "is not a standard PCIe rate (2.5, 5, 8, 16, 32 or 64 GT/s)");
      }
    }
    // A plain int (0 = not stated) rather than std::optional: g++ 12 -O2 reports a false
    // maybe-uninitialized on the optional's payload here.
    int width = 0;
    if (const auto stated = pci.get_int("link_width")) {
      if (*stated < 0 || *stated > 32)
        pci.fail("link_width", std::to_string(*stated), "is not a PCIe width (1 to 32 lanes)");
      width = static_cast<int>(*stated);
    }

    if (gen && gen->gen <= 2)
      p_.notes.add("PCIe Gen" + std::to_string(gen->gen) +
                       " link recorded with kind pcie3 (no older kind) and its real Gen" +
                       std::to_string(gen->gen) + " bandwidth",
                   n.name);
    if (gen && width > 0) {
      n.gen = *gen;
      n.width = width;
      return;
    }
    const std::string from =
        parent_pci ? "the parent's link" : "the default (no parent PCIe link to copy)";
    n.gen = gen ? *gen : (parent_pci ? parent_pci->gen : pcie_generations[default_pcie_gen - 1]);
    n.width = width > 0 ? width : (parent_pci ? parent_pci->width : default_pcie_width);
    std::string what = !gen && width == 0 ? "PCIe link_speed and link_width not stated"
                       : !gen             ? "PCIe link_speed not stated"
                                          : "PCIe link_width not stated (or 0)";
    p_.notes.add(what + ": assumed Gen" + std::to_string(n.gen.gen) + " x" +
                     std::to_string(n.width) + ", " + from,
                 n.name);
  }

  void read_pci(const ptree& el, int parent, const std::optional<parent_link>& parent_pci) {
    element pre(source_, "<pci> #" + std::to_string(pci_count_++), el);
    auto busid_raw = pre.get("busid");
    if (!busid_raw || trim(*busid_raw).empty()) pre.fail("has no busid attribute");
    const std::string busid = lower(trim(*busid_raw));
    element pci(source_, "<pci busid=\"" + busid + "\">", el);
    if (!names_.insert(busid).second) pci.fail("busid", busid, "appears twice in the file");

    const ptree* gpu_el = nullptr;
    const ptree* nic_el = nullptr;
    bool has_pci_children = false;
    int gpus = 0;
    for_each_element(el, [&](const std::string& tag, const ptree& child) {
      if (tag == "gpu" && gpus++ == 0) gpu_el = &child;
      if (tag == "nic" && !nic_el) nic_el = &child;
      if (tag == "pci") has_pci_children = true;
    });
    if (gpus > 1)
      p_.notes.add("several <gpu> in one <pci> (MLOPart partitions): only the first is modelled",
                   busid);

    auto cls = pci.get_hex("class");
    plan_node n;
    n.name = busid;
    n.parent = parent;
    if (gpu_el || (!nic_el && cls && (*cls >> 16) == 0x03)) {
      n.role = plan_role::gpu;
    } else if (nic_el || (cls && (*cls >> 16) == 0x02)) {
      n.role = plan_role::nic;
    } else if (cls && (*cls == 0x068000 || *cls == 0x068001)) {
      if (*cls == 0x068000) p_.nvswitch_busids.insert(busid);
      p_.notes.add(*cls == 0x068000
                       ? "<pci> of class 0x068000 (NVSwitch) creates no device: NVSwitches are "
                         "taken from <nvlink> targets"
                       : "<pci> of class 0x068001 (NVLink CPU bridge) is not modelled: ignored",
                   busid);
      return;
    } else if (cls || has_pci_children) {
      n.role = plan_role::bridge;
      if (!cls)
        p_.notes.add("<pci> without class but with <pci> children: taken as a PCIe switch", busid);
      else if ((*cls >> 8) != 0x0604)
        p_.notes.add("<pci> class not a GPU, NIC or bridge: treated as a PCIe bridge, as NCCL does",
                     busid);
    } else {
      pci.fail("has no class attribute and no <gpu>, <nic> or <pci> child: cannot tell what it is");
    }
    if (!cls && n.role != plan_role::bridge)
      p_.notes.add("<pci> without class: kind taken from its <gpu>/<nic> child", busid);

    read_link(pci, n, parent_pci);
    if (n.role == plan_role::gpu) read_gpu(pci, gpu_el, n);
    if (n.role == plan_role::nic) {
      if (nic_el) read_nets(*nic_el, n, pci.label() + " <nic>");
      n.fabric =
          cls && *cls == 0x020700 ? topology::link_kind::infiniband : topology::link_kind::ethernet;
      if (!cls)
        p_.notes.add("fabric kind of a <nic> without PCI class is unknown: assumed Ethernet",
                     busid);
    }
    const int self = add(std::move(n));
    for_each_element(el, [&](const std::string& tag, const ptree& child) {
      if (tag == "pci") {
        const auto& me = p_.nodes[static_cast<std::size_t>(self)];
        read_pci(child, self, parent_link{me.gen, me.width});
      } else if (tag != "gpu" && tag != "nic") {
        ignored(tag, "<pci>");
      }
    });
  }

  void read_gpu(const element& pci, const ptree* gpu_el, plan_node& n) {
    if (gpu_el) {
      element gpu(source_, pci.label() + " <gpu>", *gpu_el);
      if (auto sm = gpu.get_int("sm")) n.sm = static_cast<int>(*sm);
      if (auto rank = gpu.get_int("rank")) n.rank = static_cast<int>(*rank);
      (void)gpu.get_int("dev");  // checked, not used
      int k = 0;
      for_each_element(*gpu_el, [&](const std::string& tag, const ptree& child) {
        if (tag != "nvlink") {
          ignored(tag, "<gpu>");
          return;
        }
        element nv(source_, pci.label() + " <nvlink> #" + std::to_string(k++), child);
        nvlink_entry e;
        auto target = nv.get("target");
        if (!target || trim(*target).empty()) nv.fail("has no target attribute");
        e.target = lower(trim(*target));
        auto count = nv.get_int("count");
        if (!count) nv.fail("has no count attribute");
        if (*count < 1) nv.fail("count", std::to_string(*count), "must be at least 1");
        e.count = static_cast<std::uint32_t>(*count);
        e.tclass = nv.get_hex("tclass");
        e.where = nv.where();
        n.nvlinks.push_back(std::move(e));
      });
    } else {
      p_.notes.add(
          "GPU given by PCI class only (no <gpu> element): no sm, rank or NVLinks in the "
          "file (NCCL would read them from the live system)",
          n.name);
    }
    if (!n.sm) {
      auto vendor = pci.get_hex("vendor");
      auto device = pci.get_hex("device");
      if (vendor == nvidia_vendor_id && device) {
        for (const auto& known : known_gpu_devices)
          if (known.device == *device) {
            n.sm = known.sm;
            std::ostringstream msg;
            msg << "GPU generation inferred from PCI device id 0x" << std::hex << *device << " ("
                << known.description << ")";
            p_.notes.add(msg.str(), n.name);
          }
      }
    }
    if (n.sm) {
      if (auto g = gpu_generation_of_sm(*n.sm))
        n.spec = std::string(g->spec);
      else
        p_.notes.add("GPU sm " + std::to_string(*n.sm) + " is not in the catalog: spec left empty",
                     n.name);
    } else {
      p_.notes.add("GPU model unknown (no sm, no known PCI device id): spec left empty", n.name);
    }
  }

  std::string_view source_;
  plan p_;
  std::set<std::string> names_;
  int cpu_count_ = 0;
  int pci_count_ = 0;
};

}  // namespace gpusched::io::detail
