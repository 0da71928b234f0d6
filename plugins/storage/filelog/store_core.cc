#include "store_core.h"

#include <spdlog/spdlog.h>

namespace sprocket::filelog {

void StoreCore::IndexRecord(std::string_view topic, std::string_view keys, int64_t position,
                            int64_t store_timestamp) {
  if (!index) return;
  // Records without keys are added too: that moves the index's durable end past them, so
  // recovery's re-add starts near the log end.
  Status s = index->Add(topic, keys, LogPosition(position), store_timestamp);
  if (!s.ok() && s.message() != last_index_error) {
    log->error("key index: record at {} not indexed: {}", position, s.ToString());
    last_index_error = s.message();
  }
}

}  // namespace sprocket::filelog
