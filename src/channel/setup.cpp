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

// "simulation rank 1" or "simulation rank 1, block 3" for messages.
std::string label(std::string_view member, int process, const SetupRecord& r, bool several) {
  std::string text = std::string(member) + " " + std::to_string(process);
  if (several) {
    text += ", block " + std::to_string(r.block);
  }
  return text;
}

// Validates the group's records (`process[i]`: the group rank of record i); returns
// the error or fills `stream`.
std::string validate(const std::vector<SetupRecord>& records, const std::vector<int>& process,
                     StreamInfo& stream, std::string_view member) {
  const SetupRecord& first = records.front();
  const std::string name = first.name;
  const std::string first_member = std::string(member) + " 0";
  // Identity of the stream: every process must expose the same thing at the same time.
  for (std::size_t i = 1; i < records.size(); ++i) {
    const SetupRecord& r = records[i];
    const std::string who = std::string(member) + " " + std::to_string(process[i]);
    if (name != r.name) {
      return who + " exposed '" + std::string(r.name) + "' while " + first_member + " exposed '" +
             name + "': every " + std::string(member) +
             " must expose the same streams in the same order";
    }
    if (r.dtype != first.dtype) {
      return who + " exposed it as " + std::string(dtype_name(static_cast<Dtype>(r.dtype))) + ", " +
             first_member + " as " + std::string(dtype_name(static_cast<Dtype>(first.dtype)));
    }
    if (r.depth != first.depth || r.policy != first.policy) {
      return who + " gave other options (depth, policy) than " + first_member;
    }
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (records[i].local_error[0] != '\0') {
      return std::string(member) + " " + std::to_string(process[i]) + ": " + records[i].local_error;
    }
  }
  std::vector<std::size_t> blocks;  // records that hold a block
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (records[i].block >= 0) {
      blocks.push_back(i);
    }
  }
  if (blocks.empty()) {
    return "no " + std::string(member) + " gave a block of the stream";
  }
  const Layout reference = layout_of(records[blocks.front()]);
  for (std::size_t i : blocks) {
    if (layout_of(records[i]).global_shape != reference.global_shape) {
      return std::string(member) + " " + std::to_string(process[i]) + " gave the global shape " +
             to_string(layout_of(records[i]).global_shape) + ", " + std::string(member) + " " +
             std::to_string(process[blocks.front()]) + " gave " + to_string(reference.global_shape);
    }
  }
  // Blocks must tile the global array: no overlap, and their volumes add up.
  const bool several =
      std::any_of(records.begin(), records.end(), [](const SetupRecord& r) { return r.block > 0; });
  std::vector<Box> boxes;
  for (std::size_t i : blocks) {
    boxes.push_back(layout_of(records[i]).block());
  }
  std::int64_t covered = 0;
  for (std::size_t a = 0; a < boxes.size(); ++a) {
    covered += boxes[a].elements();
    for (std::size_t b = a + 1; b < boxes.size(); ++b) {
      if (!boxes[a].empty() && !boxes[b].empty() && boxes[a].overlaps(boxes[b])) {
        const auto& ra = records[blocks[a]];
        const auto& rb = records[blocks[b]];
        return "the blocks of " + label(member, process[blocks[a]], ra, several) + " (" +
               boxes[a].describe() + ") and " + label(member, process[blocks[b]], rb, several) +
               " (" + boxes[b].describe() + ") overlap";
      }
    }
  }
  const std::int64_t total = reference.global_elements();
  if (covered != total) {
    return "the blocks cover " + std::to_string(covered) + " of the " + std::to_string(total) +
           " elements of the global shape " + to_string(reference.global_shape) +
           ": there are gaps";
  }
  stream.name = name;
  stream.dtype = static_cast<Dtype>(first.dtype);
  stream.global_shape = reference.global_shape;
  stream.options = {first.depth, static_cast<Policy>(first.policy)};
  for (std::size_t i : blocks) {
    const SetupRecord& r = records[i];
    const Layout layout = layout_of(r);
    if (layout.block_elements() > 0) {
      stream.producers.push_back(
          {r.world_rank, layout, r.block, r.window_offset_bytes, r.offset_bytes, r.slot_bytes});
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

std::vector<SetupRecord> expose_records(std::string_view name, Dtype dtype,
                                        std::span<const Layout> blocks,
                                        const ChannelOptions& options, int world_rank,
                                        std::string problem) {
  SetupRecord common;
  common.dtype = static_cast<std::int32_t>(dtype);
  common.depth = options.depth;
  common.policy = static_cast<std::int32_t>(options.policy);
  common.world_rank = world_rank;
  std::memcpy(common.name, name.data(), std::min(name.size(), max_name_length));
  if (problem.empty() && options.depth < 1) {
    problem = "depth is " + std::to_string(options.depth) + "; it must be at least 1";
  }
  std::vector<SetupRecord> records;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    SetupRecord r = common;
    r.block = static_cast<std::int32_t>(b);
    std::string local = blocks[b].check_local();
    if (local.empty() && b > 0 && blocks[b].global_shape != blocks[0].global_shape) {
      local = "its blocks give different global shapes";
    }
    if (!local.empty() && problem.empty()) {
      problem = blocks.size() > 1 ? "block " + std::to_string(b) + ": " + local : local;
    }
    if (local.empty()) {
      const Layout l = blocks[b].normalized();
      r.dims = static_cast<std::int32_t>(l.rank());
      copy_extents(l.global_shape, r.global_shape);
      copy_extents(l.block_start, r.block_start);
      copy_extents(l.block_count, r.block_count);
      copy_extents(l.local_shape, r.local_shape);
      copy_extents(l.local_offset, r.local_offset);
    }
    records.push_back(r);
  }
  if (records.empty()) {
    records.push_back(common);  // owns no block
  }
  if (!problem.empty()) {
    std::strncpy(records.front().local_error, problem.c_str(),
                 sizeof(records.front().local_error) - 1);
  }
  return records;
}

SetupOutcome exchange(const mpi::Comm& group, std::span<const SetupRecord> mine,
                      std::string_view member) {
  const int size = group.size();
  const int my_count = static_cast<int>(mine.size() * sizeof(SetupRecord));
  std::vector<int> counts(static_cast<std::size_t>(size));
  check_mpi(MPI_Allgather(&my_count, 1, MPI_INT, counts.data(), 1, MPI_INT, group.get()),
            "MPI_Allgather", "exchanging how many blocks each producer exposes");
  std::vector<int> displacements(static_cast<std::size_t>(size), 0);
  for (int p = 1; p < size; ++p) {
    displacements[static_cast<std::size_t>(p)] =
        displacements[static_cast<std::size_t>(p - 1)] + counts[static_cast<std::size_t>(p - 1)];
  }
  const std::size_t total_bytes =
      static_cast<std::size_t>(displacements.back()) + static_cast<std::size_t>(counts.back());
  std::vector<SetupRecord> all(total_bytes / sizeof(SetupRecord));
  check_mpi(MPI_Allgatherv(mine.data(), my_count, MPI_BYTE, all.data(), counts.data(),
                           displacements.data(), MPI_BYTE, group.get()),
            "MPI_Allgatherv", "exchanging the blocks of a stream");
  std::vector<int> process;
  for (int p = 0; p < size; ++p) {
    const auto records =
        static_cast<std::size_t>(counts[static_cast<std::size_t>(p)]) / sizeof(SetupRecord);
    process.insert(process.end(), records, p);
  }
  SetupOutcome outcome;
  outcome.error = validate(all, process, outcome.stream, member);
  return outcome;
}

}  // namespace sluice::channel::detail
