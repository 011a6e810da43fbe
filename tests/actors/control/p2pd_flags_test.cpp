// The go p2pd command line as the @libp2p/interop runner passes it,
// translated into canswarm configuration overrides.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "canswarm/control/p2pd_flags.hpp"

using namespace canswarm;
using namespace canswarm::control;

namespace {

using args = std::vector<std::string>;

p2pd_options ok(const args& xs) {
  auto r = translate_p2pd_flags(xs);
  if (!r)
    FAIL("unexpected error: " << r.error().message);
  return *r;
}

error fails(const args& xs) {
  auto r = translate_p2pd_flags(xs);
  REQUIRE_FALSE(r);
  return r.error();
}

bool has(const std::vector<p2pd_feature>& xs, p2pd_feature f) {
  return std::find(xs.begin(), xs.end(), f) != xs.end();
}

} // namespace

TEST_CASE("the interop runner's command line becomes config overrides") {
  auto o = ok({"-listen=/ip4/127.0.0.1/tcp/40123",
               "-hostAddrs=/ip4/127.0.0.1/tcp/0", "-noise=true",
               "-id=/tmp/go.ed25519.key", "-muxer=yamux"});
  auto& c = o.config_flags;
  CHECK(c.at("P2P_CONTROL_ADDR") == "/ip4/127.0.0.1/tcp/40123");
  CHECK(c.at("P2P_LISTEN_ADDR") == "/ip4/127.0.0.1/tcp/0");
  CHECK(c.at("P2P_KEY_FILE") == "/tmp/go.ed25519.key");
  CHECK_FALSE(o.ephemeral_identity);
  CHECK_FALSE(o.no_listen);
  CHECK(o.security == std::vector<p2pd_feature>{p2pd_feature::noise});
  CHECK(o.muxer == p2pd_feature::yamux);
  CHECK(c.at("P2P_SECURITY") == "noise");
  CHECK(c.at("P2P_MUXERS") == "yamux");
  CHECK(o.services.empty());
  CHECK_FALSE(o.help);
}

TEST_CASE("a p2pd has no automatic peers or discovery") {
  auto o = ok({"-listen=/ip4/127.0.0.1/tcp/1"});
  auto& c = o.config_flags;
  CHECK(c.at("P2P_MDNS_ENABLED") == "false");
  CHECK(c.at("P2P_DHT_ENABLED") == "false");
  CHECK(c.at("P2P_CIRCUIT_RELAY_ENABLED") == "false");
  CHECK(c.at("P2P_BOOTSTRAP_NODES").empty());
  CHECK(c.at("P2P_ANNOUNCE_ADDRS").empty());
}

TEST_CASE("defaults: go's control socket, all-interfaces TCP, a fresh key") {
  auto o = ok({});
  CHECK(o.config_flags.at("P2P_CONTROL_ADDR") == "/unix/tmp/p2pd.sock");
  CHECK(o.config_flags.at("P2P_LISTEN_ADDR") == "/ip4/0.0.0.0/tcp/0");
  CHECK(o.config_flags.count("P2P_KEY_FILE") == 0);
  CHECK(o.ephemeral_identity);
  CHECK(o.security == std::vector<p2pd_feature>{p2pd_feature::noise});
  CHECK(o.muxer == p2pd_feature::yamux);
  // Exactly what go p2pd offers by default: Noise only, yamux only.
  CHECK(o.config_flags.at("P2P_SECURITY") == "noise");
  CHECK(o.config_flags.at("P2P_MUXERS") == "yamux");
}

TEST_CASE("flags take go's forms: -f=v, --f=v, -f v, --f v") {
  for (auto& xs :
       {args{"-listen=/unix/tmp/a.sock"}, args{"--listen=/unix/tmp/a.sock"},
        args{"-listen", "/unix/tmp/a.sock"},
        args{"--listen", "/unix/tmp/a.sock"}})
    CHECK(ok(xs).config_flags.at("P2P_CONTROL_ADDR") == "/unix/tmp/a.sock");
}

TEST_CASE("a flag given twice keeps the last value") {
  auto o = ok({"-listen=/ip4/127.0.0.1/tcp/1", "-listen=/ip4/127.0.0.1/tcp/2"});
  CHECK(o.config_flags.at("P2P_CONTROL_ADDR") == "/ip4/127.0.0.1/tcp/2");
}

