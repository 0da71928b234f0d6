// An ordinary shared object that happens to sit in the plugin directory.
extern "C" __attribute__((visibility("default"))) int storage_nomanifest_answer() { return 42; }
