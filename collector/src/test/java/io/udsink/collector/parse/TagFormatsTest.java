package io.udsink.collector.parse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tag formats statsd_exporter reads by default (DogStatsD, InfluxDB, Librato, SignalFx) and
 * the DogStatsD details it and the Datadog Agent agree on, each scenario of statsd_exporter's
 * line tests written as a line and what the parser must make of it.
 */
class TagFormatsTest {
  static Arguments c(String line, String... expected) {
    return Arguments.of(line, List.of(expected));
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // tags in the name
        c("req,env=prod,zone=eu:3|c", "counter req [3] #env:prod,zone:eu"),
        c("req#env=prod,zone=eu:3|c", "counter req [3] #env:prod,zone:eu"),
        c("req.[env=prod,zone=eu]total:3|c", "counter req.total [3] #env:prod,zone:eu"),
        c("req.total[env=prod]:3|c", "counter req.total [3] #env:prod"),
        c("[env=prod]req.total:3|c", "counter req.total [3] #env:prod"),
        c("req.[]total:3|c", "counter req.total [3]"),
        c("req.[env,zone]total:3|c", "counter req.total [3]"),
        c("req,09digits=0,tag.with.dots=1:3|c", "counter req [3] #09digits:0,tag.with.dots:1"),
        c("req,env=,=x,zone=eu:3|c", "counter req [3] #zone:eu"),
        c("req,env=a=b:3|c", "counter req [3] #env:a=b"),
        // one bracket: the name stays as it is, commas and all
        c("[env=prod,zone=eureq:3|c", "counter [env=prod,zone=eureq [3]"),
        c("env=prod,zone=eu]req:3|c", "counter env=prod,zone=eu]req [3]"),
        c("[env=prod]:3|c", "error empty_name"),
        // DogStatsD tags
        c("req:3|c|#env:prod,#zone:eu", "counter req [3] #env:prod,zone:eu"),
        c("req:3|c|#env:prod,,", "counter req [3] #env:prod"),
        c("req:3|c|#env:a,env:b", "counter req [3] #env:b"),
        c("req:3|c|#env:b,env:a", "counter req [3] #env:a"),
        c("req:3|c|#env:a,zone:x,env:b,zone:y", "counter req [3] #env:b,zone:y"),
        c("req:3|c|#tag:foo:bar", "counter req [3] #tag:foo:bar"),
        c(
            "req:3|c|#dd.internal.entity_id:4f1c,dd.internal.card:high,env:a",
            "counter req [3] #env:a"),
        c("req:3|c|c:ci-0a1b2c", "counter req [3] #container_id:ci-0a1b2c"),
        c("req:3|c|#env:a|c:in-12345", "counter req [3] #container_id:in-12345,env:a"),
        c("req,env=a:3|c|c:abc", "counter req [3] #container_id:abc,env:a"),
        c("req:3|c|c:", "counter req [3]"),
        // both styles on one line: refused, as statsd_exporter refuses it
        c("req#env=a:3|c|#zone:b", "error mixed_tagging_styles"),
        c("req[env=a]:3|c|#zone:b", "error mixed_tagging_styles"),
        c("req,env=a:3|c|@0.5|#zone:b", "error mixed_tagging_styles"),
        c("req,bad:3|c|#zone:b", "counter req [3] #zone:b"),
        // DogStatsD 1.3 timestamps: checked (the sample counts in the interval it arrives in)
        c("req:3|c|T1700000000", "counter req [3] T1700000000000"),
        c("g:3|g|#k:v|T1700000001", "gauge g [3] #k:v T1700000001000"),
        c("req:3|c|T0", "error bad_timestamp"),
        c("req:3|c|T-5", "error bad_timestamp"),
        c("req:3|c|Tsoon", "error bad_timestamp"),
        c("req:3|c|T", "error bad_timestamp"),
        c("req:3|c|T99999999999", "error bad_timestamp"),
        // values and rates
        c("req:3|c|@0", "counter req [3]"),
        c("req:3|c|@often", "counter req [3]"),
        c("t:1::2|ms", "timer t [1,2]"),
        c("t::|ms", "error bad_value"),
        c("s:a:b|s", "set s [a:b]"),
        // StatsD's old multi-metric line: each sample its own type
        c(
            "m:200|ms:300|ms:5|c|@0.1:6|g",
            "timer m [200]",
            "timer m [300]",
            "counter m [5] @0.1",
            "gauge m [6]"),
        c("m:1|c:x|q", "counter m [1]", "error unknown_type"),
        c("m:1|x:2|c|#k:v", "error unknown_type"),
        // a datagram that starts with [ is JSON only when an object or ] follows
        c("[{\"name\":\"j\",\"type\":\"c\",\"value\":1}]", "json counter j [1] []"),
        c("[ ]"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("cases")
  void shouldReadEveryTagFormat(String line, List<String> expected) {
    assertEquals(expected, StatsdParserTest.parse(line));
  }

  private static List<String> parse(String line, TagStyles styles) {
    StatsdParserTest.Recorder r = new StatsdParserTest.Recorder();
    byte[] b = line.getBytes(StandardCharsets.UTF_8);
    new StatsdParser(r, r, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE, styles)
        .parse(b, 0, b.length);
    return r.out;
  }

  private static List<String> withOrigin(String datagram, String origin) {
    StatsdParserTest.Recorder r = new StatsdParserTest.Recorder();
    new StatsdParser(r, r, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE)
        .parse(
            java.nio.ByteBuffer.wrap(datagram.getBytes(StandardCharsets.UTF_8)),
            origin.getBytes(StandardCharsets.UTF_8));
    return r.out;
  }

  @Test
  void shouldGiveEveryMetricLineItsSendersOriginUnlessTheLineNamesItsContainer() {
    assertEquals(
        List.of(
            "counter a [1] #container_id:c1,env:x",
            "gauge b [2] #container_id:c1",
            "counter c [1] #container_id:mine",
            "counter d [1] #container_id:c1,env:y",
            "counter e [1] #container_id:own",
            "timer m [1] #container_id:c1",
            "counter m [2] #container_id:c1"),
        withOrigin(
            "a:1|c|#env:x\nb:2|g\nc:1|c|c:mine\nd,env=y:1|c\ne:1|c|#container_id:own\n"
                + "m:1|ms:2|c",
            "container_id:c1"));
    assertEquals(
        List.of("error too_many_tags"),
        withOrigin("t:1|c|#" + tags(StatsdParser.MAX_TAGS), "systemd_unit:x"),
        "the origin counts against the tag limit");
  }

  private static String tags(int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ",").append("t").append(i).append(":v");
    }
    return sb.toString();
  }

