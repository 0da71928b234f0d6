// POSIX file helpers shared by the segments, the checkpoint and recovery. Every failure comes
// back as a Status naming the path and the OS error.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sprocket/plugin/status.h"

namespace sprocket::filelog {

// RocketMQ's UtilAll.offset2FileName: the start offset zero-padded to 20 digits.
std::string SegmentFileName(int64_t start);
// True (and *start set) when `name` is exactly 20 decimal digits.
bool ParseSegmentFileName(std::string_view name, int64_t* start);

// "IOError: <what> <path>: <strerror(err)>"
Status ErrnoStatus(std::string_view what, const std::string& path, int err);

std::string JoinPath(const std::string& dir, std::string_view name);

// mkdir -p. Each directory it creates is made durable (its parent is fsynced), so a file
// created inside it later survives a crash once that file itself is synced.
Status CreateDirs(const std::string& path);
// fsync on a directory: makes entries created or removed in it durable.
Status SyncDir(const std::string& path);

// Names of the regular files / sub-directories of `dir` (no "." or ".."), unsorted.
Result<std::vector<std::string>> ListDir(const std::string& dir, bool directories);

// pwritev until everything is written (retrying on EINTR and short writes).
Status PwritevAll(int fd, std::span<const iovec> iov, int64_t offset, const std::string& path);
// pread until `n` bytes are read or end of file; returns how many were read.
Result<size_t> PreadUpTo(int fd, char* dst, size_t n, int64_t offset, const std::string& path);

}  // namespace sprocket::filelog
