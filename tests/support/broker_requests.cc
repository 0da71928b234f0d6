#include "support/broker_requests.h"

#include <thread>

#include "sprocket/protocol/codes.h"

namespace sprocket::testing {

namespace RC = protocol::RequestCode;

RemotingCommand SendV2Request(const std::string& topic, int32_t queue_id, const std::string& tags,
                              const std::string& keys, const std::string& body,
                              const std::string& producer_group) {
  auto req = RemotingCommand::Request(RC::kSendMessageV2);
  req.ext.Set("a", producer_group);
  req.ext.Set("b", topic);
  req.ext.Set("c", "TBW102");
  req.ext.Set("d", int64_t{4});
  req.ext.Set("e", int64_t{queue_id});
  req.ext.Set("f", int64_t{0});
  req.ext.Set("g", int64_t{1700000000000});
  req.ext.Set("h", int64_t{0});
  protocol::MessageProperties props;
  if (!tags.empty()) props.Set("TAGS", tags);
  if (!keys.empty()) props.Set("KEYS", keys);
  props.Set("WAIT", "true");
  req.ext.Set("i", props.Encode());
  req.ext.Set("j", int64_t{0});
  req.ext.SetBool("k", false);
  req.body = body;
  return req;
}

RemotingCommand PullRequest(const PullArgs& a) {
  auto req = RemotingCommand::Request(RC::kPullMessage);
  req.ext.Set("consumerGroup", a.group);
  req.ext.Set("topic", a.topic);
  req.ext.Set("queueId", int64_t{a.queue_id});
  req.ext.Set("queueOffset", a.offset);
  req.ext.Set("maxMsgNums", int64_t{a.max_msgs});
  int64_t flag = protocol::PullSysFlag::kSubscription;
  if (a.suspend) flag |= protocol::PullSysFlag::kSuspend;
  if (a.commit_offset > 0) flag |= protocol::PullSysFlag::kCommitOffset;
  req.ext.Set("sysFlag", flag);
  req.ext.Set("commitOffset", a.commit_offset);
  req.ext.Set("suspendTimeoutMillis", a.suspend_ms);
  req.ext.Set("subscription", a.subscription);
  req.ext.Set("subVersion", int64_t{0});
  req.ext.Set("expressionType", "TAG");
  return req;
}

RemotingCommand CreateTopicRequest(const std::string& topic, int32_t queues, int32_t perm) {
  auto req = RemotingCommand::Request(RC::kUpdateAndCreateTopic);
  req.ext.Set("topic", topic);
  req.ext.Set("defaultTopic", "TBW102");
  req.ext.Set("readQueueNums", int64_t{queues});
  req.ext.Set("writeQueueNums", int64_t{queues});
  req.ext.Set("perm", int64_t{perm});
  req.ext.Set("topicFilterType", "SINGLE_TAG");
  req.ext.Set("topicSysFlag", int64_t{0});
  req.ext.SetBool("order", false);
  return req;
}

RemotingCommand HeartbeatRequest(const std::string& client_id, const std::string& group, const std::string& topic,
                                 const std::string& expr) {
  protocol::HeartbeatData hb;
  hb.client_id = client_id;
  protocol::ConsumerData cd;
  cd.group_name = group;
  cd.subscription_data_set.push_back(protocol::BuildTagSubscription(topic, expr, 1));
  hb.consumer_data_set.push_back(cd);
  auto req = RemotingCommand::Request(RC::kHeartBeat);
  req.body = protocol::EncodeHeartbeatData(hb);
  return req;
}

Result<RemotingCommand> Call(remoting::RemotingClient& client, const std::string& addr, RemotingCommand req,
                             std::chrono::milliseconds timeout) {
  return client.Invoke(addr, std::move(req), timeout);
}

bool CreateTopicAndWait(const std::string& broker_addr, const std::string& namesrv_addr, const std::string& topic,
                        int32_t queues) {
  remoting::RemotingClient client;
  auto r = Call(client, broker_addr, CreateTopicRequest(topic, queues));
  if (!r.ok() || r->code != protocol::ResponseCode::kSuccess) return false;
  auto req = RemotingCommand::Request(RC::kGetRouteinfoByTopic);
  req.ext.Set("topic", topic);
  for (int i = 0; i < 400; ++i) {
    auto rr = Call(client, namesrv_addr, req);
    if (rr.ok() && rr->code == protocol::ResponseCode::kSuccess) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

std::vector<protocol::MessageExt> Messages(const RemotingCommand& pull_response) {
  auto msgs = protocol::DecodeRecords(pull_response.body);
  return msgs.ok() ? std::move(*msgs) : std::vector<protocol::MessageExt>{};
}

}  // namespace sprocket::testing
