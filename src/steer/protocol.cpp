#include "protocol.hpp"

namespace sluice::steer::detail {

namespace {

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

void put_text(std::string& out, std::string_view text) {
  put(out, static_cast<std::uint32_t>(text.size()));
  out.append(text);
}

void put_value(std::string& out, const std::optional<Value>& value) {
  put(out, static_cast<std::uint8_t>(value ? type_of(*value) : ValueType{}));
  put(out, value ? value_bits(*value) : std::uint64_t{0});
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : m_bytes(bytes) {}
  template <typename T>
  bool get(T& value) {
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
  bool get_value(std::optional<Value>& value) {
    std::uint8_t type = 0;
    std::uint64_t bits = 0;
    if (!get(type) || !get(bits)) {
      return false;
    }
    if (type == 0) {
      value.reset();
      return true;
    }
    value = value_from_bits(static_cast<ValueType>(type), bits);
    return value.has_value();
  }
  [[nodiscard]] bool at_end() const { return m_bytes.empty(); }
  [[nodiscard]] std::size_t left() const { return m_bytes.size(); }

 private:
  std::string_view m_bytes;
};

}  // namespace

std::string encode_params(std::span<const std::unique_ptr<ParamEntry>> params) {
  std::string out;
  put(out, static_cast<std::uint32_t>(params.size()));
  for (const auto& entry : params) {
    put_text(out, entry->name);
    put_value(out, entry->value);
    put_value(out, entry->min);
    put_value(out, entry->max);
    put_text(out, entry->doc);
    put(out, entry->since_iteration);
  }
  return out;
}

bool decode_params(std::string_view bytes, std::vector<ParamEntry>& params) {
  Reader in(bytes);
  std::uint32_t count = 0;
  // Each entry takes at least 4 + 9 + 9 + 9 + 4 + 8 bytes.
  if (!in.get(count) || std::size_t{count} * 43 > in.left()) {
    return false;
  }
  params.assign(count, ParamEntry{});
  for (auto& entry : params) {
    std::optional<Value> value;
    if (!in.get_text(entry.name) || !in.get_value(value) || !value || !in.get_value(entry.min) ||
        !in.get_value(entry.max) || !in.get_text(entry.doc) || !in.get(entry.since_iteration)) {
      return false;
    }
    entry.value = *value;
    entry.type = type_of(*value);
  }
  return in.at_end();
}

}  // namespace sluice::steer::detail
