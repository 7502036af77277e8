package io.udsink.collector.mapping;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * statsd_exporter's mapping file, read as it is: {@code defaults} and {@code mappings}, with
 * every field statsd_exporter knows ({@code match}, {@code match_type}, {@code name},
 * {@code labels}, {@code honor_labels}, {@code action}, {@code match_metric_type},
 * {@code observer_type} and the older {@code timer_type}, {@code histogram_options},
 * {@code summary_options}, {@code ttl}, {@code help}, {@code scale}; in {@code defaults} also
 * {@code glob_disable_ordering}). An unknown field, a bad label name, a glob that is not
 * dot-separated words and stars, a regex that does not compile: the file is refused with a reason.
 */
public final class MappingFile {
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .registerModule(
              new SimpleModule()
                  .addDeserializer(Double.class, new YamlFloat())
                  .addDeserializer(double.class, new YamlFloat()));
  // statsd_exporter's own rules for what a file may contain
  private static final String WORD = "[a-zA-Z_]([a-zA-Z0-9_\\-])*";
  private static final String LATER_WORD = "[a-zA-Z0-9_]([a-zA-Z0-9_\\-])*";
  private static final String TEMPLATE = "(\\$\\{?\\d+\\}?)";
  private static final Pattern GLOB =
      Pattern.compile("^(\\*|" + WORD + ")(\\.\\*|\\." + LATER_WORD + ")*$");
  private static final Pattern NAME =
      Pattern.compile("^([a-zA-Z_]|" + TEMPLATE + ")([a-zA-Z0-9_]|" + TEMPLATE + ")*$");
  private static final Pattern LABEL = Pattern.compile("^[a-zA-Z_][a-zA-Z0-9_]+$");

  /** The {@code defaults} section. */
  public static final class Defaults {
    public String observerType;
    public String timerType;
    public String matchType;
    public boolean globDisableOrdering;
    public String ttl;
    public SummaryOptions summaryOptions;
    public HistogramOptions histogramOptions;
  }

  /** One rule of {@code mappings}. */
  public static final class Rule {
    public String match;
    public String name;
    public Map<String, String> labels = new LinkedHashMap<>();
    public boolean honorLabels;
    public String observerType;
    public String timerType;
    public String matchType;
    public String help;
    public String action;
    public String matchMetricType;
    public String ttl;
    public SummaryOptions summaryOptions;
    public HistogramOptions histogramOptions;
    public Double scale;
  }

  /** {@code summary_options}. */
  public static final class SummaryOptions {
    public List<Objective> quantiles;
    public String maxAge;
    public Integer ageBuckets;
    public Integer bufCap;
  }

  /** A summary quantile. */
  public static final class Objective {
    public double quantile;
    public double error;
  }

  /** {@code histogram_options}. */
  public static final class HistogramOptions {
    public List<Double> buckets;
    public Double nativeHistogramBucketFactor;
    public Integer nativeHistogramMaxBuckets;
  }

  /** The file's top level. */
  public static final class Root {
    public Defaults defaults = new Defaults();
    public List<Rule> mappings = new ArrayList<>();
  }

  /** Most parts of a summary's window: each is a sketch of up to 33 KB per series. */
  public static final int MAX_AGE_BUCKETS = 100;

  private MappingFile() {}

