// zlib bodies (PROTOCOL.md §5.4): a standard zlib stream with header, as
// java.util.zip.Deflater/Inflater, cpp's UtilAll::inflate and Node's zlib.deflateSync make.
#include <zlib.h>

#include <algorithm>
#include <limits>

#include "sprocket/protocol/message.h"

namespace sprocket::protocol {

namespace {
// Inflated output is capped: a compressed body is at most a frame (16 MiB) and a zlib
// bomb can expand ~1000:1, so without a cap a peer could make us allocate gigabytes.
// Bodies are at most 4 MiB before compression in every client; 64 MiB is generous.
constexpr size_t kMaxInflatedBytes = 64u * 1024 * 1024;
constexpr size_t kChunk = 64 * 1024;
}  // namespace

Result<std::string> Inflate(std::string_view compressed) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Status::Corruption("inflateInit failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(std::min<size_t>(compressed.size(), std::numeric_limits<uInt>::max()));
  size_t in_left = compressed.size() - zs.avail_in;
  std::string out;
  // Most bodies compress 2-10x; start near that and grow geometrically.
  out.resize(std::min(kMaxInflatedBytes, std::max(kChunk, compressed.size() * 4)));
  size_t produced = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (produced == out.size()) {
      if (out.size() >= kMaxInflatedBytes) {
        inflateEnd(&zs);
        return Status::Corruption("inflated body exceeds " + std::to_string(kMaxInflatedBytes) + " bytes");
      }
      out.resize(std::min(kMaxInflatedBytes, out.size() * 2));
    }
    if (zs.avail_in == 0 && in_left > 0) {
      zs.avail_in = static_cast<uInt>(std::min<size_t>(in_left, std::numeric_limits<uInt>::max()));
      in_left -= zs.avail_in;
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, std::numeric_limits<uInt>::max()));
    const uInt avail_before = zs.avail_out;
    rc = inflate(&zs, Z_NO_FLUSH);
    produced += avail_before - zs.avail_out;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) {
      inflateEnd(&zs);
      return Status::Corruption("truncated zlib stream");
    }
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      std::string why = zs.msg ? zs.msg : "error " + std::to_string(rc);
      inflateEnd(&zs);
      return Status::Corruption("corrupt zlib stream: " + why);
    }
  }
  inflateEnd(&zs);
  // Bytes after the end of the stream are ignored, as Java's Inflater does.
  out.resize(produced);
  return out;
}

std::string Deflate(std::string_view raw, int level) {
  z_stream zs{};
  deflateInit(&zs, std::clamp(level, 0, 9));
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(raw.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  size_t in_left = raw.size();
  size_t produced = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0 && in_left > 0) {
      zs.avail_in = static_cast<uInt>(std::min<size_t>(in_left, std::numeric_limits<uInt>::max()));
      in_left -= zs.avail_in;
    }
    if (produced == out.size()) out.resize(out.size() * 2 + kChunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, std::numeric_limits<uInt>::max()));
    const uInt avail_before = zs.avail_out;
    rc = deflate(&zs, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
    produced += avail_before - zs.avail_out;
  }
  deflateEnd(&zs);
  out.resize(produced);
  return out;
}

}  // namespace sprocket::protocol
