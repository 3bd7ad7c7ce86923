#pragma once
// A topology as JSON, exactly: writing then reading gives back the same devices (same ids) and the
// same links. Schema, version 1:
//
//   {
//     "format": "gpusched.topology",              required
//     "version": 1,                               required
//     "name": "DGX H100",                         optional, default ""
//     "devices": [                                required; the position is the device id
//       {"name": "gpu0",                          required, unique, non-empty
//        "kind": "gpu",                           required: gpu cpu nvswitch pcie_switch nic dpu
//                                                           network_switch storage
//        "spec": "H100-SXM",                      optional, default ""
//        "tier": 0, "rack": -1, "count": 1,       optional integers, defaults 0, -1, 1 (count >= 1)
//        "port_bandwidth_bytes_per_s": 5e10}      optional, >= 0, default 0 (unknown): a NIC's,
//                                                 DPU's or storage node's line rate per direction
//     ],
//     "links": [                                  required
//       {"a": "gpu0", "b": "nvswitch",            required device names, distinct
//        "kind": "nvlink4",                       required: nvlink3..6 nvlink_c2c pcie3..6 ethernet
//                                                           infiniband cpu_interconnect
//        "bandwidth_bytes_per_s": 4.5e11,         required, > 0: bytes per second PER DIRECTION
//                                                 (a "900 GB/s" NVLink4 GPU is 4.5e11 here)
//        "latency_s": 1e-7,                       optional, >= 0 seconds one way, default 0
//        "count": 18}                             optional, >= 1 links aggregated, default 1
//     ]
//   }
//
// Unknown keys are errors (a misspelt optional field would otherwise be silently ignored).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/graph/adjacency_list.hpp>
#include <nlohmann/json.hpp>

#include "gpusched/core/error.hpp"
#include "gpusched/io/detail/json_fields.hpp"
#include "gpusched/topology/topology.hpp"
#include "gpusched/topology/types.hpp"

namespace gpusched::io {

/// The value of "format" in every topology JSON document.
inline constexpr std::string_view topology_json_format = "gpusched.topology";
/// The schema version this library writes and reads.
inline constexpr int topology_json_version = 1;

namespace detail {

/// The enumerator of E whose to_string is `text`, if any.
template <class E>
std::optional<E> enum_from_string(std::string_view text) {
  for (int i = 0; i <= std::numeric_limits<std::uint8_t>::max(); ++i) {
    const auto e = static_cast<E>(i);
    if (topology::to_string(e) == "?") break;
    if (topology::to_string(e) == text) return e;
  }
  return std::nullopt;
}

/// All spellings of E, for error messages.
template <class E>
std::string enum_spellings() {
  std::string out;
  for (int i = 0; i <= std::numeric_limits<std::uint8_t>::max(); ++i) {
    const auto s = topology::to_string(static_cast<E>(i));
    if (s == "?") break;
    out += (out.empty() ? "" : ", ") + std::string(s);
  }
  return out;
}

template <class E>
E read_kind(const json_fields& f, const nlohmann::json& obj, const std::string& path) {
  const auto text = *f.string(obj, path, "kind", true);
  const auto kind = enum_from_string<E>(text);
  if (!kind)
    f.fail(json_fields::join(path, "kind"),
           "unknown kind \"" + text + "\" (one of: " + enum_spellings<E>() + ")");
  return *kind;
}

}  // namespace detail

/// The JSON document of a topology (schema above).
inline nlohmann::json to_json(const topology::topology& t) {
  const auto& g = t.graph();
  nlohmann::json devices = nlohmann::json::array();
  for (topology::device_id v = 0; v < t.num_devices(); ++v) {
    const auto& d = g[v];
    devices.push_back({{"name", d.name},
                       {"kind", std::string(topology::to_string(d.kind))},
                       {"spec", d.spec},
                       {"tier", d.tier},
                       {"rack", d.rack},
                       {"count", d.count},
                       {"port_bandwidth_bytes_per_s", d.port_bandwidth}});
  }
  nlohmann::json links = nlohmann::json::array();
  for (auto [it, end] = boost::edges(g); it != end; ++it) {
    const auto& l = g[*it];
    links.push_back({{"a", g[boost::source(*it, g)].name},
                     {"b", g[boost::target(*it, g)].name},
                     {"kind", std::string(topology::to_string(l.kind))},
                     {"bandwidth_bytes_per_s", l.bandwidth},
                     {"latency_s", l.latency},
                     {"count", l.count}});
  }
  return {{"format", std::string(topology_json_format)},
          {"version", topology_json_version},
          {"name", t.name()},
          {"devices", std::move(devices)},
          {"links", std::move(links)}};
}

/// The topology a JSON document describes; any problem is a gpusched::error naming `source_name`,
/// the JSON path (e.g. "links[3].b") and what was wrong.
inline topology::topology topology_from_json(const nlohmann::json& doc,
                                             std::string_view source_name = "<json>") {
  using detail::json_fields;
  const json_fields f(source_name);
  if (!doc.is_object())
    f.fail("(document)", "must be a JSON object, got " + json_fields::type_of(doc));
  f.check_object(doc, "", {"format", "version", "name", "devices", "links"});
  const auto format = *f.string(doc, "", "format", true);
  if (format != topology_json_format)
    f.fail("format",
           "is \"" + format + "\", expected \"" + std::string(topology_json_format) + "\"");
  const auto version =
      *f.integer(doc, "", "version", true, std::numeric_limits<std::int64_t>::min(),
                 std::numeric_limits<std::int64_t>::max());
  if (version != topology_json_version)
    f.fail("version", "unsupported version " + std::to_string(version) + " (this reads version " +
                          std::to_string(topology_json_version) + ")");
  topology::topology t(f.string(doc, "", "name", false).value_or(""));

  const auto& devices = *f.member(doc, "", "devices", true);
  if (!devices.is_array())
    f.fail("devices", "must be an array, got " + json_fields::type_of(devices));
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const auto path = json_fields::index("devices", i);
    const auto& d = devices[i];
    f.check_object(d, path,
                   {"name", "kind", "spec", "tier", "rack", "count", "port_bandwidth_bytes_per_s"});
    topology::device dev;
    dev.name = *f.string(d, path, "name", true);
    if (dev.name.empty()) f.fail(json_fields::join(path, "name"), "must not be empty");
    if (t.find(dev.name))
      f.fail(json_fields::join(path, "name"), "duplicate device name \"" + dev.name + "\"");
    dev.kind = detail::read_kind<topology::device_kind>(f, d, path);
    dev.spec = f.string(d, path, "spec", false).value_or("");
    constexpr std::int64_t i32_min = std::numeric_limits<std::int32_t>::min();
    constexpr std::int64_t i32_max = std::numeric_limits<std::int32_t>::max();
    constexpr std::int64_t u32_max = std::numeric_limits<std::uint32_t>::max();
    dev.tier =
        static_cast<std::int32_t>(f.integer(d, path, "tier", false, i32_min, i32_max).value_or(0));
    dev.rack =
        static_cast<std::int32_t>(f.integer(d, path, "rack", false, i32_min, i32_max).value_or(-1));
    dev.count =
        static_cast<std::uint32_t>(f.integer(d, path, "count", false, 1, u32_max).value_or(1));
    dev.port_bandwidth =
        f.number(d, path, "port_bandwidth_bytes_per_s", false, 0.0, false).value_or(0.0);
    t.add_device(std::move(dev));
  }

