#include "command_line.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sprocket::mqadmin {

namespace {

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
  return s.substr(b, e - b);
}

const OptionSpec* FindShort(const std::vector<OptionSpec>& options, char c) {
  for (const auto& o : options)
    if (o.short_name == c) return &o;
  return nullptr;
}

const OptionSpec* FindLong(const std::vector<OptionSpec>& options, const std::string& name) {
  for (const auto& o : options)
    if (o.long_name == name) return &o;
  return nullptr;
}

// Commons CLI sorts options by key, ignoring case.
std::vector<OptionSpec> Sorted(const std::vector<OptionSpec>& options) {
  std::vector<OptionSpec> sorted = options;
  std::stable_sort(sorted.begin(), sorted.end(), [](const OptionSpec& a, const OptionSpec& b) {
    return std::tolower(static_cast<unsigned char>(a.short_name)) <
           std::tolower(static_cast<unsigned char>(b.short_name));
  });
  return sorted;
}

}  // namespace

CommandLine CommandLine::Parse(const std::vector<std::string>& args, const std::vector<OptionSpec>& options) {
  CommandLine cl;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const OptionSpec* spec = nullptr;
    std::string inline_value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0 && arg.size() > 2) {
      std::string name = arg.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
        has_inline = true;
      }
      spec = FindLong(options, name);
    } else if (arg.size() >= 2 && arg[0] == '-') {
      spec = FindShort(options, arg[1]);
      // -tTopic: the value glued to the option, as Commons CLI allows.
      if (spec != nullptr && arg.size() > 2) {
        if (!spec->has_arg) spec = nullptr;
        inline_value = arg.substr(2);
        has_inline = true;
      }
    } else {
      throw UsageError("Unexpected argument: " + arg);
    }
    if (spec == nullptr) throw UsageError("Unrecognized option: " + arg);
    std::string value;
    if (spec->has_arg) {
      if (has_inline) {
        value = inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        throw UsageError(std::string("Missing argument for option: ") + spec->short_name);
      }
    } else if (has_inline) {
      throw UsageError("Option " + arg + " takes no value");
    }
    cl.values_[spec->short_name] = value;
    cl.long_names_[spec->short_name] = spec->long_name;
  }
  std::vector<char> missing;
  for (const auto& o : options)
    if (o.required && !cl.Has(o.short_name)) missing.push_back(o.short_name);
  if (!missing.empty()) {
    std::string msg = missing.size() == 1 ? "Missing required option: " : "Missing required options: ";
    for (size_t i = 0; i < missing.size(); ++i) {
      if (i) msg += ", ";
      msg += missing[i];
    }
    throw UsageError(msg);
  }
  return cl;
}

std::string CommandLine::Value(char opt, const std::string& fallback) const {
  auto it = values_.find(opt);
  return it == values_.end() ? fallback : Trim(it->second);
}

int64_t CommandLine::IntValue(char opt, int64_t fallback) const {
  if (!Has(opt)) return fallback;
  std::string v = Value(opt);
  int64_t out = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) {
    throw UsageError(std::string("Option -") + opt + " expects a number, got '" + v + "'");
  }
  return out;
}

bool CommandLine::BoolValue(char opt, bool fallback) const {
  if (!Has(opt)) return fallback;
  std::string v = Value(opt);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v == "true";
}

std::string Usage(const std::string& command, const std::vector<OptionSpec>& options) {
  std::vector<OptionSpec> sorted = Sorted(options);
  std::string out = "usage: mqadmin " + command;
  for (const auto& o : sorted) {
    std::string item = std::string("-") + o.short_name + (o.has_arg ? " <arg>" : "");
    out += o.required ? " " + item : " [" + item + "]";
  }
  out += "\n";
  std::vector<std::string> left;
  size_t width = 0;
  for (const auto& o : sorted) {
    std::string l = std::string(" -") + o.short_name + ",--" + o.long_name + (o.has_arg ? " <arg>" : "");
    width = std::max(width, l.size());
    left.push_back(std::move(l));
  }
  for (size_t i = 0; i < sorted.size(); ++i) {
    out += left[i] + std::string(width - left[i].size() + 3, ' ') + sorted[i].description + "\n";
  }
  return out;
}

}  // namespace sprocket::mqadmin
