// The one exception type of the Jinja interpreter. It never leaves the module: jinja::Template catches it at its
// edge and turns it into an Error (see template.h).
#pragma once

#include <stdexcept>
#include <string>

namespace parley::engine::jinja {

class JinjaError : public std::runtime_error {
 public:
  // `line` is 1-based; 0 when the failure has no place in the source (a limit, an argument check in a builtin).
  explicit JinjaError(const std::string& message, int line = 0) : std::runtime_error(message), line_(line) {}
  int line() const { return line_; }

 private:
  int line_;
};

}  // namespace parley::engine::jinja
