#ifndef SLUICE_SLUICE_H
#define SLUICE_SLUICE_H
/**
 * @file
 * The C API of sluice, for simulations written in C (and, through the `sluice`
 * Fortran module, in Fortran). C99; no C++ type crosses it.
 *
 * @code
 * sluice_bridge* bridge;
 * MPI_Comm sim;
 * sluice_init_split(&sim, &bridge);               // collective over MPI_COMM_WORLD
 * sluice_layout layout = {.ndims = 2, .global_shape = {nx, ny},
 *                         .block_start = {row0, 0}, .block_count = {rows, ny},
 *                         .local_shape = {rows + 2, ny + 2}, .local_offset = {1, 1}};
 * sluice_stream* T;
 * sluice_expose(bridge, "temperature", SLUICE_F64, &layout, 1, NULL, &T);
 * for (int64_t k = 0; k <= iters; ++k) {
 *   double* field;
 *   sluice_slot(T, k, 0, SLUICE_F64, (void**)&field);   // zero-copy: compute here
 *   ...
 *   sluice_commit(T, k);                  // or sluice_publish(T, k, SLUICE_F64, buf)
 *   sluice_end_iteration(bridge, k);
 * }
 * sluice_finalize(&bridge);               // collective over MPI_COMM_WORLD
 * @endcode
 *
 * Errors: every function returns a status (SLUICE_OK, 0, on success);
 * sluice_last_error() gives the message of the last failure on the calling thread.
 * A NULL or finalized handle is SLUICE_ERR_HANDLE, never a crash. Collectivity is as
 * in the C++ API (sluice::channel::Bridge): sluice_init*, sluice_expose* and
 * sluice_finalize are collective; the first publish and sluice_end_iteration are too
 * when the job has readers or steering services. No function is thread-safe: call
 * them from the thread that drives the simulation (sluice_last_error excepted).
 *
 * MPI must be initialised by the caller (MPI_Init or MPI_Init_thread), and finalised
 * by it after sluice_finalize.
 */

#include <mpi.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Status codes. */
typedef enum sluice_status {
  SLUICE_OK = 0,
  SLUICE_ERR_INVALID_ARGUMENT = 1, /**< a value is out of range, of the wrong type or shape */
  SLUICE_ERR_NOT_FOUND = 2,        /**< a name (stream, parameter) is not known */
  SLUICE_ERR_STATE = 3,            /**< valid call, wrong moment (closed, already started) */
  SLUICE_ERR_MPI = 4,              /**< an MPI call failed */
  SLUICE_ERR_ROLE = 5,             /**< the processes of the job do not make a valid job */
  SLUICE_ERR_HANDLE = 6,           /**< a NULL, finalized or foreign handle */
  SLUICE_ERR_OTHER = 7             /**< anything else (out of memory, ...) */
} sluice_status;

/** Element types, as sluice::Dtype. Functions take them as `int dtype` (and options
 *  the policy as an int32_t): a value outside the enumeration is then an error code
 *  rather than undefined behaviour on the C++ side. */
typedef enum sluice_dtype {
  SLUICE_F32 = 0,
  SLUICE_F64 = 1,
  SLUICE_I32 = 2,
  SLUICE_I64 = 3,
  SLUICE_U8 = 4
} sluice_dtype;

/** What a stream does with readers slower than the simulation (sluice::channel::Policy). */
typedef enum sluice_policy {
  SLUICE_POLICY_BLOCK = 0, /**< nothing is lost: the producer waits (default) */
  SLUICE_POLICY_SKIP = 1,  /**< the iteration is dropped on every rank alike */
  SLUICE_POLICY_LATEST = 2 /**< readers only ever get the newest iteration */
} sluice_policy;

/** Most dimensions a stream has. */
#define SLUICE_MAX_DIMS 3

/**
 * One block of a stream on this rank, row-major (C order), as sluice::channel::Layout.
 * local_shape all zero means block_count (no halo); local_offset is where the block
 * starts inside the local buffer.
 */
