package io.udsink.collector.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.udsink.collector.TestSupport;
import io.udsink.collector.cli.MainRunner;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramChannel;

/** One output stuck or slow never delays another, loses nothing, and shows while it happens. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BlockedOutputTest {
  @TempDir Path dir;

  static Path mkfifo(Path p) throws Exception {
    assertEquals(0, new ProcessBuilder("mkfifo", p.toString()).start().waitFor());
    return p;
  }

  @Test
  void shouldKeepMetricsCurrentWhileJsonLinesAreBlockedAndLoseNothing() throws Exception {
    mkfifo(dir.resolve("fifo"));
    try (ServeHarness h = new ServeHarness(dir, 100, "fifo");
        AFUNIXDatagramChannel ch = TestSupport.connect(h.socket)) {
      int sent = 0;
      double lastSeen = 0;
      for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 20; i++) {
          TestSupport.sendWaiting(ch, "blocked.test:1|c");
          sent++;
        }
        int want = sent;
        TestSupport.await(
            "/metrics to show " + want,
            Duration.ofSeconds(10),
            () -> value(h, "blocked_test_total") == want);
        lastSeen = value(h, "blocked_test_total");
      }
      assertEquals(100, lastSeen, "Prometheus kept up while nobody read the JSON lines");
      Map<String, Double> m = h.scrape();
      assertTrue(m.get("udsink_output_backlog_intervals{output=\"jsonl\"}") >= 5, m.toString());
      assertTrue(m.get("udsink_output_oldest_unwritten_seconds{output=\"jsonl\"}") > 0.3);
      assertEquals(0.0, m.get("udsink_output_backlog_intervals{output=\"prometheus\"}"));

      List<String> lines = new ArrayList<>();
      Thread reader =
          new Thread(
              () -> {
                try {
                  lines.addAll(Files.readAllLines(h.out));
                } catch (IOException e) {
                  throw new RuntimeException(e);
                }
              });
      reader.start();
      h.close(); // the final flush reaches the reader, then the FIFO is closed
      reader.join(30_000);
      double total = 0;
      ObjectMapper om = new ObjectMapper();
      for (String l : lines) {
        JsonNode n = om.readTree(l);
        if (n.get("name").asText().equals("blocked.test")) {
          total += n.get("value").asDouble();
        }
      }
      assertEquals(sent, total, "every sample reached the JSON lines once the reader came");
    }
  }

  private static double value(ServeHarness h, String sample) {
    try {
      return h.scrape().getOrDefault(sample, 0.0);
    } catch (Exception e) {
      return -1;
    }
  }

  @Test
  void shouldStartWithAnUnreadFifoAndExitNonZeroCountingWhatAStuckOutputKept() throws Exception {
    Path fifo = mkfifo(dir.resolve("fifo"));
    Path sock = dir.resolve("s");
    CompletableFuture<MainRunner.Run> serve =
        CompletableFuture.supplyAsync(
            () ->
                MainRunner.run(
                    "serve",
                    "--socket",
                    sock.toString(),
                    "--out",
                    fifo.toString(),
                    "--http",
                    "off",
                    "--flush-interval",
                    "1h",
                    "--duration",
                    "2s",
                    "--stop-timeout",
                    "500ms"));
    TestSupport.await(
        "the socket, bound although nobody reads the FIFO",
        Duration.ofSeconds(10),
        () -> Files.exists(sock, LinkOption.NOFOLLOW_LINKS));
    try (AFUNIXDatagramChannel ch = TestSupport.connect(sock)) {
      TestSupport.send(ch, "a:1|c\nb:1|c\nc:1|g");
    }
    MainRunner.Run r = serve.get(30, TimeUnit.SECONDS);
    assertEquals(1, r.code, r.err);
    assertTrue(r.err.contains("lines not written by output jsonl"), r.err);
    assertTrue(r.err.matches("(?s).*stopped with data not written: [1-9][0-9]* lines.*"), r.err);
  }

  @Test
  void shouldServeAScrapeBesideASlowAndAStuckHttpClient() throws Exception {
    try (ServeHarness h = new ServeHarness(dir, 100, "out.jsonl");
        AFUNIXDatagramChannel ch = TestSupport.connect(h.socket)) {
      // a large /metrics: many series, so that a client that never reads fills its buffers
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 20_000; i++) {
        sb.append("big.series.with.a.long.name.").append(i).append(":1|g|#k:v\n");
        if (sb.length() > 8000) {
          TestSupport.sendWaiting(ch, sb.toString());
          sb.setLength(0);
        }
      }
      TestSupport.sendWaiting(ch, sb.toString());
      TestSupport.await(
          "the series on /metrics", Duration.ofSeconds(20), () -> h.prometheus.size() >= 20_000);
      int port = h.server.address().getPort();
      try (Socket slow = new Socket("127.0.0.1", port);
          Socket stuck = new Socket("127.0.0.1", port)) {
        slow.getOutputStream().write("GET /met".getBytes(StandardCharsets.US_ASCII));
        stuck.setReceiveBufferSize(4096);
        stuck
            .getOutputStream()
            .write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = stuck.getInputStream();
        assertTrue(in.read() >= 0, "the stuck client got its response started");
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        for (int i = 0; i < 3; i++) {
          long t0 = System.nanoTime();
          HttpResponse<String> r =
              client.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertEquals(200, r.statusCode());
          assertTrue(r.body().contains("big_series_with_a_long_name_19999"));
          assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
        }
      }
    }
  }

  @Test
  void shouldCapConnectionsBelowTheFileDescriptorLimit() {
    int cap = io.udsink.collector.export.prometheus.MetricsServer.connectionCap();
    assertTrue(
        cap >= 64 && cap <= io.udsink.collector.export.prometheus.MetricsServer.MAX_CONNECTIONS,
        "cap " + cap);
  }

  @Test
  void shouldAnswerScrapesWithinTwoSecondsBesideSixtyFourSlowClients() throws Exception {
    try (ServeHarness h = new ServeHarness(dir, 100, "out.jsonl")) {
      int port = h.server.address().getPort();
      java.util.List<Socket> slow = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 64; i++) {
          Socket s = new Socket("127.0.0.1", port);
          s.getOutputStream().write('G'); // one byte of a request, then nothing
          slow.add(s);
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        for (String path : new String[] {"/-/healthy", "/metrics", "/-/ready", "/metrics"}) {
          long t0 = System.nanoTime();
          HttpResponse<String> r =
              client.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
          assertTrue(
              r.statusCode() == 200 || (path.equals("/-/ready") && r.statusCode() == 503),
              path + ": " + r.statusCode());
          assertTrue(ms < 2000, path + " took " + ms + " ms beside 64 slow clients");
        }
      } finally {
        for (Socket s : slow) {
          s.close();
        }
      }
    }
  }
}
