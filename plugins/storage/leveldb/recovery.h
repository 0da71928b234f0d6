// Keeping the index DB and the records DB in agreement: cutting either at a log position
// (TruncateLog, and open after a crash), and rebuilding the index from the records.
//
// The records DB is the log; the index DB is derived from it. Appends write the records
// before their index entries, and both databases are synced together periodically
// (Mlog.synced_end says how far; with SYNC_FLUSH the records are also synced before every
// acknowledgement). After a crash:
//   - SIGKILL keeps everything both databases wrote; the records DB may hold records of a
//     group whose index batch was never written (never acknowledged);
//   - a power loss keeps each database's log up to its last sync, possibly with a hole after
//     it (pages reach the disk in any order, and LevelDB's recovery skips what it cannot
//     read), so the records DB may hold synced SYNC_FLUSH records the index lost.
// So on open, everything in the index from synced_end on is dropped and rebuilt from the
// records, which are walked from there while they follow each other: the first gap, or an
// entry that does not continue the log, ends the log, and the records after it are dropped.
// The store then holds a prefix of what was appended, and every record that was synced.
// TruncateLog cuts the records first, marking where (CutKey): when they end below the
// index's synced_end there, the index is cut where they end; without that mark, synced
// records are missing and open refuses with Corruption.
#pragma once

#include <cstdint>

#include "store_core.h"

namespace sprocket::leveldb_store {

// Drops every index entry at or after `cut` (queue runs, key-index entries), moves the
// queues' states and Mlog (log_end = synced_end = cut) back, in one synced index batch, and
// publishes the new ends. The records DB must hold a synced log up to `cut`. Under write_mu.
Status TruncateIndexFrom(StoreCore& core, int64_t cut);

// Drops every record block from `cut` on (the block holding `cut` keeps what lies before it),
// in synced batches of the records DB. `mark`: the first batch also records `cut` under
// CutKey (TruncateLog, which removes it once the index is cut too). Under write_mu.
Status CutRecordsFrom(StoreCore& core, int64_t cut, bool mark = false);

// On open, after LoadState and PurgeLeftovers: makes the index agree with the records DB as
// described above, and syncs both when anything changed.
Status RecoverAtOpen(StoreCore& core, int64_t synced_end);

}  // namespace sprocket::leveldb_store
