#include "npy.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
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

struct Header {
  sluice::Dtype dtype = sluice::Dtype::f64;
  std::vector<std::int64_t> shape;
};

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "(";
  for (std::size_t d = 0; d < shape.size(); ++d) {
    text += (d ? ", " : "") + std::to_string(shape[d]);
  }
  return text + (shape.size() == 1 ? ",)" : ")");
}

// "3, 4" or "5," or "" (a scalar): whole numbers separated by commas, one trailing
// comma allowed, as numpy writes tuples.
std::vector<std::int64_t> parse_shape(const std::string& text, const std::string& asked) {
  std::vector<std::int64_t> shape;
  std::size_t at = 0;
  while (true) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const auto from = text.find_first_not_of(" \t", at);
    const auto to = text.find_last_not_of(" \t", comma == 0 ? 0 : comma - 1);
    const std::string item = from < comma && to != std::string::npos && to >= from
                                 ? text.substr(from, to - from + 1)
                                 : std::string();
    if (item.empty() && comma == text.size() && (shape.empty() || comma > 0)) {
      break;  // "()" or the end after a trailing comma
    }
    const bool digits_only = !item.empty() && std::all_of(item.begin(), item.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    if (!digits_only) {
      throw InvalidArgument(asked, "the shape (" + text + ") has '" + item +
                                       "' where a whole number of elements belongs");
    }
    std::int64_t extent = 0;
    if (std::from_chars(item.data(), item.data() + item.size(), extent).ec != std::errc()) {
      throw InvalidArgument(asked, "the shape (" + text + ") has extent " + item +
                                       ", out of range of a 64-bit integer");
    }
    shape.push_back(extent);
    if (comma == text.size()) {
      break;
    }
    at = comma + 1;
  }
  return shape;
}

// The header is a Python dict literal:
//   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
Header parse_header(const std::string& header, const std::string& asked) {
  const auto first = header.find_first_not_of(" \t\n");
  const auto last = header.find_last_not_of(" \t\n\0", std::string::npos, 4);
  if (first == std::string::npos || header[first] != '{' || header[last] != '}') {
    throw InvalidArgument(asked, "the header is not a Python dict literal {...}");
  }
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
    throw InvalidArgument(asked, "the header has no 'fortran_order' (True or False)");
  }
  if (match[1] == "True") {
    throw InvalidArgument(asked, "the array is in Fortran order",
                          "save it in C order: numpy.save(f, numpy.ascontiguousarray(a))");
  }
  if (!std::regex_search(header, match, std::regex(R"('shape'\s*:\s*\(([^)]*)\))"))) {
    throw InvalidArgument(asked, "the header has no 'shape' tuple");
  }
  return {*dtype, parse_shape(match[1], asked)};
}

// The data's size in bytes; InvalidArgument if it does not fit in 64 bits.
std::uint64_t checked_data_bytes(const std::vector<std::int64_t>& shape, sluice::Dtype dtype,
                                 const std::string& asked) {
  std::uint64_t bytes = sluice::dtype_size(dtype);
  for (const auto extent : shape) {
    if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(extent), &bytes)) {
      throw InvalidArgument(
          asked, "the shape " + shape_text(shape) + " holds more bytes than a 64-bit size counts");
    }
  }
  return bytes;
}

}  // namespace

