package io.udsink.collector.parse;

/** The six StatsD metric types, with their wire code and their name in the outputs. */
public enum MetricType {
  /** {@code c}: summed per interval (value / sample rate). */
  COUNTER("c", "counter"),
  /** {@code g}: last value; {@code +n}/{@code -n} adjust the last known value. */
  GAUGE("g", "gauge"),
  /** {@code s}: number of unique members per interval. */
  SET("s", "set"),
  /** {@code ms}: distribution of durations. */
  TIMER("ms", "timer"),
  /** {@code h}: distribution of values. */
  HISTOGRAM("h", "histogram"),
  /** {@code d}: distribution of values (DogStatsD). */
  DISTRIBUTION("d", "distribution");

  private static final MetricType[] VALUES = values();
  private final String code;
  private final String label;

  MetricType(String code, String label) {
    this.code = code;
    this.label = label;
  }

  /** The type code on the wire, for example {@code ms}. */
  public String code() {
    return code;
  }

  /** The name in JSON lines, for example {@code timer}. */
  public String label() {
    return label;
  }

  /** True for timers, histograms and distributions (summarised with quantiles). */
  public boolean isDistribution() {
    return this == TIMER || this == HISTOGRAM || this == DISTRIBUTION;
  }

  /**
   * The type named by its JSON label, or {@code null}.
   *
   * @param label for example {@code "counter"}
   * @return the type, or null
   */
  public static MetricType ofLabel(String label) {
    for (MetricType t : VALUES) {
      if (t.label.equals(label)) {
        return t;
      }
    }
    return null;
  }

  /**
   * The type a StatsD line's type field names: {@code c g s h d ms}; null for another.
   *
   * @param b the bytes
   * @param s where the field starts
   * @param e where it ends
   * @return the type, or null
   */
  public static MetricType ofCode(byte[] b, int s, int e) {
    int n = e - s;
    if (n == 1) {
      return switch (b[s]) {
        case 'c' -> COUNTER;
        case 'g' -> GAUGE;
        case 's' -> SET;
        case 'h' -> HISTOGRAM;
        case 'd' -> DISTRIBUTION;
        default -> null;
      };
    }
    return n == 2 && b[s] == 'm' && b[s + 1] == 's' ? TIMER : null;
  }
}
