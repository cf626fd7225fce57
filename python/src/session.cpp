// The process's session of the `sluice._sluice` extension, and its orderly end.
#include "bindings.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"

namespace sluice::python {

Session& session() {
  static Session instance;
  return instance;
}

void check_alive(const char* asked) {
  if (session().is_shut_down) {
    throw StateError(asked, "sluice was shut down (sluice.shutdown() or the end of the program)",
                     "do everything before the program ends");
  }
}

void track(const std::shared_ptr<Step>& step) {
  auto& steps = session().steps;
  if (steps.size() > 64) {
    steps.remove_if([](const auto& weak) { return weak.expired(); });
  }
  steps.push_back(step);
}

// ---- shutdown ------------------------------------------------------------------------

namespace {

// Releases held steps and closes the consumers: producers stop keeping iterations for
// this process.
void let_go_of_streams(Session& s) {
  for (auto& weak : s.steps) {
    if (auto step = weak.lock()) {
      step->release();
    }
  }
  s.steps.clear();
  for (auto& weak : s.consumers) {
    if (auto consumer = weak.lock()) {
      consumer->close();
    }
  }
}

}  // namespace

void shutdown() {
  auto& s = session();
  if (s.is_shut_down) {
    return;
  }
  s.is_shut_down = true;
  let_go_of_streams(s);
  if (s.runtime) {
    py::gil_scoped_release unlocked;  // a collective: other threads may run meanwhile
    s.runtime->free();
  }
  // The Runtime object stays (handles may still point to it); MPI ends here if we began it.
  s.environment.reset();
}

void leave_on_error() {
  auto& s = session();
  if (s.is_shut_down) {
    return;
  }
  s.is_shut_down = true;
  try {
    let_go_of_streams(s);
  } catch (const std::exception& e) {
    log::warn("leaving the job on an error: ", e.what());
  }
  if (s.runtime) {
    py::gil_scoped_release unlocked;
    s.runtime->leave_on_error();
  }
  // MPI_Finalize, unless Runtime::leave_on_error forwent it (the others go on).
  s.environment.reset();
}

}  // namespace sluice::python
