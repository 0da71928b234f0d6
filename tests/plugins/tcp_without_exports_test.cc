// Built without ENABLE_EXPORTS on purpose (see CMakeLists.txt here): in such a program the
// tcp plugin cannot see the host's Boost.Asio thread state, and must refuse to start with a
// message saying how to fix the build, rather than crash on the first connection.
#include <gtest/gtest.h>

#include "plugin_host/plugin_loader.h"
#include "support/test_plugin_host.h"

namespace sprocket {
namespace {

class NullSink : public FrameSink {
 public:
  void OnOpen(const std::shared_ptr<Session>&) override {}
  void OnFrame(const std::shared_ptr<Session>&, std::string_view) override {}
  void OnClose(const std::shared_ptr<Session>&, std::string_view) override {}
};

TEST(TcpWithoutExportsTest, StartRefusesWithAClearMessage) {
  testing::TestPluginHost host(2, {{"bindAddress", "127.0.0.1"}, {"listenPort", "0"}});
  auto transport = PluginLoader(SPROCKET_PLUGIN_DIR).CreateTransport("tcp", host);
  ASSERT_TRUE(transport.ok()) << transport.status().ToString();
  NullSink sink;
  Status s = transport.value()->Start(&sink);
  EXPECT_EQ(s.code(), Status::Code::kNotSupported) << s.ToString();
  EXPECT_NE(s.message().find("ENABLE_EXPORTS"), std::string::npos) << s.message();
  EXPECT_TRUE(transport.value()->BoundEndpoints().empty());
}

}  // namespace
}  // namespace sprocket
