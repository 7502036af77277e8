package io.udsink.collector.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code udsink serve}: the metrics sink. */
final class ServeCommand implements Callable<Integer> {
  static final String HTTP_DEFAULT = "127.0.0.1:9102";
  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

  private final java.io.PrintStream stdout;

  /**
   * A {@code serve} to be given its options.
   *
   * @param stdout where {@code --check-config} reports
   */
  ServeCommand(java.io.PrintStream stdout) {
    this.stdout = stdout;
  }

  List<String> sockets = new ArrayList<>();

  Duration flushInterval;

  String out;

  String http;

  Duration ttl;

  int maxSeries;

  Integer workers;

  Duration duration;

  Path mappingConfig;

  boolean enableLifecycle;

  int mappingCacheSize;

  String observerType;

  List<String> remoteWrite = new ArrayList<>();

  List<String> remoteWriteLabels = new ArrayList<>();

  List<String> remoteWriteHeaders = new ArrayList<>();

  Path remoteWriteBearerTokenFile;

  String remoteWriteUsername;

  Path remoteWritePasswordFile;

  Path stateDir;

  String remoteWriteQueueSize;

  List<String> remoteWriteNativeHistograms = new ArrayList<>();

  Duration remoteWriteTimeout;

  Duration stopTimeout;

  boolean parseDogstatsdTags;

  boolean noParseDogstatsdTags;

  boolean parseInfluxdbTags;

  boolean noParseInfluxdbTags;

  boolean parseLibratoTags;

  boolean noParseLibratoTags;

  boolean parseSignalfxTags;

  boolean noParseSignalfxTags;

  boolean originDetection;

  boolean checkConfig;

  final ReceiveOptions receive = new ReceiveOptions();

