// A correct manifest (it even declares option keys) but no sprocket_create_storage: Inspect
// succeeds, CreateStorage is refused.
#include "sprocket/plugin/abi.h"

namespace {
const char* const kKeys[] = {"nofactoryPath", "nofactoryLimit", nullptr};
const ::sprocket::PluginManifest manifest = {::sprocket::kPluginAbiVersion,
                                             ::sprocket::PluginKind::kStorage, "nofactory",
                                             "9.8.7", kKeys};
}  // namespace

BOOST_DLL_ALIAS(manifest, sprocket_plugin_manifest)
