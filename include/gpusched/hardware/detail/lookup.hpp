#pragma once
// Name lookup shared by the catalog tables: find a spec by its exact name, or throw an error that
// names the unknown entry and lists the known ones.

#include <string>
#include <string_view>

#include "gpusched/core/error.hpp"

namespace gpusched::hardware::detail {

/// The entry of `table` whose `.name` equals `name`; otherwise gpusched::error(where, ...) saying
/// "unknown <what> '<name>'; known: a, b, c".
template <class Table>
const auto& find_by_name(const Table& table, std::string_view name, std::string_view where,
                         std::string_view what) {
  for (const auto& entry : table)
    if (entry.name == name) return entry;
  std::string known;
  for (const auto& entry : table) {
    if (!known.empty()) known += ", ";
    known += entry.name;
  }
  throw error(where,
              "unknown " + std::string(what) + " '" + std::string(name) + "'; known: " + known);
}

}  // namespace gpusched::hardware::detail
