#include "setup.hpp"

#include <algorithm>
#include <cstring>

#include "sluice/mpi/check.hpp"

namespace sluice::channel::detail {
namespace {

void copy_extents(const Extents& from, std::int64_t (&to)[3]) {
  for (std::size_t d = 0; d < std::min<std::size_t>(from.size(), 3); ++d) {
    to[d] = from[d];
  }
}

Extents extents(const std::int64_t (&from)[3], int dims) { return Extents(from, from + dims); }

Layout layout_of(const SetupRecord& r) {
  return {extents(r.global_shape, r.dims), extents(r.block_start, r.dims),
          extents(r.block_count, r.dims), extents(r.local_shape, r.dims),
          extents(r.local_offset, r.dims)};
}

std::string rank_list(const std::vector<int>& ranks) {
  std::string text;
  for (int rank : ranks) {
    text += (text.empty() ? "" : ", ") + std::to_string(rank);
  }
  return text;
}

// Validates the simulation ranks' expose records; returns the error or fills `stream`.
std::string validate(const std::vector<SetupRecord>& records, StreamInfo& stream,
                     std::span<const int> simulation_ranks) {
  const SetupRecord& first = records.front();
  const std::string name = first.name;
  // Identity of the stream: every rank must expose the same thing at the same time.
  for (std::size_t i = 1; i < records.size(); ++i) {
    const SetupRecord& r = records[i];
    const std::string rank = "simulation rank " + std::to_string(i);
    if (name != r.name) {
      return rank + " exposed '" + std::string(r.name) + "' while simulation rank 0 exposed '" +
             name + "': every simulation rank must expose the same streams in the same order";
    }
    if (r.dtype != first.dtype) {
      return rank + " exposed it as " + std::string(dtype_name(static_cast<Dtype>(r.dtype))) +
             ", simulation rank 0 as " + std::string(dtype_name(static_cast<Dtype>(first.dtype)));
    }
    if (r.depth != first.depth || r.policy != first.policy) {
      return rank + " gave other options (depth, policy) than simulation rank 0";
    }
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (records[i].local_error[0] != '\0') {
      return "simulation rank " + std::to_string(i) + ": " + records[i].local_error;
    }
  }
  for (std::size_t i = 1; i < records.size(); ++i) {
    if (layout_of(records[i]).global_shape != layout_of(first).global_shape) {
      return "simulation rank " + std::to_string(i) + " gave the global shape " +
             to_string(layout_of(records[i]).global_shape) + ", simulation rank 0 gave " +
             to_string(layout_of(first).global_shape);
    }
  }
  // Blocks must tile the global array: no overlap, and their volumes add up.
  std::vector<Layout> layouts;
  for (const auto& r : records) {
    layouts.push_back(layout_of(r));
  }
  std::int64_t covered = 0;
  for (std::size_t i = 0; i < layouts.size(); ++i) {
    covered += layouts[i].block_elements();
    for (std::size_t j = i + 1; j < layouts.size(); ++j) {
      if (layouts[i].block_elements() > 0 && layouts[j].block_elements() > 0 &&
          layouts[i].block().overlaps(layouts[j].block())) {
        return "the blocks of simulation ranks " + std::to_string(i) + " (start " +
               to_string(layouts[i].block_start) + ", count " + to_string(layouts[i].block_count) +
               ") and " + std::to_string(j) + " (start " + to_string(layouts[j].block_start) +
               ", count " + to_string(layouts[j].block_count) + ") overlap";
      }
    }
  }
  const std::int64_t total = layouts.front().global_elements();
  if (covered != total) {
    return "the blocks cover " + std::to_string(covered) + " of the " + std::to_string(total) +
           " elements of the global shape " + to_string(layouts.front().global_shape) +
           ": there are gaps";
  }
  stream.name = name;
  stream.dtype = static_cast<Dtype>(first.dtype);
  stream.global_shape = layouts.front().global_shape;
  stream.options = {first.depth, static_cast<Policy>(first.policy)};
  for (std::size_t i = 0; i < layouts.size(); ++i) {
    if (layouts[i].block_elements() > 0) {
      stream.producers.push_back({simulation_ranks[i], layouts[i]});
    }
  }
  return {};
}

}  // namespace

std::string check_name(std::string_view name) {
  if (name.empty() || name.size() > max_name_length) {
    return "a stream name has 1 to " + std::to_string(max_name_length) + " characters";
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == '/';
    if (!ok) {
      return "a stream name uses letters, digits and _ - . / only";
    }
  }
  return {};
}

SetupRecord expose_record(std::string_view name, Dtype dtype, const Layout& layout,
                          const ChannelOptions& options) {
  SetupRecord r;
  r.kind = SetupKind::expose;
  r.dtype = static_cast<std::int32_t>(dtype);
  r.depth = options.depth;
  r.policy = static_cast<std::int32_t>(options.policy);
  std::memcpy(r.name, name.data(), std::min(name.size(), max_name_length));
  std::string problem = layout.check_local();
  if (problem.empty() && options.depth < 1) {
    problem = "depth is " + std::to_string(options.depth) + "; it must be at least 1";
  }
  if (problem.empty()) {
    const Layout l = layout.normalized();
    r.dims = static_cast<std::int32_t>(l.rank());
    copy_extents(l.global_shape, r.global_shape);
    copy_extents(l.block_start, r.block_start);
    copy_extents(l.block_count, r.block_count);
    copy_extents(l.local_shape, r.local_shape);
    copy_extents(l.local_offset, r.local_offset);
  } else {
    std::strncpy(r.local_error, problem.c_str(), sizeof(r.local_error) - 1);
  }
  return r;
}

SetupRecord start_record() {
  SetupRecord r;
  r.kind = SetupKind::start;
  return r;
}

SetupOutcome exchange(const mpi::Comm& world, const SetupRecord& mine,
                      std::span<const int> simulation_ranks) {
  std::vector<SetupRecord> all(static_cast<std::size_t>(world.size()));
  check_mpi(MPI_Allgather(&mine, sizeof(SetupRecord), MPI_BYTE, all.data(), sizeof(SetupRecord),
                          MPI_BYTE, world.get()),
            "MPI_Allgather", "exchanging stream set-up records");
  std::vector<SetupRecord> simulation;
  for (int rank : simulation_ranks) {
    simulation.push_back(all[static_cast<std::size_t>(rank)]);
  }
  SetupOutcome outcome;
  outcome.kind = simulation.front().kind;
  std::vector<int> disagreeing;
  for (std::size_t i = 0; i < simulation.size(); ++i) {
    if (simulation[i].kind != outcome.kind) {
      disagreeing.push_back(static_cast<int>(i));
    }
  }
  if (!disagreeing.empty()) {
    outcome.error = "simulation rank(s) " + rank_list(disagreeing) +
                    " did not take the same set-up step as simulation rank 0 (expose a stream, "
                    "or start publishing): every simulation rank must expose the same streams "
                    "in the same order";
    return outcome;
  }
  if (outcome.kind == SetupKind::expose) {
    outcome.error = validate(simulation, outcome.stream, simulation_ranks);
  }
  return outcome;
}

}  // namespace sluice::channel::detail
