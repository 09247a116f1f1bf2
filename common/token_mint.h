// token_mint.h — making identity tokens: what the site's sign-in service does
// with its PRIVATE key (common/identity.h verifies them). Used by the operator
// side only: `seckill-admin token` (load runs, tests) and the local stack's
// demo sign-in (signin/); never linked into the pool workers, which hold only
// public keys. Also the key pair's generation (`seckill-admin keygen`).
//
// A token is a JWT signed by libjwt: header {"alg", "typ":"JWT", "kid"},
// claims {"sub", "iat", "exp"}. Immutable after Load: Mint is safe to call
// from several threads at once (each call has its own libjwt object).
#pragma once
#include <cstdint>
#include <string>

#include "common/identity.h"
#include "common/status.h"

namespace seckill {

class TokenMinter {
 public:
  // Reads the private key (PEM; for HS256 the secret's first line).
  Status Load(const std::string& kid, TokenAlg alg, const std::string& private_key_path);

  // Signs a token for `user` (REQUIRES: IsValidId(user)), issued at `now`
  // and valid for `ttl_seconds`. Returns Internal when libjwt fails.
  // `not_before` > 0 adds an nbf claim (tests of a token not yet valid).
  Status Mint(const std::string& user, int64_t now, int64_t ttl_seconds, std::string* token, int64_t not_before = 0) const;

 private:
  std::string kid_;
  TokenAlg alg_ = TokenAlg::kES256;
  std::string key_;
};

// The algorithm a private key file signs with: ES256 for a P-256 PEM key,
// RS256 for an RSA one, HS256 for a file that is no PEM (a secret). Returns
// Invalid when the file cannot be read or is a PEM key of another kind.
Status DetectKeyAlg(const std::string& private_key_path, TokenAlg* alg);

// Writes a new key pair for `alg` (ES256: P-256; RS256: 2048-bit RSA) as PEM:
// the private key to `private_path` (mode 0600, created exclusively unless
// `overwrite`), the public key to `public_path` (0644). For HS256 writes one
// random secret (32 bytes, base64) to `private_path` and the same file is both.
Status GenerateKeyPair(TokenAlg alg, const std::string& private_path, const std::string& public_path, bool overwrite);

}  // namespace seckill
