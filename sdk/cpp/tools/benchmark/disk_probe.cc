#include "disk_probe.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace sprocket::bench {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

void DropOne(const std::string& file) {
  int fd = ::open(file.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

}  // namespace

void DropFromPageCache(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file(ec)) DropOne(it->path().string());
    }
  } else {
    DropOne(path);
  }
  // As root, also drop everything else that is clean (what `echo 1 > drop_caches` does).
  ::sync();
  std::ofstream drop("/proc/sys/vm/drop_caches");
  if (drop) drop << "1\n";
}

long SelfRssAnonKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::atol(line.c_str() + 8);
  }
  return -1;
}

double ProbeColdRead(const std::string& file) {
  DropFromPageCache(file);
  const int fd = ::open(file.c_str(), O_RDONLY);
  if (fd < 0) return 0;
  std::vector<char> block(1 << 20);
  const auto start = std::chrono::steady_clock::now();
  int64_t read_total = 0;
  for (ssize_t n; (n = ::read(fd, block.data(), block.size())) > 0;) read_total += n;
  const double secs = Seconds(start);
  ::close(fd);
  return read_total > 0 ? static_cast<double>(read_total) / secs : 0;
}

std::string WriteProbeFile(const std::string& file, int64_t bytes) {
  std::vector<char> block(1 << 20);
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i * 131 + 7);
  const int fd = ::open(file.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) return "open " + file + ": " + std::strerror(errno);
  for (int64_t written = 0; written < bytes;) {
    const ssize_t n = ::write(fd, block.data(), block.size());
    if (n <= 0) {
      const std::string error = std::string("write ") + file + ": " + std::strerror(errno);
      ::close(fd);
      return error;
    }
    written += n;
  }
  const bool synced = ::fdatasync(fd) == 0;
  ::close(fd);
  return synced ? "" : "fdatasync " + file + ": " + std::strerror(errno);
}

DiskProbe ProbeDisk(const std::string& dir, int64_t seq_bytes, int fsyncs) {
  DiskProbe p;
  // On a quiet disk: without this the kernel may still be writing back what ran before the
  // probe (a broker's warm-up: 2 GB), and the probe measured a third of the disk's speed.
  ::sync();
  const std::string path = dir + "/disk_probe.bin";
  const auto start = std::chrono::steady_clock::now();
  p.error = WriteProbeFile(path, seq_bytes);
  if (!p.error.empty()) {
    ::unlink(path.c_str());
    return p;
  }
  p.seq_write_bytes_per_sec = static_cast<double>(seq_bytes) / Seconds(start);

  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  if (fd < 0) {
    p.error = "open " + path + ": " + std::strerror(errno);
    ::unlink(path.c_str());
    return p;
  }
  const std::vector<char> block(4096, 'p');
  // fdatasync per 4 KiB append, into the same (now durable) file's end.
  std::vector<double> lat;
  lat.reserve(fsyncs);
  for (int i = 0; i < fsyncs; ++i) {
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) break;
    auto t = std::chrono::steady_clock::now();
    ::fdatasync(fd);
    lat.push_back(Seconds(t) * 1e6);
  }
  ::close(fd);
  if (!lat.empty()) {
    std::sort(lat.begin(), lat.end());
    p.fsync_p50_us = lat[lat.size() / 2];
    p.fsync_p99_us = lat[std::min(lat.size() - 1, lat.size() * 99 / 100)];
  }

  p.seq_read_bytes_per_sec = ProbeColdRead(path);
  ::unlink(path.c_str());
  return p;
}

}  // namespace sprocket::bench
