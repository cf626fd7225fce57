// Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) with the
// project's own encoders: valid messages of every kind, plus truncated and corrupted
// variants. Run once by hand when a message format changes; the files are committed:
//   ninja -C build tests/fuzz/make_fuzz_corpus && build/tests/fuzz/make_fuzz_corpus
//   tests/fuzz/corpus
#include <thrift/transport/TBufferTransports.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "../../src/channel/stream_info_codec.hpp"
#include "../../src/graph/wire.hpp"
#include "../../src/ring/directory_protocol.hpp"
#include "../../src/ring/stream_status_codec.hpp"
#include "../../src/steer/protocol.hpp"
#include "Steering.h"
#include "fake_simulation.hpp"
#include "npy.hpp"
#include "steering_wire.hpp"

namespace fs = std::filesystem;
using namespace sluice;

namespace {

fs::path root;

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!file) {
    std::fprintf(stderr, "make_corpus: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

// A valid input `name` of `target` (selector byte + message), a truncated copy, and a
// copy with a length-sized field corrupted.
void seed(const std::string& target, const std::string& name, std::uint8_t selector,
          std::string_view message, bool variants = true) {
  const auto dir = root / target;
  fs::create_directories(dir);
  std::string input(1, static_cast<char>(selector));
  input += message;
  write_file(dir / (name + ".bin"), input);
  if (!variants || input.size() < 3) {
    return;
  }
  write_file(dir / (name + "-truncated.bin"), input.substr(0, 1 + (input.size() - 1) / 2));
  std::string corrupted = input;
  // Near the front are the counts and lengths: make one of them huge.
  const std::size_t at = std::min<std::size_t>(corrupted.size() - 1, 13);
  corrupted[at] = static_cast<char>(0xff);
  corrupted[at - 1] = static_cast<char>(0xff);
  write_file(dir / (name + "-corrupted.bin"), corrupted);
}

std::string as_string(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

void steer_protocol() {
  using namespace sluice::steer;
  using namespace sluice::steer::detail;
  RequestHeader request;
  request.kind = RequestKind::set;
  request.id = 7;
  request.type = ValueType::f64;
  request.payload = value_bits(Value{0.25});
  seed("steer_protocol", "request-set", 0, as_string(encode_request(request, "dt")));
  request.kind = RequestKind::control_stream;
  StreamControl control;
  control.enabled = true;
  control.every = 4;
  control.region = Box{{0, 16}, {128, 32}};
  const auto control_bytes = encode_control(control);
  seed("steer_protocol", "request-control", 0,
       as_string(encode_request(request, "temperature", control_bytes)));
  ReplyHeader reply;
  reply.id = 7;
  reply.iteration = 41;
  seed("steer_protocol", "reply", 1, as_string(encode_reply(reply, "set from iteration 42")));

  std::vector<std::unique_ptr<ParamEntry>> params;
  params.push_back(std::make_unique<ParamEntry>(
      ParamEntry{"dt", ValueType::f64, Value{0.1}, Value{0.0}, Value{1.0}, "time step", 0}));
  params.push_back(std::make_unique<ParamEntry>(ParamEntry{"output_every", ValueType::i64,
                                                           Value{std::int64_t{10}}, std::nullopt,
                                                           std::nullopt, "", 12}));
  params.push_back(std::make_unique<ParamEntry>(
      ParamEntry{"paused", ValueType::flag, Value{false}, std::nullopt, std::nullopt, "", 0}));
  seed("steer_protocol", "params", 2, encode_params(params));

  std::vector<std::unique_ptr<SteeredStream>> streams;
  auto stream = std::make_unique<SteeredStream>();
  stream->name = "temperature";
  stream->dtype = Dtype::f32;
  stream->shape = {256, 128};
  stream->block = Box{{0, 0}, {128, 128}};
  stream->injectable = true;
  streams.push_back(std::move(stream));
  seed("steer_protocol", "status", 3, encode_status(params, streams));
  seed("steer_protocol", "control", 4, control_bytes);
  seed("steer_protocol", "control-all", 4, encode_control(StreamControl{{}, {}, Box{}}));
  const std::vector<float> elements = {1.0f, 2.0f, 3.0f, 4.0f};
  seed("steer_protocol", "injection", 5,
       encode_injection("f32", Box{{2, 2}, {2, 2}}, std::as_bytes(std::span(elements))));
}

void ring_protocol() {
  using namespace sluice::ring;
  using namespace sluice::ring::detail;
  Header header;
  header.kind = Kind::put;
  header.requester = 3;
  header.route_epoch = 2;
  header.client_epoch = 2;
  seed("ring_protocol", "put", 0, as_string(encode(header, "job/streams/temperature", "bytes")));
  header.kind = Kind::get;
  seed("ring_protocol", "get", 0, as_string(encode(header, "job/streams/temperature", "")));
  const std::vector<MemberId> members = {0, 1, 4};
  header.kind = Kind::prepare;
  seed("ring_protocol", "prepare", 0, as_string(encode(header, "", encode_members(members))));
  std::string entries;
  append_entry(entries, "a", "1");
  append_entry(entries, "job/streams/pressure", "the value");
  header.kind = Kind::transfer;
  seed("ring_protocol", "transfer", 0, as_string(encode(header, "", entries)));
  header.kind = Kind::ok;
  seed("ring_protocol", "ok-members", 0, as_string(encode(header, encode_members(members), "v")));
  header.kind = Kind::rejected;
  seed("ring_protocol", "rejected", 0, as_string(encode(header, "k", "too large")));
  seed("ring_protocol", "members", 1, encode_members(members));
  seed("ring_protocol", "entries", 2, entries);
}

void stream_status() {
  ring::StreamStatus status;
  status.info.name = "temperature";
  status.info.dtype = Dtype::f32;
  status.info.global_shape = {512, 256};
  status.info.options = {.depth = 3, .policy = channel::Policy::skip};
  for (int rank = 0; rank < 2; ++rank) {
    status.info.producers.push_back({.world_rank = rank + 4,
                                     .layout = {.global_shape = {512, 256},
                                                .block_start = {256 * rank, 0},
                                                .block_count = {256, 256},
                                                .local_shape = {258, 258},
                                                .local_offset = {1, 1}}});
    status.progress.producers.push_back({.world_rank = rank + 4,
                                         .newest_iteration = 41 + rank,
                                         .published = 42u + rank,
                                         .skipped = 3,
                                         .bytes_pulled = 1000u * rank,
                                         .active_readers = 2,
                                         .closed = rank == 1});
  }
  std::string info;
  channel::detail::put_stream_info(info, status.info);
  seed("stream_status", "stream-info", 0, info);
  seed("stream_status", "stream-status", 1, ring::detail::encode_stream_status(status));
}

void region_text() {
  seed("region_text", "region", 0, "0:128,16:32", false);
  seed("region_text", "region-all", 0, "all", false);
  seed("region_text", "region-bad", 0, "0:,:5", false);
  seed("region_text", "region-huge", 0, "0:9223372036854775807,-9223372036854775808:1", false);
  seed("region_text", "corner", 1, "10,20", false);
  seed("region_text", "corner-bad", 1, "10,,x", false);
}

void npy_files() {
  const auto dir = root / "npy";
  fs::create_directories(dir);
  const std::vector<double> values = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0};
  const auto path = dir / "f64-2x3.npy";
  sluice::npy::write(path.string(), Dtype::f64, {2, 3}, values.data(),
                     values.size() * sizeof(double));
  const std::vector<std::uint8_t> bytes = {1, 2, 3};
  sluice::npy::write((dir / "u8-3.npy").string(), Dtype::u8, {3}, bytes.data(), bytes.size());
  sluice::npy::write((dir / "i64-scalar.npy").string(), Dtype::i64, {}, values.data(), 8);
  // Truncated data, a header length past the end, and a forged huge shape.
  std::ifstream file(path, std::ios::binary);
  std::string whole((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  write_file(dir / "f64-truncated.npy", whole.substr(0, whole.size() - 5));
  std::string long_header = whole;
  long_header[8] = static_cast<char>(0xff);
  write_file(dir / "header-length-corrupted.npy", long_header);
  std::string huge = whole;
  const auto at = huge.find("(2, 3)");
  if (at != std::string::npos) {
    huge.replace(at, 6, "(99,9)");  // same length: the header length still holds
  }
  write_file(dir / "shape-forged.npy", huge);
}

void graph_wire() {
  using namespace sluice::graph;
  using namespace sluice::graph::detail;
  Graph g("heat2d");
  auto T = g.stream("temperature", Selection{{0, 0}, {64, 64}, {1, 1}});
  auto s = summary(T);
  auto hist = histogram(T, 0.0, 100.0, 8);
  g.output("temperature.mean", s.mean);
  g.on({s.min, hist}, [](std::int64_t, std::span<const Value>) {});
  Install install;
  install.key = 0x1234;
  install.client = 2;
  install.timing_window = 64;
  install.nodes = g.nodes();
  install.outputs = g.outputs();
  install.placement.root = 1;
  PartitionPlace place;
  place.world_rank = 3;
  place.ownership.boxes = {{Box{{0, 0}, {32, 64}}}, {}};
  install.placement.partitions.push_back(place);
  seed("graph_wire", "install", 0, encode_install(install, g));
  seed("graph_wire", "installed", 1, encode_installed(0x1234, false, "no stream 'temperature'"));

  Partial partial;
  partial.iteration = 41;
  partial.scalars = {1.5, 2.5};
  ReductionData reduction;
  reduction.moments.resize(1);
  reduction.moments[0].add(3.0);
  reduction.counts = {1, 2, 3};
  reduction.partial = {0.5};
  partial.reductions = {{reduction}, {}};
  partial.arrays = {{1.0, 2.0}, {}};
  partial.time_us = 12.5;
  partial.counters.tasks = 4;
  seed("graph_wire", "partial", 2, encode_partial(0x1234, 1, partial));
  partial.failed = true;
  partial.error = "a user operator threw";
  seed("graph_wire", "partial-failed", 2, encode_partial(0x1234, 0, partial));
  seed("graph_wire", "simple", 3, encode_simple(MessageKind::partition_ended, 0x1234, 2), false);
  seed("graph_wire", "partition_ended", 3,
       encode_partition_ended(0x1234, 2, PartitionCounters{1, 2, 3, 4, 5, 6, 7, 8}, ""), false);
  seed("graph_wire", "partition_ended-evicted", 3,
       encode_partition_ended(0x1234, 2, PartitionCounters{1, 2, 3, 4, 5, 6, 7, 8},
                              "evicted from stream 'T'"),
       false);

  const std::vector<Value> values = {Value{Dtype::f64, {}, {2.5}},
                                     Value{Dtype::f32, {2, 2}, {1.0, 2.0, 3.0, 4.0}}};
  seed("graph_wire", "output", 4, encode_output(0x1234, 0, 41, values));
  GraphStatus status;
  status.name = "heat2d";
  status.root = 1;
  status.last_iteration = 41;
  status.iterations = 42;
  status.last_error = "boom";
  status.partitions.push_back({3, 5, {1.0, 2.0, 3.0, 4}});
  seed("graph_wire", "status", 5, encode_status(MessageKind::status_reply, 0x1234, status));
  seed("graph_wire", "listing", 6, encode_listing(9, {status, status}));
  seed("graph_wire", "header", 7, encode_simple(MessageKind::cancel, 0x1234), false);
}

// What a client sends the steering server on one connection, written by the generated
// Thrift client with the server's transport and protocol (steering_wire.hpp): each
// call's send_ half writes one framed request.
class ClientBytes {
 public:
  ClientBytes()
      : m_buffer(std::make_shared<apache::thrift::transport::TMemoryBuffer>()),
        m_protocol(sluice::steering::bounded_protocol_factory()->getProtocol(
            sluice::steering::bounded_transport_factory()->getTransport(m_buffer))),
        m_client(m_protocol) {}
  sluice::steering::thrift::SteeringClient& client() { return m_client; }
  apache::thrift::protocol::TProtocol& protocol() { return *m_protocol; }
  [[nodiscard]] std::string bytes() const { return m_buffer->getBufferAsString(); }

 private:
  std::shared_ptr<apache::thrift::transport::TMemoryBuffer> m_buffer;
  std::shared_ptr<apache::thrift::protocol::TProtocol> m_protocol;
  sluice::steering::thrift::SteeringClient m_client;
};

void thrift_seed(const std::string& name, const std::function<void(ClientBytes&)>& calls) {
  ClientBytes connection;
  calls(connection);
  const auto dir = root / "thrift_request";
  fs::create_directories(dir);
  write_file(dir / (name + ".bin"), connection.bytes());
}

void thrift_request() {
  namespace gen = sluice::steering::thrift;
  const std::string token = sluice::fuzz::steering_token;
  const auto region = [](std::vector<std::int64_t> start, std::vector<std::int64_t> count) {
    gen::Region r;
    r.start = std::move(start);
    r.count = std::move(count);
    return r;
  };
  const auto value = [](auto v) {
    gen::Value out;
    if constexpr (std::is_same_v<decltype(v), double>) {
      out.__set_f64(v);
    } else if constexpr (std::is_same_v<decltype(v), bool>) {
      out.__set_flag(v);
    } else {
      out.__set_integer(v);
    }
    return out;
  };
  const auto doubles = [](std::vector<double> values) {
    return std::string(reinterpret_cast<const char*>(values.data()),
                       values.size() * sizeof(double));
  };
  const auto control = [](auto set) {
    gen::StreamControl c;
    set(c);
    return c;
  };

  thrift_seed("status", [&](ClientBytes& c) { c.client().send_status(token); });
  thrift_seed("status-wrong-token", [&](ClientBytes& c) { c.client().send_status("guess"); });
  thrift_seed("list_parameters", [&](ClientBytes& c) { c.client().send_list_parameters(token); });
  thrift_seed("get_parameter", [&](ClientBytes& c) { c.client().send_get_parameter(token, "dt"); });
  thrift_seed("get_parameter-unknown",
              [&](ClientBytes& c) { c.client().send_get_parameter(token, "nonesuch"); });
  thrift_seed("set_parameter-f64",
              [&](ClientBytes& c) { c.client().send_set_parameter(token, "dt", value(0.02)); });
  thrift_seed("set_parameter-i64", [&](ClientBytes& c) {
    c.client().send_set_parameter(token, "output_every", value(std::int64_t{20}));
  });
  thrift_seed("set_parameter-flag", [&](ClientBytes& c) {
    c.client().send_set_parameter(token, "source_on", value(false));
  });
  thrift_seed("set_parameter-out-of-range",
              [&](ClientBytes& c) { c.client().send_set_parameter(token, "dt", value(5.0)); });
  thrift_seed("set_parameter-two-values", [&](ClientBytes& c) {
    gen::Value both = value(0.5);
    both.__isset.integer = true;  // a union holding two fields, as a hostile client sends it
    c.client().send_set_parameter(token, "alpha", both);
  });
  thrift_seed("pause", [&](ClientBytes& c) { c.client().send_pause(token); });
  thrift_seed("resume", [&](ClientBytes& c) { c.client().send_resume(token); });
  thrift_seed("stop", [&](ClientBytes& c) { c.client().send_stop(token); });
  thrift_seed("control_stream-enabled", [&](ClientBytes& c) {
    c.client().send_control_stream(token, "temperature",
                                   control([](gen::StreamControl& s) { s.__set_enabled(false); }));
  });
  thrift_seed("control_stream-every", [&](ClientBytes& c) {
    c.client().send_control_stream(token, "mask",
                                   control([](gen::StreamControl& s) { s.__set_every(5); }));
  });
  thrift_seed("control_stream-region", [&](ClientBytes& c) {
    c.client().send_control_stream(token, "velocity", control([&](gen::StreamControl& s) {
                                     s.__set_region(region({0, 0, 0, 0}, {8, 8, 8, 3}));
                                   }));
  });
  thrift_seed("control_stream-outside", [&](ClientBytes& c) {
    c.client().send_control_stream(token, "temperature", control([&](gen::StreamControl& s) {
                                     s.__set_region(region({250, 0}, {16, 16}));
                                   }));
  });
  thrift_seed("open_injection", [&](ClientBytes& c) {
    c.client().send_open_injection(token, "temperature", region({0, 0}, {2, 2}), "f64", false);
  });
  // A whole injection: ids start at 1 on a fresh server.
  thrift_seed("injection", [&](ClientBytes& c) {
    c.client().send_open_injection(token, "temperature", region({4, 4}, {2, 2}), "f64", false);
    c.client().send_add_injection_data(token, 1, doubles({1.0, 2.0}));
    c.client().send_add_injection_data(token, 1, doubles({3.0, 4.0}));
    c.client().send_commit_injection(token, 1);
  });
  thrift_seed("injection-nonfinite", [&](ClientBytes& c) {
    c.client().send_open_injection(token, "temperature", region({0, 0}, {1, 3}), "f64", false);
    c.client().send_add_injection_data(token, 1, doubles({1.0, NAN, 3.0}));
    c.client().send_commit_injection(token, 1);
  });
  thrift_seed("injection-u8-whole", [&](ClientBytes& c) {
    c.client().send_open_injection(token, "mask", region({0, 0}, {4, 4}), "u8", true);
    c.client().send_add_injection_data(token, 1, std::string(16, '\x01'));
    c.client().send_commit_injection(token, 1);
  });
  // Every method in one connection.
  thrift_seed("session", [&](ClientBytes& c) {
    c.client().send_status(token);
    c.client().send_list_parameters(token);
    c.client().send_get_parameter(token, "output_every");
    c.client().send_set_parameter(token, "alpha", value(-3.5));
    c.client().send_pause(token);
    c.client().send_resume(token);
    c.client().send_control_stream(token, "temperature",
                                   control([](gen::StreamControl& s) { s.__set_every(2); }));
    c.client().send_open_injection(token, "velocity", region({0, 0, 0, 0}, {1, 1, 1, 3}), "f32",
                                   false);
    c.client().send_add_injection_data(token, 1, std::string(12, '\0'));
    c.client().send_commit_injection(token, 1);
    c.client().send_status(token);
    c.client().send_stop(token);
  });
  // A method the service does not have: answered with an exception, the connection goes on.
  thrift_seed("unknown-method", [&](ClientBytes& c) {
    c.protocol().writeMessageBegin("reboot", apache::thrift::protocol::T_CALL, 1);
    c.protocol().writeStructBegin("reboot_args");
    c.protocol().writeFieldStop();
    c.protocol().writeStructEnd();
    c.protocol().writeMessageEnd();
    c.protocol().getTransport()->writeEnd();
    c.protocol().getTransport()->flush();
    c.client().send_pause(token);
  });
  // Lengths a hostile client may announce: a 2 GiB frame, and in a valid frame a 2 GiB
  // parameter name. The server's bounds (steering_wire.hpp) refuse both before
  // allocating.
  const auto dir = root / "thrift_request";
  ClientBytes valid;
  valid.client().send_set_parameter(token, "dt", value(0.5));
  std::string huge_frame = valid.bytes();
  huge_frame.replace(0, 4, "\x7f\xff\xff\xff");
  write_file(dir / "oversize-frame.bin", huge_frame);
  std::string huge_name = valid.bytes();
  const std::size_t name_length_at = huge_name.find("dt") - 4;
  huge_name.replace(name_length_at, 4, "\x7f\xff\xff\xf0");
  write_file(dir / "oversize-string.bin", huge_name);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_ROOT\n", argv[0]);
    return 2;
  }
  root = argv[1];
  steer_protocol();
  ring_protocol();
  stream_status();
  region_text();
  npy_files();
  graph_wire();
  thrift_request();
  return 0;
}
