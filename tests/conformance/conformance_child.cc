// The crash child of the storage conformance suite (conformance_crash.cc).
//
// Workload mode: opens a store through the PluginLoader, prints "READY", then appends the
// crash workload (conformance_records.h) with several calls in flight and writes one line
// per acknowledged record to the ack file:
//   ACK <seq> <queue offset> <log position> <size>      (status OK)
//   NACK <seq> <status>                                 (anything else)
// until it is killed. It never closes the store: the test kills it (SIGKILL), possibly
// under crash_shim.so, which turns the kill into a power loss.
//
//   conformance_child --plugin_dir=D --plugin=NAME --data_dir=DIR --round=R --acks=FILE
//                     [--option=key=value ...] [--in_flight=16] [--max_records=20000]
//
// Shim self-test mode (--shim_selftest=DIR): performs one of each kind of file operation the
// shim models under DIR, prints "READY" and waits to be killed; the test then checks the
// shadow directory holds exactly the synced state.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "conformance_records.h"
#include "support/test_plugin_host.h"

namespace {

using namespace sprocket;

void Say(const std::string& line) {
  std::string l = line + "\n";
  if (::write(STDOUT_FILENO, l.data(), l.size()) < 0) _exit(3);
}

[[noreturn]] void WaitToBeKilled() {
  for (int i = 0; i < 600; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  _exit(0);  // the test kills long before; never leave a process behind
}

bool WriteFile(const std::string& path, const std::string& text, int extra_flags = 0) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | extra_flags, 0644);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

bool AppendAndMaybeSync(const std::string& path, const std::string& synced, const std::string& unsynced) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  bool ok = ::write(fd, synced.data(), synced.size()) == static_cast<ssize_t>(synced.size()) &&
            ::fsync(fd) == 0 &&
            ::write(fd, unsynced.data(), unsynced.size()) == static_cast<ssize_t>(unsynced.size());
  ::close(fd);
  return ok;
}

int ShimSelfTest(const std::string& dir) {
  auto fail = [](const char* what) {
    Say(std::string("ERROR ") + what + ": " + std::strerror(errno));
    return 2;
  };
  const std::string d = dir + "/";
  // a: synced, then more that is not.
  if (!AppendAndMaybeSync(d + "a", "synced", "-lost")) return fail("a");
  // b: never synced itself; the directory sync below makes its name (only) durable.
  if (!WriteFile(d + "b", "never")) return fail("b");
  // c: a mapped file; only its first page is msync'ed.
  int fd = ::open((d + "c").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::ftruncate(fd, 8192) != 0) return fail("c");
  char* m = static_cast<char*>(::mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  if (m == MAP_FAILED) return fail("mmap");
  std::memcpy(m, "mapped", 6);
  std::memcpy(m + 4096, "unsynced", 8);
  if (::msync(m, 4096, MS_SYNC) != 0) return fail("msync");
  // d: written to a temporary name, synced, renamed (the atomic-replace pattern).
  if (!AppendAndMaybeSync(d + "d.tmp", "renamed", "") ||
      ::rename((d + "d.tmp").c_str(), (d + "d").c_str()) != 0)
    return fail("d");
  // e: synced, then deleted.
  if (!AppendAndMaybeSync(d + "e", "gone", "") || ::unlink((d + "e").c_str()) != 0) return fail("e");
  // f: renamed without a sync: the name survives, the data does not.
  if (!WriteFile(d + "f.tmp", "unsynced") || ::rename((d + "f.tmp").c_str(), (d + "f").c_str()) != 0)
    return fail("f");
  // g: O_DSYNC writes are durable on return.
  if (!WriteFile(d + "g", "dsync", O_DSYNC)) return fail("g");
  // sub/h: a file in a new subdirectory, synced through fdatasync.
  if (::mkdir((d + "sub").c_str(), 0755) != 0) return fail("mkdir");
  fd = ::open((d + "sub/h").c_str(), O_WRONLY | O_CREAT, 0644);
  if (fd < 0 || ::write(fd, "deep", 4) != 4 || ::fdatasync(fd) != 0) return fail("sub/h");
  // i: an empty file made durable by an fsync of its directory.
  if (!WriteFile(d + "i", "")) return fail("i");
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0 || ::fsync(dfd) != 0) return fail("fsync dir");
  // j: fsync'ed through std::FILE (fopen bypasses our open): still seen at the sync.
  FILE* f = std::fopen((d + "j").c_str(), "w");
  if (f == nullptr || std::fputs("stdio", f) < 0 || std::fflush(f) != 0 || ::fsync(fileno(f)) != 0)
    return fail("j");
  // k: created after the directory sync and never synced: gone.
  if (!WriteFile(d + "k", "never")) return fail("k");
  Say("READY");
  WaitToBeKilled();
}

