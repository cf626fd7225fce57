#include "stream_status_codec.hpp"

#include "../channel/stream_info_codec.hpp"
#include "../core/bytes.hpp"

#include <cstdint>

namespace sluice::ring::detail {

using sluice::detail::ByteReader;
using sluice::detail::put_bytes;

std::string encode_stream_status(const StreamStatus& status) {
  std::string out;
  channel::detail::put_stream_info(out, status.info);
  const auto& progress = status.progress;
  put_bytes(out, progress.newest_iteration);
  put_bytes(out, progress.published);
  put_bytes(out, progress.skipped);
  put_bytes(out, progress.bytes_pulled);
  put_bytes(out, progress.active_readers);
  put_bytes(out, static_cast<std::uint8_t>(progress.closed));
  put_bytes(out, static_cast<std::uint32_t>(progress.producers.size()));
  for (const auto& one : progress.producers) {
    put_bytes(out, static_cast<std::int32_t>(one.world_rank));
    put_bytes(out, one.newest_iteration);
    put_bytes(out, one.published);
    put_bytes(out, one.skipped);
    put_bytes(out, one.bytes_pulled);
    put_bytes(out, one.active_readers);
    put_bytes(out, static_cast<std::uint8_t>(one.closed));
  }
  return out;
}

bool decode_stream_status(std::string_view bytes, StreamStatus& status) {
  ByteReader in(bytes);
  if (!channel::detail::get_stream_info(in, status.info)) {
    return false;
  }
  auto& progress = status.progress;
  std::uint8_t closed = 0;
  std::uint32_t counted = 0;
  if (!in.get(progress.newest_iteration) || !in.get(progress.published) ||
      !in.get(progress.skipped) || !in.get(progress.bytes_pulled) ||
      !in.get(progress.active_readers) || !in.get(closed) ||
      !in.get_count(counted, 4 + 5 * 8 + 1)) {
    return false;
  }
  progress.closed = closed != 0;
  progress.producers.resize(counted);
  for (auto& one : progress.producers) {
    std::int32_t rank = 0;
    std::uint8_t one_closed = 0;
    if (!in.get(rank) || !in.get(one.newest_iteration) || !in.get(one.published) ||
        !in.get(one.skipped) || !in.get(one.bytes_pulled) || !in.get(one.active_readers) ||
        !in.get(one_closed)) {
      return false;
    }
    one.world_rank = rank;
    one.closed = one_closed != 0;
  }
  return in.at_end();
}

}  // namespace sluice::ring::detail
