#include "routing/namesrv_registrar.h"

#include <atomic>
#include <future>

#include <zlib.h>

#include "common/logging.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::broker {

NamesrvRegistrar::NamesrvRegistrar(RegistrarConfig config, const TopicConfigManager& topics,
                                   remoting::RemotingClient& client)
    : config_(std::move(config)), topics_(topics), client_(client) {}

NamesrvRegistrar::~NamesrvRegistrar() { Stop(false); }

void NamesrvRegistrar::Start() {
  if (config_.namesrv_addrs.empty()) {
    GetLogger("register")->warn("namesrvAddr is empty: this broker registers with no nameserver");
    return;
  }
  thread_ = std::thread([this] { Run(); });
}

void NamesrvRegistrar::TriggerNow() {
  std::lock_guard lock(mu_);
  triggered_ = true;
  cv_.notify_one();
}

void NamesrvRegistrar::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    triggered_ = false;
    lock.unlock();
    RegisterAll();
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(config_.period_ms),
                 [this] { return stopping_ || triggered_; });
  }
}

protocol::RemotingCommand NamesrvRegistrar::BrokerRequest(int32_t code) const {
  auto req = protocol::RemotingCommand::Request(code);
  req.ext.Set("brokerAddr", config_.broker_addr);
  req.ext.Set("brokerId", config_.broker_id);
  req.ext.Set("brokerName", config_.broker_name);
  req.ext.Set("clusterName", config_.cluster_name);
  return req;
}

int NamesrvRegistrar::RegisterAll() {
  auto [table, version] = topics_.Snapshot();
  protocol::RegisterBrokerBody body;
  body.data_version = version;
  body.topic_config_table = std::move(table);
  std::string encoded = protocol::EncodeRegisterBrokerBody(body);
  uint32_t crc = ::crc32(0, reinterpret_cast<const Bytef*>(encoded.data()), static_cast<uInt>(encoded.size()));

  std::vector<std::future<bool>> results;
  for (const auto& addr : config_.namesrv_addrs) {
    auto req = BrokerRequest(protocol::RequestCode::kRegisterBroker);
    req.ext.Set("haServerAddr", config_.ha_server_addr);
    req.ext.SetBool("compressed", false);
    req.ext.Set("bodyCrc32", static_cast<int64_t>(crc & 0x7FFFFFFF));
    req.body = encoded;
    auto promise = std::make_shared<std::promise<bool>>();
    results.push_back(promise->get_future());
    client_.InvokeAsync(addr, std::move(req), std::chrono::milliseconds(config_.timeout_ms),
                        [promise, addr](Result<protocol::RemotingCommand> r) {
                          bool ok = r.ok() && r->code == protocol::ResponseCode::kSuccess;
                          if (!ok) {
                            GetLogger("register")->warn(
                                "register to nameserver {} failed: {}", addr,
                                r.ok() ? "code " + std::to_string(r->code) + " " + r->remark.value_or("")
                                       : r.status().ToString());
                          }
                          promise->set_value(ok);
                        });
  }
  int ok = 0;
  for (auto& f : results) ok += f.get() ? 1 : 0;
  GetLogger("register")->debug("registered with {}/{} nameservers", ok, results.size());
  return ok;
}

void NamesrvRegistrar::Stop(bool unregister) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  if (!unregister) return;
  for (const auto& addr : config_.namesrv_addrs) {
    auto req = BrokerRequest(protocol::RequestCode::kUnregisterBroker);
    auto r = client_.Invoke(addr, std::move(req), std::chrono::milliseconds(3000));
    if (!r.ok()) GetLogger("register")->warn("unregister from {} failed: {}", addr, r.status().ToString());
  }
}

}  // namespace sprocket::broker
