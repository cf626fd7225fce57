#include "stream_window.hpp"

#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"

namespace sluice::channel::detail {

// One copy of the data, several ways to read it. When the whole job shares one node,
// the window is MPI_Win_allocate_shared over the job: Open MPI's osc sm serves it,
// so MPI_Get (the remote path) and the protocol's atomics run at shared-memory speed
// exactly as for MPI_Win_allocate (measured side by side, 2 processes, osc sm: 64 MiB
// MPI_Get 9.4 vs 9.2 ms, a fetch-and-op 40 vs 41 ns), and readers on the node can
// also read the slots in place (MPI_Win_shared_query), which Open MPI 4.1 refuses
// for MPI_Win_allocate windows (MPI_ERR_RMA_FLAVOR). A job spanning nodes cannot
// allocate a shared window over all of it: it gets MPI_Win_allocate, and every
// reader pulls with MPI_Get (over the network, or osc's on-node path). So does a job
// whose one-sided component cannot make shared windows (OMPI_MCA_osc=rdma or pt2pt):
// the component is chosen alike on every process, so they all fail and fall back
// together.
mpi::Window allocate_stream_window(const Runtime& runtime, std::size_t bytes) {
  if (runtime.single_node()) {
    // Each process's part on its own pages, not packed after the previous one's.
    mpi::Info info;
    info.set("alloc_shared_noncontig", "true");
    try {
      return mpi::Window::allocate_shared(runtime.world(), bytes, 1, info);
    } catch (const MpiError& e) {
      log::debug("no shared window (", e.what(), "); readers will pull with MPI_Get");
    }
  }
  return mpi::Window::allocate(runtime.world(), bytes);
}

}  // namespace sluice::channel::detail
