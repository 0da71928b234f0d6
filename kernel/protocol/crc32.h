// CRC-32 (IEEE 802.3, zlib's and java.util.zip.CRC32's) with a carry-less-multiply fast
// path. Private to kernel/protocol (BodyCrc is the public entry).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sprocket::protocol::detail {

// zlib's crc32(crc, data, size): `crc` is a previous result (0 to start).
uint32_t Crc32(uint32_t crc, const void* data, size_t size);
// The same through zlib only (reference for tests).
uint32_t Crc32Zlib(uint32_t crc, const void* data, size_t size);

}  // namespace sprocket::protocol::detail
