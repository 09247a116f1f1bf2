#include "common/identity.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>
#include <strings.h>

#include <charconv>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/ids.h"

namespace seckill {
namespace {

constexpr size_t kMaxHeaderBytes = 512;  // a JOSE header is a few dozen bytes: alg, typ, kid

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Decodes unpadded base64url (the JOSE header) through OpenSSL's base64.
// Returns false on a length no encoder makes.
bool DecodeBase64Url(std::string_view in, std::string* out) {
  if (in.size() % 4 == 1) return false;
  std::string b64(in);
  for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  size_t pad = (4 - b64.size() % 4) % 4;
  b64.append(pad, '=');
  out->resize(b64.size() / 4 * 3);
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out->data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return false;
  out->resize(static_cast<size_t>(n) - pad);
  return true;
}

// Reads a whole file. Returns false when it cannot be read.
bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// Returns OK when `pem` is a public key of the type `alg` needs.
Status CheckPublicKey(const std::string& pem, TokenAlg alg, const std::string& path) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return Status::Internal("out of memory");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr),
                                                          EVP_PKEY_free);
  if (!key) return Status::Invalid(path + ": not a PEM public key");
  int want = alg == TokenAlg::kES256 ? EVP_PKEY_EC : EVP_PKEY_RSA;
  if (EVP_PKEY_base_id(key.get()) != want)
    return Status::Invalid(path + ": not " + (alg == TokenAlg::kES256 ? "an EC" : "an RSA") + " public key");
  if (alg == TokenAlg::kES256 && EVP_PKEY_get_bits(key.get()) != 256)
    return Status::Invalid(path + ": ES256 needs a P-256 key");
  if (alg == TokenAlg::kRS256 && EVP_PKEY_get_bits(key.get()) < 2048)
    return Status::Invalid(path + ": RS256 needs an RSA key of 2048 bits or more");
  return Status::Ok();
}


// An integer claim of the decoded token: kOk with *v set, kMissing when
// absent, kMalformed when present but not an integer. (libjwt 1.10's
// jwt_get_grant_int answers 0 for a string or a fraction, so the claim is read
// as the JSON text libjwt prints for it: an integer prints as its digits.)
enum class Claim { kOk, kMissing, kMalformed };
Claim IntClaim(jwt_t* jwt, const char* name, int64_t* v) {
  std::unique_ptr<char, decltype(&free)> text(jwt_get_grants_json(jwt, name), free);
  if (!text) return Claim::kMissing;
  const char* end = text.get() + strlen(text.get());
  auto [ptr, ec] = std::from_chars(text.get(), end, *v);
  return ec == std::errc() && ptr == end ? Claim::kOk : Claim::kMalformed;
}

}  // namespace

int LibjwtAlg(TokenAlg a) {
  switch (a) {
    case TokenAlg::kES256: return JWT_ALG_ES256;
    case TokenAlg::kRS256: return JWT_ALG_RS256;
    case TokenAlg::kHS256: return JWT_ALG_HS256;
  }
  return JWT_ALG_INVAL;
}

const char* AuthErrorName(AuthError e) {
  switch (e) {
    case AuthError::kOk: return "ok";
    case AuthError::kMissing: return "missing";
    case AuthError::kMalformed: return "malformed";
    case AuthError::kUnknownKey: return "unknown_key";
    case AuthError::kWrongAlgorithm: return "wrong_algorithm";
    case AuthError::kBadSignature: return "bad_signature";
    case AuthError::kExpired: return "expired";
    case AuthError::kNotYetValid: return "not_yet_valid";
    case AuthError::kBadSubject: return "bad_subject";
  }
  return "unknown";
}

Status TokenVerifier::Load(const std::vector<KeySpec>& keys, int leeway_seconds) {
  std::vector<Key> loaded;
  for (const KeySpec& k : keys) {
    Key key{k.kid, k.alg, ""};
    if (!ReadFile(k.path, &key.material)) return Status::Invalid("key " + k.kid + ": cannot read " + k.path);
    if (k.alg == TokenAlg::kHS256) {
      key.material = key.material.substr(0, key.material.find('\n'));
      if (key.material.size() < 32) return Status::Invalid("key " + k.kid + ": " + k.path + ": an HS256 secret needs 32 bytes or more");
    } else {
      Status st = CheckPublicKey(key.material, k.alg, k.path);
      if (!st.ok()) return Status::Invalid("key " + k.kid + ": " + st.message());
    }
    loaded.push_back(std::move(key));
  }
  keys_ = std::move(loaded);
  leeway_ = leeway_seconds;
  return Status::Ok();
}

