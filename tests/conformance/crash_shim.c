// crash_shim.so: simulated power loss for the storage conformance suite (LD_PRELOAD).
//
// A SIGKILL does not lose data the process wrote: the page cache survives it. A power loss
// does lose everything that was not synced. To test that, the crash child runs with this
// library preloaded; it keeps, for every file under $SPROCKET_CRASH_DATA_DIR, a copy in
// $SPROCKET_CRASH_SHADOW_DIR of what the disk would hold if the power went now:
//
//   fsync / fdatasync (fd)           the whole file is copied (content and size)
//   msync(MS_SYNC) of a file mapping the mapped byte range is copied (mappings are found in
//                                    /proc/self/maps; the size follows the file, as datasync)
//   sync_file_range(WRITE|WAIT_AFTER) the range is copied
//   write/pwrite/writev/pwritev on a file opened O_SYNC or O_DSYNC: the file is copied
//   fsync of a directory             its entries' names become durable: new ones appear in the
//                                    shadow (a file whose data was never synced appears empty),
//                                    removed ones disappear
//   sync / syncfs                    the whole tree is copied
//   rename / renameat / renameat2    mirrored at once; a file whose data was never synced
//                                    arrives empty under its new name (the zero-length-file
//                                    outcome of renaming an unsynced file)
//   unlink / unlinkat / rmdir / remove  mirrored at once
// A file that is never synced does not exist in the shadow: its name dies with it. The
// first sync of a file makes its name durable with it (ext4 and xfs behave so).
// After the child is killed, the test replaces the data directory with the shadow.
//
// Paths are resolved when a sync happens (/proc/self/fd, /proc/self/maps), so files opened
// any way (fopen, std::ofstream, openat) are covered; only O_SYNC opens are tracked by fd.
// Copies go block by block and only rewrite blocks that differ, so a kill in the middle of a
// sync leaves a mix of old and new blocks, as a power cut during a real one would.
// Without the two environment variables the library does nothing but forward calls.
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

// --- The real functions (the next definition after ours), resolved on first use.
#define REAL(ret, name, ...)                                             \
  static ret (*real_##name)(__VA_ARGS__);                                \
  static ret (*get_##name(void))(__VA_ARGS__) {                          \
    if (!real_##name) *(void**)(&real_##name) = dlsym(RTLD_NEXT, #name); \
    return real_##name;                                                  \
  }
REAL(int, open, const char*, int, ...)
REAL(int, open64, const char*, int, ...)
REAL(int, openat, int, const char*, int, ...)
REAL(int, openat64, int, const char*, int, ...)
REAL(int, close, int)
REAL(int, fsync, int)
REAL(int, fdatasync, int)
REAL(int, msync, void*, size_t, int)
REAL(int, sync_file_range, int, off64_t, off64_t, unsigned int)
REAL(void, sync, void)
REAL(int, syncfs, int)
REAL(int, rename, const char*, const char*)
REAL(int, renameat, int, const char*, int, const char*)
REAL(int, renameat2, int, const char*, int, const char*, unsigned int)
REAL(int, unlink, const char*)
REAL(int, unlinkat, int, const char*, int)
REAL(int, rmdir, const char*)
REAL(int, remove, const char*)
REAL(ssize_t, write, int, const void*, size_t)
REAL(ssize_t, pwrite, int, const void*, size_t, off_t)
REAL(ssize_t, pwrite64, int, const void*, size_t, off64_t)
REAL(ssize_t, writev, int, const struct iovec*, int)
REAL(ssize_t, pwritev, int, const struct iovec*, int, off_t)
REAL(ssize_t, pwritev64, int, const struct iovec*, int, off64_t)
REAL(ssize_t, pread, int, void*, size_t, off_t)

// --- Configuration, read once.
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_active;
static char g_data[PATH_MAX];  // realpath of the data directory
static size_t g_data_len;
static char g_shadow[PATH_MAX];
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;  // one shadow update at a time

// fds opened with O_SYNC/O_DSYNC under the data directory: every write through them is a sync.
#define MAX_TRACKED_FD 65536
static unsigned char g_dsync_fd[MAX_TRACKED_FD];

static void Init(void) {
  const char* d = getenv("SPROCKET_CRASH_DATA_DIR");
  const char* s = getenv("SPROCKET_CRASH_SHADOW_DIR");
  if (!d || !s || !realpath(d, g_data) || strlen(s) >= sizeof g_shadow) return;
  strcpy(g_shadow, s);
  g_data_len = strlen(g_data);
  g_active = 1;
}
static int Active(void) {
  pthread_once(&g_once, Init);
  return g_active;
}

// Whether an absolute path lies under the data directory; sets *rel to the part after it.
static int Under(const char* path, const char** rel) {
  if (strncmp(path, g_data, g_data_len) != 0) return 0;
  if (path[g_data_len] != '/' && path[g_data_len] != '\0') return 0;
  *rel = path + g_data_len;
  return 1;
}

static int ShadowPath(const char* path, char* out) {
  const char* rel;
  if (!Under(path, &rel)) return 0;
  return snprintf(out, PATH_MAX, "%s%s", g_shadow, rel) < PATH_MAX;
}

// The path an fd refers to now (after any rename); 0 when deleted or not a path.
static int FdPath(int fd, char* out) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, out, PATH_MAX - 1);
  if (n <= 0) return 0;
  out[n] = '\0';
  const char* deleted = " (deleted)";
  size_t dl = strlen(deleted);
  if ((size_t)n > dl && strcmp(out + n - dl, deleted) == 0) return 0;
  return out[0] == '/';
}

