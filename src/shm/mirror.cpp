#include "mirror.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <new>

#include "../core/box_copy.hpp"
#include "process.hpp"
#include "sluice/core/log.hpp"

namespace sluice::shm::detail {

namespace {

StreamHeader& header_of(const Mapping& mapping) {
  return *reinterpret_cast<StreamHeader*>(mapping.base());
}

void copy_name(char* to, std::size_t capacity, const std::string& from) {
  const std::size_t n = std::min(from.size(), capacity - 1);
  std::memcpy(to, from.data(), n);
  to[n] = '\0';
}

}  // namespace

JobLock create_job_segments(const std::string& job, const std::vector<MirroredStream>& streams) {
  remove_stale_jobs();
  const int count = static_cast<int>(std::min<std::size_t>(streams.size(), max_streams));
  if (streams.size() > max_streams) {
    log::warn("only the first ", max_streams, " streams are visible to external readers");
  }
  for (int n = 0; n < count; ++n) {
    const MirroredStream& stream = streams[static_cast<std::size_t>(n)];
    const int blocks = static_cast<int>(stream.blocks.size());
    std::size_t bytes = stream_header_bytes(blocks);
    std::vector<std::uint64_t> offsets;  // of each block's first slot
    std::vector<std::uint64_t> slot_bytes;
    const std::size_t element_bytes = dtype_size(stream.dtype);
    for (const auto& block : stream.blocks) {
      const auto elements = static_cast<std::size_t>(block.elements());
      offsets.push_back(bytes);
      slot_bytes.push_back((elements * element_bytes + 63) / 64 * 64);
      bytes += slot_bytes.back() * mirror_depth;
    }
    Mapping mapping = create_segment(stream_segment_name(job, n), bytes);
    auto* header = new (mapping.base()) StreamHeader{};
    copy_name(header->name, max_name, stream.name);
    copy_name(header->dtype, sizeof(header->dtype), std::string(dtype_name(stream.dtype)));
    header->element_bytes = static_cast<std::uint32_t>(element_bytes);
    header->dims = static_cast<std::int32_t>(stream.shape.size());
    std::copy(stream.shape.begin(), stream.shape.end(), header->shape);
    header->blocks = blocks;
    for (int b = 0; b < blocks; ++b) {
      auto* record = new (&header->block[b]) BlockRecord{};
      const Box& block = stream.blocks[static_cast<std::size_t>(b)];
      std::copy(block.start.begin(), block.start.end(), record->start);
      std::copy(block.count.begin(), block.count.end(), record->count);
      record->data_bytes = slot_bytes[static_cast<std::size_t>(b)];
      for (int slot = 0; slot < mirror_depth; ++slot) {
        record->slot[slot].data_offset = offsets[static_cast<std::size_t>(b)] +
                                         record->data_bytes * static_cast<std::uint64_t>(slot);
        record->slot[slot].iteration.store(-1);
      }
    }
    header->magic = stream_magic;
  }
  Mapping directory = create_segment(directory_name(job), sizeof(DirectoryHeader));
  JobLock lock(job);  // before the magic: a job that can be seen is never stale
  auto* header = new (directory.base()) DirectoryHeader{};
  header->creator = this_process();
  header->started_unix = static_cast<std::int64_t>(std::time(nullptr));
  header->stream_count = count;
  for (int n = 0; n < count; ++n) {
    copy_name(header->names[n], max_name, streams[static_cast<std::size_t>(n)].name);
  }
  std::atomic_thread_fence(std::memory_order_release);
  header->magic = directory_magic;  // last: a reader seeing it sees the rest
  log::info("external readers attach with: sluice-tap --job ", job, " list");
  return lock;
}

void finish_job_segments(const std::string& job, int streams) {
  if (auto directory = open_segment(directory_name(job), true)) {
    reinterpret_cast<DirectoryHeader*>(directory->base())->finished.store(1);
  }
  remove_job(job, streams);
}

std::unique_ptr<StreamMirror> StreamMirror::open(const std::string& job, int stream,
                                                 const std::vector<std::int64_t>& block_start) {
  auto mapping = open_segment(stream_segment_name(job, stream), true);
  if (!mapping) {
    log::warn("stream segment ", stream_segment_name(job, stream),
              " cannot be opened: external readers will not see this rank's block");
    return nullptr;
  }
  StreamHeader& header = header_of(*mapping);
  for (int b = 0; b < header.blocks; ++b) {
    if (std::equal(block_start.begin(), block_start.end(), header.block[b].start)) {
      // The start time first, the pid last: a reader that sees the pid sees both.
      const ProcessId self = this_process();
      header.block[b].producer.start_ticks = self.start_ticks;
      std::atomic_ref<std::int64_t>(header.block[b].producer.pid)
          .store(self.pid, std::memory_order_release);
      return std::unique_ptr<StreamMirror>(new StreamMirror(std::move(*mapping), b));
    }
  }
  return nullptr;
}

void StreamMirror::write(std::int64_t iteration, const std::byte* local, const Extents& local_shape,
                         const Extents& local_offset, const Box& exposed) {
  StreamHeader& header = header_of(m_mapping);
  // Nobody ever tapped: one atomic load, not even a clock read, on the commit path.
  const std::uint64_t seen = header.reader_heartbeat_ns.load(std::memory_order_relaxed);
  if (seen == 0) {
    return;
  }
  const std::uint64_t now = monotonic_ns();
  // (A heartbeat written after `now` was read is fresh too.)
  if (now > seen && now - seen > heartbeat_ns) {
    return;  // nobody is looking
  }
  BlockRecord& block = header.block[m_block];
  MirrorSlot& slot = block.slot[m_copies % mirror_depth];
  const auto dims = static_cast<std::size_t>(header.dims);
  const Box owned{Extents(block.start, block.start + dims),
                  Extents(block.count, block.count + dims)};
  // The part of the block inside the exposed region (nothing to copy if they do not meet).
  const Box part = owned.intersect(exposed);
  Extents in_block(dims);
  Extents in_local(dims);
  for (std::size_t d = 0; d < dims; ++d) {
    in_block[d] = part.start[d] - owned.start[d];
    in_local[d] = local_offset[d] + in_block[d];
  }
  // Seqlock: odd while the data changes; readers retry what overlaps it.
  const std::uint64_t seq = slot.seq.load(std::memory_order_relaxed);
  slot.seq.store(seq + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  for (std::size_t d = 0; d < dims; ++d) {
    slot.exposed_start[d] = exposed.start[d];
    slot.exposed_count[d] = exposed.count[d];
  }
  if (!part.empty()) {
    sluice::detail::copy_box(m_mapping.base() + slot.data_offset, owned.count, in_block, local,
                             local_shape, in_local, part.count, header.element_bytes);
  }
  slot.iteration.store(iteration, std::memory_order_relaxed);
  slot.seq.store(seq + 2, std::memory_order_release);
  const std::uint64_t last = block.last_commit_ns.exchange(now, std::memory_order_relaxed);
  if (last != 0) {
    const std::uint64_t period = block.period_ns.load(std::memory_order_relaxed);
    block.period_ns.store(period == 0 ? now - last : (period * 7 + (now - last)) / 8,
                          std::memory_order_relaxed);
  }
  ++m_copies;
  // Sequentially consistent, with the reader's waiters increment and writes load:
  // either it sees this write, or this sees it waiting.
  header.writes.fetch_add(1);
  if (header.waiters.load() != 0) {
    futex_wake_all(header.writes);
  }
}

void StreamMirror::close() {
  StreamHeader& header = header_of(m_mapping);
  header.block[m_block].closed.store(1, std::memory_order_release);
  header.writes.fetch_add(1, std::memory_order_release);
  futex_wake_all(header.writes);
}

}  // namespace sluice::shm::detail
