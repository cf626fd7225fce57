#include "stream_status_codec.hpp"

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace sluice::ring::detail {

namespace {

class Writer {
 public:
  template <typename T>
  void put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    m_bytes.append(reinterpret_cast<const char*>(&value), sizeof(T));
  }
  void put(std::string_view text) {
    put(static_cast<std::uint32_t>(text.size()));
    m_bytes.append(text);
  }
  void put(const channel::Extents& extents) {
    put(static_cast<std::uint32_t>(extents.size()));
    for (std::int64_t extent : extents) {
      put(extent);
    }
  }
  std::string take() { return std::move(m_bytes); }

 private:
  std::string m_bytes;
};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : m_bytes(bytes) {}

  template <typename T>
  bool get(T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (m_bytes.size() < sizeof(T)) {
      return false;
    }
    std::memcpy(&value, m_bytes.data(), sizeof(T));
    m_bytes.remove_prefix(sizeof(T));
    return true;
  }
  bool get(std::string& text) {
    std::uint32_t size = 0;
    if (!get(size) || m_bytes.size() < size) {
      return false;
    }
    text.assign(m_bytes.substr(0, size));
    m_bytes.remove_prefix(size);
    return true;
  }
  bool get(channel::Extents& extents) {
    std::uint32_t size = 0;
    if (!get(size) || size > 3) {  // a layout has 1 to 3 dimensions
      return false;
    }
    extents.resize(size);
    for (auto& extent : extents) {
      if (!get(extent)) {
        return false;
      }
    }
    return true;
  }
  // Counts of repeated records are bounded by what the remaining bytes can hold.
  bool get_count(std::uint32_t& count, std::size_t min_record_bytes) {
    return get(count) && std::size_t{count} * min_record_bytes <= m_bytes.size();
  }
  [[nodiscard]] bool at_end() const { return m_bytes.empty(); }

 private:
  std::string_view m_bytes;
};

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
  Reader in(bytes);
  auto& info = status.info;
  std::uint8_t dtype = 0;
  std::uint8_t policy = 0;
  std::int32_t depth = 0;
  std::uint32_t producers = 0;
  if (!in.get(info.name) || !in.get(dtype) || !in.get(info.global_shape) || !in.get(depth) ||
      !in.get(policy) || !in.get_count(producers, 4 + 5 * 4)) {
    return false;
  }
  if (dtype > static_cast<std::uint8_t>(channel::Dtype::u8) ||
      policy > static_cast<std::uint8_t>(channel::Policy::latest)) {
    return false;
  }
  info.dtype = static_cast<channel::Dtype>(dtype);
  info.options.depth = depth;
  info.options.policy = static_cast<channel::Policy>(policy);
  info.producers.resize(producers);
  for (auto& producer : info.producers) {
    std::int32_t rank = 0;
    if (!in.get(rank) || !in.get(producer.layout.global_shape) ||
        !in.get(producer.layout.block_start) || !in.get(producer.layout.block_count) ||
        !in.get(producer.layout.local_shape) || !in.get(producer.layout.local_offset)) {
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
