#include "js_peer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "support/process.hpp"

namespace canswarm::test {

namespace {

namespace fs = std::filesystem;

std::string find_node() {
  if (auto node = test::find_in_path("node"))
    return *node;
  throw std::runtime_error(
    "INTEROP TEST CANNOT RUN: no `node` binary in PATH. Install Node.js "
    "(Debian: apt-get install nodejs npm) and run `npm ci` in "
    "tests/interop/js; this test fails instead of skipping.");
}

fs::path js_dir(const std::string& subdir, const std::string& script) {
  const char* src = std::getenv("CANSWARM_SOURCE_DIR");
#ifdef CANSWARM_SOURCE_DIR_FALLBACK
  if (src == nullptr)
    src = CANSWARM_SOURCE_DIR_FALLBACK;
#endif
  if (src == nullptr)
    throw std::runtime_error("INTEROP TEST CANNOT RUN: CANSWARM_SOURCE_DIR "
                             "is not set (run it through ctest)");
  auto dir = fs::path{src} / "tests" / "interop" / subdir;
  if (!fs::exists(dir / script) || !fs::exists(dir / "polyfill.mjs"))
    throw std::runtime_error("INTEROP TEST CANNOT RUN: " + dir.string()
                             + " lacks " + script + " / polyfill.mjs");
  if (!fs::exists(dir / "node_modules" / "libp2p"))
    throw std::runtime_error(
      "INTEROP TEST CANNOT RUN: " + (dir / "node_modules").string()
      + " has no libp2p; run `npm ci` in that directory. This test fails "
        "instead of skipping.");
  return dir;
}

/// Finds `"key":` and returns the position after the colon.
std::optional<std::size_t> value_pos(const std::string& line,
                                     const std::string& key) {
  auto needle = "\"" + key + "\":";
  auto pos = line.find(needle);
  if (pos == std::string::npos)
    return std::nullopt;
  return pos + needle.size();
}

/// Reads a JSON string starting at `pos` (the opening quote).
std::optional<std::string> read_string(const std::string& line,
                                       std::size_t& pos) {
  if (pos >= line.size() || line[pos] != '"')
    return std::nullopt;
  std::string out;
  for (++pos; pos < line.size(); ++pos) {
    char c = line[pos];
    if (c == '"') {
      ++pos;
      return out;
    }
    if (c == '\\' && pos + 1 < line.size())
      c = line[++pos];
    out += c;
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string> json_string(const std::string& line,
                                       const std::string& key) {
  auto pos = value_pos(line, key);
  if (!pos)
    return std::nullopt;
  return read_string(line, *pos);
}

std::optional<double> json_number(const std::string& line,
                                  const std::string& key) {
  auto pos = value_pos(line, key);
  if (!pos)
    return std::nullopt;
  char* end = nullptr;
  double x = std::strtod(line.c_str() + *pos, &end);
  if (end == line.c_str() + *pos)
    return std::nullopt;
  return x;
}

std::optional<std::vector<std::string>>
json_string_array(const std::string& line, const std::string& key) {
  auto pos = value_pos(line, key);
  if (!pos || *pos >= line.size() || line[*pos] != '[')
    return std::nullopt;
  std::vector<std::string> out;
  auto p = *pos + 1;
  while (p < line.size() && line[p] != ']') {
    auto s = read_string(line, p);
    if (!s)
      return std::nullopt;
    out.push_back(std::move(*s));
    if (p < line.size() && line[p] == ',')
      ++p;
  }
  return out;
}

js_peer::js_peer(const std::string& subdir, const std::string& script_name) {
  auto node = find_node();
  auto dir = js_dir(subdir, script_name);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0
      || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2 failed");
  auto polyfill = (dir / "polyfill.mjs").string();
  auto script = (dir / script_name).string();
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (::chdir(dir.c_str()) != 0)
      ::_exit(126);
    ::execl(node.c_str(), node.c_str(), "--import", polyfill.c_str(),
            script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_ = out[0];
  err_ = err[0];
  ::fcntl(err_, F_SETFL, O_NONBLOCK);
  for (;;) {
    auto line = read_line(std::chrono::seconds{30});
    if (!line)
      throw std::runtime_error("js-libp2p peer did not become ready; stderr: "
                               + stderr_text());
    if (json_string(*line, "event") == "ready") {
      id = json_string(*line, "peerId").value_or("");
      addrs = json_string_array(*line, "addrs")
                .value_or(std::vector<std::string>{});
      return;
    }
  }
}

js_peer::~js_peer() {
  if (in_ >= 0)
    ::close(in_); // peer.mjs stops when stdin closes
  if (pid_ > 0) {
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      ::usleep(20000);
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  if (out_ >= 0)
    ::close(out_);
  if (err_ >= 0)
    ::close(err_);
}

std::string js_peer::call(const std::string& cmd, const std::string& fields,
                          std::chrono::milliseconds timeout) {
  auto id = ++next_id_;
  auto line = "{\"id\":" + std::to_string(id) + ",\"cmd\":\"" + cmd + "\""
              + (fields.empty() ? "" : "," + fields) + "}\n";
  if (::write(in_, line.data(), line.size())
      != static_cast<ssize_t>(line.size()))
    throw std::runtime_error("cannot write to the js peer");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error("js peer did not answer '" + cmd
                               + "' in time; stderr: " + stderr_text());
    auto answer = read_line(left);
    if (!answer && eof_)
      throw std::runtime_error("js peer exited while answering '" + cmd
                               + "'; stderr: " + stderr_text());
    if (!answer)
      continue;
    if (json_number(*answer, "id") == id)
      return *answer;
  }
}

bool js_peer::ok(const std::string& answer) {
  return answer.find("\"ok\":true") != std::string::npos;
}

std::optional<std::string>
js_peer::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto nl = out_buf_.find('\n');
    if (nl != std::string::npos) {
      auto line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      if (json_string(line, "event"))
        events.push_back(line);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      continue;
    char buf[4096];
    auto n = ::read(out_, buf, sizeof(buf));
    if (n <= 0) {
      eof_ = true;
      return std::nullopt;
    }
    out_buf_.append(buf, static_cast<std::size_t>(n));
    drain_stderr();
  }
}

void js_peer::drain_stderr() {
  char buf[4096];
  for (;;) {
    auto n = ::read(err_, buf, sizeof(buf));
    if (n <= 0)
      return;
    if (err_buf_.size() < 64 * 1024)
      err_buf_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string js_peer::stderr_text() {
  drain_stderr();
  return err_buf_;
}

} // namespace canswarm::test
