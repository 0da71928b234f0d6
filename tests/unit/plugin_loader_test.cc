// PluginLoader: the lookup rule, every refusal (one line naming the file), and loading the
// real tcp and none plugins. The misbehaving plugins come from tests/plugins/.
#include "plugin_host/plugin_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/test_plugin_host.h"

namespace sprocket {
namespace {

namespace fs = std::filesystem;
using testing::TestPluginHost;

const std::string kPluginDir = SPROCKET_PLUGIN_DIR;
const std::string kTestPluginDir = SPROCKET_TEST_PLUGIN_DIR;

std::string TestPath(const std::string& file) { return (fs::path(kTestPluginDir) / file).string(); }

// Refusals are meant to be printed as the one line a user sees before the broker exits.
void ExpectOneLine(const Status& s) {
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();
}

bool IsLoaded(const std::string& path) {
  void* h = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (h == nullptr) return false;
  ::dlclose(h);
  return true;
}

class NullSink : public FrameSink {
 public:
  void OnOpen(const std::shared_ptr<Session>&) override {}
  void OnFrame(const std::shared_ptr<Session>&, std::string_view) override {}
  void OnClose(const std::shared_ptr<Session>&, std::string_view) override {}
};

TEST(PluginLoaderTest, DefaultDirIsLibSprocketBesideBin) {
  // Test executables live in <build>/bin like the programs, so the default dir is where the
  // build puts plugins.
  const fs::path dir = PluginLoader::DefaultPluginDir();
  EXPECT_TRUE(dir.is_absolute()) << dir;
  EXPECT_EQ(dir.filename(), "sprocket");
  EXPECT_EQ(dir.parent_path().filename(), "lib");
  EXPECT_EQ(fs::weakly_canonical(dir), fs::weakly_canonical(kPluginDir));
}

TEST(PluginLoaderTest, PathForFollowsKindUnderscoreName) {
  PluginLoader loader("/opt/sprocket/lib/sprocket");
  EXPECT_EQ(loader.plugin_dir(), "/opt/sprocket/lib/sprocket");
  EXPECT_EQ(loader.PathFor(PluginKind::kStorage, "filelog"),
            "/opt/sprocket/lib/sprocket/storage_filelog.so");
  EXPECT_EQ(loader.PathFor(PluginKind::kTransport, "tcp"),
            "/opt/sprocket/lib/sprocket/transport_tcp.so");
  EXPECT_EQ(loader.PathFor(PluginKind::kAuth, "none"), "/opt/sprocket/lib/sprocket/auth_none.so");
}

TEST(PluginLoaderTest, MissingPluginIsOneLineNamingTheFile) {
  PluginLoader loader(kPluginDir);
  const std::string path = loader.PathFor(PluginKind::kStorage, "doesnotexist");
  auto r = loader.Inspect(PluginKind::kStorage, "doesnotexist");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "plugin " + path + ": file not found");
  ExpectOneLine(r.status());

  TestPluginHost host(1);
  auto created = loader.CreateStorage("doesnotexist", host);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().message(), "plugin " + path + ": file not found");
}

TEST(PluginLoaderTest, NamesCannotLeaveThePluginDir) {
  PluginLoader loader(kTestPluginDir);
  for (const char* name : {"../plugins/storage_misnamed", "a/b", "", "x.so"}) {
    auto r = loader.Inspect(PluginKind::kStorage, name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_NE(r.status().message().find("invalid plugin name"), std::string::npos)
        << r.status().message();
    ExpectOneLine(r.status());
  }
}

TEST(PluginLoaderTest, WrongKindIsRefused) {
  PluginLoader loader(kTestPluginDir);
  auto r = loader.Inspect(PluginKind::kStorage, "wrongkind");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "plugin " + TestPath("storage_wrongkind.so") +
                                      ": is a transport plugin, storage was asked for");
  ExpectOneLine(r.status());
}

TEST(PluginLoaderTest, RealTransportAskedForAsStorageIsRefused) {
  // Copy transport_tcp.so to a storage_ name, as a user renaming files might.
  const fs::path dir = fs::temp_directory_path() / ("sprocket-loader-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(fs::path(kPluginDir) / "transport_tcp.so", dir / "storage_tcp.so",
                fs::copy_options::overwrite_existing);
  PluginLoader loader(dir.string());
  TestPluginHost host(1);
  auto r = loader.CreateStorage("tcp", host);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "plugin " + (dir / "storage_tcp.so").string() +
                                      ": is a transport plugin, storage was asked for");
  fs::remove_all(dir);
}

