#include "sluice/steer/param_table.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>
#include <variant>

#include "sluice/core/error.hpp"

namespace sluice::steer {

namespace {

std::string describe_range(const ParamEntry& entry) {
  return "[" + (entry.min ? to_string(*entry.min) : std::string("-inf")) + ", " +
         (entry.max ? to_string(*entry.max) : std::string("inf")) + "]";
}

// value < bound, for two values of the same numeric type; flags have no order.
bool below(const Value& value, const Value& bound) {
  return std::visit(
      [&](auto v) {
        using T = decltype(v);
        if constexpr (std::is_same_v<T, bool>) {
          return false;
        } else {
          return v < std::get<T>(bound);
        }
      },
      value);
}

bool is_nan(const std::optional<Value>& bound) {
  const auto* f = bound ? std::get_if<double>(&*bound) : nullptr;
  return f != nullptr && std::isnan(*f);
}

}  // namespace

Verdict check_value(const ParamEntry& entry, const Value& value) {
  if (type_of(value) != entry.type) {
    return {Code::wrong_type, "'" + entry.name + "' holds " +
                                  std::string(value_type_name(entry.type)) + ", not " +
                                  std::string(value_type_name(type_of(value)))};
  }
  if (const auto* f = std::get_if<double>(&value); f != nullptr && !std::isfinite(*f)) {
    return {Code::out_of_range,
            "'" + entry.name + "' must be a finite number, not " + to_string(value)};
  }
  if ((entry.min && below(value, *entry.min)) || (entry.max && below(*entry.max, value))) {
    return {Code::out_of_range, "'" + entry.name + "' must be in " + describe_range(entry) +
                                    ", not " + to_string(value)};
  }
  return {};
}

ParamEntry& ParamTable::add(ParamEntry entry) {
  const std::string asked = "registering parameter '" + entry.name + "'";
  if (entry.name.empty() || entry.name.size() > 127) {
    throw InvalidArgument(asked, "a parameter name has 1 to 127 characters");
  }
  if (find(entry.name) != nullptr) {
    throw InvalidArgument(asked, "a parameter of that name is already registered");
  }
  if (entry.type == ValueType::flag && (entry.min || entry.max)) {
    throw InvalidArgument(asked, "a flag takes no bounds");
  }
  if (entry.type == ValueType::f64 && (is_nan(entry.min) || is_nan(entry.max))) {
    throw InvalidArgument(asked, "a bound is NaN");
  }
  if (entry.min && entry.max && below(*entry.max, *entry.min)) {
    throw InvalidArgument(
        asked, "min " + to_string(*entry.min) + " is above max " + to_string(*entry.max));
  }
  if (const auto verdict = check_value(entry, entry.value); !verdict.ok()) {
    throw InvalidArgument(asked, "the default: " + verdict.message);
  }
  m_entries.push_back(std::make_unique<ParamEntry>(std::move(entry)));
  return *m_entries.back();
}

const ParamEntry* ParamTable::find(std::string_view name) const noexcept {
  return entry_named(name);
}

ParamEntry* ParamTable::entry_named(std::string_view name) const noexcept {
  const auto found = std::find_if(m_entries.begin(), m_entries.end(),
                                  [&](const auto& entry) { return entry->name == name; });
  return found == m_entries.end() ? nullptr : found->get();
}

Verdict ParamTable::check_set(std::string_view name, const std::optional<Value>& value) const {
  const ParamEntry* entry = find(name);
  if (entry == nullptr) {
    std::string known;
    for (const auto& p : m_entries) {
      known += (known.empty() ? "" : ", ") + p->name;
    }
    return {Code::unknown_name, "no parameter '" + std::string(name) +
                                    "'; parameters: " + (known.empty() ? "none" : known)};
  }
  if (!value) {
    return {Code::bad_request, "the value's type is not one of f64, i64, bool"};
  }
  return check_value(*entry, *value);
}

const ParamEntry& ParamTable::set(std::string_view name, const Value& value,
                                  std::int64_t from_iteration) {
  if (const auto verdict = check_set(name, value); !verdict.ok()) {
    throw InvalidArgument("setting parameter '" + std::string(name) + "'", verdict.message);
  }
  ParamEntry* entry = entry_named(name);
  entry->value = value;
  entry->since_iteration = from_iteration;
  return *entry;
}

}  // namespace sluice::steer
