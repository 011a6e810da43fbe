// Schema names of the control protocol's enum values, for logs and errors.

#include "canswarm/p2pd/messages.hpp"

namespace canswarm::p2pd {

const char* to_string(request_type t) {
  switch (t) {
    case request_type::identify: return "IDENTIFY";
    case request_type::connect: return "CONNECT";
    case request_type::stream_open: return "STREAM_OPEN";
    case request_type::stream_handler: return "STREAM_HANDLER";
    case request_type::dht: return "DHT";
    case request_type::list_peers: return "LIST_PEERS";
    case request_type::connmanager: return "CONNMANAGER";
    case request_type::disconnect: return "DISCONNECT";
    case request_type::pubsub: return "PUBSUB";
    case request_type::peerstore: return "PEERSTORE";
    case request_type::canswarm_stats: return "CANSWARM_STATS";
    case request_type::canswarm_inspect: return "CANSWARM_INSPECT";
  }
  return "UNKNOWN";
}

const char* to_string(response_type t) {
  switch (t) {
    case response_type::ok: return "OK";
    case response_type::error: return "ERROR";
  }
  return "UNKNOWN";
}

const char* to_string(dht_request_type t) {
  switch (t) {
    case dht_request_type::find_peer: return "FIND_PEER";
    case dht_request_type::find_peers_connected_to_peer:
      return "FIND_PEERS_CONNECTED_TO_PEER";
    case dht_request_type::find_providers: return "FIND_PROVIDERS";
    case dht_request_type::get_closest_peers: return "GET_CLOSEST_PEERS";
    case dht_request_type::get_public_key: return "GET_PUBLIC_KEY";
    case dht_request_type::get_value: return "GET_VALUE";
    case dht_request_type::search_value: return "SEARCH_VALUE";
    case dht_request_type::put_value: return "PUT_VALUE";
    case dht_request_type::provide: return "PROVIDE";
  }
  return "UNKNOWN";
}

const char* to_string(dht_response_type t) {
  switch (t) {
    case dht_response_type::begin: return "BEGIN";
    case dht_response_type::value: return "VALUE";
    case dht_response_type::end: return "END";
  }
  return "UNKNOWN";
}

const char* to_string(connmanager_request_type t) {
  switch (t) {
    case connmanager_request_type::tag_peer: return "TAG_PEER";
    case connmanager_request_type::untag_peer: return "UNTAG_PEER";
    case connmanager_request_type::trim: return "TRIM";
  }
  return "UNKNOWN";
}

const char* to_string(ps_request_type t) {
  switch (t) {
    case ps_request_type::get_topics: return "GET_TOPICS";
    case ps_request_type::list_peers: return "LIST_PEERS";
    case ps_request_type::publish: return "PUBLISH";
    case ps_request_type::subscribe: return "SUBSCRIBE";
  }
  return "UNKNOWN";
}

const char* to_string(peerstore_request_type t) {
  switch (t) {
    case peerstore_request_type::get_protocols: return "GET_PROTOCOLS";
    case peerstore_request_type::get_peer_info: return "GET_PEER_INFO";
  }
  return "UNKNOWN";
}

} // namespace canswarm::p2pd
