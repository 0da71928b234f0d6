// The stored-record rules the file log shares with the other shipped stores
// (plugins/storage/common/stored_record.h), seen from inside sprocket::filelog.
#pragma once

#include "big_endian.h"
#include "../common/stored_record.h"

namespace sprocket::filelog {
using namespace sprocket::storage_common;  // NOLINT: the shared record rules, unqualified
// The blank's MAGICCODE as read from a file (signed), hiding storage.h's unsigned kBlankMagic.
inline constexpr int32_t kBlankMagic = kBlankMagicCode;
}  // namespace sprocket::filelog
