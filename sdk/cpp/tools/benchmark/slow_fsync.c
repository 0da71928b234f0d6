// slow_fsync.so: a slower disk for the SYNC_FLUSH figures (LD_PRELOAD, benchmarks only).
//
// This VM's fdatasync takes 0.1-0.2 ms, less than the CPU time a 2-core machine spends on
// one window of 32 or 256 sends, so a SYNC_FLUSH send's latency here is mostly that CPU
// time, not the disk's. To show what group commit does on a disk whose flush costs more
// (the issue that set the figures saw 0.15-4 ms on this machine), run the store or the
// broker, and the probe, with this library preloaded:
//
//   LD_PRELOAD=.../slow_fsync.so SPROCKET_SLOW_FSYNC_US=1000 mqbench_store ...
//
// Every fsync/fdatasync then returns SPROCKET_SLOW_FSYNC_US microseconds after the real
// one: the data is as durable as before, only later. Without the variable (or with 0) the
// calls are forwarded unchanged.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static long DelayMicros(void) {
  static long delay = -1;  // racy first read is harmless: every thread computes the same value
  if (delay < 0) {
    const char* v = getenv("SPROCKET_SLOW_FSYNC_US");
    long d = v ? strtol(v, NULL, 10) : 0;
    delay = d > 0 ? d : 0;
  }
  return delay;
}

static void Delay(void) {
  long us = DelayMicros();
  if (us == 0) return;
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

// Calls the real `name` (looked up once into *real), then waits.
static int Slowed(int (**real)(int), const char* name, int fd) {
  if (!*real) *real = (int (*)(int))dlsym(RTLD_NEXT, name);
  int rc = (*real)(fd);
  Delay();
  return rc;
}

int fsync(int fd) {
  static int (*real)(int);
  return Slowed(&real, "fsync", fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  return Slowed(&real, "fdatasync", fd);
}
