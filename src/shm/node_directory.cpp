#include "node_directory.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>

#include "process.hpp"
#include "sluice/core/log.hpp"

namespace sluice::shm::detail {

namespace {

bool is_job_id(const std::string& text) {
  return text.size() == 12 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

std::string new_job_id() {
  std::random_device entropy;
  std::uint64_t bits = (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy() ^ monotonic_ns() ^
                       (static_cast<std::uint64_t>(this_process().pid) << 20);
  char text[13];
  std::snprintf(text, sizeof(text), "%012llx",
                static_cast<unsigned long long>(bits & 0xffffffffffffULL));
  return text;
}

std::string directory_name(const std::string& job) { return segment_prefix + job; }

std::string stream_segment_name(const std::string& job, int stream) {
  return segment_prefix + job + "-" + std::to_string(stream);
}

std::vector<std::string> jobs_on_node() {
  std::vector<std::string> jobs;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm", error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(segment_prefix, 0) == 0 && is_job_id(name.substr(7))) {
      jobs.push_back(name.substr(7));
    }
  }
  return jobs;
}

Mapping create_segment(const std::string& name, std::size_t bytes) {
  bip::shared_memory_object::remove(name.c_str());
  bip::permissions owner_only(0600);
  Mapping mapping{
      bip::shared_memory_object(bip::create_only, name.c_str(), bip::read_write, owner_only), {}};
  mapping.object.truncate(static_cast<bip::offset_t>(bytes));
  // Zeroed by ftruncate; pages are only backed once written (by a producer, once
  // someone taps the stream).
  mapping.region = bip::mapped_region(mapping.object, bip::read_write);
  return mapping;
}

std::optional<Mapping> open_segment(const std::string& name, bool writable) {
  try {
    const auto mode = writable ? bip::read_write : bip::read_only;
    Mapping mapping{bip::shared_memory_object(bip::open_only, name.c_str(), mode), {}};
    mapping.region = bip::mapped_region(mapping.object, mode);
    return mapping;
  } catch (const bip::interprocess_exception&) {
    return std::nullopt;
  }
}

namespace {

std::string directory_path(const std::string& job) { return "/dev/shm/" + directory_name(job); }

}  // namespace

JobLock::JobLock(const std::string& job) {
  m_fd = ::open(directory_path(job).c_str(), O_RDONLY | O_CLOEXEC);
  if (m_fd >= 0 && ::flock(m_fd, LOCK_SH) != 0) {
    ::close(m_fd);
    m_fd = -1;
  }
  if (m_fd < 0) {
    log::warn("cannot lock ", directory_path(job),
              ": a job started later may take this job's segments for stale ones");
  }
}

JobLock::JobLock(JobLock&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

JobLock& JobLock::operator=(JobLock&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = std::exchange(other.m_fd, -1);
  }
  return *this;
}

JobLock::~JobLock() {
  if (m_fd >= 0) {
    ::close(m_fd);  // drops the lock
  }
}

bool job_is_running(const std::string& job) {
  const int fd = ::open(directory_path(job).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  // An exclusive lock is refused while the creator holds its shared one.
  const bool running = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return running;
}

bool finish_job_if_unheld(const std::string& job) {
  const int fd = ::open(directory_path(job).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return false;  // another process of the job still produces here
  }
  int streams = max_streams;
  if (auto directory = open_segment(directory_name(job), true);
      directory && directory->size() >= sizeof(DirectoryHeader)) {
    auto* header = reinterpret_cast<DirectoryHeader*>(directory->base());
    header->finished.store(1);
    streams = std::min(header->claimed.load(), max_streams);
  }
  remove_job(job, streams);
  ::close(fd);
  return true;
}

bool remove_abandoned_job(const std::string& job, std::uint32_t instance) {
  int streams = 0;
  {
    const auto directory = open_segment(directory_name(job), false);
    if (!directory || directory->size() < sizeof(DirectoryHeader)) {
      return false;
    }
    const auto* header = reinterpret_cast<const DirectoryHeader*>(directory->base());
    if (header->instance != instance) {
      return false;  // another job of the same id made it
    }
    streams = std::min(header->claimed.load(), max_streams);
  }
  remove_job(job, streams);
  return true;
}

void remove_job(const std::string& job, int streams) {
  for (int n = 0; n < streams; ++n) {
    bip::shared_memory_object::remove(stream_segment_name(job, n).c_str());
  }
  bip::shared_memory_object::remove(directory_name(job).c_str());
}

int remove_stale_jobs() {
  int removed = 0;
  for (const auto& job : jobs_on_node()) {
    const auto mapping = open_segment(directory_name(job), false);
    if (!mapping || mapping->size() < sizeof(DirectoryHeader)) {
      continue;  // another user's, or being created
    }
    const auto* header = reinterpret_cast<const DirectoryHeader*>(mapping->base());
    if (header->magic != directory_magic || job_is_running(job)) {
      continue;  // being created, or running
    }
    log::info("removing the shared-memory segments of job ", job, ", whose process ",
              header->creator.pid, " is gone");
    remove_job(job, std::min(header->claimed.load(), max_streams));
    ++removed;
  }
  return removed;
}

}  // namespace sluice::shm::detail
