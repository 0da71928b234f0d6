// Big-endian access, shared with the other shipped stores (plugins/storage/common/big_endian.h).
#pragma once

#include "../common/big_endian.h"

namespace sprocket::filelog {
using storage_common::GetInt16;
using storage_common::GetInt32;
using storage_common::GetInt64;
using storage_common::PutInt32;
using storage_common::PutInt64;
}  // namespace sprocket::filelog
