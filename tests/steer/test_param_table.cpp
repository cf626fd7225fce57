// The parameter table: registration errors, and which values a set may carry.
#include <criterion/criterion.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "sluice/core/error.hpp"
#include "sluice/steer/param_table.hpp"

using namespace sluice::steer;

namespace {

ParamEntry entry(std::string name, Value value, std::optional<Value> min = std::nullopt,
                 std::optional<Value> max = std::nullopt) {
  ParamEntry e;
  e.name = std::move(name);
  e.type = type_of(value);
  e.value = value;
  e.min = min;
  e.max = max;
  return e;
}

bool refuses(ParamEntry e, const char* part) {
  ParamTable table;
  table.add(entry("taken", 1.0));
  try {
    table.add(std::move(e));
  } catch (const sluice::InvalidArgument& error) {
    return std::string(error.what()).find(part) != std::string::npos;
  }
  return false;
}

struct SetCase {
  const char* what;
  const char* name;
  std::optional<Value> value;
  Code code;
  const char* message_part;
};

}  // namespace

Test(param_table, registration_errors) {
  cr_expect(refuses(entry("", 1.0), "1 to 127 characters"));
  cr_expect(refuses(entry(std::string(128, 'x'), 1.0), "1 to 127 characters"));
  cr_expect(refuses(entry("taken", 2.0), "already registered"));
  cr_expect(refuses(entry("flag", true, Value(false)), "a flag takes no bounds"));
  cr_expect(refuses(entry("nan", 1.0, Value(std::nan(""))), "a bound is NaN"));
  cr_expect(refuses(entry("inverted", 1.0, Value(2.0), Value(0.0)), "is above max"));
  cr_expect(refuses(entry("default", 5.0, Value(0.0), Value(1.0)), "the default: "));
}

Test(param_table, set_table) {
  ParamTable table;
  table.add(entry("a", 1.0, Value(0.0), Value(10.0)));
  table.add(entry("n", std::int64_t{3}, Value(std::int64_t{1})));
  table.add(entry("on", true));
  const std::vector<SetCase> cases = {
      {"in range", "a", Value(2.5), Code::ok, ""},
      {"at the bound", "a", Value(10.0), Code::ok, ""},
      {"flag", "on", Value(false), Code::ok, ""},
      {"unknown", "b", Value(1.0), Code::unknown_name, "no parameter 'b'; parameters: a, n, on"},
      {"no value", "a", std::nullopt, Code::bad_request, "not one of f64, i64, bool"},
      {"wrong type", "a", Value(std::int64_t{1}), Code::wrong_type, "'a' holds f64, not i64"},
      {"above", "a", Value(10.5), Code::out_of_range, "must be in [0, 10]"},
      {"below", "n", Value(std::int64_t{0}), Code::out_of_range, "'n' must be in"},
      {"not finite", "a", Value(std::numeric_limits<double>::infinity()), Code::out_of_range,
       "finite"},
  };
  for (const auto& c : cases) {
    const Verdict verdict = table.check_set(c.name, c.value);
    cr_expect(verdict.code == c.code, "%s: got %s (%s)", c.what, code_name(verdict.code).data(),
              verdict.message.c_str());
    cr_expect(verdict.message.find(c.message_part) != std::string::npos, "%s: '%s'", c.what,
              verdict.message.c_str());
  }
}

Test(param_table, set_changes_the_value_from_an_iteration_and_keeps_addresses) {
  ParamTable table;
  const ParamEntry& a = table.add(entry("a", 1.0, Value(0.0), Value(10.0)));
  for (int i = 0; i < 50; ++i) {
    table.add(entry("p" + std::to_string(i), 1.0));  // the table grows; `a` stays put
  }
  table.set("a", Value(4.0), 7);
  cr_expect(std::get<double>(a.value) == 4.0 && a.since_iteration == 7);
  cr_expect_eq(table.find("a"), &a);
  cr_expect_throw(table.set("a", Value(40.0), 8), sluice::InvalidArgument);
  cr_expect(std::get<double>(a.value) == 4.0);
}
