#include "stream_status_codec.hpp"

#include "../core/bytes.hpp"

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace sluice::ring::detail {

namespace {

using sluice::detail::ByteReader;

class Writer {
 public:
  template <typename T>
  void put(T value) {
    sluice::detail::put_bytes(m_bytes, value);
  }
  void put(std::string_view text) { sluice::detail::put_text(m_bytes, text); }
  void put(const sluice::Extents& extents) {
    put(static_cast<std::uint32_t>(extents.size()));
    for (std::int64_t extent : extents) {
      put(extent);
    }
  }
  std::string take() { return std::move(m_bytes); }

 private:
  std::string m_bytes;
};

// Extents of a layout: 1 to 3 dimensions (0 for the optional local shape and offset).
bool get_extents(ByteReader& in, sluice::Extents& extents) {
  std::uint32_t size = 0;
  if (!in.get(size) || size > 3) {
    return false;
  }
  extents.resize(size);
  for (auto& extent : extents) {
    if (!in.get(extent)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string encode_stream_status(const StreamStatus& status) {
  Writer out;
  const auto& info = status.info;
  out.put(std::string_view(info.name));
  out.put(static_cast<std::uint8_t>(info.dtype));
  out.put(info.global_shape);
  out.put(static_cast<std::int32_t>(info.options.depth));
  out.put(static_cast<std::uint8_t>(info.options.policy));
  out.put(static_cast<std::uint32_t>(info.producers.size()));
  for (const auto& producer : info.producers) {
    out.put(static_cast<std::int32_t>(producer.world_rank));
    out.put(producer.layout.global_shape);
    out.put(producer.layout.block_start);
    out.put(producer.layout.block_count);
    out.put(producer.layout.local_shape);
    out.put(producer.layout.local_offset);
  }
  const auto& progress = status.progress;
  out.put(progress.newest_iteration);
  out.put(progress.published);
  out.put(progress.skipped);
  out.put(progress.bytes_pulled);
  out.put(progress.active_readers);
  out.put(static_cast<std::uint8_t>(progress.closed));
  out.put(static_cast<std::uint32_t>(progress.producers.size()));
  for (const auto& one : progress.producers) {
    out.put(static_cast<std::int32_t>(one.world_rank));
    out.put(one.newest_iteration);
    out.put(one.published);
    out.put(one.skipped);
    out.put(one.bytes_pulled);
    out.put(one.active_readers);
    out.put(static_cast<std::uint8_t>(one.closed));
  }
  return out.take();
}

bool decode_stream_status(std::string_view bytes, StreamStatus& status) {
  ByteReader in(bytes);
  auto& info = status.info;
  std::uint8_t dtype = 0;
  std::uint8_t policy = 0;
  std::int32_t depth = 0;
  std::uint32_t producers = 0;
  if (!in.get_text(info.name) || !in.get(dtype) || !get_extents(in, info.global_shape) ||
      !in.get(depth) || !in.get(policy) || !in.get_count(producers, 4 + 5 * 4)) {
    return false;
  }
  if (dtype > static_cast<std::uint8_t>(sluice::Dtype::u8) ||
      policy > static_cast<std::uint8_t>(channel::Policy::latest)) {
    return false;
  }
  info.dtype = static_cast<sluice::Dtype>(dtype);
  info.options.depth = depth;
  info.options.policy = static_cast<channel::Policy>(policy);
  info.producers.resize(producers);
  for (auto& producer : info.producers) {
    std::int32_t rank = 0;
    if (!in.get(rank) || !get_extents(in, producer.layout.global_shape) ||
        !get_extents(in, producer.layout.block_start) ||
        !get_extents(in, producer.layout.block_count) ||
        !get_extents(in, producer.layout.local_shape) ||
        !get_extents(in, producer.layout.local_offset)) {
      return false;
    }
    producer.world_rank = rank;
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
