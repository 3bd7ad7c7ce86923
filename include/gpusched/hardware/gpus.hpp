#pragma once
// hardware::gpu_spec: what each GPU model offers, per GPU package, as its vendor publishes it.
// Every figure is vendor-claimed (datasheets, product pages, NVIDIA blogs) unless marked otherwise;
// the project's digest of the sources is shared/data/hardware/SPECS.md (as read 2026-11).
//
// Conventions
//   - Bandwidth is stored per direction (core/units.hpp). NVIDIA quotes NVLink per GPU as the
//     sum of both directions ("900 GB/s" on H100); it is converted exactly once, below, with
//     units::bidirectional_gb_per_s.
//   - Peak FLOPS are DENSE tensor-core figures. NVIDIA's headline numbers are usually 2:4-sparse
//     (twice the dense figure); sparse figures are not stored because inference kernels rarely use
//     structured sparsity and the cost model must not count on it.
//   - Capacities are the vendor's decimal gigabytes ("80 GB"), not GiB.
//   - std::nullopt means "not published / not verified", never zero. Preliminary entries (Rubin)
//     come from copies of announcements and may change.

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "gpusched/core/formats.hpp"
#include "gpusched/core/units.hpp"
#include "gpusched/hardware/detail/lookup.hpp"

namespace gpusched::hardware {

/// Dense peak tensor throughput, indexed by number_format (see gpu_spec::peak_flops).
using flops_table = std::array<std::optional<flops_per_second>, all_number_formats.size()>;

/// A dense-peak table from the figures vendors publish: BF16 (FP16 runs at the same rate), FP8
/// (E4M3 and E5M2 alike), MXFP4 and NVFP4. FP32 is not tracked (not used for inference here).
constexpr flops_table dense_flops(std::optional<flops_per_second> bf16,
                                  std::optional<flops_per_second> fp8,
                                  std::optional<flops_per_second> mxfp4,
                                  std::optional<flops_per_second> nvfp4) {
  flops_table t{};
  t[static_cast<std::size_t>(number_format::bf16)] = bf16;
  t[static_cast<std::size_t>(number_format::fp16)] = bf16;
  t[static_cast<std::size_t>(number_format::fp8_e4m3)] = fp8;
  t[static_cast<std::size_t>(number_format::fp8_e5m2)] = fp8;
  t[static_cast<std::size_t>(number_format::mxfp4)] = mxfp4;
  t[static_cast<std::size_t>(number_format::nvfp4)] = nvfp4;
  return t;
}

/// Facts about one GPU model, per GPU package (a two-die Blackwell package counts as one GPU).
struct gpu_spec {
  std::string_view name;                  ///< catalog key ("H100-SXM", "GB200", ...)
  byte_count hbm_capacity = 0.0;          ///< bytes (vendor decimal GB)
  bytes_per_second hbm_bandwidth = 0.0;   ///< bytes per second
  int nvlink_generation = 0;              ///< 3, 4, 5 or 6
  bytes_per_second nvlink_bandwidth = 0;  ///< all NVLinks of the GPU together, PER DIRECTION
  std::optional<int> nvlink_links;        ///< NVLink links per GPU, when published
  flops_table dense_peak{};         ///< dense tensor-core peak per format (nullopt: none/unknown)
  std::optional<double> tdp_watts;  ///< maximum board power, when published
  bool preliminary = false;         ///< figures from announcements, not datasheets

