// JSON interop of placements and load files (include/gpusched/io/placement_json.hpp).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "gpusched/io/placement_json.hpp"
#include "gpusched/moe/placer.hpp"

namespace moe = gpusched::moe;

TEST_CASE("placements round-trip through JSON") {
  moe::problem p;
  p.loads = gpusched::io::read_expert_loads(GPUSCHED_TEST_DATA_DIR "/moe/decode_in2000out100_layers3-6.json");
  p.cluster.gpus = 72;
  p.cluster.gpus_per_domain = 72;
  p.cluster.slots_per_gpu = 4;
  const auto plan = moe::placer<>{}.solve(p);
  const auto back = gpusched::io::placement_from_json(gpusched::io::placement_to_json(plan));
  REQUIRE(back.layers.size() == plan.layers.size());
  CHECK(back.gpus == 72);
  for (std::size_t l = 0; l < plan.layers.size(); ++l) {
    CHECK(back.layers[l].physical_to_logical == plan.layers[l].physical_to_logical);
    CHECK(back.layers[l].logical_to_physical == plan.layers[l].logical_to_physical);
    CHECK(back.layers[l].dispatch_weight == plan.layers[l].dispatch_weight);
  }
}

TEST_CASE("malformed placements and load files name the problem") {
  auto j = nlohmann::json::parse(R"({"gpus": 2, "slots_per_gpu": 1, "experts": 2,
                                     "layers": [{"physical_to_logical": [0, 5]}]})");
  CHECK_THROWS_WITH_AS((void)gpusched::io::placement_from_json(j, "plan.json"), doctest::Contains("expert 5"), gpusched::error);
  j["layers"][0]["physical_to_logical"] = {1, 0};
  j["layers"][0]["replica_count"] = {2, 0};
  CHECK_THROWS_WITH_AS((void)gpusched::io::placement_from_json(j, "plan.json"), doctest::Contains("plan.json/layers/0/replica_count"), gpusched::error);
  j.erase("gpus");
  CHECK_THROWS_WITH_AS((void)gpusched::io::placement_from_json(j, "plan.json"), doctest::Contains("gpus"), gpusched::error);

  const auto dir = std::filesystem::temp_directory_path();
  const auto csv = dir / "gpusched_moe_loads_test.csv";
  {
    std::ofstream(csv) << "# layer loads\n1,2,3\n4,x,6\n";
  }
  CHECK_THROWS_WITH_AS((void)gpusched::io::read_expert_loads(csv), doctest::Contains(":3"), gpusched::error);
  {
    std::ofstream(csv) << "1,2,3\n0,0,0\n4,5,6\n";
  }
  const auto m = gpusched::io::read_expert_loads(csv, true);
  CHECK(m.rows() == 2);
  CHECK(m(1, 2) == 6.0);
  {
    std::ofstream(csv) << "1,2,3\n4,-5,6\n";
  }
  CHECK_THROWS_WITH_AS((void)gpusched::io::read_expert_loads(csv), doctest::Contains("expert 1"), gpusched::error);
  std::filesystem::remove(csv);
}
