#pragma once
// Readers of request traces for kvcache, all streaming (one request in memory at a time):
//   - Mooncake's released format (FAST'25): JSON lines with "timestamp" (ms), "input_length",
//     "output_length", "hash_ids" (prefix block ids, 512-token blocks);
//   - a plain CSV: header "timestamp,input_length,output_length,hash_ids", hash ids separated by
//     spaces; the same units as Mooncake's;
//   - a plain JSON array of such objects (read whole: meant for small hand-written files).
// Every malformed line raises gpusched::error naming file:line and the field.

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <system_error>
#include <type_traits>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gpusched/core/error.hpp"
#include "gpusched/kvcache/block.hpp"

namespace gpusched::io {

namespace detail {
/// Fills r from one JSON object; `where` is "file:line" or "file: [i]".
inline void request_from_json(const nlohmann::json& j, const std::string& where,
                              kvcache::request& r) {
  if (!j.is_object()) throw error(where, "expected a JSON object");
  auto field = [&](const char* name) -> const nlohmann::json& {
    auto it = j.find(name);
    if (it == j.end()) throw error(where + ": " + name, "missing required field");
    return *it;
  };
  auto count = [&](const char* name) -> std::uint64_t {
    const auto& v = field(name);
    if (!v.is_number_integer() || (v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() < 0))
      throw error(where + ": " + name, "must be a non-negative integer, got " + v.dump());
    return v.get<std::uint64_t>();
  };
  const auto& ts = field("timestamp");
  if (!ts.is_number() || !std::isfinite(ts.get<double>()) || ts.get<double>() < 0)
    throw error(where + ": timestamp", "must be a finite number >= 0 (ms), got " + ts.dump());
  r.arrival = ts.get<double>() / 1000.0;
  r.input_tokens = count("input_length");
  r.output_tokens = count("output_length");
  const auto& ids = field("hash_ids");
  if (!ids.is_array()) throw error(where + ": hash_ids", "must be an array of integers");
  r.blocks.clear();
  r.blocks.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto& v = ids[i];
    if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<std::int64_t>() < 0))
      throw error(where + ": hash_ids[" + std::to_string(i) + "]",
                  "must be a non-negative integer, got " + v.dump());
    r.blocks.push_back(v.get<std::uint64_t>());
  }
}

[[nodiscard]] inline bool blank(std::string_view s) {
  for (const char c : s)
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  return true;
}
}  // namespace detail

/// Streams a Mooncake JSON-lines trace as a kvcache::request_source. Blank lines are skipped;
/// timestamps must not decrease (requests are replayed in file order = arrival order).
class mooncake_trace {
 public:
  explicit mooncake_trace(std::string path) : path_(std::move(path)), in_(path_) {
    if (!in_) throw error(path_, "cannot open trace file");
  }
  /// Reads the next request into r; false at the end of the file.
  bool next(kvcache::request& r) {
    while (std::getline(in_, line_)) {
      ++line_no_;
      if (detail::blank(line_)) continue;
      const std::string where = path_ + ":" + std::to_string(line_no_);
      nlohmann::json j = nlohmann::json::parse(line_, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) throw error(where, "not a valid JSON object");
      detail::request_from_json(j, where, r);
      if (r.arrival < last_)
        throw error(where + ": timestamp", "decreases (requests must be in arrival order)");
      last_ = r.arrival;
      return true;
    }
    if (in_.bad()) throw error(path_ + ":" + std::to_string(line_no_), "read error");
    return false;
  }
  /// Line number of the request returned last.
  [[nodiscard]] std::size_t line() const noexcept { return line_no_; }

 private:
  std::string path_;
  std::ifstream in_;
  std::string line_;
  std::size_t line_no_ = 0;
  double last_ = 0.0;
};

