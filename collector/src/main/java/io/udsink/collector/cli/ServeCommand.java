package io.udsink.collector.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.loop.ReceiveLoop;
import io.udsink.collector.metrics.Flusher;
import io.udsink.collector.metrics.JsonLinesOutput;
import io.udsink.collector.metrics.MetricsHandler;
import io.udsink.collector.metrics.MetricsServer;
import io.udsink.collector.metrics.OutputWorker;
import io.udsink.collector.metrics.PrometheusOutput;
import io.udsink.collector.metrics.PrometheusState;
import io.udsink.collector.metrics.Telemetry;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.util.Fatal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code udsink serve}: the metrics sink. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {
        "Receive StatsD, DogStatsD and JSON datagrams, aggregate them per flush interval, write",
        "JSON lines and serve Prometheus /metrics. Stops on SIGINT/SIGTERM with nothing lost and",
        "a final flush."})
final class ServeCommand implements Callable<Integer> {
  static final String HTTP_DEFAULT = "127.0.0.1:9102";
  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);
  private static final Path QLEN = Path.of("/proc/sys/net/unix/max_dgram_qlen");
  private static final int QLEN_WARN_BELOW = 512;

  @Option(names = "--socket", paramLabel = "PATH",
      description = "Socket path, or @name for the abstract namespace; repeat for more "
          + "(default: " + Defaults.SOCKET_HELP + ").")
  List<String> sockets = new ArrayList<>();

  @Option(names = "--flush-interval", paramLabel = "D", converter = Durations.class,
      defaultValue = "10s", description = "Aggregation interval (default: ${DEFAULT-VALUE}).")
  Duration flushInterval;

  @Option(names = "--out", paramLabel = "FILE", defaultValue = "-",
      description = "JSON lines output: a file to append to, - for standard output, or off "
          + "(default: ${DEFAULT-VALUE}).")
  String out;

  @Option(names = "--http", paramLabel = "HOST:PORT", defaultValue = HTTP_DEFAULT,
      description = "Address of the Prometheus /metrics endpoint, or off "
          + "(default: ${DEFAULT-VALUE}).")
  String http;

  @Option(names = "--ttl", paramLabel = "D", converter = Durations.class, defaultValue = "5m",
      description = "Drop a series from /metrics (and a gauge's last value) after this long "
          + "without updates (default: ${DEFAULT-VALUE}).")
  Duration ttl;

  @Option(names = "--max-series", paramLabel = "N", defaultValue = "100000",
      description = "Most series per interval, gauges remembered, and series on /metrics; "
          + "samples of more are dropped and counted (default: ${DEFAULT-VALUE}).")
  int maxSeries;

  @Option(names = "--duration", paramLabel = "D", converter = Durations.class,
      description = "Stop after this long; default: until a signal.")
  Duration duration;

  @Option(names = "--stop-timeout", paramLabel = "D", converter = Durations.class,
      defaultValue = "30s",
      description = "At stop, how long to wait for the outputs to write the final flush; what "
          + "they have not written then is counted and udsink exits 1 (default: ${DEFAULT-VALUE}). "
          + "A second SIGTERM/SIGINT ends the wait at once.")
  Duration stopTimeout;

  @Mixin
  ReceiveOptions receive = new ReceiveOptions();

  @Override
  public Integer call() throws Exception {
    StopSignals signals = StopSignals.install();
    receive.validate();
    if (maxSeries < 1) {
      throw new UdsinkException("--max-series must be at least 1, was " + maxSeries);
    }
    if (sockets.isEmpty()) {
      sockets.add(Defaults.socket());
    }
    InetSocketAddress httpAddress = "off".equals(http) ? null : parseHostPort(http);
    checkQueueLength();

    Telemetry telemetry = new Telemetry();
    List<OutputWorker> workers = new ArrayList<>();
    JsonLinesOutput json = null;
    if (!"off".equals(out)) {
      try {
        json = JsonLinesOutput.open("-".equals(out) ? null : Path.of(out), telemetry);
      } catch (IOException e) {
        throw new UdsinkException("--out " + out + ": cannot open for appending: "
            + e.getMessage(), e);
      }
      workers.add(new OutputWorker(json, maxSeries));
    }
    PrometheusState prometheus = null;
    MetricsServer server = null;
    if (httpAddress != null) {
      prometheus = new PrometheusState(ttl.toMillis(), maxSeries, telemetry, Main.VERSION);
      workers.add(new OutputWorker(new PrometheusOutput(prometheus), maxSeries));
      try {
        server = MetricsServer.start(httpAddress, prometheus);
      } catch (IOException e) {
        throw new UdsinkException("--http " + http + ": cannot listen: " + e.getMessage(), e);
      }
    }
    try {
      if (signals.stopRequested()) {
        LOG.info("udsink serve: stopped before binding any socket");
        return 0;
      }
      List<BoundSocket> bound = receive.bindAll(sockets);
      Flusher flusher = new Flusher(workers, telemetry);
      MetricsHandler handler = new MetricsHandler(flusher, flushInterval.toNanos(), maxSeries,
          ttl.toNanos(), System::currentTimeMillis, stopTimeout.toMillis());
      ReceiveLoop loop;
      try {
        loop = new ReceiveLoop(bound, handler, receive.budget, receive.maxDatagram,
            duration == null ? Long.MAX_VALUE : duration.toNanos(), System::nanoTime);
      } catch (IOException | RuntimeException e) {
        bound.forEach(BoundSocket::close);
        throw e;
      }
      Fatal.install(loop::requestStop);
      flusher.start();
      signals.onStop(loop::requestStop);
      signals.onForce(flusher::abortWait);
      LOG.info("udsink serve: receiving on {}; JSON lines to {} every {}; {}", sockets,
          json == null ? "nowhere" : json.target(), flushInterval.toMillis() + " ms",
          server == null ? "no /metrics" : "Prometheus at http://" + hostPort(server.address())
              + "/metrics");
      loop.run();
      long datagrams = 0;
      for (var s : loop.socketStats()) {
        datagrams += s.datagrams();
      }
      Flusher.Result result = handler.result();
      LOG.info("udsink serve: stopped after {} datagrams, {} flushes", datagrams,
          telemetry.flushes());
      List<String> problems = new ArrayList<>();
      if (Fatal.first() != null) {
        problems.add("stopped after a fatal error (" + Fatal.first() + ")");
      }
      if (result == null) {
        problems.add("the final flush did not run");
      } else if (!result.complete()) {
        problems.add("stopped with data not written: " + result.unwrittenLines()
            + " lines not written by output " + String.join(", ", result.stuckOutputs()));
      }
      if (!problems.isEmpty()) {
        throw new UdsinkException(String.join("; ", problems));
      }
      return 0;
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  static InetSocketAddress parseHostPort(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new UdsinkException("--http " + text + ": expected HOST:PORT (for example "
          + HTTP_DEFAULT + ") or off");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      throw new UdsinkException("--http " + text + ": port must be 0 to 65535");
    }
    return new InetSocketAddress(host, port);
  }

  private static String hostPort(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }

  /** procfs files report size 0, which whole-file reads mishandle: read a line. */
  static int readProcInt(Path path) throws IOException {
    try (java.io.BufferedReader r = Files.newBufferedReader(path)) {
      String line = r.readLine();
      if (line == null) {
        throw new IOException(path + " is empty");
      }
      return Integer.parseInt(line.trim());
    }
  }

  private static void checkQueueLength() {
    try {
      int qlen = readProcInt(QLEN);
      if (qlen < QLEN_WARN_BELOW) {
        LOG.warn("net.unix.max_dgram_qlen is {}: a socket queues only {} datagrams, so bursts "
            + "make senders block or drop. Raise it: sysctl -w net.unix.max_dgram_qlen=1024",
            qlen, qlen + 1);
      }
    } catch (IOException | NumberFormatException e) {
      LOG.debug("cannot read {}: {}", QLEN, e.toString());
    }
  }
}
