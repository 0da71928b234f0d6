#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

namespace sprocket::sdk {

std::vector<std::string> ParseNamesrvAddr(const std::string& addrs) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= addrs.size()) {
    size_t end = addrs.find(';', start);
    if (end == std::string::npos) end = addrs.size();
    std::string item = addrs.substr(start, end - start);
    size_t b = item.find_first_not_of(" \t");
    size_t e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    start = end + 1;
  }
  return out;
}

std::string LocalIpAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "127.0.0.1";
  std::string found;
  for (ifaddrs* it = list; it != nullptr && found.empty(); it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    auto* sin = reinterpret_cast<sockaddr_in*>(it->ifa_addr);
    if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127) continue;
    char buf[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)) != nullptr) found = buf;
  }
  freeifaddrs(list);
  return found.empty() ? "127.0.0.1" : found;
}

std::string BuildClientId(const std::string& ip, const std::string& instance_name) {
  std::string instance = instance_name;
  // "DEFAULT" is RocketMQ's placeholder for "not set".
  if (instance.empty() || instance == "DEFAULT") instance = std::to_string(::getpid());
  return ip + "@" + instance;
}

int64_t ParseConsumeTimestamp(const std::string& text) {
  if (text.size() != 14) return -1;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
  }
  std::tm tm{};
  tm.tm_year = std::stoi(text.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(text.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(text.substr(6, 2));
  tm.tm_hour = std::stoi(text.substr(8, 2));
  tm.tm_min = std::stoi(text.substr(10, 2));
  tm.tm_sec = std::stoi(text.substr(12, 2));
  tm.tm_isdst = -1;
  std::time_t t = std::mktime(&tm);
  if (t == -1) return -1;
  return int64_t(t) * 1000;
}

std::string FormatConsumeTimestamp(int64_t epoch_ms) {
  std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d%H%M%S", &tm);
  return buf;
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sprocket::sdk
