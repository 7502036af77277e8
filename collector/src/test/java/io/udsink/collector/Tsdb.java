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

  private Process process;
  private final List<String> cmd;
  private final String readyPath;
  private final Path log;
  private final boolean victoria;

  /** The port it listens on. */
  public final int port;

  private Tsdb(List<String> cmd, String readyPath, Path log, int port, boolean victoria) {
    this.cmd = cmd;
    this.readyPath = readyPath;
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
    return prometheus(dir, scrapeConfigs, true);
  }

  /**
   * Starts Prometheus with the remote-write receiver enabled.
   *
   * @param dir a directory for its configuration, storage and log
   * @param scrapeConfigs the {@code scrape_configs} entries (YAML list items), or empty
   * @param natives enable native histograms
   * @return the running Prometheus, ready
   */
  public static Tsdb prometheus(Path dir, String scrapeConfigs, boolean natives)
      throws IOException {
    Promtool.requireProgram("prometheus");
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(
        config,
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            + "scrape_configs:\n"
            + (scrapeConfigs.isEmpty() ? "  []\n" : scrapeConfigs));
    int port = UdsinkProcess.freePort();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "prometheus",
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-remote-write-receiver",
                "--log.level=warn"));
    if (natives) {
      cmd.add("--enable-feature=native-histograms");
    }
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
    Tsdb t = new Tsdb(List.copyOf(cmd), readyPath, log, port, victoria);
    t.restart();
    return t;
  }

  /** Starts it again (after {@link #stop()}) on the same port and storage, and waits for it. */
  public void restart() throws IOException {
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    process = p;
    try {
      TestSupport.poll(
          cmd.get(0) + " ready",
          Duration.ofSeconds(60),
          Duration.ofMillis(100),
          () -> !p.isAlive() || UdsinkProcess.get(port, readyPath) != null);
    } catch (AssertionError e) {
      close();
      throw new AssertionError(e.getMessage() + ": " + log(), e);
    }
    if (!p.isAlive()) {
      throw new AssertionError(cmd.get(0) + " exited " + p.exitValue() + ": " + log());
    }
  }

  /** Stops it (an outage): what it stored stays for {@link #restart()}. */
  public void stop() {
    close();
  }

  /**
   * Every raw sample stored for the series a selector matches, within {@code window} before
   * now: a range-vector query, which returns the samples as stored.
   *
   * @param selector a series selector
   * @param window for example {@code 10m}
   * @return each series' labels and its samples, oldest first
   */
  public List<Raw> raw(String selector, String window) throws IOException, InterruptedException {
    List<Raw> out = new ArrayList<>();
    for (JsonNode n : instant(selector + "[" + window + "]")) {
      List<double[]> points = new ArrayList<>();
      for (JsonNode v : n.path("values")) {
        points.add(
            new double[] {v.get(0).asDouble() * 1000, Double.parseDouble(v.get(1).asText())});
      }
      out.add(new Raw(n.path("metric"), points));
    }
    return out;
  }

  /**
   * One series' stored samples.
   *
   * @param metric its labels
   * @param points each sample's time (ms) and value, oldest first
   */
  public record Raw(JsonNode metric, List<double[]> points) {
    /**
     * The counter's increase over the samples, a drop read as a reset (the value after it is
     * all increase), as Prometheus' {@code increase} counts without extrapolating.
     */
    public double increase() {
      double total = 0;
      double prev = Double.NaN;
      for (double[] p : points) {
        double v = p[1];
        if (Double.isNaN(v)) {
          continue;
        }
        if (Double.isNaN(prev)) {
          total += v; // from nothing: the first sample is all increase (a series starts at 0)
        } else {
          total += v >= prev ? v - prev : v;
        }
        prev = v;
      }
      return total;
    }
  }

  /** The results of an instant query at the present (VictoriaMetrics flushed first). */
  private JsonNode instant(String promql) throws IOException, InterruptedException {
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
    return JSON.readTree(r.body()).path("data").path("result");
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
    List<Result> out = new ArrayList<>();
    for (JsonNode n : instant(promql)) {
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
