// Asynchronous send (DefaultMQProducer::send with a SendCallback): success against a real
// broker, a refusal the producer must not retry, a broker that stops answering (timeout),
// and retries on another try (retryTimesWhenSendAsyncFailed) against a scripted broker.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sprocket/client.h"
#include "sprocket/protocol/codes.h"
#include "support/broker_requests.h"
#include "support/test_process.h"
#include "unit/sdk_fake_broker.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using testing::MiniCluster;
namespace RS = protocol::ResponseCode;

// Collects outcomes; counts calls so that a second call for one send shows up.
class RecordingCallback : public SendCallback {
 public:
  void onSuccess(SendResult& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    results_.push_back(r);
    done_cv_.notify_all();
  }
  void onException(const MQException& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    errors_.push_back({e.getResponseCode(), e.what(), dynamic_cast<const MQBrokerException*>(&e) != nullptr});
    done_cv_.notify_all();
  }
  bool WaitFor(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return done_cv_.wait_for(lock, timeout, [&] { return results_.size() + errors_.size() >= n; });
  }
  struct Error {
    int code;
    std::string what;
    bool broker_exception;
  };
  std::vector<SendResult> results() {
    std::lock_guard<std::mutex> lock(mu_);
    return results_;
  }
  std::vector<Error> errors() {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }

 private:
  std::mutex mu_;
  std::condition_variable done_cv_;
  std::vector<SendResult> results_;
  std::vector<Error> errors_;
};

TEST(SdkAsyncSendTest, ManyInFlightAllSucceedWithDistinctOffsets) {
  MiniCluster cluster;
  ASSERT_TRUE(testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(), "AsyncT", 4));
  DefaultMQProducer producer("AsyncProducer");
  producer.setNamesrvAddr(cluster.namesrv_addr());
  producer.start();
  RecordingCallback cb;
  constexpr int kCount = 2000;
  for (int i = 0; i < kCount; ++i) {
    producer.send(Message("AsyncT", "TagA", "body-" + std::to_string(i)), &cb);
  }
  ASSERT_TRUE(cb.WaitFor(kCount, 30s));
  std::this_thread::sleep_for(200ms);  // nothing may be reported twice
  auto results = cb.results();
  EXPECT_TRUE(cb.errors().empty()) << cb.errors().front().what;
  ASSERT_EQ(results.size(), static_cast<size_t>(kCount));
  std::set<std::pair<int, int64_t>> offsets;
  std::set<std::string> ids;
  for (const auto& r : results) {
    EXPECT_EQ(r.getSendStatus(), SEND_OK);
    EXPECT_EQ(r.getMessageQueue().getTopic(), "AsyncT");
    offsets.insert({r.getMessageQueue().getQueueId(), r.getQueueOffset()});
    ids.insert(r.getMsgId());
  }
  EXPECT_EQ(offsets.size(), static_cast<size_t>(kCount)) << "a queue offset was reported twice";
  EXPECT_EQ(ids.size(), static_cast<size_t>(kCount));
  // Every queue got its share (round robin) and offsets per queue are dense from 0.
  std::map<int, int64_t> per_queue;
  for (const auto& [q, off] : offsets) per_queue[q] = std::max(per_queue[q], off + 1);
  int64_t total = 0;
  for (const auto& [q, n] : per_queue) total += n;
  EXPECT_EQ(per_queue.size(), 4u);
  EXPECT_EQ(total, kCount);
  producer.shutdown();
}

