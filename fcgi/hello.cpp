// seckill-hello — the benchmark's ceiling B: a FastCGI worker that answers a
// fixed JSON body and does nothing else, run in the same pool setup
// (spawn-fcgi + multiwatch, same sockets and process counts) as seckill-worker.
#include <fcgiapp.h>

#include <cstdio>
#include <cstring>

#include "common/version.h"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      printf("usage: seckill-hello\n  FastCGI \"hello\" worker for benchmarks: answers {\"hello\":true} to every request.\n"
             "  Run it under spawn-fcgi, like seckill-worker.\n"
             "  --version  print the version and exit\n");
      return 0;
    }
    if (!strcmp(argv[i], "--version")) {
      seckill::PrintVersion("seckill-hello");
      return 0;
    }
  }
  static const char kOut[] =
      "Status: 200 OK\r\nContent-Type: application/json\r\nX-Node: hello\r\nContent-Length: 15\r\n\r\n{\"hello\":true}\n";
  FCGX_Init();
  FCGX_Request r;
  FCGX_InitRequest(&r, 0, 0);
  while (FCGX_Accept_r(&r) >= 0) {
    FCGX_PutStr(kOut, sizeof kOut - 1, r.out);
    FCGX_Finish_r(&r);
  }
  return 0;
}
