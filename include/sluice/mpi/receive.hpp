#pragma once
/// @file
/// Receiving a byte message of unknown size if one has arrived, without blocking.
///
/// A matched probe (MPI_Improbe) finds the message and removes it from matching in
/// one step; MPI_Mrecv then receives exactly that message into a buffer of its size.
/// The hand-written alternative, MPI_Iprobe + MPI_Get_count + MPI_Recv, races when
/// several threads receive on one communicator (MPI_THREAD_MULTIPLE): another thread
/// may receive the probed message between the probe and the receive, and this one
/// then blocks in MPI_Recv on (or takes) a different message, possibly of another
/// size. Matched probes make the helper safe to call from several threads at once.
///
/// @code
/// std::vector<std::byte> message;
/// if (auto from = sluice::mpi::receive_if_any(world, MPI_ANY_SOURCE, request_tag, message,
///                                             "looking for steering requests")) {
///   handle(message, from->source);
/// }
/// @endcode

#include <mpi.h>

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "sluice/mpi/comm.hpp"

namespace sluice::mpi {

/// Who sent a message that was received, and with which tag.
struct Envelope {
  int source = MPI_PROC_NULL;
  int tag = MPI_ANY_TAG;
};

/// If a message from `source` with `tag` (wildcards allowed) has arrived on `comm`,
/// receives it as MPI_BYTE into `message` (resized to its length; its capacity is
/// reused across calls) and returns its envelope; otherwise returns nothing and leaves
/// `message` alone. `hint` says what the caller was doing (in any MpiError).
///
/// `probes` > 1 probes again when a probe finds nothing: Open MPI's probe looks for a
/// match before it progresses what has arrived, so a single probe can miss a message
/// that is already there until the next call (measured on the steering link: a
/// single probe missed 6,107 of 6,111 answers until the next poll, +~100 us each).
///
/// Local, never blocks. Thread-safe (matched probe), at MPI_THREAD_MULTIPLE.
[[nodiscard]] std::optional<Envelope> receive_if_any(const Comm& comm, int source, int tag,
                                                     std::vector<std::byte>& message,
                                                     std::string_view hint = {}, int probes = 1);

}  // namespace sluice::mpi