TEST(PluginLoaderTest, AbiMismatchIsRefusedBeforeReadingTheRestOfTheManifest) {
  // storage_oldabi's manifest has poison where kind and name would be: reading them would
  // crash or produce garbage, so a clean message proves only abi_version was read.
  PluginLoader loader(kTestPluginDir);
  TestPluginHost host(1);
  const std::string expected = "plugin " + TestPath("storage_oldabi.so") +
                               ": plugin ABI version " + std::to_string(kPluginAbiVersion + 100) +
                               ", this host speaks " + std::to_string(kPluginAbiVersion);
  auto r = loader.Inspect(PluginKind::kStorage, "oldabi");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), expected);
  auto c = loader.CreateStorage("oldabi", host);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), expected);
  ExpectOneLine(c.status());
}

TEST(PluginLoaderTest, MisnamedIsRefused) {
  PluginLoader loader(kTestPluginDir);
  auto r = loader.Inspect(PluginKind::kStorage, "misnamed");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "plugin " + TestPath("storage_misnamed.so") +
                ": manifest names \"something_else\", file is named for \"misnamed\"");
  ExpectOneLine(r.status());
  // Only libraries that created an object are pinned; a refused one is unloaded again.
  EXPECT_FALSE(IsLoaded(TestPath("storage_misnamed.so")));
}

TEST(PluginLoaderTest, LibraryWithoutManifestIsRefused) {
  PluginLoader loader(kTestPluginDir);
  auto r = loader.Inspect(PluginKind::kStorage, "nomanifest");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "plugin " + TestPath("storage_nomanifest.so") +
                                      ": not a Sprocket plugin (no sprocket_plugin_manifest symbol)");
}

TEST(PluginLoaderTest, InspectCopiesTheManifestAndCreateNeedsTheFactory) {
  PluginLoader loader(kTestPluginDir);
  auto info = loader.Inspect(PluginKind::kStorage, "nofactory");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->path, TestPath("storage_nofactory.so"));
  EXPECT_EQ(info->kind, PluginKind::kStorage);
  EXPECT_EQ(info->name, "nofactory");
  EXPECT_EQ(info->version, "9.8.7");
  EXPECT_EQ(info->abi_version, kPluginAbiVersion);
  EXPECT_EQ(info->option_keys, (std::vector<std::string>{"nofactoryPath", "nofactoryLimit"}));

  TestPluginHost host(1);
  auto r = loader.CreateStorage("nofactory", host);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "plugin " + TestPath("storage_nofactory.so") + ": no sprocket_create_storage symbol");
}

TEST(PluginLoaderTest, DlopenFailureCarriesDlerrorText) {
  PluginLoader loader(kTestPluginDir);
  auto r = loader.Inspect(PluginKind::kStorage, "unresolved");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kIOError);
  const std::string& m = r.status().message();
  EXPECT_EQ(m.rfind("plugin " + TestPath("storage_unresolved.so") + ": cannot load: ", 0), 0u) << m;
  EXPECT_NE(m.find("undefined symbol: sprocket_test_symbol_that_does_not_exist"),
            std::string::npos)
      << m;
  ExpectOneLine(r.status());
}

TEST(PluginLoaderTest, NotAnElfFileIsAnIOError) {
  const fs::path dir = fs::temp_directory_path() / ("sprocket-garbage-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "storage_garbage.so") << "this is not a shared object\n";
  PluginLoader loader(dir.string());
  auto r = loader.Inspect(PluginKind::kStorage, "garbage");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kIOError);
  EXPECT_NE(r.status().message().find("cannot load: "), std::string::npos);
  // dlerror's text, e.g. "invalid ELF header" or "file too short".
  EXPECT_NE(r.status().message().find("storage_garbage.so:"), std::string::npos)
      << r.status().message();
  ExpectOneLine(r.status());
  fs::remove_all(dir);
}

