#pragma once

#include <string>
#include <utility>
#include <variant>

namespace canswarm {

/// Broad class of a failure; the message carries the specific reason.
enum class errc {
  invalid_argument, ///< The caller passed something unusable.
  malformed, ///< Input bytes or text do not follow the format.
  too_large, ///< A length or count is over its named bound.
  unsupported, ///< Understood, but not (yet) supported.
  crypto, ///< A signature, key or AEAD check failed.
  protocol, ///< The remote broke the protocol's rules.
  io, ///< The operating system refused an operation.
  timeout, ///< A deadline passed.
  refused, ///< A limit or policy refused the request.
  not_found, ///< The thing asked for does not exist.
};

/// Returns a short stable name for an error class ("malformed", ...).
const char* to_string(errc code);

/// A failure with a specific, human-readable reason.
struct error {
  errc code = errc::invalid_argument;
  std::string message;

  /// Returns "<class>: <message>".
  std::string describe() const;
};

/// Creates an error.
inline error make_error(errc code, std::string message) {
  return error{code, std::move(message)};
}

/// Either a value or an error.
template<class T>
class result {
public:
  result(T value) : data_(std::move(value)) {}
  result(canswarm::error err) : data_(std::move(err)) {}

  bool ok() const {
    return data_.index() == 0;
  }
  explicit operator bool() const {
    return ok();
  }

  T& value() & {
    return std::get<0>(data_);
  }
  const T& value() const& {
    return std::get<0>(data_);
  }
  T&& value() && {
    return std::get<0>(std::move(data_));
  }
  T& operator*() & {
    return value();
  }
  const T& operator*() const& {
    return value();
  }
  T&& operator*() && {
    return std::move(*this).value();
  }
  T* operator->() {
    return &value();
  }
  const T* operator->() const {
    return &value();
  }

  const canswarm::error& error() const {
    return std::get<1>(data_);
  }

private:
  std::variant<T, canswarm::error> data_;
};

/// Success or an error.
template<>
class result<void> {
public:
  result() = default;
  result(canswarm::error err) : err_(std::move(err)), failed_(true) {}

  bool ok() const {
    return !failed_;
  }
  explicit operator bool() const {
    return ok();
  }
  const canswarm::error& error() const {
    return err_;
  }

private:
  canswarm::error err_;
  bool failed_ = false;
};

} // namespace canswarm
