#include "broker/broker_controller.h"

#include <algorithm>

#include <unistd.h>

#include "common/logging.h"
#include "common/net_util.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::broker {

namespace RS = protocol::ResponseCode;

std::optional<std::string_view> RequireField(const Exchange& ex, const RemotingCommand& req, std::string_view key) {
  const std::string* v = req.ext.Find(key);
  if (!v) {
    ex.ReplyCode(RS::kSystemError, "the custom field <" + std::string(key) + "> is null");
    return std::nullopt;
  }
  return std::string_view(*v);
}

std::optional<int64_t> RequireInt(const Exchange& ex, const RemotingCommand& req, std::string_view key) {
  const std::string* v = req.ext.Find(key);
  if (!v) {
    ex.ReplyCode(RS::kSystemError, "the custom field <" + std::string(key) + "> is null");
    return std::nullopt;
  }
  auto n = req.ext.GetInt(key);
  if (!n) {
    ex.ReplyCode(RS::kSystemError, "the custom field <" + std::string(key) + "> is not a number: " + *v);
    return std::nullopt;
  }
  return n;
}

std::optional<QueueRef> RequireQueue(const Exchange& ex, const RemotingCommand& req) {
  auto topic = RequireField(ex, req, "topic");
  if (!topic) return std::nullopt;
  auto queue_id = RequireInt(ex, req, "queueId");
  if (!queue_id) return std::nullopt;
  return QueueRef{std::string(*topic), static_cast<int32_t>(*queue_id)};
}

int64_t RecordInt64(const ByteView& record, size_t at) {
  int64_t v = 0;
  for (size_t i = 0; i < 8 && at + i < record.size; ++i) v = (v << 8) | static_cast<uint8_t>(record.data[at + i]);
  return v;
}

int32_t RecordInt32(const ByteView& record, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4 && at + i < record.size; ++i) v = (v << 8) | static_cast<uint8_t>(record.data[at + i]);
  return static_cast<int32_t>(v);
}

BrokerContext::BrokerContext(BrokerConfig cfg, ServerRuntime& rt)
    : config(std::move(cfg)),
      runtime(rt),
      store(*rt.store()),
      topics(config.store_path_root_dir + "/config/topics.json",
             TopicDefaults{config.broker_cluster_name, config.broker_name, config.auto_create_topic_enable,
                           config.default_topic_queue_nums, config.cluster_topic_enable,
                           config.broker_topic_enable}),
      offsets(config.store_path_root_dir + "/config/consumerOffset.json"),
      groups(config.store_path_root_dir + "/config/subscriptionGroup.json", config.auto_create_subscription_group) {
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  total_physical_memory = pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page : int64_t{8} << 30;
}

void BrokerContext::NotifyConsumerIdsChanged(const std::string& group) {
  for (const auto& session : consumers.Sessions(group)) {
    auto req = RemotingCommand::Request(protocol::RequestCode::kNotifyConsumerIdsChanged);
    req.ext.Set("consumerGroup", group);
    runtime.server().SendOneway(session, std::move(req));
  }
}

BrokerController::BrokerController(BrokerConfig config, ServerRuntime& runtime)
    : ctx_(std::make_unique<BrokerContext>(std::move(config), runtime)) {}

BrokerController::~BrokerController() { Shutdown(); }

Status BrokerController::Initialize() {
  if (Status s = ctx_->topics.Load(); !s.ok()) return s;
  if (Status s = ctx_->offsets.Load(); !s.ok()) return s;
  if (Status s = ctx_->groups.Load(); !s.ok()) return s;
  RegisterSendHandlers(*ctx_);
  RegisterPullHandlers(*ctx_);
  RegisterClientHandlers(*ctx_);
  RegisterAdminHandlers(*ctx_);
  RegisterQueryHandlers(*ctx_);

  BrokerContext* c = ctx_.get();
  ctx_->runtime.server().AddCloseListener([c](const std::shared_ptr<Session>& session) {
    for (const auto& group : c->consumers.OnSessionClosed(session->Id())) {
      GetLogger("client")->info("a consumer of group {} disconnected ({})", group, session->Peer());
      c->NotifyConsumerIdsChanged(group);
    }
  });
  return Status::OK();
}

