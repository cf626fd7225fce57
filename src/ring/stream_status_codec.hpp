#pragma once
// Private: StreamStatus as the bytes of a directory reply. Fixed-width little-endian
// fields (every process of a job runs on the same architecture), each read checked
// against the end of the buffer.
#include <string>
#include <string_view>

#include "sluice/ring/stream_status.hpp"

namespace sluice::ring::detail {

[[nodiscard]] std::string encode_stream_status(const StreamStatus& status);

// Returns false if the bytes are not a well-formed StreamStatus.
[[nodiscard]] bool decode_stream_status(std::string_view bytes, StreamStatus& status);

}  // namespace sluice::ring::detail
