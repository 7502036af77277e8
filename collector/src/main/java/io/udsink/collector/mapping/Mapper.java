package io.udsink.collector.mapping;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import io.udsink.collector.parse.MetricType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps a StatsD name and type to what Prometheus shows, by statsd_exporter's rules:
 *
 * <ul>
 *   <li>glob rules ({@code *} stands for one dot-separated part, {@code $1} or {@code ${1}} for
 *       what it stood for) are tried before regex rules whatever their order in the file; among
 *       globs the first in the file that matches wins, or, with {@code glob_disable_ordering},
 *       the most specific (a literal part before a {@code *}, left to right);</li>
 *   <li>regex rules are tried in order and search the name (they need not match all of it);
 *       {@code $0} is the whole match. They are Go's (RE2) regular expressions, as in
 *       statsd_exporter, matched in time linear in the name's length: no rule, however written,
 *       lets a sender's name stall the receive loop;</li>
 *   <li>{@code match_metric_type} limits a rule to counters, gauges or observers (timers,
 *       histograms, distributions; udsink's sets count as gauges);</li>
 *   <li>the expanded name is escaped (every character outside {@code [a-zA-Z0-9_]} becomes one
 *       {@code _}, a run of dashes one {@code _}, a leading digit gets a {@code _}); a name that
 *       expands to nothing drops the sample, as {@code action: drop} does;</li>
 *   <li>names no rule matches are escaped the same way.</li>
 * </ul>
 *
 * Results are cached per name and type (at most {@code cacheSize}, least recently used first
 * out), since series are created again in every interval. Used by the receive loop's thread
 * only; a reload replaces the whole mapper.
 */
public final class Mapper {
  /** Default most cached names. */
  public static final int DEFAULT_CACHE_SIZE = 10_000;

  /** A checked, compiled rule. */
  record Rule(
      int index,
      String match,
      Pattern regex,
      String metricType,
      String name,
      Map<String, String> labels,
      boolean honorLabels,
      boolean drop,
      String help,
      long ttlMs,
      double scale,
      ObserverSpec observer) {}

  /** A node of the glob trie: literal parts, and the {@code *} part. */
  private static final class Node {
    final Map<String, Node> literal = new HashMap<>();
    Node star;
    Rule rule;
  }

  private final Map<String, Node> roots = new HashMap<>();
  private final List<Rule> regexRules = new ArrayList<>();
  private final boolean orderingDisabled;
  private final long defaultTtlMs;
  private final ObserverSpec unmatchedObserver;
  private final boolean fromFile;
  private final int ruleCount;
  private final LinkedHashMap<String, Mapped> cache;
  private final Mapped[] plainCache = new Mapped[MetricType.values().length];
  private volatile long hits; // written under the lock by the workers, read by telemetry
  private volatile long misses;

  Mapper(
      List<Rule> rules,
      boolean orderingDisabled,
      long defaultTtlMs,
      ObserverSpec unmatchedObserver,
      boolean fromFile,
      int cacheSize) {
    this.orderingDisabled = orderingDisabled;
    this.defaultTtlMs = defaultTtlMs;
    this.unmatchedObserver = unmatchedObserver;
    this.fromFile = fromFile;
    this.ruleCount = rules.size();
    for (String t : new String[] {"counter", "gauge", "observer"}) {
      roots.put(t, new Node());
    }
    for (Rule r : rules) {
      if (r.regex() != null) {
        regexRules.add(r);
        continue;
      }
      for (String t :
          r.metricType().isEmpty()
              ? new String[] {"counter", "gauge", "observer"}
              : new String[] {r.metricType()}) {
        Node n = roots.get(t);
        for (String part : r.match().split("\\.", -1)) {
          if (part.equals("*")) {
            if (n.star == null) {
              n.star = new Node();
            }
            n = n.star;
          } else {
            n = n.literal.computeIfAbsent(part, k -> new Node());
          }
        }
        if (n.rule == null) {
          n.rule = r; // the same glob twice: the first one wins
        }
      }
    }
    this.cache =
        new LinkedHashMap<>(64, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Mapped> e) {
            return size() > cacheSize;
          }
        };
  }

  /**
   * A mapper without rules: every name escaped udsink's way, observations as given.
   *
   * @param observer how timers, histograms and distributions are shown
   * @return the mapper
   */
  public static Mapper none(ObserverSpec observer) {
    return new Mapper(List.of(), false, 0, observer, false, 0);
  }

  /** True when the rules came from a mapping file. */
  public boolean fromFile() {
    return fromFile;
  }

  /** Rules in the file. */
  public int ruleCount() {
    return ruleCount;
  }

  /** Cache hits and misses so far. */
  public long[] cacheStats() {
    return new long[] {hits, misses};
  }

  /**
   * What a StatsD name and type become.
   *
   * @param name the StatsD name
   * @param type its type
   * @return the result, shared by every call with the same name and type
   */
  public synchronized Mapped map(String name, MetricType type) {
    if (!fromFile) {
      Mapped m = plainCache[type.ordinal()];
      if (m == null) {
        m = new Mapped(false, null, Map.of(), false, null, 0, 1, unmatchedObserver, false);
        plainCache[type.ordinal()] = m;
      }
      return m;
    }
    String key = type.ordinal() + ":" + name;
    Mapped m = cache.get(key);
    if (m != null) {
      hits++;
      return m;
    }
    misses++;
    m = compute(name, statsdType(type));
    cache.put(key, m);
    return m;
  }

  private static String statsdType(MetricType t) {
    switch (t) {
      case COUNTER:
        return "counter";
      case GAUGE:
      case SET:
        return "gauge";
      default:
        return "observer";
    }
  }

  private Mapped compute(String name, String type) {
    String[] parts = name.split("\\.", -1);
    String[] captures = new String[parts.length];
    Found found = new Found(parts.length);
    glob(roots.get(type), parts, 0, captures, 0, found);
    if (found.rule != null) {
      Rule r = found.rule;
      Map<String, String> labels = new LinkedHashMap<>();
      r.labels()
          .forEach((k, v) -> labels.put(k, Template.glob(v, found.captures, found.captureCount)));
      return result(r, Template.glob(r.name(), found.captures, found.captureCount), labels);
    }
    for (Rule r : regexRules) {
      Matcher m = r.regex().matcher(name);
      if (!m.find()) {
        continue;
      }
      if (!r.metricType().isEmpty() && !r.metricType().equals(type)) {
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>();
      r.labels().forEach((k, v) -> labels.put(k, Template.regex(v, m)));
      return result(r, Template.regex(r.name(), m), labels);
    }
    return new Mapped(
        false,
        Escape.metricName(name),
        Map.of(),
        false,
        null,
        defaultTtlMs,
        1,
        unmatchedObserver,
        false);
  }

  /** Longest name or label value a rule may expand to, in UTF-8 bytes, as a line's limit. */
  static final int MAX_EXPANDED_BYTES = 4096;

  private static Mapped result(Rule r, String expanded, Map<String, String> labels) {
    if (r.drop()) {
      return Mapped.dropped(true);
    }
    String escaped = Escape.metricName(expanded);
    if (escaped.isEmpty()
        || tooLong(escaped)
        || labels.values().stream().anyMatch(Mapper::tooLong)) {
      return Mapped.dropped(true); // nothing expands without bound: 200 x ${1} is no series
    }
    return new Mapped(
        false,
        escaped,
        Map.copyOf(labels),
        r.honorLabels(),
        r.help(),
        r.ttlMs(),
        r.scale(),
        r.observer(),
        true);
  }

  private static boolean tooLong(String s) {
    return s.length() > MAX_EXPANDED_BYTES / 3
        && s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_EXPANDED_BYTES;
  }

  /** The best glob match found so far, and its captures. */
  private static final class Found {
    Rule rule;
    final String[] captures;
    int captureCount;

    Found(int parts) {
      captures = new String[parts];
    }
  }

  /** Depth-first over the trie; true when the search may stop. */
  private boolean glob(Node n, String[] parts, int i, String[] captures, int c, Found found) {
    if (n == null) {
      return false;
    }
    if (i == parts.length) {
      if (n.rule != null && (found.rule == null || n.rule.index() < found.rule.index())) {
        found.rule = n.rule;
        System.arraycopy(captures, 0, found.captures, 0, c);
        found.captureCount = c;
        return orderingDisabled; // the first, most specific, match wins
      }
      return false;
    }
    if (glob(n.literal.get(parts[i]), parts, i + 1, captures, c, found)) {
      return true;
    }
    captures[c] = parts[i];
    return glob(n.star, parts, i + 1, captures, c + 1, found);
  }
}
