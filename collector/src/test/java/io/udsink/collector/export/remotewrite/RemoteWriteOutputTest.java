package io.udsink.collector.export.remotewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.export.TelemetryMetric;
import io.udsink.collector.export.cumulative.CumulativeState;
import io.udsink.collector.parse.StatsdParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The remote-write output against a receiver that answers as a test tells it to. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteWriteOutputTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final Aggregator agg = new Aggregator(10_000, 10, 0, (r, b, s, e) -> {});
  private final StatsdParser parser =
      new StatsdParser(agg, agg, io.udsink.collector.aggregate.Series.MAX_SKETCH_VALUE);
  private Receiver receiver;
  private RemoteWriteOutput output;

  @BeforeEach
  void start() throws IOException {
    receiver = new Receiver();
  }

  @AfterEach
  void stop() {
    if (output != null) {
      output.close();
    }
    receiver.close();
  }

  private RemoteWriteOutput output(Duration timeout, long maxQueuedBytes) {
    output =
        new RemoteWriteOutput(
            receiver.url(),
            new CumulativeState(3_600_000, 10_000, new Telemetry()),
            Map.of("job", "udsink", "instance", "host-a"),
            Map.of("X-Scope-OrgID", "team-1"),
            timeout,
            maxQueuedBytes);
    return output;
  }

  private Interval interval(long endMs, boolean last, String lines) {
    byte[] b = lines.getBytes(StandardCharsets.UTF_8);
    parser.parse(b, 0, b.length);
    return agg.takeInterval(endMs, last);
  }

  private static double last(List<Receiver.Sample> s) {
    return s.get(s.size() - 1).value();
  }

  @Test
  void shouldSendSamplesWithTheirOwnTimeAtThatTimeBeforeTheFlush() throws Exception {
    RemoteWriteOutput out = output(Duration.ofSeconds(5), 1 << 20);
    out.write(
        interval(
            1_700_000_010_000L,
            false,
            "backfill:2|c|T1700000002\nbackfill:3|c|T1700000001\nlevel:7|g|T1700000005\n"
                + "backfill:1|c\n"));
    TestSupport.await("both requests", WAIT, () -> receiver.samples("backfill_total").size() == 3);
    List<Receiver.Sample> c = receiver.samples("backfill_total");
    assertEquals(
        List.of(1_700_000_001_000L, 1_700_000_002_000L, 1_700_000_010_000L),
        c.stream().map(Receiver.Sample::timestampMs).toList(),
        "each at its own time, oldest first, then the flush");
    assertEquals(
        List.of(3.0, 5.0, 6.0),
        c.stream().map(Receiver.Sample::value).toList(),
        "cumulative: each point is the counter right after its sample");
    List<Receiver.Sample> g = receiver.samples("level");
    assertEquals(1_700_000_005_000L, g.get(0).timestampMs());
    assertEquals(7.0, g.get(0).value());
    assertEquals(
        3,
        receiver.accepted.get(0).samples().size(),
        "the samples with their own time come first, in a request of their own");
  }

  @Test
  void shouldPushCumulativeSamplesWithTheProtocolsHeadersAndLabels() throws Exception {
    RemoteWriteOutput out = output(Duration.ofSeconds(5), 1 << 20);
    out.write(
        interval(
            1_700_000_000_000L,
            false,
            "req:2|c|#code:200\nreq:1|c|#code:500\n"
                + "temp:21.5|g\nlat:3|ms\nlat:300|ms\nmine:1|c|#instance:host-b\n"));
    out.write(interval(1_700_000_010_000L, false, "req:3|c|#code:200\n"));
    TestSupport.await("two flushes", WAIT, () -> receiver.samples("req_total").size() == 4);
    Receiver.Request first = receiver.accepted.get(0);
    assertEquals("snappy", first.headers().getFirst("Content-Encoding"));
    assertEquals("application/x-protobuf", first.headers().getFirst("Content-Type"));
    assertEquals("0.1.0", first.headers().getFirst("X-Prometheus-Remote-Write-Version"));
    assertEquals("team-1", first.headers().getFirst("X-Scope-OrgID"));
    assertTrue(first.headers().getFirst("User-Agent").startsWith("udsink"));

    List<Receiver.Sample> req = receiver.samples("req_total");
    Receiver.Sample ok =
        req.stream()
            .filter(
                s -> s.labels().get("code").equals("200") && s.timestampMs() == 1_700_000_010_000L)
            .findFirst()
            .orElseThrow();
    assertEquals(5.0, ok.value(), "counters are cumulative");
    assertEquals(
        Map.of("__name__", "req_total", "code", "200", "instance", "host-a", "job", "udsink"),
        ok.labels());
    assertEquals(21.5, last(receiver.samples("temp")), "a gauge is sent at every flush");
    assertEquals(2, receiver.samples("temp").size());
    assertEquals(
        "host-b",
        receiver.samples("mine_total").get(0).labels().get("instance"),
        "a series' own label wins over the external one");
    List<Receiver.Sample> buckets = receiver.samples("lat_bucket");
    Receiver.Sample le5ms =
        buckets.stream()
            .filter(s -> "0.005".equals(s.labels().get("le")))
            .findFirst()
            .orElseThrow();
    assertEquals(1.0, le5ms.value());
    assertEquals(
        2.0,
        buckets.stream()
            .filter(s -> "+Inf".equals(s.labels().get("le")))
            .findFirst()
            .orElseThrow()
            .value());
    assertTrue(
        buckets.stream().anyMatch(s -> "1".equals(s.labels().get("le"))),
        "bounds written as Prometheus writes them: " + buckets);
    assertEquals(0.303, receiver.samples("lat_sum").get(0).value(), 1e-12);
    assertEquals(2.0, receiver.samples("lat_count").get(0).value());
    TestSupport.await(
        "every sample taken counted",
        WAIT,
        () ->
            out.counts().get(TelemetryMetric.OUTPUT_SENT_SAMPLES)
                == receiver.accepted.stream().mapToLong(r -> r.samples().size()).sum());
    assertEquals(0L, out.counts().get(TelemetryMetric.OUTPUT_DROPPED_SAMPLES));
    assertEquals(0L, out.counts().get(TelemetryMetric.OUTPUT_REJECTED_SAMPLES));
    assertEquals(0L, out.counts().get(TelemetryMetric.OUTPUT_FAILED_REQUESTS));
  }

  @Test
  void shouldRetryServerErrorsAndNetworkFailuresInOrder() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    receiver.status = () -> calls.incrementAndGet() <= 3 ? 503 : 200;
    RemoteWriteOutput out = output(Duration.ofSeconds(5), 1 << 20);
    out.write(interval(1000, false, "n:1|c\n"));
    out.write(interval(2000, false, "n:1|c\n"));
    out.write(interval(3000, false, "n:1|c\n"));
    TestSupport.await("every flush", WAIT, () -> receiver.samples("n_total").size() == 3);
    List<Receiver.Sample> n = receiver.samples("n_total");
    assertEquals(List.of(1.0, 2.0, 3.0), n.stream().map(Receiver.Sample::value).toList());
    assertEquals(
        List.of(1000L, 2000L, 3000L),
        n.stream().map(Receiver.Sample::timestampMs).toList(),
        "in time order, behind the one retried");
    assertEquals(3L, out.counts().get(TelemetryMetric.OUTPUT_FAILED_REQUESTS));
    assertEquals(0L, out.counts().get(TelemetryMetric.OUTPUT_DROPPED_SAMPLES));
  }

  @Test
  void shouldBackOffBetweenRetriesWhateverArrivesMeanwhile() throws Exception {
    receiver.status = () -> 503;
    RemoteWriteOutput out = output(Duration.ofSeconds(5), 1 << 20);
    out.write(interval(1000, false, "b:1|c\n"));
    TestSupport.await("the first attempt", WAIT, () -> receiver.received.size() == 1);
    for (int i = 2; i <= 50; i++) {
      out.write(interval(i * 1000L, false, "b:1|c\n")); // each wakes the sender
    }
    TestSupport.await("four attempts", WAIT, () -> receiver.received.size() >= 4);
    for (int k = 1; k < 4; k++) {
      long gap = receiver.received.get(k).arrivedNs() - receiver.received.get(k - 1).arrivedNs();
      long expected = TimeUnit.MILLISECONDS.toNanos(100L << (k - 1));
      assertTrue(
          gap >= expected * 9 / 10,
          "retry "
              + k
              + " after "
              + gap / 1_000_000
              + " ms, expected at least "
              + expected / 1_000_000
              + " ms");
    }
  }

  @Test
  void shouldDropWhatTheReceiverRefusesAndGoOn() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    receiver.status = () -> calls.incrementAndGet() == 1 ? 400 : 204;
    receiver.answer = "out of order sample " + "x".repeat(100_000);
    RemoteWriteOutput out = output(Duration.ofSeconds(5), 1 << 20);
    out.write(interval(1000, false, "r:1|c\n"));
    TestSupport.await(
        "the refusal", WAIT, () -> out.counts().get(TelemetryMetric.OUTPUT_REJECTED_SAMPLES) > 0);
    out.write(interval(2000, false, "r:1|c\n"));
    TestSupport.await("the next flush", WAIT, () -> receiver.samples("r_total").size() == 1);
    assertEquals(2.0, receiver.samples("r_total").get(0).value(), "nothing of the total lost");
    assertEquals(2, receiver.received.size());
    assertEquals(
        0L, out.counts().get(TelemetryMetric.OUTPUT_FAILED_REQUESTS), "a 4xx is not retried");
  }

  @Test
  void shouldBoundTheQueueDroppingTheOldestAndDeliverTheTotalsAfterwards() throws Exception {
    receiver.hold();
    RemoteWriteOutput out = output(Duration.ofSeconds(20), 4096);
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      many.append("s").append(i).append(":1|c\n");
    }
    for (int k = 1; k <= 20; k++) {
      out.write(interval(k * 1000L, false, many.toString()));
    }
    assertTrue(
        out.counts().get(TelemetryMetric.OUTPUT_DROPPED_SAMPLES) > 0, "the queue is bounded");
    assertTrue(out.unsentSinceNs() != 0);
    receiver.open();
    TestSupport.await(
        "the queue sent", WAIT, () -> out.heldLines() == 0 && out.unsentSinceNs() == 0);
    List<Receiver.Sample> s0 = receiver.samples("s0_total");
    assertEquals(20.0, last(s0), "the newest request carries every count");
    assertEquals(20_000L, s0.get(s0.size() - 1).timestampMs());
    assertTrue(s0.size() < 20, "older points were dropped: " + s0.size());
    int perFlush = receiver.accepted.get(receiver.accepted.size() - 1).samples().size();
    TestSupport.await(
        "the last request counted",
        WAIT,
        () ->
            out.counts().get(TelemetryMetric.OUTPUT_SENT_SAMPLES)
                == receiver.accepted.stream().mapToLong(r -> r.samples().size()).sum());
    assertEquals(
        20L * perFlush,
        out.counts().get(TelemetryMetric.OUTPUT_SENT_SAMPLES)
            + out.counts().get(TelemetryMetric.OUTPUT_DROPPED_SAMPLES),
        "every sample either sent or dropped, none both (the request in flight is not dropped)");
  }

  @Test
  void shouldGiveUpOnAReceiverThatDoesNotAnswerAndTryAgain() throws Exception {
    receiver.hold();
    RemoteWriteOutput out = output(Duration.ofMillis(300), 1 << 20);
    out.write(interval(1000, false, "slow:1|c\n"));
    TestSupport.await(
        "a timeout", WAIT, () -> out.counts().get(TelemetryMetric.OUTPUT_FAILED_REQUESTS) >= 2);
    receiver.open();
    TestSupport.await("the retry", WAIT, () -> !receiver.samples("slow_total").isEmpty());
  }

  @Test
  void shouldHoldTheStopUntilTheFinalFlushIsSent() throws Exception {
    receiver.status = () -> 503;
    RemoteWriteOutput out = output(Duration.ofSeconds(5), 1 << 20);
    out.write(interval(1000, true, "fin:7|c\n"));
    assertTrue(out.holds(), "the final flush is held");
    assertThrows(IOException.class, out::writeHeld);
    assertTrue(out.heldLines() > 0, "what a stop that cannot wait would lose is known");
    receiver.status = () -> 200;
    TestSupport.await(
        "sent",
        WAIT,
        () -> {
          try {
            out.writeHeld();
            return true;
          } catch (IOException e) {
            return false;
          }
        });
    assertFalse(out.holds());
    assertEquals(7.0, last(receiver.samples("fin_total")));
  }

  @Test
  void shouldWriteBoundsAsPrometheusDoes() {
    Object[][] table = {
      {0.005, "0.005"},
      {1.0, "1"},
      {2.5, "2.5"},
      {10.0, "10"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {1e6, "1e+06"},
      {123456.0, "123456"},
      {1234567.0, "1.234567e+06"},
      {1e21, "1e+21"},
      {1.5e-7, "1.5e-07"},
      {Double.POSITIVE_INFINITY, "+Inf"},
      {0.0, "0"},
      {-2.0, "-2"},
      {0.99, "0.99"},
    };
    for (Object[] row : table) {
      assertEquals(row[1], Samples.goFloat((Double) row[0]), String.valueOf(row[0]));
    }
  }

  @Test
  void shouldRefuseUrlsItCannotSendTo() {
    for (String bad : new String[] {"ftp://x/y", "localhost:9090", "http:///nohost", "::"}) {
      assertThrows(IllegalArgumentException.class, () -> RemoteWriteOutput.parseUrl(bad), bad);
    }
    assertEquals(
        "http://u:p@h:1/api/v1/write",
        RemoteWriteOutput.parseUrl("http://u:p@h:1/api/v1/write").toString());
  }

  @Test
  void shouldSendUserInfoAsBasicAuthAndNotNameIt() throws Exception {
    output =
        new RemoteWriteOutput(
            java.net.URI.create(
                "http://alice:s3cret@127.0.0.1:" + receiver.url().getPort() + "/api/v1/write"),
            new CumulativeState(60_000, 100, new Telemetry()),
            Map.of(),
            Map.of(),
            Duration.ofSeconds(5),
            1 << 20);
    assertFalse(output.name().contains("s3cret"), output.name());
    output.write(interval(1000, false, "a:1|c\n"));
    TestSupport.await("sent", WAIT, () -> !receiver.accepted.isEmpty());
    assertEquals(
        "Basic "
            + java.util.Base64.getEncoder()
                .encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8)),
        receiver.accepted.get(0).headers().getFirst("Authorization"));
  }

  @Test
  void shouldFollowNoRedirectAndCountItAsItsOwnReason() throws Exception {
    receiver.status = () -> 307;
    RemoteWriteOutput out = output(Duration.ofSeconds(5), 1 << 20);
    out.write(interval(1_700_000_000_000L, false, "moved:1|c\n"));
    TestSupport.await(
        "the redirect counted",
        WAIT,
        () -> out.counts().get(TelemetryMetric.OUTPUT_REDIRECTED_SAMPLES) > 0);
    assertEquals(1, receiver.received.size(), "asked once, never at another address");
    assertEquals(0L, out.counts().get(TelemetryMetric.OUTPUT_REJECTED_SAMPLES));
  }

  @Test
  void shouldNeverShowAQuerySecretInItsNameOrMetrics() {
    java.net.URI u =
        RemoteWriteOutput.parseUrl(
            "https://metrics.example/api/v1/write?api_key=s3cr3t&tenant=a#frag");
    String shown = RemoteWriteOutput.redacted(u);
    assertEquals(
        "https://metrics.example/api/v1/write?api_key=<secret>&tenant=<secret>#frag", shown);
    output =
        new RemoteWriteOutput(
            java.net.URI.create("http://user:pa55@127.0.0.1:1/w?token=s3cr3t"),
            new CumulativeState(3_600_000, 10, new Telemetry()),
            Map.of(),
            Map.of(),
            Duration.ofSeconds(1),
            1 << 20);
    assertTrue(!output.name().contains("s3cr3t") && !output.name().contains("pa55"), output.name());
  }
}