  /// Dense peak FLOPS in format `f`, or nullopt when the GPU lacks it or it is unpublished.
  [[nodiscard]] constexpr std::optional<flops_per_second> peak_flops(number_format f) const {
    return dense_peak[static_cast<std::size_t>(f)];
  }
};

namespace gpus {

using units::bidirectional_gb_per_s;
using units::gigabytes;
using units::petaflops;
using units::tb_per_s;
using units::teraflops;

/// NVIDIA H100 SXM5 80GB. Source: NVIDIA H100 Tensor Core GPU datasheet (2023): 80 GB HBM3 at
/// 3.35 TB/s; NVLink 4, 900 GB/s bidirectional over 18 links (H100 architecture whitepaper, 2022);
/// FP8 3,958 / BF16 1,979 TFLOPS "with sparsity" -> 1,979 / 989.5 dense; up to 700 W.
inline constexpr gpu_spec h100_sxm{
    .name = "H100-SXM",
    .hbm_capacity = gigabytes(80),
    .hbm_bandwidth = tb_per_s(3.35),
    .nvlink_generation = 4,
    .nvlink_bandwidth = bidirectional_gb_per_s(900),
    .nvlink_links = 18,
    .dense_peak = dense_flops(teraflops(989.5), teraflops(1979), std::nullopt, std::nullopt),
    .tdp_watts = 700,
};

/// NVIDIA H800 SXM5 (export variant of H100). Same compute and memory as H100 SXM; NVLink cut to
/// 400 GB/s bidirectional (NVIDIA H800 product listing, 2023). Its link count (reported as 8) is
/// NOT verified here, so it is left unknown.
inline constexpr gpu_spec h800{
    .name = "H800",
    .hbm_capacity = gigabytes(80),
    .hbm_bandwidth = tb_per_s(3.35),
    .nvlink_generation = 4,
    .nvlink_bandwidth = bidirectional_gb_per_s(400),
    .nvlink_links = std::nullopt,
    .dense_peak = dense_flops(teraflops(989.5), teraflops(1979), std::nullopt, std::nullopt),
    .tdp_watts = 700,
};

/// NVIDIA H200 SXM. Source: NVIDIA H200 datasheet (2024) and MLPerf Inference v5.1 system
/// descriptions: 141 GB HBM3e at 4.8 TB/s; compute and NVLink as H100 SXM; up to 700 W.
inline constexpr gpu_spec h200{
    .name = "H200",
    .hbm_capacity = gigabytes(141),
    .hbm_bandwidth = tb_per_s(4.8),
    .nvlink_generation = 4,
    .nvlink_bandwidth = bidirectional_gb_per_s(900),
    .nvlink_links = 18,
    .dense_peak = dense_flops(teraflops(989.5), teraflops(1979), std::nullopt, std::nullopt),
    .tdp_watts = 700,
};

/// NVIDIA B200 as shipped on HGX/DGX B200 (1,000 W). Source: NVIDIA DGX B200 user guide (1,440 GB
/// over 8 GPUs = 180 GB; 8 TB/s), NVLink 5 at 1.8 TB/s bidirectional over 18 links; FP4 9 / FP8 4.5
/// / BF16 2.25 PFLOPS dense (NVIDIA NVFP4 blog, 2025-06-24; HGX B200 spec table). FP4 figures apply
/// to both NVFP4 and MXFP4 (the same tensor-core path; NVIDIA quotes one "FP4" figure).
inline constexpr gpu_spec b200{
    .name = "B200",
    .hbm_capacity = gigabytes(180),
    .hbm_bandwidth = tb_per_s(8),
    .nvlink_generation = 5,
    .nvlink_bandwidth = bidirectional_gb_per_s(1800),
    .nvlink_links = 18,
    .dense_peak = dense_flops(petaflops(2.25), petaflops(4.5), petaflops(9), petaflops(9)),
    .tdp_watts = 1000,
};

/// The B200 inside GB200 (1,200 W). Source: NVIDIA GB200 NVL72 product page and DGX SuperPOD GB200
/// reference architecture: 13.4 TB HBM3e over 72 GPUs = 186 GB at 8 TB/s; NVLink 5, 1.8 TB/s
/// bidirectional, 18 links (one per NVLink switch chip); FP4 10 / FP8 5 / BF16 2.5 PFLOPS dense.
inline constexpr gpu_spec gb200{
    .name = "GB200",
    .hbm_capacity = gigabytes(186),
    .hbm_bandwidth = tb_per_s(8),
    .nvlink_generation = 5,
    .nvlink_bandwidth = bidirectional_gb_per_s(1800),
    .nvlink_links = 18,
    .dense_peak = dense_flops(petaflops(2.5), petaflops(5), petaflops(10), petaflops(10)),
    .tdp_watts = 1200,
};

/// NVIDIA B300 (Blackwell Ultra) on HGX B300 (1,100 W). Source: NVIDIA "Inside NVIDIA Blackwell
/// Ultra" (2025) and HGX B300 spec table: up to 2.3 TB over 8 GPUs = 288 GB HBM3e (some listings:
/// 270 GB usable) at 8 TB/s; NVLink 5; FP8 4.5 / BF16 2.25 PFLOPS dense. FP4 dense 13.125 PFLOPS is
/// NVIDIA's HGX B300 table as reproduced by G. Lockwood's B300 notes (SPECS.md rounds it to ~13):
/// not checked against a primary NVIDIA page.
inline constexpr gpu_spec b300{
    .name = "B300",
    .hbm_capacity = gigabytes(288),
    .hbm_bandwidth = tb_per_s(8),
    .nvlink_generation = 5,
    .nvlink_bandwidth = bidirectional_gb_per_s(1800),
    .nvlink_links = 18,
    .dense_peak =
        dense_flops(petaflops(2.25), petaflops(4.5), petaflops(13.125), petaflops(13.125)),
    .tdp_watts = 1100,
};

/// The Blackwell Ultra GPU inside GB300 (1,400 W). Source: "Inside NVIDIA Blackwell Ultra"
/// (15 PFLOPS dense NVFP4, 288 GB HBM3e, 8 TB/s, 1.8 TB/s NVLink); FP8 5 / BF16 2.5 dense per
/// SPECS.md.
inline constexpr gpu_spec gb300{
    .name = "GB300",
    .hbm_capacity = gigabytes(288),
    .hbm_bandwidth = tb_per_s(8),
    .nvlink_generation = 5,
    .nvlink_bandwidth = bidirectional_gb_per_s(1800),
    .nvlink_links = 18,
    .dense_peak = dense_flops(petaflops(2.5), petaflops(5), petaflops(15), petaflops(15)),
    .tdp_watts = 1400,
};

/// NVIDIA Rubin (Vera Rubin NVL72). PRELIMINARY: copies of NVIDIA's CES-2026 "Inside the NVIDIA
/// Rubin Platform": 288 GB HBM4 at 22 TB/s; NVLink 6 at 3.6 TB/s bidirectional per GPU (link count
/// not published); "50 PFLOPS NVFP4 inference" (35 for training) without saying dense or sparse,
/// stored as the NVFP4 figure; FP8, BF16, MXFP4 and TDP not published -> unknown.
inline constexpr gpu_spec rubin{
    .name = "Rubin",
    .hbm_capacity = gigabytes(288),
    .hbm_bandwidth = tb_per_s(22),
    .nvlink_generation = 6,
    .nvlink_bandwidth = bidirectional_gb_per_s(3600),
    .nvlink_links = std::nullopt,
    .dense_peak = dense_flops(std::nullopt, std::nullopt, std::nullopt, petaflops(50)),
    .tdp_watts = std::nullopt,
    .preliminary = true,
};

}  // namespace gpus

/// Every GPU in the catalog.
inline constexpr std::array all_gpus{gpus::h100_sxm, gpus::h800,  gpus::h200,  gpus::b200,
                                     gpus::b300,     gpus::gb200, gpus::gb300, gpus::rubin};

/// The GPU named `name` ("H100-SXM", "H800", "H200", "B200", "B300", "GB200", "GB300", "Rubin");
/// an unknown name is a gpusched::error that names it and lists the known ones.
inline const gpu_spec& gpu(std::string_view name) {
  return detail::find_by_name(all_gpus, name, "hardware::gpu", "GPU");
}

}  // namespace gpusched::hardware
