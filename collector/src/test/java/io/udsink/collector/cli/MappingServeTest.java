package io.udsink.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.udsink.collector.TestSupport;
import io.udsink.collector.UdsinkProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve} with statsd_exporter's mapping file: its flags, reloads, and refusals. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MappingServeTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;

  private static void send(Path sock, String line, int count) {
    MainRunner.Run r =
        MainRunner.run(
            "send",
            "--socket",
            sock.toString(),
            "--count",
            Integer.toString(count),
            "--line",
            line);
    assertEquals(0, r.code, r.err);
  }

  private static void awaitMetric(int port, String sample) {
    TestSupport.await(
        sample,
        WAIT,
        () -> {
          String t = UdsinkProcess.get(port, "/metrics");
          return t != null && t.contains(sample + "\n");
        });
  }

  private static HttpResponse<String> reload(int port, String method) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/reload"))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldMapReloadOnSighupAndPostAndKeepTheRulesWhenTheFileIsBad() throws Exception {
    Path sock = dir.resolve("m.sock");
    Path rules = dir.resolve("mapping.yml");
    Files.writeString(
        rules,
        """
        mappings:
        - match: "api.*.hits"
          name: "api_hits_total"
          labels:
            endpoint: "$1"
        """);
    int port = UdsinkProcess.freePort();
    // statsd_exporter's spellings of its flags, as a user switching keeps them
    try (UdsinkProcess p =
        UdsinkProcess.start(
            dir,
            List.of(),
            "serve",
            "--statsd.listen-unixgram",
            sock.toString(),
            "--out",
            "off",
            "--web.listen-address",
            "127.0.0.1:" + port,
            "--flush-interval",
            "200ms",
            "--statsd.mapping-config",
            rules.toString(),
            "--statsd.cache-size",
            "100",
            "--web.enable-lifecycle",
            "--workers",
            "3")) { // the mapping is read by every worker
      p.awaitSocket(sock);
      send(sock, "api.home.hits:1|c", 3);
      awaitMetric(port, "api_hits_total{endpoint=\"home\"} 3.0");
      awaitMetric(port, "udsink_mapping_rules 1.0");

      Files.writeString(rules, "mappings:\n- match: api.*.hits\n  name: other\n  colour: red\n");
      assertEquals(
          0, new ProcessBuilder("kill", "-HUP", Long.toString(p.process.pid())).start().waitFor());
      awaitMetric(port, "udsink_mapping_reloads_total{outcome=\"failure\"} 1.0");
      send(sock, "api.about.hits:2|c", 1);
      awaitMetric(port, "api_hits_total{endpoint=\"about\"} 2.0");

      HttpResponse<String> refused = reload(port, "POST");
      assertEquals(500, refused.statusCode());
      assertTrue(refused.body().contains("colour"), refused.body());
      assertEquals(405, reload(port, "GET").statusCode(), "a GET does not reload");

      Files.writeString(
          rules,
          """
          mappings:
          - match: "api.*.hits"
            name: "web_hits_total"
            labels:
              page: "$1"
          """);
      HttpResponse<String> ok = reload(port, "POST");
      assertEquals(200, ok.statusCode(), ok.body());
      send(sock, "api.home.hits:5|c", 1);
      awaitMetric(port, "web_hits_total{page=\"home\"} 5.0");
      awaitMetric(port, "udsink_mapping_reloads_total{outcome=\"success\"} 1.0");
      awaitMetric(port, "udsink_mapping_reloads_total{outcome=\"failure\"} 2.0");
      assertEquals(0, p.stop(WAIT));
      assertTrue(p.stderr().contains("not reloaded"), p.stderr());
    }
  }

  @Test
  void shouldRefuseToStartOnAMappingFileThatDoesNotCheck() throws Exception {
    Path rules = dir.resolve("bad.yml");
    Files.writeString(rules, "mappings:\n- match: \"a..b\"\n  name: x\n");
    MainRunner.Run r =
        MainRunner.run(
            "serve",
            "--socket",
            dir.resolve("s").toString(),
            "--out",
            "off",
            "--http",
            "off",
            "--mapping-config",
            rules.toString());
    assertEquals(2, r.code);
    assertTrue(r.err.contains("invalid match") && r.err.contains(rules.toString()), r.err);
    MainRunner.Run missing =
        MainRunner.run(
            "serve",
            "--socket",
            dir.resolve("s").toString(),
            "--out",
            "off",
            "--http",
            "off",
            "--mapping-config",
            dir.resolve("none.yml").toString());
    assertTrue(missing.code != 0 && missing.err.contains("cannot read"), missing.err);
    MainRunner.Run type =
        MainRunner.run(
            "serve",
            "--socket",
            dir.resolve("s").toString(),
            "--out",
            "off",
            "--http",
            "off",
            "--observer-type",
            "sketch");
    assertEquals(2, type.code);
    assertTrue(type.err.contains("sketch"), type.err);
    Path good = dir.resolve("good.yml");
    Files.writeString(good, "mappings: []\n");
    MainRunner.Run both =
        MainRunner.run(
            "serve",
            "--socket",
            dir.resolve("s").toString(),
            "--out",
            "off",
            "--http",
            "off",
            "--observer-type",
            "histogram",
            "--mapping-config",
            good.toString());
    assertEquals(2, both.code);
    assertTrue(both.err.contains("defaults.observer_type"), both.err);
  }

  @Test
  void shouldKeepTheReloadEndpointOffAndRefuseFilesThatAreNotRegular() throws Exception {
    Path sock = dir.resolve("l");
    Path rules = dir.resolve("m.yml");
    Files.writeString(rules, "mappings:\n- match: a.*\n  name: a_total\n");
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
            "200ms",
            "--mapping-config",
            rules.toString())) {
      p.awaitSocket(sock);
      awaitMetric(port, "udsink_mapping_rules 1.0");
      HttpResponse<String> off = reload(port, "POST");
      assertEquals(403, off.statusCode(), "no --web.enable-lifecycle: " + off.body());
      // the file replaced by a FIFO, then by /dev/zero: each SIGHUP is refused at once
      Files.delete(rules);
      assertEquals(0, new ProcessBuilder("mkfifo", rules.toString()).start().waitFor());
      assertEquals(
          0, new ProcessBuilder("kill", "-HUP", Long.toString(p.process.pid())).start().waitFor());
      awaitMetric(port, "udsink_mapping_reloads_total{outcome=\"failure\"} 1.0");
      Files.delete(rules);
      Files.createSymbolicLink(rules, Path.of("/dev/zero"));
      assertEquals(
          0, new ProcessBuilder("kill", "-HUP", Long.toString(p.process.pid())).start().waitFor());
      awaitMetric(port, "udsink_mapping_reloads_total{outcome=\"failure\"} 2.0");
      send(sock, "a.b:1|c", 2);
      awaitMetric(port, "a_total 2.0"); // the rules in force stay, and so does udsink
      assertEquals(0, p.stop(WAIT), p.stderr());
      assertTrue(p.stderr().contains("not a regular file"), p.stderr());
    }
  }
}
