#include "admin_client.h"

#include "requests.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::mqadmin {

namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;

std::string DescribeRefusal(const RemotingCommand& response) {
  return "CODE: " + std::to_string(response.code) + "  DESC: " + response.remark.value_or("");
}

AdminClient::AdminClient(std::vector<std::string> namesrvs, std::chrono::milliseconds timeout)
    : namesrvs_(std::move(namesrvs)), timeout_(timeout) {}

AdminClient::~AdminClient() { client_.Shutdown(); }

RemotingCommand AdminClient::Call(const std::string& addr, RemotingCommand request) {
  auto r = client_.Invoke(addr, std::move(request), timeout_);
  if (!r.ok()) throw CommandError("request to " + addr + " failed: " + r.status().ToString());
  return std::move(r.value());
}

RemotingCommand AdminClient::CallOk(const std::string& addr, RemotingCommand request) {
  RemotingCommand resp = Call(addr, std::move(request));
  if (resp.code != RS::kSuccess) throw CommandError(DescribeRefusal(resp));
  return resp;
}

RemotingCommand AdminClient::CallNamesrv(const RemotingCommand& request) {
  if (namesrvs_.empty()) {
    throw CommandError("no name server address: give -n host:port[;host:port] or set NAMESRV_ADDR");
  }
  std::string errors;
  for (const auto& addr : namesrvs_) {
    auto r = client_.Invoke(addr, request, timeout_);
    if (r.ok()) return std::move(r.value());
    if (!errors.empty()) errors += "; ";
    errors += addr + ": " + r.status().ToString();
  }
  throw CommandError("no name server answered (" + errors + ")");
}

protocol::TopicRouteData AdminClient::Route(const std::string& topic) {
  RemotingCommand resp = CallNamesrv(sdk::BuildGetRouteInfoRequest(topic));
  if (resp.code != RS::kSuccess) throw CommandError(DescribeRefusal(resp));
  auto route = protocol::DecodeTopicRouteData(resp.body);
  if (!route.ok()) throw CommandError("bad route data for " + topic + ": " + route.status().ToString());
  return std::move(route.value());
}

protocol::ClusterInfo AdminClient::Cluster() {
  RemotingCommand resp = CallNamesrv(sdk::NewRequest(RC::kGetBrokerClusterInfo));
  if (resp.code != RS::kSuccess) throw CommandError(DescribeRefusal(resp));
  auto info = protocol::DecodeClusterInfo(resp.body);
  if (!info.ok()) throw CommandError("bad cluster info: " + info.status().ToString());
  return std::move(info.value());
}

std::set<std::string> AdminClient::AllTopics() {
  RemotingCommand resp = CallNamesrv(sdk::NewRequest(RC::kGetAllTopicListFromNameserver));
  if (resp.code != RS::kSuccess) throw CommandError(DescribeRefusal(resp));
  auto topics = protocol::DecodeTopicList(resp.body);
  if (!topics.ok()) throw CommandError("bad topic list: " + topics.status().ToString());
  return std::move(topics.value());
}

std::set<std::string> AdminClient::ClusterAddrs(const std::string& cluster, bool include_slaves) {
  protocol::ClusterInfo info = Cluster();
  auto names = info.cluster_addr_table.find(cluster);
  if (names == info.cluster_addr_table.end()) {
    // CommandUtil's words, plus the name.
    throw CommandError(
        "[error] Make sure the specified clusterName exists or the name server connected to is "
        "correct. (cluster " +
        cluster + " not found)");
  }
  std::set<std::string> addrs;
  for (const auto& name : names->second) {
    auto data = info.broker_addr_table.find(name);
    if (data == info.broker_addr_table.end()) continue;
    for (const auto& [id, addr] : data->second.broker_addrs) {
      if (id == 0 || include_slaves) addrs.insert(addr);
    }
  }
  return addrs;
}

std::string AdminClient::BrokerNameOf(const std::string& addr) {
  protocol::ClusterInfo info = Cluster();
  for (const auto& [name, data] : info.broker_addr_table) {
    for (const auto& [id, a] : data.broker_addrs)
      if (a == addr) return name;
  }
  return "";
}

protocol::TopicStatsTable AdminClient::TopicStats(const std::string& addr, const std::string& topic) {
  RemotingCommand req = sdk::NewRequest(RC::kGetTopicStatsInfo);
  req.ext.Set("topic", topic);
  RemotingCommand resp = CallOk(addr, std::move(req));
  auto table = protocol::DecodeTopicStatsTable(resp.body);
  if (!table.ok()) throw CommandError("bad TopicStatsTable from " + addr + ": " + table.status().ToString());
  return std::move(table.value());
}

