package io.udsink.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** What the client puts on the wire, read back from a plain socket. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class WireFormatTest {
  private Path dir;
  private Path path;
  private AFUNIXDatagramChannel rx;

  @BeforeEach
  void setUp() throws Exception {
    dir = Files.createTempDirectory(Path.of("/tmp"), "udc");
    path = dir.resolve("s");
    rx = AFUNIXDatagramChannel.open();
    rx.bind(AFUNIXSocketAddress.of(path));
  }

  @AfterEach
  void tearDown() throws Exception {
    rx.close();
    Files.deleteIfExists(path);
    Files.deleteIfExists(dir);
  }

  private UdsinkClientBuilder builder() {
    // lines as emitted: no aggregation, no origin field (AggregationTest and OriginTest have those)
    return UdsinkClient.builder()
        .socket(path.toString())
        .mode(Mode.BLOCKING)
        .aggregation(false)
        .originDetection(false)
        .flushInterval(Duration.ofSeconds(30));
  }

  /** Reads the datagrams the client sent; each datagram's lines. */
  private List<String> lines(int datagrams) throws Exception {
    List<String> out = new ArrayList<>();
    ByteBuffer buf = ByteBuffer.allocate(70000);
    for (int i = 0; i < datagrams; i++) {
      buf.clear();
      rx.receive(buf);
      out.addAll(
          Arrays.asList(
              new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).split("\n")));
    }
    return out;
  }

  @Test
  void shouldWriteEveryMetricTypeInDogStatsdFormat() throws Exception {
    try (UdsinkClient c = builder().prefix("app.").constantTags("env:prod").build()) {
      c.count("hits", 3, "route:/a");
      c.increment("hits");
      c.decrement("hits");
      c.gauge("temp", 21.5);
      c.gauge("temp", -4);
      c.gaugeDelta("temp", 2);
      c.gaugeDelta("temp", -1.5);
      c.time("db", 12);
      c.time("db", Duration.ofNanos(1_500_000));
      c.histogram("size", 512);
      c.distribution("lat", 0.25);
      c.set("users", "alice");
      c.histogram("sampled", 1, 1.0);
      c.count("tagged", 1, Tags.of(new TreeMap<>(Map.of("k", "v", "bare", ""))));
    }
    assertEquals(
        List.of(
            "app.hits:3|c|#env:prod,route:/a",
            "app.hits:1|c|#env:prod",
            "app.hits:-1|c|#env:prod",
            "app.temp:21.5|g|#env:prod",
            "app.temp:0|g|#env:prod",
            "app.temp:-4|g|#env:prod",
            "app.temp:+2|g|#env:prod",
            "app.temp:-1.5|g|#env:prod",
            "app.db:12|ms|#env:prod",
            "app.db:1.5|ms|#env:prod",
            "app.size:512|h|#env:prod",
            "app.lat:0.25|d|#env:prod",
            "app.users:alice|s|#env:prod",
            "app.sampled:1|h|#env:prod",
            "app.tagged:1|c|#env:prod,bare,k:v"),
        lines(1));
  }

  @Test
  void shouldSanitiseWhatWouldBreakTheFormat() throws Exception {
    try (UdsinkClient c = builder().build()) {
      c.count("a:b|c@d#e,f\ng", 1, "k:v|x", "t#1,2", "multi\nline");
      c.set("s", "m:e|m\nber");
      c.count("ünï", 1, "ключ:значение");
    }
    assertEquals(
        List.of(
            "a_b_c_d_e_f_g:1|c|#k:v_x,t_1_2,multi_line", "s:m_e_m_ber|s", "ünï:1|c|#ключ:значение"),
        lines(1));
  }

  @Test
  void shouldWriteEventsAndServiceChecks() throws Exception {
    try (UdsinkClient c = builder().constantTags("env:prod").build()) {
      c.event(
          Event.builder("Deploy", "line1\nline2")
              .hostname("web1")
              .alertType("info")
              .timestamp(1700000000)
              .tags("svc:api")
              .build());
      c.serviceCheck(
          ServiceCheck.of("db.up", ServiceCheck.Status.CRITICAL, "down\nhard", "db:main"));
    }
    assertEquals(
        List.of(
            "_e{6,12}:Deploy|line1\\nline2|d:1700000000|h:web1|t:info|#env:prod,svc:api",
            "_sc|db.up|2|#env:prod,db:main|m:down\\nhard"),
        lines(1));
  }

  @Test
  void shouldSendASampleRateAndOnlyThatShareOfCalls() throws Exception {
    try (UdsinkClient c = builder().maxDatagramSize(65536).build()) {
      for (int i = 0; i < 2000; i++) {
        c.count("s", 1, 0.25);
      }
    }
    List<String> got = lines(1);
    assertTrue(got.stream().allMatch("s:1|c|@0.25"::equals), got.get(0));
    assertTrue(got.size() > 350 && got.size() < 650, "sent " + got.size() + " of 2000 at 0.25");
  }

  @Test
  void shouldCountInvalidAndOversizeWithoutThrowing() throws Exception {
    UdsinkClient c = builder().maxDatagramSize(64).build();
    c.gauge("nan", Double.NaN);
    c.histogram("inf", Double.POSITIVE_INFINITY);
    c.count("", 1);
    c.count("rate", 1, 1.5);
    c.time("null", (Duration) null);
    c.count("x".repeat(100), 1);
    c.count("ok", 1);
    c.close(); // the size is checked on the client's thread: its count is final after close
    ClientStats s = c.stats();
    assertEquals(5, s.dropped(DropReason.INVALID));
    assertEquals(1, s.dropped(DropReason.OVERSIZE));
    assertEquals(List.of("ok:1|c"), lines(1));
  }

  @Test
  void shouldNameTheBadSettingAtBuild() {
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> UdsinkClient.builder().maxDatagramSize(0).build())
            .getMessage()
            .contains("maxDatagramSize"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> UdsinkClient.builder().queueCapacity(-1).build())
            .getMessage()
            .contains("queueCapacity"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> UdsinkClient.builder().flushInterval(Duration.ZERO).build())
            .getMessage()
            .contains("flushInterval"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> UdsinkClient.builder().socket("/tmp/" + "x".repeat(120)).build())
            .getMessage()
            .contains("107"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    UdsinkClient.builder()
                        .backoff(Duration.ofSeconds(2), Duration.ofSeconds(1))
                        .build())
            .getMessage()
            .contains("backoff"));
  }

  @Test
  void shouldCountEmitsAfterCloseAndCloseTwice() throws Exception {
    UdsinkClient c = builder().build();
    c.count("before", 1);
    c.close();
    c.count("after", 1);
    c.gauge("after", 1);
    c.close();
    assertEquals(2, c.stats().dropped(DropReason.CLOSED));
    assertEquals(1, c.stats().linesSent());
    assertEquals(List.of("before:1|c"), lines(1));
  }
}
