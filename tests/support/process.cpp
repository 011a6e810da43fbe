#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

extern char** environ;

namespace canswarm::test {

namespace {

using clock_type = std::chrono::steady_clock;

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

std::vector<std::string> make_environment(const process_options& opts) {
  std::map<std::string, std::string> vars;
  if (opts.inherit_environment)
    for (auto p = environ; *p != nullptr; ++p) {
      std::string entry{*p};
      if (auto eq = entry.find('='); eq != std::string::npos)
        vars[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  for (auto& [k, v] : opts.env)
    vars[k] = v;
  std::vector<std::string> result;
  for (auto& [k, v] : vars)
    result.push_back(k + "=" + v);
  return result;
}

std::vector<char*> pointers(std::vector<std::string>& xs) {
  std::vector<char*> result;
  for (auto& x : xs)
    result.push_back(x.data());
  result.push_back(nullptr);
  return result;
}

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - clock_type::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

} // namespace

child_process::child_process(const process_options& opts) {
  std::vector<std::string> argv_s{opts.path};
  argv_s.insert(argv_s.end(), opts.args.begin(), opts.args.end());
  auto env_s = make_environment(opts);
  auto argv = pointers(argv_s);
  auto envp = pointers(env_s);
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    throw sys_error("pipe2");
  pid_ = fork();
  if (pid_ < 0)
    throw sys_error("fork");
  if (pid_ == 0) {
    // Child: only async-signal-safe calls from here on.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    auto devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    if (!opts.working_dir.empty() && chdir(opts.working_dir.c_str()) != 0)
      _exit(126);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
}

child_process::~child_process() {
  if (!status_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
  }
  if (out_fd_ >= 0)
    close(out_fd_);
  if (err_fd_ >= 0)
    close(err_fd_);
}

bool child_process::pump(std::chrono::milliseconds timeout) {
  pollfd fds[2];
  nfds_t n = 0;
  for (auto fd : {out_fd_, err_fd_})
    if (fd >= 0)
      fds[n++] = pollfd{fd, POLLIN, 0};
  if (n == 0)
    return false;
  if (poll(fds, n, static_cast<int>(timeout.count())) <= 0)
    return true;
  for (nfds_t i = 0; i < n; ++i) {
    if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
      continue;
    char buf[4096];
    auto got = read(fds[i].fd, buf, sizeof(buf));
    auto& target = fds[i].fd == out_fd_ ? out_buf_ : err_buf_;
    if (got > 0) {
      target.append(buf, static_cast<std::size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      (fds[i].fd == out_fd_ ? out_fd_ : err_fd_) = -1;
      close(fds[i].fd);
    }
  }
  return true;
}

std::optional<std::string>
child_process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    if (auto nl = out_buf_.find('\n'); nl != std::string::npos) {
      auto line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      return line;
    }
    if (out_fd_ < 0 || clock_type::now() >= deadline)
      return std::nullopt;
    pump(std::chrono::milliseconds{remaining_ms(deadline)});
  }
}

std::string child_process::read_rest(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (out_fd_ >= 0 && clock_type::now() < deadline)
    pump(std::chrono::milliseconds{remaining_ms(deadline)});
  return std::exchange(out_buf_, {});
}

const std::string& child_process::stderr_text() {
  while (err_fd_ >= 0) {
    auto before = err_buf_.size();
    pump(std::chrono::milliseconds{0});
    if (err_buf_.size() == before)
      break;
  }
  return err_buf_;
}

void child_process::signal(int sig) {
  if (!status_)
    kill(pid_, sig);
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (!status_) {
    int st = 0;
    auto r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    if (clock_type::now() >= deadline)
      return std::nullopt;
    // Keep draining the pipes so the child never blocks on a full one.
    if (!pump(std::chrono::milliseconds{10}))
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return status_;
}

run_result run(const process_options& opts, std::chrono::milliseconds timeout) {
  child_process child{opts};
  run_result result;
  result.out = child.read_rest(timeout);
  // stdout closed (or the timeout passed): give the exit a moment.
  if (auto code = child.wait(std::chrono::seconds{5}))
    result.exit_code = *code;
  result.out += child.read_rest(std::chrono::milliseconds{0});
  result.err = child.stderr_text();
  return result;
}

std::string canswarm_binary() {
  auto path = std::getenv("CANSWARM_BINARY");
  if (path == nullptr || *path == '\0')
    throw std::runtime_error("CANSWARM_BINARY is not set (run via ctest)");
  return path;
}

std::uint16_t free_tcp_port() {
  auto fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw sys_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw sys_error("bind");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

bool can_connect(const std::string& host, std::uint16_t port,
                 std::chrono::milliseconds timeout) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    return false;
  }
  auto fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  auto ok = connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0;
  if (!ok && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
      int err = 0;
      socklen_t elen = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
      ok = err == 0;
    }
  }
  close(fd);
  return ok;
}

temp_dir::temp_dir() {
  auto base = std::filesystem::temp_directory_path();
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = base / ("canswarm-test-" + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("could not create a temp directory");
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string temp_dir::file(const std::string& name) const {
  return (path_ / name).string();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> result;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      result.push_back(text.substr(pos));
      break;
    }
    result.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return result;
}

std::optional<std::string> find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos)
      end = dirs.size();
    auto candidate = std::filesystem::path{dirs.substr(start, end - start)}
                     / name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
    start = end + 1;
  }
  return std::nullopt;
}

} // namespace canswarm::test
