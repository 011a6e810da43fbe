// Noise CipherState and SymmetricState (Noise spec rev. 34, 5.1 and 5.2).

#include "canswarm/noise/cipher_state.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "crypto.hpp"

namespace canswarm::noise {

// -- cipher_state -------------------------------------------------------------

cipher_state::cipher_state() = default;
cipher_state::~cipher_state() = default;
cipher_state::cipher_state(cipher_state&&) noexcept = default;
cipher_state& cipher_state::operator=(cipher_state&&) noexcept = default;

void cipher_state::initialize_key(const key32& key) {
  aead_ = std::make_unique<detail::aead>(key);
  nonce_ = 0;
}

result<void> cipher_state::check_nonce() const {
  if (nonce_ == max_nonce)
    return make_error(errc::refused,
                      "noise nonce space exhausted: 2^64-1 messages sent "
                      "under one key");
  return {};
}

result<void> cipher_state::encrypt_with_ad(bytes_view ad, bytes_view plaintext,
                                           bytes& out) {
  if (!has_key()) {
    append(out, plaintext);
    return {};
  }
  if (auto ok = check_nonce(); !ok)
    return ok;
  auto offset = out.size();
  out.resize(offset + plaintext.size() + tag_size);
  auto* dst = out.data() + offset;
  aead_->seal(nonce_, ad, plaintext.data(), plaintext.size(), dst,
              dst + plaintext.size());
  ++nonce_;
  return {};
}

result<void> cipher_state::decrypt_with_ad(bytes_view ad, bytes_view ciphertext,
                                           bytes& out) {
  if (!has_key()) {
    append(out, ciphertext);
    return {};
  }
  if (auto ok = check_nonce(); !ok)
    return ok;
  if (ciphertext.size() < tag_size)
    return make_error(errc::malformed,
                      fmt::format("noise ciphertext of {} bytes is shorter "
                                  "than its {}-byte tag",
                                  ciphertext.size(), tag_size));
  auto len = ciphertext.size() - tag_size;
  auto offset = out.size();
  out.resize(offset + len);
  if (!aead_->open(nonce_, ad, ciphertext.data(), len, out.data() + offset,
                   ciphertext.data() + len)) {
    out.resize(offset);
    return make_error(errc::crypto,
                      "noise ciphertext failed authentication (AEAD tag "
                      "mismatch)");
  }
  ++nonce_;
  return {};
}

result<void> cipher_state::seal_to(const std::uint8_t* in, std::size_t len,
                                   std::uint8_t* out) {
  if (!has_key())
    return make_error(errc::invalid_argument, "noise cipher has no key");
  if (auto ok = check_nonce(); !ok)
    return ok;
  aead_->seal(nonce_, {}, in, len, out, out + len);
  ++nonce_;
  return {};
}

result<void> cipher_state::open_to(const std::uint8_t* in, std::size_t len,
                                   std::uint8_t* out) {
  if (!has_key())
    return make_error(errc::invalid_argument, "noise cipher has no key");
  if (auto ok = check_nonce(); !ok)
    return ok;
  if (!aead_->open(nonce_, {}, in, len, out, in + len))
    return make_error(errc::crypto,
                      "noise transport frame failed authentication (AEAD tag "
                      "mismatch)");
  ++nonce_;
  return {};
}

// -- symmetric_state ----------------------------------------------------------

std::pair<key32, key32> hkdf2(const key32& chaining_key,
                              bytes_view input_key_material) {
  static constexpr std::uint8_t one = 0x01;
  static constexpr std::uint8_t two = 0x02;
  auto temp_key = detail::hmac_sha256(chaining_key, {input_key_material});
  auto out1 = detail::hmac_sha256(temp_key, {bytes_view{&one, 1}});
  auto out2 = detail::hmac_sha256(temp_key, {out1, bytes_view{&two, 1}});
  return {out1, out2};
}

symmetric_state::symmetric_state(std::string_view protocol_name) {
  auto name = as_bytes(protocol_name);
  if (name.size() <= hash_size) {
    h_.fill(0);
    std::copy(name.begin(), name.end(), h_.begin());
  } else {
    h_ = detail::sha256({name});
  }
  ck_ = h_;
}

void symmetric_state::mix_key(bytes_view input_key_material) {
  auto [ck, temp_k] = hkdf2(ck_, input_key_material);
  ck_ = ck;
  cipher_.initialize_key(temp_k);
}

void symmetric_state::mix_hash(bytes_view data) {
  h_ = detail::sha256({h_, data});
}

result<void> symmetric_state::encrypt_and_hash(bytes_view plaintext,
                                               bytes& out) {
  auto offset = out.size();
  if (auto ok = cipher_.encrypt_with_ad(h_, plaintext, out); !ok)
    return ok;
  mix_hash(bytes_view{out}.subspan(offset));
  return {};
}

result<void> symmetric_state::decrypt_and_hash(bytes_view ciphertext,
                                               bytes& out) {
  if (auto ok = cipher_.decrypt_with_ad(h_, ciphertext, out); !ok)
    return ok;
  mix_hash(ciphertext);
  return {};
}

std::pair<cipher_state, cipher_state> symmetric_state::split() const {
  auto [k1, k2] = hkdf2(ck_, {});
  std::pair<cipher_state, cipher_state> result;
  result.first.initialize_key(k1);
  result.second.initialize_key(k2);
  return result;
}

} // namespace canswarm::noise
