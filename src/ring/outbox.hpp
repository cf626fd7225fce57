#pragma once
// Private: a scheduler's sends, all nonblocking.
//
// Two schedulers may send each other large messages at the same moment (transfers
// during a membership change, forwarded requests). With blocking sends both could wait
// in the rendezvous protocol for a receive the other never posts; with MPI_Isend each
// keeps serving while its messages are delivered. The outbox owns the buffers until
// MPI is done with them.
#include <mpi.h>

#include <cstddef>
#include <vector>

namespace sluice::ring::detail {

class Outbox {
 public:
  explicit Outbox(MPI_Comm comm) : m_comm(comm) {}
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;
  ~Outbox();

  // Starts sending `message` to `to`; the outbox keeps the buffer until it is sent.
  void send(int to, int tag, std::vector<std::byte> message);

  // Frees the buffers of the sends that have completed. Cheap when none has.
  void reap();

  // Waits until every send has completed.
  void flush();

  [[nodiscard]] std::size_t pending() const noexcept { return m_requests.size(); }

 private:
  MPI_Comm m_comm;
  std::vector<MPI_Request> m_requests;
  std::vector<std::vector<std::byte>> m_buffers;  // parallel to m_requests
  std::vector<int> m_completed;                   // scratch for MPI_Testsome
};

}  // namespace sluice::ring::detail