TEST(PluginLoaderTest, FactoryErrorKeepsItsCodeAndGainsTheFileName) {
  PluginLoader loader(kTestPluginDir);
  TestPluginHost host(1);
  auto r = loader.CreateStorage("failing", host);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kIOError);
  EXPECT_EQ(r.status().message(), "plugin " + TestPath("storage_failing.so") +
                                      ": cannot open /nonexistent/store: No such file or directory");
  EXPECT_TRUE(IsLoaded(TestPath("storage_failing.so")));  // pinned before its factory ran
}

TEST(PluginLoaderTest, ThrowingFactoryBecomesAStatus) {
  PluginLoader loader(kTestPluginDir);
  TestPluginHost host(1);
  Result<std::shared_ptr<MessageStore>> r = Status::OK();
  EXPECT_NO_THROW(r = loader.CreateStorage("throwing", host));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("factory exploded"), std::string::npos)
      << r.status().message();
  ExpectOneLine(r.status());
}

TEST(PluginLoaderTest, TcpManifestDeclaresItsOptions) {
  PluginLoader loader(kPluginDir);
  auto info = loader.Inspect(PluginKind::kTransport, "tcp");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->name, "tcp");
  EXPECT_FALSE(info->version.empty());
  for (const char* key : {"bindAddress", "listenPort", "vipListenPort"}) {
    EXPECT_NE(std::find(info->option_keys.begin(), info->option_keys.end(), key),
              info->option_keys.end())
        << key;
  }
}

TEST(PluginLoaderTest, TcpFactoryRejectsBadOptions) {
  PluginLoader loader(kPluginDir);
  TestPluginHost host(1);
  auto r = loader.CreateTransport("tcp", host);  // no listenPort
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("listenPort is not set"), std::string::npos);

  host.SetOption("listenPort", "65536");
  r = loader.CreateTransport("tcp", host);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("listenPort \"65536\""), std::string::npos);

  host.SetOption("listenPort", "0");
  host.SetOption("bindAddress", "not-an-ip");
  r = loader.CreateTransport("tcp", host);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bindAddress \"not-an-ip\""), std::string::npos);

  host.SetOption("bindAddress", "127.0.0.1");
  host.SetOption("vipListenPort", "12x");
  r = loader.CreateTransport("tcp", host);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("vipListenPort \"12x\""), std::string::npos);
}

TEST(PluginLoaderTest, LoadsTcpAndTheObjectKeepsItsLibrary) {
  TestPluginHost host(2, {{"bindAddress", "127.0.0.1"}, {"listenPort", "0"}});
  const std::string path = PluginLoader(kPluginDir).PathFor(PluginKind::kTransport, "tcp");
  std::shared_ptr<Transport> transport;
  {
    // The loader and every handle it opened are gone after this scope; only the object's
    // deleter holds the library.
    PluginLoader loader(kPluginDir);
    auto r = loader.CreateTransport("tcp", host);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    transport = std::move(r.value());
  }
  EXPECT_TRUE(IsLoaded(path));
  NullSink sink;
  ASSERT_TRUE(transport->Start(&sink).ok());
  auto endpoints = transport->BoundEndpoints();
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(endpoints[0].label, "main");
  EXPECT_EQ(endpoints[0].address, "127.0.0.1");
  EXPECT_NE(endpoints[0].port, 0);
  transport->Stop();
  transport.reset();
  // A library that created an object is pinned (RTLD_NODELETE, see plugin_loader.cc): code a
  // plugin leaves in host-owned objects, such as asio services in the host's io_contexts,
  // must stay mapped even after the object is gone.
  EXPECT_TRUE(IsLoaded(path));
}

TEST(PluginLoaderTest, LoadsNoneAndItAllowsEverything) {
  TestPluginHost host(1);
  std::shared_ptr<Authorizer> auth;
  {
    PluginLoader loader(kPluginDir);
    auto info = loader.Inspect(PluginKind::kAuth, "none");
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_TRUE(info->option_keys.empty());
    auto r = loader.CreateAuth("none", host);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auth = std::move(r.value());
  }
  AuthResource resources[] = {{"TopicTest", AuthAction::kPub}};
  AuthRequest request;
  request.code = 10;  // SEND_MESSAGE
  request.peer = "127.0.0.1:5555";
  request.resources = resources;
  EXPECT_EQ(auth->Check(request).verdict, AuthDecision::Verdict::kAllow);
  EXPECT_EQ(auth->Check(AuthRequest{}).verdict, AuthDecision::Verdict::kAllow);
}

}  // namespace
}  // namespace sprocket
