// metrics_test — the node's shared-memory metrics on a real file: the counts
// and the name tables agree (every endpoint and outcome has one distinct
// name, the first index past each count has none); every endpoint × outcome
// pair has its own counter; an endpoint or outcome past its count is filed
// only as uncounted, logged once, and touches no other counter; latencies
// that are negative, NaN or huge are clamped; Count before Open does nothing;
// two processes' slots add up; a reader refuses a missing file, one of
// another size, and one of another layout. A scrape: every series is there
// from zero; starts are counted, with no pid label; the host's answer has
// each family once with a sample per node; an event's series outlive its
// row's last change by the retention, then are left out.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fcgi/metrics.h"

using namespace seckill;

namespace {
std::string TempShm() {
  char dir[] = "/tmp/seckill-metrics-XXXXXX";
  REQUIRE(mkdtemp(dir));
  return std::string(dir) + "/n1.shm";
}

Endpoint EndpointAt(int i) { return static_cast<Endpoint>(i); }
Outcome OutcomeAt(int i) { return static_cast<Outcome>(i); }

// The value of the sample `name{labels}` in `text`, or -1 when there is none.
double Sample(const std::string& text, const std::string& name, const std::string& labels) {
  std::string head = name + "{" + labels + "} ";
  size_t at = text.find(head);
  if (at == std::string::npos || (at > 0 && text[at - 1] != '\n')) return -1;
  return atof(text.c_str() + at + head.size());
}

// How many lines of `text` start with `prefix`.
int LinesStartingWith(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.rfind(prefix, 0) == 0;
  return n;
}

// The sum of the values of the lines of `text` that start with `prefix`.
double SumOf(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  double sum = 0;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) sum += atof(line.c_str() + line.rfind(' ') + 1);
  return sum;
}

// Runs `f` with stderr sent to a file; returns what it wrote.
template <typename F>
std::string CaptureStderr(F f) {
  char path[] = "/tmp/seckill-metrics-stderr-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  fflush(stderr);
  int saved = dup(2);
  dup2(fd, 2);
  f();
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  unlink(path);
  return out.str();
}
}  // namespace

TEST_CASE("the counts match the name tables: one distinct name per index, none past the count") {
  std::set<std::string> endpoints, outcomes;
  for (int e = 0; e < kEndpointCount; e++) {
    CHECK(std::string(EndpointName(EndpointAt(e))) != "unknown");
    endpoints.insert(EndpointName(EndpointAt(e)));
  }
  for (int o = 0; o < kOutcomeCount; o++) {
    CHECK(std::string(OutcomeName(OutcomeAt(o))) != "unknown");
    outcomes.insert(OutcomeName(OutcomeAt(o)));
  }
  CHECK(endpoints.size() == static_cast<size_t>(kEndpointCount));  // distinct: no two share a label
  CHECK(outcomes.size() == static_cast<size_t>(kOutcomeCount));
  CHECK(std::string(EndpointName(EndpointAt(kEndpointCount))) == "unknown");
  CHECK(std::string(OutcomeName(OutcomeAt(kOutcomeCount))) == "unknown");
  CHECK(std::string(OutcomeName(Outcome::kCount)) == "unknown");
}

TEST_CASE("a request is counted under its endpoint and outcome, with its latency") {
  Metrics m;
  REQUIRE(m.Open(TempShm()).ok());
  m.Count(Endpoint::kReserve, Outcome::kReserved, 0.0004);
  m.Count(Endpoint::kReserve, Outcome::kReserved, 0.002);
  m.Count(Endpoint::kPay, Outcome::kOk, 0.3);
  CHECK(m.Total(Outcome::kReserved) == 2);
  CHECK(m.Total(Outcome::kOk) == 1);
  CHECK(m.TotalRequests() == 3);
  CHECK(m.Uncounted() == 0);
  std::string text = m.Render("n1", nullptr);
  CHECK(Sample(text, "seckill_requests_total", "node=\"n1\",endpoint=\"reserve\",outcome=\"reserved\"") == 2);
  CHECK(Sample(text, "seckill_requests_total", "node=\"n1\",endpoint=\"pay\",outcome=\"ok\"") == 1);
  CHECK(Sample(text, "seckill_request_duration_seconds_bucket", "node=\"n1\",endpoint=\"reserve\",le=\"0.0005\"") == 1);
  CHECK(Sample(text, "seckill_request_duration_seconds_bucket", "node=\"n1\",endpoint=\"reserve\",le=\"0.0025\"") == 2);
  CHECK(Sample(text, "seckill_request_duration_seconds_count", "node=\"n1\",endpoint=\"pay\"") == 1);
  CHECK(Sample(text, "seckill_requests_uncounted_total", "node=\"n1\"") == 0);
}

