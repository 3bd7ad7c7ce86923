#pragma once
// Shared helpers of the io tests: where the test data lives, a scratch directory, error capture.

#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

#include "gpusched/core/error.hpp"

namespace gpusched::io::test {

/// tests/data (CMake defines GPUSCHED_TEST_DATA_DIR; a hand-made build falls back to this file's
/// location).
inline std::filesystem::path data_dir() {
#ifdef GPUSCHED_TEST_DATA_DIR
  return GPUSCHED_TEST_DATA_DIR;
#else
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "data";
#endif
}

/// tests/data/topologies/<file>.
inline std::filesystem::path topology_file(std::string_view file) {
  return data_dir() / "topologies" / file;
}

/// A fresh directory under the system temp dir, removed when the object goes away.
class scratch_dir {
 public:
  explicit scratch_dir(std::string_view tag)
      : path_(std::filesystem::temp_directory_path() /
              ("gpusched-io-" + std::string(tag) + "-" + std::to_string(std::random_device{}()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

/// The message of the gpusched::error `f` throws, or "(no error)" when it throws none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const gpusched::error& e) {
    return e.what();
  }
  return "(no error)";
}

/// True when `text` contains `part`.
inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace gpusched::io::test
