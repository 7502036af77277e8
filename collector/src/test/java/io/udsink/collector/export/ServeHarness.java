package io.udsink.collector.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.udsink.collector.export.cumulative.CumulativeState;
import io.udsink.collector.export.jsonl.JsonLinesOutput;
import io.udsink.collector.export.prometheus.MetricsServer;
import io.udsink.collector.export.prometheus.PrometheusOutput;
import io.udsink.collector.loop.ReceiveLoop;
import io.udsink.collector.runtime.Intake;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.transport.SocketSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The pieces of {@code udsink serve}, assembled in-process over a real socket. */
public final class ServeHarness implements AutoCloseable {
  final Path socket;
  final Path out;
  final Telemetry telemetry = new Telemetry();
  final CumulativeState prometheus;
  final MetricsServer server;
  final ReceiveLoop loop;

  /** One client for every scrape, as a scraper keeps one connection. */
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  final JsonLinesOutput json;
  final Flusher flusher;
  final Intake handler;

  ServeHarness(Path dir, long flushMs) throws IOException {
    this(dir, flushMs, "out.jsonl");
  }

  ServeHarness(Path dir, long flushMs, String outName) throws IOException {
    this(dir, flushMs, outName, 1, 100_000);
  }

  /**
   * The pieces with a number of workers and a series bound.
   *
   * @param dir where the socket and the JSON lines go
   * @param flushMs the flush interval
   * @param outName the JSON lines file's name
   * @param workers parse-and-aggregate threads
   * @param maxSeries the series bound
   */
  ServeHarness(Path dir, long flushMs, String outName, int workers, int maxSeries)
      throws IOException {
    socket = dir.resolve("m");
    out = dir.resolve(outName);
    json = JsonLinesOutput.open(out, telemetry);
    prometheus = new CumulativeState(TimeUnit.MINUTES.toMillis(5), 100_000, telemetry);
    server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), prometheus);
    flusher =
        new Flusher(
            List.of(
                new OutputWorker(json, 100_000),
                new OutputWorker(new PrometheusOutput(prometheus), 100_000)),
            telemetry);
    handler =
        new Intake(
            flusher,
            TimeUnit.MILLISECONDS.toNanos(flushMs),
            maxSeries,
            TimeUnit.MINUTES.toNanos(5),
            System::currentTimeMillis,
            10_000,
            workers);
    telemetry.source(TelemetryMetric.WORKERS, handler::workers);
    telemetry.source(TelemetryMetric.WORKER_WAITS, handler::receiverWaits);
    BoundSocket bound = BoundSocket.bind(SocketSpec.parse(socket.toString()), 0600, false);
    loop = ReceiveLoop.create(List.of(bound), handler, 64, 65536);
    telemetry.watch(loop, io.udsink.collector.sys.Sockets.maxDgramQlen());
    flusher.start();
    loop.start();
  }

  /** Every whole JSON line written so far (not one still being written). */
  List<JsonNode> lines() throws IOException {
    ObjectMapper m = new ObjectMapper();
    List<JsonNode> nodes = new ArrayList<>();
    String text = Files.readString(out);
    int end = text.lastIndexOf('\n');
    for (String l : text.substring(0, end + 1).split("\n")) {
      if (!l.isEmpty()) {
        nodes.add(m.readTree(l));
      }
    }
    return nodes;
  }

  /** Sum of a counter's values over every JSON line written so far, all tag sets. */
  double counterTotal(String name) throws IOException {
    double total = 0;
    for (JsonNode n : lines()) {
      if (n.get("type").asText().equals("counter") && n.get("name").asText().equals(name)) {
        total += n.get("value").asDouble();
      }
    }
    return total;
  }

  /** {@code /metrics} as served. */
  byte[] scrapeText() throws Exception {
    HttpResponse<byte[]> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.address().getPort() + "/metrics"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new AssertionError("GET /metrics: " + r.statusCode());
    }
    return r.body();
  }

  /** {@code /metrics} parsed: sample name with its labels as written, to value. */
  Map<String, Double> scrape() throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.address().getPort() + "/metrics"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError("GET /metrics: " + r.statusCode());
    }
    return parseExposition(r.body());
  }

  /** {@code /metrics} text parsed: sample name with its labels as written, to value. */
  public static Map<String, Double> parseExposition(String body) {
    Map<String, Double> m = new HashMap<>();
    for (String line : body.split("\n")) {
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      String[] sample = io.udsink.collector.Promtool.parseSample(line);
      m.put(sample[0] + sample[1], Double.parseDouble(sample[2]));
    }
    return m;
  }

  @Override
  public void close() {
    loop.close();
    server.close();
  }
}
