// A scripted nameserver + broker in one process, for SDK tests that must not depend on
// the real mqnamesrv/mqbroker. It speaks just enough of the protocol: routes (105), sends
// (310), heartbeats (34), unregister (35), offsets (14, 15, 29, 30), pulls (11, with a
// short hold standing in for long polling), send-back (36, copying the message to the
// group's retry topic) and group members (38: every client that heartbeated as a member
// and did not unregister). Routes point at the fake itself, so one address is both the
// nameserver and broker "broker-a".
#pragma once

#include <boost/asio.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sprocket/protocol/bodies.h"
#include "sprocket/protocol/codes.h"
#include "sprocket/protocol/message.h"
#include "sprocket/protocol/remoting_command.h"

namespace sprocket::testing {

class FakeBroker {
 public:
  struct Stored {
    std::string topic;
    int32_t queue_id = 0;
    int32_t sys_flag = 0;
    int32_t flag = 0;
    int64_t born_timestamp = 0;
    int32_t reconsume_times = 0;
    std::string properties;  // encoded
    std::string body;        // as stored
  };

  FakeBroker()
      : acceptor_(io_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    topics_["TBW102"] = 8;
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeBroker() {
    io_.stop();
    thread_.join();
  }

  std::string addr() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }

  void AddTopic(const std::string& topic, int queues) {
    std::lock_guard<std::mutex> lock(mu_);
    topics_[topic] = queues;
  }
  // The next `n` sends are answered with `code` instead of being stored.
  void FailNextSends(int n, int32_t code) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_sends_ = n;
    fail_code_ = code;
  }
  // SEARCH_OFFSET_BY_TIMESTAMP answers this offset (default 0).
  void SetSearchOffset(int64_t offset) {
    std::lock_guard<std::mutex> lock(mu_);
    search_offset_ = offset;
  }
  // Stores a message as if a producer had sent it.
  void Put(Stored m) {
    std::lock_guard<std::mutex> lock(mu_);
    Append(std::move(m));
  }

