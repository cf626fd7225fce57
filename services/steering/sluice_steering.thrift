// sluice's steering service: read a running simulation's status, change its
// parameters, change what its streams publish, inject data into its arrays, pause,
// resume and stop it. Every change is applied by all simulation ranks at the same
// iteration, which the call returns.
//
// Every call takes the server's token: any string when the server listens on loopback
// without one; otherwise the exact token, or NotPermitted.

namespace cpp sluice.steering.thrift
namespace py sluice_steering

enum ValueType {
  F64 = 1,
  I64 = 2,
  BOOL = 3,
}

union Value {
  1: double f64,
  2: i64 integer,
  3: bool flag,
}

struct Parameter {
  1: string name,
  2: ValueType type,
  3: Value value,
  4: optional Value min,
  5: optional Value max,
  6: string doc,
  // the iteration from which the current value holds
  7: i64 since_iteration,
}

// A box of a stream's global array: start[d] .. start[d] + count[d] - 1. Two empty
// lists mean the whole array.
struct Region {
  1: list<i64> start,
  2: list<i64> count,
}

struct StreamStatus {
  1: string name,
  2: string dtype,
  3: list<i64> shape,
  // the newest iteration every producer has committed (-1: none yet)
  4: i64 newest_iteration,
  5: i64 published,
  6: i64 skipped,
  7: i64 bytes_pulled,
  8: i64 active_readers,
  9: bool closed,
  // what steering lets the stream publish: on/off, every n-th iteration, which region
  10: bool enabled,
  11: i64 every,
  12: Region region,
  // the iteration from which that holds
  13: i64 exposure_since,
  // iterations not published because of it
  14: i64 withheld,
  // whether the simulation takes injections into this array
  15: bool injectable,
  // readers the producers evicted for holding an iteration longer than the stream's
  // reader lease (Policy::block)
  16: i64 evicted,
}

// A change to a stream: the fields that are set change, the others keep their value.
// Setting `every` restarts its count at the iteration the change holds from.
struct StreamControl {
  1: optional bool enabled,
  2: optional i64 every,
  3: optional Region region,
}

// A stream graph running on the scheduler ring, as its root knows it.
struct GraphStatus {
  1: string name,
  // the world rank of the scheduler that merges its partials and gives its outputs
  2: i32 root,
  // the world ranks of the schedulers that run its partitions
  3: list<i32> partitions,
  4: i64 last_iteration,
  5: i64 iterations,
  6: i64 failed_iterations,
  7: i64 skipped_iterations,
  8: string last_error,
  9: i64 last_error_iteration,
  // the work of an iteration, microseconds (median and maximum of the last ones)
  10: double median_us,
  11: double max_us,
  12: i64 tasks_per_iteration,
  13: i64 callbacks_dropped,
  // how many times it was compiled (1, unless it is rebuilt every iteration)
  14: i64 compilations,
  // from the commit of an iteration's inputs to its outputs, microseconds
  15: double latency_median_us,
  16: double latency_max_us,
  // why it ended before its inputs did (a partition stopped reading them), or empty
  17: string stopped_early,
}

struct Status {
  // the last iteration the simulation ended (-1 before the first)
  1: i64 iteration,
  2: bool paused,
  3: bool finished,
  4: list<Parameter> parameters,
  5: list<StreamStatus> streams,
  // role name -> world ranks
  6: map<string, list<i32>> roles,
  // the stream graphs running on the scheduler ring
  7: list<GraphStatus> graphs,
  // what the simulation waits on while it cannot end its iteration (a reader holding
  // a slot of a `block` stream: which, for how long), or empty
  8: string waiting,
}

exception UnknownName { 1: string message }
exception WrongType { 1: string message }
exception OutOfRange { 1: string message }
exception BadRequest { 1: string message }
exception NotPermitted { 1: string message }
exception SimulationFinished { 1: string message }
// the simulation did not reach an iteration boundary in time
exception Timeout { 1: string message }
// a region outside the array, or with the wrong number of dimensions
exception BadRegion { 1: string message }

service Steering {
  Status status(1: string token)
      throws (1: NotPermitted denied, 2: SimulationFinished finished, 3: Timeout late),

  list<Parameter> list_parameters(1: string token)
      throws (1: NotPermitted denied, 2: SimulationFinished finished, 3: Timeout late),

  Value get_parameter(1: string token, 2: string name)
      throws (1: NotPermitted denied, 2: SimulationFinished finished, 3: Timeout late,
              4: UnknownName unknown),

  // Returns the iteration from which the new value holds on every rank.
  i64 set_parameter(1: string token, 2: string name, 3: Value value)
      throws (1: NotPermitted denied, 2: SimulationFinished finished, 3: Timeout late,
              4: UnknownName unknown, 5: WrongType wrong_type, 6: OutOfRange out_of_range,
              7: BadRequest bad),

  // Each returns the iteration before which the simulation pauses / from which it
  // resumes / before which it stops.
  i64 pause(1: string token)
      throws (1: NotPermitted denied, 2: SimulationFinished finished, 3: Timeout late),
  i64 resume(1: string token)
      throws (1: NotPermitted denied, 2: SimulationFinished finished, 3: Timeout late),
  i64 stop(1: string token)
      throws (1: NotPermitted denied, 2: SimulationFinished finished, 3: Timeout late),

  // Changes what a stream publishes; returns the iteration from which it holds.
  i64 control_stream(1: string token, 2: string stream, 3: StreamControl control)
      throws (1: NotPermitted denied, 2: SimulationFinished finished, 3: Timeout late,
              4: UnknownName unknown, 5: OutOfRange out_of_range, 6: BadRegion bad_region,
              7: BadRequest bad),

  // Injects data (raw little-endian elements of the stream's dtype, row-major over
  // the region) into a stream's simulation array, in as many chunks as the frame
  // bound requires: open, add every byte in order, commit. The commit returns the
  // iteration whose published field holds the injected values. An injection not
  // committed within 60 s of its last chunk is dropped. Floating-point data must be
  // finite (the commit throws OutOfRange at a NaN or an infinity) unless
  // allow_nonfinite is true.
  i64 open_injection(1: string token, 2: string stream, 3: Region region, 4: string dtype,
                     5: bool allow_nonfinite = false)
      throws (1: NotPermitted denied, 2: SimulationFinished finished,
              4: UnknownName unknown, 5: WrongType wrong_type, 6: BadRegion bad_region,
              7: BadRequest bad),
  // Returns the bytes received so far.
  i64 add_injection_data(1: string token, 2: i64 injection, 3: binary data)
      throws (1: NotPermitted denied, 7: BadRequest bad),
  i64 commit_injection(1: string token, 2: i64 injection)
      throws (1: NotPermitted denied, 2: SimulationFinished finished, 3: Timeout late,
              4: UnknownName unknown, 5: WrongType wrong_type, 6: BadRegion bad_region,
              7: BadRequest bad, 8: OutOfRange out_of_range),
}
