#include "npy.hpp"

#include <bit>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>

#include "sluice/core/error.hpp"

namespace sluice::npy {

namespace {

constexpr char magic[] = "\x93NUMPY";
constexpr std::size_t magic_bytes = 6;

static_assert(std::endian::native == std::endian::little,
              "the .npy descriptors written here say little-endian");

// NumPy's type descriptor of a dtype, and back.
const char* descriptor(sluice::Dtype dtype) {
  switch (dtype) {
    case sluice::Dtype::f32:
      return "<f4";
    case sluice::Dtype::f64:
      return "<f8";
    case sluice::Dtype::i32:
      return "<i4";
    case sluice::Dtype::i64:
      return "<i8";
    case sluice::Dtype::u8:
      return "|u1";
  }
  return "";
}

std::optional<sluice::Dtype> dtype_of_descriptor(const std::string& text) {
  for (auto dtype : {sluice::Dtype::f32, sluice::Dtype::f64, sluice::Dtype::i32, sluice::Dtype::i64,
                     sluice::Dtype::u8}) {
    if (text == descriptor(dtype) || (dtype == sluice::Dtype::u8 && text == "<u1")) {
      return dtype;
    }
  }
  return std::nullopt;
}

}  // namespace

Array read(const std::string& path) {
  const std::string asked = "reading " + path;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw NotFound(asked, "cannot open the file");
  }
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (bytes.size() < magic_bytes + 4 || bytes.compare(0, magic_bytes, magic, magic_bytes) != 0) {
    throw InvalidArgument(asked, "not a .npy file (no \\x93NUMPY magic)");
  }
  const auto major = static_cast<unsigned char>(bytes[magic_bytes]);
  std::size_t header_bytes = 0;
  std::size_t offset = magic_bytes + 2;
  if (major == 1) {
    header_bytes = static_cast<unsigned char>(bytes[offset]) |
                   (static_cast<std::size_t>(static_cast<unsigned char>(bytes[offset + 1])) << 8);
    offset += 2;
  } else if ((major == 2 || major == 3) && bytes.size() >= offset + 4) {
    for (int i = 3; i >= 0; --i) {
      header_bytes = (header_bytes << 8) | static_cast<unsigned char>(bytes[offset + i]);
    }
    offset += 4;
  } else {
    throw InvalidArgument(
        asked, ".npy format version " + std::to_string(major) + " is not one of 1, 2, 3");
  }
  if (bytes.size() < offset + header_bytes) {
    throw InvalidArgument(asked, "the header is truncated");
  }
  const std::string header = bytes.substr(offset, header_bytes);
  offset += header_bytes;

  // The header is a Python dict literal: {'descr': '<f8', 'fortran_order': False,
  // 'shape': (3, 4), }
  std::smatch match;
  if (!std::regex_search(header, match, std::regex(R"('descr'\s*:\s*'([^']*)')"))) {
    throw InvalidArgument(asked, "the header has no 'descr'");
  }
  const auto dtype = dtype_of_descriptor(match[1]);
  if (!dtype) {
    throw InvalidArgument(asked,
                          "dtype '" + match[1].str() +
                              "' is not one sluice streams carry (little-endian f4, "
                              "f8, i4, i8, u1)",
                          "convert it with numpy: a.astype('<f8')");
  }
  if (!std::regex_search(header, match, std::regex(R"('fortran_order'\s*:\s*(True|False))"))) {
    throw InvalidArgument(asked, "the header has no 'fortran_order'");
  }
  if (match[1] == "True") {
    throw InvalidArgument(asked, "the array is in Fortran order",
                          "save it in C order: numpy.save(f, numpy.ascontiguousarray(a))");
  }
  if (!std::regex_search(header, match, std::regex(R"('shape'\s*:\s*\(([^)]*)\))"))) {
    throw InvalidArgument(asked, "the header has no 'shape'");
  }
  Array array;
  array.dtype = *dtype;
  const std::string shape = match[1];
  const std::regex number(R"(\d+)");
  for (auto it = std::sregex_iterator(shape.begin(), shape.end(), number);
       it != std::sregex_iterator(); ++it) {
    array.shape.push_back(std::stoll(it->str()));
  }
  std::size_t elements = 1;
  for (auto extent : array.shape) {
    elements *= static_cast<std::size_t>(extent);
  }
  const std::size_t data_bytes = elements * sluice::dtype_size(array.dtype);
  if (bytes.size() - offset != data_bytes) {
    throw InvalidArgument(asked, "the data has " + std::to_string(bytes.size() - offset) +
                                     " bytes; shape and dtype say " + std::to_string(data_bytes));
  }
  const auto* first = reinterpret_cast<const std::byte*>(bytes.data() + offset);
  array.data.assign(first, first + data_bytes);
  return array;
}

void write(const std::string& path, sluice::Dtype dtype, const std::vector<std::int64_t>& shape,
           const void* data, std::size_t bytes) {
  std::string dims;
  for (auto extent : shape) {
    dims += std::to_string(extent) + ",";
  }
  if (shape.size() > 1) {
    dims.pop_back();  // (3,) for one dimension, (3,4) for more
  }
  std::string header = "{'descr': '" + std::string(descriptor(dtype)) +
                       "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Version 1.0: the data starts at a multiple of 64 bytes; the header ends in '\n'.
  const std::size_t unpadded = magic_bytes + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw InvalidArgument("writing " + path, "cannot create " + partial);
    }
    out.write(magic, magic_bytes);
    const char version[2] = {1, 0};
    out.write(version, 2);
    const auto length = static_cast<std::uint16_t>(header.size());
    const char length_bytes[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
    out.write(length_bytes, 2);
    out << header;
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
    if (!out.flush()) {
      throw InvalidArgument("writing " + path, "the write failed (disk full?)");
    }
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    throw InvalidArgument("writing " + path, "cannot rename " + partial + " to it");
  }
}

}  // namespace sluice::npy