  @Test
  void shouldKeepTheEntityIdAsThePodUidOnlyUnderOriginDetection() {
    StatsdParserTest.Recorder r = new StatsdParserTest.Recorder();
    StatsdParser p = new StatsdParser(r, r, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
    byte[] line =
        "req:1|c|#env:a,dd.internal.entity_id:0b1c-2d,dd.internal.card:low"
            .getBytes(StandardCharsets.UTF_8);
    p.parse(line, 0, line.length);
    p.podUidFromEntityId(true);
    p.parse(line, 0, line.length);
    assertEquals(
        List.of("counter req [1] #env:a", "counter req [1] #env:a,pod_uid:0b1c-2d"), r.out);
  }

  @Test
  void shouldAcceptATimestampUpToAnHourAheadOfTheClock() {
    long now = 1_800_000_000_000L;
    byte[] inAnHour = Long.toString(now / 1000 + 3600).getBytes(StandardCharsets.US_ASCII);
    byte[] later = Long.toString(now / 1000 + 3601).getBytes(StandardCharsets.US_ASCII);
    assertEquals(null, LineCheck.timestamp(inAnHour, 0, inAnHour.length, now));
    assertEquals(ParseError.BAD_TIMESTAMP, LineCheck.timestamp(later, 0, later.length, now));
  }

  @Test
  void shouldReadOnlyTheFormatsSwitchedOn() {
    TagStyles dogOnly = new TagStyles(true, false, false, false);
    assertEquals(List.of("counter req,env=a [3]"), parse("req,env=a:3|c", dogOnly));
    assertEquals(List.of("counter req#env=a [3]"), parse("req#env=a:3|c", dogOnly));
    assertEquals(List.of("counter req[env=a] [3]"), parse("req[env=a]:3|c", dogOnly));
    TagStyles noDog = new TagStyles(false, true, true, true);
    assertEquals(List.of("counter req [3]"), parse("req:3|c|#env:a", noDog));
    assertEquals(List.of("counter req [3] #env:a"), parse("req,env=a:3|c", noDog));
    assertEquals(List.of("error mixed_tagging_styles"), parse("req,env=a:3|c|#z:b", noDog));
  }

  /**
   * Random names with tags in every format agree: the same tags, whichever format carried them,
   * give the same line (fixed seeds).
   */
  @Test
  void shouldGiveTheSameLineWhicheverFormatCarriesTheTags() {
    for (long seed = 1; seed <= 200; seed++) {
      Random random = new Random(seed);
      int n = 1 + random.nextInt(5);
      StringBuilder kv = new StringBuilder();
      StringBuilder dog = new StringBuilder();
      for (int i = 0; i < n; i++) {
        String k = "k" + random.nextInt(4);
        String v = "v" + random.nextInt(100);
        kv.append(i > 0 ? "," : "").append(k).append('=').append(v);
        dog.append(i > 0 ? "," : "")
            .append(random.nextBoolean() ? "#" : "")
            .append(k)
            .append(':')
            .append(v);
      }
      List<String> want = StatsdParserTest.parse("m.x:1|c|#" + dog);
      assertEquals(want, StatsdParserTest.parse("m.x," + kv + ":1|c"), "influx, seed " + seed);
      assertEquals(want, StatsdParserTest.parse("m.x#" + kv + ":1|c"), "librato, seed " + seed);
      assertEquals(want, StatsdParserTest.parse("m.[" + kv + "]x:1|c"), "signalfx, seed " + seed);
    }
  }
}
