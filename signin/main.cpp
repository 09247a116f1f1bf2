// seckill-signin — the local stack's demo sign-in: a stand-in for the site's
// real sign-in service, which is the only holder of the private key that signs
// buyers' tokens (docs/api.md, "Identity").
//
//   POST /demo/sign-in   name=<user id>   → 200 {"token","token_type":"Bearer","user_id","expires_at"}
//                                         → 400 {"error":"bad_request","message"} for a bad name
//
// It signs in whoever asks, by name, with no password: it exists so that the
// buyer's page (web/shop) and a person trying the local stack can get a token.
// nginx routes /demo/sign-in here only when the cluster config's demo_sign_in
// is on (scripts/stack turns it on for the local stack; deploy/ leaves it off).
//
// A program of its own, not a route of the pool workers: the workers hold only
// public keys, so a compromised worker cannot mint identities; this one
// process, started by scripts/stack with spawn-fcgi, holds the private key.
// Shape of the loop: set up once, then accept, handle, finish, repeat.
#include <fcgiapp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <string>

#include <cxxopts.hpp>

#include "common/identity.h"
#include "common/ids.h"
#include "common/token_mint.h"
#include "common/version.h"
#include "fcgi/http_request.h"
#include "fcgi/response.h"

using namespace seckill;

namespace {

volatile sig_atomic_t g_stop = 0;
void OnTerm(int) {
  g_stop = 1;
  FCGX_ShutdownPending();
}

std::string Param(FCGX_Request* req, const char* name) {
  const char* v = FCGX_GetParam(name, req->envp);
  return v ? v : "";
}

// Answers one request (everything but the FastCGI I/O).
Response SignIn(const TokenMinter& minter, int64_t ttl, FCGX_Request* fr) {
  std::string body;
  std::string len_text = Param(fr, "CONTENT_LENGTH");
  long long len = len_text.empty() ? 0 : atoll(len_text.c_str());
  if (len < 0 || len > 1024) return ErrorResponse(413, "body_too_large");
  body.resize(static_cast<size_t>(len));
  if (len && FCGX_GetStr(&body[0], static_cast<int>(len), fr->in) != len) return ErrorResponse(400, "bad_request");
  HttpRequest req;
  Status st = ParseRequest(Param(fr, "REQUEST_METHOD"), Param(fr, "REQUEST_URI"), Param(fr, "CONTENT_TYPE"), body, &req);
  if (!st.ok()) return ErrorResponse(400, "bad_request", st.message());
  if (req.path != "/demo/sign-in") return ErrorResponse(404, "not_found");
  if (req.method != "POST") {
    Response r = ErrorResponse(405, "method_not_allowed");
    r.allow = "POST";
    return r;
  }
  const std::string* name = req.Param("name");
  if (!name || !IsValidId(*name) || name->rfind(kAnonymousPrefix, 0) == 0)
    return ErrorResponse(400, "bad_request", std::string("name must be ") + kIdRule + ", not starting with anon-");
  int64_t now = static_cast<int64_t>(time(nullptr));
  std::string token;
  st = minter.Mint(*name, now, ttl, &token);
  if (!st.ok()) {
    fprintf(stderr, "seckill-signin %d: %s\n", getpid(), st.message().c_str());
    return ErrorResponse(500, "internal");
  }
  return JsonResponse(200, {{"token", token}, {"token_type", "Bearer"}, {"user_id", *name}, {"expires_at", now + ttl}});
}

}  // namespace

int main(int argc, char** argv) {
  cxxopts::Options opts("seckill-signin",
                        "The local stack's demo sign-in (FastCGI, under spawn-fcgi): POST /demo/sign-in with name=USER\n"
                        "answers a token for USER signed with the private key. A stand-in for a site's real sign-in.");
  opts.add_options()
      ("key", "the private key (PEM; HS256: the secret file)", cxxopts::value<std::string>())
      ("kid", "the key id the tokens name", cxxopts::value<std::string>()->default_value("local"))
      ("alg", "ES256, RS256 or HS256; auto: the key's", cxxopts::value<std::string>()->default_value("auto"))
      ("ttl", "seconds a token is valid", cxxopts::value<int64_t>()->default_value("3600"))
      ("version", "print the version and exit")
      ("h,help", "show this help");
  std::string key, kid;
  TokenAlg alg = TokenAlg::kES256;
  bool auto_alg = false;
  int64_t ttl = 3600;
  try {
    auto a = opts.parse(argc, argv);
    if (a.count("help")) {
      printf("%s\n", opts.help().c_str());
      return 0;
    }
    if (a.count("version")) {
      PrintVersion("seckill-signin");
      return 0;
    }
    if (!a.count("key")) {
      fprintf(stderr, "seckill-signin: --key is required (see --help)\n");
      return 2;
    }
    key = a["key"].as<std::string>();
    kid = a["kid"].as<std::string>();
    ttl = a["ttl"].as<int64_t>();
    auto_alg = a["alg"].as<std::string>() == "auto";
    if ((!auto_alg && !ParseTokenAlg(a["alg"].as<std::string>(), &alg)) || ttl <= 0) {
      fprintf(stderr, "seckill-signin: --alg must be ES256, RS256 or HS256 and --ttl positive (see --help)\n");
      return 2;
    }
  } catch (const std::exception& e) {
    fprintf(stderr, "seckill-signin: %s (see --help)\n", e.what());
    return 2;
  }
  Status st = auto_alg ? DetectKeyAlg(key, &alg) : Status::Ok();
  if (!st.ok()) {
    fprintf(stderr, "seckill-signin: %s\n", st.message().c_str());
    return 2;
  }
  TokenMinter minter;
  st = minter.Load(kid, alg, key);
  if (!st.ok()) {
    fprintf(stderr, "seckill-signin: %s\n", st.message().c_str());
    return 2;
  }
  if (FCGX_Init() != 0) {
    fprintf(stderr, "seckill-signin: FCGX_Init failed\n");
    return 1;
  }
  struct sigaction sa = {};
  sa.sa_handler = OnTerm;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
  sigaction(SIGQUIT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  FCGX_Request fr;
  FCGX_InitRequest(&fr, 0, 0);
  fprintf(stderr, "seckill-signin %d: signing in (kid %s, %s, tokens valid %lld s)\n", getpid(), kid.c_str(),
          TokenAlgName(alg), static_cast<long long>(ttl));
  while (!g_stop && FCGX_Accept_r(&fr) >= 0) {
    Response resp;
    try {
      resp = SignIn(minter, ttl, &fr);
    } catch (const std::exception& e) {
      fprintf(stderr, "seckill-signin %d: request failed: %s\n", getpid(), e.what());
      resp = ErrorResponse(500, "internal");
    }
    std::string out = resp.Serialize("signin");
    FCGX_PutStr(out.data(), static_cast<int>(out.size()), fr.out);
    FCGX_Finish_r(&fr);
  }
  if (g_stop) {
    fprintf(stderr, "seckill-signin %d: shutting down on signal\n", getpid());
    return 0;
  }
  fprintf(stderr, "seckill-signin %d: accept failed, exiting (not run under spawn-fcgi?)\n", getpid());
  return 1;
}
