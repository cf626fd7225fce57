#pragma once
/// @file
/// sluice::steer::ParamTable: the steerable parameters a simulation registered, and
/// the one place that decides whether a value may become a parameter's value.
///
/// Entries are held by pointer, so the Param<T> handles a Bridge gave out stay valid
/// as the table grows. Every simulation rank holds the same table (the Agent compares
/// them at start); a set is checked once, by simulation rank 0, and applied by every
/// rank at the same iteration.
///
/// @code
/// sluice::steer::ParamTable table;
/// ParamEntry dt{.name = "dt", .type = ValueType::f64, .value = 0.2, .min = Value(0.0)};
/// table.add(std::move(dt));
/// if (auto verdict = table.check_set("dt", Value(-1.0)); !verdict.ok()) { ... }  // out_of_range
/// table.set("dt", Value(0.1), /*from_iteration=*/42);
/// @endcode
///
/// Local; not thread-safe (the simulation's thread owns it).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/steer/param.hpp"
#include "sluice/steer/response.hpp"
#include "sluice/steer/value.hpp"

namespace sluice::steer {

class ParamTable {
 public:
  /// Registers a parameter. InvalidArgument for an empty, too long (> 127 characters)
  /// or duplicate name, bounds on a flag, a NaN bound, min > max, or a default that
  /// check_value refuses. The entry's address is stable.
  ParamEntry& add(ParamEntry entry);

  /// The parameter of that name, or nullptr.
  [[nodiscard]] const ParamEntry* find(std::string_view name) const noexcept;

  /// Whether `value` may become the value of parameter `name`: unknown_name (with the
  /// known names), bad_request for no value (a type the wire does not know),
  /// wrong_type, out_of_range (outside the bounds, or not finite).
  [[nodiscard]] Verdict check_set(std::string_view name, const std::optional<Value>& value) const;

  /// Sets a parameter that check_set accepted; it holds from `from_iteration`.
  /// InvalidArgument if it would not have been accepted.
  const ParamEntry& set(std::string_view name, const Value& value, std::int64_t from_iteration);

  [[nodiscard]] std::span<const std::unique_ptr<ParamEntry>> entries() const noexcept {
    return m_entries;
  }

 private:
  [[nodiscard]] ParamEntry* entry_named(std::string_view name) const noexcept;

  std::vector<std::unique_ptr<ParamEntry>> m_entries;
};

/// Whether `value` may be the value of `entry` (its type, finite, within its bounds).
[[nodiscard]] Verdict check_value(const ParamEntry& entry, const Value& value);

}  // namespace sluice::steer
