// Micro-benchmarks of the send path's codec work (Google Benchmark; not run by ctest):
//   build/bin/mqbench_codec [--benchmark_filter=Decode]
// One SEND_MESSAGE_V2 request header as our SDK writes it, its response, a 1 KiB record
// and the broker's property rewrite.
#include <benchmark/benchmark.h>

#include <string>

#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"
#include "sprocket/protocol/remoting_command.h"

namespace {

using namespace sprocket::protocol;

const std::string kProps = std::string("UNIQ_KEY\x01") + "7F00000100002A9F0000000000000001" +
                           "\x02WAIT\x01true\x02TAGS\x01mqbench";

RemotingCommand SendRequest() {
  RemotingCommand cmd = RemotingCommand::Request(RequestCode::kSendMessageV2);
  cmd.language = LanguageCode::kCpp;
  cmd.ext.Append("a", "mqbench_producer");
  cmd.ext.Append("b", "BenchTopic");
  cmd.ext.Append("c", "TBW102");
  cmd.ext.Append("d", "4");
  cmd.ext.Append("e", "3");
  cmd.ext.Append("f", "0");
  cmd.ext.Append("g", "1764057600000");
  cmd.ext.Append("h", "0");
  cmd.ext.Append("i", kProps);
  cmd.ext.Append("j", "0");
  cmd.ext.Append("k", "false");
  cmd.ext.Append("m", "false");
  return cmd;
}

void BM_EncodeSendRequest(benchmark::State& state) {
  RemotingCommand cmd = SendRequest();
  const std::string body(1024, 'x');
  std::string out;
  for (auto _ : state) {
    out.clear();
    EncodeFrame(cmd, body, &out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EncodeSendRequest);

// What the broker does per request: decode into a reused command (RemotingServer keeps one
// per I/O thread).
void BM_DecodeSendRequestReused(benchmark::State& state) {
  std::string frame;
  EncodeFrame(SendRequest(), std::string(1024, 'x'), &frame);
  const std::string_view view(frame.data() + 4, frame.size() - 4);
  RemotingCommand cmd;
  std::string_view body;
  for (auto _ : state) {
    sprocket::Status st = DecodeHeader(view, &cmd, &body);
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_DecodeSendRequestReused);

// The same request with RocketMQ's binary header (serialize type ROCKETMQ).
void BM_DecodeSendRequestBinary(benchmark::State& state) {
  RemotingCommand req = SendRequest();
  req.serialize_type = SerializeType::kRocketMQ;
  std::string frame;
  EncodeFrame(req, std::string(1024, 'x'), &frame);
  const std::string_view view(frame.data() + 4, frame.size() - 4);
  RemotingCommand cmd;
  std::string_view body;
  for (auto _ : state) {
    sprocket::Status st = DecodeHeader(view, &cmd, &body);
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_DecodeSendRequestBinary);

void BM_EncodeSendRequestBinary(benchmark::State& state) {
  RemotingCommand cmd = SendRequest();
  cmd.serialize_type = SerializeType::kRocketMQ;
  const std::string body(1024, 'x');
  std::string out;
  for (auto _ : state) {
    out.clear();
    EncodeFrame(cmd, body, &out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EncodeSendRequestBinary);

void BM_DecodeSendRequestFresh(benchmark::State& state) {
  std::string frame;
  EncodeFrame(SendRequest(), std::string(1024, 'x'), &frame);
  const std::string_view view(frame.data() + 4, frame.size() - 4);
  std::string_view body;
  for (auto _ : state) {
    RemotingCommand cmd;
    sprocket::Status st = DecodeHeader(view, &cmd, &body);
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_DecodeSendRequestFresh);

void BM_EncodeSendResponse(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    RemotingCommand resp;
    resp.flag = kFlagResponse;
    resp.opaque = 12345;
    resp.ext.Set("msgId", "7F0000010000511F0000000000A2C3D4");
    resp.ext.Set("queueId", int64_t{3});
    resp.ext.Set("queueOffset", int64_t{1234567});
    resp.ext.Set("MSG_REGION", "DefaultRegion");
    resp.ext.SetBool("TRACE_ON", true);
    out.clear();
    EncodeFrame(resp, &out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_EncodeSendResponse);

void BM_EncodeRecord1KiB(benchmark::State& state) {
  const std::string body(1024, 'x');
  RecordInput in;
  in.queue_id = 3;
  in.born_timestamp = 1764057600000;
  in.body = body;
  in.topic = "BenchTopic";
  in.properties = kProps;
  std::string out;
  for (auto _ : state) {
    out.clear();
    auto layout = EncodeRecord(in, &out);
    benchmark::DoNotOptimize(layout);
  }
}
BENCHMARK(BM_EncodeRecord1KiB);

void BM_BodyCrc1KiB(benchmark::State& state) {
  const std::string body(1024, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(BodyCrc(body));
}
BENCHMARK(BM_BodyCrc1KiB);

void BM_PropertiesDecodeSetEncode(benchmark::State& state) {
  for (auto _ : state) {
    MessageProperties p = MessageProperties::Decode(kProps);
    p.Erase(Prop::kWaitStoreMsgOk);
    p.Set(Prop::kCluster, "DefaultCluster");
    benchmark::DoNotOptimize(p.Encode());
  }
}
BENCHMARK(BM_PropertiesDecodeSetEncode);

void BM_PropertiesView(benchmark::State& state) {
  for (auto _ : state) {
    PropertiesView v;
    benchmark::DoNotOptimize(v.Parse(kProps));
    benchmark::DoNotOptimize(v.Get(Prop::kTags));
  }
}
BENCHMARK(BM_PropertiesView);

}  // namespace

BENCHMARK_MAIN();