// An absolute, symlink-free path for (dirfd, path) whose parent exists; 0 when unknown.
static int ResolveAt(int dirfd, const char* path, char* out) {
  char joined[PATH_MAX], parent[PATH_MAX];
  if (path[0] == '/') {
    if (snprintf(joined, sizeof joined, "%s", path) >= PATH_MAX) return 0;
  } else {
    char base[PATH_MAX];
    if (dirfd == AT_FDCWD) {
      if (!getcwd(base, sizeof base)) return 0;
    } else if (!FdPath(dirfd, base)) {
      return 0;
    }
    if (snprintf(joined, sizeof joined, "%s/%s", base, path) >= PATH_MAX) return 0;
  }
  size_t len = strlen(joined);
  while (len > 1 && joined[len - 1] == '/') joined[--len] = '\0';
  char* slash = strrchr(joined, '/');
  const char* name = slash + 1;
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || *name == '\0') return 0;
  *slash = '\0';
  if (!realpath(slash == joined ? "/" : joined, parent)) return 0;
  return snprintf(out, PATH_MAX, "%s/%s", strcmp(parent, "/") == 0 ? "" : parent, name) < PATH_MAX;
}

static void MakeParents(const char* path) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s", path);
  for (char* s = p + 1; *s; ++s) {
    if (*s != '/') continue;
    *s = '\0';
    mkdir(p, 0755);
    *s = '/';
  }
}

static void RemoveTree(const char* path) {
  struct stat st;
  if (lstat(path, &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    DIR* d = opendir(path);
    if (d) {
      struct dirent* e;
      while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char child[PATH_MAX];
        if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) < PATH_MAX) RemoveTree(child);
      }
      closedir(d);
    }
    get_rmdir()(path);
  } else {
    get_unlink()(path);
  }
}

