// The .npy reader of the command-line tools (services/npy): a table of files, valid
// and invalid, each invalid one refused with a message that names what is wrong.
// Declared sizes far beyond the file (or beyond 64 bits) must be refused before
// anything that large is allocated: a test that tried would crash, not fail.
#include <criterion/criterion.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "npy.hpp"
#include "sluice/core/error.hpp"

namespace {

// A .npy file: magic, version, header length (2 or 4 bytes), header, data.
std::string npy_bytes(int major, const std::string& header, std::size_t data_bytes) {
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  const std::size_t length = header.size();
  const int length_bytes = major == 1 ? 2 : 4;
  for (int i = 0; i < length_bytes; ++i) {
    out += static_cast<char>((length >> (8 * i)) & 0xff);
  }
  out += header;
  for (std::size_t i = 0; i < data_bytes; ++i) {
    out += static_cast<char>(i & 0xff);
  }
  return out;
}

std::string header_of(const std::string& descr, const std::string& order,
                      const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }\n";
}

struct Case {
  const char* title;
  std::string bytes;
  // valid: the shape it reads as; invalid: a fragment the message must hold
  std::vector<std::int64_t> shape;
  const char* error;
};

std::string scratch_file(const std::string& bytes) {
  char path[] = "/tmp/sluice-test-npy-XXXXXX";
  const int fd = mkstemp(path);
  cr_assert(fd >= 0, "mkstemp");
  close(fd);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

}  // namespace

Test(npy, table_of_headers) {
  const std::string f8 = "<f8";
  const std::vector<Case> cases = {
      // valid
      {"f8 3x4", npy_bytes(1, header_of(f8, "False", "(3, 4)"), 96), {3, 4}, nullptr},
      {"u1 one dimension", npy_bytes(1, header_of("|u1", "False", "(5,)"), 5), {5}, nullptr},
      {"version 2, i4", npy_bytes(2, header_of("<i4", "False", "(2, 2)"), 16), {2, 2}, nullptr},
      {"version 3, i8", npy_bytes(3, header_of("<i8", "False", "(1,)"), 8), {1}, nullptr},
      {"scalar", npy_bytes(1, header_of(f8, "False", "()"), 8), {}, nullptr},
      {"empty array", npy_bytes(1, header_of("<f4", "False", "(0, 7)"), 0), {0, 7}, nullptr},
      {"spaces and trailing comma",
       npy_bytes(1, header_of(f8, "False", "( 2 , 3 , )"), 48),
       {2, 3},
       nullptr},
      // not .npy at all
      {"no magic", "not a numpy file at all", {}, "not a .npy file"},
      {"too short", std::string("\x93NUM", 4), {}, "not a .npy file"},
      {"version 4", npy_bytes(4, header_of(f8, "False", "(1,)"), 8), {}, "format version 4"},
      {"version 2 length cut",
       std::string("\x93NUMPY\x02\x00\x10\x00", 10),
       {},
       "header length is truncated"},
      {"header longer than the file",
       npy_bytes(1, header_of(f8, "False", "(1,)"), 0).substr(0, 30),
       {},
       "header is truncated"},
      // malformed headers
      {"not a dict", npy_bytes(1, "'descr': '<f8', 'shape': (1,)\n", 8), {}, "not a Python dict"},
      {"no descr",
       npy_bytes(1, "{'fortran_order': False, 'shape': (1,), }\n", 8),
       {},
       "no 'descr'"},
      {"big-endian", npy_bytes(1, header_of(">f8", "False", "(1,)"), 8), {}, "dtype '>f8'"},
      {"complex", npy_bytes(1, header_of("<c16", "False", "(1,)"), 16), {}, "dtype '<c16'"},
      {"no fortran_order",
       npy_bytes(1, "{'descr': '<f8', 'shape': (1,), }\n", 8),
       {},
       "no 'fortran_order'"},
      {"fortran_order neither",
       npy_bytes(1, header_of(f8, "Maybe", "(1,)"), 8),
       {},
       "no 'fortran_order'"},
      {"Fortran order", npy_bytes(1, header_of(f8, "True", "(2, 2)"), 32), {}, "Fortran order"},
      {"no shape",
       npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, }\n", 8),
       {},
       "no 'shape'"},
      {"shape not a tuple", npy_bytes(1, header_of(f8, "False", "[3, 4]"), 96), {}, "no 'shape'"},
      {"letter in the shape", npy_bytes(1, header_of(f8, "False", "(3, x)"), 24), {}, "'x'"},
      {"negative extent", npy_bytes(1, header_of(f8, "False", "(-3, 4)"), 96), {}, "'-3'"},
      {"empty extent", npy_bytes(1, header_of(f8, "False", "(3,, 4)"), 96), {}, "''"},
      {"extent beyond 64 bits",
       npy_bytes(1, header_of(f8, "False", "(99999999999999999999,)"), 8),
       {},
       "out of range of a 64-bit integer"},
      // sizes: overflow and declared sizes the file does not hold
      {"element count overflows",
       npy_bytes(1, header_of(f8, "False", "(4294967296, 4294967296, 16)"), 8),
       {},
       "more bytes than a 64-bit size counts"},
      {"bytes overflow",
       npy_bytes(1, header_of(f8, "False", "(2305843009213693952,)"), 8),
       {},
       "more bytes than a 64-bit size counts"},
      {"huge shape, small file",
       npy_bytes(1, header_of(f8, "False", "(1000000, 1000000)"), 8),
       {},
       "dtype f64 say 8000000000000"},
      {"data short",
       npy_bytes(1, header_of(f8, "False", "(3, 4)"), 95),
       {},
       "the data has 95 bytes"},
      {"data long",
       npy_bytes(1, header_of(f8, "False", "(3, 4)"), 97),
       {},
       "the data has 97 bytes"},
  };
  for (const auto& c : cases) {
    const std::string path = scratch_file(c.bytes);
    try {
      const auto array = sluice::npy::read(path);
      cr_expect(c.error == nullptr, "%s: read, but should fail with '%s'", c.title, c.error);
      cr_expect(array.shape == c.shape, "%s: shape of %zu dimension(s)", c.title,
                array.shape.size());
      std::size_t elements = 1;
      for (auto extent : array.shape) {
        elements *= static_cast<std::size_t>(extent);
      }
      cr_expect(array.data.size() == elements * sluice::dtype_size(array.dtype),
                "%s: %zu data bytes", c.title, array.data.size());
    } catch (const sluice::InvalidArgument& e) {
      const std::string message = e.what();
      cr_expect(c.error != nullptr, "%s: refused: %s", c.title, e.what());
      if (c.error != nullptr) {
        cr_expect(message.find(c.error) != std::string::npos, "%s: '%s' does not mention '%s'",
                  c.title, e.what(), c.error);
        cr_expect(message.find(path) != std::string::npos, "%s: '%s' does not name the file",
                  c.title, e.what());
      }
    }
    std::remove(path.c_str());
  }
}

