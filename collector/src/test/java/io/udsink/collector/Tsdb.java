package io.udsink.collector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus or VictoriaMetrics, started by a test on a loopback port with its storage in
 * a temporary directory, and queried through its HTTP API.
 */
public final class Tsdb implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path log;
  private final boolean victoria;

  /** The port it listens on. */
  public final int port;

  private Tsdb(Process process, Path log, int port, boolean victoria) {
    this.process = process;
    this.log = log;
    this.port = port;
    this.victoria = victoria;
  }

  /**
   * Starts Prometheus with native histograms and the remote-write receiver enabled.
   *
   * @param dir a directory for its configuration, storage and log
   * @param scrapeConfigs the {@code scrape_configs} entries (YAML list items), or empty
   * @return the running Prometheus, ready
   */
  public static Tsdb prometheus(Path dir, String scrapeConfigs) throws IOException {
    Promtool.requireProgram("prometheus");
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(
        config,
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            + "scrape_configs:\n"
            + (scrapeConfigs.isEmpty() ? "  []\n" : scrapeConfigs));
    int port = UdsinkProcess.freePort();
    List<String> cmd =
        List.of(
            "prometheus",
            "--config.file=" + config,
            "--storage.tsdb.path=" + dir.resolve("data"),
            "--web.listen-address=127.0.0.1:" + port,
            "--enable-feature=native-histograms",
            "--web.enable-remote-write-receiver",
            "--log.level=warn");
    return start(cmd, dir.resolve("prometheus.log"), port, false, "/-/ready");
  }

  /**
   * Starts a single-node VictoriaMetrics whose queries see data at once.
   *
   * @param dir a directory for its storage and log
   * @return the running VictoriaMetrics, ready
   */
  public static Tsdb victoriaMetrics(Path dir) throws IOException {
    Promtool.requireProgram("victoria-metrics");
    int port = UdsinkProcess.freePort();
    List<String> cmd =
        List.of(
            "victoria-metrics",
            "-httpListenAddr=127.0.0.1:" + port,
            "-storageDataPath=" + dir.resolve("vm-data"),
            "-search.latencyOffset=0s",
            "-search.disableCache",
            "-loggerLevel=WARN");
    return start(cmd, dir.resolve("victoria-metrics.log"), port, true, "/health");
  }

  private static Tsdb start(
      List<String> cmd, Path log, int port, boolean victoria, String readyPath) throws IOException {
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Tsdb t = new Tsdb(p, log, port, victoria);
    try {
      TestSupport.poll(
          cmd.get(0) + " ready",
          Duration.ofSeconds(60),
          Duration.ofMillis(100),
          () -> !p.isAlive() || UdsinkProcess.get(port, readyPath) != null);
    } catch (AssertionError e) {
      t.close();
      throw new AssertionError(e.getMessage() + ": " + t.log(), e);
    }
    if (!p.isAlive()) {
      throw new AssertionError(cmd.get(0) + " exited " + p.exitValue() + ": " + t.log());
    }
    return t;
  }

  /** Where a remote-write client sends to. */
  public URI remoteWriteUrl() {
    return URI.create("http://127.0.0.1:" + port + "/api/v1/write");
  }

  /** Its log so far. */
  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return e.toString();
    }
  }

  /**
   * An instant query at the present.
   *
   * @param promql the query
   * @return each result's metric labels and value, or an empty list
   */
  public List<Result> query(String promql) throws IOException, InterruptedException {
    if (victoria) {
      // make what was just written searchable
      HTTP.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/internal/force_flush"))
              .timeout(Duration.ofSeconds(10))
              .build(),
          HttpResponse.BodyHandlers.discarding());
    }
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + port
                            + "/api/v1/query?query="
                            + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(20))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError("query " + promql + ": HTTP " + r.statusCode() + " " + r.body());
    }
    List<Result> out = new ArrayList<>();
    for (JsonNode n : JSON.readTree(r.body()).path("data").path("result")) {
      out.add(new Result(n.path("metric"), Double.parseDouble(n.path("value").get(1).asText())));
    }
    return out;
  }

  /**
   * The single value of a query, or NaN while it has none.
   *
   * @param promql the query
   * @return the value
   */
  public double value(String promql) {
    try {
      List<Result> r = query(promql);
      if (r.size() > 1) {
        throw new AssertionError(promql + ": " + r.size() + " results: " + r);
      }
      return r.isEmpty() ? Double.NaN : r.get(0).value();
    } catch (IOException e) {
      return Double.NaN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Double.NaN;
    }
  }

  /** One result of a query. */
  public record Result(JsonNode metric, double value) {}

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
