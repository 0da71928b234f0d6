#include "record.h"

#include <algorithm>

#include "keys.h"

namespace sprocket::leveldb_store {

bool ReadStoreTimestamp(std::string_view head, int64_t* out) {
  if (head.size() < kSysFlagField + 4) return false;
  const size_t field = StoreTimestampField(static_cast<int32_t>(GetBig32(head.data() + kSysFlagField)));
  if (field + 8 > head.size()) return false;
  *out = static_cast<int64_t>(GetBig64(head.data() + field));
  return true;
}

std::vector<std::string_view> SplitIndexKeys(std::string_view keys) {
  std::vector<std::string_view> out;
  while (!keys.empty()) {
    const size_t sp = keys.find(' ');
    const std::string_view k = keys.substr(0, sp);
    keys = sp == std::string_view::npos ? std::string_view() : keys.substr(sp + 1);
    if (k.empty() || k.size() > kMaxIndexKeyBytes) continue;
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  return out;
}

}  // namespace sprocket::leveldb_store
