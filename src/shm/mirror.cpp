#include "mirror.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <new>
#include <optional>
#include <thread>
#include <utility>

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

namespace {

DirectoryHeader& directory_of(const Mapping& mapping) {
  return *reinterpret_cast<DirectoryHeader*>(mapping.base());
}

// Waits (briefly) for the process creating the directory to finish writing it; with
// `created`, also for the name to appear (it is being created: it may still be empty).
std::optional<Mapping> open_directory(const std::string& job, bool created) {
  for (int attempt = 0; attempt < 2000; ++attempt) {
    auto mapping = open_segment(directory_name(job), true);
    if (!mapping) {
      if (!created) {
        return std::nullopt;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    if (mapping->size() >= sizeof(DirectoryHeader) &&
        std::atomic_ref<const std::uint64_t>(directory_of(*mapping).magic)
                .load(std::memory_order_acquire) == directory_magic) {
      return mapping;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::nullopt;
}

// Creates the directory; nullopt if another process of the job was first.
std::optional<Mapping> create_directory(const std::string& job) {
  const std::string name = directory_name(job);
  Mapping mapping;
  try {
    mapping.object = bip::shared_memory_object(bip::create_only, name.c_str(), bip::read_write,
                                               bip::permissions(0600));
  } catch (const bip::interprocess_exception& e) {
    if (e.get_error_code() == bip::already_exists_error) {
      return std::nullopt;
    }
    throw;
  }
  mapping.object.truncate(static_cast<bip::offset_t>(sizeof(DirectoryHeader)));
  mapping.region = bip::mapped_region(mapping.object, bip::read_write);
  auto* header = new (mapping.base()) DirectoryHeader{};
  header->creator = this_process();
  header->started_unix = static_cast<std::int64_t>(std::time(nullptr));
  return mapping;
}

void create_stream_segment(const std::string& job, int n, const MirroredStream& stream) {
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
  std::atomic_thread_fence(std::memory_order_release);
  header->magic = stream_magic;
}

}  // namespace

NodeSegments::NodeSegments(NodeSegments&& other) noexcept
    : m_job(std::exchange(other.m_job, {})),
      m_directory(std::move(other.m_directory)),
      m_lock(std::move(other.m_lock)) {}

NodeSegments& NodeSegments::operator=(NodeSegments&& other) noexcept {
  if (this != &other) {
    leave();
    m_job = std::exchange(other.m_job, {});
    m_directory = std::move(other.m_directory);
    m_lock = std::move(other.m_lock);
  }
  return *this;
}

NodeSegments NodeSegments::join(const std::string& job, std::uint32_t instance) {
  NodeSegments node;
  try {
    std::optional<Mapping> directory = open_directory(job, false);
    if (directory && directory_of(*directory).instance != instance &&
        directory_of(*directory).magic == directory_magic) {
      // Another job of the same id (SLUICE_JOB_ID): a crashed one's segments go; a
      // running one keeps its id, and this job runs on without external readers.
      if (job_is_running(job)) {
        log::warn("another running job on this node has the id '", job, "' (its process ",
                  directory_of(*directory).creator.pid,
                  " created it): external readers will not see this job's streams; give "
                  "each job its own SLUICE_JOB_ID");
        return NodeSegments{};
      }
      directory.reset();
      remove_stale_jobs();
      directory = open_directory(job, false);
    }
    if (!directory) {
      // The job's first process on this node: what crashed jobs left goes first.
      remove_stale_jobs();
      directory = create_directory(job);
      if (directory) {
        node.m_lock = JobLock(job);  // before the magic: a job that can be seen is never stale
        directory_of(*directory).instance = instance;
        std::atomic_ref<std::uint64_t>(directory_of(*directory).magic)
            .store(directory_magic, std::memory_order_release);
        log::info("external readers attach with: sluice-tap --job ", job, " list");
      } else {
        directory = open_directory(job, true);  // another process was first
      }
    }
    if (!directory) {
      log::warn("the directory of job ", job,
                " cannot be opened: external readers will not see this process's streams");
      return node;
    }
    if (!node.m_lock.held()) {
      node.m_lock = JobLock(job);
    }
    if (directory_of(*directory).finished.load() != 0) {
      log::warn("job ", job,
                " already closed its streams on this node: external readers "
                "will not see this process's streams");
      return NodeSegments{};
    }
    node.m_directory = std::move(*directory);
    node.m_job = job;
  } catch (const std::exception& e) {
    // External readers are a convenience: the job runs on without them.
    log::warn("external readers will not see this process's streams: ", e.what());
    return NodeSegments{};
  }
  return node;
}

int NodeSegments::add_stream(const MirroredStream& stream) {
  if (!joined()) {
    return -1;
  }
  DirectoryHeader& directory = directory_of(m_directory);
  const int n = directory.claimed.fetch_add(1);
  if (n >= max_streams) {
    log::warn("stream '", stream.name, "' is not visible to external readers: a job shows at most ",
              max_streams, " streams on a node");
    return -1;
  }
  try {
    create_stream_segment(m_job, n, stream);
  } catch (const std::exception& e) {
    log::warn("stream '", stream.name, "' is not visible to external readers: ", e.what());
    return -1;
  }
  copy_name(directory.names[n], max_name, stream.name);
  directory.ready[n].store(1, std::memory_order_release);  // last: readers see the rest
  return n;
}

int NodeSegments::find_stream(const std::string& name) const {
  if (!joined()) {
    return -1;
  }
  const DirectoryHeader& directory = directory_of(m_directory);
  const int count = std::min(directory.claimed.load(), max_streams);
  for (int n = 0; n < count; ++n) {
    if (directory.ready[n].load(std::memory_order_acquire) != 0 &&
        strncmp(directory.names[n], name.c_str(), max_name) == 0) {
      return n;
    }
  }
  return -1;
}

void NodeSegments::leave() {
  if (!joined()) {
    return;
  }
  m_lock = {};
  m_directory = {};
  finish_job_if_unheld(std::exchange(m_job, {}));
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
