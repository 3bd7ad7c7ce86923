#pragma once
// gpusched::error: the one exception type of the library. Its message always says what was wrong
// and where (a file and line, a JSON path, a device name, a field), so a user can fix the input.

#include <stdexcept>
#include <string>
#include <string_view>

namespace gpusched {

/// Raised for every bad input and every violated precondition the library detects.
class error : public std::runtime_error {
 public:
  /// `where` names the place (file:line, element, field, function); `what` says what was wrong.
  error(std::string_view where, std::string_view what)
      : std::runtime_error(std::string(where) + ": " + std::string(what)),
        where_(where),
        problem_(what) {}

  /// The place the problem was found (file:line, element, field or function).
  [[nodiscard]] const std::string& where() const noexcept { return where_; }
  /// What was wrong, without the place.
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }

 private:
  std::string where_;
  std::string problem_;
};

/// Throws gpusched::error(where, what) unless `condition` holds.
inline void require(bool condition, std::string_view where, std::string_view what) {
  if (!condition) throw error(where, what);
}

}  // namespace gpusched
