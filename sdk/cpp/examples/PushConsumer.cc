// Subscribes to a topic and prints every message it receives, one line each.
//
//   PushConsumer [-n namesrv] [-t topic] [-g group] [-s tagExpression] [-c count]
//                [-T timeoutSeconds] [-F] [-B] [-i instanceName]
//
// Runs until SIGINT/SIGTERM, until `count` messages were consumed, or for `timeout`
// seconds; then shuts down cleanly and exits 0. -F starts a new group at the first
// offset instead of the last. -B consumes in BROADCASTING mode (every member of the group
// gets every message) instead of CLUSTERING (members share the queues). Several members on
// one host need distinct -i in broadcasting mode.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "sprocket/client.h"

namespace {

class PrintingListener : public sprocket::MessageListenerConcurrently {
 public:
  sprocket::ConsumeStatus consumeMessage(const std::vector<sprocket::MessageExt>& msgs) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& m : msgs) {
      std::printf("msgId=%s topic=%s tags=%s keys=%s queueId=%d queueOffset=%lld body=%s\n",
                  m.getMsgId().c_str(), m.getTopic().c_str(), m.getTags().c_str(),
                  m.getKeys().c_str(), m.getQueueId(), static_cast<long long>(m.getQueueOffset()),
                  m.getBody().c_str());
      ++consumed;
    }
    std::fflush(stdout);
    return sprocket::CONSUME_SUCCESS;
  }

  std::atomic<long> consumed{0};

 private:
  std::mutex mu_;
};

void Usage(const char* prog) {
  std::fprintf(stderr,
               "usage: %s [-n namesrv] [-t topic] [-g group] [-s tagExpression] [-c count] "
               "[-T timeoutSeconds] [-F] [-B] [-i instanceName]\n",
               prog);
}

}  // namespace

int main(int argc, char** argv) {
  std::string namesrv = "127.0.0.1:9876";
  std::string topic = "Topic1";
  std::string group = "GID_PushConsumer";
  std::string expression = "*";
  long count = 0;    // 0: no limit
  long timeout = 0;  // seconds; 0: no limit
  bool from_first = false;
  bool broadcasting = false;
  std::string instance;
  int opt;
  while ((opt = getopt(argc, argv, "n:t:g:s:c:T:FBi:h")) != -1) {
    switch (opt) {
      case 'n': namesrv = optarg; break;
      case 't': topic = optarg; break;
      case 'g': group = optarg; break;
      case 's': expression = optarg; break;
      case 'c': count = std::atol(optarg); break;
      case 'T': timeout = std::atol(optarg); break;
      case 'F': from_first = true; break;
      case 'B': broadcasting = true; break;
      case 'i': instance = optarg; break;
      default: Usage(argv[0]); return opt == 'h' ? 0 : 2;
    }
  }

  // Signals are taken synchronously below; blocked before any thread starts so that
  // every thread inherits the mask and none is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  PrintingListener listener;
  sprocket::DefaultMQPushConsumer consumer(group);
  consumer.setNamesrvAddr(namesrv);
  if (from_first) consumer.setConsumeFromWhere(sprocket::CONSUME_FROM_FIRST_OFFSET);
  if (broadcasting) consumer.setMessageModel(sprocket::BROADCASTING);
  if (!instance.empty()) consumer.setInstanceName(instance);
  consumer.subscribe(topic, expression);
  consumer.registerMessageListener(&listener);
  try {
    consumer.start();
  } catch (const sprocket::MQException& e) {
    std::fprintf(stderr, "start failed: %s\n", e.what());
    return 1;
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  for (;;) {
    timespec wait{0, 100 * 1000 * 1000};
    if (sigtimedwait(&signals, nullptr, &wait) > 0) break;
    if (count > 0 && listener.consumed >= count) break;
    if (timeout > 0 && std::chrono::steady_clock::now() >= deadline) break;
  }
  consumer.shutdown();
  return 0;
}
