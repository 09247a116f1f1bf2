// cluster_config_test — parsing etc/cluster.conf and the allotment rule.
#include <doctest/doctest.h>

#include "common/cluster_config.h"

using namespace seckill;

static const char kConf[] =
    "[sale]\nbuffer_percent = 10 # comment\n\n[node a]\nweight = 1\nprocesses = 2\n"
    "[node b]\nweight = 2\n[node c]\nweight = 3\n[node d]\nweight = 4\n";

TEST_CASE("the shipped cluster config parses") {
  ClusterConfig c;
  Status st = ClusterConfig::Load("etc/cluster.conf", &c);
  REQUIRE_MESSAGE(st.ok(), st.message());
  CHECK(c.nodes.size() == 4);
  CHECK(c.TotalWeight() == 10);
}

TEST_CASE("allotment is the weighted share plus the buffer") {
  ClusterConfig c;
  REQUIRE(ClusterConfig::Parse(kConf, "test", &c).ok());
  CHECK(c.Allotment("a", 10000) == 1000 + 1000);  // buffer_percent = 10 in kConf
  CHECK(c.Allotment("d", 10000) == 4000 + 1000);
  CHECK(c.Allotment("nobody", 10000) == 0);
  // Rounded up, and never more than the stock.
  CHECK(c.Allotment("a", 1) == 1);
  int64_t sum = 0;
  for (const auto& n : c.nodes) sum += c.Allotment(n.name, 7);
  CHECK(sum >= 7);
}

TEST_CASE("errors name the file and line") {
  ClusterConfig c;
  Status st = ClusterConfig::Parse("[sale]\nbogus = 1\n", "x.conf", &c);
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "x.conf:2: unknown key 'bogus'");
  CHECK_FALSE(ClusterConfig::Parse("[node a]\nweight = 0\n", "x", &c).ok());
  CHECK_FALSE(ClusterConfig::Parse("[node a/b]\n", "x", &c).ok());
  CHECK_FALSE(ClusterConfig::Parse("[node a]\n[node a]\n", "x", &c).ok());
  CHECK_FALSE(ClusterConfig::Parse("[sale]\n", "x", &c).ok());
}
