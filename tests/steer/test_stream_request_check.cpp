// The one validator of stream requests (what the simulation and the steering server
// both refuse) and the exposure table that applies accepted ones, as tables of cases.
#include <criterion/criterion.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sluice/steer/exposure_table.hpp"
#include "sluice/steer/stream_request_check.hpp"

using sluice::Box;
using sluice::Dtype;
using sluice::Extents;
using namespace sluice::steer;

namespace {

SteeredStream field() {
  SteeredStream stream;
  stream.name = "T";
  stream.dtype = Dtype::f64;
  stream.shape = {8, 6};
  return stream;
}

bool has(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

struct ControlCase {
  const char* what;
  std::optional<std::int64_t> every;
  std::optional<Box> region;
  Code code;
  const char* message_part;  // the phrase clients (and tests) rely on
};

struct InjectionCase {
  const char* what;
  const char* dtype;
  Box region;
  std::optional<std::size_t> data_bytes;
  Code code;
  const char* message_part;
};

}  // namespace

Test(stream_request_check, control_table) {
  const std::vector<ControlCase> cases = {
      {"every 1", 1, std::nullopt, Code::ok, ""},
      {"every at the limit", max_every, std::nullopt, Code::ok, ""},
      {"every 0", 0, std::nullopt, Code::out_of_range, "'every' must be in [1, "},
      {"every negative", -3, std::nullopt, Code::out_of_range, "not -3"},
      {"every too large", max_every + 1, std::nullopt, Code::out_of_range, "'every'"},
      {"inside", std::nullopt, Box{{1, 1}, {3, 2}}, Code::ok, ""},
      {"whole-array marker", std::nullopt, Box{}, Code::ok, ""},
      {"past the end", std::nullopt, Box{{6, 0}, {4, 2}}, Code::bad_region, "of stream 'T'"},
      {"wrong rank", std::nullopt, Box{{0}, {2}}, Code::bad_region, "region "},
  };
  for (const auto& c : cases) {
    StreamControl control;
    control.every = c.every;
    control.region = c.region;
    const Verdict verdict = check_control(field(), control);
    cr_expect(verdict.code == c.code, "%s: got %s (%s)", c.what, code_name(verdict.code).data(),
              verdict.message.c_str());
    cr_expect(has(verdict.message, c.message_part), "%s: '%s'", c.what, verdict.message.c_str());
  }
}

Test(stream_request_check, injection_table) {
  const std::vector<InjectionCase> cases = {
      {"whole array, data known", "f64", Box{}, 8 * 6 * 8, Code::ok, ""},
      {"a patch, data not yet sent", "f64", Box{{2, 2}, {2, 3}}, std::nullopt, Code::ok, ""},
      {"wrong dtype", "f32", Box{{0, 0}, {1, 1}}, 4, Code::wrong_type,
       "stream 'T' holds f64, not f32"},
      {"outside", "f64", Box{{7, 0}, {2, 1}}, 16, Code::bad_region, "of stream 'T'"},
      {"too few bytes", "f64", Box{{0, 0}, {2, 2}}, 31, Code::bad_request,
       "takes 32 bytes; 31 were sent"},
      {"too many bytes", "f64", Box{{0, 0}, {1, 1}}, 9, Code::bad_request, "were sent"},
  };
  for (const auto& c : cases) {
    const Verdict verdict = check_injection(field(), c.dtype, c.region, c.data_bytes);
    cr_expect(verdict.code == c.code, "%s: got %s (%s)", c.what, code_name(verdict.code).data(),
              verdict.message.c_str());
    cr_expect(has(verdict.message, c.message_part), "%s: '%s'", c.what, verdict.message.c_str());
  }
}

Test(stream_request_check, an_injection_above_the_limit_is_refused_before_its_data) {
  SteeredStream huge = field();
  huge.shape = {std::int64_t{1} << 20, 64};  // 512 MiB of f64
  const Verdict verdict = check_injection(huge, "f64", Box{}, std::nullopt);
  cr_expect(verdict.code == Code::bad_request);
  cr_expect(has(verdict.message, "at most 256 MiB"), "%s", verdict.message.c_str());
}

Test(stream_request_check, injected_values_must_be_finite) {
  struct Case {
    const char* what;
    Dtype dtype;
    std::vector<double> values;  // converted to the dtype
    Code code;
    const char* message_part;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases = {
      {"finite f64", Dtype::f64, {1.0, -2.5, 1e300}, Code::ok, ""},
      {"no data", Dtype::f64, {}, Code::ok, ""},
      {"NaN f64",
       Dtype::f64,
       {1.0, 2.0, nan},
       Code::out_of_range,
       "an injection into 'T' must hold finite numbers; element 2 (row-major) is nan"},
      {"inf f64", Dtype::f64, {inf, nan}, Code::out_of_range, "element 0 (row-major) is inf"},
      {"-inf f32", Dtype::f32, {0.5, -inf}, Code::out_of_range, "element 1 (row-major) is -inf"},
      {"finite f32", Dtype::f32, {0.5, 3.0}, Code::ok, ""},
      {"integers", Dtype::i64, {1.0, 2.0}, Code::ok, ""},
  };
  for (const auto& c : cases) {
    std::vector<std::byte> data(c.values.size() * sluice::dtype_size(c.dtype));
    for (std::size_t i = 0; i < c.values.size(); ++i) {
      if (c.dtype == Dtype::f32) {
        const auto single = static_cast<float>(c.values[i]);
        std::memcpy(data.data() + i * sizeof(float), &single, sizeof(float));
      } else if (c.dtype == Dtype::f64) {
        std::memcpy(data.data() + i * sizeof(double), &c.values[i], sizeof(double));
      } else {
        const auto integer = static_cast<std::int64_t>(c.values[i]);
        std::memcpy(data.data() + i * sizeof(integer), &integer, sizeof(integer));
      }
    }
    const Verdict verdict = check_injection_values("T", c.dtype, data);
    cr_expect(verdict.code == c.code, "%s: got %s (%s)", c.what, code_name(verdict.code).data(),
              verdict.message.c_str());
    cr_expect(has(verdict.message, c.message_part), "%s: '%s'", c.what, verdict.message.c_str());
    cr_expect(c.code == Code::ok || has(verdict.message, "--allow-nonfinite"), "%s: '%s'", c.what,
              verdict.message.c_str());
  }
}

Test(stream_request_check, unknown_stream_names_the_known_ones) {
  const std::vector<std::string> known = {"T", "P"};
  const Verdict verdict = unknown_stream("nope", known);
  cr_expect(verdict.code == Code::unknown_name);
  cr_expect_str_eq(verdict.message.c_str(), "no stream 'nope'; streams: T, P");
  const Verdict none = unknown_stream("x", {});
  cr_expect_str_eq(none.message.c_str(), "no stream 'x'; streams: none");
}

Test(exposure_table, checks_name_and_injectable_before_the_request) {
  ExposureTable table;
  table.add("T", Dtype::f64, {8, 6});
  StreamControl control;
  control.every = 2;
  cr_expect(table.check_control("T", control).ok());
  cr_expect(table.check_control("U", control).code == Code::unknown_name);
  const Verdict refused = table.check_injection("T", "f64", Box{}, 8 * 6 * 8);
  cr_expect(refused.code == Code::not_permitted);
  cr_expect(has(refused.message, "does not take injections"), "%s", refused.message.c_str());
  table.find("T")->injectable = true;
  cr_expect(table.check_injection("T", "f64", Box{}, 8 * 6 * 8).ok());
  cr_expect(table.check_injection("T", "i32", Box{}, 8 * 6 * 4).code == Code::wrong_type);
}

Test(exposure_table, apply_control_changes_only_the_fields_set) {
  ExposureTable table;
  const SteeredStream& stream = table.add("T", Dtype::f64, {8, 6});
  cr_expect(stream.exposure.region == Box::all({8, 6}));
  StreamControl every;
  every.every = 3;
  table.apply_control("T", every, 10);
  cr_expect(stream.exposure.every == 3 && stream.exposure.phase == 10);
  cr_expect(stream.exposure.enabled && stream.exposure.since_iteration == 10);
  StreamControl off;
  off.enabled = false;
  off.region = Box{{1, 1}, {2, 2}};
  table.apply_control("T", off, 12);
  cr_expect(!stream.exposure.enabled && stream.exposure.every == 3);
  cr_expect(stream.exposure.region == (Box{{1, 1}, {2, 2}}));
  cr_expect(!stream.exposure.publishes(13) && stream.exposure.since_iteration == 12);
}

Test(exposure_table, an_injection_is_cut_to_this_ranks_block) {
  ExposureTable table;
  SteeredStream& stream = table.add("T", Dtype::i32, {4, 4});
  stream.block = Box{{2, 0}, {2, 4}};  // rows 2 and 3
  // Rows 1..2, columns 1..2: values 10 * row + column.
  const Box region{{1, 1}, {2, 2}};
  std::vector<std::int32_t> values = {11, 12, 21, 22};
  table.apply_injection("T", region, std::as_bytes(std::span(values)), 5);
  cr_assert_eq(stream.injections.size(), 1u);
  const Injection& mine = stream.injections.front();
  cr_expect(mine.region == (Box{{2, 1}, {1, 2}}));
  cr_expect_eq(mine.iteration, 5);
  cr_assert_eq(mine.data.size(), 2 * sizeof(std::int32_t));
  std::int32_t got[2] = {};
  std::memcpy(got, mine.data.data(), sizeof(got));
  cr_expect(got[0] == 21 && got[1] == 22);
  // A region that misses the block leaves nothing here.
  table.apply_injection("T", Box{{0, 0}, {1, 1}}, std::as_bytes(std::span(values).first(1)), 6);
  cr_expect_eq(stream.injections.size(), 1u);
}