protocol::ConsumeStats AdminClient::ConsumeStats(const std::string& addr, const std::string& group,
                                                 const std::string& topic) {
  RemotingCommand req = sdk::NewRequest(RC::kGetConsumeStats);
  req.ext.Set("consumerGroup", group);
  if (!topic.empty()) req.ext.Set("topic", topic);
  RemotingCommand resp = CallOk(addr, std::move(req));
  auto stats = protocol::DecodeConsumeStats(resp.body);
  if (!stats.ok()) throw CommandError("bad ConsumeStats from " + addr + ": " + stats.status().ToString());
  return std::move(stats.value());
}

protocol::ConsumerConnection AdminClient::ConsumerConnections(const std::string& addr,
                                                              const std::string& group) {
  RemotingCommand req = sdk::NewRequest(RC::kGetConsumerConnectionList);
  req.ext.Set("consumerGroup", group);
  RemotingCommand resp = CallOk(addr, std::move(req));
  auto cc = protocol::DecodeConsumerConnection(resp.body);
  if (!cc.ok()) throw CommandError("bad ConsumerConnection from " + addr + ": " + cc.status().ToString());
  return std::move(cc.value());
}

std::map<std::string, std::string> AdminClient::RuntimeInfo(const std::string& addr) {
  RemotingCommand resp = CallOk(addr, sdk::NewRequest(RC::kGetBrokerRuntimeInfo));
  auto kv = protocol::DecodeKvTable(resp.body);
  if (!kv.ok()) throw CommandError("bad runtime info from " + addr + ": " + kv.status().ToString());
  return std::move(kv.value());
}

std::set<std::string> AdminClient::GroupsConsuming(const std::string& addr, const std::string& topic) {
  RemotingCommand req = sdk::NewRequest(RC::kQueryTopicConsumeByWho);
  req.ext.Set("topic", topic);
  RemotingCommand resp = CallOk(addr, std::move(req));
  auto groups = protocol::DecodeGroupList(resp.body);
  if (!groups.ok()) throw CommandError("bad GroupList from " + addr + ": " + groups.status().ToString());
  return std::move(groups.value());
}

protocol::MessageExt AdminClient::ViewMessage(const std::string& addr, int64_t offset) {
  RemotingCommand req = sdk::NewRequest(RC::kViewMessageById);
  req.ext.Set("offset", offset);
  RemotingCommand resp = CallOk(addr, std::move(req));
  size_t used = 0;
  auto msg = protocol::DecodeRecord(resp.body, &used);
  if (!msg.ok()) throw CommandError("bad message from " + addr + ": " + msg.status().ToString());
  return std::move(msg.value());
}

AdminClient::QueryAnswer AdminClient::QueryMessage(const std::string& addr,
                                                   const protocol::QueryMessageRequestHeader& header) {
  RemotingCommand req = sdk::NewRequest(RC::kQueryMessage);
  protocol::EncodeQueryMessageRequestHeader(header, &req.ext);
  RemotingCommand resp = Call(addr, std::move(req));
  QueryAnswer answer;
  answer.code = resp.code;
  answer.remark = resp.remark.value_or("");
  if (resp.code != RS::kSuccess) return answer;
  auto rh = protocol::DecodeQueryMessageResponseHeader(resp.ext);
  if (!rh.ok()) throw CommandError("bad QUERY_MESSAGE response from " + addr + ": " + rh.status().ToString());
  answer.index_last_update_timestamp = rh->index_last_update_timestamp;
  auto msgs = protocol::DecodeRecords(resp.body);
  if (!msgs.ok()) throw CommandError("bad QUERY_MESSAGE body from " + addr + ": " + msgs.status().ToString());
  answer.messages = std::move(msgs.value());
  return answer;
}

std::string MasterAddr(const protocol::TopicRouteData& route, const std::string& broker_name) {
  for (const auto& bd : route.broker_datas) {
    if (bd.broker_name != broker_name) continue;
    auto it = bd.broker_addrs.find(0);
    return it == bd.broker_addrs.end() ? "" : it->second;
  }
  return "";
}

std::string SelectBrokerAddr(const protocol::BrokerData& data) {
  auto master = data.broker_addrs.find(0);
  if (master != data.broker_addrs.end()) return master->second;
  return data.broker_addrs.empty() ? "" : data.broker_addrs.begin()->second;
}

}  // namespace sprocket::mqadmin