int Workload(const std::map<std::string, std::string>& args,
             const std::map<std::string, std::string>& options) {
  auto arg = [&](const std::string& k, const std::string& fallback = "") {
    auto it = args.find(k);
    return it == args.end() ? fallback : it->second;
  };
  const int64_t round = std::stoll(arg("round", "0"));
  const int64_t max_records = std::stoll(arg("max_records", "20000"));
  const int in_flight_max = std::stoi(arg("in_flight", "16"));
  int acks = ::open(arg("acks").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (acks < 0) {
    Say("ERROR cannot open the ack file " + arg("acks"));
    return 2;
  }

  testing::TestPluginHost host(1, options);
  host.SetDataDir(arg("data_dir"));
  PluginLoader loader(arg("plugin_dir"));
  Result<std::shared_ptr<MessageStore>> opened = loader.CreateStorage(arg("plugin"), host);
  if (!opened.ok()) {
    Say("ERROR " + opened.status().ToString());
    return 2;
  }
  std::shared_ptr<MessageStore> store = std::move(opened.value());
  Say("READY log_end=" + std::to_string(store->Stats().log_end.value));

  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  for (int64_t seq = 0; seq < max_records;) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight < in_flight_max; });
      ++in_flight;
    }
    const int64_t first = seq;
    std::vector<AppendRequest> reqs;
    for (int64_t k = 0; k <= first % 3 && seq < max_records; ++k, ++seq)
      reqs.push_back(conformance::CrashRecord(round, seq));
    store->Append(std::move(reqs), [&, first](std::span<const AppendResult> results) {
      // One write per completion, after the store reported the records stored (and synced).
      std::string lines;
      for (size_t i = 0; i < results.size(); ++i) {
        const AppendResult& r = results[i];
        const int64_t s = first + static_cast<int64_t>(i);
        if (r.status.ok()) {
          lines += "ACK " + std::to_string(s) + " " + std::to_string(r.queue_offset.value) + " " +
                   std::to_string(r.position.value) + " " + std::to_string(r.size) + "\n";
        } else {
          lines += "NACK " + std::to_string(s) + " " + r.status.ToString() + "\n";
        }
      }
      if (::write(acks, lines.data(), lines.size()) < 0) _exit(3);
      std::lock_guard lock(mu);
      --in_flight;
      cv.notify_all();
    });
  }
  Say("DONE");
  WaitToBeKilled();  // without Close: the store must recover from whatever state this is
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  std::map<std::string, std::string> options;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || a.find('=') == std::string::npos) {
      std::fprintf(stderr, "usage: see conformance_child.cc (bad argument %s)\n", a.c_str());
      return 2;
    }
    std::string key = a.substr(2, a.find('=') - 2), value = a.substr(a.find('=') + 1);
    if (key == "option") {
      const size_t eq = value.find('=');
      options[value.substr(0, eq)] = eq == std::string::npos ? "" : value.substr(eq + 1);
    } else {
      args[key] = value;
    }
  }
  if (args.count("shim_selftest")) return ShimSelfTest(args["shim_selftest"]);
  return Workload(args, options);
}
