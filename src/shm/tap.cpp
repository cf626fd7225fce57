// The external reader's side (see sluice/shm/tap.hpp and segment.hpp).
#include "sluice/shm/tap.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <optional>

#include "../core/box_copy.hpp"
#include "node_directory.hpp"
#include "process.hpp"
#include "sluice/core/error.hpp"

namespace sluice::shm {

using namespace detail;

std::string_view tap_status_name(TapStatus status) noexcept {
  switch (status) {
    case TapStatus::ok:
      return "ok";
    case TapStatus::timeout:
      return "timeout";
    case TapStatus::end_of_stream:
      return "end_of_stream";
    case TapStatus::producer_gone:
      return "producer_gone";
  }
  return "unknown";
}

std::int64_t TapStreamInfo::elements() const noexcept { return product(shape); }

namespace {

std::string text_of(const char* field, std::size_t capacity) {
  return std::string(field, strnlen(field, capacity));
}

// A job as its directory shows it: its streams' names and segment numbers.
struct JobDirectory {
  TapJob job;
  std::vector<int> segments;  // of job.streams, in the same order
};

std::optional<JobDirectory> read_job(const std::string& id) {
  const auto mapping = open_segment(directory_name(id), false);
  if (!mapping || mapping->size() < sizeof(DirectoryHeader)) {
    return std::nullopt;
  }
  const auto* header = reinterpret_cast<const DirectoryHeader*>(mapping->base());
  if (header->magic != directory_magic) {
    return std::nullopt;
  }
  JobDirectory directory;
  TapJob& job = directory.job;
  job.id = id;
  job.pid = header->creator.pid;
  job.started_unix = header->started_unix;
  job.alive = job_is_running(id);
  job.finished = header->finished.load() != 0;
  for (int n = 0; n < std::min(header->claimed.load(), max_streams); ++n) {
    if (header->ready[n].load(std::memory_order_acquire) != 0) {
      job.streams.push_back(text_of(header->names[n], max_name));
      directory.segments.push_back(n);
    }
  }
  return directory;
}

}  // namespace

std::vector<TapJob> list_jobs() {
  std::vector<TapJob> jobs;
  for (const auto& id : jobs_on_node()) {
    if (auto directory = read_job(id)) {
      jobs.push_back(std::move(directory->job));
    }
  }
  return jobs;
}

struct Tap::State {
  TapStreamInfo info;
  Mapping mapping;

