// What the LevelDB store reads from a stored record (PROTOCOL.md §5.1): the rules every
// shipped store shares (plugins/storage/common/stored_record.h: parse, properties, tag code,
// index keys) plus the two the LevelDB store adds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "../common/stored_record.h"

namespace sprocket::leveldb_store {

using namespace sprocket::storage_common;  // NOLINT: the shared record rules, unqualified

// A blank (int32 length | int32 kBlankMagic | padding) is at least its 8-byte header.
inline constexpr int32_t kMinBlankSize = 8;

// STORETIMESTAMP of a record whose first bytes are `head`; false when they do not reach it.
bool ReadStoreTimestamp(std::string_view head, int64_t* out);

// Splits space-separated keys, dropping empty and repeated ones and ones too long to index.
std::vector<std::string_view> SplitIndexKeys(std::string_view keys);

}  // namespace sprocket::leveldb_store
