#include "sluice/steer/value.hpp"

#include <charconv>
#include <system_error>

namespace sluice::steer {

std::string_view value_type_name(ValueType type) noexcept {
  switch (type) {
    case ValueType::f64:
      return "f64";
    case ValueType::i64:
      return "i64";
    case ValueType::flag:
      return "bool";
  }
  return "unknown";
}

ValueType type_of(const Value& value) noexcept {
  switch (value.index()) {
    case 0:
      return ValueType::f64;
    case 1:
      return ValueType::i64;
    default:
      return ValueType::flag;
  }
}

std::string to_string(const Value& value) {
  if (const auto* flag = std::get_if<bool>(&value)) {
    return *flag ? "true" : "false";
  }
  if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    return std::to_string(*integer);
  }
  // The shortest text that reads back as the same double.
  char text[32];
  const auto result = std::to_chars(text, text + sizeof(text), std::get<double>(value));
  return std::string(text, result.ptr);
}

}  // namespace sluice::steer
