package io.udsink.collector.export.cumulative;

import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Gives every metric family on {@code /metrics} names that no other family uses, so that any mix
 * of StatsD names and types makes a valid exposition.
 *
 * <p>A family occupies more than its name: a counter {@code x} writes {@code x_total} (and may
 * write {@code x_created}), a summary {@code x} writes {@code x_sum} and {@code x_count}. A family
 * is given the first of {@code base}, {@code base_<code>}, {@code base_<code>_2}, ... whose
 * names are all free, where the code is the kind's: {@code c} counter, {@code g} gauge,
 * {@code h} histogram, {@code q} summary; never a Prometheus type word, which {@code promtool}
 * flags in a name. Names are held while a series of the family is shown and released when the
 * last one expires, so the registry is bounded by the series shown, not by every name ever seen.
 * Single-threaded (the caller synchronises).
 */
final class FamilyNames {
  private static final int MAX_ATTEMPTS = 1000;

  /** One family: its name, its type, the names it occupies, the series that use it. */
  static final class Family {
    private final String name;
    private final PromKind type;
    private final List<String> occupies;
    private final String key;
    private int refs;

    Family(String name, PromKind type, String key) {
      this.name = name;
      this.type = type;
      this.occupies = occupied(type, name);
      this.key = key;
    }

    String name() {
      return name;
    }

    PromKind type() {
      return type;
    }
  }

  private final Map<String, Family> byName = new HashMap<>();
  private final Map<String, Family> byBase = new HashMap<>();

  /** The names a family of this type and name occupies in the text and OpenMetrics formats. */
  static List<String> occupied(PromKind type, String n) {
    return type.occupied(n);
  }

  /**
   * Takes a family for series of {@code type} whose sanitised name is {@code base}: the same
   * family for every such series while one is held.
   */
  Family acquire(PromKind type, String base) {
    return acquire(type, base, null);
  }

  /**
   * As {@link #acquire(PromKind, String)}, keeping the name an earlier instance gave the family
   * when it is still free (a takeover must not rename series).
   */
  Family acquire(PromKind type, String base, String preferred) {
    String key = type.ordinal() + ":" + base;
    Family f = byBase.get(key);
    if (f == null) {
      String name =
          preferred != null
                  && PrometheusNaming.isValidMetricName(preferred)
                  && free(type, preferred)
              ? preferred
              : candidate(type, base);
      f = new Family(name, type, key);
      for (String n : f.occupies) {
        byName.put(n, f);
      }
      byBase.put(key, f);
    }
    f.refs++;
    return f;
  }

  /** Holds a name for udsink's own metrics, for good. */
  void reserve(PromKind type, String name) {
    Family f = new Family(name, type, null);
    f.refs = Integer.MAX_VALUE;
    for (String n : f.occupies) {
      byName.put(n, f);
    }
  }

  /** Gives back one series' hold on its family; the last one frees its names. */
  void release(Family f) {
    if (--f.refs > 0) {
      return;
    }
    for (String n : f.occupies) {
      byName.remove(n, f);
    }
    byBase.remove(f.key, f);
  }

  /** Names held. */
  int size() {
    return byName.size();
  }

  private String candidate(PromKind type, String base) {
    for (int i = 0; i < MAX_ATTEMPTS; i++) {
      String c =
          i == 0 ? base : i == 1 ? base + "_" + suffix(type) : base + "_" + suffix(type) + "_" + i;
      if (PrometheusNaming.isValidMetricName(c) && free(type, c)) {
        return c;
      }
    }
    throw new IllegalStateException("no free Prometheus name for " + type + " " + base);
  }

  static String suffix(PromKind type) {
    return type.suffix();
  }

  private boolean free(PromKind type, String name) {
    for (String n : occupied(type, name)) {
      if (byName.containsKey(n)) {
        return false;
      }
    }
    return true;
  }
}
