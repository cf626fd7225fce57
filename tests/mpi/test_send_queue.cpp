// sluice::mpi::SendQueue: every rank sends to its right neighbour (itself with one
// rank), messages small and above the eager limit; the queue keeps each buffer until
// its send completes, test() reports what is left, drain() waits for the rest.
#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/send_queue.hpp"

using namespace sluice;

namespace {

constexpr int tag = 11;

// Message `index` from `rank`: its size (0 and 1 MiB included) and its bytes.
std::vector<std::byte> message_of(int rank, int index) {
  static constexpr std::size_t sizes[] = {0, 1, 100, std::size_t{1} << 20, 4096};
  std::vector<std::byte> bytes(sizes[index % 5]);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<std::byte>((rank * 31 + index * 7 + static_cast<int>(i)) & 0xff);
  }
  return bytes;
}

// Receives messages `first`..`first + count - 1` from `from`; counts those that differ
// from what was sent.
int receive_and_compare(const mpi::Comm& comm, int from, int first, int count) {
  int wrong = 0;
  for (int index = first; index < first + count; ++index) {
    MPI_Status status;
    check_mpi(MPI_Probe(from, tag, comm.get(), &status), "MPI_Probe");
    int bytes = 0;
    MPI_Get_count(&status, MPI_BYTE, &bytes);
    std::vector<std::byte> got(static_cast<std::size_t>(bytes));
    check_mpi(MPI_Recv(got.data(), bytes, MPI_BYTE, from, tag, comm.get(), MPI_STATUS_IGNORE),
              "MPI_Recv");
    wrong += got != message_of(from, index) ? 1 : 0;  // non-overtaking: in order
  }
  return wrong;
}

}  // namespace

SLUICE_MPI_TEST(sends_complete_in_order_and_drain_empties_the_queue) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  const int right = (comm.rank() + 1) % comm.size();
  const int left = (comm.rank() + comm.size() - 1) % comm.size();
  constexpr int count = 10;
  mpi::SendQueue queue(comm, "sending test messages");
  for (int index = 0; index < count; ++index) {
    queue.send(right, tag, message_of(comm.rank(), index));  // the caller's copy is gone
  }
  EXPECT_EQ(queue.pending(), static_cast<std::size_t>(count));
  EXPECT_EQ(receive_and_compare(comm, left, 0, count), 0);
  queue.drain();
  EXPECT_EQ(queue.pending(), 0u);
  queue.drain();  // nothing pending: returns at once
  comm.barrier();
  comm.free();
}

SLUICE_MPI_TEST(test_frees_completed_sends_without_waiting) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  const int right = (comm.rank() + 1) % comm.size();
  const int left = (comm.rank() + comm.size() - 1) % comm.size();
  mpi::SendQueue queue(comm, "sending test messages");
  EXPECT_EQ(queue.test(), 0u);  // empty
  // 1 MiB is above Open MPI's eager limit: it cannot complete before it is received.
  queue.send(right, tag, message_of(comm.rank(), 3));
  EXPECT_EQ(queue.test(), 1u);
  comm.barrier();  // every rank tested before anything was received
  EXPECT_EQ(receive_and_compare(comm, left, 3, 1), 0);
  // Received by now, so the send completes (test() also drives progress).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (queue.test() != 0 && std::chrono::steady_clock::now() < deadline) {
  }
  EXPECT_EQ(queue.pending(), 0u);
  comm.barrier();
  comm.free();
}

// A send still in flight ahead of one that completed keeps its buffer through test():
// the queue once moved such a buffer onto itself, which emptied it under MPI.
SLUICE_MPI_TEST(test_keeps_the_buffers_of_sends_in_flight_ahead_of_completed_ones) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  if (comm.size() < 2) {  // sends to one peer complete in order: it takes two
    comm.free();
    return;
  }
  const int right = (comm.rank() + 1) % comm.size();
  const int left = (comm.rank() + comm.size() - 1) % comm.size();
  mpi::SendQueue queue(comm, "sending test messages");
  queue.send(right, tag, message_of(comm.rank(), 3));        // 1 MiB: waits for its receiver
  queue.send(comm.rank(), tag, message_of(comm.rank(), 2));  // 100 bytes to itself: eager
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (queue.test() != 1 && std::chrono::steady_clock::now() < deadline) {
  }
  EXPECT_EQ(queue.pending(), 1u);  // the first still in flight, after the second completed
  comm.barrier();
  EXPECT_EQ(receive_and_compare(comm, left, 3, 1), 0);
  EXPECT_EQ(receive_and_compare(comm, comm.rank(), 2, 1), 0);
  queue.drain();
  comm.barrier();
  comm.free();
}

SLUICE_MPI_TEST(a_failed_send_throws_mpi_error_naming_the_call_and_the_purpose) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();  // MPI_ERRORS_RETURN
  mpi::SendQueue queue(comm, "sending to a rank that does not exist");
  EXPECT_THROW_WITH(queue.send(comm.size() + 5, tag, message_of(0, 1)), MpiError, "MPI_Isend");
  EXPECT_THROW_WITH(queue.send(comm.size() + 5, tag, message_of(0, 1)), MpiError,
                    "sending to a rank that does not exist");
  EXPECT_EQ(queue.pending(), 0u);
  comm.free();
}
