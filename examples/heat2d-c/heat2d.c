/* heat2d-c: heat2d (examples/heat2d/heat2d.cpp) written in C against sluice's C API
 * (sluice/sluice.h): the same grid, decomposition, stencil, command line, steerable
 * parameters and streams, so heat2d-analytics writes the same CSV for both.
 *
 *   scripts/sluice-mpirun -np 2 heat2d-c --nx 512 --ny 512 --iters 100 : \
 *       -np 1 heat2d-analytics --out -
 */
#include <errno.h>
#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/sluice.h"

static const char* const program = "heat2d-c";

typedef struct options {
  int64_t nx, ny, iters, every;
  double dt;
} options;

static void usage(void) {
  printf(
      "usage: heat2d-c [--nx N] [--ny N] [--iters N] [--every N] [--dt X]\n"
      "  --nx N      global rows (default 2048); must divide evenly over the process rows\n"
      "  --ny N      global columns (default 2048); must divide evenly over the process "
      "columns\n"
      "  --iters N   time steps (default 100); iterations 0..N, 0 is the initial field\n"
      "  --every N   publish iteration k when k %% N == 0 (default 1)\n"
      "  --dt X      time step (default 0.2); stable for 0 < dt <= 0.25\n"
      "Publishes the stream 'temperature' (f64, NX x NY) and 'time' (f64, 1 element).\n"
      "Run with heat2d-analytics in one MPMD job (see scripts/demo).\n");
}

static void bad_number(const char* option, const char* text) {
  fprintf(stderr, "%s: %s expects a number, got '%s' (see --help)\n", program, option, text);
  exit(2);
}

static int64_t parse_int(const char* option, const char* text) {
  char* end = NULL;
  errno = 0;
  const long long value = strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0') {
    bad_number(option, text);
  }
  return (int64_t)value;
}

static double parse_double(const char* option, const char* text) {
  char* end = NULL;
  errno = 0;
  const double value = strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0') {
    bad_number(option, text);
  }
  return value;
}

static options parse(int argc, char** argv) {
  options o = {.nx = 2048, .ny = 2048, .iters = 100, .every = 1, .dt = 0.2};
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      usage();
      exit(0);
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "%s: %s needs a value (see --help)\n", program, arg);
      exit(2);
    }
    const char* value = argv[++i];
    if (strcmp(arg, "--nx") == 0) {
      o.nx = parse_int(arg, value);
    } else if (strcmp(arg, "--ny") == 0) {
      o.ny = parse_int(arg, value);
    } else if (strcmp(arg, "--iters") == 0) {
      o.iters = parse_int(arg, value);
    } else if (strcmp(arg, "--every") == 0) {
      o.every = parse_int(arg, value);
    } else if (strcmp(arg, "--dt") == 0) {
      o.dt = parse_double(arg, value);
    } else {
      fprintf(stderr, "%s: unknown option %s (see --help)\n", program, arg);
      exit(2);
    }
  }
  const char* problem = NULL;
  if (o.nx <= 0 || o.ny <= 0) {
    problem = "--nx and --ny must be positive";
  } else if (o.iters < 0) {
    problem = "--iters must be 0 or more";
  } else if (o.every <= 0) {
    problem = "--every must be positive";
  } else if (!(o.dt > 0.0 && o.dt <= 0.25)) {
    problem = "--dt must be in (0, 0.25]: larger steps make the explicit scheme unstable";
  }
  if (problem != NULL) {
    fprintf(stderr, "%s: %s\n", program, problem);
    exit(2);
  }
  return o;
}

