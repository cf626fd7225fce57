#pragma once
/// @file
/// A queue of nonblocking byte sends that keeps each buffer alive until MPI is done
/// with it.
///
/// Two processes may send each other large messages at the same moment (schedulers
/// moving keys, a steering server sending an injection while the simulation answers).
/// With blocking sends both could wait in the rendezvous protocol for a receive the
/// other never posts; with MPI_Isend each keeps serving while its messages are
/// delivered. The queue owns the buffers, so callers hand a message over and forget it.
///
/// @code
/// sluice::mpi::SendQueue outbox(world, "sending a scheduler message");
/// outbox.send(to, tag, encode(request));   // returns at once
/// outbox.test();                           // in the service loop: frees what is sent
/// outbox.drain();                          // before leaving: waits for every send
/// @endcode
///
/// Not thread-safe: one thread posts, tests and drains (the thread that uses MPI
/// under MPI_THREAD_FUNNELED). Every call is local.

#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/mpi/comm.hpp"

namespace sluice::mpi {

struct SendQueueOptions {
  /// MPI_Issend rather than MPI_Isend: a send completes only once its receiver has
  /// matched it, so pending() counts what receivers have not taken. (A small
  /// MPI_Isend completes at once, eagerly, whether or not anyone receives it: a bound
  /// on those would hold nothing back.)
  bool synchronous = false;
  /// How long the destructor waits for the sends in flight before giving them up
  /// (receivers that stopped listening may never take them); negative: as long as
  /// it takes.
  std::chrono::milliseconds patience{-1};
};

class SendQueue {
 public:
  /// Sends go over `comm`, which is borrowed and must outlive the queue. `what` says
  /// what the sends are for; it starts the message of any MpiError.
  SendQueue(const Comm& comm, std::string what, SendQueueOptions options = {});
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;

  /// Waits for the sends still in flight (up to the options' patience; what is left
  /// then is given up, its buffers kept until the process ends since MPI may still
  /// read them), unless MPI is finalised or an exception is unwinding the stack (the
  /// peers may be gone then, and the job is being aborted). Never throws: a failure
  /// is logged.
  ~SendQueue();

  /// Starts sending `message` to rank `to` of the communicator (MPI_Isend of
  /// MPI_BYTE); the queue keeps the buffer until the send completes. `label` groups
  /// sends for pending(label). Local. InvalidArgument for a message above INT_MAX
  /// bytes.
  void send(int to, int tag, std::vector<std::byte> message, std::uint64_t label = 0);

  /// Frees the buffers of the sends that have completed (MPI_Testsome) and returns
  /// how many are still in flight. Cheap when nothing is pending. Local.
  std::size_t test();

  /// Waits until every send has completed (MPI_Waitall). Local, but completes only
  /// once the receivers have matched the messages that need it.
  void drain();

  /// Sends still in flight (as of the last test() or drain()).
  [[nodiscard]] std::size_t pending() const noexcept { return m_requests.size(); }
  /// Those of them sent with `label`.
  [[nodiscard]] std::size_t pending(std::uint64_t label) const noexcept;

 private:
  MPI_Comm m_comm;
  std::string m_what;
  SendQueueOptions m_options;
  std::vector<MPI_Request> m_requests;
  std::vector<std::vector<std::byte>> m_buffers;  // parallel to m_requests
  std::vector<std::uint64_t> m_labels;            // parallel to m_requests
  std::vector<int> m_completed;                   // scratch for MPI_Testsome
};

}  // namespace sluice::mpi
