#include "allocate.h"

#include <algorithm>

namespace sprocket::sdk {

std::vector<MessageQueue> AllocateAveragely(const std::vector<MessageQueue>& all,
                                            const std::vector<std::string>& cids,
                                            const std::string& me) {
  std::vector<MessageQueue> queues = all;
  std::vector<std::string> members = cids;
  std::sort(queues.begin(), queues.end());
  std::sort(members.begin(), members.end());
  auto pos = std::find(members.begin(), members.end(), me);
  if (pos == members.end() || queues.empty()) return {};

  const size_t index = pos - members.begin();
  const size_t n = queues.size();
  const size_t m = members.size();
  const size_t mod = n % m;
  size_t average;
  if (n <= m) {
    average = 1;
  } else {
    average = (mod > 0 && index < mod) ? n / m + 1 : n / m;
  }
  const size_t start = (mod > 0 && index < mod) ? index * average : index * average + mod;
  if (start >= n) return {};  // more members than queues: some get nothing
  const size_t range = std::min(average, n - start);
  std::vector<MessageQueue> mine;
  for (size_t i = 0; i < range; ++i) mine.push_back(queues[(start + i) % n]);
  return mine;
}

}  // namespace sprocket::sdk
