#include "common/token_mint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/ids.h"

namespace seckill {
namespace {


// Writes `text` to `path` with `mode`; exclusively unless `overwrite`.
Status WriteFile(const std::string& path, const std::string& text, mode_t mode, bool overwrite) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  int fd = open(path.c_str(), flags, mode);
  if (fd < 0) return Status::Invalid("cannot create " + path + ": " + strerror(errno));
  fchmod(fd, mode);  // an existing file overwritten keeps no looser mode
  size_t done = 0;
  while (done < text.size()) {
    ssize_t w = write(fd, text.data() + done, text.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      std::string why = strerror(errno);
      close(fd);
      return Status::Invalid("cannot write " + path + ": " + why);
    }
    done += static_cast<size_t>(w);
  }
  if (close(fd) != 0) return Status::Invalid("cannot write " + path + ": " + strerror(errno));
  return Status::Ok();
}

// The PEM text a BIO holds.
std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

}  // namespace

Status TokenMinter::Load(const std::string& kid, TokenAlg alg, const std::string& private_key_path) {
  if (!IsValidId(kid)) return Status::Invalid("bad key id '" + kid + "'");
  std::ifstream in(private_key_path, std::ios::binary);
  if (!in) return Status::Invalid("cannot read the private key " + private_key_path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string key = ss.str();
  if (alg == TokenAlg::kHS256) key = key.substr(0, key.find('\n'));
  kid_ = kid;
  alg_ = alg;
  key_ = std::move(key);
  // One token proves the key signs (a public key or garbage would not).
  std::string probe;
  Status st = Mint("probe", 0, 1, &probe);
  if (!st.ok()) return Status::Invalid(private_key_path + ": cannot sign " + TokenAlgName(alg) + " with it");
  return Status::Ok();
}

Status TokenMinter::Mint(const std::string& user, int64_t now, int64_t ttl_seconds, std::string* token,
                         int64_t not_before) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return Status::Internal("jwt_new failed");
  std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, jwt_free);
  if (jwt_add_grant(jwt.get(), "sub", user.c_str()) != 0 || jwt_add_grant_int(jwt.get(), "iat", now) != 0 ||
      jwt_add_grant_int(jwt.get(), "exp", now + ttl_seconds) != 0 || jwt_add_header(jwt.get(), "kid", kid_.c_str()) != 0)
    return Status::Internal("cannot add the claims");
  if (not_before > 0 && jwt_add_grant_int(jwt.get(), "nbf", not_before) != 0) return Status::Internal("cannot add nbf");
  if (jwt_set_alg(jwt.get(), static_cast<jwt_alg_t>(LibjwtAlg(alg_)), reinterpret_cast<const unsigned char*>(key_.data()),
                  static_cast<int>(key_.size())) != 0)
    return Status::Internal("jwt_set_alg failed");
  char* text = jwt_encode_str(jwt.get());
  if (!text) return Status::Internal("jwt_encode_str failed (the key cannot sign this algorithm)");
  token->assign(text);
  free(text);  // libjwt 1.10 has no jwt_free_str: its strings come from malloc
  return Status::Ok();
}

Status DetectKeyAlg(const std::string& private_key_path, TokenAlg* alg) {
  std::ifstream in(private_key_path, std::ios::binary);
  if (!in) return Status::Invalid("cannot read the private key " + private_key_path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.find("-----BEGIN") == std::string::npos) {
    *alg = TokenAlg::kHS256;
    return Status::Ok();
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
  if (!key) return Status::Invalid(private_key_path + ": not a PEM private key");
  if (EVP_PKEY_base_id(key.get()) == EVP_PKEY_EC) *alg = TokenAlg::kES256;
  else if (EVP_PKEY_base_id(key.get()) == EVP_PKEY_RSA) *alg = TokenAlg::kRS256;
  else return Status::Invalid(private_key_path + ": neither an EC nor an RSA key");
  return Status::Ok();
}

Status GenerateKeyPair(TokenAlg alg, const std::string& private_path, const std::string& public_path, bool overwrite) {
  if (alg == TokenAlg::kHS256) {
    unsigned char secret[32];
    if (RAND_bytes(secret, sizeof secret) != 1) return Status::Internal("RAND_bytes failed");
    std::string b64(4 * ((sizeof secret + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), secret, sizeof secret);
    b64.resize(static_cast<size_t>(n));
    return WriteFile(private_path, b64 + "\n", 0600, overwrite);
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      alg == TokenAlg::kES256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048), EVP_PKEY_free);
  if (!key) return Status::Internal("key generation failed");
  std::unique_ptr<BIO, decltype(&BIO_free)> priv(BIO_new(BIO_s_mem()), BIO_free), pub(BIO_new(BIO_s_mem()), BIO_free);
  if (!priv || !pub || PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1)
    return Status::Internal("cannot write the key as PEM");
  Status st = WriteFile(private_path, BioText(priv.get()), 0600, overwrite);
  if (!st.ok()) return st;
  return WriteFile(public_path, BioText(pub.get()), 0644, overwrite);
}

}  // namespace seckill