TEST_CASE("-hostAddrs takes a comma-separated list") {
  auto o = ok({"-hostAddrs=/ip4/127.0.0.1/tcp/0, /ip6/::1/tcp/0,"});
  CHECK(o.config_flags.at("P2P_LISTEN_ADDR")
        == "/ip4/127.0.0.1/tcp/0,/ip6/::1/tcp/0");
  CHECK(fails({"-hostAddrs=,"}).message
        == "-hostAddrs: expected at least one multiaddr, e.g. "
           "/ip4/127.0.0.1/tcp/0");
  auto e = fails({"-hostAddrs=/ip4/1.2.3/tcp/0"});
  CHECK(e.code == errc::invalid_argument);
  CHECK(e.message.starts_with("-hostAddrs: /ip4/1.2.3/tcp/0: not a valid "
                              "multiaddr"));
}

TEST_CASE("-noListenAddrs listens nowhere, even with -hostAddrs") {
  auto o = ok({"-noListenAddrs", "-hostAddrs=/ip4/127.0.0.1/tcp/0"});
  CHECK(o.no_listen);
  CHECK(o.config_flags.count("P2P_LISTEN_ADDR") == 0);
  CHECK_FALSE(ok({"-noListenAddrs=false"}).no_listen);
}

TEST_CASE("booleans accept go's spellings and reject others") {
  CHECK(ok({"-noListenAddrs=1"}).no_listen);
  CHECK(ok({"-noListenAddrs=T"}).no_listen);
  CHECK(ok({"-noListenAddrs=True"}).no_listen);
  CHECK_FALSE(ok({"-noListenAddrs=F"}).no_listen);
  CHECK(fails({"-noise=yes"}).message
        == "invalid boolean value \"yes\" for flag -noise");
  // Like go, a separate word after a boolean flag is not its value.
  CHECK(fails({"-noise", "true"}).message == "unexpected argument: true");
}

TEST_CASE("-listen must be a tcp or unix multiaddr") {
  CHECK(ok({"-listen=/ip6/::1/tcp/5001"}).config_flags.at("P2P_CONTROL_ADDR")
        == "/ip6/::1/tcp/5001");
  CHECK(fails({"-listen=/ip4/127.0.0.1/udp/5001"}).message
        == "-listen=/ip4/127.0.0.1/udp/5001: expected a tcp or unix multiaddr "
           "like /ip4/127.0.0.1/tcp/5001");
  CHECK(fails({"-listen=nonsense"})
          .message.starts_with("-listen=nonsense: not a valid multiaddr"));
}

TEST_CASE("syntax errors name the flag") {
  CHECK(fails({"-quic"}).message == "flag provided but not defined: -quic");
  CHECK(fails({"-listen"}).message == "flag needs an argument: -listen");
  CHECK(fails({"---listen=x"}).message == "bad flag syntax: ---listen=x");
  CHECK(fails({"-id="}).message == "-id: expected a key file path");
  CHECK(fails({"stray"}).message == "unexpected argument: stray");
  CHECK(fails({"--", "stray"}).message == "unexpected argument: stray");
  CHECK(ok({"-noise=true", "--"}).security.size() == 1);
  args many(max_p2pd_args + 1, "-noise");
  CHECK(fails(many).code == errc::invalid_argument);
}

TEST_CASE("-muxer and -pubsubRouter values are checked") {
  CHECK(fails({"-muxer=quic"}).message
        == "-muxer=quic: expected yamux or "
           "mplex");
  CHECK(fails({"-pubsubRouter=randomsub"}).message
        == "-pubsubRouter=randomsub: expected gossipsub or floodsub");
  // Without -pubsub the router choice is accepted and unused, as in go.
  CHECK(ok({"-pubsubRouter=floodsub"}).services.empty());
}

TEST_CASE("-noise, -tls and -plaintext choose P2P_SECURITY in go's order") {
  // A named transport replaces the default Noise.
  auto tls = ok({"-tls=true"});
  CHECK(tls.security == std::vector<p2pd_feature>{p2pd_feature::tls});
  CHECK(tls.config_flags.at("P2P_SECURITY") == "tls");
  CHECK(ok({"-noise=false", "-tls"}).config_flags.at("P2P_SECURITY") == "tls");
  auto both = ok({"-tls=true", "-noise=true"});
  CHECK(both.security
        == std::vector<p2pd_feature>{p2pd_feature::noise, p2pd_feature::tls});
  CHECK(both.config_flags.at("P2P_SECURITY") == "noise,tls");
  // The order is noise, tls, plaintext whatever the command-line order.
  CHECK(ok({"-plaintext", "-tls", "-noise"}).config_flags.at("P2P_SECURITY")
        == "noise,tls,plaintext");
  auto plain = ok({"-noise=false", "-plaintext=true"});
  CHECK(plain.security == std::vector<p2pd_feature>{p2pd_feature::plaintext});
  CHECK(plain.config_flags.at("P2P_SECURITY") == "plaintext");
  CHECK(ok({"-noise=true", "-tls=false"}).config_flags.at("P2P_SECURITY")
        == "noise");
}

