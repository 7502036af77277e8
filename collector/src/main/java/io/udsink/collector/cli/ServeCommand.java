package io.udsink.collector.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.UsageException;
import io.udsink.collector.loop.ReceiveLoop;
import io.udsink.collector.export.Flusher;
import io.udsink.collector.export.jsonl.JsonLinesOutput;
import io.udsink.collector.runtime.Intake;
import io.udsink.collector.export.prometheus.MetricsServer;
import io.udsink.collector.export.OutputWorker;
import io.udsink.collector.export.prometheus.PrometheusOutput;
import io.udsink.collector.export.cumulative.CumulativeState;
import io.udsink.collector.export.remotewrite.RemoteWriteOutput;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.export.TelemetryMetric;
import io.udsink.collector.mapping.MapperRef;
import io.udsink.collector.mapping.ObserverSpec;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.util.Fatal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code udsink serve}: the metrics sink. */
@Command(name = "serve", mixinStandardHelpOptions = true, version = "udsink " + Main.VERSION,
    description = {
        "Receive StatsD, DogStatsD and JSON datagrams, aggregate them per flush interval, write",
        "JSON lines and serve Prometheus /metrics. Stops on SIGINT/SIGTERM with nothing lost and",
        "a final flush."})
final class ServeCommand implements Callable<Integer> {
  static final String HTTP_DEFAULT = "127.0.0.1:9102";
  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

