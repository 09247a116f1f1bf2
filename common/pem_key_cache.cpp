// pem_key_cache.cpp — a cache of parsed keys beneath libjwt.
//
// libjwt 1.10 (Debian 12's) parses its PEM key text on every sign and every
// verify (PEM_read_bio_PUBKEY / PEM_read_bio_PrivateKey on a memory BIO of
// the key it was given). OpenSSL 3.0's decoders take about 300 µs for that,
// 5 to 20 times the signature itself, and serialize threads on a lock
// (measured, docs/benchmarks-notes.md): 250,000 ES256 tokens took 254 s.
//
// This file defines those two functions in the program, so that libjwt's
// calls come here (the program's own definitions come first in the dynamic
// linker's search): the first parse of a given PEM text is OpenSSL's own
// (dlsym RTLD_NEXT) and its key is kept; a later call with the same bytes
// gets the same key, with a new reference (EVP_PKEY_up_ref: the caller frees
// it as before). A parsed key is immutable and OpenSSL 3 allows it to be used
// by several threads at once. No crypto and no parsing of our own: the bytes
// are compared whole. At most kMaxKeys keys are kept (a program uses one or a
// few); beyond that a parse is not cached. Thread-safe (one mutex, held only
// for the lookup).
#include <dlfcn.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr size_t kMaxKeys = 16;

struct Cached {
  bool is_public;
  std::string pem;
  EVP_PKEY* key;  // one reference held by the cache, for the life of the process
};

std::mutex g_mu;
std::vector<Cached>* g_keys = new std::vector<Cached>();  // never freed: keys live as long as the process

using ReadFn = EVP_PKEY* (*)(BIO*, EVP_PKEY**, pem_password_cb*, void*);

// The text a memory BIO holds from its read position (empty for other BIOs).
std::string_view Pending(BIO* bio) {
  if (BIO_method_type(bio) != BIO_TYPE_MEM) return {};
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string_view(data, static_cast<size_t>(n)) : std::string_view();
}

EVP_PKEY* Read(bool is_public, BIO* bp, EVP_PKEY** x, pem_password_cb* cb, void* u) {
  std::string_view pem = x == nullptr ? Pending(bp) : std::string_view();  // *x (reuse an object): not cached
  if (!pem.empty()) {
    std::lock_guard<std::mutex> lock(g_mu);
    for (const Cached& c : *g_keys) {
      if (c.is_public == is_public && c.pem == pem) {
        EVP_PKEY_up_ref(c.key);
        BIO_seek(bp, static_cast<int>(pem.size()));  // as if read: the caller sees the BIO consumed
        return c.key;
      }
    }
  }
  static ReadFn real_pub = reinterpret_cast<ReadFn>(dlsym(RTLD_NEXT, "PEM_read_bio_PUBKEY"));
  static ReadFn real_priv = reinterpret_cast<ReadFn>(dlsym(RTLD_NEXT, "PEM_read_bio_PrivateKey"));
  ReadFn real = is_public ? real_pub : real_priv;
  if (!real) return nullptr;
  std::string copy(pem);
  EVP_PKEY* key = real(bp, x, cb, u);
  if (key && !copy.empty()) {
    std::lock_guard<std::mutex> lock(g_mu);
    if (g_keys->size() < kMaxKeys && EVP_PKEY_up_ref(key) == 1) g_keys->push_back(Cached{is_public, std::move(copy), key});
  }
  return key;
}

}  // namespace

extern "C" {

EVP_PKEY* PEM_read_bio_PUBKEY(BIO* bp, EVP_PKEY** x, pem_password_cb* cb, void* u) {
  return Read(true, bp, x, cb, u);
}

EVP_PKEY* PEM_read_bio_PrivateKey(BIO* bp, EVP_PKEY** x, pem_password_cb* cb, void* u) {
  return Read(false, bp, x, cb, u);
}

}  // extern "C"
