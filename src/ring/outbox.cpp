#include "outbox.hpp"

#include <exception>
#include <utility>

#include "sluice/mpi/check.hpp"

namespace sluice::ring::detail {

Outbox::~Outbox() {
  // On an error path the peers may be gone: never wait for them then.
  if (std::uncaught_exceptions() == 0 && !m_requests.empty()) {
    MPI_Waitall(static_cast<int>(m_requests.size()), m_requests.data(), MPI_STATUSES_IGNORE);
  }
}

void Outbox::send(int to, int tag, std::vector<std::byte> message) {
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Isend(message.data(), static_cast<int>(message.size()), MPI_BYTE, to, tag, m_comm,
                      &request),
            "MPI_Isend", "sending a scheduler message");
  // Moving a vector keeps its heap buffer, so the address MPI holds stays valid.
  m_buffers.push_back(std::move(message));
  m_requests.push_back(request);
}

void Outbox::reap() {
  if (m_requests.empty()) {
    return;
  }
  // MPI_Testsome sets the completed requests to MPI_REQUEST_NULL; drop those.
  int completed = 0;
  m_completed.resize(m_requests.size());
  check_mpi(MPI_Testsome(static_cast<int>(m_requests.size()), m_requests.data(), &completed,
                         m_completed.data(), MPI_STATUSES_IGNORE),
            "MPI_Testsome", "completing scheduler sends");
  if (completed <= 0) {
    return;
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < m_requests.size(); ++i) {
    if (m_requests[i] != MPI_REQUEST_NULL) {
      m_requests[kept] = m_requests[i];
      m_buffers[kept] = std::move(m_buffers[i]);
      ++kept;
    }
  }
  m_requests.resize(kept);
  m_buffers.resize(kept);
}

void Outbox::flush() {
  check_mpi(
      MPI_Waitall(static_cast<int>(m_requests.size()), m_requests.data(), MPI_STATUSES_IGNORE),
      "MPI_Waitall", "completing scheduler sends");
  m_requests.clear();
  m_buffers.clear();
}

}  // namespace sluice::ring::detail
