// The `sluice._sluice` extension: Python bindings of the reader's side of sluice (the
// runtime of an analytics process, consumers, subscriptions, steps and step groups).
// The pure-Python package `sluice` (python/sluice/) builds the user-facing API on it:
// implicit runtime, region parsing, callbacks over windows of iterations.
//
// Lifetimes. The C++ objects refer to each other by address (a Step to its
// Subscription, a Subscription to its Consumer, a Consumer to the Runtime): every
// Python handle keeps the handle it depends on alive. shutdown() ends the run in the
// order C++ requires (steps released, consumers closed, Runtime::free, MPI_Finalize if
// we initialised MPI); every handle checks the session afterwards and refuses to touch
// MPI again.
//
// Waiting. next() releases the GIL and waits in slices of 100 ms, checking for signals
// between them, so that Ctrl-C interrupts a long wait.

#include "bindings.hpp"
#include "sluice/core/error.hpp"
#include "sluice/runtime/role.hpp"

PYBIND11_MODULE(_sluice, m) {
  using namespace sluice;          // NOLINT: the bindings name most of sluice
  using namespace sluice::python;  // NOLINT
  m.doc() = "sluice's C++ reader API (use the `sluice` package)";

  static py::exception<Error> error(m, "Error", PyExc_RuntimeError);
  static py::exception<NotFound> not_found(m, "NotFound", error.ptr());
  static py::exception<InvalidArgument> invalid(m, "InvalidArgument", error.ptr());
  static py::exception<StateError> state(m, "StateError", error.ptr());
  static py::exception<RoleError> role_error(m, "RoleError", error.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) {
        std::rethrow_exception(p);
      }
    } catch (const NotFound& e) {
      not_found(e.what());
    } catch (const InvalidArgument& e) {
      invalid(e.what());
    } catch (const StateError& e) {
      state(e.what());
    } catch (const RoleError& e) {
      role_error(e.what());
    } catch (const Error& e) {
      error(e.what());
    }
  });

  py::enum_<StepStatus>(m, "Status")
      .value("ok", StepStatus::ok)
      .value("not_ready", StepStatus::not_ready)
      .value("end_of_stream", StepStatus::end_of_stream)
      .value("error", StepStatus::error);

  m.def("mpi_initialized", &mpi::Environment::is_initialized);
  m.def("mpi_finalized", &mpi::Environment::is_finalized);
  m.def("shutdown", &shutdown,
        "Releases held steps, closes consumers, frees the runtime (collective over the job) "
        "and finalises MPI if sluice initialised it. Idempotent.");
  m.def("is_shut_down", [] { return session().is_shut_down; });
  m.def("step_statistics", &step_statistics, py::arg("step"), py::arg("previous") = py::none(),
        py::arg("compare") = true, py::arg("range") = std::pair<double, double>(0.0, 1.0),
        py::arg("bins") = 16,
        "One pass over an f32/f64 step where it lies (in place: the producers' slots): a dict "
        "of sum, count, min, max, mean, histogram (numpy.histogram's bins over `range`) and, "
        "given `previous` (a writable C-contiguous array of the step's shape), change_sum and "
        "change_count against it (unless compare=False), which it then overwrites with this "
        "step's values. The GIL is released while it runs.");
  m.def("leave_on_error", &leave_on_error,
        "What an uncaught exception does once sluice started: releases held steps, closes "
        "consumers and leaves the job (Runtime::leave_on_error); the simulation goes on "
        "without this process. Under a plain mpirun the process takes its part in the job's "
        "end first; under mpirun --enable-recovery it leaves at once. Idempotent.");

  py::class_<PyRuntime>(m, "Runtime")
      .def(py::init([](const std::string& role, std::vector<std::string> required, double join_s) {
             auto& s = session();
             check_alive("starting sluice's runtime");
             if (s.runtime) {
               throw StateError("starting sluice's runtime",
                                "this process already has one (one per process)",
                                "use sluice.runtime()");
             }
             if (!s.environment) {
               s.environment = std::make_unique<mpi::Environment>(mpi::ThreadLevel::funneled);
             }
             RuntimeOptions options;
             options.required_roles.clear();
             for (const auto& name : required) {
               const auto r = parse_role(name);
               if (!r) {
                 throw InvalidArgument("requiring role '" + name + "'", "there is no such role",
                                       "roles: simulation, scheduler, analytics, service");
               }
               options.required_roles.push_back(*r);
             }
             options.join_timeout =
                 std::chrono::milliseconds(static_cast<std::int64_t>(join_s * 1000.0));
             {
               py::gil_scoped_release unlocked;
               s.runtime = std::make_unique<Runtime>(std::string_view(role), options);
             }
             return PyRuntime{s.runtime.get()};
           }),
           py::arg("role") = "analytics",
           py::arg("required_roles") = std::vector<std::string>{"simulation"},
           py::arg("join_timeout") = 60.0)
      .def_property_readonly(
          "role", [](const PyRuntime& r) { return std::string(role_name(r.runtime->role())); })
      .def_property_readonly("world_rank",
                             [](const PyRuntime& r) { return r.runtime->world_rank(); })
      .def_property_readonly("world_size",
                             [](const PyRuntime& r) { return r.runtime->world_size(); })
      .def_property_readonly("rank", [](const PyRuntime& r) { return r.runtime->comm().rank(); })
      .def_property_readonly("size", [](const PyRuntime& r) { return r.runtime->comm().size(); })
      .def("ranks_of", [](const PyRuntime& r, const std::string& name) {
        const auto role = parse_role(name);
        if (!role) {
          throw InvalidArgument("listing the ranks of role '" + name + "'",
                                "there is no such role");
        }
        const auto ranks = r.runtime->ranks_of(*role);
        return std::vector<int>(ranks.begin(), ranks.end());
      });

  py::class_<PyConsumer>(m, "Consumer")
      .def(py::init([](py::object runtime, bool read_in_place) {
             check_alive("creating a consumer");
             auto& r = runtime.cast<PyRuntime&>();
             std::shared_ptr<Consumer> consumer;
             {
               py::gil_scoped_release unlocked;  // collective over the job
               consumer = std::make_shared<Consumer>(
                   *r.runtime, channel::ConsumerOptions{.read_in_place = read_in_place});
             }
             session().consumers.push_back(consumer);
             return PyConsumer{std::move(consumer), runtime};
           }),
           py::arg("runtime"), py::arg("read_in_place") = true)
      .def("streams",
           [](PyConsumer& c) {
             check_alive("listing streams");
             py::list out;
             for (const auto& info : c.consumer->discover()) {
               out.append(stream_dict(info));
             }
             return out;
           })
      .def(
          "subscribe",
          [](py::object self, const std::string& name, std::optional<std::string> dtype,
             std::optional<Extents> start, std::optional<Extents> count,
             std::optional<Extents> every, bool value) {
            check_alive("subscribing");
            auto& c = self.cast<PyConsumer&>();
            // Without a dtype: the stream's own (NotFound, naming the streams, comes from
            // subscribe for an unknown name).
            Dtype type = Dtype::f64;
            if (dtype) {
              type = dtype_from_name(*dtype);
            } else {
              for (const auto& info : c.consumer->discover()) {
                if (info.name == name) {
                  type = info.dtype;
                }
              }
            }
            Subscription* sub = nullptr;
            if (value) {
              sub = &c.consumer->subscribe_value_dtype(name, type);
            } else if (start || count || every) {
              Selection selection;
              if (start) {
                selection.start = *start;
              }
              if (count) {
                selection.count = *count;
              }
              if (every) {
                selection.every = *every;
              }
              sub = &c.consumer->subscribe_dtype(name, type, &selection);
            } else {
              sub = &c.consumer->subscribe_dtype(name, type, nullptr);
            }
            return PySubscription{sub, c.consumer, self};
          },
          py::arg("name"), py::arg("dtype") = py::none(), py::arg("start") = py::none(),
          py::arg("count") = py::none(), py::arg("every") = py::none(), py::arg("value") = false)
      .def("start",
           [](PyConsumer& c) {
             check_alive("starting to read");
             py::gil_scoped_release unlocked;  // collective over the job
             c.consumer->start();
           })
      .def("close",
           [](PyConsumer& c) {
             if (!session().is_shut_down) {
               c.consumer->close();
             }
           })
      .def_property_readonly("is_closed",
                             [](const PyConsumer& c) { return c.consumer->is_closed(); });

  py::class_<PySubscription>(m, "Subscription")
      .def(
          "next",
          [](py::object self, std::optional<double> timeout) {
            check_alive("waiting for a step");
            auto& sub = self.cast<PySubscription&>();
            auto step = wait_in_slices<Step>(
                timeout, [&](std::chrono::milliseconds t) { return sub.subscription->next(t); });
            return make_step(std::make_shared<Step>(std::move(step)), sub, self);
          },
          py::arg("timeout") = py::none())
      .def_property_readonly("name",
                             [](const PySubscription& s) { return s.subscription->stream().name; })
      .def_property_readonly(
          "dtype",
          [](const PySubscription& s) { return numpy_dtype(s.subscription->stream().dtype); })
      .def_property_readonly("shape",
                             [](const PySubscription& s) {
                               return py::tuple(py::cast(s.subscription->selection().count));
                             })
      .def_property_readonly("start",
                             [](const PySubscription& s) {
                               return py::tuple(py::cast(s.subscription->selection().start));
                             })
      .def_property_readonly(
          "is_value", [](const PySubscription& s) { return s.subscription->stream().is_value; })
      .def_property_readonly(
          "reads_in_place",
          [](const PySubscription& s) { return s.subscription->reads_in_place(); })
      .def("force_remote", [](PySubscription& s) { s.subscription->force_remote(); })
      .def("counters",
           [](const PySubscription& s) {
             const auto c = s.subscription->counters();
             py::dict d;
             d["delivered"] = c.delivered;
             d["bytes_pulled"] = c.bytes_pulled;
             d["torn_reads"] = c.torn_reads;
             d["read_in_place"] = c.read_in_place;
             return d;
           })
      .def("close",
           [](PySubscription& s) {
             if (!session().is_shut_down) {
               s.subscription->close();
             }
           })
      .def_property_readonly("is_closed",
                             [](const PySubscription& s) { return s.subscription->is_closed(); });

  py::class_<PyStep>(m, "Step")
      .def_property_readonly("status", &status_of)
      .def_property_readonly("ok", [](const PyStep& s) { return s.step->ok(); })
      .def_property_readonly("iteration", [](const PyStep& s) { return s.step->iteration(); })
      .def_property_readonly("error", [](const PyStep& s) { return s.step->error(); })
      .def_property_readonly("stream", [](const PyStep& s) { return s.stream; })
      .def_property_readonly("in_place", [](const PyStep& s) { return s.step->in_place(); })
      .def_property_readonly("shape",
                             [](const PyStep& s) { return py::tuple(py::cast(s.step->shape())); })
      .def_property_readonly(
          "selection_start",
          [](const PyStep& s) { return py::tuple(py::cast(s.step->selection().start)); })
      .def("array", &step_array, py::arg("copy") = false)
      .def("value", &step_value)
      .def("blocks", &step_blocks)
      .def("release",
           [](PyStep& s) {
             if (!session().is_shut_down) {
               s.step->release();
             }
           })
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyStep& s, py::args) {
        if (!session().is_shut_down) {
          s.step->release();
        }
        return false;
      });

  struct PyGroupStep {
    std::shared_ptr<GroupStep> group;
    std::vector<PyStep> members;
  };

  py::class_<PyGroupStep>(m, "GroupStep")
      .def_property_readonly("status", [](const PyGroupStep& g) { return g.group->status(); })
      .def_property_readonly("ok", [](const PyGroupStep& g) { return g.group->ok(); })
      .def_property_readonly("iteration", [](const PyGroupStep& g) { return g.group->iteration(); })
      .def_property_readonly("error", [](const PyGroupStep& g) { return g.group->error(); })
      .def("__len__", [](const PyGroupStep& g) { return g.members.size(); })
      .def("__getitem__",
           [](const PyGroupStep& g, std::size_t i) {
             if (i >= g.members.size()) {
               throw py::index_error("a group step has " + std::to_string(g.members.size()) +
                                     " members");
             }
             return g.members[i];
           })
      .def("release",
           [](PyGroupStep& g) {
             if (!session().is_shut_down) {
               for (auto& member : g.members) {
                 member.step->release();
               }
             }
           })
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyGroupStep& g, py::args) {
        if (!session().is_shut_down) {
          for (auto& member : g.members) {
            member.step->release();
          }
        }
        return false;
      });

  struct PyStepGroup {
    std::unique_ptr<StepGroup> group;
    std::vector<py::object> members;  // subscription handles
  };

  py::class_<PyStepGroup>(m, "StepGroup")
      .def(py::init([](std::vector<py::object> members) {
             check_alive("grouping subscriptions");
             std::vector<Subscription*> subs;
             for (auto& member : members) {
               subs.push_back(member.cast<PySubscription&>().subscription);
             }
             return PyStepGroup{std::make_unique<StepGroup>(std::move(subs)), std::move(members)};
           }),
           py::arg("subscriptions"))
      .def(
          "next",
          [](PyStepGroup& g, std::optional<double> timeout) {
            check_alive("waiting for a group step");
            auto step = wait_in_slices<GroupStep>(
                timeout, [&](std::chrono::milliseconds t) { return g.group->next(t); });
            PyGroupStep out{std::make_shared<GroupStep>(std::move(step)), {}};
            if (out.group->ok()) {
              for (std::size_t i = 0; i < out.group->size(); ++i) {
                // Aliases the group step: the member lives as long as any handle to it.
                std::shared_ptr<Step> member(out.group, &(*out.group)[i]);
                auto& sub = g.members[i].cast<PySubscription&>();
                out.members.push_back(make_step(std::move(member), sub, g.members[i]));
              }
            }
            return out;
          },
          py::arg("timeout") = py::none())
      .def("counters", [](const PyStepGroup& g) {
        const auto c = g.group->counters();
        py::dict d;
        d["delivered"] = c.delivered;
        d["incomplete"] = c.incomplete;
        return d;
      });
}