TEST(SdkAsyncSendTest, BrokerRefusalReachesOnExceptionWithoutRetry) {
  MiniCluster::Options opts;
  opts.broker_extra["maxMessageSize"] = "1024";
  MiniCluster cluster(opts);
  ASSERT_TRUE(testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(), "AsyncBig", 1));
  DefaultMQProducer producer("AsyncRefused");
  producer.setNamesrvAddr(cluster.namesrv_addr());
  producer.start();
  RecordingCallback cb;
  producer.send(Message("AsyncBig", std::string(3000, 'x')), &cb);  // under the SDK's limits
  ASSERT_TRUE(cb.WaitFor(1, 10s));
  std::this_thread::sleep_for(300ms);
  auto errors = cb.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(cb.results().empty());
  EXPECT_EQ(errors[0].code, RS::kMessageIllegal) << errors[0].what;
  EXPECT_TRUE(errors[0].broker_exception) << errors[0].what;
  // A small one still goes through on the same producer.
  RecordingCallback ok;
  producer.send(Message("AsyncBig", "small"), &ok);
  ASSERT_TRUE(ok.WaitFor(1, 10s));
  EXPECT_EQ(ok.results().size(), 1u);
  producer.shutdown();
}

TEST(SdkAsyncSendTest, SilentBrokerTimesOut) {
  MiniCluster cluster;
  ASSERT_TRUE(testing::CreateTopicAndWait(cluster.broker_addr(), cluster.namesrv_addr(), "AsyncSlow", 2));
  DefaultMQProducer producer("AsyncTimeout");
  producer.setNamesrvAddr(cluster.namesrv_addr());
  producer.start();
  // Warm up: route cached, connection open.
  ASSERT_EQ(producer.send(Message("AsyncSlow", "warm")).getSendStatus(), SEND_OK);

  // A stopped broker keeps its socket open and answers nothing.
  ASSERT_EQ(::kill(cluster.broker().pid(), SIGSTOP), 0);
  RecordingCallback cb;
  const auto begin = std::chrono::steady_clock::now();
  producer.send(Message("AsyncSlow", "never answered"), &cb, 600);
  const bool done = cb.WaitFor(1, 10s);
  const auto took = std::chrono::steady_clock::now() - begin;
  ::kill(cluster.broker().pid(), SIGCONT);
  ASSERT_TRUE(done);
  auto errors = cb.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(cb.results().empty());
  EXPECT_EQ(errors[0].code, ClientErrorCode::ACCESS_BROKER_TIMEOUT) << errors[0].what;
  EXPECT_GE(took, 550ms);
  EXPECT_LT(took, 5s);
  producer.shutdown();
}

TEST(SdkAsyncSendTest, FailedTriesAreRetriedUpToRetryTimesWhenSendAsyncFailed) {
  testing::FakeBroker fake;
  fake.AddTopic("AsyncRetry", 4);
  DefaultMQProducer producer("AsyncRetryGroup");
  producer.setNamesrvAddr(fake.addr());
  producer.setRetryTimesWhenSendAsyncFailed(2);
  producer.start();

  // Two failures, then success on the third try.
  fake.FailNextSends(2, RS::kSystemError);
  RecordingCallback cb;
  producer.send(Message("AsyncRetry", "third time lucky"), &cb);
  ASSERT_TRUE(cb.WaitFor(1, 10s));
  ASSERT_EQ(cb.results().size(), 1u) << (cb.errors().empty() ? "" : cb.errors()[0].what);
  EXPECT_EQ(fake.Requests(protocol::RequestCode::kSendMessageV2).size(), 3u);

  // Three failures exhaust 1 + 2 tries.
  fake.FailNextSends(3, RS::kSystemError);
  RecordingCallback failing;
  producer.send(Message("AsyncRetry", "unlucky"), &failing);
  ASSERT_TRUE(failing.WaitFor(1, 10s));
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(failing.errors().size(), 1u);
  EXPECT_TRUE(failing.results().empty());
  EXPECT_EQ(failing.errors()[0].code, RS::kSystemError) << failing.errors()[0].what;
  EXPECT_EQ(fake.Requests(protocol::RequestCode::kSendMessageV2).size(), 6u);
  producer.shutdown();
}

TEST(SdkAsyncSendTest, NullCallbackAndUnstartedProducerThrow) {
  DefaultMQProducer producer("AsyncNotStarted");
  RecordingCallback cb;
  EXPECT_THROW(producer.send(Message("T", "x"), &cb), MQClientException);
  EXPECT_TRUE(cb.results().empty());
  EXPECT_TRUE(cb.errors().empty());
}

}  // namespace
}  // namespace sprocket
