#include "sluice/core/box.hpp"

#include <algorithm>
#include <charconv>

#include "sluice/core/error.hpp"

namespace sluice {

namespace {

// Floor and ceiling division for possibly negative numerators, positive divisors.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return -floor_div(-a, b); }

// The end of a range as text, also for a box a client sent whose start + count does not
// fit in an int64 (then written "start+count", which no valid box reaches).
std::string range_end(std::int64_t start, std::int64_t count) {
  std::int64_t end = 0;
  if (__builtin_add_overflow(start, count, &end)) {
    return std::to_string(start) + "+" + std::to_string(count);
  }
  return std::to_string(end);
}

void check_same_rank(const Box& a, const Box& b, std::string_view asked) {
  if (a.rank() != b.rank() || a.count.size() != a.rank() || b.count.size() != b.rank()) {
    throw InvalidArgument(std::string(asked) + " " + a.describe() + " and " + b.describe(),
                          "they have " + std::to_string(a.rank()) + " and " +
                              std::to_string(b.rank()) + " dimensions");
  }
}

bool parse_number(std::string_view text, std::int64_t& value) {
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  return !text.empty() && stop == end && error == std::errc{};
}

}  // namespace

std::int64_t product(const Extents& extents) noexcept {
  std::int64_t n = 1;
  for (const auto e : extents) {
    n *= e;
  }
  return n;
}

std::string to_string(const Extents& extents) {
  std::string text = "[";
  for (std::size_t d = 0; d < extents.size(); ++d) {
    text += (d == 0 ? "" : ", ") + std::to_string(extents[d]);
  }
  return text + "]";
}

// ---- Box -----------------------------------------------------------------------

Box Box::all(const Extents& shape) { return {Extents(shape.size(), 0), shape}; }

std::int64_t Box::elements() const noexcept {
  for (const auto c : count) {
    if (c <= 0) {
      return 0;
    }
  }
  return product(count);
}

Box Box::intersect(const Box& other) const {
  check_same_rank(*this, other, "intersecting");
  Box common{start, Extents(rank(), 0)};
  for (std::size_t d = 0; d < rank(); ++d) {
    const auto lo = std::max(start[d], other.start[d]);
    const auto hi = std::min(start[d] + count[d], other.start[d] + other.count[d]);
    if (lo >= hi) {
      return {start, Extents(rank(), 0)};
    }
    common.start[d] = lo;
    common.count[d] = hi - lo;
  }
  return common;
}

bool Box::contains(const Box& other) const {
  check_same_rank(*this, other, "comparing");
  if (other.empty()) {
    return true;
  }
  for (std::size_t d = 0; d < rank(); ++d) {
    if (other.start[d] < start[d] || other.start[d] + other.count[d] > start[d] + count[d]) {
      return false;
    }
  }
  return true;
}

std::string Box::check_within(const Extents& shape) const {
  if (start.size() != shape.size() || count.size() != shape.size()) {
    return "the box " + describe() + " has " + std::to_string(start.size()) +
           " dimension(s) but the array has " + std::to_string(shape.size()) +
           " dimension(s): " + to_string(shape);
  }
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (count[d] <= 0) {
      return "dimension " + std::to_string(d) + " of the box " + describe() + " is empty";
    }
    // count > shape - start rather than start + count > shape: the box may come from a
    // client (any two int64s), whose sum would overflow.
    if (start[d] < 0 || count[d] > shape[d] - start[d]) {
      return "dimension " + std::to_string(d) + " of the box " + describe() + " lies outside [0, " +
             std::to_string(shape[d]) + ")";
    }
  }
  return {};
}

std::string Box::describe() const {
  if (is_whole_marker()) {
    return "all";
  }
  std::string text;
  for (std::size_t d = 0; d < start.size() && d < count.size(); ++d) {
    text += (d ? "," : "") + std::to_string(start[d]) + ":" + range_end(start[d], count[d]);
  }
  return text;
}

