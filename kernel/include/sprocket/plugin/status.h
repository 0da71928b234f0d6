// Status and Result<T>: how every fallible call across the plugin boundary reports failure.
//
// No exception crosses a plugin boundary. A plugin catches its own exceptions and turns
// them into a Status; the kernel does the same for callbacks it hands to plugins.
//
// Status::OK() carries no message and costs one enum. Errors carry a message with context,
// e.g. "segment 00000000001073741824: crc mismatch at 4096".
//
// Part of the plugin ABI: see abi.h before changing anything here.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace sprocket {

class Status {
 public:
  enum class Code : uint8_t {
    kOk = 0,
    kNotFound,          // the thing asked for does not exist (topic, queue, record)
    kCorruption,        // data on disk or on the wire failed a check (crc, magic, size)
    kIOError,           // the operating system refused (open, write, fsync, mmap)
    kInvalidArgument,   // the caller passed something out of contract
    kNotSupported,      // this plugin does not implement the operation ("not implemented: ...")
    kTimeout,           // a durability wait (flush, replica) ran out of time
    kBusy,              // overloaded; the caller may retry later
    kAborted,           // shut down while the operation was pending
    kMessageIllegal,    // a record is too large or malformed to store
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status NotSupported(std::string msg) {
    return Status(Code::kNotSupported, std::move(msg));
  }
  static Status Timeout(std::string msg) { return Status(Code::kTimeout, std::move(msg)); }
  static Status Busy(std::string msg) { return Status(Code::kBusy, std::move(msg)); }
  static Status Aborted(std::string msg) { return Status(Code::kAborted, std::move(msg)); }
  static Status MessageIllegal(std::string msg) {
    return Status(Code::kMessageIllegal, std::move(msg));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsTimeout() const { return code_ == Code::kTimeout; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }

  // "IOError: open /x: No such file or directory"; "OK" for success.
  std::string ToString() const {
    if (ok()) return "OK";
    return std::string(CodeName(code_)) + ": " + message_;
  }

  static const char* CodeName(Code c) {
    switch (c) {
      case Code::kOk: return "OK";
      case Code::kNotFound: return "NotFound";
      case Code::kCorruption: return "Corruption";
      case Code::kIOError: return "IOError";
      case Code::kInvalidArgument: return "InvalidArgument";
      case Code::kNotSupported: return "NotSupported";
      case Code::kTimeout: return "Timeout";
      case Code::kBusy: return "Busy";
      case Code::kAborted: return "Aborted";
      case Code::kMessageIllegal: return "MessageIllegal";
    }
    return "Unknown";
  }

 private:
  Status(Code c, std::string msg) : code_(c), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-OK Status. Accessing value() of an error is a programming error.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}     // NOLINT: must not be OK
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sprocket
