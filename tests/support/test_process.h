// Test helpers for starting the real programs (mqnamesrv, mqbroker, examples, node
// drivers) as child processes on 127.0.0.1 with ephemeral ports and temp directories.
// Every process a test starts is stopped by the test (destructors kill what is left).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace sprocket::testing {

// A directory under /tmp removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A child process whose stdout and stderr are captured line by line.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // Kill() if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // argv[0] is the program path. `env` entries are added to the environment.
  bool Start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
             const std::string& cwd = "");
  pid_t pid() const { return pid_; }

  // Waits until a stdout line starts with `prefix`; returns the line or "" on timeout/exit.
  std::string WaitForLine(const std::string& prefix, std::chrono::milliseconds timeout);
  // Waits until the captured output contains `text` (or timeout/exit).
  bool WaitForOutput(const std::string& text, std::chrono::milliseconds timeout);
  std::vector<std::string> Lines() const;  // stdout lines so far
  std::string Stderr() const;

  // SIGTERM, then SIGKILL after `grace`; returns the exit status (as from waitpid) or -1.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  void Kill();  // SIGKILL and reap
  // Waits for exit; returns the exit code (or 128+signal), -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);
  bool Running();

 private:
  void ReadLoop(int fd, bool is_stdout);
  pid_t pid_ = -1;
  int exit_status_ = -1;
  bool reaped_ = false;
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  std::string partial_;
  std::string stderr_;
  std::thread out_reader_, err_reader_;
};

// Parses "Sprocket endpoints: main=127.0.0.1:40001 vip=..." into label -> port.
std::map<std::string, int> ParseEndpoints(const std::string& line);

std::string BinPath(const std::string& program);  // build/bin/<program>

// A nameserver and a broker on ephemeral ports in a temp dir.
class MiniCluster {
 public:
  struct Options {
    std::map<std::string, std::string> broker_extra;   // extra broker -D keys
    std::map<std::string, std::string> namesrv_extra;  // extra namesrv -D keys
    bool start_broker = true;
    bool second_namesrv = false;  // a second nameserver; the broker registers with both
  };
  MiniCluster();
  explicit MiniCluster(Options options);
  ~MiniCluster();

  bool StartNamesrv();
  bool StartBroker();
  // Stops the broker with SIGTERM (clean) or SIGKILL.
  void StopBroker(bool clean = true);

  // "127.0.0.1:p1" or, with a second nameserver, "127.0.0.1:p1;127.0.0.1:p2".
  std::string namesrv_addr() const;
  // One nameserver's address: 0 the first, 1 the second.
  std::string namesrv_addr(int i) const {
    return "127.0.0.1:" + std::to_string(i == 0 ? namesrv_port_ : namesrv2_port_);
  }
  std::string broker_addr() const { return "127.0.0.1:" + std::to_string(broker_port_); }
  int broker_port() const { return broker_port_; }
  const std::string& store_dir() const { return store_dir_; }
  ChildProcess& broker() { return broker_; }
  ChildProcess& namesrv() { return namesrv_; }
  ChildProcess& namesrv2() { return namesrv2_; }
  TempDir& dir() { return dir_; }

 private:
  Options options_;
  TempDir dir_;
  std::string store_dir_;
  bool StartOneNamesrv(ChildProcess& process, const std::string& kv_path, int* port);

  ChildProcess namesrv_, namesrv2_, broker_;
  int namesrv_port_ = 0, namesrv2_port_ = 0, broker_port_ = 0;
};

}  // namespace sprocket::testing
