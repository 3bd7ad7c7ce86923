#pragma once
// Units used everywhere in gpusched. All quantities are plain doubles in SI base units:
//   bandwidth  bytes per second, PER DIRECTION (a full-duplex link moving B each way has bandwidth B)
//   time       seconds
//   size       bytes
//   compute    floating-point operations per second
// Vendors quote NVLink and NVLink-C2C as the sum of both directions ("900 GB/s" on H100 is 450 GB/s
// each way) and network links in bits per second per direction. Convert once, at the boundary, with
// the helpers below; never store a bidirectional figure.

#include <cstdint>

namespace gpusched {

using bytes_per_second = double;  ///< bandwidth, per direction
using seconds = double;           ///< time or latency
using byte_count = double;        ///< a size in bytes (double: sizes here reach 1e15 and are estimates)
using flops_per_second = double;  ///< compute throughput

namespace units {

// Sizes (decimal, as vendors quote capacities and bandwidths) and binary sizes.
constexpr byte_count kilobytes(double v) { return v * 1e3; }
constexpr byte_count megabytes(double v) { return v * 1e6; }
constexpr byte_count gigabytes(double v) { return v * 1e9; }
constexpr byte_count terabytes(double v) { return v * 1e12; }
constexpr byte_count kibibytes(double v) { return v * 1024.0; }
constexpr byte_count mebibytes(double v) { return v * 1024.0 * 1024.0; }
constexpr byte_count gibibytes(double v) { return v * 1024.0 * 1024.0 * 1024.0; }

// Bandwidth per direction.
constexpr bytes_per_second gb_per_s(double v) { return v * 1e9; }
constexpr bytes_per_second tb_per_s(double v) { return v * 1e12; }
/// A network rate quoted in gigabits per second per direction (NICs, Ethernet, InfiniBand ports).
constexpr bytes_per_second gbit_per_s(double v) { return v * 1e9 / 8.0; }
/// A vendor's bidirectional figure (NVLink, NVLink-C2C) turned into bytes per second each way.
constexpr bytes_per_second bidirectional_gb_per_s(double total_both_directions) {
  return total_both_directions * 1e9 / 2.0;
}

// Time.
constexpr seconds nanoseconds(double v) { return v * 1e-9; }
constexpr seconds microseconds(double v) { return v * 1e-6; }
constexpr seconds milliseconds(double v) { return v * 1e-3; }

// Compute.
constexpr flops_per_second teraflops(double v) { return v * 1e12; }
constexpr flops_per_second petaflops(double v) { return v * 1e15; }

}  // namespace units
}  // namespace gpusched