// Copies bytes [from, to) of `path` to its shadow, rewriting only the blocks that differ, and
// gives the shadow the file's size. whole: the entire file.
static void CopyToShadow(const char* path, off_t from, off_t to, int whole) {
  char shadow[PATH_MAX];
  if (!ShadowPath(path, shadow)) return;
  int src = get_open()(path, O_RDONLY | O_CLOEXEC);
  if (src < 0) return;
  struct stat st;
  if (fstat(src, &st) != 0 || !S_ISREG(st.st_mode)) {
    get_close()(src);
    return;
  }
  MakeParents(shadow);
  int dst = get_open()(shadow, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (dst < 0) {
    get_close()(src);
    return;
  }
  // Should this fail, nothing is copied: the test then reports the data as lost.
  if (ftruncate(dst, st.st_size) != 0) st.st_size = 0;
  if (whole) {
    from = 0;
    to = st.st_size;
  }
  if (to > st.st_size) to = st.st_size;
  static char a[1 << 16], b[1 << 16];  // under g_mu
  for (off_t at = from; at < to;) {
    size_t want = (size_t)(to - at) < sizeof a ? (size_t)(to - at) : sizeof a;
    ssize_t n = get_pread()(src, a, want, at);
    if (n <= 0) break;
    ssize_t m = get_pread()(dst, b, (size_t)n, at);
    if (m != n || memcmp(a, b, (size_t)n) != 0) get_pwrite()(dst, a, (size_t)n, at);
    at += n;
  }
  get_close()(dst);
  get_close()(src);
}

static int Exists(const char* path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

// A name became durable without its data: an empty file (or a directory) in the shadow.
static void ShadowNameOnly(const char* path) {
  char shadow[PATH_MAX];
  struct stat st;
  if (!ShadowPath(path, shadow) || stat(path, &st) != 0) return;
  MakeParents(shadow);
  if (S_ISDIR(st.st_mode)) {
    mkdir(shadow, 0755);
  } else if (!Exists(shadow)) {
    int fd = get_open()(shadow, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) get_close()(fd);
  }
}

// fsync of a directory: its current entries are the durable ones.
static void SyncDirectory(const char* dir) {
  char shadow[PATH_MAX];
  if (!ShadowPath(dir, shadow)) return;
  MakeParents(shadow);
  mkdir(shadow, 0755);
  DIR* d = opendir(dir);
  if (d) {
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char child[PATH_MAX];
      if (snprintf(child, sizeof child, "%s/%s", dir, e->d_name) < PATH_MAX) ShadowNameOnly(child);
    }
    closedir(d);
  }
  d = opendir(shadow);
  if (d) {
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      char real[PATH_MAX], copy[PATH_MAX];
      if (snprintf(real, sizeof real, "%s/%s", dir, e->d_name) >= PATH_MAX ||
          snprintf(copy, sizeof copy, "%s/%s", shadow, e->d_name) >= PATH_MAX)
        continue;
      if (!Exists(real)) RemoveTree(copy);
    }
    closedir(d);
  }
}

static void SyncFd(int fd) {
  char path[PATH_MAX];
  const char* rel;
  struct stat st;
  if (!FdPath(fd, path) || !Under(path, &rel) || fstat(fd, &st) != 0) return;
  pthread_mutex_lock(&g_mu);
  if (S_ISDIR(st.st_mode)) {
    SyncDirectory(path);
  } else {
    CopyToShadow(path, 0, 0, 1);
  }
  pthread_mutex_unlock(&g_mu);
}

// sync(): copy the whole tree (and drop what no longer exists).
static void SyncTree(const char* dir) {
  SyncDirectory(dir);
  DIR* d = opendir(dir);
  if (!d) return;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char child[PATH_MAX];
    struct stat st;
    if (snprintf(child, sizeof child, "%s/%s", dir, e->d_name) >= PATH_MAX || lstat(child, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      SyncTree(child);
    } else if (S_ISREG(st.st_mode)) {
      CopyToShadow(child, 0, 0, 1);
    }
  }
  closedir(d);
}

static void SyncAll(void) {
  pthread_mutex_lock(&g_mu);
  SyncTree(g_data);
  pthread_mutex_unlock(&g_mu);
}

