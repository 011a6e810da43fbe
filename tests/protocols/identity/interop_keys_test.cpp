// Keys against independent implementations: the go and js key files that
// the @libp2p/interop suite ships load with the peer ids js-libp2p derives,
// and js-libp2p (run under node) verifies our signatures, derives the same
// peer ids, encodes public keys identically and signs what we verify.
//
// ECDSA is left out of the js check: @libp2p/crypto 5 encodes ECDSA public
// keys as a non-standard SEC1-like structure and signs in IEEE P1363 form
// (raw r || s), unlike the spec and go-libp2p (PKIX and DER); our ECDSA
// keys are checked against the spec and go's fixtures instead (ec_test).
//
// Needs node and the interop node_modules (scripts/setup); without them the
// tests fail, they never pass silently.

#include <doctest/doctest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "canswarm/identity/key_file.hpp"
#include "canswarm/identity/peer_id.hpp"

using namespace canswarm;
using namespace canswarm::identity;
namespace fs = std::filesystem;

namespace {

const fs::path source_dir = CANSWARM_IDENTITY_TEST_SOURCE_DIR;
const fs::path js_dir = source_dir / "tests/interop/js";
const fs::path interop_keys = source_dir
                              / "tests/interop/suite/node_modules/@libp2p/"
                                "interop/dist/src/resources/"
                                "keys";

/// What js_keys_check.mjs makes js-libp2p sign.
constexpr const char* js_message = "signed by js-libp2p";

/// One line of js_keys_check.mjs output.
struct js_result {
  std::string type;
  bool verified = false;
  std::string peer;
  std::string public_hex;
  std::string signature_hex;
};

/// Runs js_keys_check.mjs on `input` lines; REQUIREs node and a clean exit.
std::map<std::string, js_result> run_js(const std::string& input) {
  REQUIRE_MESSAGE(std::system("command -v node >/dev/null 2>&1") == 0,
                  "node is not installed: the js-libp2p key check cannot run");
  REQUIRE_MESSAGE(fs::exists(js_dir / "node_modules/@libp2p/crypto"),
                  "missing " << (js_dir / "node_modules/@libp2p/crypto")
                             << ": run the interop set-up script");
  char tmpl[] = "/tmp/canswarm-js-keys-XXXXXX";
  int fd = ::mkstemp(tmpl);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::string input_path = tmpl;
  std::ofstream(input_path) << input;
  std::string cmd = "timeout 120 node --import '"
                    + (js_dir / "polyfill.mjs").string() + "' '"
                    + (source_dir
                       / "tests/protocols/identity/js_keys_check.mjs")
                        .string()
                    + "' '" + js_dir.string() + "' '" + input_path + "' 2>&1";
  std::string output;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, pipe))
    output.append(buf, n);
  int status = ::pclose(pipe);
  fs::remove(input_path);
  REQUIRE_MESSAGE(status == 0, "js_keys_check.mjs failed:\n" << output);
  std::map<std::string, js_result> results;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string name, verified;
    js_result r;
    fields >> name >> r.type >> verified >> r.peer >> r.public_hex
      >> r.signature_hex;
    r.verified = verified == "true";
    results[name] = r;
  }
  return results;
}

} // namespace

TEST_CASE("the interop suite's key files load with js-libp2p's peer ids") {
  struct vec {
    const char* file;
    key_type type;
    const char* peer; // As js-libp2p derives it from the same file.
  };
  vec vectors[] = {
    {"go.ed25519.key", key_type::ed25519,
     "12D3KooWRqGdmFVwspgLBajUQacY1TrkBkAUqmjqjbHSFGEoZs9R"},
    {"go.rsa.key", key_type::rsa,
     "QmWS3xmxj1i659VUoustPU8KGzXkziqzF7BBGXS9fDwyz1"},
    {"go.secp256k1.key", key_type::secp256k1,
     "16Uiu2HAmPu9PZESp4keskcfDkdBvDhs1Dra1aLjfeHRCFHgQoD6L"},
    {"js.ed25519.key", key_type::ed25519,
     "12D3KooWDaHkRyb4Nkf8L6WHbsWB9Krt491NDk8PaPGogXvj2pcY"},
    {"js.rsa.key", key_type::rsa,
     "QmPFdSzvgd1HbZSd6oX2N2vCSnhSEeocbQZsMB42UG8smE"},
    {"js.secp256k1.key", key_type::secp256k1,
     "16Uiu2HAm7txvwZbeK5g3oB3DrRhnARTEjTNorVreWJomfHJHbEu2"},
  };
  REQUIRE_MESSAGE(fs::exists(interop_keys),
                  "missing " << interop_keys
                             << ": run the interop set-up script");
  for (const auto& v : vectors) {
    CAPTURE(v.file);
    auto key = load_key_file((interop_keys / v.file).string());
    REQUIRE_MESSAGE(key, key.error().describe());
    CHECK(key->type() == v.type);
    CHECK(peer_id::from_public_key(key->public_key()).to_string() == v.peer);
    auto message = to_bytes("interop");
    CHECK(key->public_key().verify(message, key->sign(message)));
  }
}

TEST_CASE("js-libp2p and canswarm verify each other's signatures") {
  std::vector<std::pair<std::string, private_key>> keys;
  keys.emplace_back("ed25519", private_key::generate_ed25519());
  auto rsa = private_key::generate_rsa(2048);
  REQUIRE(rsa);
  keys.emplace_back("rsa", *rsa);
  // Several secp256k1 signatures: js-libp2p refuses high-S ones, and about
  // half of OpenSSL's raw signatures are high-S before we normalise them.
  auto k1 = private_key::generate_secp256k1();
  for (int i = 0; i < 8; ++i)
    keys.emplace_back("secp256k1-" + std::to_string(i), k1);
  auto go_rsa = load_key_file((interop_keys / "go.rsa.key").string());
  REQUIRE_MESSAGE(go_rsa, go_rsa.error().describe());
  keys.emplace_back("go-rsa-file", *go_rsa);

  std::string input;
  std::map<std::string, std::string> messages;
  for (const auto& [name, key] : keys) {
    auto message = "canswarm message for " + name;
    messages[name] = message;
    input += name + " " + to_hex(key.to_protobuf()) + " "
             + to_hex(key.public_key().to_protobuf()) + " "
             + to_hex(as_bytes(message)) + " "
             + to_hex(key.sign(as_bytes(message))) + "\n";
  }
  auto results = run_js(input);
  REQUIRE(results.size() == keys.size());
  for (const auto& [name, key] : keys) {
    CAPTURE(name);
    REQUIRE(results.count(name) == 1);
    const auto& r = results[name];
    auto lower = [](std::string s) {
      for (auto& ch : s)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      return s;
    };
    CHECK(lower(r.type) == lower(to_string(key.type())));
    CHECK(r.verified);
    CHECK(r.peer == peer_id::from_public_key(key.public_key()).to_string());
    CHECK(r.public_hex == to_hex(key.public_key().to_protobuf()));
    auto checked = key.public_key().check_verify(as_bytes(js_message),
                                                 hex(r.signature_hex));
    CHECK_MESSAGE(checked.ok(), checked.error().describe());
  }
}
