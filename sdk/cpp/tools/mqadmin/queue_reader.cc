#include "queue_reader.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "message_util.h"
#include "requests.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"

namespace sprocket::mqadmin {

namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;

QueueReader::QueueReader(AdminClient& admin, std::string group, protocol::TopicRouteData route,
                         std::chrono::seconds time_limit)
    : admin_(admin),
      group_(std::move(group)),
      route_(std::move(route)),
      time_limit_(time_limit),
      deadline_(std::chrono::steady_clock::now() + time_limit) {}

std::string QueueReader::AddrOf(const MessageQueue& mq) {
  for (const auto& bd : route_.broker_datas) {
    if (bd.broker_name == mq.getBrokerName()) {
      std::string addr = SelectBrokerAddr(bd);
      if (!addr.empty()) return addr;
    }
  }
  throw CommandError("The broker[" + mq.getBrokerName() + "] not exist");
}

int64_t QueueReader::Offset(const MessageQueue& mq, int32_t code, int64_t timestamp) {
  RemotingCommand req = code == RC::kSearchOffsetByTimestamp
                            ? sdk::BuildSearchOffsetRequest(mq.getTopic(), mq.getQueueId(), timestamp)
                            : sdk::NewRequest(code);
  req.ext.Set("topic", mq.getTopic());
  req.ext.Set("queueId", int64_t{mq.getQueueId()});
  RemotingCommand resp = admin_.CallOk(AddrOf(mq), std::move(req));
  auto offset = sdk::ParseOffsetResponse(resp);
  if (!offset.ok()) throw CommandError(offset.status().ToString());
  return *offset;
}

void QueueReader::PullRange(const MessageQueue& mq, int64_t from, int64_t to, const PrintOptions& print) {
  const std::string addr = AddrOf(mq);
  const protocol::SubscriptionData sub = protocol::BuildTagSubscription(mq.getTopic(), print.subscription, 0);
  int64_t offset = from;
  while (offset < to) {
    if (std::chrono::steady_clock::now() > deadline_) {
      throw CommandError("time limit of " + std::to_string(time_limit_.count()) + " s reached after " +
                         std::to_string(printed_) + " messages");
    }
    sdk::PullMessageHeader h;
    h.consumer_group = group_;
    h.topic = mq.getTopic();
    h.queue_id = mq.getQueueId();
    h.queue_offset = offset;
    h.max_msg_nums = static_cast<int32_t>(std::min<int64_t>(32, to - offset));
    h.sys_flag = protocol::PullSysFlag::kSubscription;  // no commit, no long poll
    h.commit_offset = 0;
    h.suspend_timeout_millis = 20000;
    h.subscription = sub.sub_string;
    h.sub_version = NowMillis();
    auto r = admin_.Call(addr, sdk::BuildPullMessageRequest(h));
    auto header = sdk::ParsePullResponseHeader(r);
    switch (r.code) {
      case RS::kSuccess: {
        if (!header.ok()) throw CommandError(header.status().ToString());
        auto records = protocol::DecodeRecords(r.body);
        if (!records.ok()) throw CommandError("bad pull body: " + records.status().ToString());
        if (print.consume_ok_line) std::printf("Consume ok\n");
        for (auto& rec : *records) {
          if (rec.queue_offset >= to) break;
          MessageExt m = sdk::ToMessageExt(std::move(rec));
          if (!sdk::MatchesSubscription(m, sub)) continue;
          std::printf("MSGID: %s %s BODY: %s\n", m.getMsgId().c_str(), m.toString().c_str(),
                      print.body(m).c_str());
          ++printed_;
        }
        offset = header->next_begin_offset;
        break;
      }
      case RS::kPullRetryImmediately:
        if (!header.ok()) throw CommandError(header.status().ToString());
        offset = header->next_begin_offset;
        std::printf("%s no matched msg. status=NO_MATCHED_MSG, offset=%lld\n", mq.toString().c_str(),
                    static_cast<long long>(offset));
        break;
      case RS::kPullNotFound:
      case RS::kPullOffsetMoved:
        if (header.ok()) offset = header->next_begin_offset;
        std::printf("%s print msg finished. status=%s, offset=%lld\n", mq.toString().c_str(),
                    r.code == RS::kPullNotFound ? "NO_NEW_MSG" : "OFFSET_ILLEGAL",
                    static_cast<long long>(offset));
        return;
      default:
        throw CommandError(DescribeRefusal(r));
    }
  }
}

int64_t ParseTimestamp(const std::string& v, char opt) {
  char* end = nullptr;
  long long ms = std::strtoll(v.c_str(), &end, 10);
  if (!v.empty() && end == v.c_str() + v.size()) return ms;
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(v.c_str(), "%d-%d-%d#%d:%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &millis) != 7) {
    throw UsageError(std::string("Option -") + opt + ": '" + v +
                     "' is neither milliseconds nor yyyy-MM-dd#HH:mm:ss:SSS");
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(std::mktime(&tm)) * 1000 + millis;
}

}  // namespace sprocket::mqadmin