  @Option(names = {"--socket", "--statsd.listen-unixgram"}, paramLabel = "PATH",
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

  @Option(names = {"--http", "--web.listen-address"}, paramLabel = "HOST:PORT",
      defaultValue = HTTP_DEFAULT,
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

  @Option(names = {"--mapping-config", "--statsd.mapping-config"}, paramLabel = "FILE",
      description = "statsd_exporter's mapping file (YAML), read as it is; reloaded on SIGHUP "
          + "(and POST /-/reload with --web.enable-lifecycle); a file that does not check keeps "
          + "the rules in force.")
  Path mappingConfig;

  @Option(names = "--web.enable-lifecycle",
      description = "Answer POST /-/reload (off by default: any local user could post it).")
  boolean enableLifecycle;

  @Option(names = {"--mapping-cache-size", "--statsd.cache-size"}, paramLabel = "N",
      defaultValue = "10000",
      description = "Most StatsD names whose mapping is remembered (default: ${DEFAULT-VALUE}).")
  int mappingCacheSize;

  @Option(names = "--observer-type", paramLabel = "TYPE",
      description = "How timers, histograms and distributions reach Prometheus without a "
          + "mapping file: native (native histogram, classic buckets alongside), histogram "
          + "(classic buckets) or summary (default: native; with a mapping file its "
          + "defaults.observer_type applies, as in statsd_exporter).")
  String observerType;

  @Option(names = "--remote-write", paramLabel = "URL",
      description = "Push every flush to this Prometheus remote-write receiver (Prometheus "
          + "with --web.enable-remote-write-receiver, VictoriaMetrics, Mimir, Thanos Receive); "
          + "repeat for more. user:password@ in the URL is sent as basic authentication.")
  List<String> remoteWrite = new ArrayList<>();

  @Option(names = "--remote-write-label", paramLabel = "NAME=VALUE",
      description = "A label every remote-write series gets unless it has one of that name; "
          + "repeat for more (default: job=udsink and instance=<host name>; NAME= removes one).")
  List<String> remoteWriteLabels = new ArrayList<>();

  @Option(names = "--remote-write-header", paramLabel = "'NAME: VALUE'",
      description = "A header sent with every remote-write request (a tenant, a bearer token); "
          + "repeat for more.")
  List<String> remoteWriteHeaders = new ArrayList<>();

  @Option(names = "--remote-write-bearer-token-file", paramLabel = "FILE",
      description = "Send 'Authorization: Bearer <the file's content>' (or set "
          + "$UDSINK_REMOTE_WRITE_BEARER_TOKEN): a secret on the command line is readable by "
          + "every local user in /proc.")
  Path remoteWriteBearerTokenFile;

  @Option(names = "--remote-write-username", paramLabel = "NAME",
      description = "Basic authentication's user, with --remote-write-password-file or "
          + "$UDSINK_REMOTE_WRITE_PASSWORD.")
  String remoteWriteUsername;

  @Option(names = "--remote-write-password-file", paramLabel = "FILE",
      description = "Basic authentication's password, from a file.")
  Path remoteWritePasswordFile;

  @Option(names = "--remote-write-timeout", paramLabel = "D", converter = Durations.class,
      defaultValue = "30s",
      description = "How long one remote-write request may take (default: ${DEFAULT-VALUE}).")
  Duration remoteWriteTimeout;

  @Option(names = "--stop-timeout", paramLabel = "D", converter = Durations.class,
      defaultValue = "30s",
      description = "At stop, how long to wait for the outputs to write the final flush; what "
          + "they have not written then is counted and udsink exits 1 (default: ${DEFAULT-VALUE}). "
          + "A second SIGTERM/SIGINT ends the wait at once.")
  Duration stopTimeout;

  @Mixin
  ReceiveOptions receive = new ReceiveOptions();

  private MapperRef reloadable;

  @Override
  public Integer call() throws Exception {
    StopSignals signals = StopSignals.install();
    receive.validate();
    if (maxSeries < 1) {
      throw new UsageException("--max-series must be at least 1, was " + maxSeries);
    }
    InetSocketAddress httpAddress = "off".equals(http) ? null : parseHostPort(http);
    MapperRef mapper = mapper();
    reloadable = mapper;
    List<URI> remoteWriteUrls = new ArrayList<>();
    for (String u : remoteWrite) {
      try {
        remoteWriteUrls.add(RemoteWriteOutput.parseUrl(u));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--remote-write " + u + ": " + e.getMessage());
      }
    }
    Map<String, String> rwLabels = remoteWriteLabels();
    Map<String, String> rwHeaders = remoteWriteHeaders();
    Defaults.checkQueueLength();

    Telemetry telemetry = new Telemetry(Main.VERSION);
    telemetry.showMapping(mapper);
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
    CumulativeState prometheus = httpAddress == null ? null
        : new CumulativeState(ttl.toMillis(), maxSeries, telemetry);
    if (prometheus != null) {
      telemetry.source(TelemetryMetric.PROMETHEUS_SERIES, prometheus::size);
      workers.add(new OutputWorker(new PrometheusOutput(prometheus), maxSeries));
    }
    for (URI url : remoteWriteUrls) {
      CumulativeState own = new CumulativeState(ttl.toMillis(), maxSeries, telemetry);
      workers.add(new OutputWorker(new RemoteWriteOutput(url, own, rwLabels,
          rwHeaders, remoteWriteTimeout, REMOTE_WRITE_QUEUE_BYTES), maxSeries));
    }
    signals.onHangup(() -> {
      LOG.info("SIGHUP: reopening the JSON lines output, reloading the mapping file");
      workers.forEach(OutputWorker::requestReopen);
      mapper.reload();
    });
    if (signals.stopRequested()) {
      LOG.info("udsink serve: stopped before binding any socket");
      return 0;
    }
    ReceiveOptions.Opened opened = receive.open(sockets, "serve");
    List<BoundSocket> bound = opened.sockets();
    MetricsServer[] server = new MetricsServer[1];
    try {
      if (httpAddress != null && opened.takeover() == null) {
        server[0] = startHttp(httpAddress, prometheus); // a taken-over one after the handover
      }
      Flusher flusher = new Flusher(workers, telemetry);
      Intake handler = new Intake(flusher, flushInterval.toNanos(), maxSeries,
          ttl.toNanos(), System::currentTimeMillis, stopTimeout.toMillis(), mapper,
          prometheus != null || !remoteWriteUrls.isEmpty());
      ReceiveLoop loop = new ReceiveLoop(bound, handler, receive.budget, receive.maxDatagram,
          duration == null ? Long.MAX_VALUE : duration.toNanos(), System::nanoTime);
      telemetry.watch(loop, io.udsink.collector.sys.Sockets.maxDgramQlen());
      Fatal.install(loop::requestStop);
      flusher.start();
      signals.onForce(flusher::abortWait);
      CumulativeState state = prometheus;
      JsonLinesOutput jsonOut = json;
      boolean handedOver = Instance.run("serve", loop, opened, signals,
          stopTimeout.plusSeconds(30), new Instance.Hooks() {
            @Override
            public void continueFrom(java.io.InputStream previous) throws Exception {
              if (state != null) {
                state.importState(previous);
              }
            }

            @Override
            public void ready() {
              if (httpAddress != null && server[0] == null) {
                server[0] = startHttp(httpAddress, state);
              }
              if (server[0] != null) {
                server[0].ready();
              }
              LOG.info("udsink serve: receiving on {}; JSON lines to {} every {}; {}", sockets(bound),
                  jsonOut == null ? "nowhere" : jsonOut.target(), flushInterval.toMillis() + " ms",
                  server[0] == null ? "no /metrics" : "Prometheus at http://"
                      + hostPort(server[0].address()) + "/metrics");
            }

            @Override
            public byte[] handedOver() {
              if (server[0] != null) {
                server[0].close(); // the endpoint moves to the new instance
              }
              return state == null ? new byte[0] : state.exportState();
            }
          });
      long datagrams = 0;
      for (var s : loop.socketStats()) {
        datagrams += s.datagrams();
      }
      Flusher.Result result = handler.result();
      LOG.info("udsink serve: stopped after {} datagrams, {} flushes{}", datagrams,
          telemetry.flushes(), handedOver ? "; handed over to the new instance" : "");
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
    } catch (IOException | RuntimeException e) {
      opened.abandon(); // a no-op for sockets the loop already closed
      throw e;
    } finally {
      if (server[0] != null) {
        server[0].close();
      }
    }
  }

  /** Compressed remote-write requests held per receiver, at most. */
  static final long REMOTE_WRITE_QUEUE_BYTES = 64L << 20;

  private Map<String, String> remoteWriteLabels() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("job", "udsink");
    m.put("instance", hostName());
    for (String l : remoteWriteLabels) {
      int eq = l.indexOf('=');
      String k = eq < 0 ? l : l.substring(0, eq);
      if (eq < 0 || !k.matches("[a-zA-Z_][a-zA-Z0-9_]*") || k.startsWith("__")) {
        throw new UsageException("--remote-write-label " + l + ": want NAME=VALUE, NAME a "
            + "Prometheus label name");
      }
      m.put(k, l.substring(eq + 1));
    }
    m.values().removeIf(String::isEmpty);
    return m;
  }

  private Map<String, String> remoteWriteHeaders() {
    Map<String, String> m = new LinkedHashMap<>();
    for (String h : remoteWriteHeaders) {
      int colon = h.indexOf(':');
      String k = colon < 0 ? "" : h.substring(0, colon).trim();
      if (k.isEmpty() || !k.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
        throw new UsageException("--remote-write-header " + h + ": want 'NAME: VALUE'");
      }
      String v = h.substring(colon + 1).trim();
      try {
        java.net.http.HttpRequest.newBuilder().header(k, v); // what the HTTP client refuses
      } catch (IllegalArgumentException e) {
        throw new UsageException("--remote-write-header " + h + ": " + e.getMessage());
      }
      m.put(k, v);
    }
    String token = secret("--remote-write-bearer-token-file", remoteWriteBearerTokenFile,
        "UDSINK_REMOTE_WRITE_BEARER_TOKEN");
    String password = secret("--remote-write-password-file", remoteWritePasswordFile,
        "UDSINK_REMOTE_WRITE_PASSWORD");
    if (token != null && (password != null || remoteWriteUsername != null)) {
      throw new UsageException("--remote-write-bearer-token-file and basic authentication "
          + "exclude each other");
    }
    if (password != null && remoteWriteUsername == null) {
      throw new UsageException("a remote-write password needs --remote-write-username");
    }
    if (token != null) {
      m.put("Authorization", "Bearer " + token);
    } else if (remoteWriteUsername != null) {
      m.put("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
          (remoteWriteUsername + ":" + (password == null ? "" : password))
              .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    return m;
  }

  /** A secret from a file (its first line) or else from the environment, or null. */
  private static String secret(String flag, Path file, String env) {
    if (file != null) {
      try {
        String text = io.udsink.collector.sys.Fs.readRegularFile(file, 64 << 10);
        String line = text.lines().findFirst().orElse("").strip();
        if (line.isEmpty()) {
          throw new UsageException(flag + " " + file + ": the file is empty");
        }
        return line;
      } catch (IOException e) {
        throw new UsageException(flag + " " + file + ": " + e.getMessage());
      }
    }
    String v = System.getenv(env);
    return v == null || v.isBlank() ? null : v.strip();
  }

  /** The kernel's host name, as node_exporter and the Datadog Agent name the host. */
  static String hostName() {
    try {
      String h = io.udsink.collector.util.ProcFile.firstLine(Path.of("/proc/sys/kernel/hostname"));
      if (h != null && !h.isEmpty()) {
        return h;
      }
    } catch (IOException e) {
      // fall through
    }
    String env = System.getenv("HOSTNAME");
    return env == null || env.isEmpty() ? "localhost" : env;
  }

  private MapperRef mapper() {
    ObserverSpec.Kind kind;
    try {
      kind = ObserverSpec.Kind.of(observerType == null ? "native" : observerType);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--observer-type " + observerType + ": " + e.getMessage());
    }
    if (observerType != null && mappingConfig != null) {
      throw new UsageException("--observer-type and --mapping-config: the mapping file decides "
          + "(set defaults.observer_type in it)");
    }
    if (mappingCacheSize < 1) {
      throw new UsageException("--mapping-cache-size must be at least 1, was "
          + mappingCacheSize);
    }
    if (mappingConfig == null) {
      return MapperRef.none(ObserverSpec.defaults(kind));
    }
    try {
      return MapperRef.load(mappingConfig, mappingCacheSize);
    } catch (IOException e) {
      throw new UdsinkException("--mapping-config " + mappingConfig + ": cannot read: "
          + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--mapping-config " + mappingConfig + ": " + e.getMessage());
    }
  }

  private MetricsServer startHttp(InetSocketAddress address, CumulativeState state) {
    try {
      return MetricsServer.start(address, state, enableLifecycle ? reloadable::reload : null);
    } catch (IOException e) {
      throw new UdsinkException("--http " + http + ": cannot listen: " + e.getMessage(), e);
    }
  }

  private static List<String> sockets(List<BoundSocket> bound) {
    List<String> names = new ArrayList<>();
    bound.forEach(b -> names.add(b.toString()));
    return names;
  }

  /**
   * Parses {@code --http}: {@code HOST:PORT}, {@code :PORT} for every interface (as the Go
   * exporters do), {@code [IPv6]:PORT}.
   */
  static InetSocketAddress parseHostPort(String text) {
    int colon = text.lastIndexOf(':');
    if (colon < 0 || colon == text.length() - 1) {
      throw new UsageException("--http " + text + ": expected HOST:PORT, :PORT for every "
          + "interface, [IPv6]:PORT, or off (for example " + HTTP_DEFAULT + ")");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      throw new UsageException("--http " + text + ": write an IPv6 address in brackets, "
          + "for example [::1]:9102");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      throw new UsageException("--http " + text + ": port must be 0 to 65535");
    }
    return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
  }

  /** {@code host:port} for a URL: an IPv6 address in brackets. */
  static String hostPort(InetSocketAddress a) {
    String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    int pct = host.indexOf('%');
    if (pct >= 0) {
      host = host.substring(0, pct);
    }
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }

}
