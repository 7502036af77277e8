package io.udsink.collector.export.cumulative;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.model.snapshots.Labels;
import io.udsink.collector.aggregate.NativeHistogram;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.aggregate.Sketches;
import io.udsink.collector.mapping.ObserverSpec;
import java.util.List;

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

  /** In a render copy: the window's samples as of {@link #renderedAtMs}, or null. */
  DDSketch windowSketch;

  long renderedAtMs;
  double scale = 1;
  long updatedMs;

  /** True once this series was reported as left out of the output. */
  boolean reportedLeftOut;

  PromSeries(
      FamilyNames.Family family,
      Labels labels,
      String rawName,
      PromKind kind,
      long ttlMs,
      String help,
      ObserverSpec observer) {
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

  /**
   * A summary quantile of a render copy ({@link #renderCopy}), in Prometheus units; NaN when
   * its window holds no samples.
   */
  double quantile(double q) {
    if (windowSketch == null) {
      return Double.NaN;
    }
    // a negative scale turns the order around
    return windowSketch.getValueAtQuantile(scale < 0 ? 1 - q : q) * scale;
  }

  /**
   * True when another point's buckets or window add up with this one's: the same observer
   * settings and, for a summary, the same scale (its window keeps unscaled values).
   */
  boolean sameLayout(PromSeries other) {
    switch (kind) {
      case HISTOGRAM:
        return observer.equals(other.observer);
      case SUMMARY:
        return observer.equals(other.observer) && scale == other.scale;
      default:
        return true;
    }
  }

  static double clamp(double v) {
    return Double.isFinite(v) ? v : (v > 0 ? Double.MAX_VALUE : -Double.MAX_VALUE);
  }

  /**
   * Adds another point with the same name and labels (two StatsD names mapped alike) into a
   * render copy. The caller has checked {@link #sameLayout}.
   */
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
        if (target.classic != null && classic != null) {
          for (int i = 0; i < classic.length; i++) {
            target.classic[i] += classic[i];
          }
        }
        if (target.nativeBuckets != null && nativeBuckets != null) {
          target.nativeBuckets.addAll(nativeBuckets);
        }
        if (window != null) {
          DDSketch w = window.window(target.renderedAtMs);
          if (w != null) {
            if (target.windowSketch == null) {
              target.windowSketch = w;
            } else {
              Sketches.merge(target.windowSketch, w);
            }
          }
        }
        break;
    }
  }

  /**
   * A copy to render at {@code nowMs}, which points with the same labels add into; a summary's
   * copy holds its window's samples as of then.
   */
  PromSeries renderCopy(long nowMs) {
    PromSeries c = new PromSeries(family, labels, rawName, kind, ttlMs, help, observer);
    c.value = value;
    c.count = count;
    c.sum = sum;
    c.classic = classic == null ? null : classic.clone();
    c.nativeBuckets = nativeBuckets == null ? null : nativeBuckets.copy();
    c.window = null;
    c.windowSketch = window == null ? null : window.window(nowMs);
    c.renderedAtMs = nowMs;
    c.scale = scale;
    c.updatedMs = updatedMs;
    return c;
  }

  /**
   * The cumulative values and everything the series was configured with, for the instance that
   * takes over.
   */
  void export(ObjectNode n) {
    n.put("value", value);
    n.put("count", count);
    n.put("sum", sum);
    n.put("updated_ms", updatedMs);
    n.put("ttl_ms", ttlMs);
    n.put("scale", scale);
    if (help != null) {
      n.put("help", help);
    }
    if (kind == PromKind.HISTOGRAM || kind == PromKind.SUMMARY) {
      putObserver(n.putObject("observer"), observer);
    }
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
    if (window != null) {
      window.export(n.putObject("window"));
    }
  }

  private static void putBuckets(ArrayNode a, long[][] b) {
    for (int i = 0; i < b[0].length; i++) {
      a.addArray().add(b[0][i]).add(b[1][i]);
    }
  }

  private static void putObserver(ObjectNode o, ObserverSpec spec) {
    o.put("kind", spec.kind().name());
    ArrayNode b = o.putArray("buckets");
    for (double x : spec.buckets()) {
      b.add(x);
    }
    o.put("native_schema", spec.nativeSchema());
    o.put("max_buckets", spec.maxBuckets());
    ArrayNode q = o.putArray("quantiles");
    for (ObserverSpec.Quantile x : spec.quantiles()) {
      q.addArray().add(x.quantile()).add(x.error());
    }
    o.put("max_age_ms", spec.maxAgeMs());
    o.put("age_buckets", spec.ageBuckets());
  }

  /**
   * The observer settings {@link #export} wrote, or null when the state has none (it came from
   * a version that did not hand them over).
   *
   * @throws IllegalArgumentException when they are not settings this version can keep
   */
  static ObserverSpec observer(JsonNode n) {
    JsonNode o = n.path("observer");
    if (!o.isObject()) {
      return null;
    }
    double[] buckets = new double[o.path("buckets").size()];
    for (int i = 0; i < buckets.length; i++) {
      buckets[i] = o.path("buckets").get(i).asDouble();
      if (Double.isNaN(buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1]))) {
        throw new IllegalArgumentException("bucket bounds not ascending");
      }
    }
    java.util.List<ObserverSpec.Quantile> qs = new java.util.ArrayList<>();
    for (JsonNode q : o.path("quantiles")) {
      qs.add(new ObserverSpec.Quantile(q.path(0).asDouble(), q.path(1).asDouble()));
    }
    int schema = o.path("native_schema").asInt(ObserverSpec.NO_NATIVE);
    if (schema != ObserverSpec.NO_NATIVE && (schema < NativeHistogram.MIN_SCHEMA || schema > 8)) {
      throw new IllegalArgumentException("native schema " + schema);
    }
    int ageBuckets = o.path("age_buckets").asInt();
    if (ageBuckets < 0 || ageBuckets > io.udsink.collector.mapping.MappingFile.MAX_AGE_BUCKETS) {
      throw new IllegalArgumentException("age_buckets " + ageBuckets);
    }
    return new ObserverSpec(
        ObserverSpec.Kind.valueOf(o.path("kind").asText()),
        buckets,
        schema,
        o.path("max_buckets").asInt(ObserverSpec.DEFAULT_MAX_BUCKETS),
        List.copyOf(qs),
        o.path("max_age_ms").asLong(ObserverSpec.DEFAULT_MAX_AGE_MS),
        ageBuckets);
  }

  /**
   * Adds what an earlier instance had counted. Nothing is added unless all of it fits: a
   * histogram's buckets must match this series' settings and hold exactly its count.
   *
   * @throws IllegalArgumentException when it does not fit, saying why
   */
  void importFrom(JsonNode n, boolean fresh) {
    if (kind == PromKind.COUNTER || kind == PromKind.UNTYPED) {
      value = clamp(value + n.path("value").asDouble());
    } else if ((kind == PromKind.GAUGE || kind == PromKind.SET) && fresh) {
      value = n.path("value").asDouble();
    } else if (kind == PromKind.HISTOGRAM || kind == PromKind.SUMMARY) {
      long addCount = n.path("count").asLong();
      JsonNode c = n.path("classic");
      long[] addClassic = null;
      if (classic != null) {
        if (!c.isArray() || c.size() != classic.length) {
          throw new IllegalArgumentException("classic buckets do not match the settings");
        }
        addClassic = new long[classic.length];
        long total = 0;
        for (int i = 0; i < classic.length; i++) {
          addClassic[i] = c.get(i).asLong();
          total += addClassic[i];
        }
        if (total != addCount) {
          throw new IllegalArgumentException(
              "classic buckets hold " + total + " of " + addCount + " observations");
        }
      }
      NativeHistogram prev = null;
      JsonNode h = n.path("native");
      if (nativeBuckets != null) {
        if (!h.isObject()) {
          throw new IllegalArgumentException("native buckets missing");
        }
        prev = new NativeHistogram(h.path("schema").asInt(), observer.maxBuckets());
        prev.addZero(h.path("zero").asLong());
        for (JsonNode b : h.path("positive")) {
          prev.addBucket(true, b.get(0).asInt(), b.get(1).asLong());
        }
        for (JsonNode b : h.path("negative")) {
          prev.addBucket(false, b.get(0).asInt(), b.get(1).asLong());
        }
        if (prev.count() != addCount) {
          throw new IllegalArgumentException(
              "native buckets hold " + prev.count() + " of " + addCount + " observations");
        }
      }
      if (window != null && n.path("window").isObject()) {
        window.importFrom(n.path("window"));
      }
      count += addCount;
      sum = clamp(sum + n.path("sum").asDouble());
      if (addClassic != null) {
        for (int i = 0; i < classic.length; i++) {
          classic[i] += addClassic[i];
        }
      }
      if (prev != null) {
        nativeBuckets.addAll(prev);
      }
      if (fresh) {
        scale = n.path("scale").asDouble(1);
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
