package io.udsink.collector.cli;

import io.udsink.collector.UdsinkException;
import io.udsink.collector.export.Flusher;
import io.udsink.collector.export.OutputWorker;
import io.udsink.collector.export.Telemetry;
import io.udsink.collector.export.TelemetryMetric;
import io.udsink.collector.export.cumulative.CumulativeState;
import io.udsink.collector.export.jsonl.JsonLinesOutput;
import io.udsink.collector.export.prometheus.MetricsServer;
import io.udsink.collector.export.prometheus.PrometheusOutput;
import io.udsink.collector.export.remotewrite.RemoteWriteOutput;
import io.udsink.collector.loop.ReceiveLoop;
import io.udsink.collector.runtime.Intake;
import io.udsink.collector.sys.Sockets;
import io.udsink.collector.transport.BoundSocket;
import io.udsink.collector.util.Fatal;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root of {@code udsink serve}: builds the outputs, the intake and the receive
 * loop from a checked {@link ServeConfig}, and runs one instance's life with them: bind (or take
 * over, or inherit), receive, flush, stop or hand over.
 */
final class ServePipeline {
  private static final Logger LOG = LoggerFactory.getLogger(ServePipeline.class);

  private final ServeConfig config;
  private final Telemetry telemetry = new Telemetry(Main.VERSION);
  private final List<OutputWorker> workers = new ArrayList<>();
  private JsonLinesOutput json;
  private CumulativeState metrics;
  private final java.util.Map<String, RemoteWriteOutput> remote = new java.util.LinkedHashMap<>();
  private MetricsServer server;

  /**
   * Opens the outputs. Nothing is bound yet.
   *
   * @param config the checked configuration
   * @throws UdsinkException when the JSON lines target cannot be opened
   */
  ServePipeline(ServeConfig config) {
    this.config = config;
    telemetry.showMapping(config.mapper());
    int maxSeries = config.maxSeries();
    if (config.jsonLines() != null) {
      try {
        json = JsonLinesOutput.open(config.jsonLines().file(), telemetry);
      } catch (IOException e) {
        throw new UdsinkException(
            "--out "
                + config.jsonLines().spelled()
                + ": cannot open for appending: "
                + e.getMessage(),
            e);
      }
      workers.add(new OutputWorker(json, maxSeries));
    }
    if (config.http() != null) {
      metrics = new CumulativeState(config.ttl().toMillis(), maxSeries, telemetry);
      telemetry.source(TelemetryMetric.PROMETHEUS_SERIES, metrics::size);
      workers.add(new OutputWorker(new PrometheusOutput(metrics), maxSeries));
    }
    ServeConfig.RemoteWrite rw = config.remoteWrite();
    for (int i = 0; i < rw.urls().size(); i++) {
      java.net.URI url = rw.urls().get(i);
      CumulativeState own = new CumulativeState(config.ttl().toMillis(), maxSeries, telemetry);
      RemoteWriteOutput out =
          new RemoteWriteOutput(
              url,
              own,
              rw.labels(),
              rw.headers(),
              rw.timeout(),
              new RemoteWriteOutput.Queue(rw.queueDir(url), rw.queueBytes()),
              rw.natives().get(i));
      remote.put(RemoteWriteOutput.queueKey(url, rw.headers()), out);
      workers.add(new OutputWorker(out, maxSeries));
    }
  }

  /** What SIGHUP does: reopen the JSON lines file, reload the mapping file. */
  void hangup() {
    LOG.info("SIGHUP: reopening the JSON lines output, reloading the mapping file");
    workers.forEach(OutputWorker::requestReopen);
    config.mapper().reload();
  }