Test(npy, missing_file_is_not_found) {
  try {
    (void)sluice::npy::read("/nonexistent/sluice/x.npy");
    cr_assert_fail("read a file that does not exist");
  } catch (const sluice::NotFound& e) {
    const std::string message = e.what();
    cr_expect(message.find("/nonexistent/sluice/x.npy") != std::string::npos &&
                  message.find("No such file") != std::string::npos,
              "%s", e.what());
  }
}

Test(npy, a_directory_is_refused_with_the_reason) {
  char dir[] = "/tmp/sluice-test-npy-dir-XXXXXX";
  cr_assert(mkdtemp(dir) != nullptr);
  try {
    (void)sluice::npy::read(dir);
    cr_expect_fail("read a directory");
  } catch (const sluice::InvalidArgument& e) {
    const std::string message = e.what();
    const std::string expected =
        std::string("reading ") + dir + ": cannot read the file: Is a directory";
    cr_expect(message.find(expected) != std::string::npos, "%s", e.what());
  }
  rmdir(dir);
}

Test(npy, a_failed_write_says_why_and_leaves_nothing_behind) {
  char dir[] = "/tmp/sluice-test-npy-dir-XXXXXX";
  cr_assert(mkdtemp(dir) != nullptr);
  const double value = 1.0;
  struct Case {
    std::string path;
    std::string message_part;
  };
  const std::string directory = std::string(dir) + "/sub";
  cr_assert(mkdir(directory.c_str(), 0700) == 0);
  const std::vector<Case> cases = {
      {directory, ": cannot rename " + directory + ".partial to it: Is a directory"},
      {std::string(dir) + "/missing/a.npy", "/missing/a.npy.partial: No such file or directory"},
  };
  for (const auto& c : cases) {
    try {
      sluice::npy::write(c.path, sluice::Dtype::f64, {1}, &value, sizeof(value));
      cr_expect_fail("wrote %s", c.path.c_str());
    } catch (const sluice::InvalidArgument& e) {
      const std::string message = e.what();
      cr_expect(message.find("writing " + c.path) != std::string::npos &&
                    message.find(c.message_part) != std::string::npos,
                "%s", e.what());
    }
    cr_expect(access((c.path + ".partial").c_str(), F_OK) != 0, "%s.partial is left behind",
              c.path.c_str());
  }
  rmdir(directory.c_str());
  rmdir(dir);
}

Test(npy, written_file_reads_back) {
  char dir[] = "/tmp/sluice-test-npy-dir-XXXXXX";
  cr_assert(mkdtemp(dir) != nullptr);
  const std::string path = std::string(dir) + "/a.npy";
  const std::vector<double> values = {1.5, -2.0, 3.25, 1e300, 0.0, -0.0};
  sluice::npy::write(path, sluice::Dtype::f64, {2, 3}, values.data(),
                     values.size() * sizeof(double));
  const auto array = sluice::npy::read(path);
  cr_expect(array.dtype == sluice::Dtype::f64);
  cr_expect(array.shape == (std::vector<std::int64_t>{2, 3}));
  cr_expect(array.data.size() == values.size() * sizeof(double));
  cr_expect(std::equal(array.data.begin(), array.data.end(),
                       reinterpret_cast<const std::byte*>(values.data())));
  std::remove(path.c_str());
  rmdir(dir);
}