Status BrokerController::GoLive() {
  BrokerContext& c = *ctx_;
  uint16_t port = c.runtime.PortOf("main");
  if (port == 0) return Status::InvalidArgument("no transport bound a \"main\" endpoint (is tcp in transportPlugins?)");
  c.broker_addr = c.config.broker_ip1 + ":" + std::to_string(port);
  auto host = protocol::HostAddress::Parse(c.broker_addr);
  if (!host.ok()) return Status::InvalidArgument("brokerIP1: " + host.status().message());
  c.store_host = *host;

  client_ = std::make_unique<remoting::RemotingClient>();
  RegistrarConfig rc;
  rc.cluster_name = c.config.broker_cluster_name;
  rc.broker_name = c.config.broker_name;
  rc.broker_addr = c.broker_addr;
  rc.ha_server_addr = c.config.broker_ip1 + ":" + std::to_string(port + 1);
  rc.broker_id = c.config.broker_id;
  rc.namesrv_addrs = c.config.namesrv_addrs;
  rc.period_ms = c.config.register_name_server_period;
  rc.timeout_ms = c.config.register_broker_timeout_mills;
  registrar_ = std::make_unique<NamesrvRegistrar>(rc, c.topics, *client_);
  NamesrvRegistrar* reg = registrar_.get();
  c.topics.SetChangeListener([reg] { reg->TriggerNow(); });
  registrar_->Start();

  BrokerContext* ctx = &c;
  tasks_.push_back(std::make_unique<PeriodicTask>(
      c.runtime.pool().Next(), std::chrono::milliseconds(c.config.flush_consumer_offset_interval), [ctx] {
        if (Status s = ctx->offsets.Persist(); !s.ok()) GetLogger("offset")->error("persist: {}", s.ToString());
      }));
  // RocketMQ scans for silent clients every 10 s; a shorter expiry (tests) scans more often
  // so that a channel is dropped within ~1.25 x its expiry.
  const auto scan_every = std::chrono::milliseconds(
      std::clamp<int64_t>(c.config.client_channel_expired_millis / 4, 100, 10000));
  tasks_.push_back(std::make_unique<PeriodicTask>(c.runtime.pool().Next(), scan_every, [ctx] {
    for (auto& [group, session] : ctx->consumers.RemoveExpired(NowMillis(), ctx->config.client_channel_expired_millis)) {
      GetLogger("client")->warn("consumer channel {} of group {} expired: no heartbeat for {} ms", session->Peer(),
                                group, ctx->config.client_channel_expired_millis);
      session->Close();
      ctx->NotifyConsumerIdsChanged(group);
    }
  }));
  for (auto& t : tasks_) t->Start();
  retention_ = std::make_unique<RetentionService>(c.config.retention, c.store, c.config.store_path_root_dir);
  retention_->Start();
  live_ = true;
  GetLogger("broker")->info("broker {} ({}/{}) serving at {}", c.config.broker_name, c.config.broker_cluster_name,
                            c.config.broker_id, c.broker_addr);
  return Status::OK();
}

void BrokerController::Shutdown() {
  if (!live_) return;
  live_ = false;
  ctx_->topics.SetChangeListener(nullptr);
  if (registrar_) registrar_->Stop(/*unregister=*/true);
  for (auto& t : tasks_) t->Stop();
  tasks_.clear();
  if (retention_) retention_->Stop();
  // One line for operators and benchmarks: how hard the store worked (messages per sync
  // is the SYNC_FLUSH group-commit figure).
  StoreStats st = ctx_->store.Stats();
  GetLogger("store")->info("store stats: {} records appended since start, {} syncs ({:.1f} records per sync), "
                           "log [{}, {}), {} bytes on disk",
                           st.records_appended, st.syncs,
                           st.syncs > 0 ? static_cast<double>(st.records_appended) / st.syncs : 0.0,
                           st.log_min.value, st.log_end.value, st.disk_bytes);
  if (ctx_->holds) ctx_->holds->Stop();
  if (Status s = ctx_->offsets.Persist(); !s.ok()) GetLogger("offset")->error("persist: {}", s.ToString());
  if (client_) client_->Shutdown();
}

}  // namespace sprocket::broker
