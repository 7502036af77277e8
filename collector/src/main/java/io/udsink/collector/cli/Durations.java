package io.udsink.collector.cli;

import java.time.Duration;
import java.util.Locale;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses {@code 250ms}, {@code 10s}, {@code 5m}, {@code 1h}; a bare number is seconds. */
public final class Durations implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /**
   * Parses a duration.
   *
   * @param text for example {@code 10s}
   * @return the duration, positive
   * @throws TypeConversionException naming the text when it is not one
   */
  public static Duration parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    int i = 0;
    while (i < t.length() && (Character.isDigit(t.charAt(i)) || t.charAt(i) == '.')) {
      i++;
    }
    String unit = t.substring(i);
    double n;
    try {
      n = Double.parseDouble(t.substring(0, i));
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + text + "' is not a duration (examples: 500ms, 10s, 2m)");
    }
    double ms;
    switch (unit) {
      case "ms": ms = n; break;
      case "":
      case "s": ms = n * 1000; break;
      case "m": ms = n * 60_000; break;
      case "h": ms = n * 3_600_000; break;
      default:
        throw new TypeConversionException("'" + text + "' has an unknown unit '" + unit
            + "' (use ms, s, m or h)");
    }
    if (!(ms > 0) || ms > 1e12) {
      throw new TypeConversionException("'" + text + "' must be a positive duration");
    }
    return Duration.ofNanos((long) (ms * 1_000_000));
  }
}
