package io.udsink.collector.mapping;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as statsd_exporter's mapping files write them: {@code 1m20s}, {@code 500ms}, {@code 0}. */
final class GoDuration {
  private static final Pattern PART =
      Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

  private GoDuration() {}

  /** Milliseconds, or throws naming the text. */
  static long parseMs(String text) {
    String t = text.trim();
    if (t.equals("0")) {
      return 0;
    }
    Matcher m = PART.matcher(t);
    double ns = 0;
    int at = 0;
    while (at < t.length() && m.find(at) && m.start() == at) {
      double v = Double.parseDouble(m.group(1));
      switch (m.group(2)) {
        case "ns":
          ns += v;
          break;
        case "us":
        case "µs":
          ns += v * 1e3;
          break;
        case "ms":
          ns += v * 1e6;
          break;
        case "s":
          ns += v * 1e9;
          break;
        case "m":
          ns += v * 60e9;
          break;
        default:
          ns += v * 3600e9;
          break;
      }
      at = m.end();
    }
    if (at != t.length() || at == 0) {
      throw new IllegalArgumentException("'" + text + "' is not a duration (examples: 30s, 1m20s)");
    }
    return (long) (ns / 1e6);
  }
}
