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
  private final java.util.Set<Long> ends = java.util.concurrent.ConcurrentHashMap.newKeySet();

  @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir;

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
    return output(timeout, maxQueuedBytes, 3_600_000, true);
  }

  private RemoteWriteOutput output(
      Duration timeout, long maxQueuedBytes, long ttlMs, boolean natives) {
    output =
        new RemoteWriteOutput(
            receiver.url(),
            new CumulativeState(ttlMs, 10_000, new Telemetry()),
            Map.of("job", "udsink", "instance", "host-a"),
            Map.of("X-Scope-OrgID", "team-1"),
            timeout,
            new RemoteWriteOutput.Queue(dir.resolve("q"), maxQueuedBytes),
            natives);
    return output;
  }

  private Interval interval(long endMs, boolean last, String lines) {
    byte[] b = lines.getBytes(StandardCharsets.UTF_8);
    parser.parse(b, 0, b.length);
    ends.add(endMs);
    return agg.takeInterval(endMs, last);
  }

  /** The samples of a name at the flushes' times (not the 0 that starts a new series). */
  private List<Receiver.Sample> flushed(String name) {
    return receiver.samples(name).stream().filter(s -> ends.contains(s.timestampMs())).toList();
  }

  private long count(TelemetryMetric m) {
    return output.counts().get(m);
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
    TestSupport.await("both requests", WAIT, () -> receiver.samples("backfill_total").size() == 4);
    List<Receiver.Sample> c = receiver.samples("backfill_total");
    assertEquals(
        List.of(1L, 1_700_000_001_000L, 1_700_000_002_000L, 1_700_000_010_000L),
        c.stream().map(Receiver.Sample::timestampMs).toList(),
        "the new series' 0 first, each at its own time, oldest first, then the flush");
    assertEquals(
        List.of(0.0, 3.0, 5.0, 6.0),
        c.stream().map(Receiver.Sample::value).toList(),
        "cumulative: each point is the counter right after its sample");
    List<Receiver.Sample> g = receiver.samples("level");
    assertEquals(1_700_000_005_000L, g.get(0).timestampMs());
    assertEquals(7.0, g.get(0).value());
    assertTrue(
        receiver.accepted.get(0).samples().stream().allMatch(x -> x.value() == 0),
        "first the new series' zeros: " + receiver.accepted.get(0).samples());
    assertEquals(
        3,
        receiver.accepted.get(1).samples().size(),
        "then the samples with their own time, in a request of their own");
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
    TestSupport.await("two flushes", WAIT, () -> flushed("req_total").size() == 4);
    Receiver.Request first = receiver.accepted.get(0);
    assertEquals("snappy", first.headers().getFirst("Content-Encoding"));
    assertEquals("application/x-protobuf", first.headers().getFirst("Content-Type"));
    assertEquals("0.1.0", first.headers().getFirst("X-Prometheus-Remote-Write-Version"));
    assertEquals("team-1", first.headers().getFirst("X-Scope-OrgID"));
    assertTrue(first.headers().getFirst("User-Agent").startsWith("udsink"));

    List<Receiver.Sample> req = flushed("req_total");
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
    assertEquals(2, receiver.samples("temp").size(), "a gauge gets no 0 to start");
    assertEquals(
        "host-b",
        receiver.samples("mine_total").get(0).labels().get("instance"),
        "a series' own label wins over the external one");
    List<Receiver.Sample> buckets = flushed("lat_bucket");
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
    assertEquals(0.303, flushed("lat_sum").get(0).value(), 1e-12);
    assertEquals(2.0, flushed("lat_count").get(0).value());
    Receiver.Sample nat =
        receiver.samples("lat").stream()
            .filter(x -> x.timestampMs() == 1_700_000_000_000L)
            .findFirst()
            .orElseThrow();
    assertEquals(2, nat.histogram().count(), "the native histogram is sent too");
    assertEquals(0.303, nat.histogram().sum(), 1e-12);
    assertEquals(
        2L,
        nat.histogram().positive().values().stream().mapToLong(Long::longValue).sum(),
        "its buckets hold every observation: " + nat.histogram());
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
    TestSupport.await("every flush", WAIT, () -> receiver.samples("n_total").size() == 4);
    List<Receiver.Sample> n = receiver.samples("n_total");
    assertEquals(List.of(0.0, 1.0, 2.0, 3.0), n.stream().map(Receiver.Sample::value).toList());
    assertEquals(
        List.of(1L, 1000L, 2000L, 3000L),
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
    // (the first request is the new series' 0; it is retried as any other)
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
    TestSupport.await("the next flush", WAIT, () -> flushed("r_total").size() == 2);
    assertEquals(2.0, last(flushed("r_total")), "nothing of the total lost");
    assertEquals(3, receiver.received.size(), "the 0, the first flush, the second");
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
        "the queue sent",
        WAIT,
        () ->
            count(TelemetryMetric.OUTPUT_SENT_SAMPLES)
                    + count(TelemetryMetric.OUTPUT_DROPPED_SAMPLES)
                == count(TelemetryMetric.OUTPUT_QUEUED_SAMPLES));
    assertEquals(0L, count(TelemetryMetric.OUTPUT_QUEUE_BYTES));
    assertEquals(0L, out.unsentSinceNs());
    List<Receiver.Sample> s0 = flushed("s0_total");
    assertEquals(20.0, last(s0), "the newest request carries every count");
    assertEquals(20_000L, s0.get(s0.size() - 1).timestampMs());
    assertTrue(s0.size() < 20, "older points were dropped: " + s0.size());
    assertEquals(
        receiver.accepted.stream().mapToLong(r -> r.samples().size()).sum(),
        count(TelemetryMetric.OUTPUT_SENT_SAMPLES),
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
  void shouldHaveTheFinalFlushOnDiskWhenWriteReturnsForTheNextInstanceToSend() throws Exception {
    receiver.status = () -> 503;
    RemoteWriteOutput out = output(Duration.ofSeconds(5), 1 << 20);
    out.write(interval(1000, true, "fin:7|c\n"));
    assertFalse(out.holds(), "the stop waits for the disk, not the receiver");
    out.close();
    assertTrue(receiver.accepted.isEmpty());
    receiver.status = () -> 200;
    RemoteWriteOutput next = output(Duration.ofSeconds(5), 1 << 20);
    next.write(interval(2000, false, "other:1|g\n")); // opens the queue
    TestSupport.await("sent by the next instance", WAIT, () -> !flushed("fin_total").isEmpty());
    assertEquals(7.0, last(flushed("fin_total")));
    assertEquals(1000L, flushed("fin_total").get(0).timestampMs());
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
            new RemoteWriteOutput.Queue(dir.resolve("q"), 1 << 20),
            true);
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
    TestSupport.await(
        "both requests (the new series' 0, the flush) answered",
        WAIT,
        () ->
            count(TelemetryMetric.OUTPUT_REDIRECTED_SAMPLES)
                == count(TelemetryMetric.OUTPUT_QUEUED_SAMPLES));
    assertEquals(2, receiver.received.size(), "each asked once, never at another address");
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
            new RemoteWriteOutput.Queue(dir.resolve("q"), 1 << 20),
            true);
    assertTrue(!output.name().contains("s3cr3t") && !output.name().contains("pa55"), output.name());
  }

  @Test
  void shouldSendAStaleMarkerWhenASeriesExpiresAndAZeroWhenItComesBack() throws Exception {
    RemoteWriteOutput out = output(Duration.ofSeconds(5), 1 << 20, 5_000, true);
    out.write(interval(10_000, false, "gone:4|c\nkept:1|g\n"));
    out.write(interval(20_000, false, "kept:2|g\n")); // gone's TTL (5 s) passes
    out.write(interval(30_000, false, "gone:1|c\nkept:3|g\n"));
    TestSupport.await("three flushes", WAIT, () -> receiver.samples("kept").size() == 3);
    TestSupport.await("the last flush", WAIT, () -> receiver.samples("gone_total").size() == 5);
    List<Receiver.Sample> gone = receiver.samples("gone_total");
    assertEquals(
        List.of(1L, 10_000L, 20_000L, 20_001L, 30_000L),
        gone.stream().map(Receiver.Sample::timestampMs).toList(),
        "a 0 to start, the flush, the stale marker, a 0 when it comes back, the flush");
    assertEquals(0.0, gone.get(0).value());
    assertEquals(4.0, gone.get(1).value());
    assertTrue(gone.get(2).stale(), "the stale marker at the flush it left in: " + gone.get(2));
    assertEquals(0.0, gone.get(3).value(), "it starts again from 0");
    assertEquals(1.0, gone.get(4).value());
    assertTrue(receiver.samples("kept").stream().noneMatch(Receiver.Sample::stale));
    assertEquals(1L, count(TelemetryMetric.OUTPUT_STALE_MARKERS));
  }

  @Test
  void shouldFallBackToClassicBucketsOnceAReceiverSaysNativeHistogramsAreDisabled()
      throws Exception {
    AtomicInteger refused = new AtomicInteger();
    receiver.status =
        () -> {
          Receiver.Request last = receiver.received.get(receiver.received.size() - 1);
          if (last.samples().stream().anyMatch(x -> x.histogram() != null)) {
            refused.incrementAndGet();
            return 500;
          }
          return 204;
        };
    receiver.answer = "native histograms are disabled";
    RemoteWriteOutput out = output(Duration.ofSeconds(5), 1 << 20);
    out.write(interval(1_000, false, "lat:5|ms\nlat:7|ms\nhits:1|c\n"));
    out.write(interval(2_000, false, "lat:9|ms\nhits:1|c\n"));
    TestSupport.await("both flushes", WAIT, () -> flushed("hits_total").size() == 2);
    TestSupport.await("both flushes' buckets", WAIT, () -> flushed("lat_count").size() == 2);
    assertEquals(3.0, last(flushed("lat_count")));
    assertEquals(2.0, last(flushed("hits_total")));
    assertTrue(
        receiver.accepted.stream()
            .flatMap(r -> r.samples().stream())
            .noneMatch(x -> x.histogram() != null));
    int before = refused.get();
    assertTrue(before >= 1, "refused at first");
    out.write(interval(3_000, false, "lat:11|ms\nhits:1|c\n"));
    TestSupport.await("the third flush", WAIT, () -> flushed("lat_count").size() == 3);
    assertEquals(before, refused.get(), "what is queued after the answer has no histograms");
    assertEquals(
        0L,
        count(TelemetryMetric.OUTPUT_STALE_MARKERS),
        "a native histogram the receiver never took gets no stale marker");
    assertEquals(0L, count(TelemetryMetric.OUTPUT_REJECTED_SAMPLES));
    assertEquals(0L, count(TelemetryMetric.OUTPUT_FAILED_REQUESTS), "no retry loop");
  }

  @Test
  void shouldStartNoSeriesAgainThatATakeoverContinues() throws Exception {
    RemoteWriteOutput first = output(Duration.ofSeconds(5), 1 << 20);
    first.write(interval(1_000, false, "cont:5|c\n"));
    TestSupport.await("sent", WAIT, () -> flushed("cont_total").size() == 1);
    byte[] handed = CumulativeState.exportStates(null, new Telemetry(), Map.of("k", first.state()));
    first.close();
    RemoteWriteOutput second = output(Duration.ofSeconds(5), 1 << 20);
    CumulativeState.importStates(
        null,
        new Telemetry(),
        Map.of("k", second.state()),
        new java.io.ByteArrayInputStream(handed));
    second.write(interval(2_000, false, "cont:1|c\n"));
    TestSupport.await("the next flush", WAIT, () -> flushed("cont_total").size() == 2);
    assertEquals(6.0, last(flushed("cont_total")), "the counter continues");
    assertEquals(
        List.of(0.0, 5.0, 6.0),
        receiver.samples("cont_total").stream().map(Receiver.Sample::value).toList(),
        "one 0 at the very start, none at the takeover");
  }

  @Test
  void shouldSkipATornAndADamagedSegmentCountingThemAndSendTheRest() throws Exception {
    receiver.status = () -> 503; // away: everything stays queued
    RemoteWriteOutput first = output(Duration.ofSeconds(5), 1 << 20);
    for (int k = 1; k <= 5; k++) {
      first.write(interval(k * 1000L, false, "torn:1|c\n"));
    }
    first.close();
    RemoteWriteOutput second = output(Duration.ofSeconds(5), 1 << 20);
    for (int k = 6; k <= 10; k++) {
      second.write(interval(k * 1000L, false, "torn:1|c\n"));
    }
    second.close();
    List<java.nio.file.Path> segs;
    try (var files = java.nio.file.Files.list(dir.resolve("q"))) {
      segs = files.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
    }
    assertEquals(2, segs.size(), segs.toString());
    // the first segment torn in the middle of its last request, a byte of the second flipped
    long size = java.nio.file.Files.size(segs.get(0));
    try (var ch =
        java.nio.channels.FileChannel.open(segs.get(0), java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(size - 10);
    }
    byte[] b = java.nio.file.Files.readAllBytes(segs.get(1));
    // its first record is the new series' 0; the second, flush 6, gets the flipped byte
    int firstLength =
        java.nio.ByteBuffer.wrap(b, 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    b[DiskQueue.HEADER + firstLength + DiskQueue.HEADER + 3] ^= 0x55;
    java.nio.file.Files.write(segs.get(1), b);
    receiver.status = () -> 204;
    RemoteWriteOutput third = output(Duration.ofSeconds(5), 1 << 20);
    third.write(interval(11_000, false, "torn:1|c\n"));
    TestSupport.await(
        "the last flush",
        WAIT,
        () -> flushed("torn_total").stream().anyMatch(x -> x.timestampMs() == 11_000));
    List<Long> times = flushed("torn_total").stream().map(Receiver.Sample::timestampMs).toList();
    assertEquals(
        List.of(1000L, 2000L, 3000L, 4000L, 7000L, 8000L, 9000L, 10_000L, 11_000L),
        times,
        "all but the torn request (5) and the damaged one (6), in order");
    assertEquals(
        List.of(1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 4.0, 5.0, 1.0),
        flushed("torn_total").stream().map(Receiver.Sample::value).toList(),
        "each instance's own count (no takeover here, so each restarts from 0)");
    assertEquals(2L, count(TelemetryMetric.OUTPUT_CORRUPT_RECORDS));
  }

  @Test
  void shouldTakeHistogramsOutOfAnEncodedRequestKeepingEverythingElse() {
    WriteRequest w = new WriteRequest();
    w.add(new String[] {"__name__", "a_total", "k", "v"}, 3, 1000, true);
    w.addHistogram(
        new String[] {"__name__", "h"},
        new WriteRequest.Native(
            3,
            1.5,
            3,
            1e-9,
            1,
            WriteRequest.Buckets.NONE,
            new WriteRequest.Buckets(new int[] {-2, -1, 4}, new long[] {1, 0, 1})),
        1000);
    w.add(new String[] {"__name__", "g", "k", "caf\u00e9 \u20ac \ud834\udd1e"}, 7, 1000, false);
    byte[] raw = w.encode(0, w.size());
    List<Receiver.Sample> all = Receiver.decode(Snappy.compress(raw, raw.length));
    assertEquals(3, all.size());
    Receiver.Histogram h = all.get(1).histogram();
    assertEquals(Map.of(-2, 1L, -1, 0L, 4, 1L), h.positive(), "spans and deltas decode back");
    assertEquals(3, h.schema());
    assertEquals(1, h.zeroCount());
    WriteRequest.Stripped s = WriteRequest.withoutHistograms(raw);
    assertEquals(2, s.series());
    List<Receiver.Sample> kept = Receiver.decode(Snappy.compress(s.body(), s.body().length));
    assertEquals(List.of("a_total", "g"), kept.stream().map(Receiver.Sample::name).toList());
    assertEquals(3.0, kept.get(0).value());
    assertEquals(Map.of("__name__", "a_total", "k", "v"), kept.get(0).labels());
    assertEquals("caf\u00e9 \u20ac \ud834\udd1e", kept.get(1).labels().get("k"), "UTF-8 whole");
    assertThrows(
        IllegalArgumentException.class,
        () -> WriteRequest.withoutHistograms(java.util.Arrays.copyOf(raw, raw.length - 3)));
  }
}
