#include "push_consumer_impl.h"

#include <cstdlib>
#include <random>
#include <set>

#include "log.h"
#include "message_util.h"
#include "requests.h"
#include "sprocket/mq_exception.h"
#include "sprocket/protocol/codes.h"
#include "topic_route.h"

namespace sprocket::sdk {

namespace ResponseCode = protocol::ResponseCode;
using std::chrono::milliseconds;

namespace {

protocol::ConsumeFromWhere ToProtocol(ConsumeFromWhere where) {
  switch (where) {
    case CONSUME_FROM_FIRST_OFFSET: return protocol::ConsumeFromWhere::kFirstOffset;
    case CONSUME_FROM_TIMESTAMP: return protocol::ConsumeFromWhere::kTimestamp;
    case CONSUME_FROM_LAST_OFFSET: break;
  }
  return protocol::ConsumeFromWhere::kLastOffset;
}

bool IsRetryTopic(const std::string& topic) { return topic.rfind("%RETRY%", 0) == 0; }

}  // namespace

PushConsumerImpl::PushConsumerImpl(std::string group) { ctx_.config.group = std::move(group); }

PushConsumerImpl::~PushConsumerImpl() { Shutdown(); }

void PushConsumerImpl::Subscribe(const std::string& topic, const std::string& expression) {
  expressions_[topic] = expression.empty() ? "*" : expression;
}

std::string PushConsumerImpl::client_id() const { return client_ ? client_->client_id() : ""; }

std::vector<MessageQueue> PushConsumerImpl::AssignedQueues() const {
  std::lock_guard<std::mutex> lock(rebalance_mu_);
  std::vector<MessageQueue> out;
  for (const auto& [mq, req] : owned_) out.push_back(mq);
  return out;
}

void PushConsumerImpl::Start() {
  std::lock_guard<std::mutex> lock(state_mu_);
  ConsumerConfig& cfg = ctx_.config;
  if (state_ != State::kCreated) {
    throw MQClientException(-1, "The PushConsumer service state not OK, maybe started once");
  }
  if (cfg.group.empty() || cfg.group == "DEFAULT_CONSUMER") {
    throw MQClientException(-1, "consumerGroup can not equal DEFAULT_CONSUMER or be empty, "
                                "please specify another one");
  }
  if (listener_ == nullptr) throw MQClientException(-1, "messageListener is null");
  if (expressions_.empty()) throw MQClientException(-1, "no subscription: call subscribe() first");
  std::string addrs = cfg.namesrv_addr;
  if (addrs.empty() && std::getenv("NAMESRV_ADDR") != nullptr) addrs = std::getenv("NAMESRV_ADDR");
  auto namesrvs = ParseNamesrvAddr(addrs);
  if (namesrvs.empty()) {
    throw MQClientException(ClientErrorCode::NO_NAME_SERVER_EXCEPTION,
                            "No name server address, please set it with setNamesrvAddr");
  }
  if (cfg.consume_timestamp.empty()) {
    cfg.consume_timestamp = FormatConsumeTimestamp(NowMillis() - 30 * 60 * 1000);
  }
  consume_timestamp_ms_ = ParseConsumeTimestamp(cfg.consume_timestamp);
  if (consume_timestamp_ms_ < 0) {
    throw MQClientException(-1, "consumeTimestamp " + cfg.consume_timestamp +
                                    " is not yyyyMMddHHmmss");
  }

  const int64_t sub_version = NowMillis();
  for (const auto& [topic, expr] : expressions_) {
    subscriptions_[topic] = protocol::BuildTagSubscription(topic, expr, sub_version);
  }
  if (!Broadcasting()) {
    // Messages handed back with RECONSUME_LATER come again through the group's retry topic.
    const std::string retry_topic = RetryTopic(cfg.group);
    subscriptions_[retry_topic] = protocol::BuildTagSubscription(retry_topic, "*", sub_version);
  }
  allocate_ = cfg.allocate_strategy ? cfg.allocate_strategy
                                    : std::make_shared<AllocateMessageQueueAveragely>();

  // RocketMQ keeps the instance name "DEFAULT" in broadcasting mode (only clustering
  // consumers switch to the process id), so the local offset file survives a restart.
  std::string instance = cfg.instance_name;
  if (instance.empty() && Broadcasting()) instance = "DEFAULT";
  const std::string client_id = BuildClientId(LocalIpAddress(), instance);
  if (Broadcasting()) {
    const std::string dir =
        cfg.offset_store_dir.empty() ? LocalFileOffsetStore::DefaultDir() : cfg.offset_store_dir;
    auto local = std::make_unique<LocalFileOffsetStore>(dir + "/" + client_id + "/" + cfg.group +
                                                        "/offsets.json");
    Status loaded = local->Load();
    if (!loaded.ok()) throw MQClientException(-1, loaded.ToString());
    offsets_ = std::move(local);
  } else {
    offsets_ = nullptr;  // made once the client exists
  }
  client_ = std::make_unique<ClientInstance>(client_id, std::move(namesrvs), cfg.namesrv_timeout);
  client_->SetRequestHandler([this](const std::string& addr, const RemotingCommand& request) {
    return OnBrokerRequest(addr, request);
  });
  if (!offsets_) {
    offsets_ = std::make_unique<BrokerOffsetStore>(client_.get(), cfg.group, cfg.namesrv_timeout);
  }
  ctx_.client = client_.get();
  ctx_.offsets = offsets_.get();
  consume_ = std::make_unique<ConsumeService>(&ctx_, listener_);
  pull_ = std::make_unique<PullLoop>(&ctx_, consume_.get());
  state_ = State::kRunning;

  for (const auto& [topic, sub] : subscriptions_) {
    auto changed = client_->RefreshRoute(topic);
    // The retry topic appears only after our first heartbeat; a later rebalance finds it.
    if (!changed.ok() && !IsRetryTopic(topic)) {
      Log().warn("consumer {}: no route for topic {} yet: {}", cfg.group, topic,
                 changed.status().ToString());
    }
  }
  SendHeartbeat();
  // The heartbeat made the broker create the retry topic; its route may be there now.
  for (const auto& [topic, sub] : subscriptions_) {
    if (!client_->CachedRoute(topic)) client_->RefreshRoute(topic);
  }
  Rebalance();

  Scheduler& timers = client_->scheduler();
  timers.ScheduleEvery(cfg.heartbeat_interval, cfg.heartbeat_interval, [this] { SendHeartbeat(); });
  timers.ScheduleEvery(cfg.poll_namesrv_interval, cfg.poll_namesrv_interval,
                       [this] { RefreshRoutes(); });
  timers.ScheduleEvery(cfg.rebalance_interval, cfg.rebalance_interval, [this] { Rebalance(); });
  timers.ScheduleEvery(cfg.persist_offset_interval, cfg.persist_offset_interval,
                       [this] { offsets_->PersistAll(/*sync=*/false); });
  Log().info("consumer {} started as {}", cfg.group, client_->client_id());
}

void PushConsumerImpl::Shutdown() {
  std::lock_guard<std::mutex> lock(state_mu_);
  if (state_ != State::kRunning) return;
  state_ = State::kShutDown;
  ctx_.stopping = true;             // pull answers are ignored from here on
  client_->scheduler().Stop();      // no more pulls, rebalances or timed commits
  consume_->Shutdown();             // waits for listener calls in progress
  {
    std::lock_guard<std::mutex> rebalance_lock(rebalance_mu_);
    for (auto& [mq, req] : owned_) req->pq->Drop();
  }
  offsets_->PersistAll(/*sync=*/true);
  client_->UnregisterClient("", ctx_.config.group);
  client_->Shutdown();              // fails the pulls still held by brokers
  Log().info("consumer {} shut down", ctx_.config.group);
}

protocol::HeartbeatData PushConsumerImpl::BuildHeartbeat() const {
  protocol::HeartbeatData hb;
  hb.client_id = client_->client_id();
  protocol::ConsumerData cd;
  cd.group_name = ctx_.config.group;
  cd.consume_type = protocol::ConsumeType::kPassively;
  cd.message_model =
      Broadcasting() ? protocol::MessageModel::kBroadcasting : protocol::MessageModel::kClustering;
  cd.consume_from_where = ToProtocol(ctx_.config.consume_from_where);
  for (const auto& [topic, sub] : subscriptions_) cd.subscription_data_set.push_back(sub);
  hb.consumer_data_set.push_back(std::move(cd));
  return hb;
}

void PushConsumerImpl::SendHeartbeat() {
  client_->SendHeartbeat(BuildHeartbeat(), /*masters_only=*/false);
}

void PushConsumerImpl::RefreshRoutes() {
  bool changed = false;
  for (const auto& [topic, sub] : subscriptions_) {
    auto r = client_->RefreshRoute(topic);
    if (r.ok() && *r) changed = true;
  }
  if (changed) {
    SendHeartbeat();
    Rebalance();
  }
}

void PushConsumerImpl::RequestRebalance() {
  if (rebalance_pending_.exchange(true)) return;
  client_->scheduler().Schedule(std::chrono::milliseconds(0), [this] {
    rebalance_pending_ = false;
    Rebalance();
  });
}

void PushConsumerImpl::Rebalance() {
  std::lock_guard<std::mutex> lock(rebalance_mu_);
  for (const auto& [topic, sub] : subscriptions_) {
    if (ctx_.stopping) return;
    RebalanceTopic(topic, sub);
  }
}

void PushConsumerImpl::RebalanceTopic(const std::string& topic,
                                      const protocol::SubscriptionData& sub) {
  auto route = client_->CachedRoute(topic);
  if (!route) {
    auto fetched = client_->RefreshRoute(topic);
    if (!fetched.ok()) return;  // not routable yet; tried again next round
    route = client_->CachedRoute(topic);
    SendHeartbeat();  // the route may name brokers that have not heard from us
    if (!route) return;
  }
  auto allocated = AllocateTopic(topic, *route);
  if (!allocated) return;
  const std::vector<MessageQueue>& mine = *allocated;
  std::set<MessageQueue> wanted(mine.begin(), mine.end());

  for (auto it = owned_.begin(); it != owned_.end();) {
    if (it->first.getTopic() == topic && wanted.count(it->first) == 0) {
      // Stop first (nothing more is pulled or committed for it), then commit its progress
      // synchronously, so that the next owner starts where this one stopped.
      Log().info("consumer {}: releasing {}", ctx_.config.group, it->first.toString());
      it->second->pq->Drop();
      offsets_->Remove(it->first);
      it = owned_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& mq : mine) {
    if (owned_.count(mq) != 0) continue;
    auto start = ComputeStartOffset(mq);
    if (!start.ok()) {
      Log().warn("consumer {}: cannot start {}: {}", ctx_.config.group, mq.toString(),
                 start.status().ToString());
      continue;  // the next rebalance tries again
    }
    // Remembered (and committed) at once, so a restart resumes here even if nothing
    // arrives before it.
    offsets_->Set(mq, *start);
    auto req = std::make_shared<PullRequest>();
    req->mq = mq;
    req->pq = std::make_shared<ProcessQueue>(*start);
    req->subscription = sub;
    req->next_offset = *start;
    owned_[mq] = req;
    Log().info("consumer {}: pulling {} from offset {}", ctx_.config.group, mq.toString(), *start);
    pull_->Start(req);
  }
}

std::optional<std::vector<MessageQueue>> PushConsumerImpl::AllocateTopic(
    const std::string& topic, const protocol::TopicRouteData& route) {
  std::vector<MessageQueue> all = SubscribeQueuesFromRoute(topic, route);
  if (Broadcasting()) return all;
  auto cids = FetchConsumerIds(topic, route);
  if (!cids.ok()) {
    Log().warn("consumer {}: no member list for {}: {}; keeping current queues", ctx_.config.group,
               topic, cids.status().ToString());
    return std::nullopt;
  }
  const std::string& me = client_->client_id();
  if (std::find(cids->begin(), cids->end(), me) == cids->end()) {
    // The broker has not registered us (yet, or any more): allocating without us would
    // drop every queue. Heartbeat and let the notification that follows rebalance.
    Log().info("consumer {}: {} not yet among the members of {}; heartbeating", ctx_.config.group,
               me, topic);
    SendHeartbeat();
    return std::nullopt;
  }
  auto mine = Allocate(*allocate_, ctx_.config.group, me, std::move(all), std::move(*cids));
  return mine;
}

Result<std::vector<std::string>> PushConsumerImpl::FetchConsumerIds(
    const std::string& topic, const protocol::TopicRouteData& route) {
  // Any broker of the topic knows the whole group (every member heartbeats to all of
  // them); RocketMQ picks one at random, which spreads the load.
  std::vector<std::string> addrs;
  for (const auto& bd : route.broker_datas) {
    if (auto addr = client_->FindMasterAddr(bd.broker_name)) addrs.push_back(*addr);
  }
  if (addrs.empty()) return Status::IOError("no broker of " + topic + " has a master address");
  static thread_local std::minstd_rand rng(std::random_device{}());
  const size_t first = rng() % addrs.size();
  Status last = Status::IOError("no broker answered");
  for (size_t i = 0; i < addrs.size(); ++i) {
    const std::string& addr = addrs[(first + i) % addrs.size()];
    auto response = client_->Invoke(addr, BuildGetConsumerListRequest(ctx_.config.group),
                                    ctx_.config.namesrv_timeout);
    if (!response.ok()) {
      last = response.status();
      continue;
    }
    if (response->code != ResponseCode::kSuccess) {
      last = Status::IOError("GET_CONSUMER_LIST_BY_GROUP at " + addr + ": " +
                             DescribeResponse(*response));
      continue;
    }
    return protocol::DecodeConsumerIdList(response->body);
  }
  return last;
}

Result<int64_t> PushConsumerImpl::ComputeStartOffset(const MessageQueue& mq) {
  auto committed = offsets_->ReadStored(mq);
  if (committed.ok() || !committed.status().IsNotFound()) return committed;
  const bool retry = IsRetryTopic(mq.getTopic());
  switch (ctx_.config.consume_from_where) {
    case CONSUME_FROM_FIRST_OFFSET:
      return int64_t{0};
    case CONSUME_FROM_TIMESTAMP:
      if (retry) return QueryQueueOffset(mq, BuildGetMaxOffsetRequest(mq.getTopic(), mq.getQueueId()));
      return QueryQueueOffset(
          mq, BuildSearchOffsetRequest(mq.getTopic(), mq.getQueueId(), consume_timestamp_ms_));
    case CONSUME_FROM_LAST_OFFSET:
      break;
  }
  // Everything in a retry queue is owed to us, whenever it was stored.
  if (retry) return int64_t{0};
  return QueryQueueOffset(mq, BuildGetMaxOffsetRequest(mq.getTopic(), mq.getQueueId()));
}

Result<int64_t> PushConsumerImpl::QueryQueueOffset(const MessageQueue& mq, RemotingCommand request) {
  auto addr = client_->FindMasterAddr(mq.getBrokerName());
  if (!addr) return Status::IOError("no master address for broker " + mq.getBrokerName());
  auto response = client_->Invoke(*addr, std::move(request), ctx_.config.namesrv_timeout);
  if (!response.ok()) return response.status();
  if (response->code != ResponseCode::kSuccess) {
    return Status::IOError("offset query for " + mq.toString() + " at " + *addr + ": " +
                           DescribeResponse(*response));
  }
  return ParseOffsetResponse(*response);
}

std::optional<RemotingCommand> PushConsumerImpl::OnBrokerRequest(const std::string& addr,
                                                                 const RemotingCommand& request) {
  // Runs on the I/O thread: answer at once, never block.
  if (request.code == protocol::RequestCode::kNotifyConsumerIdsChanged) {
    // Group membership changed: share the queues again, off the I/O thread.
    Log().info("consumer {}: consumer ids changed (from {})", ctx_.config.group, addr);
    if (!ctx_.stopping) RequestRebalance();
    return std::nullopt;
  }
  if (request.IsOneway()) return std::nullopt;
  return RemotingCommand::ResponseTo(request, ResponseCode::kRequestCodeNotSupported,
                                     " request type " + std::to_string(request.code) +
                                         " not supported");
}

}  // namespace sprocket::sdk
