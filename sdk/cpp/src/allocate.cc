#include "allocate.h"

#include <algorithm>

namespace sprocket {

namespace {

// Position of `me` among `cids`, or -1.
long IndexOf(const std::vector<std::string>& cids, const std::string& me) {
  auto pos = std::find(cids.begin(), cids.end(), me);
  return pos == cids.end() ? -1 : static_cast<long>(pos - cids.begin());
}

}  // namespace

std::vector<MessageQueue> AllocateMessageQueueAveragely::allocate(
    const std::string& consumerGroup, const std::string& currentCID,
    const std::vector<MessageQueue>& mqAll, const std::vector<std::string>& cidAll) {
  const long index = IndexOf(cidAll, currentCID);
  if (index < 0 || mqAll.empty()) return {};
  const size_t i = static_cast<size_t>(index);
  const size_t n = mqAll.size();
  const size_t m = cidAll.size();
  const size_t mod = n % m;
  // The first `mod` members take one queue more than the rest.
  const size_t average = n <= m ? 1 : (mod > 0 && i < mod ? n / m + 1 : n / m);
  const size_t start = (mod > 0 && i < mod) ? i * average : i * average + mod;
  if (start >= n) return {};  // more members than queues: the last ones get nothing
  const size_t range = std::min(average, n - start);
  return std::vector<MessageQueue>(mqAll.begin() + start, mqAll.begin() + start + range);
}

std::vector<MessageQueue> AllocateMessageQueueAveragelyByCircle::allocate(
    const std::string& consumerGroup, const std::string& currentCID,
    const std::vector<MessageQueue>& mqAll, const std::vector<std::string>& cidAll) {
  const long index = IndexOf(cidAll, currentCID);
  if (index < 0) return {};
  std::vector<MessageQueue> mine;
  for (size_t q = static_cast<size_t>(index); q < mqAll.size(); q += cidAll.size()) {
    mine.push_back(mqAll[q]);
  }
  return mine;
}

namespace sdk {

std::vector<MessageQueue> Allocate(AllocateMessageQueueStrategy& strategy, const std::string& group,
                                   const std::string& me, std::vector<MessageQueue> all,
                                   std::vector<std::string> cids) {
  std::sort(all.begin(), all.end());
  std::sort(cids.begin(), cids.end());
  cids.erase(std::unique(cids.begin(), cids.end()), cids.end());
  if (all.empty()) return {};
  return strategy.allocate(group, me, all, cids);
}

}  // namespace sdk
}  // namespace sprocket
