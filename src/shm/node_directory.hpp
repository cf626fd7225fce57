#pragma once
// Private: the names of a job's segments on a node, the job's directory segment, and
// the removal of segments that crashed jobs left behind.
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "segment.hpp"

namespace sluice::shm::detail {

namespace bip = boost::interprocess;

inline constexpr const char* segment_prefix = "sluice-";

// A fresh job identifier: 12 hexadecimal digits, unique on the node in practice.
[[nodiscard]] std::string new_job_id();
[[nodiscard]] std::string directory_name(const std::string& job);
[[nodiscard]] std::string stream_segment_name(const std::string& job, int stream);

// Job identifiers with a directory segment on this node (from /dev/shm).
[[nodiscard]] std::vector<std::string> jobs_on_node();

// A mapped segment, created (read-write, this user only) or opened.
struct Mapping {
  bip::shared_memory_object object;
  bip::mapped_region region;
  [[nodiscard]] std::byte* base() const { return static_cast<std::byte*>(region.get_address()); }
  [[nodiscard]] std::size_t size() const { return region.get_size(); }
};

// Creates `name` with `bytes` of zeroed memory; an existing segment of that name is
// replaced (names carry a fresh job id, so it can only be a leftover).
[[nodiscard]] Mapping create_segment(const std::string& name, std::size_t bytes);
// Opens `name` read-write (readers refresh their heartbeat) or read-only; nullopt if
// it does not exist or cannot be opened.
[[nodiscard]] std::optional<Mapping> open_segment(const std::string& name, bool writable);

// Held by the process that created a job's segments for as long as the job runs: a
// shared flock on the directory segment's file, which the kernel drops when that
// process dies, however it dies. Unlike a pid, it means the same thing to processes
// in other pid namespaces that share /dev/shm (containers with --ipc=host).
class JobLock {
 public:
  JobLock() = default;
  explicit JobLock(const std::string& job);
  JobLock(JobLock&& other) noexcept;
  JobLock& operator=(JobLock&& other) noexcept;
  JobLock(const JobLock&) = delete;
  JobLock& operator=(const JobLock&) = delete;
  ~JobLock();
  [[nodiscard]] bool held() const noexcept { return m_fd >= 0; }

 private:
  int m_fd = -1;
};

// Whether the job's creator still holds its JobLock (false if there is no such job).
[[nodiscard]] bool job_is_running(const std::string& job);

// Removes the segments of jobs whose creating process is gone (crashed or killed
// before it could clean up). Returns how many jobs were removed.
int remove_stale_jobs();

// Once the caller let go of its own lock: if no process of the job holds one any more,
// marks the job finished and removes its segments (true), holding the lock
// exclusively meanwhile so that nobody joins half-way.
bool finish_job_if_unheld(const std::string& job);

// Removes every segment of `job`.
void remove_job(const std::string& job, int streams);

// Removes the segments of `job` if its directory belongs to job `instance` (two jobs
// may share an id): for a job that ends abruptly, without its processes' leave().
// Its directory is not marked finished: a reader learns that the job is gone, not
// that it ended. Whether there was something to remove.
bool remove_abandoned_job(const std::string& job, std::uint32_t instance);

}  // namespace sluice::shm::detail
