package io.udsink.collector.cli;

import java.time.Duration;
import java.util.Locale;

/** Parses {@code 250ms}, {@code 10s}, {@code 5m}, {@code 1h}, {@code 1m30s}; a bare number is seconds. */
public final class Durations {
  private Durations() {}

  /**
   * Parses a duration: one or more number-unit pairs ({@code 1m30s}, {@code 1h}, {@code 250ms},
   * {@code 1.5s}); a bare number is seconds.
   *
   * @param text for example {@code 10s}
   * @return the duration, positive
   * @throws IllegalArgumentException naming the text when it is not one
   */
  public static Duration parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.isEmpty()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration (examples: 500ms, 10s, " + "1m30s)");
    }
    double ms = 0;
    int i = 0;
    while (i < t.length()) {
      int start = i;
      while (i < t.length() && (Character.isDigit(t.charAt(i)) || t.charAt(i) == '.')) {
        i++;
      }
      if (i == start) {
        throw new IllegalArgumentException(
            "'" + text + "' is not a duration (examples: 500ms, " + "10s, 1m30s)");
      }
      double n;
      try {
        n = Double.parseDouble(t.substring(start, i));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "'" + text + "' is not a duration (examples: 500ms, " + "10s, 1m30s)");
      }
      int u = i;
      while (i < t.length() && Character.isLetter(t.charAt(i))) {
        i++;
      }
      String unit = t.substring(u, i);
      if (unit.isEmpty() && (start > 0 || i < t.length())) {
        throw new IllegalArgumentException(
            "'" + text + "' needs a unit after each number " + "(ms, s, m or h)");
      }
      switch (unit) {
        case "ms":
          ms += n;
          break;
        case "":
        case "s":
          ms += n * 1000;
          break;
        case "m":
          ms += n * 60_000;
          break;
        case "h":
          ms += n * 3_600_000;
          break;
        default:
          throw new IllegalArgumentException(
              "'" + text + "' has an unknown unit '" + unit + "' (use ms, s, m or h)");
      }
    }
    if (!(ms > 0) || ms > 1e12) {
      throw new IllegalArgumentException("'" + text + "' must be a positive duration");
    }
    return Duration.ofNanos((long) (ms * 1_000_000));
  }
}