// msync: find the file mappings that overlap [addr, addr + len) and copy those bytes.
static void SyncMapped(void* addr, size_t len) {
  int fd = get_open()("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  size_t cap = 1 << 16, used = 0;
  char* buf = malloc(cap);
  ssize_t n;
  while (buf && (n = read(fd, buf + used, cap - used - 1)) > 0) {
    used += (size_t)n;
    if (cap - used < 4096) {
      char* bigger = realloc(buf, cap * 2);
      if (!bigger) break;
      buf = bigger;
      cap *= 2;
    }
  }
  get_close()(fd);
  if (!buf) return;
  buf[used] = '\0';
  const uintptr_t lo = (uintptr_t)addr, hi = lo + len;
  pthread_mutex_lock(&g_mu);
  for (char* line = buf; line && *line;) {
    char* next = strchr(line, '\n');
    if (next) *next++ = '\0';
    unsigned long start, end, offset;
    int path_at = 0;
    if (sscanf(line, "%lx-%lx %*s %lx %*s %*s %n", &start, &end, &offset, &path_at) == 3 && path_at > 0 &&
        line[path_at] == '/' && start < hi && end > lo) {
      const char* path = line + path_at;
      const char* rel;
      if (Under(path, &rel) && !strstr(path, " (deleted)")) {
        const uintptr_t a = lo > start ? lo : start, b = hi < end ? hi : end;
        CopyToShadow(path, (off_t)(offset + (a - start)), (off_t)(offset + (b - start)), 0);
      }
    }
    line = next;
  }
  pthread_mutex_unlock(&g_mu);
  free(buf);
}

// --- Interposed functions.

EXPORT int fsync(int fd) {
  int r = get_fsync()(fd);
  if (r == 0 && Active()) SyncFd(fd);
  return r;
}

EXPORT int fdatasync(int fd) {
  int r = get_fdatasync()(fd);
  if (r == 0 && Active()) SyncFd(fd);
  return r;
}

EXPORT int msync(void* addr, size_t len, int flags) {
  int r = get_msync()(addr, len, flags);
  if (r == 0 && (flags & MS_SYNC) && Active()) SyncMapped(addr, len);
  return r;
}

EXPORT int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
  int r = get_sync_file_range()(fd, offset, nbytes, flags);
  const unsigned int waits = SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
  if (r == 0 && (flags & waits) == waits && Active()) {
    char path[PATH_MAX];
    const char* rel;
    if (FdPath(fd, path) && Under(path, &rel)) {
      pthread_mutex_lock(&g_mu);
      CopyToShadow(path, offset, nbytes == 0 ? (off_t)INT64_MAX : offset + nbytes, 0);
      pthread_mutex_unlock(&g_mu);
    }
  }
  return r;
}

EXPORT void sync(void) {
  get_sync()();
  if (Active()) SyncAll();
}

EXPORT int syncfs(int fd) {
  int r = get_syncfs()(fd);
  if (r == 0 && Active()) SyncAll();
  return r;
}

// rename: the shadow follows at once (see the top of the file).
static void MirrorRename(const char* from, const char* to, unsigned int flags) {
  char sf[PATH_MAX], st[PATH_MAX];
  const int from_in = ShadowPath(from, sf), to_in = ShadowPath(to, st);
  pthread_mutex_lock(&g_mu);
  if (from_in && to_in && (flags & RENAME_EXCHANGE)) {
    char tmp[PATH_MAX + 32];
    if (snprintf(tmp, sizeof tmp, "%s.crash-shim-exchange", st) < (int)sizeof tmp) {
      get_rename()(sf, tmp);
      get_rename()(st, sf);
      get_rename()(tmp, st);
    }
  } else if (from_in && to_in && Exists(sf)) {
    MakeParents(st);
    if (get_rename()(sf, st) != 0) {  // e.g. over a non-empty directory: replace it
      RemoveTree(st);
      get_rename()(sf, st);
    }
  } else {
    if (from_in) RemoveTree(sf);
    if (to_in) {
      RemoveTree(st);
      ShadowNameOnly(to);  // its data was never synced where we could see it
    }
  }
  pthread_mutex_unlock(&g_mu);
}

EXPORT int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
                     unsigned int flags) {
  char from[PATH_MAX], to[PATH_MAX];
  const int known = Active() && ResolveAt(olddirfd, oldpath, from) && ResolveAt(newdirfd, newpath, to);
  int r = get_renameat2()(olddirfd, oldpath, newdirfd, newpath, flags);
  if (r == 0 && known) MirrorRename(from, to, flags);
  return r;
}

EXPORT int renameat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath) {
  char from[PATH_MAX], to[PATH_MAX];
  const int known = Active() && ResolveAt(olddirfd, oldpath, from) && ResolveAt(newdirfd, newpath, to);
  int r = get_renameat()(olddirfd, oldpath, newdirfd, newpath);
  if (r == 0 && known) MirrorRename(from, to, 0);
  return r;
}

