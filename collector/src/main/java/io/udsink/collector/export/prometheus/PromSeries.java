package io.udsink.collector.export.prometheus;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.prometheus.metrics.model.snapshots.Labels;
import io.udsink.collector.aggregate.NativeHistogram;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.mapping.ObserverSpec;

/**
 * One series on {@code /metrics}, cumulative as Prometheus expects: counters, {@code _count},
 * {@code _sum} and buckets only grow; a gauge is its last value; a summary's quantiles come from
 * a sliding window.
 */
final class PromSeries {
  final FamilyNames.Family family;
  final Labels labels;
  final String rawName;
  final PromKind kind;
  final long ttlMs;
  final String help;
  final ObserverSpec observer;
  double value;
  long count;
  double sum;
  long[] classic;
  NativeHistogram nativeBuckets;
  SlidingQuantiles window;
  double scale = 1;
  long updatedMs;

  PromSeries(FamilyNames.Family family, Labels labels, String rawName, PromKind kind,
      long ttlMs, String help, ObserverSpec observer) {
    this.family = family;
    this.labels = labels;
    this.rawName = rawName;
    this.kind = kind;
    this.ttlMs = ttlMs;
    this.help = help;
    this.observer = observer;
    if (kind == PromKind.HISTOGRAM) {
      if (observer.classic()) {
        classic = new long[observer.buckets().length + 1];
      }
      if (observer.nativeBuckets()) {
        nativeBuckets = new NativeHistogram(observer.nativeSchema(), observer.maxBuckets());
      }
    } else if (kind == PromKind.SUMMARY) {
      window = new SlidingQuantiles(observer.maxAgeMs(), observer.ageBuckets());
    }
  }

  /**
   * Adds an interval's series.
   *
   * @return the negative counter increments left out
   */
  long apply(Series s, long endMs) {
    updatedMs = endMs;
    double k = s.mapped().scale();
    switch (kind) {
      case COUNTER:
      case UNTYPED:
        value = clamp(value + s.increase() * k);
        return s.negativeSamples();
      case GAUGE:
        value = s.value() * k;
        return 0;
      case SET:
        value = s.setSize();
        return 0;
      case HISTOGRAM:
        count += s.observedCount();
        sum = clamp(sum + s.observedSum());
        long[] b = s.classicBuckets();
        if (classic != null && b != null && b.length == classic.length) {
          for (int i = 0; i < b.length; i++) {
            classic[i] += b[i];
          }
        }
        if (nativeBuckets != null && s.nativeBuckets() != null) {
          nativeBuckets.addAll(s.nativeBuckets());
        }
        return 0;
      default:
        count += s.observedCount();
        sum = clamp(sum + s.observedSum());
        scale = s.scale();
        window.add(s.sketch(), endMs);
        return 0;
    }
  }

  /** A summary quantile now, in Prometheus units. */
  double quantile(double q, long nowMs) {
    // a negative scale turns the order around
    double v = window.quantile(scale < 0 ? 1 - q : q, nowMs);
    return v * scale;
  }

  static double clamp(double v) {
    return Double.isFinite(v) ? v : (v > 0 ? Double.MAX_VALUE : -Double.MAX_VALUE);
  }

  /** Adds another point with the same name and labels (two StatsD names mapped alike). */
  void addInto(PromSeries target) {
    switch (kind) {
      case COUNTER:
      case UNTYPED:
        target.value = clamp(target.value + value);
        break;
      case GAUGE:
      case SET:
        if (updatedMs > target.updatedMs) {
          target.value = value;
          target.updatedMs = updatedMs;
        }
        break;
      default:
        target.count += count;
        target.sum = clamp(target.sum + sum);
        if (target.classic != null && classic != null
            && target.classic.length == classic.length) {
          for (int i = 0; i < classic.length; i++) {
            target.classic[i] += classic[i];
          }
        }
        if (target.nativeBuckets != null && nativeBuckets != null) {
          target.nativeBuckets.addAll(nativeBuckets);
        }
        break;
    }
  }

  /** A copy to render (points with the same labels add into it). */
  PromSeries renderCopy() {
    PromSeries c = new PromSeries(family, labels, rawName, kind, ttlMs, help, observer);
    c.value = value;
    c.count = count;
    c.sum = sum;
    c.classic = classic == null ? null : classic.clone();
    c.nativeBuckets = nativeBuckets == null ? null : nativeBuckets.copy();
    c.window = window;
    c.scale = scale;
    c.updatedMs = updatedMs;
    return c;
  }

  /** The cumulative values, for the instance that takes over. */
  void export(ObjectNode n) {
    n.put("value", value);
    n.put("count", count);
    n.put("sum", sum);
    n.put("updated_ms", updatedMs);
    if (classic != null) {
      ArrayNode a = n.putArray("classic");
      for (long c : classic) {
        a.add(c);
      }
    }
    if (nativeBuckets != null) {
      ObjectNode h = n.putObject("native");
      h.put("schema", nativeBuckets.schema());
      h.put("zero", nativeBuckets.zeroCount());
      putBuckets(h.putArray("positive"), nativeBuckets.positiveBuckets());
      putBuckets(h.putArray("negative"), nativeBuckets.negativeBuckets());
    }
  }

  private static void putBuckets(ArrayNode a, long[][] b) {
    for (int i = 0; i < b[0].length; i++) {
      a.addArray().add(b[0][i]).add(b[1][i]);
    }
  }

  /** Adds what an earlier instance had counted. */
  void importFrom(JsonNode n, boolean fresh) {
    if (kind == PromKind.COUNTER || kind == PromKind.UNTYPED) {
      value = clamp(value + n.path("value").asDouble());
    } else if ((kind == PromKind.GAUGE || kind == PromKind.SET) && fresh) {
      value = n.path("value").asDouble();
    } else if (kind == PromKind.HISTOGRAM || kind == PromKind.SUMMARY) {
      count += n.path("count").asLong();
      sum = clamp(sum + n.path("sum").asDouble());
      JsonNode c = n.path("classic");
      if (classic != null && c.isArray() && c.size() == classic.length) {
        for (int i = 0; i < classic.length; i++) {
          classic[i] += c.get(i).asLong();
        }
      }
      JsonNode h = n.path("native");
      if (nativeBuckets != null && h.isObject()) {
        NativeHistogram prev = new NativeHistogram(h.path("schema").asInt(),
            observer.maxBuckets());
        prev.addZero(h.path("zero").asLong());
        for (JsonNode b : h.path("positive")) {
          prev.addBucket(true, b.get(0).asInt(), b.get(1).asLong());
        }
        for (JsonNode b : h.path("negative")) {
          prev.addBucket(false, b.get(0).asInt(), b.get(1).asLong());
        }
        nativeBuckets.addAll(prev);
      }
    }
    if (fresh) {
      updatedMs = n.path("updated_ms").asLong();
    }
  }

  /** The quantiles a summary shows. */
  List<ObserverSpec.Quantile> quantiles() {
    return observer.quantiles();
  }
}