TEST_CASE("every endpoint and outcome pair has a counter of its own") {
  Metrics m;
  REQUIRE(m.Open(TempShm()).ok());
  for (int e = 0; e < kEndpointCount; e++)
    for (int o = 0; o < kOutcomeCount; o++)
      for (int k = 0; k <= e * kOutcomeCount + o; k++) m.Count(EndpointAt(e), OutcomeAt(o), 0.001);
  std::string text = m.Render("n1", nullptr);
  CHECK(LinesStartingWith(text, "seckill_requests_total{") == kEndpointCount * kOutcomeCount);
  for (int e = 0; e < kEndpointCount; e++) {
    for (int o = 0; o < kOutcomeCount; o++) {
      std::string labels = std::string("node=\"n1\",endpoint=\"") + EndpointName(EndpointAt(e)) + "\",outcome=\"" +
                           OutcomeName(OutcomeAt(o)) + "\"";
      CHECK_MESSAGE(Sample(text, "seckill_requests_total", labels) == e * kOutcomeCount + o + 1, labels);
    }
  }
  const uint64_t n = kEndpointCount * kOutcomeCount;
  CHECK(m.TotalRequests() == n * (n + 1) / 2);
  CHECK(m.Uncounted() == 0);
}

TEST_CASE("an endpoint or outcome past its count is filed as uncounted only, and logged once") {
  Metrics m;
  REQUIRE(m.Open(TempShm()).ok());
  std::string log = CaptureStderr([&] {
    m.Count(EndpointAt(kEndpointCount), Outcome::kOk, 0.001);
    m.Count(EndpointAt(-1), Outcome::kOk, 0.001);
    m.Count(EndpointAt(1 << 20), OutcomeAt(255), 0.001);
    m.Count(Endpoint::kReserve, Outcome::kCount, 0.001);
    m.Count(Endpoint::kStatus, OutcomeAt(kOutcomeCount + 1), 0.001);
  });
  CHECK(m.Uncounted() == 5);
  CHECK(m.TotalRequests() == 0);
  CHECK(m.Total(Outcome::kCount) == 0);  // reading past the count is refused too
  CHECK(m.Total(OutcomeAt(255)) == 0);
  std::string text = m.Render("n1", nullptr);
  CHECK(SumOf(text, "seckill_requests_total{") == 0);
  CHECK(SumOf(text, "seckill_request_duration_seconds_") == 0);  // not spilled into the histogram
  CHECK(Sample(text, "seckill_requests_uncounted_total", "node=\"n1\"") == 5);
  CHECK(Sample(text, "seckill_redis_round_trips_total", "node=\"n1\"") == 0);
  CHECK(LinesStartingWith(log, "seckill-worker") == 1);
  CHECK(log.find("out of range") != std::string::npos);
  m.Count(Endpoint::kReserve, Outcome::kReserved, 0.001);  // the next good request is counted as usual
  CHECK(m.Total(Outcome::kReserved) == 1);
}

