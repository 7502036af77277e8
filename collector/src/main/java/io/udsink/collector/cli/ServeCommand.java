package io.udsink.collector.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code udsink serve}: the metrics sink. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    version = "udsink " + Main.VERSION,
    description = {
      "Receive StatsD, DogStatsD and JSON datagrams, aggregate them per flush interval, write",
      "JSON lines and serve Prometheus /metrics. Stops on SIGINT/SIGTERM with nothing lost and",
      "a final flush."
    })
final class ServeCommand implements Callable<Integer> {
  static final String HTTP_DEFAULT = "127.0.0.1:9102";
  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

  @Option(
      names = {"--socket", "--statsd.listen-unixgram"},
      paramLabel = "PATH",
      description =
          "Socket path, or @name for the abstract namespace; repeat for more "
              + "(default: "
              + Defaults.SOCKET_HELP
              + ").")
  List<String> sockets = new ArrayList<>();

  @Option(
      names = "--flush-interval",
      paramLabel = "D",
      converter = Durations.class,
      defaultValue = "10s",
      description = "Aggregation interval (default: ${DEFAULT-VALUE}).")
  Duration flushInterval;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      defaultValue = "-",
      description =
          "JSON lines output: a file to append to, - for standard output, or off "
              + "(default: ${DEFAULT-VALUE}).")
  String out;

  @Option(
      names = {"--http", "--web.listen-address"},
      paramLabel = "HOST:PORT",
      defaultValue = HTTP_DEFAULT,
      description =
          "Address of the Prometheus /metrics endpoint, or off " + "(default: ${DEFAULT-VALUE}).")
  String http;

  @Option(
      names = "--ttl",
      paramLabel = "D",
      converter = Durations.class,
      defaultValue = "5m",
      description =
          "Drop a series from /metrics (and a gauge's last value) after this long "
              + "without updates (default: ${DEFAULT-VALUE}).")
  Duration ttl;

  @Option(
      names = "--max-series",
      paramLabel = "N",
      defaultValue = "100000",
      description =
          "Most series per interval, gauges remembered, and series on /metrics; "
              + "samples of more are dropped and counted (default: ${DEFAULT-VALUE}).")
  int maxSeries;

  @Option(
      names = "--workers",
      paramLabel = "N",
      description =
          "Threads that parse and aggregate, beside the one that receives; each owns a share of "
              + "the series (default: the number of cores minus one, 1 to 16).")
  Integer workers;

  @Option(
      names = "--duration",
      paramLabel = "D",
      converter = Durations.class,
      description = "Stop after this long; default: until a signal.")
  Duration duration;

  @Option(
      names = {"--mapping-config", "--statsd.mapping-config"},
      paramLabel = "FILE",
      description =
          "statsd_exporter's mapping file (YAML), read as it is; reloaded on SIGHUP "
              + "(and POST /-/reload with --web.enable-lifecycle); a file that does not check keeps "
              + "the rules in force.")
  Path mappingConfig;

  @Option(
      names = "--web.enable-lifecycle",
      description = "Answer POST /-/reload (off by default: any local user could post it).")
  boolean enableLifecycle;

  @Option(
      names = {"--mapping-cache-size", "--statsd.cache-size"},
      paramLabel = "N",
      defaultValue = "10000",
      description = "Most StatsD names whose mapping is remembered (default: ${DEFAULT-VALUE}).")
  int mappingCacheSize;

  @Option(
      names = "--observer-type",
      paramLabel = "TYPE",
      description =
          "How timers, histograms and distributions reach Prometheus without a "
              + "mapping file: native (native histogram, classic buckets alongside), histogram "
              + "(classic buckets) or summary (default: native; with a mapping file its "
              + "defaults.observer_type applies, as in statsd_exporter).")
  String observerType;

  @Option(
      names = "--remote-write",
      paramLabel = "URL",
      description =
          "Push every flush to this Prometheus remote-write receiver (Prometheus "
              + "with --web.enable-remote-write-receiver, VictoriaMetrics, Mimir, Thanos Receive); "
              + "repeat for more. user:password@ in the URL is sent as basic authentication.")
  List<String> remoteWrite = new ArrayList<>();

  @Option(
      names = "--remote-write-label",
      paramLabel = "NAME=VALUE",
      description =
          "A label every remote-write series gets unless it has one of that name; "
              + "repeat for more (default: job=udsink and instance=<host name>; NAME= removes one).")
  List<String> remoteWriteLabels = new ArrayList<>();

  @Option(
      names = "--remote-write-header",
      paramLabel = "'NAME: VALUE'",
      description =
          "A header sent with every remote-write request (a tenant, a bearer token); "
              + "repeat for more.")
  List<String> remoteWriteHeaders = new ArrayList<>();

  @Option(
      names = "--remote-write-bearer-token-file",
      paramLabel = "FILE",
      description =
          "Send 'Authorization: Bearer <the file's content>' (or set "
              + "$UDSINK_REMOTE_WRITE_BEARER_TOKEN): a secret on the command line is readable by "
              + "every local user in /proc.")
  Path remoteWriteBearerTokenFile;

  @Option(
      names = "--remote-write-username",
      paramLabel = "NAME",
      description =
          "Basic authentication's user, with --remote-write-password-file or "
              + "$UDSINK_REMOTE_WRITE_PASSWORD.")
  String remoteWriteUsername;

  @Option(
      names = "--remote-write-password-file",
      paramLabel = "FILE",
      description = "Basic authentication's password, from a file.")
  Path remoteWritePasswordFile;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description =
          "Where udsink keeps what must outlive a restart: each remote-write receiver's queue "
              + "(default: /var/lib/udsink for root, $XDG_STATE_HOME/udsink or "
              + "~/.local/state/udsink otherwise). Created 0700 when missing; refused when "
              + "another user could change it or a directory above it.")
  Path stateDir;

  @Option(
      names = "--remote-write-queue-size",
      paramLabel = "SIZE",
      description =
          "Most bytes each remote-write receiver's queue holds on disk; beyond it the oldest "
              + "requests are dropped and counted (default: 1GiB or a tenth of the free space at "
              + "start, whichever is smaller; units B, kB, MB, GB, KiB, MiB, GiB).")
  String remoteWriteQueueSize;

  @Option(
      names = "--remote-write-native-histograms",
      paramLabel = "[URL=]on|off",
      description =
          "Send native histograms as such (with their classic buckets), to every receiver or to "
              + "the one named; repeat for more (default: on; a receiver that answers that native "
              + "histograms are disabled gets classic buckets only, and the log says so once).")
  List<String> remoteWriteNativeHistograms = new ArrayList<>();

  @Option(
      names = "--remote-write-timeout",
      paramLabel = "D",
      converter = Durations.class,
      defaultValue = "30s",
      description = "How long one remote-write request may take (default: ${DEFAULT-VALUE}).")
  Duration remoteWriteTimeout;

  @Option(
      names = "--stop-timeout",
      paramLabel = "D",
      converter = Durations.class,
      defaultValue = "30s",
      description =
          "At stop, how long to wait for the outputs to write the final flush; what "
              + "they have not written then is counted and udsink exits 1 (default: ${DEFAULT-VALUE}). "
              + "A second SIGTERM/SIGINT ends the wait at once.")
  Duration stopTimeout;

  @Option(
      names = "--statsd.parse-dogstatsd-tags",
      defaultValue = "true",
      fallbackValue = "true",
      arity = "0..1",
      description = "Read DogStatsD tags: name:1|c|#k:v (default: ${DEFAULT-VALUE}).")
  boolean parseDogstatsdTags;

  @Option(
      names = "--no-statsd.parse-dogstatsd-tags",
      hidden = true,
      description = "statsd_exporter's spelling of --statsd.parse-dogstatsd-tags=false.")
  boolean noParseDogstatsdTags;

  @Option(
      names = "--statsd.parse-influxdb-tags",
      defaultValue = "true",
      fallbackValue = "true",
      arity = "0..1",
      description = "Read InfluxDB tags: name,k=v:1|c (default: ${DEFAULT-VALUE}).")
  boolean parseInfluxdbTags;

  @Option(
      names = "--no-statsd.parse-influxdb-tags",
      hidden = true,
      description = "statsd_exporter's spelling of --statsd.parse-influxdb-tags=false.")
  boolean noParseInfluxdbTags;

  @Option(
      names = "--statsd.parse-librato-tags",
      defaultValue = "true",
      fallbackValue = "true",
      arity = "0..1",
      description = "Read Librato tags: name#k=v:1|c (default: ${DEFAULT-VALUE}).")
  boolean parseLibratoTags;

  @Option(
      names = "--no-statsd.parse-librato-tags",
      hidden = true,
      description = "statsd_exporter's spelling of --statsd.parse-librato-tags=false.")
  boolean noParseLibratoTags;

  @Option(
      names = "--statsd.parse-signalfx-tags",
      defaultValue = "true",
      fallbackValue = "true",
      arity = "0..1",
      description = "Read SignalFx tags: name[k=v]:1|c (default: ${DEFAULT-VALUE}).")
  boolean parseSignalfxTags;

  @Option(
      names = "--no-statsd.parse-signalfx-tags",
      hidden = true,
      description = "statsd_exporter's spelling of --statsd.parse-signalfx-tags=false.")
  boolean noParseSignalfxTags;

  @Option(
      names = "--origin-detection",
      description =
          "Tag each metric line with its sender's container (container_id:<id>) or, outside "
              + "containers, its systemd service (systemd_unit:<unit>), told from the sender's "
              + "credentials and /proc/<pid>/cgroup; a line's own |c:<id> wins. udsink must "
              + "share the senders' pid namespace.")
  boolean originDetection;

  @Option(
      names = "--check-config",
      description =
          "Check every setting and the mapping file, say what was found, and exit (0, or 2 "
              + "naming what is wrong) without binding or opening anything.")
  boolean checkConfig;

  @Mixin ReceiveOptions receive = new ReceiveOptions();

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    StopSignals signals = StopSignals.install();
    receive.validate();
    ServeConfig config = ServeConfig.of(this);
    if (checkConfig) {
      var m = config.mapper().get();
      spec.commandLine()
          .getOut()
          .println(
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
