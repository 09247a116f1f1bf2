// identity_test — the buyer's token (common/identity.h) against real keys
// made by common/token_mint.h in a temporary folder:
//   1. a minted ES256, RS256 and HS256 token verifies, its sub is the user;
//      the Authorization header's scheme; several keys chosen by kid;
//   2. every refusal: missing, malformed (segments, base64, JSON, 8 KB),
//      alg none, a wrong algorithm (HS256 signed with the public key's bytes,
//      RS256 against an ES256 key), a bad signature (another key, a changed
//      claim, a truncated signature), an unknown kid, expired, nbf and iat in
//      the future (with the leeway), sub missing, invalid or anonymous, exp
//      missing or not an integer;
//   3. keys that cannot be loaded; the [identity] section of the cluster config.
#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "common/cluster_config.h"
#include "common/identity.h"
#include "common/token_mint.h"

using namespace seckill;

namespace {

std::string B64Url(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

// A folder with an ES256 pair (kid "es"), an RS256 pair ("rs"), an HS256
// secret ("hs") and a second ES256 pair ("es2"), minters for each.
struct Keys {
  std::string dir;
  TokenMinter es, rs, hs, es2;
  int64_t now = static_cast<int64_t>(time(nullptr));

  Keys() {
    char tmp[] = "/tmp/seckill-identity-XXXXXX";
    REQUIRE(mkdtemp(tmp));
    dir = tmp;
    REQUIRE(GenerateKeyPair(TokenAlg::kES256, dir + "/es.key", dir + "/es.pub", false).ok());
    REQUIRE(GenerateKeyPair(TokenAlg::kRS256, dir + "/rs.key", dir + "/rs.pub", false).ok());
    REQUIRE(GenerateKeyPair(TokenAlg::kHS256, dir + "/hs.key", "", false).ok());
    REQUIRE(GenerateKeyPair(TokenAlg::kES256, dir + "/es2.key", dir + "/es2.pub", false).ok());
    REQUIRE(es.Load("es", TokenAlg::kES256, dir + "/es.key").ok());
    REQUIRE(rs.Load("rs", TokenAlg::kRS256, dir + "/rs.key").ok());
    REQUIRE(hs.Load("hs", TokenAlg::kHS256, dir + "/hs.key").ok());
    REQUIRE(es2.Load("es", TokenAlg::kES256, dir + "/es2.key").ok());  // claims kid "es": an impostor
  }
  ~Keys() { std::system(("rm -rf '" + dir + "'").c_str()); }

  TokenVerifier Verifier(std::vector<KeySpec> specs, int leeway = 30) {
    TokenVerifier v;
    Status st = v.Load(specs, leeway);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return v;
  }
  TokenVerifier EsOnly() { return Verifier({{"es", TokenAlg::kES256, dir + "/es.pub"}}); }
  std::string Mint(const TokenMinter& m, const std::string& user, int64_t iat, int64_t ttl) {
    std::string t;
    REQUIRE(m.Mint(user, iat, ttl, &t).ok());
    return t;
  }
  std::string Slurp(const std::string& name) {
    FILE* f = fopen((dir + "/" + name).c_str(), "rb");
    REQUIRE(f);
    std::string s;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    fclose(f);
    return s;
  }
};

// A token of our own making: header and claims as given, signed by nobody.
std::string Forged(const std::string& header, const std::string& claims, const std::string& sig = "") {
  return B64Url(header) + "." + B64Url(claims) + "." + sig;
}

}  // namespace

TEST_CASE("identity: a minted token verifies, with every algorithm") {
  Keys k;
  TokenVerifier v = k.Verifier({{"es", TokenAlg::kES256, k.dir + "/es.pub"},
                                {"rs", TokenAlg::kRS256, k.dir + "/rs.pub"},
                                {"hs", TokenAlg::kHS256, k.dir + "/hs.key"}});
  for (TokenMinter* m : {&k.es, &k.rs, &k.hs}) {
    Identity id;
    CHECK(v.Verify(k.Mint(*m, "alice", k.now, 600), k.now, &id) == AuthError::kOk);
    CHECK(id.user == "alice");
    CHECK(id.expires_at == k.now + 600);
  }
  struct stat st;
  REQUIRE(stat((k.dir + "/es.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);  // the private key is the owner's only
}

TEST_CASE("identity: the Authorization header carries it as Bearer") {
  Keys k;
  TokenVerifier v = k.EsOnly();
  std::string t = k.Mint(k.es, "bob", k.now, 600);
  Identity id;
  CHECK(v.VerifyHeader("Bearer " + t, k.now, &id) == AuthError::kOk);
  CHECK(v.VerifyHeader("bearer  " + t + " ", k.now, &id) == AuthError::kOk);
  CHECK(v.VerifyHeader("", k.now, &id) == AuthError::kMissing);
  CHECK(v.VerifyHeader("Bearer ", k.now, &id) == AuthError::kMissing);
  CHECK(v.VerifyHeader("Basic " + t, k.now, &id) == AuthError::kMissing);
  CHECK(v.VerifyHeader(t, k.now, &id) == AuthError::kMissing);
  CHECK(v.VerifyHeader("Bearer " + t + "\r\nX-Injected: 1", k.now, &id) == AuthError::kMalformed);
}

TEST_CASE("identity: malformed tokens are refused before any key is used") {
  Keys k;
  TokenVerifier v = k.EsOnly();
  std::string t = k.Mint(k.es, "carol", k.now, 600);
  Identity id;
  CHECK(v.Verify("", k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify("abc", k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify("a.b", k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify(t + ".x", k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify(".." , k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify("e30=.e30.sig", k.now, &id) == AuthError::kMalformed);        // padding is not base64url
  CHECK(v.Verify(B64Url("not json") + ".e30.x", k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify(B64Url("[1]") + ".e30.x", k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify(B64Url("{\"alg\":5}") + ".e30.x", k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify(B64Url("{\"typ\":\"JWT\"}") + ".e30.x", k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify(B64Url("{\"alg\":\"ES256\",\"kid\":7}") + ".e30.x", k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify(std::string(8192, 'A') + "." + t, k.now, &id) == AuthError::kMalformed);  // 8 KB
  std::string nul = t;
  nul[5] = '\0';
  CHECK(v.Verify(nul, k.now, &id) == AuthError::kMalformed);
}

TEST_CASE("identity: alg none and a wrong algorithm are refused") {
  Keys k;
  TokenVerifier v = k.EsOnly();
  std::string claims = "{\"sub\":\"mallory\",\"exp\":" + std::to_string(k.now + 600) + "}";
  Identity id;
  CHECK(v.Verify(Forged("{\"alg\":\"none\",\"kid\":\"es\"}", claims), k.now, &id) == AuthError::kWrongAlgorithm);
  CHECK(v.Verify(Forged("{\"alg\":\"none\"}", claims), k.now, &id) == AuthError::kWrongAlgorithm);
  CHECK(v.Verify(Forged("{\"alg\":\"NONE\",\"kid\":\"es\"}", claims), k.now, &id) == AuthError::kWrongAlgorithm);
  CHECK(v.Verify(Forged("{\"alg\":\"ES384\",\"kid\":\"es\"}", claims, "AAAA"), k.now, &id) == AuthError::kWrongAlgorithm);
  SUBCASE("HS256 signed with the public key's bytes (the key confusion attack)") {
    std::string pub = k.Slurp("es.pub");
    std::string secret_path = k.dir + "/pub-as-secret";
    FILE* f = fopen(secret_path.c_str(), "w");
    REQUIRE(f);
    fputs(pub.substr(0, pub.find('\n')).c_str(), f);  // the minter reads a secret's first line
    fclose(f);
    TokenMinter confused;
    REQUIRE(confused.Load("es", TokenAlg::kHS256, secret_path).ok());
    CHECK(v.Verify(k.Mint(confused, "mallory", k.now, 600), k.now, &id) == AuthError::kWrongAlgorithm);
  }
  SUBCASE("RS256 against an ES256 key") {
    TokenMinter rs_as_es;
    REQUIRE(rs_as_es.Load("es", TokenAlg::kRS256, k.dir + "/rs.key").ok());
    CHECK(v.Verify(k.Mint(rs_as_es, "mallory", k.now, 600), k.now, &id) == AuthError::kWrongAlgorithm);
  }
}

TEST_CASE("identity: a bad signature is refused") {
  Keys k;
  TokenVerifier v = k.EsOnly();
  Identity id;
  // Another key claiming the same kid.
  CHECK(v.Verify(k.Mint(k.es2, "mallory", k.now, 600), k.now, &id) == AuthError::kBadSignature);
  std::string t = k.Mint(k.es, "alice", k.now, 600);
  size_t dot1 = t.find('.'), dot2 = t.rfind('.');
  // The claims changed (another sub), the signature kept.
  std::string claims = "{\"exp\":" + std::to_string(k.now + 600) + ",\"sub\":\"mallory\"}";
  CHECK(v.Verify(t.substr(0, dot1) + "." + B64Url(claims) + t.substr(dot2), k.now, &id) == AuthError::kBadSignature);
  // Truncated signature; no signature; a flipped character in it.
  CHECK(v.Verify(t.substr(0, t.size() - 10), k.now, &id) == AuthError::kBadSignature);
  CHECK(v.Verify(t.substr(0, dot2 + 1), k.now, &id) == AuthError::kBadSignature);
  std::string flipped = t;
  flipped[dot2 + 5] = flipped[dot2 + 5] == 'A' ? 'B' : 'A';
  CHECK(v.Verify(flipped, k.now, &id) == AuthError::kBadSignature);
}

TEST_CASE("identity: the kid picks the key; rotation keeps both") {
  Keys k;
  TokenVerifier two = k.Verifier({{"es", TokenAlg::kES256, k.dir + "/es.pub"}, {"es2", TokenAlg::kES256, k.dir + "/es2.pub"}});
  TokenMinter next;
  REQUIRE(next.Load("es2", TokenAlg::kES256, k.dir + "/es2.key").ok());
  Identity id;
  CHECK(two.Verify(k.Mint(k.es, "alice", k.now, 600), k.now, &id) == AuthError::kOk);
  CHECK(two.Verify(k.Mint(next, "alice", k.now, 600), k.now, &id) == AuthError::kOk);
  TokenMinter unknown;
  REQUIRE(unknown.Load("retired", TokenAlg::kES256, k.dir + "/es.key").ok());
  CHECK(two.Verify(k.Mint(unknown, "alice", k.now, 600), k.now, &id) == AuthError::kUnknownKey);
  // Without a kid: accepted only when one key is configured.
  std::string claims = "{\"sub\":\"alice\",\"exp\":" + std::to_string(k.now + 600) + "}";
  CHECK(two.Verify(Forged("{\"alg\":\"ES256\"}", claims, "AAAA"), k.now, &id) == AuthError::kUnknownKey);
  CHECK(k.EsOnly().Verify(Forged("{\"alg\":\"ES256\"}", claims, "AAAA"), k.now, &id) == AuthError::kBadSignature);
}

TEST_CASE("identity: exp, nbf and iat are enforced within the leeway") {
  Keys k;
  TokenVerifier v = k.Verifier({{"hs", TokenAlg::kHS256, k.dir + "/hs.key"}}, 30);
  Identity id;
  CHECK(v.Verify(k.Mint(k.es, "a", k.now, 600), k.now, &id) == AuthError::kUnknownKey);  // kid es: not this verifier's
  CHECK(v.Verify(k.Mint(k.hs, "a", k.now - 700, 600), k.now, &id) == AuthError::kExpired);
  CHECK(v.Verify(k.Mint(k.hs, "a", k.now - 620, 600), k.now, &id) == AuthError::kOk);      // 20 s late: within 30
  CHECK(v.Verify(k.Mint(k.hs, "a", k.now + 3600, 600), k.now, &id) == AuthError::kNotYetValid);  // iat in an hour
  CHECK(v.Verify(k.Mint(k.hs, "a", k.now + 20, 600), k.now, &id) == AuthError::kOk);       // a clock 20 s ahead

  // Claims the minter does not make: the test signs them with the HS256 secret.
  std::string secret = k.Slurp("hs.key");
  secret = secret.substr(0, secret.find('\n'));
  auto signed_hs = [&](const std::string& claims) {
    std::string input = B64Url("{\"alg\":\"HS256\",\"kid\":\"hs\"}") + "." + B64Url(claims);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
         input.size(), mac, &len);
    return input + "." + B64Url(std::string(reinterpret_cast<char*>(mac), len));
  };
  std::string exp = std::to_string(k.now + 600);
  CHECK(v.Verify(signed_hs("{\"sub\":\"a\",\"exp\":" + exp + "}"), k.now, &id) == AuthError::kOk);
  CHECK(v.Verify(signed_hs("{\"sub\":\"a\"}"), k.now, &id) == AuthError::kExpired);  // no exp: no end, refused
  CHECK(v.Verify(signed_hs("{\"sub\":\"a\",\"exp\":\"" + exp + "\"}"), k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify(signed_hs("{\"sub\":\"a\",\"exp\":" + exp + ".5}"), k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify(signed_hs("{\"sub\":\"a\",\"exp\":" + exp + ",\"nbf\":" + std::to_string(k.now + 86400 * 365) + "}"),
                 k.now, &id) == AuthError::kNotYetValid);  // far-future nbf
  CHECK(v.Verify(signed_hs("{\"sub\":\"a\",\"exp\":" + exp + ",\"nbf\":" + std::to_string(k.now + 20) + "}"),
                 k.now, &id) == AuthError::kOk);  // within the leeway
  CHECK(v.Verify(signed_hs("{\"sub\":\"a\",\"exp\":" + exp + ",\"nbf\":\"soon\"}"), k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify(signed_hs("{\"sub\":\"a\",\"exp\":" + exp + ",\"iat\":true}"), k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify(signed_hs("{\"sub\":\"a\",\"exp\":9223372036854775807}"), k.now, &id) == AuthError::kOk);  // no overflow
  CHECK(v.Verify(signed_hs("{\"sub\":\"a\",\"exp\":-9223372036854775807}"), k.now, &id) == AuthError::kExpired);
  CHECK(v.Verify(signed_hs("{\"sub\":\"a\",\"exp\":1e30}"), k.now, &id) == AuthError::kMalformed);
  CHECK(v.Verify(signed_hs("{\"exp\":" + exp + "}"), k.now, &id) == AuthError::kBadSubject);
  CHECK(v.Verify(signed_hs("{\"sub\":42,\"exp\":" + exp + "}"), k.now, &id) == AuthError::kBadSubject);
  CHECK(v.Verify(signed_hs("{\"sub\":\"a\",\"exp\":" + exp + "}").substr(1), k.now, &id) != AuthError::kOk);
}

TEST_CASE("identity: the subject must be a user id, never an anonymous one") {
  Keys k;
  TokenVerifier v = k.EsOnly();
  Identity id;
  CHECK(v.Verify(k.Mint(k.es, "anon-0123456789abcdef", k.now, 600), k.now, &id) == AuthError::kBadSubject);
  CHECK(v.Verify(k.Mint(k.es, ".hidden", k.now, 600), k.now, &id) == AuthError::kBadSubject);
  CHECK(v.Verify(k.Mint(k.es, "has space", k.now, 600), k.now, &id) == AuthError::kBadSubject);
  CHECK(v.Verify(k.Mint(k.es, std::string(65, 'a'), k.now, 600), k.now, &id) == AuthError::kBadSubject);
  CHECK(v.Verify(k.Mint(k.es, std::string(64, 'a'), k.now, 600), k.now, &id) == AuthError::kOk);
}

TEST_CASE("identity: keys that cannot be used are refused at load") {
  Keys k;
  TokenVerifier v;
  CHECK_FALSE(v.Load({{"x", TokenAlg::kES256, k.dir + "/missing.pub"}}, 30).ok());
  CHECK_FALSE(v.Load({{"x", TokenAlg::kES256, k.dir + "/es.key"}}, 30).ok());  // a private key is no public key
  CHECK_FALSE(v.Load({{"x", TokenAlg::kES256, k.dir + "/rs.pub"}}, 30).ok());  // RSA for ES256
  CHECK_FALSE(v.Load({{"x", TokenAlg::kRS256, k.dir + "/es.pub"}}, 30).ok());  // EC for RS256
  CHECK(v.Load({{"x", TokenAlg::kRS256, k.dir + "/rs.pub"}}, 30).ok());
  TokenMinter m;
  CHECK_FALSE(m.Load("x", TokenAlg::kES256, k.dir + "/es.pub").ok());  // a public key cannot sign
  CHECK_FALSE(m.Load("bad id", TokenAlg::kES256, k.dir + "/es.key").ok());
  CHECK_FALSE(GenerateKeyPair(TokenAlg::kES256, k.dir + "/es.key", k.dir + "/x.pub", false).ok());  // no overwrite
}

TEST_CASE("identity: the cluster config's [identity] section") {
  ClusterConfig c;
  REQUIRE(ClusterConfig::Parse("[node n1]\n", "t", &c).ok());
  CHECK(c.identity.keys.empty());
  CHECK_FALSE(c.identity.anonymous_buy_ticket);
  CHECK_FALSE(c.identity.demo_sign_in);
  CHECK(c.identity.leeway_seconds == 30);
  Status st = ClusterConfig::Parse(
      "[identity]\nkey a = ES256 /k/a.pub\nleeway_seconds = 5\n[node n1]\n[identity]\nkey b = RS256 b.pub\n"
      "anonymous_buy_ticket = on\ndemo_sign_in = yes\n", "t", &c);
  REQUIRE_MESSAGE(st.ok(), st.message());
  REQUIRE(c.identity.keys.size() == 2);
  CHECK(c.identity.keys[0].kid == "a");
  CHECK(c.identity.keys[0].alg == TokenAlg::kES256);
  CHECK(c.identity.keys[0].path == "/k/a.pub");
  CHECK(c.identity.keys[1].alg == TokenAlg::kRS256);
  CHECK(c.identity.leeway_seconds == 5);
  CHECK(c.identity.anonymous_buy_ticket);
  CHECK(c.identity.demo_sign_in);
  CHECK_FALSE(ClusterConfig::Parse("[identity]\nkey a = none /k\n[node n1]\n", "t", &c).ok());
  CHECK_FALSE(ClusterConfig::Parse("[identity]\nkey a = ES256\n[node n1]\n", "t", &c).ok());
  CHECK_FALSE(ClusterConfig::Parse("[identity]\nkey a = ES256 x\nkey a = ES256 y\n[node n1]\n", "t", &c).ok());
  CHECK_FALSE(ClusterConfig::Parse("[identity]\nanonymous_buy_ticket = maybe\n[node n1]\n", "t", &c).ok());
}
