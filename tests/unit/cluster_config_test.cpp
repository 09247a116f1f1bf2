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

// --- hosts: [host NAME] sections and each node's host ------------------------

static const char kHosts[] =
    "[node a]\nweight = 1\nhost = f1\n[node b]\nweight = 2\nhost = f1\n[node c]\nweight = 3\nhost = f2\n"
    "[host f1]\naddress = 10.213.7.21\n[host f2]\naddress = 10.213.7.22\n";

TEST_CASE("the shipped cluster config names three front hosts for its four nodes") {
  ClusterConfig c;
  REQUIRE(ClusterConfig::Load("etc/cluster.conf", &c).ok());
  CHECK(c.hosts.size() == 3);
  int weights = 0;
  for (const auto& h : c.hosts) weights += c.HostWeight(h.name);
  CHECK(weights == c.TotalWeight());
  for (const auto& n : c.nodes) CHECK(c.FindHost(n.host) != nullptr);
}

TEST_CASE("hosts own their nodes, in file order, with the sum of their weights") {
  ClusterConfig c;
  REQUIRE(ClusterConfig::Parse(kHosts, "test", &c).ok());
  REQUIRE(c.hosts.size() == 2);
  CHECK(c.FindHost("f2")->address == "10.213.7.22");
  CHECK(c.FindHost("f9") == nullptr);
  auto f1 = c.NodesOf("f1");
  REQUIRE(f1.size() == 2);
  CHECK(f1[0]->name == "a");
  CHECK(f1[1]->name == "b");
  CHECK(c.HostWeight("f1") == 3);
  CHECK(c.HostWeight("f2") == 3);
  CHECK(c.NodesOf("f9").empty());
  CHECK(c.NodesOf("").empty());
  // Allotments stay per node.
  CHECK(c.Allotment("c", 600) == 300 + 90);
}

TEST_CASE("without hosts, nodes name none") {
  ClusterConfig c;
  REQUIRE(ClusterConfig::Parse(kConf, "test", &c).ok());
  CHECK(c.hosts.empty());
  for (const auto& n : c.nodes) CHECK(n.host.empty());
}

TEST_CASE("host errors name the file and line") {
  ClusterConfig c;
  SUBCASE("a node's unknown host") {
    Status st = ClusterConfig::Parse("[node a]\nhost = f2\n[host f1]\naddress = 10.0.0.1\n", "x", &c);
    CHECK(st.message() == "x:2: node 'a': unknown host 'f2'");
  }
  SUBCASE("a node without a host once hosts exist") {
    Status st = ClusterConfig::Parse("[node a]\nhost = f1\n[node b]\n[host f1]\naddress = 10.0.0.1\n", "x", &c);
    CHECK(st.message() == "x:3: node 'b' names no host (host = NAME)");
  }
  SUBCASE("a host without a node") {
    Status st = ClusterConfig::Parse("[node a]\nhost = f1\n[host f1]\naddress = 10.0.0.1\n[host f2]\naddress = 10.0.0.2\n", "x", &c);
    CHECK(st.message() == "x: host 'f2' runs no node");
  }
  SUBCASE("a host without an address") {
    CHECK_FALSE(ClusterConfig::Parse("[node a]\nhost = f1\n[host f1]\n", "x", &c).ok());
  }
  SUBCASE("two hosts at one address") {
    CHECK_FALSE(ClusterConfig::Parse("[node a]\nhost = f1\n[node b]\nhost = f2\n[host f1]\naddress = 10.0.0.1\n"
                                     "[host f2]\naddress = 10.0.0.1\n", "x", &c).ok());
  }
  SUBCASE("bad addresses") {
    for (const char* bad : {"10.0.0", "10.0.0.256", "10.0.0.01", "a.b.c.d", "10.0.0.1.2", "10..0.1", ""}) {
      std::string text = std::string("[node a]\nhost = f1\n[host f1]\naddress = ") + bad + "\n";
      CHECK_MESSAGE(!ClusterConfig::Parse(text, "x", &c).ok(), bad);
    }
  }
  SUBCASE("a host defined twice, a bad name, an unknown key") {
    CHECK_FALSE(ClusterConfig::Parse("[node a]\nhost = f1\n[host f1]\naddress = 10.0.0.1\n[host f1]\n", "x", &c).ok());
    CHECK_FALSE(ClusterConfig::Parse("[node a]\n[host f/1]\n", "x", &c).ok());
    CHECK_FALSE(ClusterConfig::Parse("[node a]\nhost = f1\n[host f1]\nport = 80\n", "x", &c).ok());
  }
}
