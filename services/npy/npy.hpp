#pragma once
// The NumPy .npy format (version 1.0 to 3.0), for the command-line tools: read an
// array to inject, write a selection that numpy.load() reads back. Only what sluice
// streams carry: C order, little-endian f32, f64, i32, i64, u8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/core/dtype.hpp"

namespace sluice::npy {

struct Array {
  sluice::Dtype dtype = sluice::Dtype::f64;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> data;  // row-major, native (little-endian) order
};

// Reads `path`; sluice::InvalidArgument naming the file and what is wrong (not .npy,
// Fortran order, big-endian or unsupported dtype, truncated) otherwise.
[[nodiscard]] Array read(const std::string& path);

// Writes `data` (row-major elements of `dtype`) as `path`, atomically (a partial file
// is never left under that name, nor as `path`.partial after a failure);
// sluice::InvalidArgument naming the file and the system's reason otherwise.
void write(const std::string& path, sluice::Dtype dtype, const std::vector<std::int64_t>& shape,
           const void* data, std::size_t bytes);

}  // namespace sluice::npy
