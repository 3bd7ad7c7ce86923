#pragma once
// Replication policies: how many replicas each expert gets.

#include <cstddef>
#include <span>
#include <vector>

#include "gpusched/core/error.hpp"
#include "gpusched/moe/concepts.hpp"
#include "gpusched/moe/detail/bounds.hpp"

namespace gpusched::moe::policies {

/// Marginal gain (D'Hondt): each spare slot goes to the expert with the largest load per replica,
/// which minimises the largest replica; capped at one replica per GPU unless duplicates are allowed.
struct replicate_by_load {
  using category = replication_tag;
  [[nodiscard]] std::vector<int> replicate(std::span<const double> w, const pack_shape& s) const {
    return detail::dhondt_counts(w, s.slots(), replica_cap(w.size(), s));
  }
  /// Checks that `experts` experts can fill the slots of `s` (at least one replica each, at most
  /// one per GPU unless duplicates are allowed) and returns the replica cap per expert.
  static int replica_cap(std::size_t experts, const pack_shape& s, const char* who = "moe::replicate_by_load") {
    require(static_cast<long long>(experts) <= s.slots(), who, "fewer slots than experts");
    const int cap = s.allow_duplicates ? s.slots() : s.gpus;
    require(static_cast<long long>(cap) * static_cast<long long>(experts) >= s.slots(), who,
            "slots exceed experts x GPUs: some GPU must hold an expert twice (set allow_duplicates)");
    return cap;
  }
};

}  // namespace gpusched::moe::policies
