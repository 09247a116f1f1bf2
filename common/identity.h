// identity.h — who the buyer is: a JWT (RFC 7519) bearer token, signed by the
// site's sign-in service with its private key and verified here with the
// matching PUBLIC key (libjwt 1.10 + OpenSSL: no crypto or signature parsing
// of our own). The worker trusts no other identity (docs/api.md, "Identity").
//
// A token is accepted when all of these hold, else it is refused with the
// reason (every reason answers 401 {"error":"unauthorized"}):
//   - at most kMaxTokenBytes, three base64url segments;
//   - its header names a configured key: `kid`, or no kid when exactly one
//     key is configured; and its `alg` is that key's algorithm, exactly
//     (so `none`, and HS256 signed with a public key's bytes, are refused
//     before libjwt sees them; libjwt's own answer is checked again after);
//   - the signature verifies (libjwt's jwt_decode with that key);
//   - `sub` is a user id (common/ids.h) outside the anonymous namespace
//     ("anon-…", the users /buy/ticket makes up);
//   - `exp` is an integer and now <= exp + leeway; `nbf`, when present, an
//     integer <= now + leeway; `iat`, when present, an integer <= now + leeway.
//
// Keys come from the cluster config's [identity] section (common/cluster_config.h):
// several at once, one per kid, for rotation. Immutable after Load: Verify
// is safe to call from several threads.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace seckill {

constexpr size_t kMaxTokenBytes = 4096;     // a longer Authorization is refused unread
constexpr const char* kAnonymousPrefix = "anon-";  // /buy/ticket's made-up users; never a token's subject

// The algorithms a key may have. RS256 is the default: of the public-key
// algorithms the libraries offer, the cheapest to verify, which the workers do
// on every buyer request (docs/benchmarks-notes.md has the measured choice);
// ES256 for sites that sign with P-256 (9 times faster to sign, twice as
// costly to verify); HS256 (a shared secret, which lets whoever verifies also
// mint) only as an option.
// (Inline: the cluster config parses them without linking libjwt.)
enum class TokenAlg { kES256, kRS256, kHS256 };
// "ES256", …
inline const char* TokenAlgName(TokenAlg a) {
  switch (a) {
    case TokenAlg::kES256: return "ES256";
    case TokenAlg::kRS256: return "RS256";
    case TokenAlg::kHS256: return "HS256";
  }
  return "?";
}
// Returns false for anything else ("none" too).
inline bool ParseTokenAlg(std::string_view name, TokenAlg* out) {
  for (TokenAlg a : {TokenAlg::kES256, TokenAlg::kRS256, TokenAlg::kHS256}) {
    if (name == TokenAlgName(a)) {
      *out = a;
      return true;
    }
  }
  return false;
}

// The algorithm as libjwt names it (its jwt_alg_t, as an int so that this
// header needs no jwt.h): the verifier and the minter (token_mint.h) share it.
int LibjwtAlg(TokenAlg a);

// One configured key: its id, algorithm and the file that holds it (a PEM
// public key; for HS256 the secret, its first line).
struct KeySpec {
  std::string kid;  // 1-64 of [A-Za-z0-9_.-]
  TokenAlg alg = TokenAlg::kES256;
  std::string path;
};

enum class AuthError {
  kOk,             // verified: *identity is set
  kMissing,        // no Authorization header, or not "Bearer <token>"
  kMalformed,      // not three base64url segments, too long, header not JSON, claims of the wrong type
  kUnknownKey,     // no configured key for its kid (or no kid among several keys)
  kWrongAlgorithm, // alg is not the key's (alg none included)
  kBadSignature,   // libjwt refused it: the signature does not verify
  kExpired,        // exp + leeway is past, or no exp
  kNotYetValid,    // nbf or iat later than now + leeway
  kBadSubject,     // sub missing, not a user id, or an anonymous one
};
const char* AuthErrorName(AuthError e);  // "expired", …, for logs and tests

struct Identity {
  std::string user;        // the token's sub
  int64_t expires_at = 0;  // its exp, seconds since the epoch
};

class TokenVerifier {
 public:
  // Reads every key file. Returns Invalid naming the first key that cannot
  // be read or parsed (a PEM public key for ES256/RS256 of the right type).
  Status Load(const std::vector<KeySpec>& keys, int leeway_seconds);

  // Verifies `authorization` (an Authorization header's value, "Bearer
  // <token>"; the scheme is case-insensitive) at `now` (seconds since the
  // epoch). Returns kOk and sets *out, or the reason for refusing it.
  AuthError VerifyHeader(std::string_view authorization, int64_t now, Identity* out) const;
  // The same for a bare token.
  AuthError Verify(std::string_view token, int64_t now, Identity* out) const;

  bool empty() const { return keys_.empty(); }

 private:
  struct Key {
    std::string kid;
    TokenAlg alg;
    std::string material;  // the PEM text, or the HMAC secret
  };
  const Key* Find(std::string_view kid, bool has_kid) const;

  std::vector<Key> keys_;
  int leeway_ = 30;
};

}  // namespace seckill
