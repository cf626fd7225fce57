// The scheduler ring over MPI: scheduler processes (--role scheduler) serve; analytics
// processes (--role analytics) put and get through a Directory. meson runs it with 1
// to 3 schedulers and 2 clients.
#include <mpi.h>

#include <string>
#include <vector>

#include "../../src/ring/directory_protocol.hpp"
#include "../harness/mpi_test.hpp"
#include "sluice/core/error.hpp"
#include "sluice/ring/directory.hpp"
#include "sluice/ring/scheduler.hpp"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

constexpr int keys_per_client = 60;

std::string key(int client, int k) {
  return "stream/" + std::to_string(client) + "/" + std::to_string(k);
}
std::string value(int client, int k) {
  return std::string(static_cast<std::size_t>(k % 7 + 1), 'v') + std::to_string(client * 1000 + k);
}

RuntimeOptions options() { return {.required_roles = {Role::scheduler, Role::analytics}}; }

}  // namespace

SLUICE_MPI_TEST(every_key_lives_at_its_owner_and_is_found_from_any_process) {
  Runtime rt(testing::role(), options());
  if (rt.role() == Role::scheduler) {
    ring::Scheduler scheduler(rt);
    scheduler.serve_until_stopped();
    // Everything held here is owned here. Only a client's first request, sent before
    // it knows the ring, may need forwarding (by the coordinator).
    int misplaced = 0;
    for (const auto& [k, v] : scheduler.store()) {
      misplaced += scheduler.ring().owner(k) != rt.world_rank();
    }
    EXPECT_EQ(misplaced, 0);
    const auto clients_count = rt.ranks_of(Role::analytics).size();
    EXPECT_TRUE(scheduler.forwarded() <=
                (rt.world_rank() == ring::coordinator_of(rt) ? clients_count : 0));
    EXPECT_EQ(scheduler.epoch(), 1u);
    // Refused: client 0's random bytes, its stream query (no simulation here) and its
    // request from the future.
    long long refused = static_cast<long long>(scheduler.rejected());
    long long refused_total = 0;
    MPI_Allreduce(&refused, &refused_total, 1, MPI_LONG_LONG, MPI_SUM, rt.comm().get());
    EXPECT_EQ(refused_total, 3LL);
    // Across the ring, each key exactly once.
    long long held = static_cast<long long>(scheduler.store().size());
    long long total = 0;
    MPI_Allreduce(&held, &total, 1, MPI_LONG_LONG, MPI_SUM, rt.comm().get());
    const auto clients = static_cast<long long>(rt.ranks_of(Role::analytics).size());
    EXPECT_EQ(total, keys_per_client * clients);
  } else {
    ring::Directory directory(rt, 30s);
    const int me = rt.comm().rank();
    const int clients = rt.comm().size();
    for (int k = 0; k < keys_per_client; ++k) {
      directory.put(key(me, k), value(me, k));
    }
    directory.put(key(me, 0), value(me, 0));  // a second put replaces, never duplicates
    rt.comm().barrier();
    int wrong = 0;
    for (int client = 0; client < clients; ++client) {
      for (int k = 0; k < keys_per_client; ++k) {
        const auto got = directory.get(key(client, k));
        wrong += !got.has_value() || *got != value(client, k);
      }
    }
    EXPECT_EQ(wrong, 0);
    EXPECT_TRUE(!directory.get("stream/absent").has_value());
    EXPECT_THROW_WITH(directory.put("", "x"), InvalidArgument, "1 to 1024 bytes");
    EXPECT_THROW_WITH(directory.put(std::string(ring::max_key_bytes + 1, 'k'), "x"),
                      InvalidArgument, "a key has");
    EXPECT_THROW_WITH(directory.put("big", std::string(ring::max_value_bytes + 1, 'x')),
                      InvalidArgument, "more than");
    if (me == 0) {
      // Random bytes on the request tag: refused with a reason, the scheduler serves on.
      const int scheduler = rt.ranks_of(Role::scheduler).front();
      const char garbage[3] = {'x', 'y', 'z'};
      MPI_Send(garbage, 3, MPI_BYTE, scheduler, ring::directory_request_tag, rt.world().get());
      int bytes = 0;
      MPI_Status status;
      MPI_Probe(scheduler, ring::directory_reply_tag, rt.world().get(), &status);
      MPI_Get_count(&status, MPI_BYTE, &bytes);
      std::vector<char> reply(static_cast<std::size_t>(bytes));
      MPI_Recv(reply.data(), bytes, MPI_BYTE, scheduler, ring::directory_reply_tag,
               rt.world().get(), MPI_STATUS_IGNORE);
      EXPECT_TRUE(std::string(reply.begin(), reply.end()).find("shorter than a header") !=
                  std::string::npos);
      EXPECT_EQ(directory.get(key(0, 1)).value_or(""), value(0, 1));  // still serving
      EXPECT_THROW_WITH((void)directory.stream("temperature"), StateError, "serves no streams");
      // Epoch fencing: a request claiming an epoch no scheduler has reached is refused,
      // not held forever.
      const ring::detail::Header fenced{.kind = ring::detail::Kind::get,
                                        .requester = rt.world_rank(),
                                        .route_epoch = 99,
                                        .client_epoch = 99};
      const auto request = ring::detail::encode(fenced, "stream/0/1", {});
      MPI_Send(request.data(), static_cast<int>(request.size()), MPI_BYTE,
               directory.ring().owner("stream/0/1"), ring::directory_request_tag, rt.world().get());
      MPI_Probe(MPI_ANY_SOURCE, ring::directory_reply_tag, rt.world().get(), &status);
      MPI_Get_count(&status, MPI_BYTE, &bytes);
      reply.resize(static_cast<std::size_t>(bytes));
      MPI_Recv(reply.data(), bytes, MPI_BYTE, status.MPI_SOURCE, ring::directory_reply_tag,
               rt.world().get(), MPI_STATUS_IGNORE);
      EXPECT_TRUE(std::string(reply.begin(), reply.end()).find("which no scheduler has reached") !=
                  std::string::npos);
    }
    rt.comm().barrier();
    if (me == 0) {
      directory.stop_schedulers();
    }
  }
  rt.free();
}
