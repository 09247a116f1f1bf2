// redis_cluster_test — a RedisClient in cluster mode (common/redis_cluster.h)
// against a real cluster of 3 masters and 3 replicas (redis_cluster_server.h). [cluster]
//   1. events spread over every master, routed by their hash tag; EVALSHA
//      by its first key; the ServerRunId is the event's master's run_id;
//   1b. a pipeline split by master, its replies in the order sent;
//   2. MOVED: a slot moved by hand is followed and the map read again; the
//      moved event waits for a check against its new master's run_id;
//   3. ASK: a migrating slot's new keys go to the importing node (ASKING),
//      and the map is left as it was; a script there is TRYAGAIN (Unavailable);
//   4. TRYAGAIN is Unavailable, not retried; a redirect loop stops at the cap;
//   5. NOSCRIPT on a master (its cache emptied) reloads there, runs once;
//   6. WAIT: a write is confirmed once a replica has it; with the replica
//      stopped it is not (Unavailable).
#include <doctest/doctest.h>

#include <set>

#include "common/keys.h"
#include "common/redis_slot.h"
#include "lua_protocol.h"
#include "tests/unit/redis_cluster_server.h"

using namespace seckill;
using testing::RedisClusterServer;

namespace {

std::string Str(const Reply& r) { return r && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : ""; }

std::string InfoField(RedisClusterServer& c, int node, const char* section, const std::string& name) {
  std::string text = Str(c.On(node, {"INFO", section}));
  size_t at = text.find(name + ":");
  if (at == std::string::npos) return "";
  size_t end = text.find_first_of("\r\n", at);
  return text.substr(at + name.size() + 1, end - at - name.size() - 1);
}

// An event id, unique to this test run and `tag`, whose slot a master owns.
std::string EventOn(RedisClient* c, RedisClusterServer& cluster, const std::string& tag, int* master) {
  std::string id = tag + "-" + std::to_string(getpid());
  *master = cluster.IndexOf(c->NodeOf(EventKeys(id).meta));
  return id;
}

// Moves `slot` from node `from` to node `to` by hand: IMPORTING/MIGRATING;
// with `finish`, its keys MIGRATEd and the slot given to `to` on every master.
void MoveSlot(RedisClusterServer& cl, int slot, int from, int to, bool finish) {
  const std::string s = std::to_string(slot);
  cl.On(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", cl.NodeId(from)});
  cl.On(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", cl.NodeId(to)});
  if (!finish) return;
  Reply keys = cl.On(from, {"CLUSTER", "GETKEYSINSLOT", s, "1000"});
  if (keys->elements > 0) {
    std::vector<std::string> mig = {"MIGRATE", "127.0.0.1", std::to_string(cl.port(to)), "", "0", "5000", "KEYS"};
    for (size_t i = 0; i < keys->elements; i++) mig.emplace_back(keys->element[i]->str, keys->element[i]->len);
    Reply r = cl.On(from, mig);
    REQUIRE_MESSAGE(r->type != REDIS_REPLY_ERROR, Str(r));
  }
  for (int i = 0; i < RedisClusterServer::kNodes; i++) cl.On(i, {"CLUSTER", "SETSLOT", s, "NODE", cl.NodeId(to)});
}

lua::CreateEventReply::Code Create(RedisClient* c, const std::string& event) {
  lua::CreateEventReply created;
  Status st = lua::CreateEvent(c, EventKeys(event),
                               {.total = 10, .limit = 5, .window_s = 60, .price_cents = 0,
                                .group_name = kReconcilerGroup, .run_id = ServerRunId::kOfConnection},
                               &created);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return created.code;
}

lua::ReserveReply Reserve(RedisClient* c, const std::string& event, const std::string& order, Status* st) {
  lua::ReserveReply r;
  *st = lua::Reserve(c, EventKeys(event), {.user = "u-" + order, .order_id = order, .node = "n1",
                                           .run_id = ServerRunId::kOfConnection}, &r);
  return r;
}

int OtherMaster(RedisClusterServer& cl, RedisClient* c, int not_this) {
  Status st;
  for (int i = 0; i < RedisClusterServer::kNodes; i++)
    if (i != not_this && InfoField(cl, i, "replication", "role") == "master") return i;
  return -1;
}

}  // namespace

TEST_CASE("[cluster] 30 events land on all 3 masters; scripts run on each event's master, with its run_id") {
  RedisClusterServer& cl = RedisClusterServer::Get();
  auto c = cl.Client();
  std::set<int> masters;
  // At least 30 events, and on until every master has one: CRC16 is linear,
  // so names that differ in a digit or two can all land in two masters' ranges.
  for (int i = 0; i < 30 || (masters.size() < 3 && i < 1000); i++) {
    std::string ev = "spread" + std::to_string(i) + "-" + std::to_string(getpid());
    int m = cl.IndexOf(c->NodeOf(EventKeys(ev).meta));
    REQUIRE(m >= 0);
    masters.insert(m);
    REQUIRE(Create(c.get(), ev) == lua::CreateEventReply::Code::kCreated);
    // The event is on that master, whole: its hash and its stream.
    CHECK(cl.On(m, {"EXISTS", EventKeys(ev).meta, EventKeys(ev).log})->integer == 2);
    // Its verified_run is that master's run_id (create_event.lua writes the ServerRunId).
    std::string run_id;
    REQUIRE(c->RunIdOf(EventKeys(ev).meta, &run_id).ok());
    CHECK(run_id == InfoField(cl, m, "server", "run_id"));
    CHECK(Str(cl.On(m, {"HGET", EventKeys(ev).meta, field::kVerifiedRun})) == run_id);
    Status st;
    CHECK(Reserve(c.get(), ev, ev + "-o1", &st).code == lua::ReserveReply::Code::kReserved);
    CHECK(st.ok());
  }
  CHECK(masters.size() == 3);
}

TEST_CASE("[cluster] a pipeline over events on every master answers in order, one round trip per master") {
  RedisClusterServer& cl = RedisClusterServer::Get();
  auto c = cl.Client();
  std::vector<std::vector<std::string>> cmds;
  std::set<std::string> nodes;
  for (int i = 0; i < 12 || (nodes.size() < 3 && i < 1000); i++) {  // on until every master has one (above)
    std::string key = EventKeys("pipe" + std::to_string(i) + "-" + std::to_string(getpid())).meta;
    nodes.insert(c->NodeOf(key));
    cmds.push_back({"HSET", key, "n", std::to_string(i)});
    cmds.push_back({"HGET", key, "n"});
  }
  cmds.push_back({"PING"});  // keyless: with the first group
  REQUIRE(nodes.size() == 3);
  Status st;
  std::vector<Reply> rs;
  uint64_t trips = 0;
  // The first opens the connections (each reads INFO once); right after the
  // cluster is made a node may still redirect (MOVED) while gossip settles.
  for (int attempt = 0; attempt < 5 && trips != 3; attempt++) {
    const uint64_t before = c->round_trips();
    rs = c->Pipeline(cmds, &st);
    REQUIRE_MESSAGE(st.ok(), st.message());
    trips = c->round_trips() - before;
  }
  CHECK(trips == 3);
  REQUIRE(rs.size() == cmds.size());
  for (int i = 0; i < 12; i++) CHECK(Str(rs[2 * i + 1]) == std::to_string(i));
  CHECK(rs.back()->type == REDIS_REPLY_STATUS);
}

TEST_CASE("[cluster] ForEachServer reaches every master once") {
  RedisClusterServer& cl = RedisClusterServer::Get();
  auto c = cl.Client();
  std::set<std::string> run_ids;
  Status st = c->ForEachServer([&](RedisClient* node) {
    Status s;
    Reply r = node->Command({"INFO", "replication"}, &s);
    if (s.ok() && Str(r).find("role:master") != std::string::npos) run_ids.insert(node->run_id());
    return s;
  });
  CHECK(st.ok());
  CHECK(run_ids.size() == 3);
}

TEST_CASE("[cluster] MOVED: a slot moved by hand is followed, and the map read again") {
  RedisClusterServer& cl = RedisClusterServer::Get();
  auto c = cl.Client();
  int from = -1;
  std::string ev = EventOn(c.get(), cl, "moved", &from);
  REQUIRE(Create(c.get(), ev) == lua::CreateEventReply::Code::kCreated);
  int to = OtherMaster(cl, c.get(), from);
  REQUIRE(to >= 0);
  MoveSlot(cl, KeySlot(ev), from, to, true);
  // The client's map still says `from`: MOVED, then the new owner. The
  // script ran there and compared the event's verified_run with the new
  // master's run_id: the restart gate is per master, so a moved event waits
  // for the reconciler's check (here: done by hand).
  Status st;
  CHECK(Reserve(c.get(), ev, ev + "-o1", &st).code == lua::ReserveReply::Code::kNotVerified);
  REQUIRE_MESSAGE(st.ok(), st.message());
  CHECK(cl.IndexOf(c->NodeOf(EventKeys(ev).meta)) == to);
  std::string run_id;
  REQUIRE(c->RunIdOf(EventKeys(ev).meta, &run_id).ok());
  CHECK(run_id == InfoField(cl, to, "server", "run_id"));
  c->Command({"HSET", EventKeys(ev).meta, field::kVerifiedRun, run_id}, &st);
  CHECK(Reserve(c.get(), ev, ev + "-o1", &st).code == lua::ReserveReply::Code::kReserved);
  CHECK(Str(cl.On(to, {"HGET", EventKeys(ev).meta, field::kSold})) == "1");
}

TEST_CASE("[cluster] ASK: a migrating slot's new keys go to the importing node; the map is unchanged") {
  RedisClusterServer& cl = RedisClusterServer::Get();
  auto c = cl.Client();
  int from = -1;
  std::string ev = EventOn(c.get(), cl, "ask", &from);
  int to = OtherMaster(cl, c.get(), from);
  REQUIRE(to >= 0);
  MoveSlot(cl, KeySlot(ev), from, to, false);  // migrating, no key moved: every key of ev is absent on `from`
  // A key absent on `from` is asked to `to`: written there, read there.
  Status st;
  c->Command({"HSET", EventKeys(ev).meta, field::kTotal, "10"}, &st);
  REQUIRE_MESSAGE(st.ok(), st.message());
  CHECK(cl.On(from, {"EXISTS", EventKeys(ev).meta})->integer == 0);
  CHECK(cl.IndexOf(c->NodeOf(EventKeys(ev).meta)) == from);  // ASK does not change the map
  Reply r = c->Command({"HGET", EventKeys(ev).meta, field::kTotal}, &st);
  REQUIRE(st.ok());
  CHECK(Str(r) == "10");
  // A script over several keys of which some are missing is refused by the
  // importing node (TRYAGAIN): Unavailable, for the duration of the move.
  lua::CreateEventReply created;
  st = lua::CreateEvent(c.get(), EventKeys(ev), {.total = 10, .limit = 5, .window_s = 60, .price_cents = 0,
                                                 .group_name = kReconcilerGroup, .run_id = ServerRunId::kOfConnection},
                        &created);
  CHECK(st.code() == Status::Code::kUnavailable);
  // Done by hand: the slot is `to`'s.
  MoveSlot(cl, KeySlot(ev), from, to, true);
}

TEST_CASE("[cluster] TRYAGAIN is Unavailable; a redirect loop stops at the cap") {
  RedisClusterServer& cl = RedisClusterServer::Get();
  auto c = cl.Client();
  int from = -1;
  std::string ev = EventOn(c.get(), cl, "tryagain", &from);
  REQUIRE(Create(c.get(), ev) == lua::CreateEventReply::Code::kCreated);
  int to = OtherMaster(cl, c.get(), from);
  const std::string slot = std::to_string(KeySlot(ev));
  // Half of the event moved: a command on one key there and one still here gets TRYAGAIN.
  MoveSlot(cl, KeySlot(ev), from, to, false);
  Reply mig = cl.On(from, {"MIGRATE", "127.0.0.1", std::to_string(cl.port(to)), "", "0", "5000", "KEYS", EventKeys(ev).users});
  Status st;
  c->Command({"MGET", EventKeys(ev).meta, EventKeys(ev).users}, &st);
  CHECK(st.code() == Status::Code::kUnavailable);
  CHECK(st.message().find("TRYAGAIN") != std::string::npos);
  MoveSlot(cl, KeySlot(ev), from, to, true);

  // `from` says ASK `to`; `to` (not importing) says MOVED `from`; and so on.
  std::string ev2 = EventOn(c.get(), cl, "loop", &from);
  to = OtherMaster(cl, c.get(), from);
  cl.On(from, {"CLUSTER", "SETSLOT", std::to_string(KeySlot(ev2)), "MIGRATING", cl.NodeId(to)});
  c->Command({"HGET", EventKeys(ev2).meta, field::kTotal}, &st);
  CHECK(st.code() == Status::Code::kUnavailable);
  CHECK(st.message().find("redirects") != std::string::npos);
  cl.On(from, {"CLUSTER", "SETSLOT", std::to_string(KeySlot(ev2)), "STABLE"});
  c->Command({"HGET", EventKeys(ev2).meta, field::kTotal}, &st);
  CHECK(st.ok());
}

TEST_CASE("[cluster] NOSCRIPT on the event's master (its cache emptied) reloads there and runs once") {
  RedisClusterServer& cl = RedisClusterServer::Get();
  auto c = cl.Client();
  int m = -1;
  std::string ev = EventOn(c.get(), cl, "noscript", &m);
  REQUIRE(Create(c.get(), ev) == lua::CreateEventReply::Code::kCreated);
  Status st;
  REQUIRE(Reserve(c.get(), ev, ev + "-o1", &st).code == lua::ReserveReply::Code::kReserved);
  cl.On(m, {"SCRIPT", "FLUSH"});
  CHECK(Reserve(c.get(), ev, ev + "-o2", &st).code == lua::ReserveReply::Code::kReserved);
  CHECK(st.ok());
  CHECK(Str(cl.On(m, {"HGET", EventKeys(ev).meta, field::kSold})) == "2");
}

TEST_CASE("[cluster] WAIT: confirmed once a replica holds the write; not with the replica stopped") {
  RedisClusterServer& cl = RedisClusterServer::Get();
  auto c = cl.Client();
  c->set_confirm(1, 5000);  // generous: a loaded machine (sanitizers, parallel runs) is slow to ACK
  int m = -1;
  std::string ev = EventOn(c.get(), cl, "wait", &m);
  REQUIRE(Create(c.get(), ev) == lua::CreateEventReply::Code::kCreated);
  CHECK(c->ConfirmWrites().ok());
  // The master's replica: INFO replication's slave0:ip=…,port=P,…
  std::string slave = InfoField(cl, m, "replication", "slave0");
  size_t at = slave.find("port=");
  REQUIRE(at != std::string::npos);
  int replica = cl.IndexOf("127.0.0.1:" + std::to_string(atoi(slave.c_str() + at + 5)));
  REQUIRE(replica >= 0);
  kill(cl.pid(replica), SIGSTOP);
  Status st;
  CHECK(Reserve(c.get(), ev, ev + "-o1", &st).code == lua::ReserveReply::Code::kReserved);
  c->set_confirm(1, 300);
  Status confirmed = c->ConfirmWrites();
  c->set_confirm(1, 5000);
  kill(cl.pid(replica), SIGCONT);
  CHECK(confirmed.code() == Status::Code::kUnavailable);
  CHECK(Reserve(c.get(), ev, ev + "-o2", &st).code == lua::ReserveReply::Code::kReserved);
  CHECK(c->ConfirmWrites().ok());  // resumed, it catches up within the timeout
  // On a single server (no cluster), ConfirmWrites is a no-op.
}
