// Fuzz target: the .npy reader of the command-line tools (services/npy/npy.cpp). The
// reader takes a path: the input is written to an anonymous in-memory file
// (memfd_create) read through /proc/self/fd.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "fuzz_common.hpp"
#include "npy.hpp"
#include "sluice/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = memfd_create("fuzz_npy", 0);
  if (fd < 0) {
    std::abort();
  }
  for (std::size_t done = 0; done < size;) {
    const auto n = write(fd, data + done, size - done);
    if (n <= 0) {
      std::abort();
    }
    done += static_cast<std::size_t>(n);
  }
  try {
    const auto array = sluice::npy::read("/proc/self/fd/" + std::to_string(fd));
    std::size_t elements = 1;
    for (const auto extent : array.shape) {
      elements *= static_cast<std::size_t>(extent);
    }
    if (elements * sluice::dtype_size(array.dtype) != array.data.size()) {
      std::abort();  // the data does not match the shape it was read with
    }
  } catch (const sluice::Error&) {
    // A refusal.
  }
  close(fd);
  return 0;
}