/* Stops the job with sluice's message when a call fails. */
static void check(int status, const char* what) {
  if (status != SLUICE_OK) {
    fprintf(stderr, "%s: %s: %s\n", program, what, sluice_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

/* The rank's part of the grid and its neighbours (MPI_PROC_NULL at the boundary). */
typedef struct decomposition {
  int px, py;
  int64_t rows, cols;           /* owned cells */
  int64_t first_row, first_col; /* in the global grid */
  int up, down, left, right;
} decomposition;

static decomposition decompose(const options* o, MPI_Comm comm) {
  decomposition d;
  int size = 0;
  int r = 0;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &r);
  int dims[2] = {0, 0};
  MPI_Dims_create(size, 2, dims);
  d.px = dims[0];
  d.py = dims[1];
  if (o->nx % d.px != 0 || o->ny % d.py != 0) {
    if (r == 0) {
      if (o->nx % d.px != 0) {
        fprintf(stderr,
                "%s: splitting a %lld x %lld grid over %d x %d processes: --nx %lld is not a "
                "multiple of the %d process rows (choose grid sizes that divide evenly, or "
                "another number of simulation ranks)\n",
                program, (long long)o->nx, (long long)o->ny, d.px, d.py, (long long)o->nx, d.px);
      } else {
        fprintf(stderr,
                "%s: splitting a %lld x %lld grid over %d x %d processes: --ny %lld is not a "
                "multiple of the %d process columns (choose grid sizes that divide evenly, or "
                "another number of simulation ranks)\n",
                program, (long long)o->nx, (long long)o->ny, d.px, d.py, (long long)o->ny, d.py);
      }
    }
    MPI_Barrier(comm);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  const int row = r / d.py;
  const int col = r % d.py;
  d.rows = o->nx / d.px;
  d.cols = o->ny / d.py;
  d.first_row = row * d.rows;
  d.first_col = col * d.cols;
  d.up = row > 0 ? r - d.py : MPI_PROC_NULL;
  d.down = row < d.px - 1 ? r + d.py : MPI_PROC_NULL;
  d.left = col > 0 ? r - 1 : MPI_PROC_NULL;
  d.right = col < d.py - 1 ? r + 1 : MPI_PROC_NULL;
  return d;
}

/* Fills halos: neighbours' edges, or the Dirichlet values at the global boundary. */
static void exchange_halos(const decomposition* d, MPI_Comm comm, MPI_Datatype column, double* t,
                           double hot) {
  const int64_t stride = d->cols + 2;
  const int rows = (int)d->rows;
  const int cols = (int)d->cols;
#define AT(i, j) (t + (int64_t)(i)*stride + (j))
  MPI_Sendrecv(AT(1, 1), cols, MPI_DOUBLE, d->up, 0, AT(rows + 1, 1), cols, MPI_DOUBLE, d->down, 0,
               comm, MPI_STATUS_IGNORE);
  MPI_Sendrecv(AT(rows, 1), cols, MPI_DOUBLE, d->down, 1, AT(0, 1), cols, MPI_DOUBLE, d->up, 1,
               comm, MPI_STATUS_IGNORE);
  MPI_Sendrecv(AT(1, 1), 1, column, d->left, 2, AT(1, cols + 1), 1, column, d->right, 2, comm,
               MPI_STATUS_IGNORE);
  MPI_Sendrecv(AT(1, cols), 1, column, d->right, 3, AT(1, 0), 1, column, d->left, 3, comm,
               MPI_STATUS_IGNORE);
  if (d->up == MPI_PROC_NULL) {
    for (int j = 1; j <= cols; ++j) {
      *AT(0, j) = hot;
    }
  }
  if (d->down == MPI_PROC_NULL) {
    for (int j = 1; j <= cols; ++j) {
      *AT(rows + 1, j) = 0.0;
    }
  }
  for (int i = 1; i <= rows; ++i) {
    if (d->left == MPI_PROC_NULL) {
      *AT(i, 0) = 0.0;
    }
    if (d->right == MPI_PROC_NULL) {
      *AT(i, cols + 1) = 0.0;
    }
  }
#undef AT
}

/* One explicit step from `t` (halos filled) into the owned cells of `next`, summed in
 * the order of the reference (the build disables FMA contraction for this file). */
static void step(const decomposition* d, const double* t, double* next, double dt) {
  const int64_t stride = d->cols + 2;
  for (int64_t i = 1; i <= d->rows; ++i) {
    const double* row = t + i * stride;
    const double* above = row - stride;
    const double* below = row + stride;
    double* out = next + i * stride;
    for (int64_t j = 1; j <= d->cols; ++j) {
      const double c = row[j];
      out[j] = c + dt * ((((above[j] + below[j]) + row[j - 1]) + row[j + 1]) - 4.0 * c);
    }
  }
}

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  MPI_Init(&argc, &argv);

  MPI_Comm comm;
  sluice_bridge* bridge = NULL;
  check(sluice_init_split(&comm, &bridge), "starting sluice");
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const bool is_root = rank == 0;
  const decomposition d = decompose(&o, comm);

  const sluice_layout layout = {.ndims = 2,
                                .global_shape = {o.nx, o.ny},
                                .block_start = {d.first_row, d.first_col},
                                .block_count = {d.rows, d.cols},
                                .local_shape = {d.rows + 2, d.cols + 2},
                                .local_offset = {1, 1}};
  sluice_stream* temperature = NULL;
  sluice_stream* time_stream = NULL;
  check(sluice_expose(bridge, "temperature", SLUICE_F64, &layout, 1, NULL, &temperature),
        "exposing temperature");
  check(sluice_expose_value(bridge, "time", SLUICE_F64, NULL, &time_stream), "exposing time");
  /* Data assimilation: sluice-steer inject temperature patch.npy at I,J. */
  check(sluice_accept_injections(temperature), "accepting injections");

  /* Steerable: both change only between iterations, at the same one on every rank. */
  const double dt_min = 1e-6, dt_max = 0.25, hot_min = -1e6, hot_max = 1e6;
  sluice_param* dt = NULL;
  sluice_param* hot = NULL;
  check(sluice_param_f64(bridge, "dt", o.dt, &dt_min, &dt_max, "time step; stable up to 0.25", &dt),
        "registering dt");
  check(sluice_param_f64(bridge, "hot", 100.0, &hot_min, &hot_max, "temperature above row 0", &hot),
        "registering hot");

  MPI_Datatype column;
  MPI_Type_vector((int)d.rows, 1, (int)(d.cols + 2), MPI_DOUBLE, &column);
  MPI_Type_commit(&column);
  const size_t elements = (size_t)((d.rows + 2) * (d.cols + 2));
  double* spare_a = calloc(elements, sizeof(double));
  double* spare_b = calloc(elements, sizeof(double));
  if (spare_a == NULL || spare_b == NULL) {
    fprintf(stderr, "%s: out of memory\n", program);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }

  const double started = MPI_Wtime();
  double* current = NULL;
  /* t_k = t_base + (k - k_base) * dt since dt last changed: exactly k * dt when it
   * never does, as the reference computes it. */
  double t = 0.0;
  double t_base = 0.0;
  int64_t k_base = 0;
  int64_t dt_since = 0;
  check(sluice_param_since(dt, &dt_since), "reading dt");
  bool stop = false;
  int64_t k = 0;
  for (; k <= o.iters && !stop; ++k) {
    const bool published = k % o.every == 0;
    /* Published iterations are computed in the stream's slot (zero-copy); the others
     * in whichever spare buffer does not hold the current field. */
    double* next = NULL;
    if (published) {
      check(sluice_slot(temperature, k, 0, SLUICE_F64, (void**)&next), "getting the slot");
    } else {
      next = current == spare_a ? spare_b : spare_a;
    }
    if (k == 0) {
      memset(next, 0, elements * sizeof(double));
    } else {
      double dt_value = 0.0;
      double hot_value = 0.0;
      int64_t since = 0;
      check(sluice_param_get_f64(dt, &dt_value), "reading dt");
      check(sluice_param_get_f64(hot, &hot_value), "reading hot");
      check(sluice_param_since(dt, &since), "reading dt");
      if (since != dt_since) {
        dt_since = since;
        t_base = t;
        k_base = k - 1;
      }
      exchange_halos(&d, comm, column, current, hot_value);
      step(&d, current, next, dt_value);
      t = t_base + (double)(k - k_base) * dt_value;
    }
    check(sluice_apply_injections(temperature, k, SLUICE_F64, next, NULL), "applying injections");
    if (published) {
      check(sluice_commit(temperature, k), "publishing temperature");
      check(sluice_publish_value(time_stream, k, SLUICE_F64, &t), "publishing time");
    }
    check(sluice_end_iteration(bridge, k), "ending the iteration");
    check(sluice_stop_requested(bridge, &stop), "reading the stop request");
    current = next;
  }
  if (stop && is_root) {
    fprintf(stderr, "%s: stopped by steering after iteration %lld\n", program, (long long)(k - 1));
  }
  const double seconds = MPI_Wtime() - started;
  if (is_root) {
    fprintf(stderr,
            "%s: %lld x %lld grid on %d x %d ranks, %lld iterations in %.3f s "
            "(%.1f Mcell updates/s)\n",
            program, (long long)o.nx, (long long)o.ny, d.px, d.py, (long long)(k - 1), seconds,
            (double)(o.nx * o.ny * (k - 1)) / seconds / 1e6);
  }
  MPI_Type_free(&column);
  free(spare_a);
  free(spare_b);
  check(sluice_finalize(&bridge), "finishing sluice");
  MPI_Finalize();
  return 0;
}
