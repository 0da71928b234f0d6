// Small file helpers for the kernel's JSON metadata (topics, offsets, subscription groups,
// KV config): written atomically (temp file, fsync, rename, fsync dir), as DESIGN.md §2.2
// asks, so a crash leaves either the old or the new file, never half of one.
#pragma once

#include <string>
#include <string_view>

#include "sprocket/plugin/status.h"

namespace sprocket {

Status WriteFileAtomic(const std::string& path, std::string_view content);
// NotFound when the file does not exist.
Result<std::string> ReadWholeFile(const std::string& path);
Status CreateDirectories(const std::string& path);

}  // namespace sprocket
