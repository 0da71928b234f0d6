#include "broker/retention_service.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <sys/statvfs.h>

#include "common/logging.h"

namespace sprocket::broker {

Result<std::vector<int>> ParseDeleteWhen(const std::string& text) {
  std::vector<int> hours;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty()) {
      int h = -1;
      if (part.size() <= 2 && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        h = std::stoi(part);
      }
      if (h < 0 || h > 23) {
        return Status::InvalidArgument("deleteWhen: '" + part + "' is not an hour 00..23 (\"04\" or \"04;16\")");
      }
      hours.push_back(h);
    }
    start = end + 1;
  }
  if (hours.empty()) return Status::InvalidArgument("deleteWhen: no hour given (\"04\" or \"04;16\")");
  return hours;
}

RetentionDecision DecideRetention(const RetentionSettings& s, int64_t now_ms, int local_hour,
                                  double disk_used_ratio) {
  RetentionDecision d;
  const double max_ratio = std::clamp(s.disk_max_used_space_ratio, 10, 95) / 100.0;
  const bool time_up = std::find(s.delete_hours.begin(), s.delete_hours.end(), local_hour) != s.delete_hours.end();
  const bool space_full = disk_used_ratio > max_ratio;
  if (!time_up && !space_full) return d;
  d.run = true;
  d.policy.expire_before_ms = now_ms - s.file_reserved_hours * 3600 * 1000;
  d.policy.max_units = s.delete_file_batch_max;
  d.policy.force = s.clean_file_forcibly_enable && disk_used_ratio > s.disk_space_clean_forcibly_ratio;
  char buf[96];
  if (space_full) {
    std::snprintf(buf, sizeof buf, "disk %.0f%% used > diskMaxUsedSpaceRatio %d%%%s", disk_used_ratio * 100,
                  static_cast<int>(max_ratio * 100), d.policy.force ? ", deleting unexpired files too" : "");
  } else {
    std::snprintf(buf, sizeof buf, "deleteWhen hour %02d", local_hour);
  }
  d.why = buf;
  return d;
}

double DiskUsedRatio(const std::string& path) {
  struct statvfs st{};
  if (::statvfs(path.c_str(), &st) != 0 || st.f_blocks == 0) return -1;
  const double total = static_cast<double>(st.f_blocks) * st.f_frsize;
  const double free = static_cast<double>(st.f_bfree) * st.f_frsize;
  return (total - free) / total;
}

RetentionService::RetentionService(RetentionSettings settings, MessageStore& store, std::string data_dir)
    : settings_(std::move(settings)), store_(store), data_dir_(std::move(data_dir)) {}

RetentionService::~RetentionService() { Stop(); }

void RetentionService::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void RetentionService::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<RetentionResult> RetentionService::RunOnce(bool force_time) {
  const auto now = std::chrono::system_clock::now();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm local{};
  ::localtime_r(&t, &local);
  const int hour = force_time ? settings_.delete_hours.front() : local.tm_hour;
  RetentionDecision d = DecideRetention(settings_, now_ms, hour, DiskUsedRatio(data_dir_));
  if (!d.run) return RetentionResult{};
  Result<RetentionResult> r = store_.DeleteExpired(d.policy);
  auto log = GetLogger("store");
  if (!r.ok()) {
    // A store without retention says NotSupported once per pass; it keeps everything.
    log->warn("retention ({}): {}", d.why, r.status().ToString());
  } else if (r->units_deleted > 0) {
    log->info("retention ({}): deleted {} unit(s), {} bytes; log now starts at {}", d.why, r->units_deleted,
              r->bytes_freed, r->log_min.value);
  }
  return r;
}

void RetentionService::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(settings_.clean_resource_interval_ms), [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    (void)RunOnce(false);
    lock.lock();
  }
}

}  // namespace sprocket::broker
