#include "fcgi/operator_status.h"

#include <curl/curl.h>

#include <cstdlib>

#include "common/clock.h"
#include "common/ids.h"
#include "common/keys.h"
#include "fcgi/metrics.h"
#include "common/node_counter.h"

namespace seckill {
namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// nginx's stub_status: "Active connections: A\nserver accepts handled
// requests\n X Y R\n…". Returns false when it cannot be read.
bool ReadNginxStatus(const std::string& url, int64_t* requests, int64_t* active) {
  CURL* c = curl_easy_init();
  if (!c) return false;
  std::string body;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 300L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  bool ok = curl_easy_perform(c) == CURLE_OK;
  curl_easy_cleanup(c);
  long long a = 0, x = 0, y = 0, r = 0;
  size_t counts = body.find("requests\n");
  if (!ok || sscanf(body.c_str(), "Active connections: %lld", &a) != 1 || counts == std::string::npos ||
      sscanf(body.c_str() + counts + 9, "%lld %lld %lld", &x, &y, &r) != 3)
    return false;
  *requests = r;
  *active = a;
  return true;
}

}  // namespace

Response OperatorStatus(const StatusSources& src, const std::string& event) {
  if (!IsValidId(event)) return ErrorResponse(400, "bad_request", std::string("event id must be ") + kIdRule);
  std::vector<std::string> argv = {"HMGET", EventKeys(event).meta, field::kTotal, field::kSold, field::kPaid,
                                   field::kExpired, field::kCancelled, field::kReconciledAt, field::kLagMs};
  for (const auto& n : src.cluster->nodes) argv.push_back(field::Returned(n.name));
  Status st;
  Reply r = src.redis->Command(argv, &st);
  if (!st.ok()) return ErrorResponse(503, "unavailable", "redis unreachable");
  if (r->type != REDIS_REPLY_ARRAY || r->elements != argv.size() - 2) return ErrorResponse(500, "internal");
  if (r->element[0]->type != REDIS_REPLY_STRING) return ErrorResponse(404, "no_such_event");
  auto num = [&](size_t i) -> int64_t {
    return r->element[i]->type == REDIS_REPLY_STRING ? atoll(r->element[i]->str) : 0;
  };
  int64_t total = num(0), sold = num(1);
  nlohmann::json j = {
      {"event", event}, {"at", WallMillis() / 1000.0}, {"total", total}, {"sold", sold},
      {"remaining", total > sold ? total - sold : 0}, {"sold_out", sold >= total},
      {"paid", num(2)}, {"expired", num(3)}, {"cancelled", num(4)},
      {"reconciler", {{"reconciled_at", num(5) / 1000.0}, {"lag_ms", num(6)}}},
  };
  nlohmann::json nodes = nlohmann::json::array();
  int total_weight = src.cluster->TotalWeight();
  uint64_t worker_requests = 0;
  for (size_t i = 0; i < src.cluster->nodes.size(); i++) {
    const NodeConfig& n = src.cluster->nodes[i];
    nlohmann::json node = {{"node", n.name}, {"weight", n.weight},
                           {"weight_share", static_cast<double>(n.weight) / total_weight},
                           {"returned", num(7 + i)}};
    std::string db = src.sqlite_dir + "/" + n.name + ".sqlite";
    NodeCounterReader counter;  // read-only: a poll never creates nor writes a node's file
    NodeCounter::Row row;
    if (counter.Open(db, 50).ok() && counter.Get(event, &row).ok()) {
      node["allotment"] = row.allotment;
      node["taken"] = row.taken;
      node["held"] = row.taken - row.returned;
    }
    Metrics m;
    if (m.OpenToRead(src.metrics_dir + "/" + n.name + ".shm").ok()) {
      nlohmann::json by = nlohmann::json::object();
      for (int o = 0; o < kOutcomeCount; o++) by[OutcomeName(static_cast<Outcome>(o))] = m.Total(static_cast<Outcome>(o));
      uint64_t t = m.TotalRequests();
      node["requests"] = by;
      node["requests_total"] = t;
      worker_requests += t;
    }
    nodes.push_back(node);
  }
  j["nodes"] = nodes;
  j["worker_requests"] = worker_requests;
  int64_t nginx_requests = 0, active = 0;
  if (!src.nginx_status_url.empty() && ReadNginxStatus(src.nginx_status_url, &nginx_requests, &active))
    j["nginx"] = {{"requests", nginx_requests}, {"active_connections", active}};
  return JsonResponse(200, j);
}

}  // namespace seckill
