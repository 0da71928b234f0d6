#include "support/test_process.h"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sprocket::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/sprocket-test-XXXXXX";
  char* p = ::mkdtemp(tmpl);
  path_ = p ? p : "/tmp/sprocket-test-fallback";
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ChildProcess::~ChildProcess() {
  Kill();
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
}

bool ChildProcess::Start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         const std::string& cwd) {
  // Reusable: a restarted broker keeps its ChildProcess.
  Kill();
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
  {
    std::lock_guard lock(mu_);
    lines_.clear();
    partial_.clear();
    stderr_.clear();
  }
  reaped_ = false;
  exit_status_ = -1;
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return false;
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    // Put the child in its own process group so a test's kill reaches its helpers too.
    ::setpgid(0, 0);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) _exit(126);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    // The test binary blocks no signals, but be explicit for the servers' sigwait.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  pid_ = pid;
  out_reader_ = std::thread([this, fd = out[0]] { ReadLoop(fd, true); });
  err_reader_ = std::thread([this, fd = err[0]] { ReadLoop(fd, false); });
  return true;
}

void ChildProcess::ReadLoop(int fd, bool is_stdout) {
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard lock(mu_);
    if (!is_stdout) {
      stderr_.append(buf, static_cast<size_t>(n));
      if (stderr_.size() > (8u << 20)) stderr_.erase(0, stderr_.size() - (4u << 20));
      continue;
    }
    partial_.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = partial_.find('\n')) != std::string::npos) {
      lines_.push_back(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
  }
  ::close(fd);
}

std::string ChildProcess::WaitForLine(const std::string& prefix, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu_);
      for (const auto& l : lines_)
        if (l.rfind(prefix, 0) == 0) return l;
    }
    if (!Running()) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

bool ChildProcess::WaitForOutput(const std::string& text, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    {
      std::lock_guard lock(mu_);
      for (const auto& l : lines_)
        if (l.find(text) != std::string::npos) return true;
      if (partial_.find(text) != std::string::npos || stderr_.find(text) != std::string::npos) return true;
    }
    if (std::chrono::steady_clock::now() >= deadline || !Running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::vector<std::string> ChildProcess::Lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

std::string ChildProcess::Stderr() const {
  std::lock_guard lock(mu_);
  return stderr_;
}

bool ChildProcess::Running() {
  if (pid_ <= 0 || reaped_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    // The pipes are at EOF now; let the readers take in the last bytes before anyone
    // looks at the output.
    if (out_reader_.joinable() && out_reader_.get_id() != std::this_thread::get_id()) out_reader_.join();
    if (err_reader_.joinable() && err_reader_.get_id() != std::this_thread::get_id()) err_reader_.join();
    return false;
  }
  return r == 0;
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_status_;
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (!Running()) return exit_status_;
  ::kill(pid_, SIGTERM);
  int rc = Wait(grace);
  if (rc == -1) {
    Kill();
    return -1;
  }
  return rc;
}

void ChildProcess::Kill() {
  if (!Running()) return;
  ::kill(-pid_, SIGKILL);  // the whole process group
  ::kill(pid_, SIGKILL);
  Wait(std::chrono::seconds(10));
}

std::map<std::string, int> ParseEndpoints(const std::string& line) {
  std::map<std::string, int> out;
  std::istringstream in(line.substr(line.find(':') + 1));
  std::string tok;
  while (in >> tok) {
    auto eq = tok.find('=');
    auto colon = tok.rfind(':');
    if (eq == std::string::npos || colon == std::string::npos) continue;
    out[tok.substr(0, eq)] = std::atoi(tok.c_str() + colon + 1);
  }
  return out;
}

std::string BinPath(const std::string& program) { return std::string(SPROCKET_BIN_DIR) + "/" + program; }

MiniCluster::MiniCluster() : MiniCluster(Options{}) {}

MiniCluster::MiniCluster(Options options) : options_(std::move(options)) {
  store_dir_ = dir_.Sub("store");
  bool ok = StartNamesrv();
  if (ok && options_.second_namesrv) {
    ok = StartOneNamesrv(namesrv2_, dir_.Sub("namesrv2/kvConfig.json"), &namesrv2_port_);
  }
  if (ok && options_.start_broker) StartBroker();
}

MiniCluster::~MiniCluster() {
  broker_.Stop(std::chrono::seconds(10));
  namesrv_.Stop(std::chrono::seconds(10));
  namesrv2_.Stop(std::chrono::seconds(10));
}

std::string MiniCluster::namesrv_addr() const {
  if (!options_.second_namesrv) return namesrv_addr(0);
  return namesrv_addr(0) + ";" + namesrv_addr(1);
}

bool MiniCluster::StartNamesrv() {
  return StartOneNamesrv(namesrv_, dir_.Sub("namesrv/kvConfig.json"), &namesrv_port_);
}

bool MiniCluster::StartOneNamesrv(ChildProcess& process, const std::string& kv_path, int* port) {
  std::vector<std::string> argv = {BinPath("mqnamesrv"), "-D", "listenPort=0", "-D", "bindAddress=127.0.0.1",
                                   "-D", "kvConfigPath=" + kv_path,
                                   "-D", "pluginDir=" SPROCKET_PLUGIN_DIR};
  for (const auto& [k, v] : options_.namesrv_extra) {
    argv.push_back("-D");
    argv.push_back(k + "=" + v);
  }
  if (!process.Start(argv)) return false;
  std::string line = process.WaitForLine("Sprocket endpoints:", std::chrono::seconds(20));
  *port = ParseEndpoints(line)["main"];
  return *port > 0;
}

bool MiniCluster::StartBroker() {
  std::vector<std::string> argv = {BinPath("mqbroker"), "-n", namesrv_addr(),
                                   "-D", "listenPort=" + std::to_string(broker_port_),
                                   "-D", "bindAddress=127.0.0.1", "-D", "brokerIP1=127.0.0.1",
                                   "-D", "brokerName=broker-a", "-D", "storePathRootDir=" + store_dir_,
                                   "-D", "pluginDir=" SPROCKET_PLUGIN_DIR};
  for (const auto& [k, v] : options_.broker_extra) {
    argv.push_back("-D");
    argv.push_back(k + "=" + v);
  }
  if (!broker_.Start(argv)) return false;
  std::string line = broker_.WaitForLine("Sprocket endpoints:", std::chrono::seconds(30));
  broker_port_ = ParseEndpoints(line)["main"];
  return broker_port_ > 0;
}

void MiniCluster::StopBroker(bool clean) {
  if (clean) {
    broker_.Stop(std::chrono::seconds(20));
  } else {
    broker_.Kill();
  }
}

}  // namespace sprocket::testing
