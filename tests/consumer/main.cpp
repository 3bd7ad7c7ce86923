// A downstream program built against gpusched by the consumer tests (find_package and
// add_subdirectory): it must compile with only the package's usage requirements, link and run.
#include <gpusched/core/version.hpp>
#include <gpusched/topology/topology.hpp>

#include <iostream>
#include <string_view>

int main() {
  namespace topo = gpusched::topology;
  topo::topology t{"consumer"};
  topo::device gpu;
  gpu.kind = topo::device_kind::gpu;
  gpu.name = "gpu0";
  topo::device cpu;
  cpu.kind = topo::device_kind::cpu;
  cpu.name = "cpu0";
  topo::link pcie;
  pcie.kind = topo::link_kind::pcie5;
  pcie.bandwidth = gpusched::units::gb_per_s(64);
  pcie.latency = gpusched::units::microseconds(1);
  t.add_link(t.add_device(gpu), t.add_device(cpu), pcie);

  std::cout << "gpusched " << gpusched::version_string << ": '" << t.name() << "' has "
            << t.num_devices() << " devices, " << t.num_gpus() << " GPU, " << t.num_links()
            << " link\n";
  if (gpusched::version_string != std::string_view{GPUSCHED_EXPECTED_VERSION}) {
    std::cerr << "expected version " << GPUSCHED_EXPECTED_VERSION << '\n';
    return 1;
  }
  return t.num_devices() == 2 && t.num_gpus() == 1 && t.num_links() == 1 ? 0 : 1;
}
