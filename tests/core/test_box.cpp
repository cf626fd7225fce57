// The array vocabulary: Box (intersect, contains, check_within, describe, parse),
// Selection (clip, bounds) and part_in, as tables of cases.
#include <criterion/criterion.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "sluice/core/box.hpp"
#include "sluice/core/error.hpp"

using sluice::Box;
using sluice::Extents;
using sluice::Selection;

namespace {

struct IntersectCase {
  const char* what;
  Box a;
  Box b;
  Box expected;   // count 0 everywhere: no overlap
  bool contains;  // a.contains(b)
};

std::string text(const Box& box) { return box.describe(); }

}  // namespace

Test(box, intersect_and_contains_table) {
  const std::vector<IntersectCase> cases = {
      {"crossing", {{0, 0}, {4, 4}}, {{2, 2}, {4, 4}}, {{2, 2}, {2, 2}}, false},
      {"nested", {{0, 0}, {8, 8}}, {{2, 3}, {2, 2}}, {{2, 3}, {2, 2}}, true},
      {"same", {{1, 1}, {3, 3}}, {{1, 1}, {3, 3}}, {{1, 1}, {3, 3}}, true},
      {"touching rows", {{0, 0}, {4, 4}}, {{4, 0}, {4, 4}}, {{0, 0}, {0, 0}}, false},
      {"touching columns", {{0, 0}, {4, 4}}, {{0, 4}, {4, 4}}, {{0, 0}, {0, 0}}, false},
      {"apart", {{0}, {4}}, {{10}, {4}}, {{0}, {0}}, false},
      {"empty other", {{0, 0}, {4, 4}}, {{1, 1}, {0, 3}}, {{0, 0}, {0, 0}}, true},
      {"3d crossing",
       {{0, 0, 0}, {2, 3, 4}},
       {{1, 1, 1}, {5, 5, 5}},
       {{1, 1, 1}, {1, 2, 3}},
       false},
      {"1d inside", {{0}, {100}}, {{10}, {20}}, {{10}, {20}}, true},
  };
  for (const auto& c : cases) {
    const Box got = c.a.intersect(c.b);
    if (c.expected.empty()) {
      cr_expect(got.empty(), "%s: expected no overlap, got %s", c.what, text(got).c_str());
      cr_expect(!c.a.overlaps(c.b), "%s: overlaps()", c.what);
    } else {
      cr_expect(got == c.expected, "%s: got %s, expected %s", c.what, text(got).c_str(),
                text(c.expected).c_str());
      cr_expect(got == c.b.intersect(c.a), "%s: intersect is symmetric", c.what);
      cr_expect(c.a.overlaps(c.b), "%s: overlaps()", c.what);
    }
    cr_expect(c.a.contains(c.b) == c.contains, "%s: contains() is %d", c.what, c.contains);
  }
}

Test(box, rank_mismatch_is_an_error) {
  const Box a{{0, 0}, {4, 4}};
  const Box b{{0}, {4}};
  cr_assert_throw((void)a.intersect(b), sluice::InvalidArgument);
  cr_assert_throw((void)a.contains(b), sluice::InvalidArgument);
  try {
    (void)a.intersect(b);
  } catch (const sluice::InvalidArgument& e) {
    cr_assert_not_null(std::strstr(e.what(), "2 and 1 dimensions"), "%s", e.what());
  }
}

Test(box, elements_and_empty) {
  cr_assert_eq((Box{{0, 0}, {3, 4}}.elements()), 12);
  cr_assert_eq((Box{{0, 0}, {3, 0}}.elements()), 0);
  cr_assert_eq((Box{{0, 0}, {-1, 4}}.elements()), 0);
  cr_assert((Box{{5}, {0}}.empty()));
  cr_assert_eq(Box::all({7, 9}), (Box{{0, 0}, {7, 9}}));
}

Test(box, check_within_table) {
  const Extents shape{64, 512};
  struct Case {
    Box box;
    const char* problem;  // a piece of the message; null: valid
  };
  const std::vector<Case> cases = {
      {{{0, 0}, {64, 512}}, nullptr},
      {{{10, 20}, {1, 1}}, nullptr},
      {{{0}, {64}}, "has 1 dimension(s) but the array has 2 dimension(s): [64, 512]"},
      {{{0, 0}, {0, 512}}, "dimension 0 of the box 0:0,0:512 is empty"},
      {{{60, 0}, {8, 512}}, "dimension 0 of the box 60:68,0:512 lies outside [0, 64)"},
      {{{0, -1}, {4, 4}}, "dimension 1"},
      // A client's box may hold any int64s: start + count must not overflow, in the
      // check nor in the message (found by fuzz_thrift_request).
      {{{1, 0}, {INT64_MAX, 512}}, "dimension 0 of the box 1:1+9223372036854775807,0:512"},
      {{{-1, INT64_MAX}, {4, INT64_MAX}},
       "-1:3,9223372036854775807:9223372036854775807+9223372036854775807 lies outside"},
  };
  for (const auto& c : cases) {
    const std::string problem = c.box.check_within(shape);
    if (c.problem == nullptr) {
      cr_expect(problem.empty(), "%s: %s", text(c.box).c_str(), problem.c_str());
    } else {
      cr_expect(problem.find(c.problem) != std::string::npos, "%s: got '%s', expected '%s'",
                text(c.box).c_str(), problem.c_str(), c.problem);
    }
  }
}

