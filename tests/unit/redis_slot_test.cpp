// redis_slot_test — common/redis_slot.h: CRC16, hash tags, first keys; and
// [cluster] the slot of keys against CLUSTER KEYSLOT on a live cluster
// (redis_cluster_server.h).
//   1. CRC16-XMODEM of the specification's check string;
//   2. hash tags: the first non-empty {…}, else the whole key;
//   3. the first key of the commands the project sends (EVALSHA by KEYS[1]);
//   4. [cluster] KeySlot = CLUSTER KEYSLOT for event keys and odd tags.
#include <doctest/doctest.h>

#include "common/keys.h"
#include "common/redis_slot.h"
#include "tests/unit/redis_cluster_server.h"

using namespace seckill;
using testing::RedisClusterServer;

TEST_CASE("CRC16 is XMODEM's (the cluster specification's check value)") {
  CHECK(Crc16("123456789") == 0x31C3);
  CHECK(Crc16("") == 0);
}

TEST_CASE("the hash tag is the first non-empty {...}, else the whole key") {
  CHECK(HashTag("ev:{e1}:o:x") == "e1");
  CHECK(HashTag("{user1000}.following") == "user1000");
  CHECK(HashTag("foo{}{bar}") == "foo{}{bar}");  // the first {} is empty: the whole key
  CHECK(HashTag("foo{{bar}}zap") == "{bar");
  CHECK(HashTag("foo{bar}{zap}") == "bar");
  CHECK(HashTag("no tag") == "no tag");
  CHECK(HashTag("open{only") == "open{only");
  EventKeys k("sale-1");
  for (const std::string& key : {k.users, k.expiry, k.log, k.Order("sale-1-abc")}) CHECK(KeySlot(key) == KeySlot(k.meta));
}

TEST_CASE("the first key of a command") {
  CHECK(FirstKeyIndex({"HGET", "k", "f"}) == 1);
  CHECK(FirstKeyIndex({"EVALSHA", "sha", "2", "k1", "k2", "a"}) == 3);  // never the SHA
  CHECK(FirstKeyIndex({"EVALSHA", "sha", "0", "a"}) == -1);
  CHECK(FirstKeyIndex({"XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", "s", ">"}) == 7);
  CHECK(FirstKeyIndex({"XINFO", "GROUPS", "s"}) == 2);
  CHECK(FirstKeyIndex({"XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"}) == 2);
  CHECK(FirstKeyIndex({"script", "load", "return 1"}) == -1);
  CHECK(FirstKeyIndex({"INFO", "server"}) == -1);
  CHECK(FirstKeyIndex({"WAIT", "1", "100"}) == -1);
  CHECK(FirstKeyIndex({"PING"}) == -1);
}

TEST_CASE("[cluster] KeySlot agrees with CLUSTER KEYSLOT") {
  RedisClusterServer& cluster = RedisClusterServer::Get();
  auto node = cluster.Node(0);
  std::vector<std::string> keys = {"ev:{e1}", "ev:{e1}:o:e1-00ff", "seckill:events", "{}", "foo{}{bar}",
                                   "foo{{bar}}zap", "a{b}c{d}", "123456789", std::string("bin\0ary{\xff\x01}", 11)};
  for (int i = 0; i < 200; i++) keys.push_back(EventKeys("sale-" + std::to_string(i * 7919)).meta);
  for (const auto& key : keys) {
    Status st;
    Reply r = node->Command({"CLUSTER", "KEYSLOT", key}, &st);
    REQUIRE(st.ok());
    REQUIRE(r->type == REDIS_REPLY_INTEGER);
    CHECK_MESSAGE(KeySlot(key) == r->integer, key);
  }
}
