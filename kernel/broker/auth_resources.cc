// Which resources each request touches, for the auth plugin (PROTOCOL.md §9, RocketMQ's
// PlainAccessValidator.parse). Groups are named by their retry topic, "%RETRY%<group>".
#include "broker/broker_context.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::broker {
namespace {

namespace RC = protocol::RequestCode;

std::string RetryOf(std::string_view group) { return std::string(kRetryGroupTopicPrefix) + std::string(group); }

}  // namespace

std::vector<std::pair<std::string, AuthAction>> ResolveAuthResources(const RemotingCommand& req,
                                                                     std::string_view body) {
  std::vector<std::pair<std::string, AuthAction>> out;
  const auto& ext = req.ext;
  switch (req.code) {
    case RC::kSendMessage:
    case RC::kSendMessageV2: {
      bool v2 = req.code == RC::kSendMessageV2;
      std::string_view topic = ext.Get(v2 ? "b" : "topic");
      if (topic.rfind(kRetryGroupTopicPrefix, 0) == 0) {
        out.emplace_back(RetryOf(ext.Get(v2 ? "a" : "producerGroup")), AuthAction::kSub);
      } else {
        out.emplace_back(std::string(topic), AuthAction::kPub);
      }
      break;
    }
    case RC::kConsumerSendMsgBack:
      out.emplace_back(RetryOf(ext.Get("group")), AuthAction::kSub);
      break;
    case RC::kPullMessage:
      out.emplace_back(std::string(ext.Get("topic")), AuthAction::kSub);
      out.emplace_back(RetryOf(ext.Get("consumerGroup")), AuthAction::kSub);
      break;
    case RC::kQueryMessage:
      out.emplace_back(std::string(ext.Get("topic")), AuthAction::kSub);
      break;
    case RC::kHeartBeat:
      if (auto hb = protocol::DecodeHeartbeatData(body); hb.ok()) {
        for (const auto& c : hb->consumer_data_set) {
          out.emplace_back(RetryOf(c.group_name), AuthAction::kSub);
          for (const auto& s : c.subscription_data_set) {
            if (s.topic.rfind(kRetryGroupTopicPrefix, 0) != 0) out.emplace_back(s.topic, AuthAction::kSub);
          }
        }
      }
      break;
    case RC::kUnregisterClient:
    case RC::kGetConsumerListByGroup:
      out.emplace_back(RetryOf(ext.Get("consumerGroup")), AuthAction::kSub);
      break;
    case RC::kUpdateConsumerOffset:
    case RC::kQueryConsumerOffset:
      out.emplace_back(RetryOf(ext.Get("consumerGroup")), AuthAction::kSub);
      out.emplace_back(std::string(ext.Get("topic")), AuthAction::kSub);
      break;
    case RC::kUpdateAndCreateTopic:
    case RC::kDeleteTopicInBroker:
      out.emplace_back(std::string(ext.Get("topic")), AuthAction::kAdmin);
      break;
    case RC::kUpdateBrokerConfig:
    case RC::kUpdateAndCreateSubscriptionGroup:
    case RC::kDeleteSubscriptionGroup:
      out.emplace_back(std::string(ext.Get("groupName", ext.Get("group"))), AuthAction::kAdmin);
      break;
    default:
      // Also the admin reads 28, 202, 203, 208, 300: RocketMQ's PlainAccessValidator names
      // no resource for them either.
      break;  // no resource: the plugin still sees the code, key and signature
  }
  return out;
}

}  // namespace sprocket::broker
