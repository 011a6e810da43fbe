#include "nats_server.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace canswarm::test {

namespace {

bool executable(const std::filesystem::path& p) {
  std::error_code ec;
  auto st = std::filesystem::status(p, ec);
  return !ec && std::filesystem::is_regular_file(st)
         && (st.permissions() & std::filesystem::perms::owner_exec)
              != std::filesystem::perms::none;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

std::string nats_server_binary() {
  if (auto env = std::getenv("NATS_SERVER_BINARY"); env != nullptr && *env) {
    if (!executable(env))
      throw std::runtime_error(std::string{"NATS_SERVER_BINARY="} + env
                               + " is not an executable file");
    return env;
  }
  std::vector<std::string> dirs;
  if (auto path = std::getenv("PATH"); path != nullptr) {
    std::stringstream ss{path};
    for (std::string dir; std::getline(ss, dir, ':');)
      if (!dir.empty())
        dirs.push_back(dir);
  }
  for (auto dir :
       {"/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin"})
    dirs.emplace_back(dir);
  for (auto& dir : dirs)
    if (auto p = std::filesystem::path{dir} / "nats-server"; executable(p))
      return p.string();
  throw std::runtime_error("nats-server is not installed (searched "
                           "$NATS_SERVER_BINARY, PATH, /usr/sbin, "
                           "/usr/local/sbin, /usr/local/bin, /usr/bin): "
                           "apt-get install nats-server");
}

nats_server::nats_server(bool jetstream)
    : jetstream_(jetstream), port_(free_tcp_port()) {
  start();
}

nats_server::~nats_server() {
  if (proc_ != nullptr)
    kill();
}

std::string nats_server::url() const {
  return "nats://127.0.0.1:" + std::to_string(port_);
}

std::string nats_server::log() const {
  return read_file(dir_.file("nats-server.log"));
}

void nats_server::kill() {
  if (proc_ == nullptr)
    return;
  proc_->signal(SIGKILL);
  proc_->wait(std::chrono::seconds{5});
  proc_.reset();
}

void nats_server::start() {
  if (proc_ != nullptr)
    throw std::logic_error("nats-server already running");
  auto log_path = dir_.file("nats-server.log");
  auto offset = log().size(); // look for readiness after earlier runs
  process_options opts;
  opts.path = nats_server_binary();
  opts.args = {"-a", "127.0.0.1", "-p", std::to_string(port_), "-l", log_path};
  if (jetstream_) {
    opts.args.insert(opts.args.end(), {"-js", "-sd", dir_.file("store")});
  }
  proc_ = std::make_unique<child_process>(opts);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = log();
    if (text.size() > offset
        && text.find("Server is ready", offset) != std::string::npos)
      return;
    if (auto code = proc_->wait(std::chrono::milliseconds{20})) {
      proc_.reset();
      throw std::runtime_error("nats-server exited with "
                               + std::to_string(*code) + ":\n"
                               + text.substr(offset));
    }
  }
  auto text = log();
  kill();
  throw std::runtime_error("nats-server not ready within 10 s:\n"
                           + text.substr(std::min(offset, text.size())));
}

} // namespace canswarm::test
