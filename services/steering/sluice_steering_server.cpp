// sluice-steering-server: the steering service of a job, on a service process (never a
// simulation rank). Start it in the job's mpirun command line:
//
//   mpirun -np 4 heat2d : -np 1 sluice-steering-server --port-file steer.port : ...
//
// It serves the Thrift IDL in sluice_steering.thrift to any number of clients
// (sluice-steer, Python, C++) and forwards their requests to the simulation over MPI.
// It listens on loopback unless told otherwise; another address needs a token.
// Frames and messages are bounded, and a malformed or hostile client only loses its
// own connection. The server exits when the simulation finishes.
#include <thrift/server/TThreadedServer.h>
#include <thrift/transport/TServerSocket.h>

#include <sys/prctl.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <variant>

#include "command_line.hpp"
#include "link_backend.hpp"
#include "sluice/channel/stream_catalog.hpp"
#include "sluice/core/error.hpp"
#include "sluice/core/log.hpp"
#include "sluice/mpi/environment.hpp"
#include "sluice/runtime/runtime.hpp"
#include "sluice/steer/link.hpp"
#include "steering_handler.hpp"
#include "steering_wire.hpp"

namespace {

namespace th = apache::thrift;
namespace gen = sluice::steering::thrift;

struct Options {
  std::string bind = "127.0.0.1";
  int port = 0;
  std::string port_file;
  std::string token;
  int timeout_ms = 10000;
};

constexpr const char* exit_codes_help =
    "Exit codes:\n"
    "  0  the simulation finished (or stopped) and the server with it\n"
    "  1  an error once running (the message says what went wrong; the simulation goes\n"
    "     on: this process ends at once under mpirun --enable-recovery, else when the\n"
    "     job ends)\n"
    "  2  usage: a bad command line, an empty --token-file, a --port-file that cannot\n"
    "     be written, a non-loopback --bind without a token";

bool is_loopback(const std::string& address) {
  return address == "127.0.0.1" || address == "localhost" || address == "::1";
}

// The command line, as CLI11 reads it, or the code to exit with (--help, a usage error).
// Runs before MPI is initialised.
std::variant<Options, int> parse(int argc, char** argv) {
  Options o;
  if (const char* token = std::getenv("SLUICE_STEER_TOKEN")) {
    o.token = token;
  }
  std::string token_file;
  CLI::App app("The steering service of a sluice job, started in its mpirun command line.",
               "sluice-steering-server");
  sluice::cli::use_sluice_help_style(app);
  app.footer(exit_codes_help);
  app.add_option("--bind", o.bind, "listen address (another than loopback needs a token)")
      ->type_name("ADDR")
      ->capture_default_str();
  app.add_option("--port", o.port, "TCP port; 0: any free port, printed and written to --port-file")
      ->check(CLI::Range(0, 65535))
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--port-file", o.port_file, "write the port there once listening")
      ->type_name("FILE");
  app.add_option("--token-file", token_file,
                 "clients must send the token in FILE (its first line; or set "
                 "SLUICE_STEER_TOKEN)")
      ->type_name("FILE");
  app.add_option("--timeout-ms", o.timeout_ms, "how long a request waits for the simulation")
      ->check(sluice::cli::at_least(1))
      ->type_name("N")
      ->capture_default_str();
  if (const auto code = sluice::cli::parse_command_line(app, argc, argv)) {
    return *code;
  }
  if (!token_file.empty()) {
    std::ifstream file(token_file);
    if (!std::getline(file, o.token) || o.token.empty()) {
      std::fprintf(stderr, "sluice-steering-server: no token in %s\n", token_file.c_str());
      return sluice::cli::usage_exit_code;
    }
  }
  if (!o.port_file.empty()) {
    // Tried now rather than once listening, when a client would wait for it in vain.
    const std::string partial = o.port_file + ".partial";
    std::FILE* file = std::fopen(partial.c_str(), "w");
    if (file == nullptr) {
      std::fprintf(stderr, "sluice-steering-server: cannot write the port file %s: %s\n",
                   o.port_file.c_str(), std::strerror(errno));
      return sluice::cli::usage_exit_code;
    }
    std::fclose(file);
    std::remove(partial.c_str());
  }
  if (!is_loopback(o.bind) && o.token.empty()) {
    std::fprintf(stderr,
                 "sluice-steering-server: listening on %s needs a token (--token-file or "
                 "SLUICE_STEER_TOKEN): anyone who reaches the port could stop the job\n",
                 o.bind.c_str());
    return sluice::cli::usage_exit_code;
  }
  return o;
}

// Reports the port once the server listens (port 0 picks a free one).
class AnnouncePort : public th::server::TServerEventHandler {
 public:
  AnnouncePort(std::shared_ptr<th::transport::TServerSocket> socket, Options options)
      : m_socket(std::move(socket)), m_options(std::move(options)) {}
  void preServe() override {
    const int port = m_socket->getPort();
    std::printf("sluice-steering-server: listening on %s:%d\n", m_options.bind.c_str(), port);
    std::fflush(stdout);
    if (!m_options.port_file.empty()) {
      // Written then renamed, so a reader never sees half a number.
      const std::string partial = m_options.port_file + ".partial";
      std::ofstream(partial) << port << "\n";
      if (std::rename(partial.c_str(), m_options.port_file.c_str()) != 0) {
        sluice::log::error("sluice-steering-server: cannot write the port file ",
                           m_options.port_file, ": ", std::strerror(errno));
        std::remove(partial.c_str());
      }
    }
  }

