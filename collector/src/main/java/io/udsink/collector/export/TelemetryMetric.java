package io.udsink.collector.export;

import java.util.List;

/**
 * The catalogue of udsink's own metrics: every counter, gauge and info udsink reports about
 * itself, with its name, help, type and labels. {@code /metrics} and remote write show each as
 * {@code udsink_<name>} (a counter with {@code _total}); the JSON lines as {@code udsink.<name>}
 * telemetry lines, a counter as what it grew by since the previous line. All three render from
 * {@link Telemetry#snapshot()}, so they carry the same metrics under the same names.
 */
public enum TelemetryMetric {
  /** Datagrams received (from the sockets' counters). */
  DATAGRAMS(Type.COUNTER, "datagrams", "Datagrams received"),
  /** Bytes received. */
  BYTES(Type.COUNTER, "bytes", "Bytes received"),
  /** Datagrams longer than --max-datagram, cut. */
  TRUNCATED_DATAGRAMS(
      Type.COUNTER, "truncated_datagrams", "Datagrams longer than the maximum, cut to it"),
  /** Receives that failed, by socket. */
  SOCKET_RECEIVE_ERRORS(
      Type.COUNTER,
      "socket_receive_errors",
      "Receives that failed with an error other than an empty queue, by socket",
      "socket"),
  /** Errors the receive loop survived, by where. */
  LOOP_ERRORS(
      Type.COUNTER,
      "loop_errors",
      "Errors the receive loop caught and survived: in the handling of a datagram or timer "
          + "(handler), or in the loop itself (loop)",
      "where"),
  /** Passes of the receive loop. */
  LOOP_PASSES(
      Type.COUNTER,
      "loop_passes",
      "Passes of the receive loop: each reads every ready socket up to the budget"),
  /** Readiness waits, by kind. */
  LOOP_WAITS(
      Type.COUNTER,
      "loop_waits",
      "Times the receive loop asked which sockets are ready: blocking when it had nothing left "
          + "to read, nonblocking when it had",
      "kind"),
  /** Receives that found nothing. */
  LOOP_EMPTY_READS(
      Type.COUNTER, "loop_empty_reads", "Receives that found a ready socket's queue empty"),
  /** Parse-and-aggregate threads. */
  WORKERS(
      Type.GAUGE,
      "workers",
      "Threads that parse and aggregate (--workers); with 1, the receive loop does it itself"),
  /** Waits of the receive loop for a worker. */
  WORKER_WAITS(
      Type.COUNTER,
      "worker_waits",
      "Times the receive loop found a worker's ring full and stopped reading until it had room: "
          + "the workers fell behind, and the sockets' queues held senders back"),
  /** Lines parsed (valid or not), and JSON datagrams. */
  LINES(Type.COUNTER, "lines", "Lines parsed, valid or not"),
  /** Lines rejected, by reason. */
  PARSE_ERRORS(Type.COUNTER, "parse_errors", "Lines rejected, by reason", "reason"),
  /** Samples dropped over --max-series. */
  DROPPED_SAMPLES_MAX_SERIES(
      Type.COUNTER,
      "dropped_samples_max_series",
      "Samples dropped because the interval already held --max-series series (or as many gauges "
          + "were remembered)"),
  /** Samples a mapping rule dropped. */
  MAPPING_DROPPED_SAMPLES(
      Type.COUNTER,
      "mapping_dropped_samples",
      "Samples the mapping dropped (action: drop, or a name that expanded to nothing)"),
  /** Events received. */
  EVENTS(Type.COUNTER, "events", "Events received"),
  /** Service checks received. */
  SERVICE_CHECKS(Type.COUNTER, "service_checks", "Service checks received"),
  /** Events and service checks dropped over the per-interval limit. */
  DROPPED_EVENTS(
      Type.COUNTER,
      "dropped_events",
      "Events and service checks dropped over the per-interval limit"),
  /** Samples with their own time dropped over the per-interval limit. */
  DROPPED_TIMESTAMPED_SAMPLES(
      Type.COUNTER,
      "dropped_timestamped_samples",
      "Samples with their own time (|T) dropped over the per-interval limit of 10,000"),
  /** Datagrams whose sender's origin could not be told. */
  ORIGIN_UNRESOLVED(
      Type.COUNTER,
      "origin_unresolved",
      "With --origin-detection: datagrams whose sender could not be told (no credentials, or a "
          + "sender in another pid namespace)"),
  /** Datagrams by the sender's uid. */
  DATAGRAMS_BY_UID(
      Type.COUNTER,
      "datagrams_by_uid",
      "Datagrams by the sender's uid (the first 64 uids; later ones as \"other\", datagrams "
          + "without credentials as \"unknown\")",
      "uid"),
  /** Intervals handed to the outputs. */
  FLUSHES(Type.COUNTER, "flushes", "Intervals handed to the outputs"),
  /** Series in the last interval. */
  INTERVAL_SERIES(Type.GAUGE, "interval_series", "Series in the last flushed interval"),
  /** Queue depth at the last receive before the last flush. */
  SOCKET_QUEUE_DATAGRAMS(
      Type.GAUGE,
      "socket_queue_datagrams",
      "Datagrams the socket's receive queue held at the last receive before the last flush",
      "socket"),
  /** Longest queue seen in the last flush interval. */
  SOCKET_QUEUE_DATAGRAMS_MAX(
      Type.GAUGE,
      "socket_queue_datagrams_max",
      "Most datagrams a receive found queued on the socket in the last flush interval",
      "socket"),
  /** The kernel's bound on a datagram socket's queue. */
  MAX_DGRAM_QLEN(
      Type.GAUGE,
      "max_dgram_qlen",
      "The kernel's net.unix.max_dgram_qlen: a socket "
          + "holds one datagram more, then senders block or get EAGAIN"),
  /** Intervals an output wrote. */
  OUTPUT_WRITES(Type.COUNTER, "output_writes", "Intervals an output wrote", "output"),
  /** Failed writes of an output. */
  OUTPUT_ERRORS(Type.COUNTER, "output_errors", "Failed writes of an output (retried)", "output"),
  /** Intervals merged because the output was busy or failing. */
  OUTPUT_MERGED_INTERVALS(
      Type.COUNTER,
      "output_merged_intervals",
      "Intervals merged into a later one because the output was busy or failing",
      "output"),
  /** Samples given up when merging went over --max-series. */
  OUTPUT_MERGE_DROPPED_SAMPLES(
      Type.COUNTER,
      "output_merge_dropped_samples",
      "Samples, events and service checks given up when intervals merged for a busy output "
          + "held more than --max-series series",
      "output"),
  /** Intervals not yet written. */
  OUTPUT_BACKLOG_INTERVALS(
      Type.GAUGE,
      "output_backlog_intervals",
      "Intervals handed to an output and not yet written",
      "output"),
  /** Age of the oldest unwritten data. */
  OUTPUT_OLDEST_UNWRITTEN_SECONDS(
      Type.GAUGE,
      "output_oldest_unwritten_seconds",
      "Age of the oldest data an output has not written; 0 when it is up to date",
      "output"),
  /** Samples put in a remote-write queue. */
  OUTPUT_QUEUED_SAMPLES(
      Type.COUNTER,
      "output_queued_samples",
      "Samples a remote-write output put in its queue (each is then sent, dropped or rejected)",
      "output"),
  /** Samples a remote-write receiver took. */
  OUTPUT_SENT_SAMPLES(
      Type.COUNTER, "output_sent_samples", "Samples a remote-write receiver took", "output"),
  /** Compressed bytes a receiver took. */
  OUTPUT_SENT_BYTES(
      Type.COUNTER,
      "output_sent_bytes",
      "Compressed request bytes a remote-write receiver took",
      "output"),
  /** Samples given up because the queue was full. */
  OUTPUT_DROPPED_SAMPLES(
      Type.COUNTER,
      "output_dropped_samples",
      "Samples given up because more than the queue bound waited to be sent, or the disk was "
          + "full",
      "output"),
  /** Samples a receiver refused for good. */
  OUTPUT_REJECTED_SAMPLES(
      Type.COUNTER,
      "output_rejected_samples",
      "Samples a remote-write receiver refused with a 4xx (not retried)",
      "output"),
  /** Samples answered with a redirect. */
  OUTPUT_REDIRECTED_SAMPLES(
      Type.COUNTER,
      "output_redirected_samples",
      "Samples a remote-write receiver answered with a redirect (3xx; none is followed, so "
          + "credentials never go to another host)",
      "output"),
  /** Requests that failed and were retried. */
  OUTPUT_FAILED_REQUESTS(
      Type.COUNTER,
      "output_failed_requests",
      "Remote-write requests that failed and were retried",
      "output"),
  /** Queued records that failed their checks. */
  OUTPUT_CORRUPT_RECORDS(
      Type.COUNTER,
      "output_corrupt_records",
      "Damaged stretches of a remote-write queue on disk (a torn or corrupt record), skipped",
      "output"),
  /** Stale markers sent. */
  OUTPUT_STALE_MARKERS(
      Type.COUNTER,
      "output_stale_markers",
      "Stale markers queued for series that left the state (their TTL passed)",
      "output"),
  /** Bytes in a remote-write queue. */
  OUTPUT_QUEUE_BYTES(
      Type.GAUGE,
      "output_queue_bytes",
      "Bytes of a remote-write queue on disk not yet taken by its receiver",
      "output"),
  /** Series an output left out. */
  SERIES_ERRORS(
      Type.COUNTER,
      "series_errors",
      "Series an output left out, by reason (each series' name is logged once)",
      "reason"),
  /** Series not shown over --max-series. */
  PROMETHEUS_DROPPED_SERIES(
      Type.COUNTER,
      "prometheus_dropped_series",
      "Series not shown because --max-series were already shown"),
  /** Negative counter increments not added. */
  PROMETHEUS_NEGATIVE_INCREMENTS(
      Type.COUNTER,
      "prometheus_negative_increments",
      "Negative counter increments not added to Prometheus counters (a counter only grows)"),
  /** Series shown on /metrics. */
  PROMETHEUS_SERIES(Type.GAUGE, "prometheus_series", "Series shown on the /metrics endpoint"),
  /** Reloads of the mapping file. */
  MAPPING_RELOADS(
      Type.COUNTER,
      "mapping_reloads",
      "Reloads of the mapping file, by outcome (a failed one keeps the rules in force)",
      "outcome"),
  /** Rules in force. */
  MAPPING_RULES(Type.GAUGE, "mapping_rules", "Rules of the mapping file in force"),
  /** Mapping lookups, by cache result. */
  MAPPING_CACHE_LOOKUPS(
      Type.COUNTER,
      "mapping_cache_lookups",
      "Mapping lookups of a StatsD name and type, by whether its result was cached",
      "result"),
  /** The version. */
  BUILD(Type.INFO, "build", "udsink version", "version", "java");

  /** How a metric's value behaves. */
  public enum Type {
    /** Only grows; shown cumulative, and continued across a takeover. */
    COUNTER,
    /** A value as of now. */
    GAUGE,
    /** Constant labels, value 1. */
    INFO
  }

  private final Type type;
  private final String metric;
  private final String help;
  private final List<String> labels;

  TelemetryMetric(Type type, String metric, String help, String... labels) {
    this.type = type;
    this.metric = metric;
    this.help = help;
    this.labels = List.of(labels);
  }

  /** Counter, gauge or info. */
  public Type type() {
    return type;
  }

  /** The name after {@code udsink_} / {@code udsink.}, without {@code _total}. */
  public String metric() {
    return metric;
  }

  /** The Prometheus family name: {@code udsink_<metric>}. */
  public String prometheusName() {
    return "udsink_" + metric;
  }

  /** One line of help text. */
  public String help() {
    return help;
  }

  /** The label names, in order; empty for a metric without labels. */
  public List<String> labels() {
    return labels;
  }
}