  const auto& links = *f.member(doc, "", "links", true);
  if (!links.is_array()) f.fail("links", "must be an array, got " + json_fields::type_of(links));
  for (std::size_t i = 0; i < links.size(); ++i) {
    const auto path = json_fields::index("links", i);
    const auto& l = links[i];
    f.check_object(l, path, {"a", "b", "kind", "bandwidth_bytes_per_s", "latency_s", "count"});
    topology::device_id ends[2] = {};
    for (int e = 0; e < 2; ++e) {
      const char* key = e == 0 ? "a" : "b";
      const auto name = *f.string(l, path, key, true);
      const auto id = t.find(name);
      if (!id) f.fail(json_fields::join(path, key), "unknown device \"" + name + "\"");
      ends[e] = *id;
    }
    topology::link link;
    link.kind = detail::read_kind<topology::link_kind>(f, l, path);
    link.bandwidth = *f.number(l, path, "bandwidth_bytes_per_s", true, 0.0, true);
    link.latency = f.number(l, path, "latency_s", false, 0.0, false).value_or(0.0);
    link.count = static_cast<std::uint32_t>(
        f.integer(l, path, "count", false, 1, std::numeric_limits<std::uint32_t>::max())
            .value_or(1));
    if (ends[0] == ends[1]) f.fail(path, "a link must join two different devices");
    if (t.link_between(ends[0], ends[1]))
      f.fail(path, "devices \"" + t[ends[0]].name + "\" and \"" + t[ends[1]].name +
                       "\" are already linked (aggregate parallel links into one with a count)");
    try {
      t.add_link(ends[0], ends[1], link);
    } catch (const error& e) {
      f.fail(path, e.problem());
    }
  }
  return t;
}

/// The topology in JSON text `text`; malformed JSON is a gpusched::error naming the byte position.
inline topology::topology parse_topology_json(std::string_view text,
                                              std::string_view source_name = "<json>") {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    if (auto p = what.find("] "); what.rfind("[json.exception", 0) == 0 && p != std::string::npos)
      what.erase(0, p + 2);
    throw error(source_name, "malformed JSON at byte " + std::to_string(e.byte) + ": " + what);
  }
  return topology_from_json(doc, source_name);
}

/// Reads a topology JSON file (errors name the file).
inline topology::topology read_topology_json(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw error(file.string(), "cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_topology_json(text.str(), file.string());
}

/// Writes a topology as indented JSON to `file` (replacing it).
inline void write_topology_json(const std::filesystem::path& file, const topology::topology& t) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw error(file.string(), "cannot open the file for writing");
  out << to_json(t).dump(2) << '\n';
  out.flush();
  if (!out) throw error(file.string(), "writing failed");
}

}  // namespace gpusched::io