TEST_CASE("latencies that are negative, NaN or huge are clamped") {
  Metrics m;
  REQUIRE(m.Open(TempShm()).ok());
  m.Count(Endpoint::kReserve, Outcome::kReserved, -1);
  m.Count(Endpoint::kReserve, Outcome::kReserved, std::nan(""));
  m.Count(Endpoint::kReserve, Outcome::kReserved, 1e300);
  m.Count(Endpoint::kReserve, Outcome::kReserved, std::numeric_limits<double>::infinity());
  std::string text = m.Render("n1", nullptr);
  const std::string el = "node=\"n1\",endpoint=\"reserve\"";
  CHECK(Sample(text, "seckill_request_duration_seconds_bucket", el + ",le=\"0.0005\"") == 2);
  CHECK(Sample(text, "seckill_request_duration_seconds_bucket", el + ",le=\"1\"") == 2);
  CHECK(Sample(text, "seckill_request_duration_seconds_bucket", el + ",le=\"+Inf\"") == 4);
  CHECK(Sample(text, "seckill_request_duration_seconds_sum", el) == 2e6);
}

TEST_CASE("Count before Open does nothing") {
  Metrics m;
  m.Count(Endpoint::kReserve, Outcome::kReserved, 0.001);
  m.Count(EndpointAt(kEndpointCount), Outcome::kOk, 0.001);
  CHECK(m.TotalRequests() == 0);
  CHECK(m.Uncounted() == 0);
  CHECK(m.Render("n1", nullptr).empty());
}

TEST_CASE("the node's totals add up every process's slot; a reader sees them") {
  std::string path = TempShm();
  Metrics a, b;  // two slots of one file, as two processes of the node would hold
  REQUIRE(a.Open(path).ok());
  REQUIRE(b.Open(path).ok());
  a.Count(Endpoint::kReserve, Outcome::kSoldOut, 0.001);
  b.Count(Endpoint::kReserve, Outcome::kSoldOut, 0.001);
  CaptureStderr([&] { b.Count(EndpointAt(kEndpointCount), Outcome::kOk, 0.001); });
  Metrics reader;
  REQUIRE(reader.OpenToRead(path).ok());
  CHECK(reader.Total(Outcome::kSoldOut) == 2);
  CHECK(reader.TotalRequests() == 2);
  CHECK(reader.Uncounted() == 1);
  reader.Count(Endpoint::kReserve, Outcome::kSoldOut, 0.001);  // a reader has no slot: counts nothing
  CHECK(a.Total(Outcome::kSoldOut) == 2);
}

