// sluice's steering service: read a running simulation's status, change its
// parameters, pause, resume and stop it. Every change is applied by all simulation
// ranks at the same iteration, which the call returns.
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
}

exception UnknownName { 1: string message }
exception WrongType { 1: string message }
exception OutOfRange { 1: string message }
exception BadRequest { 1: string message }
exception NotPermitted { 1: string message }
exception SimulationFinished { 1: string message }
// the simulation did not reach an iteration boundary in time
exception Timeout { 1: string message }

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
}
