#pragma once
/// @file
/// The values steerable parameters hold: 64-bit floats, 64-bit integers and flags.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace sluice::steer {

enum class ValueType : std::uint8_t { f64 = 1, i64 = 2, flag = 3 };

/// "f64", "i64", "bool".
[[nodiscard]] std::string_view value_type_name(ValueType type) noexcept;

using Value = std::variant<double, std::int64_t, bool>;

[[nodiscard]] ValueType type_of(const Value& value) noexcept;

/// The value as a user would type it: "0.25", "-3", "true".
[[nodiscard]] std::string to_string(const Value& value);

template <typename T>
inline constexpr bool is_parameter_type_v =
    std::is_same_v<T, double> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, bool>;

}  // namespace sluice::steer
