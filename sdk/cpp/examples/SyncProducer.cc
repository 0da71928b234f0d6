// Sends messages synchronously and prints each SendResult.
//
//   SyncProducer [-n namesrv] [-t topic] [-g group] [-m count] [-b body] [-a tags] [-k keys]
//
// Defaults: 127.0.0.1:9876, Topic1, GID_SyncProducer, 1 message "Hello world" with tag
// TagA and key OrderID001. Exits 1 if any send failed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "sprocket/client.h"

namespace {

void Usage(const char* prog) {
  std::fprintf(stderr,
               "usage: %s [-n namesrv] [-t topic] [-g group] [-m count] [-b body] [-a tags] "
               "[-k keys]\n",
               prog);
}

}  // namespace

int main(int argc, char** argv) {
  std::string namesrv = "127.0.0.1:9876";
  std::string topic = "Topic1";
  std::string group = "GID_SyncProducer";
  std::string body = "Hello world";
  std::string tags = "TagA";
  std::string keys = "OrderID001";
  long count = 1;
  int opt;
  while ((opt = getopt(argc, argv, "n:t:g:m:b:a:k:h")) != -1) {
    switch (opt) {
      case 'n': namesrv = optarg; break;
      case 't': topic = optarg; break;
      case 'g': group = optarg; break;
      case 'm': count = std::atol(optarg); break;
      case 'b': body = optarg; break;
      case 'a': tags = optarg; break;
      case 'k': keys = optarg; break;
      default: Usage(argv[0]); return opt == 'h' ? 0 : 2;
    }
  }

  sprocket::DefaultMQProducer producer(group);
  producer.setNamesrvAddr(namesrv);
  try {
    producer.start();
  } catch (const sprocket::MQException& e) {
    std::fprintf(stderr, "start failed: %s\n", e.what());
    return 1;
  }

  int failures = 0;
  for (long i = 0; i < count; ++i) {
    sprocket::Message msg(topic, tags, keys, body);
    try {
      sprocket::SendResult r = producer.send(msg);
      std::printf("SendResult: %s msgId=%s offsetMsgId=%s queueId=%d queueOffset=%lld\n",
                  sprocket::SendStatusName(r.getSendStatus()), r.getMsgId().c_str(),
                  r.getOffsetMsgId().c_str(), r.getMessageQueue().getQueueId(),
                  static_cast<long long>(r.getQueueOffset()));
      std::fflush(stdout);
    } catch (const sprocket::MQException& e) {
      std::fprintf(stderr, "send failed: %s\n", e.what());
      ++failures;
    }
  }
  producer.shutdown();
  return failures == 0 ? 0 : 1;
}
