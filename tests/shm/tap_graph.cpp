// The analytics of the external-reader tests' graph case: submits a graph over
// tap_producer's "field" (6 x 8) whose outputs are derived streams, "field.row_sums"
// (the sum of each row) and "field.mean" (one value), and runs it until the
// simulation ends. With a sluice-scheduler in the job the graph runs there, so the
// derived streams are produced by the scheduler, exposed while the simulation runs.
//
//   sluice-mpirun -np 2 tap_producer ... : -np 1 sluice-scheduler : -np 1 tap_graph
#include <cstdio>
#include <exception>

#include "sluice/channel/consumer.hpp"
#include "sluice/graph/client.hpp"
#include "sluice/graph/graph.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"

int main(int argc, char** argv) {
  sluice::mpi::Environment mpi(argc, argv);
  try {
    sluice::Runtime runtime(sluice::Role::analytics,
                            {.required_roles = {sluice::Role::simulation}});
    sluice::channel::Consumer consumer(runtime);
    sluice::graph::Client client(runtime, consumer);
    sluice::graph::Graph g("rows");
    auto field = g.stream("field");
    g.output("field.row_sums", sum(field, {1}));
    g.output("field.mean", mean(field));
    const auto id = client.submit(g);
    client.run();
    const auto status = client.status(id);
    std::printf("tap_graph: %llu iterations, %s\n",
                static_cast<unsigned long long>(status.iterations),
                client.runs_on_ring(id) ? "on the ring" : "in the client");
    runtime.free();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tap_graph: %s\n", e.what());
    return 1;
  }
  return 0;
}
