#include "namesrv/namesrv_controller.h"

#include <cstdlib>
#include <future>
#include <mutex>

#include <zlib.h>

#include "common/logging.h"
#include "common/net_util.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::namesrv {

namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;

KeyRules NamesrvKeyRules() {
  KeyRules rules;
  rules.implemented = {"kvConfigPath", "brokerChannelExpiredMillis", "scanNotActiveBrokerIntervalMillis"};
  rules.rocketmq_other = {"rocketmqHome", "configStorePath", "productEnvName", "clusterTest",
                          "orderMessageEnable", "serverWorkerThreads", "serverCallbackExecutorThreads",
                          "serverSelectorThreads", "serverOnewaySemaphoreValue",
                          "serverAsyncSemaphoreValue", "serverChannelMaxIdleTimeSeconds",
                          "serverSocketSndBufSize", "serverSocketRcvBufSize",
                          "serverPooledByteBufAllocatorEnable", "useEpollNativeSelector",
                          "defaultThreadPoolNums", "clientRequestThreadPoolNums"};
  return rules;
}

Result<NamesrvOptions> NamesrvOptionsFrom(const Config& config) {
  NamesrvOptions o;
  auto expiry = config.GetInt("brokerChannelExpiredMillis", 120000);
  if (!expiry.ok()) return expiry.status();
  auto scan = config.GetInt("scanNotActiveBrokerIntervalMillis", 10000);
  if (!scan.ok()) return scan.status();
  if (*expiry <= 0 || *scan <= 0) {
    return Status::InvalidArgument("brokerChannelExpiredMillis and scanNotActiveBrokerIntervalMillis must be > 0");
  }
  o.broker_expired_ms = *expiry;
  o.scan_interval_ms = *scan;
  const char* home = std::getenv("HOME");
  o.kv_config_path = config.GetString("kvConfigPath", std::string(home ? home : ".") + "/namesrv/kvConfig.json");
  return o;
}

NamesrvController::NamesrvController(ServerRuntime& runtime, NamesrvOptions options)
    : runtime_(runtime), options_(std::move(options)), kv_(options_.kv_config_path) {}

NamesrvController::~NamesrvController() { Stop(); }

namespace {

std::string Str(const protocol::ExtFields& ext, std::string_view k) { return std::string(ext.Get(k)); }

}  // namespace

