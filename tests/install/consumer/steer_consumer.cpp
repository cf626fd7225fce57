// Built against an installed sluice by test_out_of_tree.sh: an analytics program that
// steers, through the installed steering client alone (its header needs no Thrift).
// Connecting to a port nobody listens on must fail as a steering::Error of kind
// connection.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "sluice/steering/client.hpp"

namespace {

// A loopback port that was free a moment ago: bound, read, closed.
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return 1;
  }
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

int main() {
  sluice::steering::ClientOptions options;
  options.port = closed_port();
  options.connect_timeout = std::chrono::seconds(2);
  try {
    sluice::steering::Client client(options);
    std::printf("connected to port %d, where nobody listens?\n", options.port);
    return 1;
  } catch (const sluice::steering::Error& e) {
    if (e.kind() != sluice::steering::ErrorKind::connection) {
      std::printf("unexpected error kind %s: %s\n", sluice::steering::kind_name(e.kind()),
                  e.what());
      return 1;
    }
    std::printf("steering client OK: %s\n", e.what());
  }
  return 0;
}
