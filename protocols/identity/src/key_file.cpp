// Node key files: a libp2p PrivateKey protobuf, written atomically with mode
// 0600 (temporary file in the same directory, fsync, rename).

#include "canswarm/identity/key_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace canswarm::identity {

namespace {

/// Group and other permission bits: a key file should have none.
constexpr mode_t group_other_bits = S_IRWXG | S_IRWXO;

error os_error(const std::string& path, const char* what) {
  return make_error(errc::io, fmt::format("key file {}: {}: {}", path, what,
                                          std::strerror(errno)));
}

/// Closes a file descriptor on scope exit.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

struct loaded {
  private_key key;
  mode_t mode;
};

result<loaded> load(const std::string& path) {
  fd_guard f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0)
    return make_error(errno == ENOENT ? errc::not_found : errc::io,
                      fmt::format("key file {}: cannot open: {}", path,
                                  std::strerror(errno)));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    return os_error(path, "cannot stat");
  if (!S_ISREG(st.st_mode))
    return make_error(errc::invalid_argument,
                      fmt::format("key file {}: not a regular file", path));
  if (static_cast<std::size_t>(st.st_size) > max_key_file_size)
    return make_error(errc::too_large,
                      fmt::format("key file {}: {} bytes, over the {}-byte "
                                  "limit",
                                  path, st.st_size, max_key_file_size));
  bytes content(max_key_file_size + 1);
  std::size_t used = 0;
  while (used < content.size()) {
    auto n = ::read(f.fd, content.data() + used, content.size() - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return os_error(path, "cannot read");
    if (n == 0)
      break;
    used += static_cast<std::size_t>(n);
  }
  auto key = private_key::from_protobuf(bytes_view{content}.first(used));
  std::fill(content.begin(), content.end(), 0);
  if (!key)
    return make_error(key.error().code, fmt::format("key file {}: {}", path,
                                                    key.error().message));
  return loaded{std::move(*key), st.st_mode};
}

bool write_all(int fd, bytes_view data) {
  while (!data.empty()) {
    auto n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

} // namespace

result<private_key> load_key_file(const std::string& path) {
  auto r = load(path);
  if (!r)
    return r.error();
  return std::move(r->key);
}

result<void> save_key_file(const std::string& path, const private_key& key) {
  std::string tmp = path + ".tmpXXXXXX";
  // mkstemp creates the file with mode 0600.
  fd_guard f{::mkostemp(tmp.data(), O_CLOEXEC)};
  if (f.fd < 0)
    return os_error(path, "cannot create temporary file");
  auto encoded = key.to_protobuf();
  bool ok = ::fchmod(f.fd, S_IRUSR | S_IWUSR) == 0 && write_all(f.fd, encoded)
            && ::fsync(f.fd) == 0;
  std::fill(encoded.begin(), encoded.end(), 0);
  if (!ok) {
    auto err = os_error(path, "cannot write");
    ::unlink(tmp.c_str());
    return err;
  }
  ::close(f.fd);
  f.fd = -1;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto err = os_error(path, "cannot rename temporary file into place");
    ::unlink(tmp.c_str());
    return err;
  }
  return {};
}

result<private_key> load_or_create_key_file(const std::string& path,
                                            std::string* warning) {
  if (warning != nullptr)
    warning->clear();
  auto r = load(path);
  if (!r && r.error().code == errc::not_found) {
    auto key = private_key::generate_ed25519();
    if (auto saved = save_key_file(path, key); !saved)
      return saved.error();
    return key;
  }
  if (!r)
    return r.error();
  if ((r->mode & group_other_bits) != 0 && warning != nullptr)
    *warning = fmt::format("key file {} is accessible by group or others "
                           "(mode {:04o}); run: chmod 600 {}",
                           path, r->mode & 07777, path);
  return std::move(r->key);
}

} // namespace canswarm::identity
