// Conan test package: gpusched's headers and dependencies are usable from the package.
#include <gpusched/core/units.hpp>
#include <gpusched/core/version.hpp>
#include <gpusched/topology/topology.hpp>

#include <iostream>

int main() {
  gpusched::topology::topology t{"test_package"};
  gpusched::topology::device gpu;
  gpu.name = "gpu0";
  t.add_device(gpu);
  std::cout << "gpusched " << gpusched::version_string << ": " << t.num_gpus() << " GPU, NVLink 4 "
            << gpusched::units::bidirectional_gb_per_s(900) / 1e9 << " GB/s per direction\n";
  return t.num_gpus() == 1 ? 0 : 1;
}
