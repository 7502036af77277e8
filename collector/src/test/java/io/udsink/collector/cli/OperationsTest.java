package io.udsink.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.udsink.collector.BlockingSenders;
import io.udsink.collector.TestSupport;
import io.udsink.collector.UdsinkProcess;
import io.udsink.collector.transport.ProcessUser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Daily operations of a real udsink process: signals, log rotation, logs, the HTTP endpoint. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class OperationsTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static void signal(UdsinkProcess p, String sig) throws Exception {
    assertEquals(
        0, new ProcessBuilder("kill", "-" + sig, Long.toString(p.process.pid())).start().waitFor());
  }

  private static double sum(List<Path> files, String name) throws Exception {
    double total = 0;
    for (Path f : files) {
      if (!Files.exists(f)) {
        continue;
      }
      for (String line : Files.readAllLines(f)) {
        JsonNode n = JSON.readTree(line); // a torn line fails here
        if (name.equals(n.path("name").asText())) {
          total += n.get("value").asDouble();
        }
      }
    }
    return total;
  }

  @Test
  void shouldSurviveSighupUnderLoadAndReopenTheFileAfterLogrotateMovesIt() throws Exception {
    Path sock = dir.resolve("h.sock");
    Path out = dir.resolve("out.jsonl");
    try (UdsinkProcess p =
        UdsinkProcess.start(
            dir,
            List.of(),
            "serve",
            "--socket",
            sock.toString(),
            "--out",
            out.toString(),
            "--http",
            "off",
            "--flush-interval",
            "200ms")) {
      p.awaitSocket(sock);
      List<Path> files = new java.util.ArrayList<>();
      long sent;
      try (BlockingSenders senders = new BlockingSenders(sock, 2, "hup.test:1|c")) {
        for (int i = 1; i <= 3; i++) {
          long before = senders.sent();
          TestSupport.await("load", WAIT, () -> senders.sent() > before + 1000);
          TestSupport.await(
              "lines in the file", WAIT, () -> Files.exists(out) && out.toFile().length() > 0);
          Path rotated = dir.resolve("out.jsonl." + i);
          Files.move(out, rotated); // what logrotate does, then it sends SIGHUP
          files.add(rotated);
          signal(p, "HUP");
          TestSupport.await("a new file at the path", WAIT, () -> Files.exists(out));
          signal(p, "HUP"); // a SIGHUP with nothing moved is harmless too
          assertTrue(p.process.isAlive(), p.stderr());
        }
        senders.close();
        assertEquals(List.of(), senders.errors());
        sent = senders.sent();
      }
      assertEquals(0, p.stop(WAIT), p.stderr());
      files.add(out);
      assertEquals(sent, sum(files, "hup.test"), "nothing lost across the rotations");
      for (Path f : files) {
        assertTrue(sum(List.of(f), "hup.test") > 0, "each file got lines: " + f);
      }
      assertTrue(p.stderr().contains("reopening"), p.stderr());
    }
  }

  @Test
  void shouldEndAStuckStopAtTheSecondSigtermExitingNonZero() throws Exception {
    Path fifo = dir.resolve("fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    Path sock = dir.resolve("t.sock");
    try (UdsinkProcess p =
        UdsinkProcess.start(
            dir,
            List.of(),
            "serve",
            "--socket",
            sock.toString(),
            "--out",
            fifo.toString(),
            "--http",
            "off",
            "--stop-timeout",
            "5m")) {
      p.awaitSocket(sock);
      MainRunner.Run sent =
          MainRunner.run(
              "send", "--socket", sock.toString(), "--count", "3", "--line", "stuck:1|c");
      assertEquals(0, sent.code, sent.err);
      signal(p, "TERM");
      TestSupport.await("the stop to begin", WAIT, () -> p.stderr().contains("stopping:"));
      assertTrue(p.process.isAlive(), "still waiting for the stuck output");
      long t0 = System.nanoTime();
      signal(p, "TERM");
      int code = p.waitFor(Duration.ofSeconds(30));
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "ended at once");
      assertEquals(1, code, p.stderr());
      assertTrue(p.stderr().contains("lines not written by output jsonl"), p.stderr());
    }
  }

  @Test
  void shouldLogIsoTimesAndLevelsAsTextOrJsonAndFollowTheJournalConvention() throws Exception {
    Path sock = dir.resolve("l.sock");
    for (String format : new String[] {"text", "json"}) {
      try (UdsinkProcess p =
          UdsinkProcess.start(
              dir,
              List.of(),
              "serve",
              "--socket",
              sock.toString(),
              "--out",
              "off",
              "--http",
              "off",
              "--log-level",
              "info",
              "--log-format",
              format,
              "--duration",
              "1s")) {
        assertEquals(0, p.waitFor(WAIT), p.stderr());
        String line =
            p.stderr()
                .lines()
                .filter(l -> l.contains("receiving on"))
                .findFirst()
                .orElseThrow(() -> new AssertionError(p.stderr()));
        if (format.equals("text")) {
          assertTrue(
              line.matches(
                  "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO .*"),
              line);
        } else {
          JsonNode n = JSON.readTree(line);
          assertEquals("INFO", n.get("level").asText());
          assertTrue(n.get("@timestamp").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*"), line);
          assertTrue(n.get("message").asText().contains("receiving on"), line);
        }
      }
    }
    // under systemd, when standard error is the journal stream, the journal's priority prefix
    // replaces the time; the test makes standard error a file and names it in JOURNAL_STREAM
    Path err = dir.resolve("journal.err");
    Files.createFile(err);
    Map<String, Object> a = Files.readAttributes(err, "unix:dev,ino");
    List<String> cmd =
        UdsinkProcess.javaCommand(
            "serve",
            "--socket",
            sock.toString(),
            "--out",
            "off",
            "--http",
            "off",
            "--duration",
            "1s",
            "--log-level",
            "info");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectError(err.toFile())
            .redirectOutput(dir.resolve("journal.out").toFile());
    pb.environment().put("JOURNAL_STREAM", a.get("dev") + ":" + a.get("ino"));
    Process p = pb.start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String line =
        Files.readAllLines(err).stream()
            .filter(l -> l.contains("receiving on"))
            .findFirst()
            .orElseThrow();
    assertTrue(line.startsWith("<6>INFO "), line);
  }

  @Test
  void shouldServeMetricsThroughThePrometheusExporter() throws Exception {
    Path sock = dir.resolve("m.sock");
    int port = UdsinkProcess.freePort();
    try (UdsinkProcess p =
        UdsinkProcess.start(
            dir,
            List.of(),
            "serve",
            "--socket",
            sock.toString(),
            "--out",
            "off",
            "--http",
            "127.0.0.1:" + port,
            "--flush-interval",
            "200ms")) {
      p.awaitSocket(sock);
      MainRunner.Run sent =
          MainRunner.run(
              "send", "--socket", sock.toString(), "--count", "5", "--line", "exported:1|c|#k:v");
      assertEquals(0, sent.code, sent.err);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String base = "http://127.0.0.1:" + port;
      TestSupport.await(
          "the counter",
          WAIT,
          () -> {
            String t = UdsinkProcess.get(port, "/metrics");
            return t != null && t.contains("exported_total{k=\"v\"} 5.0");
          });
      HttpResponse<String> text =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertTrue(text.headers().firstValue("Content-Type").orElse("").contains("0.0.4"));
      assertTrue(
          text.body().contains("jvm_memory_used_bytes")
              && text.body().contains("process_cpu_seconds_total"),
          "JVM and process metrics");
      HttpResponse<String> om =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/metrics"))
                  .header("Accept", "application/openmetrics-text; version=1.0.0")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertTrue(om.headers().firstValue("Content-Type").orElse("").contains("openmetrics"));
      assertTrue(om.body().trim().endsWith("# EOF"), "OpenMetrics ends with # EOF");
      HttpResponse<byte[]> pb =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/metrics"))
                  .header(
                      "Accept",
                      "application/vnd.google.protobuf; "
                          + "proto=io.prometheus.client.MetricFamily; encoding=delimited")
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertTrue(pb.headers().firstValue("Content-Type").orElse("").contains("protobuf"));
      HttpResponse<byte[]> gz =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/metrics"))
                  .header("Accept-Encoding", "gzip")
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertEquals("gzip", gz.headers().firstValue("Content-Encoding").orElse(""));
      String unzipped =
          new String(
              new GZIPInputStream(new java.io.ByteArrayInputStream(gz.body())).readAllBytes(),
              StandardCharsets.UTF_8);
      assertTrue(unzipped.contains("exported_total"));
      assertEquals(
          404,
          http.send(
                  HttpRequest.newBuilder(URI.create(base + "/metricsX")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .statusCode());
      assertEquals(
          404,
          http.send(
                  HttpRequest.newBuilder(URI.create(base + "/nothing")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .statusCode());
      assertEquals(
          200,
          http.send(
                  HttpRequest.newBuilder(URI.create(base + "/-/healthy")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .statusCode());
      assertEquals(
          200,
          http.send(
                  HttpRequest.newBuilder(URI.create(base + "/-/ready")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .statusCode());
      io.udsink.collector.Promtool.check(text.body());
    }
  }

  @Test
  void shouldLetAnotherUserSendToTheSocketByDefault() throws Exception {
    assumeTrue(ProcessUser.uid() == 0, "needs root to run a sender as user nobody");
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/setpriv"))
            && Files.isExecutable(Path.of("/usr/bin/python3")),
        "needs setpriv and python3");
    Path shared = Files.createTempDirectory(Path.of("/tmp"), "pm");
    try {
      new ProcessBuilder("chmod", "0755", shared.toString()).start().waitFor();
      Path sock = shared.resolve("d.sock");
      try (UdsinkProcess p =
          UdsinkProcess.start(dir, List.of(), "count", "--socket", sock.toString())) {
        p.awaitSocket(sock);
        assertEquals(
            "rw-rw-rw-",
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(sock, java.nio.file.LinkOption.NOFOLLOW_LINKS)),
            "the default mode lets every local process send");
        Process s =
            new ProcessBuilder(
                    "/usr/bin/setpriv",
                    "--reuid=65534",
                    "--regid=65534",
                    "--clear-groups",
                    "/usr/bin/python3",
                    "-c",
                    "import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n"
                        + "s.connect(sys.argv[1])\nfor i in range(10): s.send(b'x:1|c')\nprint('sent')",
                    sock.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(s.waitFor(30, TimeUnit.SECONDS));
        assertEquals("sent", out.trim(), "user nobody could send: " + out);
        assertEquals(0, p.stop(WAIT));
        assertEquals(10, p.rx());
      }
    } finally {
      new ProcessBuilder("rm", "-rf", shared.toString()).start().waitFor();
    }
  }
}
