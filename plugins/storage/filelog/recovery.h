// Recovery at open: brings the commit log and the consume queues back to a consistent state.
//
//  1. Log end: scan the records of the last two segments; the first invalid record or torn
//     tail ends the log and everything after it is cut (files truncated, later ones deleted).
//  2. Consume queues: load each; trailing entries the log does not back are cut.
//  3. Re-dispatch: scan the log from the earliest point any queue's last entry reaches (the
//     log start when a queue is empty or none exist) and append the entries the queues lack.
//     Dispatch is idempotent: a record whose QUEUEOFFSET a queue already holds is skipped.
//
// The same steps run after a clean shutdown and after a crash. What this does not do yet
// (the storage issue): CRC checks of record bodies, replay bounded by the checkpoint, and
// repair of holes inside a consume queue.
#pragma once

#include <optional>

#include "checkpoint.h"
#include "sprocket/plugin/status.h"
#include "store_core.h"

namespace sprocket::filelog {

Status RecoverStore(StoreCore& core, const std::optional<CheckpointData>& checkpoint);

}  // namespace sprocket::filelog
