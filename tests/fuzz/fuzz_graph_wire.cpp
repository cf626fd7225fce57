// Fuzz target: the messages of stream graphs between processes (src/graph/wire.cpp).
// Each decoder refuses a malformed message with sluice::InvalidArgument.
#include <string>
#include <vector>

#include "../../src/graph/wire.hpp"
#include "fuzz_common.hpp"
#include "sluice/core/error.hpp"

using namespace sluice::graph;
using namespace sluice::graph::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = sluice::fuzz::split(data, size);
  const auto message = input.message;
  try {
    switch (input.selector % 8) {
      case 0:
        (void)decode_install(message);
        break;
      case 1: {
        bool ok = false;
        std::string error;
        decode_installed(message, ok, error);
        break;
      }
      case 2: {
        Partial partial;
        (void)decode_partial(message, partial);
        // Decoded twice into the same buffers, as the root reuses them.
        (void)decode_partial(message, partial);
        break;
      }
      case 3: {
        (void)decode_simple(message);
        PartitionCounters counters;
        std::string why;
        (void)decode_partition_ended(message, counters, why);
        break;
      }
      case 4: {
        std::int64_t iteration = 0;
        std::vector<Value> values;
        (void)decode_output(message, iteration, values);
        break;
      }
      case 5:
        (void)decode_status(message);
        break;
      case 6:
        (void)decode_listing(message);
        break;
      case 7: {
        MessageKind kind{};
        std::uint64_t key = 0;
        (void)read_header(message, kind, key);
        break;
      }
    }
  } catch (const sluice::Error&) {
    // A refusal.
  }
  return 0;
}
