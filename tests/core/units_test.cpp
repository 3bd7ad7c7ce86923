// Tests of gpusched/core/units.hpp and gpusched/core/error.hpp.
#include "gpusched/core/units.hpp"

#include <doctest/doctest.h>

#include <string>

#include "gpusched/core/error.hpp"

namespace u = gpusched::units;

TEST_CASE("units: vendors' bidirectional NVLink figures become per-direction bandwidth") {
  CHECK(u::bidirectional_gb_per_s(900) == 450e9);   // H100 NVLink 4: 900 GB/s total, 450 each way
  CHECK(u::bidirectional_gb_per_s(1800) == 900e9);  // B200 NVLink 5
  static_assert(u::bidirectional_gb_per_s(900) == u::gb_per_s(450));
}

TEST_CASE("units: network rates in Gbit/s become bytes per second") {
  CHECK(u::gbit_per_s(400) == 50e9);  // ConnectX-7 400G
  CHECK(u::gbit_per_s(800) == 100e9);
  static_assert(u::gbit_per_s(8) == u::gb_per_s(1));
}

TEST_CASE("units: sizes, times and compute are plain SI doubles") {
  CHECK(u::gigabytes(80) == 80e9);
  CHECK(u::gibibytes(1) == 1073741824.0);
  CHECK(u::mebibytes(2) == 2.0 * 1024 * 1024);
  CHECK(u::tb_per_s(3.35) == doctest::Approx(3.35e12));
  CHECK(u::microseconds(2) == doctest::Approx(2e-6));
  CHECK(u::nanoseconds(500) == doctest::Approx(5e-7));
  CHECK(u::petaflops(1.979) == doctest::Approx(1.979e15));
}

TEST_CASE("error: the message names where and what") {
  const gpusched::error e("topology.json:12 field 'bandwidth'", "must be positive, got -1");
  const std::string message = e.what();
  CHECK(message.find("topology.json:12") != std::string::npos);
  CHECK(message.find("must be positive, got -1") != std::string::npos);
  CHECK(e.where() == "topology.json:12 field 'bandwidth'");
  CHECK(e.problem() == "must be positive, got -1");
}

TEST_CASE("error: require throws gpusched::error only when the condition fails") {
  CHECK_NOTHROW(gpusched::require(true, "here", "never"));
  CHECK_THROWS_AS(gpusched::require(false, "here", "broken"), gpusched::error);
  CHECK_THROWS_WITH(gpusched::require(false, "loader", "bad field"), "loader: bad field");
  // A gpusched::error is a std::runtime_error, so generic handlers catch it too.
  CHECK_THROWS_AS(gpusched::require(false, "x", "y"), std::runtime_error);
}
