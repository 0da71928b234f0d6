// mqbroker refuses bad plugins and bad config with one clear line and a non-zero exit.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "support/test_process.h"

namespace sprocket {
namespace {

using namespace std::chrono_literals;
using testing::BinPath;
using testing::ChildProcess;
using testing::TempDir;

class BrokerStartupTest : public ::testing::Test {
 protected:
  BrokerStartupTest() {
    // A plugin dir holding the real tcp/none/filelog plugins and the broken test ones.
    plugin_dir_ = dir_.Sub("plugins");
    std::filesystem::create_directories(plugin_dir_);
    for (const char* p : {"transport_tcp.so", "auth_none.so", "storage_filelog.so"}) {
      std::filesystem::create_symlink(std::string(SPROCKET_PLUGIN_DIR) + "/" + p, plugin_dir_ + "/" + p);
    }
    for (const char* p : {"storage_wrongkind.so", "storage_oldabi.so", "storage_misnamed.so"}) {
      std::filesystem::create_symlink(std::string(SPROCKET_TEST_PLUGIN_DIR) + "/" + p, plugin_dir_ + "/" + p);
    }
  }

  // Runs mqbroker with the given keys; returns (exit code, stderr).
  std::pair<int, std::string> Run(std::vector<std::pair<std::string, std::string>> keys) {
    std::vector<std::string> argv = {BinPath("mqbroker"), "-D", "listenPort=0", "-D", "bindAddress=127.0.0.1",
                                     "-D", "storePathRootDir=" + dir_.Sub("store"), "-D", "pluginDir=" + plugin_dir_};
    for (auto& [k, v] : keys) {
      argv.push_back("-D");
      argv.push_back(k + "=" + v);
    }
    ChildProcess p;
    EXPECT_TRUE(p.Start(argv));
    int rc = p.Wait(20s);
    if (rc == -1) p.Kill();
    return {rc, p.Stderr()};
  }

  static int Lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

  TempDir dir_;
  std::string plugin_dir_;
};

TEST_F(BrokerStartupTest, UnknownStoragePlugin) {
  auto [rc, err] = Run({{"storePlugin", "nosuch"}});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.find("storage_nosuch.so"), std::string::npos) << err;
  EXPECT_EQ(Lines(err), 1) << err;
}

TEST_F(BrokerStartupTest, UnknownTransportPlugin) {
  auto [rc, err] = Run({{"transportPlugins", "tcp,carrierpigeon"}});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.find("transport_carrierpigeon.so"), std::string::npos) << err;
  EXPECT_EQ(Lines(err), 1) << err;
}

TEST_F(BrokerStartupTest, WrongKind) {
  auto [rc, err] = Run({{"storePlugin", "wrongkind"}});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.find("storage_wrongkind.so"), std::string::npos) << err;
  EXPECT_NE(err.find("transport"), std::string::npos) << err;
  EXPECT_EQ(Lines(err), 1) << err;
}

TEST_F(BrokerStartupTest, AbiMismatch) {
  auto [rc, err] = Run({{"storePlugin", "oldabi"}});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.find("storage_oldabi.so"), std::string::npos) << err;
  EXPECT_NE(err.find("ABI"), std::string::npos) << err;
  EXPECT_EQ(Lines(err), 1) << err;
}

TEST_F(BrokerStartupTest, UnknownConfigKey) {
  auto [rc, err] = Run({{"flushDiskTyp", "SYNC_FLUSH"}});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.find("unknown config key 'flushDiskTyp' (did you mean 'flushDiskType'?)"), std::string::npos) << err;
  EXPECT_EQ(Lines(err), 1) << err;
}

TEST_F(BrokerStartupTest, UnknownConfigKeyInFile) {
  std::string conf = dir_.Sub("broker.conf");
  FILE* f = std::fopen(conf.c_str(), "w");
  std::fputs("brokerName=b\n# comment\nstorePlugn=filelog\n", f);
  std::fclose(f);
  ChildProcess p;
  ASSERT_TRUE(p.Start({BinPath("mqbroker"), "-c", conf, "-D", "listenPort=0", "-D",
                       "storePathRootDir=" + dir_.Sub("store"), "-D", "pluginDir=" + plugin_dir_}));
  EXPECT_EQ(p.Wait(20s), 1);
  EXPECT_NE(p.Stderr().find("broker.conf:3: unknown config key 'storePlugn'"), std::string::npos) << p.Stderr();
}

TEST_F(BrokerStartupTest, BadValueAndUnbuiltFeatures) {
  auto [rc1, err1] = Run({{"listenPort", "abc"}});
  EXPECT_EQ(rc1, 1);
  EXPECT_NE(err1.find("listenPort"), std::string::npos) << err1;
  auto [rc2, err2] = Run({{"brokerRole", "SLAVE"}});
  EXPECT_EQ(rc2, 1);
  EXPECT_NE(err2.find("not implemented"), std::string::npos) << err2;
  auto [rc3, err3] = Run({{"flushDiskType", "SOMETIMES"}});
  EXPECT_EQ(rc3, 1);
  EXPECT_NE(err3.find("flushDiskType"), std::string::npos) << err3;
}

TEST_F(BrokerStartupTest, RocketMQKeyNotImplementedIsAWarningOnly) {
  ChildProcess p;
  ASSERT_TRUE(p.Start({BinPath("mqbroker"), "-D", "listenPort=0", "-D", "bindAddress=127.0.0.1", "-D",
                       "storePathRootDir=" + dir_.Sub("store"), "-D", "pluginDir=" + plugin_dir_, "-D",
                       "haListenPort=10912"}));
  EXPECT_FALSE(p.WaitForLine("Sprocket endpoints:", 20s).empty()) << p.Stderr();
  EXPECT_NE(p.Stderr().find("RocketMQ key 'haListenPort' is not implemented"), std::string::npos) << p.Stderr();
  EXPECT_EQ(p.Stop(), 0);
}

}  // namespace
}  // namespace sprocket