  /** The command's options, bound to this object's fields. */
  Args args() {
    Args a =
        new Args(
            "serve",
            "Receive StatsD, DogStatsD and JSON datagrams, aggregate them per flush interval, write",
            "JSON lines and serve Prometheus /metrics. Stops on SIGINT/SIGTERM with nothing lost and",
            "a final flush.");
    a.list("--socket --statsd.listen-unixgram", "PATH", Defaults.SOCKET_OPTION_HELP, sockets::add)
        .value(
            "--flush-interval",
            "D",
            "10s",
            "Aggregation interval (default: ${DEFAULT-VALUE}).",
            v -> flushInterval = Durations.parse(v))
        .value(
            "--out",
            "FILE",
            "-",
            "JSON lines output: a file to append to, - for standard output, or off "
                + "(default: ${DEFAULT-VALUE}).",
            v -> out = v)
        .value(
            "--http --web.listen-address",
            "HOST:PORT",
            HTTP_DEFAULT,
            "Address of the Prometheus /metrics endpoint, or off " + "(default: ${DEFAULT-VALUE}).",
            v -> http = v)
        .value(
            "--ttl",
            "D",
            "5m",
            "Drop a series from /metrics (and a gauge's last value) after this long "
                + "without updates (default: ${DEFAULT-VALUE}).",
            v -> ttl = Durations.parse(v))
        .value(
            "--max-series",
            "N",
            "100000",
            "Most series per interval, gauges remembered, and series on /metrics; "
                + "samples of more are dropped and counted (default: ${DEFAULT-VALUE}).",
            v -> maxSeries = Args.integer(v))
        .value(
            "--workers",
            "N",
            null,
            "Threads that parse and aggregate, beside the one that receives; each owns a share of "
                + "the series (default: the number of cores minus one, 1 to 16).",
            v -> workers = Args.integer(v))
        .value(
            "--duration",
            "D",
            null,
            "Stop after this long; default: until a signal.",
            v -> duration = Durations.parse(v))
        .value(
            "--mapping-config --statsd.mapping-config",
            "FILE",
            null,
            "statsd_exporter's mapping file (YAML), read as it is; reloaded on SIGHUP "
                + "(and POST /-/reload with --web.enable-lifecycle); a file that does not check keeps "
                + "the rules in force.",
            v -> mappingConfig = Path.of(v))
        .flag(
            "--web.enable-lifecycle",
            "Answer POST /-/reload (off by default: any local user could post it).",
            () -> enableLifecycle = true)
        .value(
            "--mapping-cache-size --statsd.cache-size",
            "N",
            "10000",
            "Most StatsD names whose mapping is remembered (default: ${DEFAULT-VALUE}).",
            v -> mappingCacheSize = Args.integer(v))
        .value(
            "--observer-type",
            "TYPE",
            null,
            "How timers, histograms and distributions reach Prometheus without a "
                + "mapping file: native (native histogram, classic buckets alongside), histogram "
                + "(classic buckets) or summary (default: native; with a mapping file its "
                + "defaults.observer_type applies, as in statsd_exporter).",
            v -> observerType = v)
        .list(
            "--remote-write",
            "URL",
            "Push every flush to this Prometheus remote-write receiver (Prometheus "
                + "with --web.enable-remote-write-receiver, VictoriaMetrics, Mimir, Thanos Receive); "
                + "repeat for more. user:password@ in the URL is sent as basic authentication.",
            remoteWrite::add)
        .list(
            "--remote-write-label",
            "NAME=VALUE",
            "A label every remote-write series gets unless it has one of that name; "
                + "repeat for more (default: job=udsink and instance=<host name>; NAME= removes one).",
            remoteWriteLabels::add)
        .list(
            "--remote-write-header",
            "'NAME: VALUE'",
            "A header sent with every remote-write request (a tenant, a bearer token); "
                + "repeat for more.",
            remoteWriteHeaders::add)
        .value(
            "--remote-write-bearer-token-file",
            "FILE",
            null,
            "Send 'Authorization: Bearer <the file's content>' (or set "
                + "$UDSINK_REMOTE_WRITE_BEARER_TOKEN): a secret on the command line is readable by "
                + "every local user in /proc.",
            v -> remoteWriteBearerTokenFile = Path.of(v))
        .value(
            "--remote-write-username",
            "NAME",
            null,
            "Basic authentication's user, with --remote-write-password-file or "
                + "$UDSINK_REMOTE_WRITE_PASSWORD.",
            v -> remoteWriteUsername = v)
        .value(
            "--remote-write-password-file",
            "FILE",
            null,
            "Basic authentication's password, from a file.",
            v -> remoteWritePasswordFile = Path.of(v))
        .value(
            "--state-dir",
            "DIR",
            null,
            "Where udsink keeps what must outlive a restart: each remote-write receiver's queue "
                + "(default: /var/lib/udsink for root, $XDG_STATE_HOME/udsink or "
                + "~/.local/state/udsink otherwise). Created 0700 when missing; refused when "
                + "another user could change it or a directory above it.",
            v -> stateDir = Path.of(v))
        .value(
            "--remote-write-queue-size",
            "SIZE",
            null,
            "Most bytes each remote-write receiver's queue holds on disk; beyond it the oldest "
                + "requests are dropped and counted (default: 1GiB or a tenth of the free space at "
                + "start, whichever is smaller; units B, kB, MB, GB, KiB, MiB, GiB).",
            v -> remoteWriteQueueSize = v)
        .list(
            "--remote-write-native-histograms",
            "[URL=]on|off",
            "Send native histograms as such (with their classic buckets), to every receiver or to "
                + "the one named; repeat for more (default: on; a receiver that answers that native "
                + "histograms are disabled gets classic buckets only, and the log says so once).",
            remoteWriteNativeHistograms::add)
        .value(
            "--remote-write-timeout",
            "D",
            "30s",
            "How long one remote-write request may take (default: ${DEFAULT-VALUE}).",
            v -> remoteWriteTimeout = Durations.parse(v))
        .value(
            "--stop-timeout",
            "D",
            "30s",
            "At stop, how long to wait for the outputs to write the final flush; what "
                + "they have not written then is counted and udsink exits 1 (default: ${DEFAULT-VALUE}). "
                + "A second SIGTERM/SIGINT ends the wait at once.",
            v -> stopTimeout = Durations.parse(v))
        .bool(
            "--statsd.parse-dogstatsd-tags",
            true,
            "Read DogStatsD tags: name:1|c|#k:v (default: ${DEFAULT-VALUE}).",
            b -> parseDogstatsdTags = b)
        .hiddenFlag("--no-statsd.parse-dogstatsd-tags", () -> noParseDogstatsdTags = true)
        .bool(
            "--statsd.parse-influxdb-tags",
            true,
            "Read InfluxDB tags: name,k=v:1|c (default: ${DEFAULT-VALUE}).",
            b -> parseInfluxdbTags = b)
        .hiddenFlag("--no-statsd.parse-influxdb-tags", () -> noParseInfluxdbTags = true)
        .bool(
            "--statsd.parse-librato-tags",
            true,
            "Read Librato tags: name#k=v:1|c (default: ${DEFAULT-VALUE}).",
            b -> parseLibratoTags = b)
        .hiddenFlag("--no-statsd.parse-librato-tags", () -> noParseLibratoTags = true)
        .bool(
            "--statsd.parse-signalfx-tags",
            true,
            "Read SignalFx tags: name[k=v]:1|c (default: ${DEFAULT-VALUE}).",
            b -> parseSignalfxTags = b)
        .hiddenFlag("--no-statsd.parse-signalfx-tags", () -> noParseSignalfxTags = true)
        .flag(
            "--origin-detection",
            "Tag each metric line with its sender's container (container_id:<id>) or, outside "
                + "containers, its systemd service (systemd_unit:<unit>), told from the sender's "
                + "credentials and /proc/<pid>/cgroup; a line's own |c:<id> wins. udsink must "
                + "share the senders' pid namespace.",
            () -> originDetection = true)
        .flag(
            "--check-config",
            "Check every setting and the mapping file, say what was found, and exit (0, or 2 "
                + "naming what is wrong) without binding or opening anything.",
            () -> checkConfig = true);
    receive.addTo(a);
    return a;
  }

  @Override
  public Integer call() throws Exception {
    StopSignals signals = StopSignals.install();
    receive.validate();
    ServeConfig config = ServeConfig.of(this);
    if (checkConfig) {
      var m = config.mapper().get();
      stdout.println(
          "udsink serve: configuration checks"
              + (m.fromFile()
                  ? "; mapping file " + mappingConfig + ": " + m.ruleCount() + " rules"
                  : ""));
      return 0;
    }
    Defaults.checkQueueLength();
    ServePipeline pipeline = new ServePipeline(config);
    signals.onHangup(pipeline::hangup); // before binding: a SIGHUP from now on is acted on
    if (signals.stopRequested()) {
      LOG.info("udsink serve: stopped before binding any socket");
      return 0;
    }
    return pipeline.run(receive, receive.open(sockets, "serve"), signals);
  }
}
