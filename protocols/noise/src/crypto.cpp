// OpenSSL 3 / libsodium implementation of the Noise crypto interface.

#include "crypto.hpp"

#include <cstring>
#include <new>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

namespace canswarm::noise::detail {

namespace {

// Aborts on failures that only happen when OpenSSL is out of memory or
// misbuilt; they are not reachable from remote input.
void require(bool ok) {
  if (!ok)
    throw std::bad_alloc{};
}

struct sodium_init_once {
  sodium_init_once() {
    require(sodium_init() >= 0);
  }
};

void ensure_sodium() {
  static sodium_init_once once;
}

void make_nonce(std::uint64_t counter, std::uint8_t (&nonce)[12]) {
  std::memset(nonce, 0, 4);
  for (int i = 0; i < 8; ++i)
    nonce[4 + i] = static_cast<std::uint8_t>(counter >> (8 * i));
}

} // namespace

key32 x25519_public(const key32& secret) {
  ensure_sodium();
  key32 pub;
  require(crypto_scalarmult_base(pub.data(), secret.data()) == 0);
  return pub;
}

bool x25519(const key32& secret, const key32& remote, key32& shared) {
  ensure_sodium();
  // libsodium returns -1 when the result is all zeros (low-order point).
  return crypto_scalarmult(shared.data(), secret.data(), remote.data()) == 0;
}

digest sha256(std::initializer_list<bytes_view> parts) {
  digest out;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  require(ctx != nullptr);
  bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1;
  for (auto part : parts)
    ok = ok && EVP_DigestUpdate(ctx, part.data(), part.size()) == 1;
  unsigned int len = 0;
  ok = ok && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  require(ok && len == out.size());
  return out;
}

digest hmac_sha256(bytes_view key, std::initializer_list<bytes_view> parts) {
  // HMAC by its definition (RFC 2104) on EVP digests: keys here are at most
  // 32 bytes, below the 64-byte block, so no key hashing is needed.
  constexpr std::size_t block = 64;
  require(key.size() <= block);
  std::uint8_t ipad[block];
  std::uint8_t opad[block];
  std::memset(ipad, 0x36, block);
  std::memset(opad, 0x5c, block);
  for (std::size_t i = 0; i < key.size(); ++i) {
    ipad[i] ^= key[i];
    opad[i] ^= key[i];
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  require(ctx != nullptr);
  digest inner;
  digest out;
  unsigned int len = 0;
  bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1
            && EVP_DigestUpdate(ctx, ipad, block) == 1;
  for (auto part : parts)
    ok = ok && EVP_DigestUpdate(ctx, part.data(), part.size()) == 1;
  ok = ok && EVP_DigestFinal_ex(ctx, inner.data(), &len) == 1
       && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1
       && EVP_DigestUpdate(ctx, opad, block) == 1
       && EVP_DigestUpdate(ctx, inner.data(), inner.size()) == 1
       && EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_cleanse(ipad, block);
  OPENSSL_cleanse(opad, block);
  require(ok);
  return out;
}

aead::aead(const key32& key) : ctx_(EVP_CIPHER_CTX_new()) {
  require(ctx_ != nullptr);
  require(EVP_CipherInit_ex(ctx_, EVP_chacha20_poly1305(), nullptr, key.data(),
                            nullptr, 1)
          == 1);
}

aead::~aead() {
  EVP_CIPHER_CTX_free(ctx_);
}

void aead::seal(std::uint64_t counter, bytes_view ad, const std::uint8_t* in,
                std::size_t len, std::uint8_t* out, std::uint8_t* tag) {
  std::uint8_t nonce[12];
  make_nonce(counter, nonce);
  int n = 0;
  bool ok = EVP_CipherInit_ex(ctx_, nullptr, nullptr, nullptr, nonce, 1) == 1;
  if (!ad.empty())
    ok = ok
         && EVP_CipherUpdate(ctx_, nullptr, &n, ad.data(),
                             static_cast<int>(ad.size()))
              == 1;
  if (len > 0)
    ok = ok && EVP_CipherUpdate(ctx_, out, &n, in, static_cast<int>(len)) == 1;
  ok = ok && EVP_CipherFinal_ex(ctx_, out + len, &n) == 1
       && EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG,
                              static_cast<int>(aead_tag_size), tag)
            == 1;
  require(ok);
}

bool aead::open(std::uint64_t counter, bytes_view ad, const std::uint8_t* in,
                std::size_t len, std::uint8_t* out, const std::uint8_t* tag) {
  std::uint8_t nonce[12];
  make_nonce(counter, nonce);
  int n = 0;
  require(EVP_CipherInit_ex(ctx_, nullptr, nullptr, nullptr, nonce, 0) == 1);
  // OpenSSL takes a non-const tag pointer but only reads it here.
  require(EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG,
                              static_cast<int>(aead_tag_size),
                              const_cast<std::uint8_t*>(tag))
          == 1);
  if (!ad.empty()
      && EVP_CipherUpdate(ctx_, nullptr, &n, ad.data(),
                          static_cast<int>(ad.size()))
           != 1)
    return false;
  if (len > 0
      && EVP_CipherUpdate(ctx_, out, &n, in, static_cast<int>(len)) != 1)
    return false;
  return EVP_CipherFinal_ex(ctx_, out + len, &n) == 1;
}

} // namespace canswarm::noise::detail
