// Key files: creation with mode 0600, round trips (every key type, go's
// 96-byte Ed25519 legacy layout), the permission warning and errors that
// name the path.

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include "canswarm/identity/key_file.hpp"
#include "spec_vectors.hpp"

using namespace canswarm;
using namespace canswarm::identity;

namespace {

/// A fresh temporary directory, removed with its files at scope exit.
struct temp_dir {
  std::string path;

  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string{base != nullptr ? base : "/tmp"}
                       + "/canswarm-keyfile-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }

  ~temp_dir() {
    std::string cmd = "rm -rf '" + path + "'";
    [[maybe_unused]] int rc = std::system(cmd.c_str());
  }

  std::string file(const char* name) const {
    return path + "/" + name;
  }
};

void write_file(const std::string& path, const bytes& data, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
  }
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return bytes{std::istreambuf_iterator<char>(in), {}};
}

} // namespace

TEST_CASE("a node without a key file creates one with mode 0600") {
  temp_dir dir;
  auto path = dir.file("node.key");
  std::string warning = "stale";
  auto created = load_or_create_key_file(path, &warning);
  REQUIRE_MESSAGE(created, created.error().describe());
  CHECK(warning.empty());
  CHECK(mode_of(path) == 0600);
  // 08 01 12 40: an Ed25519 PrivateKey protobuf with 64 data bytes.
  auto content = read_file(path);
  REQUIRE(content.size() == 68);
  CHECK(to_hex(bytes_view{content}.first(4)) == "08011240");
  // The second start loads the same key.
  auto loaded = load_or_create_key_file(path, &warning);
  REQUIRE(loaded);
  CHECK(warning.empty());
  CHECK(loaded->public_key() == created->public_key());
  CHECK(loaded->to_protobuf() == created->to_protobuf());
}

TEST_CASE("save and load round-trip a key with mode 0600") {
  temp_dir dir;
  auto path = dir.file("k");
  auto key = private_key::generate_ed25519();
  REQUIRE(save_key_file(path, key));
  CHECK(mode_of(path) == 0600);
  auto loaded = load_key_file(path);
  REQUIRE(loaded);
  CHECK(loaded->to_protobuf() == key.to_protobuf());
  // Saving again replaces the file atomically and keeps the mode.
  auto other = private_key::generate_ed25519();
  REQUIRE(save_key_file(path, other));
  CHECK(mode_of(path) == 0600);
  CHECK(load_key_file(path)->public_key() == other.public_key());
}

TEST_CASE("a go legacy 96-byte key file loads and is rewritten as 64 bytes") {
  temp_dir dir;
  auto path = dir.file("legacy.key");
  std::string seed = "7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da"
                     "60fee7d";
  std::string pub = "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474"
                    "fce27e";
  write_file(path, hex("08011260" + seed + pub + pub), 0600);
  auto key = load_key_file(path);
  REQUIRE_MESSAGE(key, key.error().describe());
  CHECK(to_hex(key->public_key().data()) == pub);
  auto copy = dir.file("copy.key");
  REQUIRE(save_key_file(copy, *key));
  CHECK(to_hex(read_file(copy)) == spec_vectors::ed25519_private);
}

TEST_CASE("key files of every key type load and save byte-identically") {
  temp_dir dir;
  const char* vectors[] = {spec_vectors::rsa_private,
                           spec_vectors::secp256k1_private,
                           spec_vectors::ecdsa_private};
  for (const char* v : vectors) {
    CAPTURE(v);
    auto path = dir.file("in.key");
    write_file(path, hex(v), 0600);
    auto key = load_key_file(path);
    REQUIRE_MESSAGE(key, key.error().describe());
    auto copy = dir.file("out.key");
    REQUIRE(save_key_file(copy, *key));
    CHECK(to_hex(read_file(copy)) == v);
    CHECK(load_key_file(copy)->public_key() == key->public_key());
  }
}

TEST_CASE("a key file readable by group or others yields a warning") {
  temp_dir dir;
  auto path = dir.file("open.key");
  write_file(path, hex(spec_vectors::ed25519_private), 0644);
  std::string warning;
  auto key = load_or_create_key_file(path, &warning);
  REQUIRE(key);
  CHECK(warning
        == "key file " + path
             + " is accessible by group or others (mode "
               "0644); run: chmod 600 "
             + path);
  // A null warning pointer is allowed.
  CHECK(load_or_create_key_file(path, nullptr));
}

TEST_CASE("key file errors name the path") {
  temp_dir dir;
  auto missing = dir.file("missing.key");
  auto r = load_key_file(missing);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::not_found);
  CHECK(r.error().message.rfind("key file " + missing + ": cannot open", 0)
        == 0);

  auto garbage = dir.file("garbage.key");
  write_file(garbage, to_bytes("not a key"), 0600);
  auto g = load_or_create_key_file(garbage, nullptr);
  REQUIRE_FALSE(g);
  CHECK(g.error().code == errc::malformed);
  CHECK(g.error().message.rfind("key file " + garbage + ": PrivateKey", 0)
        == 0);

  auto small_rsa = dir.file("rsa1024.key");
  // PKCS#1 SEQUENCE { version 0, 1024-bit modulus, ... } (cut short: the
  // size check comes first).
  write_file(small_rsa,
             hex("080012 8a01 308187 020100 028181 00" + std::string(256, 'f')),
             0600);
  auto u = load_key_file(small_rsa);
  REQUIRE_FALSE(u);
  CHECK(u.error().code == errc::refused);
  CHECK(u.error().message
        == "key file " + small_rsa
             + ": RSA private key: 1024-bit modulus, under the 2048-bit "
               "minimum");

  auto nodir = dir.file("no/such/dir/node.key");
  auto c = load_or_create_key_file(nodir, nullptr);
  REQUIRE_FALSE(c);
  CHECK(c.error().code == errc::io);
  CHECK(c.error().message.rfind("key file " + nodir + ": cannot create", 0)
        == 0);

  auto big = dir.file("big.key");
  write_file(big, bytes(max_key_file_size + 1, 0), 0600);
  auto b = load_key_file(big);
  REQUIRE_FALSE(b);
  CHECK(b.error().code == errc::too_large);
  CHECK(b.error().message.find(big) != std::string::npos);

  auto d = load_key_file(dir.path);
  REQUIRE_FALSE(d);
  CHECK(d.error().message == "key file " + dir.path + ": not a regular file");
}