/// Streams the plain CSV request format (see the header comment) as a request_source.
class csv_trace {
 public:
  explicit csv_trace(std::string path) : path_(std::move(path)), in_(path_) {
    if (!in_) throw error(path_, "cannot open trace file");
    if (!std::getline(in_, line_)) throw error(path_ + ":1", "empty file (expected a header)");
    line_no_ = 1;
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_ != "timestamp,input_length,output_length,hash_ids")
      throw error(path_ + ":1", "header must be timestamp,input_length,output_length,hash_ids");
  }
  bool next(kvcache::request& r) {
    while (std::getline(in_, line_)) {
      ++line_no_;
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      if (detail::blank(line_)) continue;
      parse(r);
      return true;
    }
    if (in_.bad()) throw error(path_ + ":" + std::to_string(line_no_), "read error");
    return false;
  }

 private:
  void parse(kvcache::request& r) {
    const std::string where = path_ + ":" + std::to_string(line_no_);
    std::string_view s = line_;
    std::string_view cols[4];
    for (int c = 0; c < 4; ++c) {
      const auto comma = s.find(',');
      if (c < 3 && comma == std::string_view::npos)
        throw error(where, "expected 4 comma-separated fields, got " + std::to_string(c + 1));
      cols[c] = c < 3 ? s.substr(0, comma) : s;
      if (c < 3) s.remove_prefix(comma + 1);
    }
    if (cols[3].find(',') != std::string_view::npos) throw error(where, "more than 4 fields");
    double ts = 0;
    if (!parse_number(cols[0], ts) || !std::isfinite(ts) || ts < 0)
      throw error(where + ": timestamp", "must be a number >= 0 (ms), got '" + std::string(cols[0]) + "'");
    if (ts / 1000.0 < last_) throw error(where + ": timestamp", "decreases (requests must be in arrival order)");
    r.arrival = last_ = ts / 1000.0;
    if (!parse_number(cols[1], r.input_tokens))
      throw error(where + ": input_length", "must be a non-negative integer, got '" + std::string(cols[1]) + "'");
    if (!parse_number(cols[2], r.output_tokens))
      throw error(where + ": output_length", "must be a non-negative integer, got '" + std::string(cols[2]) + "'");
    r.blocks.clear();
    std::string_view ids = cols[3];
    std::size_t k = 0;
    while (!ids.empty()) {
      const auto sp = ids.find(' ');
      const std::string_view tok = ids.substr(0, sp);
      ids = sp == std::string_view::npos ? std::string_view{} : ids.substr(sp + 1);
      if (tok.empty()) continue;
      std::uint64_t v = 0;
      if (!parse_number(tok, v))
        throw error(where + ": hash_ids[" + std::to_string(k) + "]",
                    "must be a non-negative integer, got '" + std::string(tok) + "'");
      r.blocks.push_back(v);
      ++k;
    }
  }
  template <class T>
  static bool parse_number(std::string_view s, T& out) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    if (s.empty()) return false;
    if constexpr (std::is_floating_point_v<T>) {
      // from_chars for double is missing from clang 14's libstdc++ use; strtod on a copy instead.
      const std::string copy(s);
      char* end = nullptr;
      out = std::strtod(copy.c_str(), &end);
      return end == copy.c_str() + copy.size();
    } else {
      const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return ec == std::errc{} && p == s.data() + s.size();
    }
  }
  std::string path_;
  std::ifstream in_;
  std::string line_;
  std::size_t line_no_ = 0;
  double last_ = 0.0;
};

/// Reads a JSON array of request objects (Mooncake's fields) from a file.
[[nodiscard]] inline std::vector<kvcache::request> read_requests_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw error(path, "cannot open request file");
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw error(path, "not valid JSON");
  if (!doc.is_array()) throw error(path, "expected a JSON array of requests");
  std::vector<kvcache::request> out(doc.size());
  double last = 0;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const std::string where = path + ": [" + std::to_string(i) + "]";
    detail::request_from_json(doc[i], where, out[i]);
    if (out[i].arrival < last) throw error(where + ": timestamp", "decreases");
    last = out[i].arrival;
  }
  return out;
}

}  // namespace gpusched::io
