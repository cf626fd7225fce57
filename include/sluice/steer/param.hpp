#pragma once
/// @file
/// Steerable parameters of a simulation: a handle whose value changes only at iteration
/// boundaries, at the same iteration on every simulation rank.
///
/// @code
/// auto dt = bridge.param<double>("dt", 0.2, {.min = 0.0, .max = 0.25, .doc = "time step"});
/// for (k = 0; ...; ++k) {
///   step(dt.value());        // the same value on every rank during iteration k
///   bridge.end_iteration(k); // steering changes are applied here, all ranks together
/// }
/// @endcode

#include <cstddef>
#include <optional>
#include <string>

#include "sluice/steer/value.hpp"

namespace sluice::steer {

/// Bounds (inclusive) and a one-line description. Flags take no bounds.
template <typename T>
struct ParamSpec {
  std::optional<T> min{};
  std::optional<T> max{};
  std::string doc{};
};

/// What every rank and every client knows about one parameter.
struct ParamEntry {
  std::string name;
  ValueType type = ValueType::f64;
  Value value;
  std::optional<Value> min;
  std::optional<Value> max;
  std::string doc;
  /// The iteration from which `value` holds (0 for the default).
  std::int64_t since_iteration = 0;
};

/// A parameter's current value, read locally (no communication). Cheap to copy; valid
/// as long as the Bridge that made it.
template <typename T>
class Param {
  static_assert(is_parameter_type_v<T>, "parameters are double, std::int64_t or bool");

 public:
  [[nodiscard]] T value() const { return std::get<T>(m_entry->value); }
  [[nodiscard]] const std::string& name() const noexcept { return m_entry->name; }
  /// The iteration from which the current value holds.
  [[nodiscard]] std::int64_t since_iteration() const noexcept { return m_entry->since_iteration; }

 private:
  friend class Agent;
  explicit Param(const ParamEntry* entry) : m_entry(entry) {}
  const ParamEntry* m_entry;
};

}  // namespace sluice::steer
