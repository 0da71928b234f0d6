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

std::shared_ptr<ProducerImpl::SendJob> ProducerImpl::Prepare(const Message& msg,
                                                            std::chrono::milliseconds timeout,
                                                            int retries) {
  if (state_ != State::kRunning) {
    throw MQClientException(-1, "The producer service state not OK, not started or shut down");
  }
  Status check = CheckMessage(msg, config_.max_message_size);
  if (!check.ok()) throw MQClientException(ResponseCode::kMessageIllegal, check.message());

  auto job = std::make_shared<SendJob>();
  job->begin = Clock::now();
  job->timeout = timeout;
  job->tries = 1 + std::max(0, retries);
  job->topic = msg.getTopic();
  job->info = PublishInfo(job->topic);
  if (!job->info || job->info->empty()) {
    throw MQClientException(ClientErrorCode::NOT_FOUND_TOPIC_EXCEPTION,
                            "No route info of this topic: " + job->topic);
  }

  // Everything but the queue id is the same for every try, UNIQ_KEY included: a retry
  // after a lost answer may store the message twice, and consumers can tell by the key.
  protocol::MessageProperties props;
  for (const auto& [k, v] : msg.getProperties()) props.Set(k, v);
  job->uniq_key = msg.getProperty(std::string(protocol::Prop::kUniqKey));
  if (job->uniq_key.empty()) {
    job->uniq_key = protocol::NewUniqueMessageId();
    props.Set(protocol::Prop::kUniqKey, job->uniq_key);
  }
  if (props.Find(protocol::Prop::kWaitStoreMsgOk) == nullptr) {
    props.Set(protocol::Prop::kWaitStoreMsgOk, "true");
  }
  SendMessageHeader& header = job->header;
  header.producer_group = config_.group;
  header.topic = job->topic;
  header.default_topic = config_.create_topic_key;
  header.default_topic_queue_nums = config_.default_topic_queue_nums;
  header.born_timestamp = NowMillis();
  header.flag = msg.getFlag();
  header.properties = props.Encode();
  job->body = msg.getBody();
  if (job->body.size() >= static_cast<size_t>(config_.compress_over_bytes)) {
    job->body = protocol::Deflate(job->body, 5);
    header.sys_flag |= protocol::MessageSysFlag::kCompressed;
  }
  return job;
}

std::optional<ProducerImpl::Target> ProducerImpl::NextTarget(SendJob& job) {
  while (job.attempt < job.tries) {
    ++job.attempt;
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - job.begin);
    if (elapsed >= job.timeout) {
      job.last_error = "send timed out after " + std::to_string(elapsed.count()) + " ms; " + job.last_error;
      job.last_code = ClientErrorCode::ACCESS_BROKER_TIMEOUT;
      return std::nullopt;
    }
    MessageQueue mq = job.info->SelectQueue(job.last_broker);
    job.last_broker = mq.getBrokerName();
    job.brokers_sent.push_back(job.last_broker);
    auto addr = client_->FindMasterAddr(mq.getBrokerName());
    if (!addr) {
      job.last_error = "The broker[" + mq.getBrokerName() + "] not exist";
      job.last_code = ClientErrorCode::BROKER_NOT_EXIST_EXCEPTION;
      RequestRouteRefresh(job.topic);
      continue;
    }
    job.header.queue_id = mq.getQueueId();
    return Target{std::move(mq), std::move(*addr), job.timeout - elapsed};
  }
  return std::nullopt;
}

bool ProducerImpl::Judge(SendJob& job, const Target& target, const Result<RemotingCommand>& response,
                         SendResult* result) {
  if (!response.ok()) {
    job.last_error = response.status().ToString();
    job.last_code = response.status().IsTimeout() ? ClientErrorCode::ACCESS_BROKER_TIMEOUT
                                                  : ClientErrorCode::CONNECT_BROKER_EXCEPTION;
    if (response.status().code() == Status::Code::kAborted) {
      throw MQClientException(job.last_code, "producer shut down: " + job.last_error);
    }
    RequestRouteRefresh(job.topic);
    return false;
  }
  if (auto status = SendStatusOf(response->code)) {
    auto h = ParseSendResponseHeader(*response);
    if (!h.ok()) throw MQClientException(-1, "broker " + target.addr + ": " + h.status().message());
    *result = SendResult(*status, job.uniq_key, h->offset_msg_id,
                         MessageQueue(job.topic, target.mq.getBrokerName(), h->queue_id), h->queue_offset);
    return true;
  }
  if (!IsRetryableSendCode(response->code)) {
    throw MQBrokerException(response->code, response->remark.value_or(""), target.addr);
  }
  job.last_error = "broker " + target.addr + " answered " + DescribeResponse(*response);
  job.last_code = response->code;
  RequestRouteRefresh(job.topic);
  return false;
}

MQClientException ProducerImpl::Exhausted(const SendJob& job) {
  auto cost = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - job.begin);
  return MQClientException(job.last_code, "Send [" + std::to_string(job.brokers_sent.size()) +
                                              "] times, still failed, cost [" +
                                              std::to_string(cost.count()) + "]ms, Topic: " + job.topic +
                                              ", BrokersSent: " + JoinNames(job.brokers_sent) +
                                              ", last error: " + job.last_error);
}

SendResult ProducerImpl::Send(const Message& msg, std::chrono::milliseconds timeout) {
  auto job = Prepare(msg, timeout, config_.retry_times_when_send_failed);
  while (auto target = NextTarget(*job)) {
    auto response = client_->Invoke(target->addr, BuildSendMessageV2Request(job->header, job->body),
                                     target->remaining);
    SendResult result;
    if (Judge(*job, *target, response, &result)) return result;
  }
  throw Exhausted(*job);
}

void ProducerImpl::SendAsync(const Message& msg, SendCallback* callback,
                             std::chrono::milliseconds timeout) {
  if (callback == nullptr) throw MQClientException(-1, "sendCallback is null");
  auto job = Prepare(msg, timeout, config_.retry_times_when_send_async_failed);
  job->callback = callback;
  TryAsync(job);
}

void ProducerImpl::TryAsync(const std::shared_ptr<SendJob>& job) {
  auto target = NextTarget(*job);
  if (!target) {
    MQClientException e = Exhausted(*job);
    Complete(*job, nullptr, &e);
    return;
  }
  auto request = BuildSendMessageV2Request(job->header, job->body);
  const std::string addr = target->addr;
  const auto remaining = target->remaining;
  client_->remoting().InvokeAsync(
      addr, std::move(request), remaining,
      [this, job, t = std::move(*target)](Result<RemotingCommand> response) {
        SendResult result;
        try {
          if (Judge(*job, t, response, &result)) {
            Complete(*job, &result, nullptr);
            return;
          }
        } catch (const MQException& e) {
          Complete(*job, nullptr, &e);  // by reference: MQBrokerException stays one
          return;
        }
        TryAsync(job);  // another queue, preferably on another broker
      });
}

void ProducerImpl::Complete(SendJob& job, SendResult* result, const MQException* error) {
  // The application's callback runs on the I/O thread; whatever it throws stays here.
  try {
    if (result != nullptr) {
      job.callback->onSuccess(*result);
    } else {
      job.callback->onException(*error);
    }
  } catch (const std::exception& e) {
    Log().warn("send callback threw: {}", e.what());
  } catch (...) {
    Log().warn("send callback threw");
  }
}

}  // namespace sprocket::sdk