Test(box, describe_and_parse_round_trip) {
  const std::vector<std::pair<const char*, Box>> cases = {
      {"0:64,0:512", {{0, 0}, {64, 512}}},
      {"3:4", {{3}, {1}}},
      {"-2:5,1:1,0:7", {{-2, 1, 0}, {7, 0, 7}}},
      {"all", {}},
  };
  for (const auto& [written, box] : cases) {
    cr_expect_eq(Box::parse(written), box, "parse(%s)", written);
    const std::string described = box.describe();  // kept: the macro reads it later
    cr_expect_str_eq(described.c_str(), written);
  }
  cr_assert((Box{}.resolved({4, 5}) == Box{{0, 0}, {4, 5}}));
  cr_assert((Box{{1}, {2}}.resolved({4}) == Box{{1}, {2}}));
}

Test(box, parse_errors_table) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"", "it is empty"},
      {"0:64,", "dimension 1 is not a range"},
      {"0-64", "dimension 0 is not a range"},
      {"0:64:2", "dimension 0 is not a range"},
      {"a:b", "two whole numbers"},
      {"0:64,x:3", "dimension 1 does not hold two whole numbers"},
      {"10:5", "ends before it starts"},
      {"0:99999999999999999999", "two whole numbers"},  // beyond int64
      {" 0:4", "two whole numbers"},
      // end - start past int64 (found by fuzzing: a signed overflow before)
      {"-9223372036854775808:1", "more elements than a 64-bit count"},
  };
  for (const auto& [written, problem] : cases) {
    try {
      (void)Box::parse(written);
      cr_expect_fail("'%s' was accepted", written);
    } catch (const sluice::InvalidArgument& e) {
      cr_expect(std::strstr(e.what(), problem) != nullptr, "'%s': got '%s', expected '%s'", written,
                e.what(), problem);
      cr_expect(std::strstr(e.what(), "like 0:64,0:512") != nullptr, "%s", e.what());
    }
  }
}

Test(selection, clip_and_part_in) {
  // Every second column of rows 0..9, clipped to rows 4..5 and columns 3..8.
  const Selection every_second{{0, 1}, {10, 5}, {1, 2}};  // columns 1, 3, 5, 7, 9
  const Selection clipped = every_second.clip({{4, 3}, {2, 6}});
  cr_assert_eq(clipped, (Selection{{4, 3}, {2, 3}, {1, 2}}));  // columns 3, 5, 7
  const auto part = sluice::part_in(every_second, {{4, 3}, {2, 6}});
  cr_assert_eq(part.result_start, (Extents{4, 1}));
  cr_assert_eq(part.count, (Extents{2, 3}));
  cr_assert_eq(part.box_start, (Extents{0, 0}));
  // Nothing selected inside: between two selected columns.
  const Selection none = every_second.clip({{0, 4}, {10, 1}});
  cr_assert_eq(none.count, (Extents{0, 0}));
  cr_assert(sluice::part_in(every_second, {{0, 4}, {10, 1}}).empty());
  cr_assert_eq(every_second.bounds(), (Box{{0, 1}, {10, 9}}));
  cr_assert_eq(Selection::of({{1, 2}, {3, 4}}), (Selection{{1, 2}, {3, 4}, {1, 1}}));
}

Test(selection, check_against_table) {
  const Extents shape{10, 10};
  cr_assert(Selection::all(shape).check_against(shape).empty());
  cr_assert((Selection{{0, 0}, {5, 5}, {2, 2}}.check_against(shape).empty()));
  cr_assert((Selection{{0, 0}, {6, 5}, {2, 2}}.check_against(shape).find("outside") !=
             std::string::npos));
  cr_assert(
      (Selection{{0}, {5}, {}}.check_against(shape).find("2 dimensions") != std::string::npos));
  cr_assert((Selection{{0, 0}, {0, 5}, {}}.check_against(shape).find("must be positive") !=
             std::string::npos));
}
