#pragma once

// Serves node_metrics at http://<bind address>/metrics for a Prometheus
// scraper (prometheus-cpp's Exposer on civetweb, its own worker threads).
//
// The bind address is "host:port", loopback by default. Port 0 asks the OS
// for a free port; port() reports the one bound (civetweb reads it back with
// getsockname, so no port probing is needed). Metrics reveal peer ids,
// topics and traffic volumes and the endpoint has no authentication, so a
// non-loopback address yields a warning the node should log; serving them
// beyond the host is an operator decision (put a TLS/auth proxy in front).
//
// Besides the node's series, prometheus-cpp adds its own exposer_* series
// (scrape count, bytes, latency).
//
// Limits of Debian 12's civetweb: it is built without IPv6, so "[::1]:9464"
// fails to bind (the error says so; use 127.0.0.1), and destroying an
// exposer that has served a scrape can take up to 2 s (its compiled-in
// socket timeout quantum): stop it early in the node's shutdown.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "canswarm/error.hpp"
#include "canswarm/metrics/node_metrics.hpp"

namespace canswarm::metrics {

/// The default scrape address (9464 is the port OpenTelemetry's Prometheus
/// exporter uses by convention).
inline constexpr std::string_view default_bind_address = "127.0.0.1:9464";

/// The HTTP path that serves the metrics.
inline constexpr std::string_view metrics_path = "/metrics";

/// HTTP worker threads at most: scrapes come every few seconds from one or
/// two servers; more threads only cost memory.
inline constexpr std::size_t max_exposer_threads = 4;

/// A parsed "host:port" bind address.
struct bind_address {
  /// IPv4 literal, "[v6 literal]" (brackets kept) or a host name.
  std::string host;
  /// 0 for "any free port".
  std::uint16_t port = 0;
};

/// Parses "host:port" / "[v6]:port". A bare port is refused: civetweb
/// would bind every interface, so that must be written as 0.0.0.0:port.
result<bind_address> parse_bind_address(std::string_view text);

/// Returns whether `host` only reaches this machine: 127.0.0.0/8, [::1]
/// or "localhost".
bool is_loopback_host(std::string_view host);

/// Returns the warning to log when `address` is reachable from other
/// machines, nothing for a loopback address.
std::optional<std::string> bind_warning(const bind_address& address);

/// How to serve the metrics.
struct exposer_config {
  /// "host:port"; see parse_bind_address.
  std::string bind_address{default_bind_address};
  /// HTTP worker threads, 1..max_exposer_threads.
  std::size_t threads = 1;
  /// Called once, before binding, with the non-loopback warning (the node
  /// passes its logger here); may be empty.
  std::function<void(const std::string&)> on_warning;

  /// Checks the address syntax and the thread count.
  result<void> validate() const;
};

/// A running HTTP endpoint serving one node_metrics; stops on destruction.
class exposer {
public:
  /// Binds and starts serving `metrics` (held by a weak reference: if the
  /// metrics object goes first, the endpoint serves an empty page). Fails
  /// with errc::invalid_argument for a bad config and errc::io when the
  /// address cannot be bound.
  static result<std::unique_ptr<exposer>> start(const exposer_config& cfg,
                                                const node_metrics& metrics);

  ~exposer();
  exposer(const exposer&) = delete;
  exposer& operator=(const exposer&) = delete;

  /// Returns the bound host as configured.
  const std::string& host() const noexcept {
    return host_;
  }

  /// Returns the bound port (the OS-chosen one for port 0).
  std::uint16_t port() const noexcept {
    return port_;
  }

  /// Returns "http://host:port/metrics".
  std::string url() const;

  /// Returns the non-loopback warning, if the address produced one.
  const std::optional<std::string>& warning() const noexcept {
    return warning_;
  }

private:
  struct impl;
  exposer(std::unique_ptr<impl> state, std::string host, std::uint16_t port,
          std::optional<std::string> warning);

  std::unique_ptr<impl> impl_;
  std::string host_;
  std::uint16_t port_;
  std::optional<std::string> warning_;
};

} // namespace canswarm::metrics