Array read(const std::string& path) {
  const std::string asked = "reading " + path;
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) {
    throw NotFound(asked, std::string("cannot open the file: ") + std::strerror(errno));
  }
  // A directory opens like a file on Linux, but reading it fails (EISDIR): say so,
  // rather than "not a .npy file" or an exception from the stream.
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw InvalidArgument(asked, std::string("cannot read the file: ") + std::strerror(EISDIR),
                          "give the path of a .npy file");
  }
  const auto end = file.tellg();
  if (end < 0) {
    throw InvalidArgument(asked, "cannot tell the file's size (is it a regular file?)");
  }
  const auto file_bytes = static_cast<std::uint64_t>(end);
  file.seekg(0);
  // The preamble: magic, version, header length (2 bytes in version 1, 4 in 2 and 3).
  char preamble[magic_bytes + 6] = {};
  file.read(preamble, static_cast<std::streamsize>(sizeof(preamble)));
  const auto preamble_read = static_cast<std::size_t>(file.gcount());
  if (preamble_read < magic_bytes + 4 || std::memcmp(preamble, magic, magic_bytes) != 0) {
    throw InvalidArgument(asked, "not a .npy file (no \\x93NUMPY magic)");
  }
  const auto major = static_cast<unsigned char>(preamble[magic_bytes]);
  std::uint64_t header_bytes = 0;
  std::size_t offset = magic_bytes + 2;
  if (major == 1) {
    header_bytes =
        static_cast<unsigned char>(preamble[offset]) |
        (static_cast<std::uint64_t>(static_cast<unsigned char>(preamble[offset + 1])) << 8);
    offset += 2;
  } else if (major == 2 || major == 3) {
    if (preamble_read < offset + 4) {
      throw InvalidArgument(asked, "the header length is truncated");
    }
    for (int i = 3; i >= 0; --i) {
      header_bytes = (header_bytes << 8) |
                     static_cast<unsigned char>(preamble[offset + static_cast<std::size_t>(i)]);
    }
    offset += 4;
  } else {
    throw InvalidArgument(
        asked, ".npy format version " + std::to_string(major) + " is not one of 1, 2, 3");
  }
  if (file_bytes < offset + header_bytes) {
    throw InvalidArgument(asked, "the header is truncated: it says " +
                                     std::to_string(header_bytes) + " bytes, the file has " +
                                     std::to_string(file_bytes - offset) + " after the preamble");
  }
  std::string header(static_cast<std::size_t>(header_bytes), '\0');
  file.seekg(static_cast<std::streamoff>(offset));
  file.read(header.data(), static_cast<std::streamsize>(header.size()));
  if (!file) {
    throw InvalidArgument(asked, "the header could not be read");
  }
  const std::uint64_t data_offset = offset + header_bytes;

  const Header parsed = parse_header(header, asked);
  Array array;
  array.dtype = parsed.dtype;
  array.shape = parsed.shape;
  // Checked against the file's size before anything that large is allocated.
  const std::uint64_t data_bytes = checked_data_bytes(array.shape, array.dtype, asked);
  if (file_bytes - data_offset != data_bytes) {
    throw InvalidArgument(asked, "the data has " + std::to_string(file_bytes - data_offset) +
                                     " bytes; shape " + shape_text(array.shape) + " and dtype " +
                                     std::string(sluice::dtype_name(array.dtype)) + " say " +
                                     std::to_string(data_bytes));
  }
  array.data.resize(static_cast<std::size_t>(data_bytes));
  file.read(reinterpret_cast<char*>(array.data.data()), static_cast<std::streamsize>(data_bytes));
  if (static_cast<std::uint64_t>(file.gcount()) != data_bytes) {
    throw InvalidArgument(asked, "the data could not be read whole");
  }
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
  // Written whole under another name, then renamed: a reader never sees half a file,
  // and a failure leaves nothing behind.
  const std::string partial = path + ".partial";
  const std::string asked = "writing " + path;
  auto fail = [&](const std::string& what, int error) {
    std::remove(partial.c_str());
    throw InvalidArgument(asked, what + ": " + std::strerror(error));
  };
  std::FILE* out = std::fopen(partial.c_str(), "wb");
  if (out == nullptr) {
    throw InvalidArgument(asked, "cannot create " + partial + ": " + std::strerror(errno));
  }
  const char version[2] = {1, 0};
  const auto length = static_cast<std::uint16_t>(header.size());
  const char length_bytes[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
  const bool written = std::fwrite(magic, 1, magic_bytes, out) == magic_bytes &&
                       std::fwrite(version, 1, 2, out) == 2 &&
                       std::fwrite(length_bytes, 1, 2, out) == 2 &&
                       std::fwrite(header.data(), 1, header.size(), out) == header.size() &&
                       std::fwrite(data, 1, bytes, out) == bytes && std::fflush(out) == 0;
  const int write_error = errno;
  if (std::fclose(out) != 0 || !written) {
    fail("cannot write " + partial, written ? errno : write_error);
  }
  if (std::rename(partial.c_str(), path.c_str()) != 0) {
    fail("cannot rename " + partial + " to it", errno);
  }
}

}  // namespace sluice::npy