  /**
   * Receives on the opened sockets until a stop, then flushes, or hands over to a new instance.
   *
   * @param receive the receive options (batch budget, largest datagram)
   * @param opened the sockets, bound or inherited or taken over
   * @param signals the stop and force signals
   * @return 0 when everything was written
   * @throws UdsinkException when the stop could not write everything or a fatal error stopped it
   */
  int run(ReceiveOptions receive, ReceiveOptions.Opened opened, StopSignals signals)
      throws Exception {
    List<BoundSocket> bound = opened.sockets();
    try {
      if (opened.takeover() != null) {
        remote.values().forEach(RemoteWriteOutput::awaitHandover);
      }
      if (config.http() != null && opened.takeover() == null) {
        server = startHttp(); // a taken-over instance's endpoint moves after the handover
      }
      Flusher flusher = new Flusher(workers, telemetry);
      Intake intake =
          new Intake(
              flusher,
              config.flushInterval().toNanos(),
              config.maxSeries(),
              config.ttl().toNanos(),
              System::currentTimeMillis,
              config.stopTimeout().toMillis(),
              config.mapper(),
              metrics != null || !config.remoteWrite().urls().isEmpty(),
              config.tagStyles(),
              origins(),
              config.workers(),
              receive.maxDatagram);
      telemetry.source(TelemetryMetric.WORKERS, intake::workers);
      telemetry.source(TelemetryMetric.WORKER_WAITS, intake::receiverWaits);
      ReceiveLoop loop =
          new ReceiveLoop(
              bound,
              intake,
              receive.budget,
              receive.maxDatagram,
              config.duration() == null ? Long.MAX_VALUE : config.duration().toNanos(),
              System::nanoTime);
      telemetry.watch(loop, Sockets.maxDgramQlen());
      Fatal.install(loop::requestStop);
      flusher.start();
      signals.onForce(flusher::abortWait);
      boolean handedOver =
          Instance.run(
              "serve",
              loop,
              opened,
              signals,
              config.stopTimeout().plusSeconds(30),
              new Hooks(bound));
      long datagrams = 0;
      for (var s : loop.socketStats()) {
        datagrams += s.datagrams();
      }
      LOG.info(
          "udsink serve: stopped after {} datagrams, {} flushes{}",
          datagrams,
          telemetry.flushes(),
          handedOver ? "; handed over to the new instance" : "");
      List<String> problems = new ArrayList<>();
      if (Fatal.first() != null) {
        problems.add("stopped after a fatal error (" + Fatal.first() + ")");
      }
      Flusher.Result result = intake.result();
      if (result == null) {
        problems.add("the final flush did not run");
      } else if (!result.complete()) {
        problems.add(
            "stopped with data not written: "
                + result.unwrittenLines()
                + " lines not written by output "
                + String.join(", ", result.stuckOutputs()));
      }
      if (!problems.isEmpty()) {
        throw new UdsinkException(String.join("; ", problems));
      }
      return 0;
    } catch (IOException | RuntimeException e) {
      opened.abandon(); // a no-op for sockets the loop already closed
      throw e;
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  /** The origin resolver for --origin-detection, shown in telemetry; null without it. */
  private io.udsink.collector.origin.OriginResolver origins() {
    if (!config.originDetection()) {
      return null;
    }
    var r =
        new io.udsink.collector.origin.OriginResolver(
            java.nio.file.Path.of("/proc"), System::nanoTime);
    telemetry.source(TelemetryMetric.ORIGIN_UNRESOLVED, r::unresolved);
    return r;
  }

  private MetricsServer startHttp() {
    try {
      return MetricsServer.start(
          config.http(), metrics, config.enableLifecycle() ? config.mapper()::reload : null);
    } catch (IOException e) {
      throw new UdsinkException(
          "--http " + config.httpSpelled() + ": cannot listen: " + e.getMessage(), e);
    }
  }

  /** The instance's life as {@link Instance} runs it: takeover state, readiness, handover. */
  private final class Hooks implements Instance.Hooks {
    private final List<BoundSocket> bound;

    Hooks(List<BoundSocket> bound) {
      this.bound = bound;
    }

    @Override
    public void continueFrom(InputStream previous) throws Exception {
      CumulativeState.importStates(metrics, telemetry, remoteStates(), previous);
    }

    @Override
    public void ready() {
      // the takeover is over, with its state or without: remote write goes on
      remote.values().forEach(RemoteWriteOutput::handoverDone);
      if (config.http() != null && server == null) {
        server = startHttp();
      }
      if (server != null) {
        server.ready();
      }
      List<String> names = new ArrayList<>();
      bound.forEach(b -> names.add(b.toString()));
      LOG.info(
          "udsink serve: receiving on {}; JSON lines to {} every {}; {}",
          names,
          json == null ? "nowhere" : json.target(),
          config.flushInterval().toMillis() + " ms",
          server == null
              ? "no /metrics"
              : "Prometheus at http://" + ServeConfig.hostPort(server.address()) + "/metrics");
    }

    @Override
    public byte[] handedOver() {
      if (server != null) {
        server.close(); // the endpoint moves to the new instance
      }
      byte[] state = CumulativeState.exportStates(metrics, telemetry, remoteStates());
      // the queues are on disk with the final flush: the new instance opens them now
      remote.values().forEach(RemoteWriteOutput::close);
      return state;
    }
  }

  private java.util.Map<String, CumulativeState> remoteStates() {
    java.util.Map<String, CumulativeState> m = new java.util.LinkedHashMap<>();
    remote.forEach((k, o) -> m.put(k, o.state()));
    return m;
  }
}