typedef struct sluice_layout {
  int32_t ndims; /**< 1 to SLUICE_MAX_DIMS */
  int64_t global_shape[SLUICE_MAX_DIMS];
  int64_t block_start[SLUICE_MAX_DIMS];
  int64_t block_count[SLUICE_MAX_DIMS];
  int64_t local_shape[SLUICE_MAX_DIMS];
  int64_t local_offset[SLUICE_MAX_DIMS];
} sluice_layout;

/** Stream options; pass NULL for the defaults (depth 2, SLUICE_POLICY_BLOCK). */
typedef struct sluice_stream_options {
  int32_t depth;  /**< slots per producing rank, at least 1 (0: the default) */
  int32_t policy; /**< a sluice_policy: the slow-reader policy */
} sluice_stream_options;

typedef struct sluice_bridge sluice_bridge; /**< the simulation's sluice (runtime + bridge) */
typedef struct sluice_stream sluice_stream; /**< an exposed stream; owned by its bridge */
typedef struct sluice_param sluice_param;   /**< a steerable parameter; owned by its bridge */

/** The message of the last failed call on this thread ("" if none). Thread-safe. */
const char* sluice_last_error(void);
/** "SLUICE_OK", "SLUICE_ERR_STATE", ... ("unknown status" otherwise). */
const char* sluice_status_name(int status);
/** The library's version, "MAJOR.MINOR.PATCH". */
const char* sluice_version(void);
/** Prints "sluice: <message>" on stderr and aborts the job (MPI_Abort on
 *  MPI_COMM_WORLD with `code`), as MPI's default error handler does. */
void sluice_abort(const char* message, int code);

/* ---- start and end ---------------------------------------------------------- */

/**
 * Declares this process a simulation rank whose communicator is `sim_comm`, which
 * must hold exactly the job's simulation processes (those calling sluice_init*), in
 * any order. Collective over MPI_COMM_WORLD (every process of the job declares its
 * role). SLUICE_ERR_ROLE, on every simulation rank alike, if `sim_comm` is not the
 * simulation's processes. After a failed sluice_init* the rest of the job is still
 * in its set-up: abort it (sluice_abort).
 */
int sluice_init(MPI_Comm sim_comm, sluice_bridge** bridge);
/**
 * Declares this process a simulation rank and lets sluice split MPI_COMM_WORLD by
 * role: `*sim_comm` is the simulation's communicator (use it where you used
 * MPI_COMM_WORLD; sluice owns it: do not free it; valid until sluice_finalize).
 * Collective over MPI_COMM_WORLD.
 */
int sluice_init_split(MPI_Comm* sim_comm, sluice_bridge** bridge);
/** The same for Fortran handles (MPI_Fint; mpi_f08 users pass comm%MPI_VAL). */
int sluice_init_f(MPI_Fint sim_comm, sluice_bridge** bridge);
int sluice_init_split_f(MPI_Fint* sim_comm, sluice_bridge** bridge);

/** Marks the end of iteration `iteration` (iterations increase): applies steering,
 *  waits while paused. Collective over the simulation ranks when steered. */
int sluice_end_iteration(sluice_bridge* bridge, int64_t iteration);
/** Closes every stream (readers get end of stream). Local. Idempotent. */
int sluice_close(sluice_bridge* bridge);
/** Closes if needed, frees the runtime (collective over MPI_COMM_WORLD), frees every
 *  handle of the bridge and sets `*bridge` to NULL. In a job that lost a process that
 *  is not a simulation rank (run with mpirun --enable-recovery, see the README), it
 *  ends the process after closing, exit status 0: the MPI_Finalize that follows it
 *  would wait forever for the lost process. Call it last. */
int sluice_finalize(sluice_bridge** bridge);

/* ---- streams ---------------------------------------------------------------- */

/**
 * Exposes stream `name` with `nblocks` blocks on this rank (0 allowed: owns none).
 * Collective over the simulation ranks, in the same order on every rank.
 * `options` may be NULL. `*stream` stays valid until sluice_finalize.
 */
