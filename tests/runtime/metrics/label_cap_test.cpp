#include <doctest/doctest.h>

#include <string>

#include "canswarm/metrics/label_cap.hpp"
#include "canswarm/metrics/peer_score_table.hpp"

using namespace canswarm::metrics;

TEST_CASE("a label cap admits the first values and maps later ones to other") {
  label_cap cap{3};
  CHECK(cap.admit("a").value == "a");
  CHECK(cap.admit("b").value == "b");
  CHECK(cap.admit("a").value == "a"); // already admitted: no new slot
  CHECK(cap.admit("c").value == "c");
  auto d = cap.admit("d");
  CHECK(d.value == "other");
  CHECK(d.overflow);
  // Admitted values stay admitted after the cap is reached.
  auto b = cap.admit("b");
  CHECK(b.value == "b");
  CHECK_FALSE(b.overflow);
  CHECK(cap.size() == 3);
  CHECK(cap.contains("c"));
  CHECK_FALSE(cap.contains("d"));
}

TEST_CASE("a remote label value equal to other does not take a slot") {
  label_cap cap{1};
  auto other = cap.admit("other");
  CHECK(other.value == "other");
  CHECK_FALSE(other.overflow);
  CHECK(cap.size() == 0);
  CHECK(cap.admit("x").value == "x");
}

TEST_CASE("label values are sanitised to printable ASCII") {
  CHECK(sanitize_label_value("tasks/alpha") == "tasks/alpha");
  CHECK(sanitize_label_value("a\nb\x01\x7f") == "a_b__");
  CHECK(sanitize_label_value("caf\xc3\xa9") == "caf__");
  CHECK(sanitize_label_value("") == "unknown");
  label_cap cap{4};
  CHECK(cap.admit("x\ny").value == "x_y");
  CHECK(cap.contains("x\ny"));
}

TEST_CASE("an over-long label value counts as overflow") {
  label_cap cap{4};
  auto long_value = std::string(max_label_value_size + 1, 't');
  auto r = cap.admit(long_value);
  CHECK(r.overflow);
  CHECK(r.value == "other");
  CHECK(cap.size() == 0);
  CHECK(cap.admit(std::string(max_label_value_size, 't')).overflow == false);
}

TEST_CASE("the peer score table tracks the most recently updated peers") {
  peer_score_table t{2, 10};
  auto a = t.set("a", 1);
  CHECK(a.newly_tracked);
  CHECK_FALSE(a.demoted);
  t.set("b", 2);
  auto c = t.set("c", 4);
  CHECK(c.newly_tracked);
  REQUIRE(c.demoted);
  CHECK(*c.demoted == "a"); // least recently updated
  CHECK(t.tracked_size() == 2);
  CHECK(t.aggregated_size() == 1);
  CHECK(t.aggregated_mean() == doctest::Approx(1));
  // Updating a tracked peer changes nothing in the series set.
  auto b = t.set("b", 3);
  CHECK_FALSE(b.newly_tracked);
  CHECK_FALSE(b.demoted);
  // Updating the aggregated peer promotes it; now c is the least recent.
  auto a2 = t.set("a", 5);
  CHECK(a2.newly_tracked);
  REQUIRE(a2.demoted);
  CHECK(*a2.demoted == "c");
  CHECK(t.is_tracked("a"));
  CHECK(t.is_tracked("b"));
  CHECK_FALSE(t.is_tracked("c"));
  CHECK(t.aggregated_mean() == doctest::Approx(4));
  CHECK(t.score("a") == 5);
}

TEST_CASE("the peer score table averages the aggregate and bounds memory") {
  peer_score_table t{1, 3};
  t.set("a", 10);
  t.set("b", 20);
  t.set("c", 30); // tracked c; aggregated b, a
  CHECK(t.aggregated_mean() == doctest::Approx(15));
  t.set("d", 40); // tracked d; aggregated c, b; a forgotten (known cap 3)
  CHECK(t.tracked_size() == 1);
  CHECK(t.aggregated_size() == 2);
  CHECK_FALSE(t.score("a"));
  CHECK(t.aggregated_mean() == doctest::Approx(25));
}

TEST_CASE("forgetting a tracked peer promotes the newest aggregated peer") {
  peer_score_table t{2, 10};
  t.set("a", 1);
  t.set("b", 2);
  t.set("c", 3); // tracked c, b; aggregated a
  auto r = t.forget("b");
  CHECK(r.was_tracked);
  REQUIRE(r.promoted);
  CHECK(r.promoted->first == "a");
  CHECK(r.promoted->second == 1);
  CHECK(t.is_tracked("a"));
  CHECK(t.aggregated_size() == 0);
  CHECK(t.aggregated_mean() == 0);
  // Forgetting an aggregated or unknown peer changes no series.
  t.set("d", 4); // tracked d, c; aggregated a
  auto r2 = t.forget("a");
  CHECK_FALSE(r2.was_tracked);
  CHECK_FALSE(r2.promoted);
  CHECK(t.aggregated_size() == 0);
  auto r3 = t.forget("zzz");
  CHECK_FALSE(r3.was_tracked);
}