 private:
  std::shared_ptr<th::transport::TServerSocket> m_socket;
  Options m_options;
};

std::vector<gen::StreamStatus> read_streams(sluice::channel::StreamCatalog& catalog) {
  std::vector<gen::StreamStatus> streams;
  for (const auto& info : catalog.refresh()) {
    const auto progress = catalog.progress(info);
    gen::StreamStatus s;
    s.name = info.name;
    s.dtype = std::string(sluice::dtype_name(info.dtype));
    s.shape.assign(info.global_shape.begin(), info.global_shape.end());
    s.newest_iteration = progress.newest_iteration;
    s.published = static_cast<int64_t>(progress.published);
    s.skipped = static_cast<int64_t>(progress.skipped);
    s.withheld = static_cast<int64_t>(progress.withheld);
    s.evicted = static_cast<int64_t>(progress.evicted);
    s.bytes_pulled = static_cast<int64_t>(progress.bytes_pulled);
    s.active_readers = static_cast<int64_t>(progress.active_readers);
    s.closed = progress.closed;
    streams.push_back(std::move(s));
  }
  return streams;
}

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = parse(argc, argv);
  if (const int* code = std::get_if<int>(&parsed)) {
    return *code;
  }
  const Options* options = &std::get<Options>(parsed);
  sluice::mpi::Environment mpi(argc, argv);
  // Thrift reports clients that misbehave (bad frames, dropped connections) on stderr;
  // they only lose their own connection, so this is debug-level news.
  th::GlobalOutput.setOutputFunction([](const char* message) { sluice::log::debug(message); });
  int status = 0;
  try {
    sluice::Runtime runtime(sluice::Role::service, {.required_roles = {sluice::Role::simulation}});
    // Windows are collective over the job: take part in the simulation's set-up.
    sluice::channel::StreamCatalog catalog(runtime);
    runtime.start();
    sluice::steer::Link link(runtime);
    sluice::steering::StreamBoard streams;
    streams.publish(read_streams(catalog));

    sluice::steering::LinkBackend simulation(runtime, link);
    auto socket = std::make_shared<th::transport::TServerSocket>(options->bind, options->port);
    auto handler = std::make_shared<sluice::steering::SteeringHandler>(
        simulation, streams,
        sluice::steering::HandlerOptions{options->token,
                                         std::chrono::milliseconds(options->timeout_ms)});
    th::server::TThreadedServer server(std::make_shared<gen::SteeringProcessor>(handler), socket,
                                       sluice::steering::bounded_transport_factory(),
                                       sluice::steering::bounded_protocol_factory());
    server.setServerEventHandler(std::make_shared<AnnouncePort>(socket, *options));
    std::exception_ptr server_failed;
    std::thread serving([&] {
      try {
        server.serve();
      } catch (...) {
        server_failed = std::current_exception();
      }
    });

    // This thread owns MPI: it carries requests to the simulation until it finishes,
    // and refreshes the stream counters the status call reports. Its naps while an
    // answer is awaited are 20 us; Linux's default 50 us timer slack would stretch
    // each to ~80 us, which the set round trip pays (measured 117 -> 70 us median).
    prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
    auto next_refresh = std::chrono::steady_clock::now();
    while (link.pump(std::chrono::milliseconds(5))) {
      if (std::chrono::steady_clock::now() >= next_refresh) {
        streams.publish(read_streams(catalog));
        next_refresh = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
      }
    }
    streams.publish(read_streams(catalog));
    server.stop();
    serving.join();
    if (server_failed) {
      std::rethrow_exception(server_failed);
    }
    sluice::log::info("steering server stopped: the simulation finished");
    runtime.free();
  } catch (const sluice::Error& e) {
    std::fprintf(stderr, "sluice-steering-server: %s\n", e.what());
    status = 1;  // the Runtime left the job as it unwound: the simulation goes on
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sluice-steering-server: %s\n", e.what());
    status = 1;  // the Runtime left the job as it unwound: the simulation goes on
  }
  return status;
}
