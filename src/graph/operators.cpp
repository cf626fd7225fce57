// The process's registry of user operators: written at registration, read when graphs
// compile (never per iteration: a compiled graph holds its own copies).
#include "sluice/graph/operators.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "sluice/core/error.hpp"

namespace sluice::graph {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, MapFunction, std::less<>> maps;
  std::map<std::string, ReductionFunctions, std::less<>> reductions;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

void check_new(const Registry& r, std::string_view name) {
  if (name.empty() || r.maps.contains(name) || r.reductions.contains(name)) {
    throw InvalidArgument("registering graph operator '" + std::string(name) + "'",
                          name.empty() ? "the name is empty" : "an operator has that name",
                          "give each operator its own name");
  }
}

}  // namespace

void register_map(std::string_view name, MapFunction function) {
  auto& r = registry();
  const std::lock_guard lock(r.mutex);
  check_new(r, name);
  if (!function) {
    throw InvalidArgument("registering graph operator '" + std::string(name) + "'",
                          "the function is empty", "give a callable");
  }
  r.maps.emplace(std::string(name), std::move(function));
}

void register_reduction(std::string_view name, ReductionFunctions functions) {
  auto& r = registry();
  const std::lock_guard lock(r.mutex);
  check_new(r, name);
  if (!functions.map || !functions.combine || functions.length == 0) {
    throw InvalidArgument(
        "registering graph reduction '" + std::string(name) + "'",
        functions.length == 0 ? "its partials have no element" : "map or combine is empty",
        "give a length of 1 or more, a map and a combine");
  }
  r.reductions.emplace(std::string(name), std::move(functions));
}

std::optional<MapFunction> find_map(std::string_view name) {
  auto& r = registry();
  const std::lock_guard lock(r.mutex);
  const auto found = r.maps.find(name);
  if (found == r.maps.end()) {
    return std::nullopt;
  }
  return found->second;
}

std::optional<ReductionFunctions> find_reduction(std::string_view name) {
  auto& r = registry();
  const std::lock_guard lock(r.mutex);
  const auto found = r.reductions.find(name);
  if (found == r.reductions.end()) {
    return std::nullopt;
  }
  return found->second;
}

std::vector<std::string> operator_names() {
  auto& r = registry();
  const std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, f] : r.maps) {
    names.push_back(name);
  }
  for (const auto& [name, f] : r.reductions) {
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace sluice::graph
