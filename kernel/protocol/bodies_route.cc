// Route bodies (PROTOCOL.md §3.8, §4): TopicRouteData (GET_ROUTEINFO_BY_TOPIC) and
// ClusterInfo (GET_BROKER_CLUSTER_INFO).
#include <charconv>

#include "protocol/bodies_json.h"
#include "sprocket/protocol/bodies.h"

namespace sprocket::protocol {

namespace {

using detail::FieldReader;
using detail::JsonWriter;

// BrokerData: {"brokerAddrs":{0:"ip:port"},"brokerName":"b","cluster":"c"}. brokerAddrs is
// a Map<Long,String>; std::map keeps it sorted by id, which is also what the 4.9.4+
// namesrv's MapSortField gives for standard JSON.
void WriteBrokerData(JsonWriter& w, const BrokerData& b, bool standard_json) {
  w.BeginObject();
  w.Key("brokerAddrs");
  w.BeginObject();
  for (const auto& [id, addr] : b.broker_addrs) {
    if (standard_json) {
      w.Key(std::to_string(id));
    } else {
      w.BareKey(id);
    }
    w.String(addr);
  }
  w.EndObject();
  w.Key("brokerName");
  w.String(b.broker_name);
  w.Key("cluster");
  w.String(b.cluster);
  w.EndObject();
}

bool ReadBrokerData(const nlohmann::json& j, BrokerData* b, Status* error) {
  FieldReader r(j, "brokerData");
  b->cluster = r.Str("cluster");
  b->broker_name = r.Str("brokerName");
  if (const nlohmann::json* addrs = r.Object("brokerAddrs")) {
    for (const auto& [key, value] : addrs->items()) {
      int64_t id = 0;
      auto res = std::from_chars(key.data(), key.data() + key.size(), id);
      if (res.ec != std::errc() || res.ptr != key.data() + key.size()) {
        r.Fail("brokerAddrs key '" + key + "' is not a broker id");
        break;
      }
      std::string addr;
      if (value.is_null()) continue;
      if (!detail::CoerceString(value, &addr)) {
        r.Fail("brokerAddrs value is not a string");
        break;
      }
      b->broker_addrs[id] = std::move(addr);
    }
  }
  *error = r.status();
  return r.ok();
}

}  // namespace

std::string EncodeTopicRouteData(const TopicRouteData& route, bool standard_json) {
  std::string out;
  out.reserve(128 + 96 * (route.broker_datas.size() + route.queue_datas.size()));
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("brokerDatas");
  w.BeginArray();
  for (const auto& b : route.broker_datas) WriteBrokerData(w, b, standard_json);
  w.EndArray();
  w.Key("filterServerTable");
  w.BeginObject();
  for (const auto& [addr, servers] : route.filter_server_table) {
    w.Key(addr);
    w.StringArray(servers);
  }
  w.EndObject();
  if (route.order_topic_conf) {
    w.Key("orderTopicConf");
    w.String(*route.order_topic_conf);
  }
  w.Key("queueDatas");
  w.BeginArray();
  for (const auto& q : route.queue_datas) {
    w.BeginObject();
    w.Key("brokerName");
    w.String(q.broker_name);
    w.Key("perm");
    w.Int(q.perm);
    w.Key("readQueueNums");
    w.Int(q.read_queue_nums);
    // <= 4.8 clients read topicSynFlag, >= 4.9 topicSysFlag; each ignores the other.
    w.Key("topicSynFlag");
    w.Int(q.topic_sys_flag);
    w.Key("topicSysFlag");
    w.Int(q.topic_sys_flag);
    w.Key("writeQueueNums");
    w.Int(q.write_queue_nums);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

Result<TopicRouteData> DecodeTopicRouteData(std::string_view json) {
  auto parsed = detail::ParseLenientJson(json, "TopicRouteData");
  if (!parsed.ok()) return parsed.status();
  const nlohmann::json& j = parsed.value();
  FieldReader r(j, "TopicRouteData");
  TopicRouteData route;
  if (const nlohmann::json* conf = r.Get("orderTopicConf")) {
    std::string s;
    if (!detail::CoerceString(*conf, &s)) return Status::Corruption("TopicRouteData: orderTopicConf is not a string");
    route.order_topic_conf = std::move(s);
  }
  if (const nlohmann::json* qds = r.Array("queueDatas")) {
    for (const auto& qj : *qds) {
      FieldReader q(qj, "queueData");
      QueueData qd;
      qd.broker_name = q.Str("brokerName");
      qd.read_queue_nums = q.Int32("readQueueNums");
      qd.write_queue_nums = q.Int32("writeQueueNums");
      qd.perm = q.Int32("perm");
      // topicSysFlag from 4.9 on, topicSynFlag before.
      qd.topic_sys_flag = q.Get("topicSysFlag") ? q.Int32("topicSysFlag") : q.Int32("topicSynFlag");
      if (!q.ok()) return q.status();
      route.queue_datas.push_back(std::move(qd));
    }
  }
  if (const nlohmann::json* bds = r.Array("brokerDatas")) {
    for (const auto& bj : *bds) {
      BrokerData bd;
      Status error;
      if (!ReadBrokerData(bj, &bd, &error)) return error;
      route.broker_datas.push_back(std::move(bd));
    }
  }
  if (const nlohmann::json* fst = r.Object("filterServerTable")) {
    for (const auto& [addr, servers] : fst->items()) {
      auto& list = route.filter_server_table[addr];
      if (!servers.is_array()) continue;
      for (const auto& s : servers) {
        std::string v;
        if (detail::CoerceString(s, &v)) list.push_back(std::move(v));
      }
    }
  }
  if (!r.ok()) return r.status();
  return route;
}

std::string EncodeClusterInfo(const ClusterInfo& info, bool standard_json) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("brokerAddrTable");
  w.BeginObject();
  for (const auto& [name, data] : info.broker_addr_table) {
    w.Key(name);
    WriteBrokerData(w, data, standard_json);
  }
  w.EndObject();
  w.Key("clusterAddrTable");
  w.BeginObject();
  for (const auto& [cluster, brokers] : info.cluster_addr_table) {
    w.Key(cluster);
    w.StringArray(brokers);
  }
  w.EndObject();
  w.EndObject();
  return out;
}

Result<ClusterInfo> DecodeClusterInfo(std::string_view json) {
  auto parsed = detail::ParseLenientJson(json, "ClusterInfo");
  if (!parsed.ok()) return parsed.status();
  FieldReader r(parsed.value(), "ClusterInfo");
  ClusterInfo info;
  if (const nlohmann::json* table = r.Object("brokerAddrTable")) {
    for (const auto& [name, bj] : table->items()) {
      BrokerData bd;
      Status error;
      if (!ReadBrokerData(bj, &bd, &error)) return error;
      info.broker_addr_table[name] = std::move(bd);
    }
  }
  if (const nlohmann::json* table = r.Object("clusterAddrTable")) {
    for (const auto& [cluster, names] : table->items()) {
      auto& set = info.cluster_addr_table[cluster];
      if (!names.is_array()) return Status::Corruption("ClusterInfo: clusterAddrTable value is not an array");
      for (const auto& n : names) {
        std::string v;
        if (detail::CoerceString(n, &v)) set.insert(std::move(v));
      }
    }
  }
  if (!r.ok()) return r.status();
  return info;
}

}  // namespace sprocket::protocol