  [[nodiscard]] StreamHeader& header() const {
    return *reinterpret_cast<StreamHeader*>(mapping.base());
  }
  void heartbeat() const {
    header().reader_heartbeat_ns.store(monotonic_ns(), std::memory_order_relaxed);
  }
  // ok with the newest common iteration, or why there is none to come.
  [[nodiscard]] TapRead progress() const {
    const StreamHeader& h = header();
    TapRead read;
    bool all_closed = h.blocks > 0;
    std::int64_t newest = std::numeric_limits<std::int64_t>::max();
    for (int b = 0; b < h.blocks; ++b) {
      const BlockRecord& block = h.block[b];
      const bool closed = block.closed.load(std::memory_order_acquire) != 0;
      all_closed = all_closed && closed;
      std::int64_t block_newest = -1;
      for (const auto& slot : block.slot) {
        block_newest = std::max(block_newest, slot.iteration.load(std::memory_order_acquire));
      }
      newest = std::min(newest, block_newest);
      // The pid is published last (release): seeing it, the start time is there too.
      ProcessId producer;
      producer.pid =
          std::atomic_ref<const std::int64_t>(block.producer.pid).load(std::memory_order_acquire);
      producer.start_ticks = block.producer.start_ticks;
      if (!closed && producer.pid != 0 && !is_alive(producer)) {
        read.status = TapStatus::producer_gone;
      }
    }
    read.iteration = h.blocks > 0 ? newest : -1;
    if (read.status != TapStatus::producer_gone && all_closed) {
      read.status = TapStatus::end_of_stream;
    }
    return read;
  }
};

Tap::Tap(std::string_view job_id, std::string_view stream) : m_state(std::make_unique<State>()) {
  const std::string asked = "tapping stream '" + std::string(stream) + "'";
  std::string job(job_id);
  if (job.empty()) {
    std::vector<std::string> running;
    for (const auto& candidate : list_jobs()) {
      if (candidate.alive && !candidate.finished) {
        running.push_back(candidate.id);
      }
    }
    if (running.size() != 1) {
      std::string ids;
      for (const auto& id : running) {
        ids += (ids.empty() ? "" : ", ") + id;
      }
      throw NotFound(asked,
                     running.empty() ? "no running sluice job on this node"
                                     : "several sluice jobs run on this node: " + ids,
                     running.empty() ? "start one, or check it runs on this node as this user"
                                     : "name one with its job id (sluice-tap list)");
    }
    job = running.front();
  }
  const auto directory = read_job(job);
  if (!directory) {
    throw NotFound(asked, "no sluice job '" + job + "' on this node",
                   "sluice-tap list shows the jobs there are");
  }
  const auto& streams = directory->job.streams;
  const auto found = std::find(streams.begin(), streams.end(), stream);
  if (found == streams.end()) {
    std::string names;
    for (const auto& name : streams) {
      names += (names.empty() ? "" : ", ") + name;
    }
    throw NotFound(asked, "job " + job + " has no such stream",
                   "its streams: " + (names.empty() ? std::string("none") : names));
  }
  const int index = directory->segments[static_cast<std::size_t>(found - streams.begin())];
  auto mapping = open_segment(stream_segment_name(job, index), true);
  if (!mapping || mapping->size() < sizeof(StreamHeader) ||
      reinterpret_cast<const StreamHeader*>(mapping->base())->magic != stream_magic) {
    throw InvalidArgument(asked, "the segment " + stream_segment_name(job, index) +
                                     " is not a sluice stream (or the job is ending)");
  }
  m_state->mapping = std::move(*mapping);
  const StreamHeader& h = m_state->header();
  TapStreamInfo& info = m_state->info;
  info.job = job;
  info.name = text_of(h.name, max_name);
  const auto dtype = parse_dtype(text_of(h.dtype, sizeof(h.dtype)));
  if (!dtype || dtype_size(*dtype) != h.element_bytes) {
    throw InvalidArgument(asked, "the segment " + stream_segment_name(job, index) +
                                     " names an element type this sluice does not know");
  }
  info.dtype = *dtype;
  info.shape.assign(h.shape, h.shape + h.dims);
  for (int b = 0; b < h.blocks; ++b) {
    info.blocks.push_back({Extents(h.block[b].start, h.block[b].start + h.dims),
                           Extents(h.block[b].count, h.block[b].count + h.dims)});
  }
  m_state->heartbeat();
}

Tap::Tap(Tap&&) noexcept = default;
Tap& Tap::operator=(Tap&&) noexcept = default;
Tap::~Tap() = default;

const TapStreamInfo& Tap::info() const noexcept { return m_state->info; }

std::int64_t Tap::newest_iteration() const {
  m_state->heartbeat();
  return m_state->progress().iteration;
}

double Tap::rate_hz() const {
  const StreamHeader& h = m_state->header();
  const std::uint64_t period = h.blocks > 0 ? h.block[0].period_ns.load() : 0;
  return period == 0 ? 0.0 : 1e9 / static_cast<double>(period);
}

TapRead Tap::wait_next(std::int64_t after, std::chrono::milliseconds timeout) {
  State& s = *m_state;
  StreamHeader& h = s.header();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    s.heartbeat();
    const std::uint32_t writes = h.writes.load();
    TapRead now = s.progress();
    if (now.iteration > after) {
      now.status = TapStatus::ok;
      return now;
    }
    if (now.status == TapStatus::end_of_stream || now.status == TapStatus::producer_gone) {
      return now;
    }
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds(0)) {
      now.status = TapStatus::timeout;
      return now;
    }
    // Sleep until a producer writes; wake up every half second all the same, to keep
    // the heartbeat fresh and notice a producer that died.
    h.waiters.fetch_add(1);
    if (h.writes.load() == writes) {
      futex_wait(h.writes, writes,
                 std::min<std::chrono::nanoseconds>(left, std::chrono::milliseconds(500)));
    }
    h.waiters.fetch_sub(1);
  }
}

