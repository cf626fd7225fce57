#include "stream_info_codec.hpp"

#include <cstdint>

namespace sluice::channel::detail {

using sluice::detail::ByteReader;
using sluice::detail::put_bytes;
using sluice::detail::put_extents;

namespace {

// Streams have 0 to 3 dimensions (0: an optional local shape or offset left out).
bool get_extents(ByteReader& in, Extents& extents) {
  return sluice::detail::get_extents(in, extents, 3);
}

}  // namespace

void put_stream_info(std::string& out, const StreamInfo& info) {
  sluice::detail::put_text(out, info.name);
  put_bytes(out, static_cast<std::uint8_t>(info.dtype));
  put_extents(out, info.global_shape);
  put_bytes(out, static_cast<std::int32_t>(info.options.depth));
  put_bytes(out, static_cast<std::uint8_t>(info.options.policy));
  put_bytes(out, static_cast<std::uint8_t>(info.is_value ? 1 : 0));
  put_bytes(out, static_cast<std::uint32_t>(info.producers.size()));
  for (const auto& producer : info.producers) {
    put_bytes(out, static_cast<std::int32_t>(producer.world_rank));
    put_bytes(out, static_cast<std::int32_t>(producer.block));
    put_bytes(out, static_cast<std::uint64_t>(producer.window_offset_bytes));
    put_bytes(out, static_cast<std::uint64_t>(producer.offset_bytes));
    put_bytes(out, static_cast<std::uint64_t>(producer.slot_bytes));
    put_extents(out, producer.layout.global_shape);
    put_extents(out, producer.layout.block_start);
    put_extents(out, producer.layout.block_count);
    put_extents(out, producer.layout.local_shape);
    put_extents(out, producer.layout.local_offset);
  }
}

bool get_stream_info(ByteReader& in, StreamInfo& info) {
  std::uint8_t dtype = 0;
  std::uint8_t policy = 0;
  std::uint8_t is_value = 0;
  std::int32_t depth = 0;
  std::uint32_t producers = 0;
  // A producer block takes at least 4 + 4 + 3 * 8 + 5 * 4 bytes.
  if (!in.get_text(info.name) || !in.get(dtype) || !get_extents(in, info.global_shape) ||
      !in.get(depth) || !in.get(policy) || !in.get(is_value) ||
      !in.get_count(producers, 8 + 3 * 8 + 5 * 4)) {
    return false;
  }
  if (dtype > static_cast<std::uint8_t>(Dtype::u8) ||
      policy > static_cast<std::uint8_t>(Policy::latest) || depth < 1 || is_value > 1) {
    return false;
  }
  info.dtype = static_cast<Dtype>(dtype);
  info.options.depth = depth;
  info.options.policy = static_cast<Policy>(policy);
  info.is_value = is_value != 0;
  info.producers.assign(producers, ProducerBlock{});
  for (auto& producer : info.producers) {
    std::int32_t rank = 0;
    std::int32_t block = 0;
    std::uint64_t window_offset = 0;
    std::uint64_t offset = 0;
    std::uint64_t slot = 0;
    if (!in.get(rank) || !in.get(block) || !in.get(window_offset) || !in.get(offset) ||
        !in.get(slot) || !get_extents(in, producer.layout.global_shape) ||
        !get_extents(in, producer.layout.block_start) ||
        !get_extents(in, producer.layout.block_count) ||
        !get_extents(in, producer.layout.local_shape) ||
        !get_extents(in, producer.layout.local_offset)) {
      return false;
    }
    producer.world_rank = rank;
    producer.block = block;
    producer.window_offset_bytes = window_offset;
    producer.offset_bytes = offset;
    producer.slot_bytes = slot;
  }
  return true;
}

}  // namespace sluice::channel::detail
