#include "producer_impl.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "log.h"
#include "message_util.h"
#include "requests.h"
#include "sprocket/mq_exception.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"

namespace sprocket::sdk {

namespace ResponseCode = protocol::ResponseCode;
using Clock = std::chrono::steady_clock;

namespace {

// Broker codes worth another try elsewhere (DefaultMQProducer.retryResponseCodes).
bool IsRetryableSendCode(int32_t code) {
  switch (code) {
    case ResponseCode::kTopicNotExist:
    case ResponseCode::kServiceNotAvailable:
    case ResponseCode::kSystemError:
    case ResponseCode::kNoPermission:
    case 204:  // NO_BUYER_ID
    case 205:  // NOT_IN_CURRENT_UNIT
      return true;
    default:
      return false;
  }
}

std::optional<SendStatus> SendStatusOf(int32_t code) {
  switch (code) {
    case ResponseCode::kSuccess: return SEND_OK;
    case ResponseCode::kFlushDiskTimeout: return FLUSH_DISK_TIMEOUT;
    case ResponseCode::kFlushSlaveTimeout: return FLUSH_SLAVE_TIMEOUT;
    case ResponseCode::kSlaveNotAvailable: return SLAVE_NOT_AVAILABLE;
    default: return std::nullopt;
  }
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + "]";
}

}  // namespace

ProducerImpl::ProducerImpl(std::string group) { config_.group = std::move(group); }

ProducerImpl::~ProducerImpl() { Shutdown(); }

void ProducerImpl::Start() {
  std::lock_guard<std::mutex> lock(state_mu_);
  if (state_ != State::kCreated) {
    throw MQClientException(-1, "The producer service state not OK, maybe started once");
  }
  if (config_.group.empty() || config_.group == "DEFAULT_PRODUCER") {
    throw MQClientException(-1, "producerGroup can not equal DEFAULT_PRODUCER or be empty, "
                                "please specify another one");
  }
  std::string addrs = config_.namesrv_addr;
  if (addrs.empty() && std::getenv("NAMESRV_ADDR") != nullptr) addrs = std::getenv("NAMESRV_ADDR");
  auto namesrvs = ParseNamesrvAddr(addrs);
  if (namesrvs.empty()) {
    throw MQClientException(ClientErrorCode::NO_NAME_SERVER_EXCEPTION,
                            "No name server address, please set it with setNamesrvAddr");
  }
  client_ = std::make_unique<ClientInstance>(BuildClientId(LocalIpAddress(), config_.instance_name),
                                             std::move(namesrvs), config_.namesrv_timeout);
  client_->SetRequestHandler([](const std::string&, const RemotingCommand& request)
                                 -> std::optional<RemotingCommand> {
    // Transaction checks are the only broker -> producer requests, and they are oneway;
    // we have no transactional producer yet, so nothing to answer.
    if (request.IsOneway()) return std::nullopt;
    return RemotingCommand::ResponseTo(request, ResponseCode::kRequestCodeNotSupported,
                                       " request type " + std::to_string(request.code) +
                                           " not supported");
  });
  state_ = State::kRunning;
  SendHeartbeat();
  client_->scheduler().ScheduleEvery(config_.poll_namesrv_interval, config_.poll_namesrv_interval,
                                     [this] { RefreshAllRoutes(); });
  client_->scheduler().ScheduleEvery(config_.heartbeat_interval, config_.heartbeat_interval,
                                     [this] { SendHeartbeat(); });
}

void ProducerImpl::Shutdown() {
  std::lock_guard<std::mutex> lock(state_mu_);
  if (state_ != State::kRunning) return;
  state_ = State::kShutDown;
  client_->scheduler().Stop();
  client_->UnregisterClient(config_.group, "");
  client_->Shutdown();
}

std::string ProducerImpl::client_id() const { return client_ ? client_->client_id() : ""; }

void ProducerImpl::SendHeartbeat() {
  protocol::HeartbeatData hb;
  hb.client_id = client_->client_id();
  hb.producer_groups.push_back(config_.group);
  client_->SendHeartbeat(hb, /*masters_only=*/true);  // producers only talk to masters
}

std::shared_ptr<TopicPublishInfo> ProducerImpl::PublishInfo(const std::string& topic) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = publish_.find(topic);
    if (it != publish_.end() && !it->second->empty()) return it->second;
  }
  return UpdatePublishInfo(topic);
}

std::shared_ptr<TopicPublishInfo> ProducerImpl::UpdatePublishInfo(const std::string& topic) {
  std::shared_ptr<TopicPublishInfo> fresh;
  auto route = client_->FetchRoute(topic);
  if (route.ok()) {
    client_->StoreRoute(topic, *route);
    fresh = std::make_shared<TopicPublishInfo>(PublishQueuesFromRoute(topic, *route));
  } else if (route.status().IsNotFound()) {
    // Unknown topic: send along the create-topic key's route and let the broker create it.
    auto def = client_->FetchRoute(config_.create_topic_key);
    if (def.ok()) {
      client_->StoreRoute(config_.create_topic_key, *def);
      auto adjusted = RouteForNewTopic(*def, config_.default_topic_queue_nums);
      fresh = std::make_shared<TopicPublishInfo>(PublishQueuesFromRoute(topic, adjusted));
      fresh->from_default_topic = true;
    }
  } else {
    Log().warn("route of topic {}: {}", topic, route.status().ToString());
  }

  std::lock_guard<std::mutex> lock(mu_);
  auto it = publish_.find(topic);
  if (!fresh) return it == publish_.end() ? nullptr : it->second;
  // Same queues: keep the old object so the round-robin position carries on.
  if (it != publish_.end() && it->second->queues() == fresh->queues() &&
      it->second->from_default_topic == fresh->from_default_topic) {
    return it->second;
  }
  publish_[topic] = fresh;
  return fresh;
}

