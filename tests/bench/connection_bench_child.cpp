#include "connection_bench_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace canswarm::bench {

namespace {

/// Stderr kept for error messages.
constexpr std::size_t stderr_tail_size = 4096;

} // namespace

long status_kib(pid_t pid, const std::string& field) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  auto prefix = field + ":";
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0)
      return std::strtol(line.c_str() + prefix.size(), nullptr, 10);
  return 0;
}

long rss_kib(pid_t pid) {
  return status_kib(pid, "VmRSS");
}

child::child(std::vector<std::string> argv, std::string cwd,
             std::map<std::string, std::string> env, std::string stderr_path)
    : stderr_path_(std::move(stderr_path)) {
  name = argv.empty() ? "child" : argv[0];
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2 failed");
  int err = ::open(stderr_path_.c_str(),
                   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err < 0)
    throw std::runtime_error("cannot create " + stderr_path_);
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err, 2);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0)
      ::_exit(126);
    for (auto& [k, v] : env)
      ::setenv(k.c_str(), v.c_str(), 1);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err);
  in_ = in[1];
  out_ = out[0];
}

child::~child() {
  stop();
}

void child::stop() {
  if (in_ >= 0) {
    ::close(in_);
    in_ = -1;
  }
  if (pid_ > 0) {
    auto reap = [this](int rounds) {
      for (int i = 0; i < rounds; ++i) {
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_)
          return true;
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
      }
      return false;
    };
    if (!reap(50)) {
      ::kill(pid_, SIGTERM);
      if (!reap(100)) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    pid_ = -1;
  }
  if (out_ >= 0) {
    ::close(out_);
    out_ = -1;
  }
}

long child::rss_kib() const {
  return pid_ > 0 ? bench::rss_kib(pid_) : 0;
}

std::string child::stderr_tail() const {
  std::ifstream in{stderr_path_};
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  if (text.size() > stderr_tail_size)
    text = text.substr(text.size() - stderr_tail_size);
  return text;
}

std::optional<std::string> child::wait_line(const std::string& prefix,
                                            std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return std::nullopt;
    auto line = read_line(left);
    if (!line && eof_)
      return std::nullopt;
    if (line && line->rfind(prefix, 0) == 0)
      return line;
  }
}

std::string child::call(const std::string& cmd, const std::string& fields,
                        std::chrono::milliseconds timeout) {
  auto id = ++next_id_;
  auto line = "{\"id\":" + std::to_string(id) + ",\"cmd\":\"" + cmd + "\""
              + (fields.empty() ? "" : "," + fields) + "}\n";
  if (in_ < 0
      || ::write(in_, line.data(), line.size())
           != static_cast<ssize_t>(line.size()))
    throw std::runtime_error("cannot write to " + name);
  auto tag = "{\"id\":" + std::to_string(id) + ",";
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error(name + " did not answer '" + cmd
                               + "' in time; stderr: " + stderr_tail());
    auto answer = read_line(left);
    if (!answer && eof_)
      throw std::runtime_error(name + " exited while answering '" + cmd
                               + "'; stderr: " + stderr_tail());
    if (!answer || answer->rfind(tag, 0) != 0)
      continue;
    if (answer->find("\"ok\":true") == std::string::npos)
      throw std::runtime_error(name + " failed '" + cmd + "': " + *answer);
    return *answer;
  }
}

std::optional<std::string> child::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto nl = out_buf_.find('\n');
    if (nl != std::string::npos) {
      auto line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      return line;
    }
    if (eof_)
      return std::nullopt;
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
  }
}

} // namespace canswarm::bench
