package io.udsink.collector.export.jsonl;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.parse.Event;
import io.udsink.collector.parse.ServiceCheck;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Formats an interval as JSON lines, one object per line:
 *
 * <pre>
 * {"ts":1700000000000,"interval_ms":10000,"name":"api.hits","type":"counter","tags":["env:prod"],"value":42,"count":40}
 * {"ts":...,"interval_ms":...,"name":"queue.depth","type":"gauge","tags":[],"value":7}
 * {"ts":...,"interval_ms":...,"name":"users","type":"set","tags":[],"value":3}   (,"estimate":true beyond 512 members)
 * {"ts":...,"interval_ms":...,"name":"db.query","type":"timer","tags":[],"count":..,"sum":..,"min":..,"max":..,"mean":..,"p50":..,"p90":..,"p95":..,"p99":..}
 * {"ts":...,"type":"event","title":"..","text":"..","tags":[..],"hostname":..}
 * {"ts":...,"type":"service_check","name":"..","status":0,"tags":[..],"message":..}
 * {"ts":...,"interval_ms":...,"name":"udsink.datagrams","type":"telemetry","tags":[],"value":1234}
 * </pre>
 *
 * Telemetry lines carry what happened during the interval (not running totals).
 */
public final class JsonLines {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final Comparator<Series> ORDER =
      Comparator.comparing(Series::name)
          .thenComparing(s -> s.type().ordinal())
          .thenComparing(s -> String.join(",", s.tags()));

  private JsonLines() {}

  /** The bytes of an interval's lines and how many lines they hold. */
  public record Chunk(byte[] bytes, int lines) {}

  /** One telemetry value: a name without the {@code udsink.} prefix, tags, a value. */
  public record TelemetryLine(String name, List<String> tags, double value) {}

  private static final double[] QUANTILES = {0.50, 0.90, 0.95, 0.99};
  private static final String[] QUANTILE_FIELDS = {"p50", "p90", "p95", "p99"};