Status NamesrvController::Start() {
  if (Status s = kv_.Load(); !s.ok()) return s;
  auto log = GetLogger("namesrv");
  RemotingServer& server = runtime_.server();

  server.Register(RC::kRegisterBroker, [this, log](const Exchange& ex, RemotingCommand& req,
                                                   std::string_view body) {
    BrokerRegistration reg;
    reg.cluster = Str(req.ext, "clusterName");
    reg.broker_addr = Str(req.ext, "brokerAddr");
    reg.broker_name = Str(req.ext, "brokerName");
    reg.ha_server_addr = Str(req.ext, "haServerAddr");
    auto id = req.ext.GetInt("brokerId");
    if (reg.cluster.empty() || reg.broker_addr.empty() || reg.broker_name.empty() || !id) {
      ex.ReplyCode(RS::kSystemError, "REGISTER_BROKER needs clusterName, brokerAddr, brokerName and brokerId");
      return;
    }
    reg.broker_id = *id;
    reg.session_id = ex.session()->Id();
    auto crc = req.ext.GetInt("bodyCrc32").value_or(0);
    if (crc != 0) {
      uint32_t actual = ::crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
      if (static_cast<int64_t>(actual & 0x7FFFFFFF) != crc) {
        ex.ReplyCode(RS::kSystemError, "crc32 not match");
        return;
      }
    }
    protocol::RegisterBrokerBody rb;
    if (!body.empty()) {
      bool compressed = req.ext.GetBool("compressed").value_or(false);
      if (req.version >= 37) {
        auto decoded = protocol::DecodeRegisterBrokerBody(body, compressed);
        if (!decoded.ok()) {
          ex.ReplyCode(RS::kSystemError, "bad RegisterBrokerBody: " + decoded.status().message());
          return;
        }
        rb = std::move(*decoded);
      } else {
        // Before V3_0_11 the body was a bare TopicConfigSerializeWrapper (§1.5).
        auto decoded = protocol::DecodeTopicConfigWrapper(body);
        if (!decoded.ok()) {
          ex.ReplyCode(RS::kSystemError, "bad TopicConfigSerializeWrapper: " + decoded.status().message());
          return;
        }
        rb.topic_config_table = std::move(decoded->first);
        rb.data_version = decoded->second;
      }
    } else {
      rb.data_version.timestamp = NowMillis();
    }
    auto outcome = routes_.RegisterBroker(reg, rb, NowMillis());
    log->debug("registered broker {} ({}/{} id {}) with {} topics", reg.broker_addr, reg.cluster,
               reg.broker_name, reg.broker_id, rb.topic_config_table.size());
    RemotingCommand resp;
    resp.code = RS::kSuccess;
    if (!outcome.ha_server_addr.empty()) resp.ext.Set("haServerAddr", outcome.ha_server_addr);
    if (!outcome.master_addr.empty()) resp.ext.Set("masterAddr", outcome.master_addr);
    if (auto order = kv_.List("ORDER_TOPIC_CONFIG")) resp.body = protocol::EncodeKvTable(*order);
    ex.Reply(std::move(resp));
  });

  server.Register(RC::kUnregisterBroker, [this, log](const Exchange& ex, RemotingCommand& req, std::string_view) {
    std::string addr = Str(req.ext, "brokerAddr");
    routes_.UnregisterBroker(Str(req.ext, "clusterName"), addr, Str(req.ext, "brokerName"),
                             req.ext.GetInt("brokerId").value_or(0));
    log->info("broker {} unregistered", addr);
    ex.ReplyCode(RS::kSuccess);
  });

  server.Register(RC::kGetRouteinfoByTopic, [this](const Exchange& ex, RemotingCommand& req, std::string_view) {
    std::string topic = Str(req.ext, "topic");
    auto route = routes_.GetRoute(topic);
    if (!route) {
      ex.ReplyCode(RS::kTopicNotExist,
                   "No topic route info in name server for the topic: " + topic +
                       "\nSee http://rocketmq.apache.org/docs/faq/ for further details.");
      return;
    }
    if (auto conf = kv_.Get("ORDER_TOPIC_CONFIG", topic)) route->order_topic_conf = *conf;
    // Standard JSON for 4.9.4+ clients and whoever asks; fastjson's bare keys otherwise (§4.4).
    bool standard = req.version >= 401 || req.ext.GetBool("acceptStandardJsonOnly").value_or(false);
    RemotingCommand resp;
    resp.code = RS::kSuccess;
    ex.Reply(std::move(resp), protocol::EncodeTopicRouteData(*route, standard));
  });

  server.Register(RC::kGetBrokerClusterInfo, [this](const Exchange& ex, RemotingCommand&, std::string_view) {
    RemotingCommand resp;
    resp.code = RS::kSuccess;
    ex.Reply(std::move(resp), protocol::EncodeClusterInfo(routes_.GetClusterInfo(), false));
  });

  server.Register(RC::kGetAllTopicListFromNameserver, [this](const Exchange& ex, RemotingCommand&, std::string_view) {
    RemotingCommand resp;
    resp.code = RS::kSuccess;
    ex.Reply(std::move(resp), protocol::EncodeTopicList(routes_.AllTopics()));
  });

  server.Register(RC::kGetTopicsByCluster, [this](const Exchange& ex, RemotingCommand& req, std::string_view) {
    RemotingCommand resp;
    resp.code = RS::kSuccess;
    ex.Reply(std::move(resp), protocol::EncodeTopicList(routes_.TopicsOfCluster(Str(req.ext, "cluster"))));
  });

  server.Register(RC::kDeleteTopicInNamesrv, [this](const Exchange& ex, RemotingCommand& req, std::string_view) {
    routes_.DeleteTopic(Str(req.ext, "topic"));
    ex.ReplyCode(RS::kSuccess);
  });

  server.Register(RC::kQueryDataVersion, [this](const Exchange& ex, RemotingCommand& req, std::string_view body) {
    std::string addr = Str(req.ext, "brokerAddr");
    auto theirs = protocol::DecodeDataVersion(body);
    if (!theirs.ok()) {
      ex.ReplyCode(RS::kSystemError, "bad DataVersion body: " + theirs.status().message());
      return;
    }
    bool changed = routes_.DataVersionChanged(addr, *theirs);
    RemotingCommand resp;
    resp.code = RS::kSuccess;
    resp.ext.SetBool("changed", changed);
    auto stored = routes_.StoredDataVersion(addr);
    ex.Reply(std::move(resp), stored ? protocol::EncodeDataVersion(*stored) : std::string());
  });

  auto perm_handler = [this](bool writable) {
    return [this, writable](const Exchange& ex, RemotingCommand& req, std::string_view) {
      int n = routes_.UpdateWritePerm(Str(req.ext, "brokerName"), writable);
      RemotingCommand resp;
      resp.code = RS::kSuccess;
      resp.ext.Set(writable ? "addTopicCount" : "wipeTopicCount", static_cast<int64_t>(n));
      ex.Reply(std::move(resp));
    };
  };
  server.Register(RC::kWipeWritePermOfBroker, perm_handler(false));
  server.Register(327 /* ADD_WRITE_PERM_OF_BROKER */, perm_handler(true));

  server.Register(RC::kPutKvConfig, [this](const Exchange& ex, RemotingCommand& req, std::string_view) {
    Status s = kv_.Put(Str(req.ext, "namespace"), Str(req.ext, "key"), Str(req.ext, "value"));
    if (!s.ok()) {
      ex.ReplyCode(RS::kSystemError, s.ToString());
      return;
    }
    ex.ReplyCode(RS::kSuccess);
  });
  server.Register(RC::kGetKvConfig, [this](const Exchange& ex, RemotingCommand& req, std::string_view) {
    std::string ns = Str(req.ext, "namespace"), key = Str(req.ext, "key");
    auto v = kv_.Get(ns, key);
    if (!v) {
      ex.ReplyCode(RS::kQueryNotFound, "No config item, Namespace: " + ns + " Key: " + key);
      return;
    }
    RemotingCommand resp;
    resp.code = RS::kSuccess;
    resp.ext.Set("value", *v);
    ex.Reply(std::move(resp));
  });
  server.Register(RC::kDeleteKvConfig, [this](const Exchange& ex, RemotingCommand& req, std::string_view) {
    Status s = kv_.Delete(Str(req.ext, "namespace"), Str(req.ext, "key"));
    if (!s.ok()) {
      ex.ReplyCode(RS::kSystemError, s.ToString());
      return;
    }
    ex.ReplyCode(RS::kSuccess);
  });
  server.Register(RC::kGetKvlistByNamespace, [this](const Exchange& ex, RemotingCommand& req, std::string_view) {
    std::string ns = Str(req.ext, "namespace");
    auto table = kv_.List(ns);
    if (!table) {
      ex.ReplyCode(RS::kQueryNotFound, "No config item, Namespace: " + ns);
      return;
    }
    RemotingCommand resp;
    resp.code = RS::kSuccess;
    ex.Reply(std::move(resp), protocol::EncodeKvTable(*table));
  });

  server.AddCloseListener([this, log](const std::shared_ptr<Session>& session) {
    for (auto& addr : routes_.RemoveBySession(session->Id())) {
      log->info("broker {} dropped: its connection closed", addr);
    }
  });

  scanner_ = std::make_unique<PeriodicTask>(
      runtime_.pool().At(0), std::chrono::milliseconds(options_.scan_interval_ms), [this, log] {
        for (auto& [addr, session] : routes_.RemoveExpired(NowMillis(), options_.broker_expired_ms)) {
          log->warn("broker {} expired: no registration for {} ms", addr, options_.broker_expired_ms);
          runtime_.server().CloseSession(session);
        }
      });
  scanner_->Start();
  return Status::OK();
}

void NamesrvController::Stop() {
  if (scanner_) {
    scanner_->Stop();
    scanner_.reset();
  }
}

}  // namespace sprocket::namesrv