TapRead Tap::read_latest(const Box& asked_box, void* into, std::size_t bytes,
                         std::chrono::milliseconds timeout) {
  State& s = *m_state;
  const TapStreamInfo& info = s.info;
  const std::string asked = "reading stream '" + info.name + "' of job " + info.job;
  const std::size_t dims = info.shape.size();
  const Box box = asked_box.resolved(info.shape);
  if (const auto problem = box.check_within(info.shape); !problem.empty()) {
    throw InvalidArgument(asked, problem);
  }
  const std::size_t element_bytes = dtype_size(info.dtype);
  const std::int64_t elements = box.elements();
  if (bytes != static_cast<std::size_t>(elements) * element_bytes) {
    throw InvalidArgument(asked,
                          "the buffer has " + std::to_string(bytes) + " bytes; the box " +
                              std::to_string(static_cast<std::size_t>(elements) * element_bytes));
  }
  // The parts of the box each block of this node holds.
  struct Part {
    int block;
    Box held;          // in global coordinates
    Extents in_block;  // where it starts in the block
    Extents in_box;    // where it starts in the box
  };
  std::vector<Part> parts;
  std::int64_t covered = 0;
  StreamHeader& h = s.header();
  for (int b = 0; b < h.blocks; ++b) {
    const Box& block = info.blocks[static_cast<std::size_t>(b)];
    Part part{b, box.intersect(block), Extents(dims), Extents(dims)};
    if (part.held.empty()) {
      continue;
    }
    for (std::size_t d = 0; d < dims; ++d) {
      part.in_block[d] = part.held.start[d] - block.start[d];
      part.in_box[d] = part.held.start[d] - box.start[d];
    }
    covered += part.held.elements();
    parts.push_back(std::move(part));
  }
  if (covered != elements) {
    throw InvalidArgument(asked, "the box is not all held by producers on this node",
                          "tap the node that runs them, or choose a box they hold");
  }
  // Steering may have narrowed what the producers expose: only that part of their
  // blocks was copied, and a box reaching outside it cannot be read.
  auto check_exposed = [&](const std::vector<Part>& read,
                           const std::vector<const MirrorSlot*>& slots) {
    for (std::size_t i = 0; i < read.size(); ++i) {
      const Box exposed{Extents(slots[i]->exposed_start, slots[i]->exposed_start + dims),
                        Extents(slots[i]->exposed_count, slots[i]->exposed_count + dims)};
      if (!exposed.contains(read[i].held)) {
        const std::string region = exposed.describe();
        throw InvalidArgument(asked, "steering narrowed what the stream exposes to " + region,
                              "read a region inside it (--region " + region + ")");
      }
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto* out = static_cast<std::byte*>(into);
  std::vector<const MirrorSlot*> chosen(parts.size());
  std::vector<std::uint64_t> seqs(parts.size());
  for (;;) {
    s.heartbeat();
    const std::uint32_t writes = h.writes.load();
    // The newest iteration every block the box needs still holds in a slot that is
    // not being written; then the seqlock: the same sequences after the copy.
    std::int64_t iteration = -1;
    for (const auto& candidate : h.block[parts.front().block].slot) {
      const std::int64_t it = candidate.iteration.load(std::memory_order_acquire);
      if (it <= iteration) {
        continue;
      }
      bool everywhere = true;
      for (std::size_t i = 0; i < parts.size() && everywhere; ++i) {
        chosen[i] = nullptr;
        for (const auto& slot : h.block[parts[i].block].slot) {
          const std::uint64_t seq = slot.seq.load(std::memory_order_acquire);
          if (seq % 2 == 0 && slot.iteration.load(std::memory_order_acquire) == it) {
            chosen[i] = &slot;
            seqs[i] = seq;
          }
        }
        everywhere = chosen[i] != nullptr;
      }
      if (everywhere) {
        iteration = it;
      }
    }
    if (iteration >= 0) {
      // `chosen` may hold a later candidate's slots: find this iteration's again.
      bool whole_read = true;
      for (std::size_t i = 0; i < parts.size(); ++i) {
        chosen[i] = nullptr;
        for (const auto& slot : h.block[parts[i].block].slot) {
          const std::uint64_t seq = slot.seq.load(std::memory_order_acquire);
          if (seq % 2 == 0 && slot.iteration.load(std::memory_order_acquire) == iteration) {
            chosen[i] = &slot;
            seqs[i] = seq;
          }
        }
        whole_read = whole_read && chosen[i] != nullptr;
      }
      if (whole_read) {
        for (std::size_t i = 0; i < parts.size(); ++i) {
          const Box& block = info.blocks[static_cast<std::size_t>(parts[i].block)];
          sluice::detail::copy_box(out, box.count, parts[i].in_box,
                                   s.mapping.base() + chosen[i]->data_offset, block.count,
                                   parts[i].in_block, parts[i].held.count, element_bytes);
        }
        std::atomic_thread_fence(std::memory_order_acquire);
        for (std::size_t i = 0; i < parts.size(); ++i) {
          whole_read = whole_read && chosen[i]->seq.load(std::memory_order_relaxed) == seqs[i] &&
                       chosen[i]->iteration.load(std::memory_order_relaxed) == iteration;
        }
        if (whole_read) {
          check_exposed(parts, chosen);
          return {TapStatus::ok, iteration};
        }
      }
    }
    const TapRead now = s.progress();
    // Closed by every producer with no iteration they all hold: none will come.
    if (now.status == TapStatus::producer_gone || now.status == TapStatus::end_of_stream) {
      return now;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return {TapStatus::timeout, now.iteration};
    }
    // Nothing copied yet (the producers start once they see us), no iteration common
    // to every block yet, or overtaken by a producer: wait for the next write (any
    // since this attempt began wakes us at once).
    h.waiters.fetch_add(1);
    if (h.writes.load() == writes) {
      futex_wait(h.writes, writes, std::chrono::milliseconds(50));
    }
    h.waiters.fetch_sub(1);
  }
}

}  // namespace sluice::shm