EXPORT int rename(const char* oldpath, const char* newpath) {
  char from[PATH_MAX], to[PATH_MAX];
  const int known = Active() && ResolveAt(AT_FDCWD, oldpath, from) && ResolveAt(AT_FDCWD, newpath, to);
  int r = get_rename()(oldpath, newpath);
  if (r == 0 && known) MirrorRename(from, to, 0);
  return r;
}

static void MirrorRemove(const char* path) {
  char shadow[PATH_MAX];
  if (!ShadowPath(path, shadow)) return;
  pthread_mutex_lock(&g_mu);
  RemoveTree(shadow);
  pthread_mutex_unlock(&g_mu);
}

EXPORT int unlinkat(int dirfd, const char* path, int flags) {
  char abs[PATH_MAX];
  const int known = Active() && ResolveAt(dirfd, path, abs);
  int r = get_unlinkat()(dirfd, path, flags);
  if (r == 0 && known) MirrorRemove(abs);
  return r;
}

EXPORT int unlink(const char* path) {
  char abs[PATH_MAX];
  const int known = Active() && ResolveAt(AT_FDCWD, path, abs);
  int r = get_unlink()(path);
  if (r == 0 && known) MirrorRemove(abs);
  return r;
}

EXPORT int rmdir(const char* path) {
  char abs[PATH_MAX];
  const int known = Active() && ResolveAt(AT_FDCWD, path, abs);
  int r = get_rmdir()(path);
  if (r == 0 && known) MirrorRemove(abs);
  return r;
}

EXPORT int remove(const char* path) {
  char abs[PATH_MAX];
  const int known = Active() && ResolveAt(AT_FDCWD, path, abs);
  int r = get_remove()(path);
  if (r == 0 && known) MirrorRemove(abs);
  return r;
}

// --- O_SYNC / O_DSYNC files: every write is durable when it returns.

static void TrackOpen(int fd, int flags) {
  if (fd < 0 || fd >= MAX_TRACKED_FD) return;
  g_dsync_fd[fd] = 0;
  if (!(flags & O_DSYNC) || !Active()) return;  // O_SYNC includes the O_DSYNC bit
  char path[PATH_MAX];
  const char* rel;
  if (FdPath(fd, path) && Under(path, &rel)) g_dsync_fd[fd] = 1;
}

static void AfterWrite(int fd, ssize_t written) {
  if (written > 0 && fd >= 0 && fd < MAX_TRACKED_FD && g_dsync_fd[fd]) SyncFd(fd);
}

static mode_t ModeArg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

EXPORT int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  int fd = get_open()(path, flags, mode);
  TrackOpen(fd, flags);
  return fd;
}

EXPORT int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  int fd = get_open64()(path, flags, mode);
  TrackOpen(fd, flags);
  return fd;
}

EXPORT int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  int fd = get_openat()(dirfd, path, flags, mode);
  TrackOpen(fd, flags);
  return fd;
}

EXPORT int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  int fd = get_openat64()(dirfd, path, flags, mode);
  TrackOpen(fd, flags);
  return fd;
}

EXPORT int close(int fd) {
  if (fd >= 0 && fd < MAX_TRACKED_FD) g_dsync_fd[fd] = 0;
  return get_close()(fd);
}

EXPORT ssize_t write(int fd, const void* buf, size_t n) {
  ssize_t r = get_write()(fd, buf, n);
  AfterWrite(fd, r);
  return r;
}

EXPORT ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  ssize_t r = get_pwrite()(fd, buf, n, off);
  AfterWrite(fd, r);
  return r;
}

EXPORT ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t off) {
  ssize_t r = get_pwrite64()(fd, buf, n, off);
  AfterWrite(fd, r);
  return r;
}

EXPORT ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  ssize_t r = get_writev()(fd, iov, cnt);
  AfterWrite(fd, r);
  return r;
}

EXPORT ssize_t pwritev(int fd, const struct iovec* iov, int cnt, off_t off) {
  ssize_t r = get_pwritev()(fd, iov, cnt, off);
  AfterWrite(fd, r);
  return r;
}

EXPORT ssize_t pwritev64(int fd, const struct iovec* iov, int cnt, off64_t off) {
  ssize_t r = get_pwritev64()(fd, iov, cnt, off);
  AfterWrite(fd, r);
  return r;
}