int sluice_expose(sluice_bridge* bridge, const char* name, int dtype, const sluice_layout* blocks,
                  int32_t nblocks, const sluice_stream_options* options, sluice_stream** stream);
/** Exposes a single value per iteration (the simulation time). Collective as above. */
int sluice_expose_value(sluice_bridge* bridge, const char* name, int dtype,
                        const sluice_stream_options* options, sluice_stream** stream);

/** The number of blocks this rank produces, and the layout of one (normalised). */
int sluice_stream_blocks(const sluice_stream* stream, int32_t* nblocks);
int sluice_stream_layout(const sluice_stream* stream, int32_t block, sluice_layout* layout);

/** Copies the owned region of `local` (a buffer of the layout's local_shape, of type
 *  `dtype`) and publishes iteration `iteration` (rank with at most one block). */
int sluice_publish(sluice_stream* stream, int64_t iteration, int dtype, const void* local);
/** The same with one buffer per block, in the order they were exposed. */
int sluice_publish_blocks(sluice_stream* stream, int64_t iteration, int dtype,
                          const void* const* locals, int32_t nblocks);
/** Publishes the value `*value` (of type `dtype`) of a single-value stream: every
 *  simulation rank calls it with the same value. */
int sluice_publish_value(sluice_stream* stream, int64_t iteration, int dtype, const void* value);

/** Zero-copy: `*data` is the buffer (local_shape of block `block`) in which to compute
 *  iteration `iteration`; readers see it after sluice_commit(stream, iteration). */
int sluice_slot(sluice_stream* stream, int64_t iteration, int32_t block, int dtype, void** data);
int sluice_commit(sluice_stream* stream, int64_t iteration);

/** Checks that a buffer of `ndims` dimensions of shape `shape` (C order) is the local
 *  buffer of block `block`: SLUICE_ERR_INVALID_ARGUMENT saying what differs otherwise.
 *  The Fortran module calls it before every publish. Local. */
int sluice_stream_check_buffer(const sluice_stream* stream, int32_t block, int32_t ndims,
                               const int64_t* shape);

/** Lets steering clients inject data into this stream (on every rank, before the
 *  first publish). */
int sluice_accept_injections(sluice_stream* stream);
/** Writes the injections holding from `iteration` into `local` (local_shape, of
 *  `dtype`); `*written` (may be NULL) gets the number of elements written. */
int sluice_apply_injections(sluice_stream* stream, int64_t iteration, int dtype, void* local,
                            int64_t* written);

/* ---- steering ----------------------------------------------------------------- */

/**
 * Registers a steerable parameter; every simulation rank registers the same ones in
 * the same order, before the first publish. `min`, `max` (inclusive) and `doc` may be
 * NULL. Local. `*param` stays valid until sluice_finalize.
 */
int sluice_param_f64(sluice_bridge* bridge, const char* name, double initial, const double* min,
                     const double* max, const char* doc, sluice_param** param);
int sluice_param_i64(sluice_bridge* bridge, const char* name, int64_t initial, const int64_t* min,
                     const int64_t* max, const char* doc, sluice_param** param);
int sluice_param_bool(sluice_bridge* bridge, const char* name, bool initial, const char* doc,
                      sluice_param** param);

/** The parameter's current value; SLUICE_ERR_INVALID_ARGUMENT for the wrong type.
 *  Changes only inside sluice_end_iteration, at the same iteration on every rank. */
int sluice_param_get_f64(const sluice_param* param, double* value);
int sluice_param_get_i64(const sluice_param* param, int64_t* value);
int sluice_param_get_bool(const sluice_param* param, bool* value);
/** The iteration from which the current value holds (0 for the initial value). */
int sluice_param_since(const sluice_param* param, int64_t* iteration);

/** Whether steering asked the simulation to stop (leave the loop, then finalize). */
int sluice_stop_requested(const sluice_bridge* bridge, bool* stop);
/** Whether the simulation is paused (sluice_end_iteration waits while it is). */
int sluice_paused(const sluice_bridge* bridge, bool* paused);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_SLUICE_H */
