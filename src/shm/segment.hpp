#pragma once
// Private: the layout of sluice's shared-memory segments on a node, which processes
// outside the MPI job map by name (Boost.Interprocess shared_memory_object, that is
// /dev/shm/<name> on Linux).
//
//   sluice-<job>        the job's directory on this node: who created it, and its streams
//   sluice-<job>-<n>    stream n's mirror on this node: its description, then one
//                       record and one data area per producing rank of this node
//
// Segments are created readable and writable by the job's user only. Every word
// that one process writes while another reads is a lock-free std::atomic; each of a
// block's mirror slots is guarded by a seqlock (odd while being written). The producers never
// wait for a reader: readers only write their heartbeat and the waiter count.
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace sluice::shm::detail {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::int64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

inline constexpr std::uint64_t directory_magic = 0x736c756963654432;  // "sluiceD2"
inline constexpr std::uint64_t stream_magic = 0x736c756963655331;     // "sluiceS1"
inline constexpr int max_streams = 64;
inline constexpr int max_name = 128;
inline constexpr int max_dims = 3;

// Identifies a process across pid reuse: its pid and its start time since boot
// (/proc/<pid>/stat, field 22).
struct ProcessId {
  std::int64_t pid = 0;
  std::uint64_t start_ticks = 0;
};

// Streams join the directory one at a time, whenever a process of the job exposes
// one (before the simulation starts or while it runs: a graph's derived streams): the
// process claims entry n (`claimed`), creates segment n, writes names[n], then raises
// ready[n]. Readers list only the ready entries.
struct DirectoryHeader {
  std::uint64_t magic;
  ProcessId creator;          // the first process of the job on this node to expose a stream
  std::int64_t started_unix;  // seconds
  std::atomic<std::int32_t> claimed;  // entries taken (may exceed max_streams: refused)
  std::uint32_t instance;             // which job of that id (SLUICE_JOB_ID may name two alike)
  char names[max_streams][max_name];  // NUL-terminated; stream n is names[n]
  std::atomic<std::uint32_t> ready[max_streams];  // 1 once names[n] and its segment are whole
  std::atomic<std::uint64_t> finished;            // 1 once the job closed its streams
};

// Each producer keeps its last `mirror_depth` iterations: producers of a node are not
// in lockstep, and a read is whole only in an iteration every block still holds.
inline constexpr int mirror_depth = 3;

struct MirrorSlot {
  std::atomic<std::uint64_t> seq;       // seqlock: odd while the data is written
  std::atomic<std::int64_t> iteration;  // of the data; -1 before the first
  std::uint64_t data_offset;            // from the segment's start; 64-byte aligned
  // The part of the array steering exposed in this iteration (the whole array unless
  // narrowed): only that part of the block was copied. Written under the seqlock.
  std::int64_t exposed_start[max_dims];
  std::int64_t exposed_count[max_dims];
};

struct BlockRecord {
  std::int64_t start[max_dims];  // the producer's block in the global array
  std::int64_t count[max_dims];
  std::uint64_t data_bytes;  // of one slot
  ProcessId producer;
  std::atomic<std::uint64_t> closed;          // 1 once the producer closed the stream
  std::atomic<std::uint64_t> last_commit_ns;  // CLOCK_MONOTONIC of the last write
  std::atomic<std::uint64_t> period_ns;       // smoothed time between writes
  MirrorSlot slot[mirror_depth];
};

struct StreamHeader {
  std::uint64_t magic;
  char name[max_name];
  char dtype[8];
  std::uint32_t element_bytes;
  std::int32_t dims;
  std::int64_t shape[max_dims];
  std::int32_t blocks;  // producing ranks on this node with data
  std::int32_t padding;
  // Readers say they are there by refreshing this (CLOCK_MONOTONIC, ns); producers
  // copy their blocks here only while it is recent, so a job nobody taps pays one
  // atomic load per commit, and a reader that dies stops the copies within seconds.
  std::atomic<std::uint64_t> reader_heartbeat_ns;
  // Readers waiting for the next write; producers wake them (futex) only if nonzero.
  std::atomic<std::uint32_t> waiters;
  // Bumped after every block write: the futex word waiters sleep on.
  std::atomic<std::uint32_t> writes;
  BlockRecord block[1];  // `blocks` records (at least one slot reserved)
};

// How long a heartbeat keeps the producers copying.
inline constexpr std::uint64_t heartbeat_ns = 2'000'000'000;

inline std::size_t stream_header_bytes(int blocks) {
  const std::size_t bytes =
      sizeof(StreamHeader) +
      sizeof(BlockRecord) * static_cast<std::size_t>(blocks > 1 ? blocks - 1 : 0);
  return (bytes + 63) / 64 * 64;
}

}  // namespace sluice::shm::detail
