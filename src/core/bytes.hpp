#pragma once
// Private: fixed-width fields in a byte string, for the small messages sluice's
// processes exchange (stream status, steering). Every process of a job runs on the
// same architecture, so fields are in native byte order. Every read is checked
// against the end of the buffer: the bytes may come from a misbehaving peer.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sluice::detail {

template <typename T>
void put_bytes(std::string& out, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// A u32 length, then the text.
inline void put_text(std::string& out, std::string_view text) {
  put_bytes(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : m_bytes(bytes) {}

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

  bool get_text(std::string& text) {
    std::uint32_t size = 0;
    if (!get(size) || m_bytes.size() < size) {
      return false;
    }
    text.assign(m_bytes.substr(0, size));
    m_bytes.remove_prefix(size);
    return true;
  }

  // A count of records, refused if the remaining bytes cannot hold that many records
  // of at least `min_record_bytes` (so a forged count never drives an allocation).
  bool get_count(std::uint32_t& count, std::size_t min_record_bytes) {
    return get(count) && std::size_t{count} * min_record_bytes <= m_bytes.size();
  }

  [[nodiscard]] bool at_end() const noexcept { return m_bytes.empty(); }
  /// What is left unread.
  [[nodiscard]] std::string_view rest() const noexcept { return m_bytes; }

 private:
  std::string_view m_bytes;
};

// A u32 count, then the extents (sizes or coordinates of an array).
inline void put_extents(std::string& out, const std::vector<std::int64_t>& extents) {
  put_bytes(out, static_cast<std::uint32_t>(extents.size()));
  for (const auto extent : extents) {
    put_bytes(out, extent);
  }
}

// The inverse of put_extents; false for more than `max_dims` extents or too few bytes.
inline bool get_extents(ByteReader& in, std::vector<std::int64_t>& extents, std::size_t max_dims) {
  std::uint32_t count = 0;
  if (!in.get_count(count, sizeof(std::int64_t)) || count > max_dims) {
    return false;
  }
  extents.assign(count, 0);
  for (auto& extent : extents) {
    if (!in.get(extent)) {
      return false;
    }
  }
  return true;
}

}  // namespace sluice::detail
