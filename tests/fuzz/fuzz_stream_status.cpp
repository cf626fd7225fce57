// Fuzz target: stream descriptions (src/channel/stream_info_codec.cpp) as the job's
// catalog holds them, and stream statuses (src/ring/stream_status_codec.cpp) as a
// scheduler answers a stream query.
#include <string>

#include "../../src/channel/stream_info_codec.hpp"
#include "../../src/ring/stream_status_codec.hpp"
#include "fuzz_common.hpp"
#include "sluice/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = sluice::fuzz::split(data, size);
  try {
    if (input.selector % 2 == 0) {
      sluice::detail::ByteReader in(input.message);
      sluice::channel::StreamInfo info;
      (void)sluice::channel::detail::get_stream_info(in, info);
    } else {
      sluice::ring::StreamStatus status;
      (void)sluice::ring::detail::decode_stream_status(input.message, status);
    }
  } catch (const sluice::Error&) {
    // A refusal.
  }
  return 0;
}