TEST_CASE("a reader refuses a missing file, a file of another size, and one of another layout") {
  std::string path = TempShm();
  Metrics reader;
  CHECK(reader.OpenToRead(path).code() == Status::Code::kNotFound);
  CHECK(access(path.c_str(), F_OK) != 0);  // and creates none
  { std::ofstream(path) << "not metrics"; }
  CHECK(reader.OpenToRead(path).code() == Status::Code::kNotFound);
  unlink(path.c_str());
  {
    Metrics writer;
    REQUIRE(writer.Open(path).ok());
  }
  int fd = open(path.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  const uint64_t other = 0x0123456789abcdefULL;  // the layout's magic comes first
  REQUIRE(pwrite(fd, &other, sizeof other, 0) == static_cast<ssize_t>(sizeof other));
  close(fd);
  CHECK(reader.OpenToRead(path).code() == Status::Code::kNotFound);
  CHECK(reader.TotalRequests() == 0);
}

TEST_CASE("every series is there from zero, before the first request") {
  Metrics m;
  REQUIRE(m.Open(TempShm()).ok());
  std::string text = m.Render("n1", nullptr, 2);
  CHECK(LinesStartingWith(text, "seckill_requests_total{") == kEndpointCount * kOutcomeCount);
  CHECK(LinesStartingWith(text, "seckill_request_duration_seconds_count{") == kEndpointCount);
  CHECK(LinesStartingWith(text, "seckill_request_duration_seconds_bucket{") == kEndpointCount * kBucketCount);
  CHECK(Sample(text, "seckill_requests_total", "node=\"n1\",endpoint=\"pay\",outcome=\"internal\"") == 0);
  CHECK(Sample(text, "seckill_redis_errors_total", "node=\"n1\"") == 0);
  CHECK(Sample(text, "seckill_node_processes", "node=\"n1\"") == 2);
}

TEST_CASE("process starts are counted per node, with no pid label") {
  std::string path = TempShm();
  Metrics a;
  REQUIRE(a.Open(path).ok());
  {
    Metrics b;  // a second process, as a restart would open
    REQUIRE(b.Open(path).ok());
  }
  std::string text = a.Render("n1", nullptr);
  CHECK(Sample(text, "seckill_worker_starts_total", "node=\"n1\"") == 2);
  CHECK(Sample(text, "seckill_workers", "node=\"n1\"") == 1);  // b ended: its slot is free, its counts stay
  CHECK(Sample(text, "seckill_worker_last_start_time_seconds", "node=\"n1\"") > 1e9);
  CHECK(text.find("pid=") == std::string::npos);
}

TEST_CASE("a host's scrape has each family once, with a sample per node") {
  Metrics a, b;
  REQUIRE(a.Open(TempShm()).ok());
  REQUIRE(b.Open(TempShm()).ok());
  a.Count(Endpoint::kReserve, Outcome::kReserved, 0.001);
  b.Count(Endpoint::kReserve, Outcome::kSoldOut, 0.001);
  std::vector<NodeScrape> nodes(2);
  nodes[0].node = "n1", nodes[0].metrics = &a, nodes[0].processes = 2;
  nodes[1].node = "n2", nodes[1].metrics = &b, nodes[1].processes = 3;
  std::string text = RenderScrape(nodes, 1000);
  CHECK(LinesStartingWith(text, "# TYPE seckill_requests_total ") == 1);
  CHECK(LinesStartingWith(text, "# TYPE seckill_workers ") == 1);
  CHECK(Sample(text, "seckill_requests_total", "node=\"n1\",endpoint=\"reserve\",outcome=\"reserved\"") == 1);
  CHECK(Sample(text, "seckill_requests_total", "node=\"n2\",endpoint=\"reserve\",outcome=\"sold_out\"") == 1);
  CHECK(Sample(text, "seckill_requests_total", "node=\"n2\",endpoint=\"reserve\",outcome=\"reserved\"") == 0);
  CHECK(Sample(text, "seckill_node_processes", "node=\"n2\"") == 3);
}

TEST_CASE("an event's series outlive its last change by the retention, then are left out") {
  std::string path = TempShm();
  Metrics m;
  REQUIRE(m.Open(path).ok());
  std::vector<NodeScrape> nodes(1);
  nodes[0].node = "n1", nodes[0].metrics = &m, nodes[0].rows_ok = true;
  NodeCounter::Row row;
  row.allotment = 10, row.taken = 3;
  nodes[0].rows = {{"ev1", row}};
  const std::string labels = "node=\"n1\",event=\"ev1\"";
  CHECK(Sample(RenderScrape(nodes, 1000, 500), "seckill_node_taken_tickets", labels) == 3);  // new: shown
  CHECK(Sample(RenderScrape(nodes, 1500, 500), "seckill_node_taken_tickets", labels) == 3);  // within the retention
  CHECK(Sample(RenderScrape(nodes, 1501, 500), "seckill_node_taken_tickets", labels) == -1);  // past it: gone
  nodes[0].rows[0].second.returned = 1;  // the row changes: shown again
  CHECK(Sample(RenderScrape(nodes, 5000, 500), "seckill_node_returned_tickets", labels) == 1);
  Metrics other;  // another process of the host, reading the same file, agrees
  REQUIRE(other.OpenToScrape(path).ok());
  nodes[0].metrics = &other;
  CHECK(Sample(RenderScrape(nodes, 5600, 500), "seckill_node_taken_tickets", labels) == -1);
  Metrics reader;  // one that cannot write the file shows every event
  REQUIRE(reader.OpenToRead(path).ok());
  nodes[0].metrics = &reader;
  CHECK(Sample(RenderScrape(nodes, 9000, 500), "seckill_node_taken_tickets", labels) == 3);
}
