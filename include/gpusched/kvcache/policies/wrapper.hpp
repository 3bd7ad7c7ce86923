#pragma once
// Forwarding of the optional hooks for policies that wrap another policy.

#include "gpusched/kvcache/block.hpp"
#include "gpusched/kvcache/policy.hpp"

namespace gpusched::kvcache::policies::hooks {

template <class Inner>
void forward_begin(Inner& inner, const request& r, std::uint64_t index) {
  if constexpr (requires { inner.on_request_begin(r, index); }) inner.on_request_begin(r, index);
}
template <class Inner>
void forward_end(Inner& inner, const request& r, std::uint64_t index) {
  if constexpr (requires { inner.on_request_end(r, index); }) inner.on_request_end(r, index);
}

}  // namespace gpusched::kvcache::policies::hooks
