// mqadmin run as a child process against a MiniCluster, and parsers for what it prints
// (RocketMQ's table layouts). Shared by tests/integration/mqadmin_*_test.cc.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/test_process.h"

namespace sprocket::testing {

using namespace std::chrono_literals;

struct AdminRun {
  int rc = -1;
  std::vector<std::string> lines;  // stdout
  std::string err;
  std::string Out() const {
    std::string s;
    for (const auto& l : lines) s += l + "\n";
    return s;
  }
  bool HasLine(const std::string& text) const {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l == text; });
  }
};

// Runs mqadmin with `args`; a run longer than `limit` is killed and fails the test.
inline AdminRun Admin(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
               std::chrono::milliseconds limit = 60s) {
  std::vector<std::string> argv = {BinPath("mqadmin")};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess p;
  AdminRun run;
  if (!p.Start(argv, env)) {
    ADD_FAILURE() << "cannot start mqadmin";
    return run;
  }
  run.rc = p.Wait(limit);
  if (run.rc == -1) {
    p.Kill();
    ADD_FAILURE() << "mqadmin did not finish within " << limit.count() << " ms";
  }
  run.lines = p.Lines();
  run.err = p.Stderr();
  return run;
}

// A command against `cluster`'s nameserver.
inline AdminRun Admin(MiniCluster& cluster, std::vector<std::string> args) {
  args.push_back("-n");
  args.push_back(cluster.namesrv_addr());
  return Admin(args);
}

inline std::vector<std::string> Tokens(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  std::string t;
  while (in >> t) out.push_back(t);
  return out;
}

// Rows of a table: the lines after the one starting with `header`, up to a blank line;
// each split on whitespace.
inline std::vector<std::vector<std::string>> Rows(const AdminRun& run, const std::string& header) {
  std::vector<std::vector<std::string>> rows;
  bool in_table = false;
  for (const auto& l : run.lines) {
    if (!in_table) {
      in_table = l.rfind(header, 0) == 0;
      continue;
    }
    auto t = Tokens(l);
    if (t.empty()) break;
    rows.push_back(std::move(t));
  }
  return rows;
}

// The value after "<label>: " on the line starting with it.
inline std::string Labeled(const AdminRun& run, const std::string& label) {
  for (const auto& l : run.lines) {
    if (l.rfind(label + ": ", 0) == 0) return l.substr(label.size() + 2);
  }
  return "";
}

// Polls `fn` until it returns true or `limit` passes.
template <typename Fn>
bool Eventually(Fn fn, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (fn()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(200ms);
  }
}

// The broker registers with the nameserver shortly after it prints its endpoints.
inline void WaitForBroker(MiniCluster& cluster) {
  ASSERT_TRUE(
      Eventually([&] { return Rows(Admin(cluster, {"clusterList"}), "#Cluster Name").size() == 1; }, 10s));
}

}  // namespace sprocket::testing