  std::vector<protocol::RemotingCommand> Requests(int32_t code) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<protocol::RemotingCommand> out;
    for (const auto& r : requests_) {
      if (r.code == code) out.push_back(r);
    }
    return out;
  }
  std::vector<Stored> Queue(const std::string& topic, int queue_id) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Stored> out;
    for (int64_t pos : queues_[{topic, queue_id}]) out.push_back(log_[pos]);
    return out;
  }
  int64_t Committed(const std::string& group, const std::string& topic, int queue_id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = offsets_.find(group + "@" + topic + "@" + std::to_string(queue_id));
    return it == offsets_.end() ? -1 : it->second;
  }

  // Polls `pred` until it holds or `timeout` passes.
  static bool WaitFor(const std::function<bool()>& pred,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

 private:
  using Cmd = protocol::RemotingCommand;
  using tcp = boost::asio::ip::tcp;

  struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket s, FakeBroker* b) : socket(std::move(s)), broker(b) {}
    tcp::socket socket;
    FakeBroker* broker;
    std::array<char, 4> len{};
    std::string frame;

    void Read() {
      auto self = shared_from_this();
      boost::asio::async_read(socket, boost::asio::buffer(len), [self](auto ec, size_t) {
        if (ec) return;
        uint32_t n = (uint32_t(uint8_t(self->len[0])) << 24) | (uint32_t(uint8_t(self->len[1])) << 16) |
                     (uint32_t(uint8_t(self->len[2])) << 8) | uint32_t(uint8_t(self->len[3]));
        self->frame.resize(n);
        boost::asio::async_read(self->socket, boost::asio::buffer(self->frame), [self](auto ec, size_t) {
          if (ec) return;
          auto cmd = protocol::DecodeFrame(self->frame);
          if (!cmd.ok()) return;
          self->broker->Handle(self, std::move(cmd).value());
          self->Read();
        });
      });
    }
    void Write(const Cmd& cmd) {
      auto buf = std::make_shared<std::string>(protocol::EncodeFrame(cmd));
      auto self = shared_from_this();
      boost::asio::async_write(socket, boost::asio::buffer(*buf), [self, buf](auto, size_t) {});
    }
  };

  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      std::make_shared<Session>(std::move(s), this)->Read();
      Accept();
    });
  }

  int64_t Append(Stored m) {
    int64_t pos = static_cast<int64_t>(log_.size());
    auto& q = queues_[{m.topic, m.queue_id}];
    q.push_back(pos);
    log_.push_back(std::move(m));
    return static_cast<int64_t>(q.size()) - 1;
  }

  protocol::HostAddress Host() const {
    return protocol::HostAddress::Parse(addr()).value();
  }

  // Runs on the server thread.
  void Handle(const std::shared_ptr<Session>& s, Cmd req) {
    std::unique_lock<std::mutex> lock(mu_);
    requests_.push_back(req);
    Cmd resp = Cmd::ResponseTo(req, protocol::ResponseCode::kSuccess);
    namespace RC = protocol::RequestCode;
    const auto& ext = req.ext;
    std::string topic(ext.Get("topic"));
    int32_t queue_id = static_cast<int32_t>(ext.GetInt("queueId").value_or(0));
    switch (req.code) {
      case RC::kGetRouteinfoByTopic: {
        auto it = topics_.find(topic);
        if (it == topics_.end()) {
          resp.code = protocol::ResponseCode::kTopicNotExist;
          resp.remark = "No topic route info in name server for the topic: " + topic;
          break;
        }
        protocol::TopicRouteData route;
        route.queue_datas.push_back({"broker-a", it->second, it->second, 6, 0});
        protocol::BrokerData bd;
        bd.cluster = "DefaultCluster";
        bd.broker_name = "broker-a";
        bd.broker_addrs[0] = addr();
        route.broker_datas.push_back(bd);
        resp.body = protocol::EncodeTopicRouteData(route, true);
        break;
      }
      case RC::kHeartBeat: {
        auto hb = protocol::DecodeHeartbeatData(req.body);
        if (hb.ok()) {
          for (const auto& cd : hb->consumer_data_set) {
            topics_.emplace("%RETRY%" + cd.group_name, 1);
            members_[cd.group_name].insert(hb->client_id);
          }
        }
        break;
      }
      case RC::kUnregisterClient:
        members_[std::string(ext.Get("consumerGroup"))].erase(std::string(ext.Get("clientID")));
        break;
      case RC::kGetConsumerListByGroup: {
        const auto& ids = members_[std::string(ext.Get("consumerGroup"))];
        if (ids.empty()) {
          resp.code = protocol::ResponseCode::kSystemError;
          resp.remark = "no consumer for this group";
          break;
        }
        resp.body = protocol::EncodeConsumerIdList(std::vector<std::string>(ids.begin(), ids.end()));
        break;
      }
      case RC::kSendMessageV2: {
        if (fail_sends_ > 0) {
          --fail_sends_;
          resp.code = fail_code_;
          resp.remark = "scripted failure";
          break;
        }
        Stored m;
        m.topic = std::string(ext.Get("b"));
        if (topics_.count(m.topic) == 0) {
          if (ext.Get("c") != "TBW102") {
            resp.code = protocol::ResponseCode::kTopicNotExist;
            break;
          }
          topics_[m.topic] = static_cast<int>(ext.GetInt("d").value_or(4));  // auto-create
        }
        m.queue_id = static_cast<int32_t>(ext.GetInt("e").value_or(0));
        m.sys_flag = static_cast<int32_t>(ext.GetInt("f").value_or(0));
        m.born_timestamp = ext.GetInt("g").value_or(0);
        m.flag = static_cast<int32_t>(ext.GetInt("h").value_or(0));
        m.properties = std::string(ext.Get("i"));
        m.body = req.body;
        int64_t pos = static_cast<int64_t>(log_.size());
        int64_t qoff = Append(m);
        resp.ext.Set("msgId", protocol::EncodeOffsetMsgId(Host(), LogPosition(pos)));
        resp.ext.Set("queueId", std::to_string(m.queue_id));
        resp.ext.Set("queueOffset", std::to_string(qoff));
        resp.ext.Set("MSG_REGION", std::string("DefaultRegion"));
        resp.ext.Set("TRACE_ON", std::string("true"));
        break;
      }
      case RC::kQueryConsumerOffset: {
        auto it = offsets_.find(std::string(ext.Get("consumerGroup")) + "@" + topic + "@" +
                                std::to_string(queue_id));
        if (it == offsets_.end()) {
          resp.code = protocol::ResponseCode::kQueryNotFound;
        } else {
          resp.ext.Set("offset", std::to_string(it->second));
        }
        break;
      }
      case RC::kUpdateConsumerOffset:
        offsets_[std::string(ext.Get("consumerGroup")) + "@" + topic + "@" +
                 std::to_string(queue_id)] = ext.GetInt("commitOffset").value_or(-1);
        break;
      case RC::kGetMaxOffset:
        resp.ext.Set("offset", std::to_string(queues_[{topic, queue_id}].size()));
        break;
      case RC::kSearchOffsetByTimestamp:
        resp.ext.Set("offset", std::to_string(search_offset_));
        break;
      case RC::kConsumerSendMsgBack: {
        int64_t pos = ext.GetInt("offset").value_or(-1);
        if (pos < 0 || pos >= static_cast<int64_t>(log_.size())) {
          resp.code = protocol::ResponseCode::kSystemError;
          break;
        }
        Stored copy = log_[pos];
        auto props = protocol::MessageProperties::Decode(copy.properties);
        if (props.Find("RETRY_TOPIC") == nullptr) props.Set("RETRY_TOPIC", copy.topic);
        copy.properties = props.Encode();
        copy.topic = "%RETRY%" + std::string(ext.Get("group"));
        copy.queue_id = 0;
        copy.reconsume_times += 1;
        Append(std::move(copy));
        break;
      }
      case RC::kPullMessage:
        if (!Pull(req, &resp)) {
          // Nothing new: hold briefly (a stand-in for long polling), then say so.
          lock.unlock();
          auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(50));
          timer->async_wait([s, resp, timer](auto) { s->Write(resp); });
          return;
        }
        break;
      default:
        resp.code = protocol::ResponseCode::kRequestCodeNotSupported;
    }
    lock.unlock();
    if (!req.IsOneway()) s->Write(resp);
  }

  // False when there is nothing to return (the caller holds the answer).
  bool Pull(const Cmd& req, Cmd* resp) {
    const auto& ext = req.ext;
    std::string group(ext.Get("consumerGroup"));
    std::string topic(ext.Get("topic"));
    int32_t queue_id = static_cast<int32_t>(ext.GetInt("queueId").value_or(0));
    int64_t offset = ext.GetInt("queueOffset").value_or(0);
    int64_t max = ext.GetInt("maxMsgNums").value_or(32);
    if (ext.GetInt("sysFlag").value_or(0) & protocol::PullSysFlag::kCommitOffset) {
      offsets_[group + "@" + topic + "@" + std::to_string(queue_id)] = ext.GetInt("commitOffset").value_or(-1);
    }
    const auto& q = queues_[{topic, queue_id}];
    int64_t size = static_cast<int64_t>(q.size());
    resp->ext.Set("suggestWhichBrokerId", std::string("0"));
    resp->ext.Set("minOffset", std::string("0"));
    resp->ext.Set("maxOffset", std::to_string(size));
    if (offset > size) {
      resp->code = protocol::ResponseCode::kPullOffsetMoved;
      resp->ext.Set("nextBeginOffset", std::to_string(size));
      return true;
    }
    if (offset == size) {
      resp->code = protocol::ResponseCode::kPullNotFound;
      resp->ext.Set("nextBeginOffset", std::to_string(offset));
      return false;
    }
    int64_t end = std::min(size, offset + max);
    for (int64_t i = offset; i < end; ++i) {
      const Stored& m = log_[q[i]];
      protocol::RecordInput in;
      in.queue_id = m.queue_id;
      in.flag = m.flag;
      in.sys_flag = m.sys_flag;
      in.born_timestamp = m.born_timestamp;
      in.born_host = Host();
      in.store_host = Host();
      in.reconsume_times = m.reconsume_times;
      in.body = m.body;
      in.topic = m.topic;
      in.properties = m.properties;
      size_t at = resp->body.size();
      auto layout = protocol::EncodeRecord(in, &resp->body);
      if (!layout.ok()) continue;
      PutBigEndian64(&resp->body, at + 20, i);      // QUEUEOFFSET
      PutBigEndian64(&resp->body, at + 28, q[i]);   // PHYSICALOFFSET
    }
    resp->ext.Set("nextBeginOffset", std::to_string(end));
    return true;
  }

  static void PutBigEndian64(std::string* buf, size_t at, int64_t v) {
    for (int i = 7; i >= 0; --i) {
      (*buf)[at + i] = static_cast<char>(v & 0xFF);
      v >>= 8;
    }
  }

  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;

  std::mutex mu_;
  std::vector<Cmd> requests_;
  std::map<std::string, int> topics_;
  std::vector<Stored> log_;
  std::map<std::pair<std::string, int32_t>, std::vector<int64_t>> queues_;
  std::map<std::string, int64_t> offsets_;
  std::map<std::string, std::set<std::string>> members_;  // group -> client ids
  int64_t search_offset_ = 0;
  int fail_sends_ = 0;
  int32_t fail_code_ = 0;
};

}  // namespace sprocket::testing
