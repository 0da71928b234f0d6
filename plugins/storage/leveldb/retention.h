// Retention (storage.h: DeleteExpired) on the LevelDB store.
//
// Units are ranges of mappedFileSizeCommitLog bytes of log positions; a record belongs to
// the unit it starts in. Deleting units happens in three steps:
//   1. under the write mutex, one synced batch moves the log start and every queue's min
//      offset past the deleted units: from then on reads below them get NotFound or
//      OFFSET_TOO_SMALL, also after a crash;
//   2. the records, queue entries and key-index buckets below the new starts are deleted in
//      batches of bounded size (readers never look there any more);
//   3. LevelDB compacts the deleted record and key-index ranges to give the disk back.
// A crash between 1 and 2 leaves entries below the starts; PurgeLeftovers, run on open,
// deletes them.
#pragma once

#include "sprocket/plugin/storage.h"
#include "store_core.h"

namespace sprocket::leveldb_store {

Result<RetentionResult> DeleteExpiredUnits(StoreCore& core, const RetentionPolicy& policy);
Status PurgeLeftovers(StoreCore& core);

}  // namespace sprocket::leveldb_store