  /**
   * Formats one interval.
   *
   * @param iv the interval
   * @param telemetry the telemetry lines to add, may be empty
   * @param leftOut counts a series left out because its values could not be computed
   * @return the lines, each ending in a newline
   */
  public static Chunk format(
      Interval iv, List<TelemetryLine> telemetry, io.udsink.collector.export.Telemetry leftOut) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + iv.series().length * 160);
    int lines = 0;
    long ts = iv.endMs();
    long intervalMs = iv.endMs() - iv.startMs();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.setRootValueSeparator(null);
      Series[] series = iv.series().clone();
      Arrays.sort(series, ORDER);
      for (Series s : series) {
        double[] v;
        try {
          v = values(s);
        } catch (RuntimeException e) {
          leftOut.leftOut(
              io.udsink.collector.export.SeriesLeftOut.FAILED,
              "jsonl",
              s.type().label() + " " + s.name(),
              e);
          continue;
        }
        g.writeStartObject();
        g.writeNumberField("ts", ts);
        g.writeNumberField("interval_ms", intervalMs);
        g.writeStringField("name", s.name());
        g.writeStringField("type", s.type().label());
        writeTags(g, s.tags());
        switch (s.type()) {
          case COUNTER:
            number(g, "value", v[0]);
            g.writeNumberField("count", s.samples());
            break;
          case GAUGE:
            number(g, "value", v[0]);
            break;
          case SET:
            g.writeNumberField("value", (long) v[0]);
            if (v[1] != 0) {
              g.writeBooleanField("estimate", true);
            }
            break;
          default:
            number(g, "count", v[0]);
            number(g, "sum", v[1]);
            number(g, "min", v[2]);
            number(g, "max", v[3]);
            number(g, "mean", v[4]);
            for (int i = 0; i < QUANTILES.length; i++) {
              number(g, QUANTILE_FIELDS[i], v[5 + i]);
            }
            break;
        }
        g.writeEndObject();
        g.writeRaw('\n');
        lines++;
      }
      for (Series s : iv.timed()) { // their own time, and an interval of none
        g.writeStartObject();
        g.writeNumberField("ts", s.timestampMs());
        g.writeNumberField("interval_ms", 0);
        g.writeStringField("name", s.name());
        g.writeStringField("type", s.type().label());
        writeTags(g, s.tags());
        number(g, "value", s.value());
        if (s.type() == io.udsink.collector.parse.MetricType.COUNTER) {
          g.writeNumberField("count", s.samples());
        }
        g.writeEndObject();
        g.writeRaw('\n');
        lines++;
      }
      for (Event e : iv.events()) {
        g.writeStartObject();
        g.writeNumberField("ts", ts);
        g.writeStringField("type", "event");
        g.writeStringField("title", e.title());
        g.writeStringField("text", e.text());
        writeTags(g, e.tags());
        optional(g, "timestamp", e.timestamp());
        optional(g, "hostname", e.hostname());
        optional(g, "aggregation_key", e.aggregationKey());
        optional(g, "priority", e.priority());
        optional(g, "source_type_name", e.sourceType());
        optional(g, "alert_type", e.alertType());
        g.writeEndObject();
        g.writeRaw('\n');
        lines++;
      }
      for (ServiceCheck c : iv.serviceChecks()) {
        g.writeStartObject();
        g.writeNumberField("ts", ts);
        g.writeStringField("type", "service_check");
        g.writeStringField("name", c.name());
        g.writeNumberField("status", c.status());
        writeTags(g, c.tags());
        optional(g, "message", c.message());
        optional(g, "timestamp", c.timestamp());
        optional(g, "hostname", c.hostname());
        g.writeEndObject();
        g.writeRaw('\n');
        lines++;
      }
      for (TelemetryLine t : telemetry) {
        g.writeStartObject();
        g.writeNumberField("ts", ts);
        g.writeNumberField("interval_ms", intervalMs);
        g.writeStringField("name", "udsink." + t.name());
        g.writeStringField("type", "telemetry");
        writeTags(g, t.tags());
        number(g, "value", t.value());
        g.writeEndObject();
        g.writeRaw('\n');
        lines++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return new Chunk(out.toByteArray(), lines);
  }

  /** What a series' line shows, computed before anything is written; all finite. */
  private static double[] values(Series s) {
    double[] v;
    switch (s.type()) {
      case COUNTER:
      case GAUGE:
        v = new double[] {s.value()};
        break;
      case SET:
        v = new double[] {s.setSize(), s.setIsEstimate() ? 1 : 0};
        break;
      default:
        v = new double[5 + QUANTILES.length];
        v[0] = s.count();
        v[1] = s.sum();
        v[2] = s.min();
        v[3] = s.max();
        v[4] = s.sum() / s.count();
        for (int i = 0; i < QUANTILES.length; i++) {
          v[5 + i] = s.quantile(QUANTILES[i]);
        }
        break;
    }
    for (double d : v) {
      if (!Double.isFinite(d)) {
        throw new IllegalStateException("non-finite value " + d);
      }
    }
    return v;
  }

  private static void writeTags(JsonGenerator g, List<String> tags) throws IOException {
    g.writeArrayFieldStart("tags");
    for (String t : tags) {
      g.writeString(t);
    }
    g.writeEndArray();
  }

  private static void optional(JsonGenerator g, String field, Object value) throws IOException {
    if (value instanceof Long) {
      g.writeNumberField(field, (Long) value);
    } else if (value != null) {
      g.writeStringField(field, value.toString());
    }
  }

  /** Integral values print as integers ({@code 42}, not {@code 42.0}). */
  static void number(JsonGenerator g, String field, double v) throws IOException {
    if (v == Math.rint(v) && Math.abs(v) < 9.007199254740992E15) {
      g.writeNumberField(field, (long) v);
    } else {
      g.writeNumberField(field, v);
    }
  }
}
