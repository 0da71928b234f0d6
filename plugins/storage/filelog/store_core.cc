#include "store_core.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace sprocket::filelog {

void StoreCore::IndexBatch(std::span<const KeyIndex::Record> records) {
  if (!index) return;
  // Records without keys are added too: that moves the index's durable end past them, so
  // recovery's re-add starts near the log end.
  for (size_t at = 0; at < records.size(); at += kIndexBatch) {
    const std::span<const KeyIndex::Record> chunk =
        records.subspan(at, std::min(kIndexBatch, records.size() - at));
    KeyIndex::BatchErrors errors;
    Status s = index->AddBatch(chunk, &errors);
    if (!s.ok() && s.message() != last_index_error) {
      const int64_t first =
          errors.count > 0 ? chunk[errors.first].position.value : chunk.front().position.value;
      log->error("key index: record at {} not indexed ({} of {} in its batch): {}", first, errors.count,
                 chunk.size(), s.ToString());
      last_index_error = s.message();
    }
  }
}

void StoreCore::IndexRecord(std::string_view topic, std::string_view keys, int64_t position,
                            int64_t store_timestamp) {
  const KeyIndex::Record record{topic, keys, LogPosition(position), store_timestamp};
  IndexBatch(std::span<const KeyIndex::Record>(&record, 1));
}

}  // namespace sprocket::filelog