const TokenVerifier::Key* TokenVerifier::Find(std::string_view kid, bool has_kid) const {
  if (!has_kid) return keys_.size() == 1 ? &keys_[0] : nullptr;
  for (const Key& k : keys_)
    if (k.kid == kid) return &k;
  return nullptr;
}

AuthError TokenVerifier::VerifyHeader(std::string_view authorization, int64_t now, Identity* out) const {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      strncasecmp(authorization.data(), kScheme.data(), kScheme.size()) != 0)
    return AuthError::kMissing;
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return AuthError::kMissing;
  return Verify(token, now, out);
}

AuthError TokenVerifier::Verify(std::string_view token, int64_t now, Identity* out) const {
  // 1. Shape: three base64url segments, bounded, before anything is decoded.
  if (token.size() > kMaxTokenBytes) return AuthError::kMalformed;
  size_t dots = 0, first_dot = std::string_view::npos;
  for (size_t i = 0; i < token.size(); i++) {
    if (token[i] == '.') {
      if (dots++ == 0) first_dot = i;
    } else if (!IsBase64UrlChar(token[i])) {
      return AuthError::kMalformed;
    }
  }
  if (dots != 2 || first_dot == 0 || first_dot > kMaxHeaderBytes) return AuthError::kMalformed;

  // 2. The header picks the key, and must name exactly its algorithm.
  std::string header_text;
  if (!DecodeBase64Url(token.substr(0, first_dot), &header_text)) return AuthError::kMalformed;
  nlohmann::json header = nlohmann::json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return AuthError::kMalformed;
  auto alg_it = header.find("alg");
  if (alg_it == header.end() || !alg_it->is_string()) return AuthError::kMalformed;
  auto kid_it = header.find("kid");
  if (kid_it != header.end() && !kid_it->is_string()) return AuthError::kMalformed;
  const Key* key = Find(kid_it == header.end() ? std::string_view() : kid_it->get_ref<const std::string&>(),
                        kid_it != header.end());
  if (!key) return AuthError::kUnknownKey;
  if (alg_it->get_ref<const std::string&>() != TokenAlgName(key->alg)) return AuthError::kWrongAlgorithm;

  // 3. The signature: libjwt, with that key only.
  jwt_t* raw = nullptr;
  std::string nul_terminated(token);
  int rc = jwt_decode(&raw, nul_terminated.c_str(), reinterpret_cast<const unsigned char*>(key->material.data()),
                      static_cast<int>(key->material.size()));
  std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, jwt_free);
  if (rc != 0 || !jwt) return AuthError::kBadSignature;
  if (jwt_get_alg(jwt.get()) != static_cast<jwt_alg_t>(LibjwtAlg(key->alg))) return AuthError::kWrongAlgorithm;

  // 4. The claims, as libjwt decoded them (no second parse of ours).
  int64_t exp = 0, nbf = 0, iat = 0;
  switch (IntClaim(jwt.get(), "exp", &exp)) {
    case Claim::kOk: break;
    case Claim::kMissing: return AuthError::kExpired;  // a token without an end is not accepted
    case Claim::kMalformed: return AuthError::kMalformed;
  }
  if (exp < now - leeway_) return AuthError::kExpired;  // (so that no exp can overflow)
  switch (IntClaim(jwt.get(), "nbf", &nbf)) {
    case Claim::kOk: if (nbf > now + leeway_) return AuthError::kNotYetValid; break;
    case Claim::kMissing: break;
    case Claim::kMalformed: return AuthError::kMalformed;
  }
  switch (IntClaim(jwt.get(), "iat", &iat)) {
    case Claim::kOk: if (iat > now + leeway_) return AuthError::kNotYetValid; break;
    case Claim::kMissing: break;
    case Claim::kMalformed: return AuthError::kMalformed;
  }
  const char* sub_text = jwt_get_grant(jwt.get(), "sub");  // NULL when absent or not a string
  if (!sub_text) return AuthError::kBadSubject;
  std::string_view sub(sub_text);
  if (!IsValidId(sub) || sub.rfind(kAnonymousPrefix, 0) == 0) return AuthError::kBadSubject;
  out->user = sub;
  out->expires_at = exp;
  return AuthError::kOk;
}

}  // namespace seckill