  /**
   * A YAML float in every spelling YAML allows ({@code .inf}, {@code -.Inf}, {@code .nan},
   * {@code 1e-6}, {@code 1_000}), which the JSON number rules Jackson applies would refuse.
   */
  private static final class YamlFloat extends JsonDeserializer<Double> {
    @Override
    public Double deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      String t = p.getText().trim().replace("_", "");
      switch (t.toLowerCase(java.util.Locale.ROOT)) {
        case ".inf":
        case "+.inf":
          return Double.POSITIVE_INFINITY;
        case "-.inf":
          return Double.NEGATIVE_INFINITY;
        case ".nan":
          return Double.NaN;
        default:
          try {
            return Double.valueOf(t);
          } catch (NumberFormatException e) {
            throw ctx.weirdStringException(t, Double.class, "not a number");
          }
      }
    }
  }

  /**
   * Reads and checks a mapping file.
   *
   * @param path the file
   * @param cacheSize most names whose result is remembered
   * @return the mapper its rules make
   * @throws IOException when it cannot be read
   * @throws IllegalArgumentException naming the problem, when it is not a valid mapping file
   */
  public static Mapper load(Path path, int cacheSize) throws IOException {
    return parse(io.udsink.collector.sys.Fs.readRegularFile(path, MAX_FILE_BYTES), cacheSize);
  }

  /** Largest mapping file read: 16 MiB (a thousand rules take about 100 KB). */
  public static final int MAX_FILE_BYTES = 16 << 20;

  /**
   * Checks mapping rules given as YAML text.
   *
   * @param yaml the file's text
   * @param cacheSize most names whose result is remembered
   * @return the mapper
   * @throws IllegalArgumentException naming the problem
   */
  public static Mapper parse(String yaml, int cacheSize) {
    Root root;
    try {
      root = YAML.readValue(yaml, Root.class);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage().split("\n")[0], e);
    }
    if (root == null) {
      root = new Root();
    }
    if (root.defaults == null) {
      root.defaults = new Defaults();
    }
    if (root.mappings == null) {
      root.mappings = new ArrayList<>();
    }
    Defaults d = root.defaults;
    String defaultMatch = d.matchType == null || d.matchType.isEmpty() ? "glob" : d.matchType;
    checkOneOf("defaults.match_type", defaultMatch, "glob", "regex");
    HistogramOptions dh = d.histogramOptions == null ? new HistogramOptions() : d.histogramOptions;
    double[] defaultBuckets =
        dh.buckets == null || dh.buckets.isEmpty()
            ? ObserverSpec.DEFAULT_BUCKETS
            : buckets("defaults", dh.buckets);
    double defaultFactor =
        dh.nativeHistogramBucketFactor == null || dh.nativeHistogramBucketFactor == 0
            ? ObserverSpec.DEFAULT_BUCKET_FACTOR
            : dh.nativeHistogramBucketFactor;
    int defaultMax =
        dh.nativeHistogramMaxBuckets == null || dh.nativeHistogramMaxBuckets <= 0
            ? ObserverSpec.DEFAULT_MAX_BUCKETS
            : dh.nativeHistogramMaxBuckets;
    SummaryOptions ds = d.summaryOptions == null ? new SummaryOptions() : d.summaryOptions;
    if (ds.ageBuckets != null && ds.ageBuckets > MAX_AGE_BUCKETS) {
      throw new IllegalArgumentException(
          "defaults.summary_options: age_buckets "
              + ds.ageBuckets
              + " is more than "
              + MAX_AGE_BUCKETS
              + " (each costs up to 33 KB per series)");
    }
    long defaultTtl = d.ttl == null ? 0 : duration("defaults.ttl", d.ttl);
    String defaultObserver = observer("defaults", d.observerType, d.timerType);

    List<Mapper.Rule> rules = new ArrayList<>();
    for (int i = 0; i < root.mappings.size(); i++) {
      Rule r = root.mappings.get(i);
      String where = "mapping " + (i + 1) + (r.match == null ? "" : " (" + r.match + ")");
      if (r.match == null || r.match.isEmpty()) {
        throw new IllegalArgumentException(where + ": no match");
      }
      if (r.labels == null) {
        r.labels = new LinkedHashMap<>();
      }
      for (String k : r.labels.keySet()) {
        if (!LABEL.matcher(k).matches()) {
          throw new IllegalArgumentException(where + ": invalid label key: " + k);
        }
      }
      if (r.name == null || r.name.isEmpty()) {
        throw new IllegalArgumentException(where + ": metric mapping didn't set a metric name");
      }
      if (!NAME.matcher(r.name).matches()) {
        throw new IllegalArgumentException(
            where + ": metric name '" + r.name + "' doesn't match " + NAME.pattern());
      }
      String matchType = r.matchType == null || r.matchType.isEmpty() ? defaultMatch : r.matchType;
      checkOneOf(where + ": match_type", matchType, "glob", "regex");
      String action = r.action == null || r.action.isEmpty() ? "map" : r.action;
      checkOneOf(where + ": action", action, "map", "drop");
      String metricType = r.matchMetricType == null ? "" : r.matchMetricType;
      if (!metricType.isEmpty()) {
        checkOneOf(where + ": match_metric_type", metricType, "counter", "gauge", "observer");
      }
      com.google.re2j.Pattern regex = null;
      if (matchType.equals("glob")) {
        if (!GLOB.matcher(r.match).matches()) {
          throw new IllegalArgumentException(where + ": invalid match: " + r.match);
        }
      } else {
        try {
          RegexSize.check(r.match);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              where + ": invalid regex " + r.match + ": " + e.getMessage(), e);
        }
        try {
          regex = com.google.re2j.Pattern.compile(r.match);
        } catch (com.google.re2j.PatternSyntaxException e) {
          throw new IllegalArgumentException(
              where + ": invalid regex " + r.match + ": " + e.getDescription(), e);
        }
      }
      String observer = observer(where, r.observerType, r.timerType);
      if (observer == null) {
        observer = defaultObserver == null ? "summary" : defaultObserver;
      }
      boolean histogram = !observer.equals("summary");
      if (histogram && r.summaryOptions != null) {
        throw new IllegalArgumentException(
            where + ": cannot use histogram observer and summary " + "options at the same time");
      }
      if (!histogram && r.histogramOptions != null) {
        throw new IllegalArgumentException(
            where + ": cannot use summary observer and histogram " + "options at the same time");
      }
      ObserverSpec spec;
      if (histogram) {
        HistogramOptions h =
            r.histogramOptions == null ? new HistogramOptions() : r.histogramOptions;
        double[] b =
            h.buckets == null || h.buckets.isEmpty() ? defaultBuckets : buckets(where, h.buckets);
        double factor =
            h.nativeHistogramBucketFactor != null && h.nativeHistogramBucketFactor > 0
                ? h.nativeHistogramBucketFactor
                : defaultFactor;
        int max =
            h.nativeHistogramMaxBuckets != null && h.nativeHistogramMaxBuckets > 0
                ? h.nativeHistogramMaxBuckets
                : defaultMax;
        // statsd_exporter's histograms carry native buckets beside the classic ones
        spec =
            new ObserverSpec(
                observer.equals("native") ? ObserverSpec.Kind.NATIVE : ObserverSpec.Kind.HISTOGRAM,
                b,
                ObserverSpec.schemaFor(factor),
                max,
                ObserverSpec.DEFAULT_QUANTILES,
                ObserverSpec.DEFAULT_MAX_AGE_MS,
                ObserverSpec.DEFAULT_AGE_BUCKETS);
      } else {
        SummaryOptions s = r.summaryOptions == null ? new SummaryOptions() : r.summaryOptions;
        List<Objective> q =
            s.quantiles != null && !s.quantiles.isEmpty() ? s.quantiles : ds.quantiles;
        List<ObserverSpec.Quantile> quantiles = new ArrayList<>();
        if (q == null || q.isEmpty()) {
          quantiles.addAll(ObserverSpec.DEFAULT_QUANTILES);
        } else {
          for (Objective o : q) {
            if (!(o.quantile >= 0 && o.quantile <= 1)) {
              throw new IllegalArgumentException(
                  where + ": quantile " + o.quantile + " is not between 0 and 1");
            }
            quantiles.add(new ObserverSpec.Quantile(o.quantile, o.error));
          }
        }
        String maxAge = s.maxAge != null ? s.maxAge : ds.maxAge;
        long maxAgeMs = maxAge == null ? 0 : duration(where + ": max_age", maxAge);
        Integer ageBuckets =
            s.ageBuckets != null && s.ageBuckets > 0 ? s.ageBuckets : ds.ageBuckets;
        if (ageBuckets != null && ageBuckets > MAX_AGE_BUCKETS) {
          throw new IllegalArgumentException(
              where
                  + ": age_buckets "
                  + ageBuckets
                  + " is more than "
                  + MAX_AGE_BUCKETS
                  + " (each costs up to 33 KB per series)");
        }
        spec =
            new ObserverSpec(
                ObserverSpec.Kind.SUMMARY,
                new double[0],
                ObserverSpec.NO_NATIVE,
                0,
                List.copyOf(quantiles),
                maxAgeMs > 0 ? maxAgeMs : ObserverSpec.DEFAULT_MAX_AGE_MS,
                ageBuckets != null && ageBuckets > 0
                    ? ageBuckets
                    : ObserverSpec.DEFAULT_AGE_BUCKETS);
      }
      if (r.scale != null && !Double.isFinite(r.scale)) {
        throw new IllegalArgumentException(
            where + ": scale must be a finite number, was " + r.scale);
      }
      long ttl = r.ttl == null ? 0 : duration(where + ": ttl", r.ttl);
      if (ttl == 0 && defaultTtl > 0) {
        ttl = defaultTtl; // a ttl of 0 inherits the default, as statsd_exporter does
      }
      rules.add(
          new Mapper.Rule(
              i,
              r.match,
              regex,
              metricType,
              r.name,
              r.labels,
              r.honorLabels,
              action.equals("drop"),
              r.help,
              ttl,
              r.scale == null ? 1 : r.scale,
              spec));
    }
    ObserverSpec unmatched =
        defaultObserver == null || defaultObserver.equals("summary")
            ? summaryDefaults(ds, defaultTtl)
            : new ObserverSpec(
                defaultObserver.equals("native")
                    ? ObserverSpec.Kind.NATIVE
                    : ObserverSpec.Kind.HISTOGRAM,
                defaultBuckets,
                ObserverSpec.schemaFor(defaultFactor),
                defaultMax,
                ObserverSpec.DEFAULT_QUANTILES,
                ObserverSpec.DEFAULT_MAX_AGE_MS,
                ObserverSpec.DEFAULT_AGE_BUCKETS);
    return new Mapper(rules, d.globDisableOrdering, defaultTtl, unmatched, true, cacheSize);
  }

  private static ObserverSpec summaryDefaults(SummaryOptions ds, long ttl) {
    List<ObserverSpec.Quantile> q = new ArrayList<>();
    if (ds.quantiles == null || ds.quantiles.isEmpty()) {
      q.addAll(ObserverSpec.DEFAULT_QUANTILES);
    } else {
      ds.quantiles.forEach(o -> q.add(new ObserverSpec.Quantile(o.quantile, o.error)));
    }
    long maxAge = ds.maxAge == null ? 0 : duration("defaults.summary_options.max_age", ds.maxAge);
    return new ObserverSpec(
        ObserverSpec.Kind.SUMMARY,
        new double[0],
        ObserverSpec.NO_NATIVE,
        0,
        List.copyOf(q),
        maxAge > 0 ? maxAge : ObserverSpec.DEFAULT_MAX_AGE_MS,
        ds.ageBuckets != null && ds.ageBuckets > 0
            ? ds.ageBuckets
            : ObserverSpec.DEFAULT_AGE_BUCKETS);
  }

  private static String observer(String where, String observerType, String timerType) {
    String t = observerType != null && !observerType.isEmpty() ? observerType : timerType;
    if (t == null || t.isEmpty()) {
      return null;
    }
    checkOneOf(where + ": observer_type", t, "summary", "histogram", "native");
    return t;
  }

  private static double[] buckets(String where, List<Double> list) {
    double[] b = new double[list.size()];
    for (int i = 0; i < b.length; i++) {
      b[i] = list.get(i);
      if (Double.isNaN(b[i]) || (i > 0 && b[i] <= b[i - 1])) {
        throw new IllegalArgumentException(where + ": histogram buckets must be ascending");
      }
    }
    if (Double.isInfinite(b[b.length - 1]) && b[b.length - 1] > 0) {
      return java.util.Arrays.copyOf(b, b.length - 1); // +Inf is implied
    }
    return b;
  }

  private static long duration(String where, String text) {
    try {
      return GoDuration.parseMs(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static void checkOneOf(String where, String value, String... allowed) {
    for (String a : allowed) {
      if (a.equals(value)) {
        return;
      }
    }
    throw new IllegalArgumentException(
        where + ": invalid value '" + value + "' (one of " + String.join(", ", allowed) + ")");
  }
}
