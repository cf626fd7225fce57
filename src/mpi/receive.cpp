#include "sluice/mpi/receive.hpp"

#include "sluice/mpi/check.hpp"

namespace sluice::mpi {

std::optional<Envelope> receive_if_any(const Comm& comm, int source, int tag,
                                       std::vector<std::byte>& message, std::string_view hint,
                                       int probes) {
  MPI_Message matched = MPI_MESSAGE_NULL;
  MPI_Status status;
  int arrived = 0;
  for (int probe = 0; probe < probes && arrived == 0; ++probe) {
    check_mpi(MPI_Improbe(source, tag, comm.get(), &arrived, &matched, &status), "MPI_Improbe",
              hint);
  }
  if (arrived == 0) {
    return std::nullopt;
  }
  int bytes = 0;
  check_mpi(MPI_Get_count(&status, MPI_BYTE, &bytes), "MPI_Get_count", hint);
  message.resize(static_cast<std::size_t>(bytes));
  check_mpi(MPI_Mrecv(message.data(), bytes, MPI_BYTE, &matched, MPI_STATUS_IGNORE), "MPI_Mrecv",
            hint);
  return Envelope{status.MPI_SOURCE, status.MPI_TAG};
}

}  // namespace sluice::mpi
