#include "message_view.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "sprocket/protocol/bodies_admin.h"
#include "sprocket/protocol/codes.h"

namespace sprocket::mqadmin {

namespace {

namespace RC = protocol::RequestCode;
namespace RS = protocol::ResponseCode;

// QueryMsgByIdSubCommand.createBodyFile's directory.
constexpr const char* kBodyDir = "/tmp/rocketmq/msgbodys";

// Java's getTags()/getKeys(): null when the property is absent.
std::string OrNull(const std::string* v) { return v != nullptr ? *v : "null"; }

std::string WriteBodyFile(const protocol::MessageExt& msg, const std::string& body) {
  std::error_code ec;
  std::filesystem::create_directories(kBodyDir, ec);
  std::string path = std::string(kBodyDir) + "/" + msg.MsgId();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
  out.close();
  if (!out) throw CommandError("cannot write the message body to " + path);
  return path;
}

// MessageTrack.TrackType.
enum class TrackType { kConsumed, kConsumedButFiltered, kPull, kNotConsumeYet, kNotOnline, kUnknown };

const char* TrackTypeName(TrackType t) {
  switch (t) {
    case TrackType::kConsumed:
      return "CONSUMED";
    case TrackType::kConsumedButFiltered:
      return "CONSUMED_BUT_FILTERED";
    case TrackType::kPull:
      return "PULL";
    case TrackType::kNotConsumeYet:
      return "NOT_CONSUME_YET";
    case TrackType::kNotOnline:
      return "NOT_ONLINE";
    case TrackType::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

// A broker refusal as RocketMQ's MessageTrack describes it: "CODE:206 DESC:...".
struct Refusal {
  int32_t code;
  std::string desc;
};

// The master (else any) address of a broker serving %RETRY%<group>, or a Refusal.
std::string GroupBrokerAddr(AdminClient& admin, const std::string& group) {
  protocol::TopicRouteData route = admin.Route(RetryTopic(group));
  for (const auto& bd : route.broker_datas) {
    std::string addr = SelectBrokerAddr(bd);
    if (!addr.empty()) return addr;
  }
  throw CommandError("no broker serves " + RetryTopic(group));
}

// DefaultMQAdminExtImpl.consumed: a group consumed the message when its committed offset on
// the message's queue (on the broker that stored it) is past the message.
bool Consumed(AdminClient& admin, const protocol::MessageExt& msg, const std::string& group) {
  protocol::TopicRouteData route = admin.Route(RetryTopic(group));
  protocol::ClusterInfo cluster = admin.Cluster();
  const std::string store_host = msg.store_host.ToString();
  for (const auto& bd : route.broker_datas) {
    std::string addr = SelectBrokerAddr(bd);
    if (addr.empty()) continue;
    protocol::ConsumeStats stats = admin.ConsumeStats(addr, group, "");
    for (const auto& [mq, ow] : stats.offset_table) {
      if (mq.topic != msg.topic || mq.queue_id != msg.queue_id) continue;
      auto data = cluster.broker_addr_table.find(mq.broker_name);
      if (data == cluster.broker_addr_table.end()) continue;
      auto master = data->second.broker_addrs.find(0);
      if (master != data->second.broker_addrs.end() && master->second == store_host &&
          ow.consumer_offset > msg.queue_offset) {
        return true;
      }
    }
  }
  return false;
}

// DefaultMQAdminExtImpl.messageTrackDetail, one "MessageTrack [...]" per consuming group.
std::vector<std::string> MessageTracks(AdminClient& admin, const protocol::MessageExt& msg) {
  protocol::TopicRouteData route = admin.Route(msg.topic);
  std::set<std::string> groups;
  for (const auto& bd : route.broker_datas) {
    std::string addr = SelectBrokerAddr(bd);
    if (addr.empty()) continue;
    groups = admin.GroupsConsuming(addr, msg.topic);
    break;
  }
  std::vector<std::string> out;
  // GroupList holds a Java HashSet: iterate in its order.
  for (const auto& group : JavaHashOrder(std::vector<std::string>(groups.begin(), groups.end()))) {
    TrackType type = TrackType::kUnknown;
    std::string desc = "null";
    try {
      const std::string addr = GroupBrokerAddr(admin, group);
      RemotingCommand creq = RemotingCommand::Request(RC::kGetConsumerConnectionList);
      creq.ext.Set("consumerGroup", group);
      RemotingCommand resp = admin.Call(addr, std::move(creq));
      if (resp.code != RS::kSuccess) {
        if (resp.code == RS::kConsumerNotOnline) type = TrackType::kNotOnline;
        desc = "CODE:" + std::to_string(resp.code) + " DESC:" + resp.remark.value_or("");
      } else {
        auto cc = protocol::DecodeConsumerConnection(resp.body);
        if (!cc.ok())
          throw CommandError("bad ConsumerConnection from " + addr + ": " + cc.status().ToString());
        if (cc->consume_type == protocol::ConsumeType::kActively) {
          type = TrackType::kPull;
        } else if (cc->consume_type == protocol::ConsumeType::kPassively) {
          if (Consumed(admin, msg, group)) {
            type = TrackType::kConsumed;
            auto sub = cc->subscription_table.find(msg.topic);
            if (sub != cc->subscription_table.end()) {
              const auto& tags = sub->second.tags_set;
              const std::string msg_tags(msg.Tags());
              bool passes = tags.empty() || std::find(tags.begin(), tags.end(), msg_tags) != tags.end() ||
                            std::find(tags.begin(), tags.end(), "*") != tags.end();
              if (!passes) type = TrackType::kConsumedButFiltered;
            }
          } else {
            type = TrackType::kNotConsumeYet;
          }
        }
      }
    } catch (const std::exception& e) {
      desc = e.what();
    }
    out.push_back("MessageTrack [consumerGroup=" + group + ", trackType=" + TrackTypeName(type) +
                  ", exceptionDesc=" + desc + "]");
  }
  return out;
}

}  // namespace

std::string BodyOf(const protocol::MessageExt& msg) {
  if ((msg.sys_flag & protocol::MessageSysFlag::kCompressed) != 0) {
    auto raw = protocol::Inflate(msg.body);
    if (raw.ok()) return std::move(raw.value());
  }
  return msg.body;
}

Result<std::string> DecodeCharset(std::string_view bytes, const std::string& charset) {
  std::string upper;
  for (char c : charset) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  iconv_t cd = ::iconv_open("UTF-8", upper == "UTF8" ? "UTF-8" : upper.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return Status::InvalidArgument("Unsupported charset: " + charset);
  std::string out;
  std::string in(bytes);
  char* src = in.data();
  size_t src_left = in.size();
  char buf[4096];
  while (src_left > 0) {
    char* dst = buf;
    size_t dst_left = sizeof buf;
    size_t rc = ::iconv(cd, &src, &src_left, &dst, &dst_left);
    out.append(buf, static_cast<size_t>(dst - buf));
    if (rc == static_cast<size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ / EINVAL: Java's decoder replaces the malformed input.
      out.append("\xEF\xBF\xBD");
      ++src;
      --src_left;
    }
  }
  ::iconv_close(cd);
  return out;
}

std::vector<std::string> JavaHashOrder(std::vector<std::string> keys) {
  // Table size after the inserts: 16, doubled whenever size exceeds 0.75 of it. Resizes keep
  // each bucket's insertion order, so iteration is by final bucket, then insertion.
  uint32_t capacity = 16;
  while (keys.size() > capacity * 3 / 4) capacity *= 2;
  auto bucket = [&](const std::string& key) {
    auto h = static_cast<uint32_t>(protocol::JavaStringHash(key));
    return (h ^ (h >> 16)) & (capacity - 1);
  };
  std::stable_sort(keys.begin(), keys.end(),
                   [&](const auto& a, const auto& b) { return bucket(a) < bucket(b); });
  return keys;
}

std::string JavaMapString(const std::vector<std::pair<std::string, std::string>>& items) {
  // Later puts of a key replace its value in place.
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& [k, v] : items) {
    auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == k; });
    if (it != entries.end()) {
      it->second = v;
    } else {
      entries.emplace_back(k, v);
    }
  }
  std::map<std::string, std::string> values(entries.begin(), entries.end());
  std::vector<std::string> keys;
  for (const auto& e : entries) keys.push_back(e.first);
  std::string out = "{";
  for (const auto& k : JavaHashOrder(std::move(keys))) {
    if (out.size() > 1) out += ", ";
    out += k + "=" + values[k];
  }
  return out + "}";
}

int64_t NearlyTimeFromUniqKey(std::string_view id) {
  if (id.size() != 32 && id.size() != 56) return 0;
  std::vector<uint8_t> bytes;
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < id.size(); i += 2) {
    int hi = nibble(id[i]), lo = nibble(id[i + 1]);
    if (hi < 0 || lo < 0) return 0;
    bytes.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  const size_t at = (bytes.size() == 28 ? 16 : 4) + 2 + 4;
  const int64_t span = (int64_t{bytes[at]} << 24) | (int64_t{bytes[at + 1]} << 16) |
                       (int64_t{bytes[at + 2]} << 8) | int64_t{bytes[at + 3]};
  const int64_t now = NowMillis();
  std::time_t secs = static_cast<std::time_t>(now / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  tm.tm_mday = 1;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  std::tm copy = tm;
  int64_t month_start = static_cast<int64_t>(std::mktime(&copy)) * 1000;
  if (month_start + span >= now) {
    tm.tm_mon -= 1;
    copy = tm;
    month_start = static_cast<int64_t>(std::mktime(&copy)) * 1000;
  }
  return month_start + span;
}

void PrintMessageDetail(Context& ctx, const protocol::MessageExt& msg, const DetailOptions& options) {
  const std::string body = BodyOf(msg);
  std::optional<std::string> decoded;
  if (options.charset) {
    auto d = DecodeCharset(body, *options.charset);
    if (!d.ok()) throw CommandError(d.status().message());
    decoded = std::move(d.value());
  }
  const std::string body_path = WriteBodyFile(msg, body);
  auto line = [](const char* label, const std::string& value) {
    std::printf("%-20s %s\n", label, value.c_str());
  };
  if (options.offset_id_line) line("OffsetID:", msg.OffsetMsgId());
  line("Topic:", msg.topic);
  line("Tags:", "[" + OrNull(msg.properties.Find(protocol::Prop::kTags)) + "]");
  line("Keys:", "[" + OrNull(msg.properties.Find(protocol::Prop::kKeys)) + "]");
  line("Queue ID:", std::to_string(msg.queue_id));
  line("Queue Offset:", std::to_string(msg.queue_offset));
  line("CommitLog Offset:", std::to_string(msg.commit_log_offset));
  line("Reconsume Times:", std::to_string(msg.reconsume_times));
  line("Born Timestamp:", FormatDateMillis(msg.born_timestamp));
  line("Store Timestamp:", FormatDateMillis(msg.store_timestamp));
  line("Born Host:", msg.born_host.ToString());
  line("Store Host:", msg.store_host.ToString());
  line("System Flag:", std::to_string(msg.sys_flag));
  line("Properties:", JavaMapString(msg.properties.items()));
  line("Message Body Path:", body_path);
  if (decoded) line("Message Body:", *decoded);
  std::fflush(stdout);
  // RocketMQ prints a failure here as a stack trace and goes on.
  try {
    std::vector<std::string> tracks = MessageTracks(ctx.admin(), msg);
    if (tracks.empty()) {
      std::printf("\n\nWARN: No Consumer\n");
    } else {
      std::printf("\n\n");
      for (const auto& t : tracks) std::printf("%s\n", t.c_str());
    }
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "message track of %s failed: %s\n", msg.OffsetMsgId().c_str(), e.what());
  }
}

}  // namespace sprocket::mqadmin
