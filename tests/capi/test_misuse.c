/* Bad use of the C API, one row per mistake: each must return its status code with a
 * message saying what is wrong, and nothing may crash (this runs under the sanitizers
 * too). A plain C program run under mpirun at 1 and 2 ranks: every rank runs the same
 * table; the exit code is non-zero if any row fails on any rank. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "sluice/sluice.h"

static int failures = 0;
static int rank = 0;

/* One row: `status` must be `expected` and the message must contain `needle`. */
static void expect(const char* mistake, int status, int expected, const char* needle) {
  const char* message = sluice_last_error();
  const int ok = status == expected && (expected == SLUICE_OK || strstr(message, needle) != NULL);
  if (!ok) {
    ++failures;
  }
  if (rank == 0 || !ok) {
    printf("%-4s %-44s %-28s %s\n", ok ? "ok" : "FAIL", mistake, sluice_status_name(status),
           expected == SLUICE_OK ? "" : message);
  }
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  expect("initialising with a NULL output pointer", sluice_init_split(NULL, NULL),
         SLUICE_ERR_INVALID_ARGUMENT, "NULL");
  MPI_Comm sim = MPI_COMM_NULL;
  sluice_bridge* bridge = NULL;
  expect("starting", sluice_init_split(&sim, &bridge), SLUICE_OK, "");
  if (bridge == NULL) {
    printf("FAIL no bridge: %s\n", sluice_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int sim_rank = 0;
  MPI_Comm_rank(sim, &sim_rank);

  const sluice_layout layout = {.ndims = 2,
                                .global_shape = {4 * size, 6},
                                .block_start = {4 * sim_rank, 0},
                                .block_count = {4, 6},
                                .local_shape = {6, 8},
                                .local_offset = {1, 1}};
  sluice_stream* field = NULL;
  sluice_stream* time = NULL;
  sluice_stream* none = NULL;

  /* Handles. */
  expect("NULL bridge", sluice_end_iteration(NULL, 0), SLUICE_ERR_HANDLE, "NULL");
  expect("NULL stream", sluice_publish(NULL, 0, SLUICE_F64, &layout), SLUICE_ERR_HANDLE, "NULL");
  expect("NULL parameter", sluice_param_get_f64(NULL, &(double){0}), SLUICE_ERR_HANDLE, "NULL");
  expect("a stream handle passed as a bridge", sluice_close((sluice_bridge*)(void*)&layout),
         SLUICE_ERR_HANDLE, "not a live sluice_bridge");

  /* Exposing. */
  sluice_layout four_dims = layout;
  four_dims.ndims = 4;
  expect("4 dimensions", sluice_expose(bridge, "bad", SLUICE_F64, &four_dims, 1, NULL, &none),
         SLUICE_ERR_INVALID_ARGUMENT, "1 to 3 dimensions");
  expect("dtype 42", sluice_expose(bridge, "bad", 42, &layout, 1, NULL, &none),
         SLUICE_ERR_INVALID_ARGUMENT, "not a sluice_dtype");
  const sluice_stream_options bad_policy = {.depth = 2, .policy = 9};
  expect("policy 9", sluice_expose(bridge, "bad", SLUICE_F64, &layout, 1, &bad_policy, &none),
         SLUICE_ERR_INVALID_ARGUMENT, "not a sluice_policy");
  expect("empty stream name", sluice_expose(bridge, "", SLUICE_F64, &layout, 1, NULL, &none),
         SLUICE_ERR_INVALID_ARGUMENT, "name");
  expect("negative block count", sluice_expose(bridge, "bad", SLUICE_F64, &layout, -1, NULL, &none),
         SLUICE_ERR_INVALID_ARGUMENT, "blocks");
  expect("exposing temperature",
         sluice_expose(bridge, "field", SLUICE_F64, &layout, 1, NULL, &field), SLUICE_OK, "");
  expect("exposing time", sluice_expose_value(bridge, "time", SLUICE_F64, NULL, &time), SLUICE_OK,
         "");

  /* Shapes and types. */
  const int64_t wrong_shape[2] = {8, 6};
  expect("buffer shape [8, 6] for local [6, 8]",
         sluice_stream_check_buffer(field, 0, 2, wrong_shape), SLUICE_ERR_INVALID_ARGUMENT,
         "is not the local shape [6, 8]");
  double buffer[6 * 8] = {0};
  expect("publishing f32 into an f64 stream", sluice_publish(field, 0, SLUICE_F32, buffer),
         SLUICE_ERR_INVALID_ARGUMENT, "f32");
  void* slot = NULL;
  expect("an i32 slot of an f64 stream", sluice_slot(field, 0, 0, SLUICE_I32, &slot),
         SLUICE_ERR_INVALID_ARGUMENT, "i32");
  expect("publishing a NULL buffer", sluice_publish(field, 0, SLUICE_F64, NULL),
         SLUICE_ERR_INVALID_ARGUMENT, "NULL");
  expect("a value into an array stream", sluice_publish_value(field, 0, SLUICE_F64, &(double){1}),
         SLUICE_ERR_INVALID_ARGUMENT, "field");
  expect("a NULL value", sluice_publish_value(time, 0, SLUICE_F64, NULL),
         SLUICE_ERR_INVALID_ARGUMENT, "NULL");

  /* Parameters. */
  sluice_param* dt = NULL;
  sluice_param* other = NULL;
  const double min = 0.0;
  const double max = 1.0;
  expect("registering dt", sluice_param_f64(bridge, "dt", 0.5, &min, &max, "step", &dt), SLUICE_OK,
         "");
  expect("registering dt twice", sluice_param_f64(bridge, "dt", 0.5, NULL, NULL, NULL, &other),
         SLUICE_ERR_INVALID_ARGUMENT, "dt");
  expect("a default outside its bounds",
         sluice_param_f64(bridge, "x", 2.0, &min, &max, NULL, &other), SLUICE_ERR_INVALID_ARGUMENT,
         "x");
  int64_t as_integer = 0;
  expect("reading an f64 parameter as i64", sluice_param_get_i64(dt, &as_integer),
         SLUICE_ERR_INVALID_ARGUMENT, "sluice_param_get_f64");
  bool as_flag = false;
  expect("reading an f64 parameter as bool", sluice_param_get_bool(dt, &as_flag),
         SLUICE_ERR_INVALID_ARGUMENT, "f64 parameter");
  double value = 0.0;
  expect("reading dt", sluice_param_get_f64(dt, &value), SLUICE_OK, "");

  /* Iterations. */
  expect("publishing iteration 1", sluice_publish(field, 1, SLUICE_F64, buffer), SLUICE_OK, "");
  expect("publishing iteration 0 after 1", sluice_publish(field, 0, SLUICE_F64, buffer),
         SLUICE_ERR_INVALID_ARGUMENT, "iteration");
  expect("publishing iteration -1", sluice_publish(field, -1, SLUICE_F64, buffer),
         SLUICE_ERR_INVALID_ARGUMENT, "iteration");
  expect("ending iteration 1", sluice_end_iteration(bridge, 1), SLUICE_OK, "");
  expect("ending iteration 0 after 1", sluice_end_iteration(bridge, 0), SLUICE_ERR_INVALID_ARGUMENT,
         "iterations must increase");
  expect("a parameter after publishing started",
         sluice_param_i64(bridge, "late", 1, NULL, NULL, NULL, &other), SLUICE_ERR_STATE, "late");
  expect("exposing after publishing started",
         sluice_expose(bridge, "late", SLUICE_F64, &layout, 1, NULL, &none), SLUICE_ERR_STATE,
         "publishing has started");

  /* After close, after finalize. */
  expect("closing", sluice_close(bridge), SLUICE_OK, "");
  expect("publishing after close", sluice_publish(field, 2, SLUICE_F64, buffer), SLUICE_ERR_STATE,
         "closed");
  sluice_bridge* finalized = bridge;
  expect("finalizing", sluice_finalize(&bridge), SLUICE_OK, "");
  expect("the bridge is NULL after finalize", bridge == NULL ? SLUICE_OK : SLUICE_ERR_OTHER,
         SLUICE_OK, "");
  expect("a stream after finalize", sluice_publish(field, 3, SLUICE_F64, buffer), SLUICE_ERR_HANDLE,
         "not a live sluice_stream");
  expect("a parameter after finalize", sluice_param_get_f64(dt, &value), SLUICE_ERR_HANDLE,
         "not a live sluice_param");
  expect("a bridge after finalize", sluice_end_iteration(finalized, 4), SLUICE_ERR_HANDLE,
         "not a live sluice_bridge");
  expect("finalizing twice", sluice_finalize(&bridge), SLUICE_ERR_HANDLE, "NULL");
  expect("finalizing through NULL", sluice_finalize(NULL), SLUICE_ERR_INVALID_ARGUMENT, "NULL");
  expect("status names", strcmp(sluice_status_name(SLUICE_ERR_ROLE), "SLUICE_ERR_ROLE"), 0, "");

  int all_failures = 0;
  MPI_Allreduce(&failures, &all_failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) {
    printf("%s: %d failure(s) over %d rank(s)\n", all_failures == 0 ? "misuse OK" : "misuse FAILED",
           all_failures, size);
  }
  MPI_Finalize();
  return all_failures == 0 ? 0 : 1;
}