Box Box::parse(std::string_view text) {
  const auto refuse = [&](std::string_view why) {
    return InvalidArgument("reading the box '" + std::string(text) + "'", std::string(why),
                           "write half-open ranges per dimension, like 0:64,0:512");
  };
  if (text.empty()) {
    throw refuse("it is empty");
  }
  if (text == "all") {
    return {};
  }
  Box box;
  for (std::size_t at = 0; at <= text.size();) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const std::string_view range = text.substr(at, comma - at);
    const std::size_t colon = range.find(':');
    std::int64_t first = 0;
    std::int64_t end = 0;
    if (colon == std::string_view::npos || range.find(':', colon + 1) != std::string_view::npos) {
      throw refuse("dimension " + std::to_string(box.rank()) + " is not a range a:b");
    }
    if (!parse_number(range.substr(0, colon), first) ||
        !parse_number(range.substr(colon + 1), end)) {
      throw refuse("dimension " + std::to_string(box.rank()) +
                   " does not hold two whole numbers in range");
    }
    if (end < first) {
      throw refuse("dimension " + std::to_string(box.rank()) + " ends before it starts");
    }
    std::int64_t count = 0;
    if (__builtin_sub_overflow(end, first, &count)) {
      throw refuse("dimension " + std::to_string(box.rank()) +
                   " holds more elements than a 64-bit count");
    }
    box.start.push_back(first);
    box.count.push_back(count);
    at = comma + 1;
  }
  return box;
}

// ---- Selection -----------------------------------------------------------------

Selection Selection::all(const Extents& shape) {
  return {Extents(shape.size(), 0), shape, Extents(shape.size(), 1)};
}

Selection Selection::of(const Box& box) { return {box.start, box.count, Extents(box.rank(), 1)}; }

Selection Selection::normalized() const {
  Selection s = *this;
  if (s.every.empty()) {
    s.every.assign(s.start.size(), 1);
  }
  return s;
}

std::string Selection::check_against(const Extents& shape) const {
  const Selection s = normalized();
  if (s.start.size() != shape.size() || s.count.size() != shape.size() ||
      s.every.size() != shape.size()) {
    return "the selection has start " + to_string(start) + ", count " + to_string(count) +
           " and every " + to_string(every) + " but the stream has " +
           std::to_string(shape.size()) + " dimensions " + to_string(shape);
  }
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const std::string where = "dimension " + std::to_string(d) + ": ";
    if (s.count[d] <= 0 || s.every[d] <= 0) {
      return where + "count " + std::to_string(s.count[d]) + " and every " +
             std::to_string(s.every[d]) + " must be positive";
    }
    const std::int64_t last = s.start[d] + (s.count[d] - 1) * s.every[d];
    if (s.start[d] < 0 || last >= shape[d]) {
      return where + "the selection reaches indices " + std::to_string(s.start[d]) + " to " +
             std::to_string(last) + ", outside the stream's [0, " + std::to_string(shape[d]) + ")";
    }
  }
  return {};
}

Box Selection::bounds() const {
  const Selection s = normalized();
  Box box{s.start, Extents(s.start.size(), 0)};
  for (std::size_t d = 0; d < s.start.size(); ++d) {
    box.count[d] = s.count[d] <= 0 ? 0 : (s.count[d] - 1) * s.every[d] + 1;
  }
  return box;
}

Selection Selection::clip(const Box& box) const {
  const SelectionPart part = part_in(*this, box);
  if (part.empty()) {
    return {start, Extents(count.size(), 0), every};
  }
  Selection clipped{Extents(count.size()), part.count, every};
  for (std::size_t d = 0; d < count.size(); ++d) {
    clipped.start[d] = start[d] + part.result_start[d] * every[d];
  }
  return clipped;
}

SelectionPart part_in(const Selection& selection, const Box& box) {
  SelectionPart part;
  const std::size_t dims = selection.start.size();
  for (std::size_t d = 0; d < dims; ++d) {
    const std::int64_t every = selection.every.empty() ? 1 : selection.every[d];
    const std::int64_t first = box.start[d];
    const std::int64_t last = box.start[d] + box.count[d] - 1;
    // Selected indices are start + j * every; find the j range inside [first, last].
    const std::int64_t j_lo =
        std::max<std::int64_t>(0, ceil_div(first - selection.start[d], every));
    const std::int64_t j_hi =
        std::min<std::int64_t>(selection.count[d] - 1, floor_div(last - selection.start[d], every));
    if (box.count[d] <= 0 || j_lo > j_hi) {
      return {};
    }
    part.result_start.push_back(j_lo);
    part.count.push_back(j_hi - j_lo + 1);
    part.box_start.push_back(selection.start[d] + j_lo * every - first);
  }
  return part;
}

}  // namespace sluice
