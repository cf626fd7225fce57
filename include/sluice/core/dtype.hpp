#pragma once
/// @file
/// Element types of arrays: what a stream carries, what a graph computes on.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace sluice {

enum class Dtype : std::uint8_t { f32, f64, i32, i64, u8 };

/// "f32", "f64", "i32", "i64", "u8". Header only (the steering client, which does not
/// link libsluice, uses it too).
[[nodiscard]] constexpr std::string_view dtype_name(Dtype dtype) noexcept {
  switch (dtype) {
    case Dtype::f32:
      return "f32";
    case Dtype::f64:
      return "f64";
    case Dtype::i32:
      return "i32";
    case Dtype::i64:
      return "i64";
    case Dtype::u8:
      return "u8";
  }
  return "unknown";
}

/// The Dtype named so by dtype_name(), if any.
[[nodiscard]] constexpr std::optional<Dtype> parse_dtype(std::string_view name) noexcept {
  for (Dtype dtype : {Dtype::f32, Dtype::f64, Dtype::i32, Dtype::i64, Dtype::u8}) {
    if (dtype_name(dtype) == name) {
      return dtype;
    }
  }
  return std::nullopt;
}

/// Bytes per element.
[[nodiscard]] constexpr std::size_t dtype_size(Dtype dtype) noexcept {
  switch (dtype) {
    case Dtype::f32:
    case Dtype::i32:
      return 4;
    case Dtype::f64:
    case Dtype::i64:
      return 8;
    case Dtype::u8:
      return 1;
  }
  return 0;
}

/// The Dtype of a C++ element type; a compile error for unsupported types.
template <typename T>
[[nodiscard]] constexpr Dtype dtype_of() noexcept {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, float>) {
    return Dtype::f32;
  } else if constexpr (std::is_same_v<U, double>) {
    return Dtype::f64;
  } else if constexpr (std::is_same_v<U, std::int32_t>) {
    return Dtype::i32;
  } else if constexpr (std::is_same_v<U, std::int64_t>) {
    return Dtype::i64;
  } else if constexpr (std::is_same_v<U, std::uint8_t>) {
    return Dtype::u8;
  } else {
    static_assert(sizeof(T) == 0, "streams carry float, double, int32_t, int64_t or uint8_t");
  }
}

/// Calls `f(std::type_identity<T>{})` with the C++ element type of `dtype`: one switch
/// for code that handles every dtype the same way.
///
/// @code
/// sluice::visit_dtype(dtype, [&]<typename T>(std::type_identity<T>) { sum_as<T>(data); });
/// @endcode
template <typename F>
constexpr decltype(auto) visit_dtype(Dtype dtype, F&& f) {
  switch (dtype) {
    case Dtype::f32:
      return f(std::type_identity<float>{});
    case Dtype::f64:
      return f(std::type_identity<double>{});
    case Dtype::i32:
      return f(std::type_identity<std::int32_t>{});
    case Dtype::i64:
      return f(std::type_identity<std::int64_t>{});
    case Dtype::u8:
      break;
  }
  return f(std::type_identity<std::uint8_t>{});
}

}  // namespace sluice
