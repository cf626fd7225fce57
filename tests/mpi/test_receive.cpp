// sluice::mpi::receive_if_any: nothing while nothing has arrived, then exactly the
// message sent, with its sender and tag, whatever its size.
#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "../harness/mpi_test.hpp"
#include "sluice/core/error.hpp"
#include "sluice/mpi/check.hpp"
#include "sluice/mpi/comm.hpp"
#include "sluice/mpi/receive.hpp"

using namespace sluice;

namespace {

std::vector<std::byte> pattern(std::size_t size, int seed) {
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<std::byte>((seed * 13 + static_cast<int>(i)) & 0xff);
  }
  return bytes;
}

// Polls until a message matching (source, tag) arrives, or 20 s pass.
std::optional<mpi::Envelope> receive_within(const mpi::Comm& comm, int source, int tag,
                                            std::vector<std::byte>& message) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    if (auto envelope = mpi::receive_if_any(comm, source, tag, message, "test")) {
      return envelope;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return std::nullopt;
    }
  }
}

}  // namespace

SLUICE_MPI_TEST(nothing_arrived_returns_nothing_and_leaves_the_buffer_alone) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();  // fresh: no message on it
  std::vector<std::byte> message = pattern(5, 1);
  EXPECT_TRUE(!mpi::receive_if_any(comm, MPI_ANY_SOURCE, MPI_ANY_TAG, message));
  EXPECT_TRUE(!mpi::receive_if_any(comm, MPI_ANY_SOURCE, 3, message, "test", /*probes=*/3));
  EXPECT_TRUE(message == pattern(5, 1));
  comm.barrier();
  comm.free();
}

SLUICE_MPI_TEST(receives_the_bytes_sender_and_tag_of_each_message) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  const int right = (comm.rank() + 1) % comm.size();
  const int left = (comm.rank() + comm.size() - 1) % comm.size();
  // Sizes around Open MPI's eager limit, and an empty message.
  const std::size_t sizes[] = {0, 7, 4096, std::size_t{1} << 20};
  std::vector<MPI_Request> sends;
  std::vector<std::vector<std::byte>> sent;
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    sent.push_back(pattern(sizes[i], comm.rank() + static_cast<int>(i)));
  }
  for (std::size_t i = 0; i < sent.size(); ++i) {
    MPI_Request request = MPI_REQUEST_NULL;
    check_mpi(MPI_Isend(sent[i].data(), static_cast<int>(sent[i].size()), MPI_BYTE, right,
                        20 + static_cast<int>(i), comm.get(), &request),
              "MPI_Isend");
    sends.push_back(request);
  }
  std::vector<std::byte> message(3);  // the wrong size: resized
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    const auto from = receive_within(comm, MPI_ANY_SOURCE, MPI_ANY_TAG, message);
    EXPECT_TRUE(from.has_value());
    if (from) {
      EXPECT_EQ(from->source, left);
      EXPECT_EQ(from->tag, 20 + static_cast<int>(i));  // non-overtaking
      EXPECT_TRUE(message == pattern(sizes[i], left + static_cast<int>(i)));
    }
  }
  MPI_Waitall(static_cast<int>(sends.size()), sends.data(), MPI_STATUSES_IGNORE);
  comm.barrier();
  comm.free();
}

SLUICE_MPI_TEST(only_a_matching_source_and_tag_is_received) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();
  const int right = (comm.rank() + 1) % comm.size();
  const int left = (comm.rank() + comm.size() - 1) % comm.size();
  const auto sent = pattern(64, comm.rank());
  check_mpi(MPI_Send(sent.data(), 64, MPI_BYTE, right, 7, comm.get()), "MPI_Send");  // eager
  comm.barrier();  // it has been sent
  std::vector<std::byte> message;
  EXPECT_TRUE(!mpi::receive_if_any(comm, left, 8, message, "test", 2));  // other tag
  if (comm.size() > 2) {
    EXPECT_TRUE(!mpi::receive_if_any(comm, right, 7, message, "test", 2));  // other sender
  }
  const auto from = receive_within(comm, left, 7, message);
  EXPECT_TRUE(from.has_value() && from->source == left && from->tag == 7);
  EXPECT_TRUE(message == pattern(64, left));
  comm.barrier();
  comm.free();
}

SLUICE_MPI_TEST(a_failed_probe_throws_mpi_error_with_the_hint) {
  auto comm = mpi::Comm::borrow(MPI_COMM_WORLD).dup();  // MPI_ERRORS_RETURN
  std::vector<std::byte> message;
  EXPECT_THROW_WITH(mpi::receive_if_any(comm, comm.size() + 5, 0, message, "probing a stranger"),
                    MpiError, "probing a stranger");
  comm.free();
}