void ProducerImpl::RequestRouteRefresh(const std::string& topic) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!refresh_pending_.insert(topic).second) return;
  }
  client_->scheduler().Schedule(std::chrono::milliseconds(0), [this, topic] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      refresh_pending_.erase(topic);
    }
    UpdatePublishInfo(topic);
  });
}

void ProducerImpl::RefreshAllRoutes() {
  std::vector<std::string> topics;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [topic, info] : publish_) topics.push_back(topic);
  }
  for (const auto& topic : topics) UpdatePublishInfo(topic);
}

SendResult ProducerImpl::Send(const Message& msg, std::chrono::milliseconds timeout) {
  if (state_ != State::kRunning) {
    throw MQClientException(-1, "The producer service state not OK, not started or shut down");
  }
  Status check = CheckMessage(msg, config_.max_message_size);
  if (!check.ok()) throw MQClientException(ResponseCode::kMessageIllegal, check.message());

  const auto begin = Clock::now();
  const std::string& topic = msg.getTopic();
  auto info = PublishInfo(topic);
  if (!info || info->empty()) {
    throw MQClientException(ClientErrorCode::NOT_FOUND_TOPIC_EXCEPTION,
                            "No route info of this topic: " + topic);
  }

  // Everything but the queue id is the same for every try, UNIQ_KEY included: a retry
  // after a lost answer may store the message twice, and consumers can tell by the key.
  protocol::MessageProperties props;
  for (const auto& [k, v] : msg.getProperties()) props.Set(k, v);
  std::string uniq_key = msg.getProperty(std::string(protocol::Prop::kUniqKey));
  if (uniq_key.empty()) {
    uniq_key = protocol::NewUniqueMessageId();
    props.Set(protocol::Prop::kUniqKey, uniq_key);
  }
  if (props.Find(protocol::Prop::kWaitStoreMsgOk) == nullptr) {
    props.Set(protocol::Prop::kWaitStoreMsgOk, "true");
  }
  SendMessageHeader header;
  header.producer_group = config_.group;
  header.topic = topic;
  header.default_topic = config_.create_topic_key;
  header.default_topic_queue_nums = config_.default_topic_queue_nums;
  header.born_timestamp = NowMillis();
  header.flag = msg.getFlag();
  header.properties = props.Encode();
  std::string body = msg.getBody();
  if (body.size() >= static_cast<size_t>(config_.compress_over_bytes)) {
    body = protocol::Deflate(body, 5);
    header.sys_flag |= protocol::MessageSysFlag::kCompressed;
  }

  const int tries = 1 + std::max(0, config_.retry_times_when_send_failed);
  std::string last_broker;
  std::vector<std::string> brokers_sent;
  std::string last_error = "no try made";
  int last_code = -1;
  for (int i = 0; i < tries; ++i) {
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin);
    if (elapsed >= timeout) {
      last_error = "send timed out after " + std::to_string(elapsed.count()) + " ms; " + last_error;
      last_code = ClientErrorCode::ACCESS_BROKER_TIMEOUT;
      break;
    }
    MessageQueue mq = info->SelectQueue(last_broker);
    last_broker = mq.getBrokerName();
    brokers_sent.push_back(last_broker);
    auto addr = client_->FindMasterAddr(mq.getBrokerName());
    if (!addr) {
      last_error = "The broker[" + mq.getBrokerName() + "] not exist";
      last_code = ClientErrorCode::BROKER_NOT_EXIST_EXCEPTION;
      RequestRouteRefresh(topic);
      continue;
    }
    header.queue_id = mq.getQueueId();
    auto response = client_->Invoke(*addr, BuildSendMessageV2Request(header, body), timeout - elapsed);
    if (!response.ok()) {
      last_error = response.status().ToString();
      last_code = response.status().IsTimeout() ? ClientErrorCode::ACCESS_BROKER_TIMEOUT
                                                : ClientErrorCode::CONNECT_BROKER_EXCEPTION;
      RequestRouteRefresh(topic);
      continue;
    }
    if (auto status = SendStatusOf(response->code)) {
      auto h = ParseSendResponseHeader(*response);
      if (!h.ok()) {
        throw MQClientException(-1, "broker " + *addr + ": " + h.status().message());
      }
      return SendResult(*status, uniq_key, h->offset_msg_id,
                        MessageQueue(topic, mq.getBrokerName(), h->queue_id), h->queue_offset);
    }
    std::string remark = response->remark.value_or("");
    if (!IsRetryableSendCode(response->code)) {
      throw MQBrokerException(response->code, remark, *addr);
    }
    last_error = "broker " + *addr + " answered " + DescribeResponse(*response);
    last_code = response->code;
    RequestRouteRefresh(topic);
  }
  auto cost = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin);
  throw MQClientException(last_code, "Send [" + std::to_string(brokers_sent.size()) +
                                         "] times, still failed, cost [" +
                                         std::to_string(cost.count()) + "]ms, Topic: " + topic +
                                         ", BrokersSent: " + JoinNames(brokers_sent) +
                                         ", last error: " + last_error);
}

}  // namespace sprocket::sdk
