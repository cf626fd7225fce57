#pragma once
// Private to the `sluice._sluice` extension (python/src/): the Python handles of sluice's
// reader objects, the process's session, and the conversions to numpy.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>  // in every unit: pybind11 requires it consistently

#include <algorithm>
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/channel/consumer.hpp"
#include "sluice/channel/step_group.hpp"
#include "sluice/core/dtype.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

namespace sluice::python {

namespace py = pybind11;
using channel::Consumer;
using channel::GroupStep;
using channel::Step;
using channel::StepGroup;
using channel::StepStatus;
using channel::Subscription;

// ---- the process's session: MPI, its Runtime, every live step (session.cpp) ---------

// ---- the process's session: MPI, its Runtime, every live step ---------------------

struct Session {
  std::unique_ptr<mpi::Environment> environment;
  std::unique_ptr<Runtime> runtime;
  std::vector<std::weak_ptr<Consumer>> consumers;
  std::list<std::weak_ptr<Step>> steps;  // released at shutdown
  bool is_shut_down = false;
};

Session& session();
/// StateError once shutdown() ran: nothing may touch MPI any more.
void check_alive(const char* asked);
/// Remembers a step, so that shutdown() releases it before the consumers close.
void track(const std::shared_ptr<Step>& step);
/// Releases held steps, closes consumers, frees the runtime (collective over the job)
/// and finalises MPI if sluice initialised it. Idempotent.
void shutdown();
/// What an uncaught exception does: releases held steps, closes consumers and leaves
/// the job as the C++ programs do (Runtime::leave_on_error): the simulation goes on
/// without this process. Idempotent; the session is shut down afterwards.
void leave_on_error();

// Waits up to `timeout_s` (None: for ever) in slices, the GIL released during each.
template <typename Result, typename Wait>
Result wait_in_slices(std::optional<double> timeout_s, Wait&& wait) {
  using clock = std::chrono::steady_clock;
  constexpr auto slice = std::chrono::milliseconds(100);
  const bool forever = !timeout_s.has_value();
  const auto deadline =
      clock::now() + std::chrono::duration_cast<clock::duration>(
                         std::chrono::duration<double>(forever ? 0.0 : std::max(0.0, *timeout_s)));
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    const auto this_wait = forever ? slice : std::clamp(left, std::chrono::milliseconds(0), slice);
    std::optional<Result> result;
    {
      py::gil_scoped_release unlocked;
      result.emplace(wait(this_wait));
    }
    if (result->status() != StepStatus::not_ready || (!forever && clock::now() >= deadline)) {
      return std::move(*result);
    }
    if (PyErr_CheckSignals() != 0) {
      throw py::error_already_set();
    }
  }
}

// ---- handles -----------------------------------------------------------------------

struct PyRuntime {
  Runtime* runtime = nullptr;
};

struct PyConsumer {
  std::shared_ptr<Consumer> consumer;
  py::object runtime;  // keeps the runtime handle alive
};

struct PySubscription {
  Subscription* subscription = nullptr;
  std::shared_ptr<Consumer> consumer;  // owns it
  py::object consumer_handle;
};

/// A step (of a subscription or a member of a group). `step` may alias a GroupStep.
struct PyStep {
  std::shared_ptr<Step> step;
  Dtype dtype = Dtype::f64;
  bool is_value = false;
  std::string stream;
  py::object owner;  // the subscription handle: keeps the consumer alive

  Step& held(const char* asked) const {
    check_alive(asked);
    return *step;
  }
};

inline StepStatus status_of(const PyStep& s) { return s.step->status(); }

// ---- numpy (arrays.cpp) --------------------------------------------------------------

py::dtype numpy_dtype(Dtype dtype);
/// The Dtype of a name ("f64"...); InvalidArgument otherwise.
Dtype dtype_from_name(const std::string& name);
/// step.array(): a read-only view into the producer's slot when the step was read in
/// place and one producer block holds all of the selection, a copy otherwise.
py::array step_array(py::object self, bool copy);
py::object step_value(const PyStep& s);
py::list step_blocks(py::object self);
PyStep make_step(std::shared_ptr<Step> step, const PySubscription& sub, py::object owner);
py::dict stream_dict(const channel::StreamInfo& info);

// ---- the fused statistics kernel (statistics.cpp) ------------------------------------

/// Sum, min, max, count, mean, the histogram over `range` and, with `previous` (the
/// last iteration's values, row-major over the step's selection, overwritten with this
/// one's), the sum and count of the changes: one pass over the step where it lies.
py::dict step_statistics(const PyStep& s, std::optional<py::array> previous, bool compare,
                         std::pair<double, double> range, std::size_t bins);

}  // namespace sluice::python
