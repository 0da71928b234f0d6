#include "producer_impl.h"

#include <algorithm>
#include <charconv>
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

// SEND_MESSAGE_V2 without a body, like BuildSendMessageV2Request but appending the fields
// (no lookup per field) into a list sized once: this runs for every asynchronous send.
// Like RocketMQ's RemotingCommand, ROCKETMQ_SERIALIZE_TYPE=ROCKETMQ in the environment
// selects the binary header (PROTOCOL.md §1.3) instead of JSON; read once. Brokers answer
// in the request's type; the binary header costs both sides less than JSON.
protocol::SerializeType SendSerializeType() {
  static const protocol::SerializeType type = [] {
    const char* env = std::getenv("ROCKETMQ_SERIALIZE_TYPE");
    return env != nullptr && std::string_view(env) == "ROCKETMQ" ? protocol::SerializeType::kRocketMQ
                                                                 : protocol::SerializeType::kJson;
  }();
  return type;
}

RemotingCommand SendV2Header(const SendMessageHeader& h) {
  RemotingCommand cmd = RemotingCommand::Request(protocol::RequestCode::kSendMessageV2);
  cmd.language = protocol::LanguageCode::kCpp;
  cmd.version = protocol::kSprocketVersion;
  cmd.serialize_type = SendSerializeType();
  auto num = [](int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
  };
  cmd.ext.Reserve(12);
  cmd.ext.Append("a", h.producer_group);
  cmd.ext.Append("b", h.topic);
  cmd.ext.Append("c", h.default_topic);
  cmd.ext.Append("d", num(h.default_topic_queue_nums));
  cmd.ext.Append("e", num(h.queue_id));
  cmd.ext.Append("f", num(h.sys_flag));
  cmd.ext.Append("g", num(h.born_timestamp));
  cmd.ext.Append("h", num(h.flag));
  cmd.ext.Append("i", h.properties);
  cmd.ext.Append("j", num(h.reconsume_times));
  cmd.ext.Append("k", h.unit_mode ? "true" : "false");
  cmd.ext.Append("m", h.batch ? "true" : "false");
  return cmd;
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

void ProducerImpl::Prepare(const Message& msg, std::chrono::milliseconds timeout, int retries,
                           SendJob* job) {
  if (state_ != State::kRunning) {
    throw MQClientException(-1, "The producer service state not OK, not started or shut down");
  }
  Status check = CheckMessage(msg, config_.max_message_size);
  if (!check.ok()) throw MQClientException(ResponseCode::kMessageIllegal, check.message());

  // assign() rather than `=` throughout: a pooled job keeps its buffers.
  job->begin = Clock::now();
  job->timeout = timeout;
  job->tries = 1 + std::max(0, retries);
  job->attempt = 0;
  job->last_broker.clear();
  job->brokers_sent.clear();
  job->last_error.assign("no try made");
  job->last_code = -1;
  job->target.reset();
  job->topic.assign(msg.getTopic());
  job->info = PublishInfo(job->topic);
  if (!job->info || job->info->empty()) {
    throw MQClientException(ClientErrorCode::NOT_FOUND_TOPIC_EXCEPTION,
                            "No route info of this topic: " + job->topic);
  }

  // Everything but the queue id is the same for every try, UNIQ_KEY included: a retry
  // after a lost answer may store the message twice, and consumers can tell by the key.
  // The properties string (MessageProperties' encoding: the message's properties in key
  // order, then UNIQ_KEY and WAIT when the message has none), written straight into the
  // job's buffer.
  std::string& props = job->header.properties;
  props.clear();
  bool has_uniq = false, has_wait = false;
  auto add = [&props](std::string_view k, std::string_view v) {
    if (!props.empty()) props.push_back('\x02');
    props.append(k);
    props.push_back('\x01');
    props.append(v);
  };
  for (const auto& [k, v] : msg.getProperties()) {
    if (k == protocol::Prop::kUniqKey && !v.empty()) {
      has_uniq = true;
      job->uniq_key.assign(v);
    } else if (k == protocol::Prop::kUniqKey) {
      continue;  // an empty UNIQ_KEY is replaced below
    }
    has_wait = has_wait || k == protocol::Prop::kWaitStoreMsgOk;
    add(k, v);
  }
  if (!has_uniq) {
    job->uniq_key.assign(protocol::NewUniqueMessageId());
    add(protocol::Prop::kUniqKey, job->uniq_key);
  }
  if (!has_wait) add(protocol::Prop::kWaitStoreMsgOk, "true");
  SendMessageHeader& header = job->header;
  header.producer_group.assign(config_.group);
  header.topic.assign(job->topic);
  header.default_topic.assign(config_.create_topic_key);
  header.default_topic_queue_nums = config_.default_topic_queue_nums;
  header.queue_id = 0;
  header.sys_flag = 0;
  header.born_timestamp = NowMillis();
  header.flag = msg.getFlag();
  header.reconsume_times = 0;
  if (msg.getBody().size() >= static_cast<size_t>(config_.compress_over_bytes)) {
    job->body.assign(protocol::Deflate(msg.getBody(), 5));
    header.sys_flag |= protocol::MessageSysFlag::kCompressed;
  } else {
    job->body.assign(msg.getBody());
  }
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
  SendJob job;
  Prepare(msg, timeout, config_.retry_times_when_send_failed, &job);
  while (auto target = NextTarget(job)) {
    RemotingCommand request = SendV2Header(job.header);
    request.body = job.body;
    auto response = client_->Invoke(target->addr, std::move(request), target->remaining);
    SendResult result;
    if (Judge(job, *target, response, &result)) return result;
  }
  throw Exhausted(job);
}

ProducerImpl::SendJob* ProducerImpl::AcquireJob() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!job_pool_.empty()) {
      SendJob* job = job_pool_.back().release();
      job_pool_.pop_back();
      return job;
    }
  }
  return new SendJob();
}

