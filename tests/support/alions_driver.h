// Running tests/compat/node/alions_driver.js (the unmodified ali-ons client) as a child
// process against a MiniCluster, and reading the JSON events it prints.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/broker_requests.h"
#include "support/test_process.h"

namespace sprocket::testing {

inline std::string AliOnsNodeDir() { return std::string(SPROCKET_SOURCE_DIR) + "/tests/compat/node"; }

// A fixture with a running cluster; fails the test when ali-ons is not installed.
class AliOnsFixture : public ::testing::Test {
 protected:
  explicit AliOnsFixture(MiniCluster::Options options = {}) : cluster_(std::move(options)) {}

  void SetUp() override {
    if (!std::filesystem::exists(AliOnsNodeDir() + "/node_modules/ali-ons")) {
      GTEST_FAIL() << "ali-ons is not installed: run `npm ci` in tests/compat/node (scripts/test.sh does)";
    }
    ASSERT_GT(cluster_.broker_port(), 0) << cluster_.broker().Stderr();
  }

  void CreateTopic(const std::string& topic, int queues) {
    ASSERT_TRUE(CreateTopicAndWait(cluster_.broker_addr(), cluster_.namesrv_addr(), topic, queues));
  }

  // `node alions_driver.js args...`, with HOME in the cluster's temp dir (ali-ons keeps
  // local offset files there).
  bool StartDriver(ChildProcess& p, std::vector<std::string> args) {
    std::vector<std::string> argv = {"node", AliOnsNodeDir() + "/alions_driver.js"};
    argv.insert(argv.end(), args.begin(), args.end());
    return p.Start(argv, {{"HOME", cluster_.dir().path()}}, AliOnsNodeDir());
  }

  // Every event of `kind` printed so far.
  static std::vector<nlohmann::json> Events(ChildProcess& p, const std::string& kind) {
    std::vector<nlohmann::json> out;
    for (const auto& line : p.Lines()) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.value("event", "") == kind) out.push_back(j);
    }
    return out;
  }
  // The first event of `kind`, waiting up to `timeout`; null when none came.
  static nlohmann::json Event(ChildProcess& p, const std::string& kind, std::chrono::milliseconds timeout) {
    std::string line = p.WaitForLine("{\"event\":\"" + kind + "\"", timeout);
    return line.empty() ? nlohmann::json() : nlohmann::json::parse(line, nullptr, false);
  }
  // The latest {"event":"queues","n":N} of a consume driver; -1 before the first.
  static int OwnedQueues(ChildProcess& p) {
    auto events = Events(p, "queues");
    return events.empty() ? -1 : events.back()["n"].get<int>();
  }

  MiniCluster cluster_;
};

}  // namespace sprocket::testing
