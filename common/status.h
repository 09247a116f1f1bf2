// status.h — the error value used at every boundary of the project.
//
// Library failures (hiredis, SQLite, Connector/C++) are caught in the adapter
// that calls the library and turned into a Status there; nothing above the
// adapters throws. A Status is a plain value: safe to copy between threads.
#pragma once
#include <string>
#include <utility>

namespace seckill {

class Status {
 public:
  enum class Code {
    kOk,           // success
    kInvalid,      // bad input from a client or a command line
    kNotFound,     // no such event / order (or not the caller's)
    kUnavailable,  // a server (Redis, MySQL) or a lock could not be reached in time
    kInternal,     // a bug or an unexpected reply: log it
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status Invalid(std::string m) { return Status(Code::kInvalid, std::move(m)); }
  static Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
  static Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace seckill
