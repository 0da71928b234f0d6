// AdminClient: the requests mqadmin makes, like RocketMQ's DefaultMQAdminExt /
// MQClientAPIImpl: nameserver queries (tried in order until one answers), broker calls,
// and the lookups the commands share (masters of a cluster, a broker's master address).
//
// Every failure throws CommandError with RocketMQ's wording: "CODE: <code>  DESC:
// <remark>" for a refusal, the transport error otherwise.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "command_line.h"
#include "sprocket/protocol/bodies.h"
#include "sprocket/protocol/bodies_admin.h"
#include "sprocket/protocol/message.h"
#include "sprocket/protocol/remoting_command.h"
#include "sprocket/remoting/client.h"

namespace sprocket::mqadmin {

using protocol::RemotingCommand;

// "CODE: 17  DESC: ..." (MQClientException / MQBrokerException messages).
std::string DescribeRefusal(const RemotingCommand& response);

class AdminClient {
 public:
  AdminClient(std::vector<std::string> namesrvs, std::chrono::milliseconds timeout);
  ~AdminClient();

  const std::vector<std::string>& namesrvs() const { return namesrvs_; }

  // A request to `addr`; the response whatever its code. Throws on transport errors.
  RemotingCommand Call(const std::string& addr, RemotingCommand request);
  // Same, but anything but SUCCESS throws.
  RemotingCommand CallOk(const std::string& addr, RemotingCommand request);
  // To the nameservers in order until one answers; throws when none does. The response
  // may carry any code.
  RemotingCommand CallNamesrv(const RemotingCommand& request);

  protocol::TopicRouteData Route(const std::string& topic);
  protocol::ClusterInfo Cluster();
  std::set<std::string> AllTopics();

  // Masters (brokerId 0) of `cluster`, or every address with `include_slaves`. Throws when
  // the nameservers do not know the cluster.
  std::set<std::string> ClusterAddrs(const std::string& cluster, bool include_slaves);
  // The brokerName that owns `addr` ("" when none).
  std::string BrokerNameOf(const std::string& addr);

  // Broker requests with their bodies decoded.
  protocol::TopicStatsTable TopicStats(const std::string& addr, const std::string& topic);  // 202
  protocol::ConsumeStats ConsumeStats(const std::string& addr, const std::string& group,
                                      const std::string& topic);                                        // 208
  protocol::ConsumerConnection ConsumerConnections(const std::string& addr, const std::string& group);  // 203
  std::map<std::string, std::string> RuntimeInfo(const std::string& addr);                              // 28
  std::set<std::string> GroupsConsuming(const std::string& addr, const std::string& topic);             // 300
  // VIEW_MESSAGE_BY_ID (33): the record at `offset` of the broker at `addr`.
  protocol::MessageExt ViewMessage(const std::string& addr, int64_t offset);

  // QUERY_MESSAGE (12) to one broker, whatever it answers.
  struct QueryAnswer {
    int32_t code = 0;  // SUCCESS, QUERY_NOT_FOUND (22), or the broker's error
    std::string remark;
    int64_t index_last_update_timestamp = 0;
    std::vector<protocol::MessageExt> messages;  // oldest first, as the broker sends them
  };
  QueryAnswer QueryMessage(const std::string& addr, const protocol::QueryMessageRequestHeader& header);

 private:
  std::vector<std::string> namesrvs_;
  std::chrono::milliseconds timeout_;
  remoting::RemotingClient client_;
};

// The master address of `broker_name` in a route, or "" when it has none.
std::string MasterAddr(const protocol::TopicRouteData& route, const std::string& broker_name);
// RocketMQ's BrokerData.selectBrokerAddr: the master, else any slave.
std::string SelectBrokerAddr(const protocol::BrokerData& data);

}  // namespace sprocket::mqadmin
