#include "sluice/mpi/send_queue.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <exception>
#include <string>
#include <thread>
#include <utility>

#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/check.hpp"

namespace sluice::mpi {

SendQueue::SendQueue(const Comm& comm, std::string what, SendQueueOptions options)
    : m_comm(comm.get()), m_what(std::move(what)), m_options(options) {}

SendQueue::~SendQueue() {
  if (m_requests.empty()) {
    return;
  }
  int finalized = 0;
  MPI_Finalized(&finalized);
  // On an error path the peers may be gone: never wait for them then (the job is
  // about to be aborted; after MPI_Finalize the requests no longer exist).
  if (finalized != 0 || std::uncaught_exceptions() > 0) {
    return;
  }
  if (m_options.patience.count() >= 0) {
    const auto deadline = std::chrono::steady_clock::now() + m_options.patience;
    try {
      while (test() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    } catch (const Error& e) {
      log::warn(e.what());
    }
    if (m_requests.empty()) {
      return;
    }
    log::warn(m_what, ": ", m_requests.size(), " message(s) never received; given up");
    for (auto& request : m_requests) {
      MPI_Request_free(&request);
    }
    // MPI may still read the buffers of requests it was told to free: keep them.
    static std::vector<std::vector<std::byte>> abandoned;
    for (auto& buffer : m_buffers) {
      abandoned.push_back(std::move(buffer));
    }
    return;
  }
  const int rc =
      MPI_Waitall(static_cast<int>(m_requests.size()), m_requests.data(), MPI_STATUSES_IGNORE);
  if (rc != MPI_SUCCESS) {
    log::warn(m_what, ": MPI_Waitall failed while closing a send queue (error ", rc, ")");
  }
}

void SendQueue::send(int to, int tag, std::vector<std::byte> message, std::uint64_t label) {
  if (message.size() > static_cast<std::size_t>(INT_MAX)) {
    throw InvalidArgument(m_what, "a message of " + std::to_string(message.size()) + " bytes",
                          "messages carry at most INT_MAX bytes");
  }
  MPI_Request request = MPI_REQUEST_NULL;
  const int count = static_cast<int>(message.size());
  if (m_options.synchronous) {
    check_mpi(MPI_Issend(message.data(), count, MPI_BYTE, to, tag, m_comm, &request), "MPI_Issend",
              m_what);
  } else {
    check_mpi(MPI_Isend(message.data(), count, MPI_BYTE, to, tag, m_comm, &request), "MPI_Isend",
              m_what);
  }
  // Moving a vector keeps its heap buffer, so the address MPI holds stays valid.
  m_buffers.push_back(std::move(message));
  m_requests.push_back(request);
  m_labels.push_back(label);
}

std::size_t SendQueue::pending(std::uint64_t label) const noexcept {
  return static_cast<std::size_t>(std::count(m_labels.begin(), m_labels.end(), label));
}

std::size_t SendQueue::test() {
  if (m_requests.empty()) {
    return 0;
  }
  // MPI_Testsome sets the completed requests to MPI_REQUEST_NULL; drop those, keeping
  // the others in the order they were sent.
  int completed = 0;
  m_completed.resize(m_requests.size());
  check_mpi(MPI_Testsome(static_cast<int>(m_requests.size()), m_requests.data(), &completed,
                         m_completed.data(), MPI_STATUSES_IGNORE),
            "MPI_Testsome", m_what);
  if (completed <= 0) {  // 0, or MPI_UNDEFINED when every request was null
    return m_requests.size();
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < m_requests.size(); ++i) {
    if (m_requests[i] != MPI_REQUEST_NULL) {
      // Never move a buffer onto itself: a vector moved onto itself is left empty
      // (libstdc++), which would free the bytes of a send still in flight.
      if (kept != i) {
        m_requests[kept] = m_requests[i];
        m_buffers[kept] = std::move(m_buffers[i]);
        m_labels[kept] = m_labels[i];
      }
      ++kept;
    }
  }
  m_requests.resize(kept);
  m_buffers.resize(kept);
  m_labels.resize(kept);
  return kept;
}

void SendQueue::drain() {
  if (m_requests.empty()) {
    return;
  }
  check_mpi(
      MPI_Waitall(static_cast<int>(m_requests.size()), m_requests.data(), MPI_STATUSES_IGNORE),
      "MPI_Waitall", m_what);
  m_requests.clear();
  m_buffers.clear();
  m_labels.clear();
}

}  // namespace sluice::mpi
