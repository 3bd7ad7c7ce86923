#pragma once
// Small helpers of the NCCL XML importer: reading and checking attributes of a Boost.PropertyTree
// element (every error names the file, the element, the attribute and its value), and the list of
// import notes, grouped so that 32 identical NICs give one note, not 32.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/property_tree/ptree.hpp>

#include "gpusched/core/error.hpp"

namespace gpusched::io::detail {

using ptree = boost::property_tree::ptree;

/// `s` without leading and trailing blanks.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// `s` in lower case (bus ids are compared case-insensitively, as NCCL parses them as hex).
inline std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

/// The children of an element that are elements (attributes, text and comments skipped).
template <class F>
void for_each_element(const ptree& el, F&& f) {
  for (const auto& [tag, child] : el)
    if (tag.empty() || tag.front() != '<') f(tag, child);
}

/// An element being read: the file it comes from, how to name it in messages, its attributes.
class element {
 public:
  element(std::string_view source, std::string label, const ptree& el)
      : source_(source), label_(std::move(label)), attrs_(el.get_child_optional("<xmlattr>")) {}

  /// "file.xml: <pci busid="0000:4f:00.0">", the `where` of every error about this element.
  [[nodiscard]] std::string where() const { return std::string(source_) + ": " + label_; }
  [[nodiscard]] const std::string& label() const noexcept { return label_; }

  /// The raw value of attribute `name`, if present.
  [[nodiscard]] std::optional<std::string> get(std::string_view name) const {
    if (!attrs_) return std::nullopt;
    auto it = attrs_->find(std::string(name));
    if (it == attrs_->not_found()) return std::nullopt;
    return it->second.data();
  }

  /// Attribute `name` as a decimal integer; absent or empty is nullopt, anything else not an
  /// integer is a gpusched::error.
  [[nodiscard]] std::optional<long long> get_int(std::string_view name) const {
    auto raw = get(name);
    if (!raw || trim(*raw).empty()) return std::nullopt;
    const std::string_view v = trim(*raw);
    long long out = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc{} || end != v.data() + v.size()) fail(name, *raw, "is not an integer");
    return out;
  }

  /// Attribute `name` as a number (decimal, fraction allowed); absent or empty is nullopt.
  [[nodiscard]] std::optional<double> get_number(std::string_view name) const {
    auto raw = get(name);
    if (!raw || trim(*raw).empty()) return std::nullopt;
    const std::string_view v = trim(*raw);
    double out = 0.0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc{} || end != v.data() + v.size()) fail(name, *raw, "is not a number");
    return out;
  }

  /// Attribute `name` as a hexadecimal number written "0x..." (PCI class, vendor, device ids).
  [[nodiscard]] std::optional<std::uint32_t> get_hex(std::string_view name) const {
    auto raw = get(name);
    if (!raw || trim(*raw).empty()) return std::nullopt;
    std::string_view v = trim(*raw);
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) v.remove_prefix(2);
    std::uint32_t out = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out, 16);
    if (ec != std::errc{} || end != v.data() + v.size())
      fail(name, *raw, "is not a hexadecimal number like 0x030200");
    return out;
  }

  /// Throws gpusched::error: attribute `name` with value `value` `problem`.
  [[noreturn]] void fail(std::string_view name, std::string_view value,
                         std::string_view problem) const {
    throw error(where(), "attribute " + std::string(name) + "=\"" + std::string(value) + "\" " +
                             std::string(problem));
  }
  /// Throws gpusched::error about this element.
  [[noreturn]] void fail(std::string_view problem) const { throw error(where(), problem); }

 private:
  std::string_view source_;
  std::string label_;
  boost::optional<const ptree&> attrs_;
};

/// Notes of an import, grouped: each distinct message once, with the elements it concerns.
class note_list {
 public:
  /// Records `message`, about `subject` (a bus id or element name) if not empty.
  void add(std::string message, std::string subject = {}) {
    auto it = std::find_if(notes_.begin(), notes_.end(),
                           [&](const auto& n) { return n.first == message; });
    if (it == notes_.end()) {
      notes_.emplace_back(std::move(message), std::vector<std::string>{});
      it = std::prev(notes_.end());
    }
    if (!subject.empty() &&
        std::find(it->second.begin(), it->second.end(), subject) == it->second.end())
      it->second.push_back(std::move(subject));
  }

  /// The notes as sentences: "message (3: a, b, c)", listing at most 4 subjects.
  [[nodiscard]] std::vector<std::string> render() const {
    std::vector<std::string> out;
    for (const auto& [message, subjects] : notes_) {
      std::string line = message;
      if (!subjects.empty()) {
        line += " (" + std::to_string(subjects.size()) + ": ";
        for (std::size_t i = 0; i < subjects.size() && i < 4; ++i)
          line += (i ? ", " : "") + subjects[i];
        if (subjects.size() > 4) line += ", ...";
        line += ")";
      }
      out.push_back(std::move(line));
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> notes_;
};

}  // namespace gpusched::io::detail