TEST_CASE("-muxer chooses the one muxer in P2P_MUXERS") {
  auto mplex = ok({"-muxer=mplex"});
  CHECK(mplex.muxer == p2pd_feature::mplex);
  CHECK(mplex.config_flags.at("P2P_MUXERS") == "mplex");
  auto yamux = ok({"-muxer", "yamux"});
  CHECK(yamux.muxer == p2pd_feature::yamux);
  CHECK(yamux.config_flags.at("P2P_MUXERS") == "yamux");
  // The last -muxer wins, as for every flag.
  CHECK(ok({"-muxer=yamux", "-muxer=mplex"}).config_flags.at("P2P_MUXERS")
        == "mplex");
}

TEST_CASE("features not implemented yet are clear errors") {
  auto e = fails({"-dhtServer"});
  CHECK(e.code == errc::unsupported);
  CHECK(e.message
        == "unsupported p2pd flag -dhtServer: the Kademlia DHT is not "
           "implemented yet");
  CHECK(fails({"-relay"}).message
        == "unsupported p2pd flag -relay: circuit relay v2 is not implemented "
           "yet");
  // Turning an unimplemented feature off is fine.
  auto o = ok({"-relay=false", "-pubsub=false", "-dhtServer=false"});
  CHECK(o.services.empty());
  // An unsupported service fails even with supported transports chosen,
  // or next to a supported one.
  CHECK(fails({"-tls", "-muxer=mplex", "-relay"}).code == errc::unsupported);
  CHECK(fails({"-pubsub", "-relay"}).message.find("-relay")
        != std::string::npos);
}

TEST_CASE("-pubsub asks for pub/sub followed by its router, gossipsub by "
          "default") {
  using f = p2pd_feature;
  CHECK(ok({"-pubsub"}).services == std::vector<f>{f::pubsub, f::gossipsub});
  CHECK(ok({"-pubsub=true", "-pubsubRouter=gossipsub"}).services
        == std::vector<f>{f::pubsub, f::gossipsub});
  auto flood = ok({"-pubsub", "-pubsubRouter", "floodsub"});
  CHECK(flood.services == std::vector<f>{f::pubsub, f::floodsub});
  // The interop runner's command line for a floodsub daemon.
  auto runner = ok({"-listen=/ip4/127.0.0.1/tcp/40123",
                    "-hostAddrs=/ip4/127.0.0.1/tcp/0", "-pubsub=true",
                    "-pubsubRouter=floodsub"});
  CHECK(runner.services == std::vector<f>{f::pubsub, f::floodsub});
  // Pub/sub sets no configuration variable (the schema has none for it).
  CHECK(runner.config_flags
        == ok({"-listen=/ip4/127.0.0.1/tcp/40123",
               "-hostAddrs=/ip4/127.0.0.1/tcp/0"})
             .config_flags);
  CHECK(ok({"-pubsub=false", "-pubsubRouter=floodsub"}).services.empty());
}

TEST_CASE("the supported set is one list") {
  for (auto f :
       {p2pd_feature::noise, p2pd_feature::tls, p2pd_feature::plaintext,
        p2pd_feature::yamux, p2pd_feature::mplex, p2pd_feature::pubsub,
        p2pd_feature::gossipsub, p2pd_feature::floodsub}) {
    CAPTURE(to_string(f));
    CHECK(is_supported(f));
  }
  for (auto f : {p2pd_feature::dht_server, p2pd_feature::relay}) {
    CAPTURE(to_string(f));
    CHECK_FALSE(is_supported(f));
  }
  CHECK(std::string{to_string(p2pd_feature::dht_server)} == "dht_server");
}

TEST_CASE("-noise=false alone leaves no security transport") {
  CHECK(fails({"-noise=false"}).message
        == "-noise=false leaves no security transport: also give -tls=true "
           "or -plaintext=true");
}

TEST_CASE("-h asks for the usage text") {
  CHECK(ok({"-h"}).help);
  CHECK(ok({"--help"}).help);
  auto text = p2pd_usage();
  CHECK(text.find("-hostAddrs") != std::string::npos);
  CHECK(text.find("Implemented: -noise, -tls, -plaintext, -muxer=yamux, "
                  "-muxer=mplex, -pubsub, -pubsubRouter=gossipsub, "
                  "-pubsubRouter=floodsub\n")
        != std::string::npos);
}

TEST_CASE("services ask for their feature") {
  // An unimplemented service is an unsupported error naming it, which
  // tells the order in which they are checked.
  CHECK(fails({"-pubsub", "-relay", "-dhtServer"}).message.find("-dhtServer")
        != std::string::npos);
  CHECK(has(ok({}).security, p2pd_feature::noise));
}