void ProducerImpl::ReleaseJob(SendJob* job) {
  job->info.reset();
  job->callback = nullptr;
  job->target.reset();
  // Enough for any sensible window of sends in flight; beyond it jobs are freed.
  constexpr size_t kMaxPooledJobs = 4096;
  std::unique_ptr<SendJob> owned(job);
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (job_pool_.size() < kMaxPooledJobs) job_pool_.push_back(std::move(owned));
}

void ProducerImpl::SendAsync(const Message& msg, SendCallback* callback,
                             std::chrono::milliseconds timeout) {
  if (callback == nullptr) throw MQClientException(-1, "sendCallback is null");
  SendJob* job = AcquireJob();
  try {
    Prepare(msg, timeout, config_.retry_times_when_send_async_failed, job);
  } catch (...) {
    ReleaseJob(job);
    throw;
  }
  job->callback = callback;
  TryAsync(job);
}

void ProducerImpl::TryAsync(SendJob* job) {
  job->target = NextTarget(*job);
  if (!job->target) {
    MQClientException e = Exhausted(*job);
    Complete(job, nullptr, &e);
    return;
  }
  // The body goes into the frame straight from the job (kept for retries): no copy into
  // the command. The callback captures two pointers, so std::function stores it inline.
  client_->remoting().InvokeAsync(
      job->target->addr, SendV2Header(job->header), job->body,
      job->target->remaining,
      [this, job](Result<RemotingCommand> response) { OnAsyncResponse(job, response); });
}

void ProducerImpl::OnAsyncResponse(SendJob* job, Result<RemotingCommand>& response) {
  SendResult result;
  try {
    if (Judge(*job, *job->target, response, &result)) {
      Complete(job, &result, nullptr);
      return;
    }
  } catch (const MQException& e) {
    Complete(job, nullptr, &e);  // by reference: MQBrokerException stays one
    return;
  }
  TryAsync(job);  // another queue, preferably on another broker
}

void ProducerImpl::Complete(SendJob* job, SendResult* result, const MQException* error) {
  SendCallback* callback = job->callback;
  // Back to the pool first: the callback may well send again (and take this job).
  ReleaseJob(job);
  // The application's callback runs on the I/O thread; whatever it throws stays here.
  try {
    if (result != nullptr) {
      callback->onSuccess(*result);
    } else {
      callback->onException(*error);
    }
  } catch (const std::exception& e) {
    Log().warn("send callback threw: {}", e.what());
  } catch (...) {
    Log().warn("send callback threw");
  }
}

}  // namespace sprocket::sdk
