// A probe of the disk a benchmark writes to, taken in the same run as the figures it
// scales: this machine's fsync latency drifts 20-30x within minutes, so a store's figures
// are reported as ratios to a probe made just before them.
// Every probe starts with sync(2), so that writeback of earlier work does not slow it.
//   seq write: 1 MiB writes of `bytes`, then one fdatasync (timed together);
//   fsync:     one fdatasync after each 4 KiB write (p50, p99 of the fdatasync);
//   seq read:  the written file read back in 1 MiB reads after dropping it from the page
//              cache (posix_fadvise DONTNEED), i.e. cold.
#pragma once

#include <cstdint>
#include <string>

namespace sprocket::bench {

struct DiskProbe {
  double seq_write_bytes_per_sec = 0;
  double seq_read_bytes_per_sec = 0;
  double fsync_p50_us = 0;
  double fsync_p99_us = 0;
  std::string error;  // non-empty when the probe failed
};

DiskProbe ProbeDisk(const std::string& dir, int64_t seq_bytes, int fsyncs);

// Cold sequential reads of an existing file: dropped from the page cache, then read in
// 1 MiB reads. Bytes per second; 0 when the file cannot be read.
double ProbeColdRead(const std::string& file);

// Writes `bytes` to `file` in 1 MiB writes and fdatasyncs it (a file for ProbeColdRead).
// An error message, empty on success.
std::string WriteProbeFile(const std::string& file, int64_t bytes);

// Drops a file's (or every file's under a directory) pages from the page cache. Pages
// must be clean (flushed) to go. Also writes /proc/sys/vm/drop_caches when allowed.
void DropFromPageCache(const std::string& path);

// The RssAnon of this process (KiB), -1 when unknown.
long SelfRssAnonKiB();

}  // namespace sprocket::bench
