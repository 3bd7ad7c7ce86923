#pragma once
// Checked access to the fields of a JSON document: every error names the source (file), the JSON
// path of the value ("links[3].b") and what was wrong with it.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gpusched/core/error.hpp"

namespace gpusched::io::detail {

/// Reads fields of one JSON document named `source` in messages.
class json_fields {
 public:
  explicit json_fields(std::string_view source) : source_(source) {}

  /// "file.json: links[3].b", the `where` of an error about the value at `path`.
  [[nodiscard]] std::string where(std::string_view path) const {
    return std::string(source_) + ": " + std::string(path);
  }
  [[noreturn]] void fail(std::string_view path, std::string_view what) const {
    throw error(where(path), what);
  }

  /// Requires `value` to be an object whose keys are all in `allowed`.
  void check_object(const nlohmann::json& value, std::string_view path,
                    std::initializer_list<std::string_view> allowed) const {
    if (!value.is_object()) fail(path, "must be an object, got " + type_of(value));
    for (const auto& item : value.items()) {
      bool known = false;
      for (auto key : allowed) known = known || key == item.key();
      if (known) continue;
      std::string list;
      for (auto key : allowed) list += (list.empty() ? "" : ", ") + std::string(key);
      fail(join(path, item.key()), "unknown key (allowed: " + list + ")");
    }
  }

  /// The member `key` of object `obj`, or nullptr when absent (absent and required is an error).
  const nlohmann::json* member(const nlohmann::json& obj, std::string_view path,
                               std::string_view key, bool required) const {
    auto it = obj.find(std::string(key));
    if (it != obj.end()) return &*it;
    if (required) fail(join(path, key), "missing required field");
    return nullptr;
  }

  /// A string field.
  std::optional<std::string> string(const nlohmann::json& obj, std::string_view path,
                                    std::string_view key, bool required) const {
    const auto* v = member(obj, path, key, required);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(join(path, key), "must be a string, got " + type_of(*v));
    return v->get<std::string>();
  }

  /// An integer field within [lo, hi].
  std::optional<std::int64_t> integer(const nlohmann::json& obj, std::string_view path,
                                      std::string_view key, bool required, std::int64_t lo,
                                      std::int64_t hi) const {
    const auto* v = member(obj, path, key, required);
    if (!v) return std::nullopt;
    const std::string at = join(path, key);
    if (!v->is_number_integer()) fail(at, "must be an integer, got " + type_of(*v));
    const bool too_big = v->is_number_unsigned() &&
                         v->get<std::uint64_t>() >
                             static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    const std::int64_t x =
        too_big ? std::numeric_limits<std::int64_t>::max() : v->get<std::int64_t>();
    if (too_big || x < lo || x > hi)
      fail(at, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                   v->dump());
    return x;
  }

  /// A finite number field, at least `lo` (or greater than `lo` when `strict`).
  std::optional<double> number(const nlohmann::json& obj, std::string_view path,
                               std::string_view key, bool required, double lo, bool strict) const {
    const auto* v = member(obj, path, key, required);
    if (!v) return std::nullopt;
    const std::string at = join(path, key);
    if (!v->is_number()) fail(at, "must be a number, got " + type_of(*v));
    const double x = v->get<double>();
    if (!std::isfinite(x)) fail(at, "must be finite, got " + std::to_string(x));
    if (strict ? !(x > lo) : !(x >= lo))
      fail(at, std::string("must be ") + (strict ? "greater than " : "at least ") +
                   std::to_string(lo) + ", got " + v->dump());
    return x;
  }

  /// "path.key", or "key" at the top level.
  static std::string join(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
  }
  /// "path[i]".
  static std::string index(std::string_view path, std::size_t i) {
    return std::string(path) + "[" + std::to_string(i) + "]";
  }
  /// The JSON type of `v` in words ("string", "number", "null" ...).
  static std::string type_of(const nlohmann::json& v) { return v.type_name(); }

 private:
  std::string_view source_;
};

}  // namespace gpusched::io::detail
