/* A simulation in C built against an installed sluice (pkg-config sluice): each rank
 * publishes 4 elements of the stream "values", element i of iteration k being
 * i + 100 k, for reader.cpp to check. */
#include <mpi.h>
#include <stdio.h>

#include "sluice/sluice.h"

static void check(int status) {
  if (status != SLUICE_OK) {
    sluice_abort(sluice_last_error(), 1);
  }
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm sim;
  sluice_bridge* bridge = NULL;
  check(sluice_init_split(&sim, &bridge));
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(sim, &rank);
  MPI_Comm_size(sim, &size);
  const sluice_layout layout = {
      .ndims = 1, .global_shape = {4 * size}, .block_start = {4 * rank}, .block_count = {4}};
  sluice_stream* values = NULL;
  check(sluice_expose(bridge, "values", SLUICE_F64, &layout, 1, NULL, &values));
  for (int64_t k = 0; k < 3; ++k) {
    double* slot = NULL;
    check(sluice_slot(values, k, 0, SLUICE_F64, (void**)&slot));
    for (int i = 0; i < 4; ++i) {
      slot[i] = (double)(4 * rank + i + 100 * k);
    }
    check(sluice_commit(values, k));
    check(sluice_end_iteration(bridge, k));
  }
  check(sluice_finalize(&bridge));
  if (rank == 0) {
    printf("C simulation OK: sluice %s, %d simulation ranks\n", sluice_version(), size);
  }
  MPI_Finalize();
  return 0;
}
