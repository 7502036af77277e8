package io.udsink.collector.parse;

/**
 * The checks a metric line passes whether it came as text or as JSON: its sample rate, each
 * value, how many values and tags, how long its name and tags are together. Each answers null
 * when the line is fine, or why it is rejected.
 */
final class LineCheck {
  private final double maxDistributionValue;

  /**
   * @param maxDistributionValue largest magnitude of a timer, histogram or distribution value
   */
  LineCheck(double maxDistributionValue) {
    this.maxDistributionValue = maxDistributionValue;
  }

  /** A sample rate: in (0, 1], and not below {@link StatsdParser#MIN_SAMPLE_RATE}. */
  static ParseError rate(double rate) {
    if (!(rate > 0 && rate <= 1)) {
      return ParseError.BAD_SAMPLE_RATE;
    }
    return rate < StatsdParser.MIN_SAMPLE_RATE ? ParseError.SAMPLE_RATE_OUT_OF_RANGE : null;
  }

  /** A number value: finite, and within what a sketch holds for the types that keep one. */
  ParseError value(MetricType type, double v) {
    if (!Double.isFinite(v)) {
      return ParseError.BAD_VALUE;
    }
    if (type.isDistribution() && Math.abs(v) > maxDistributionValue) {
      return ParseError.VALUE_OUT_OF_RANGE;
    }
    return null;
  }

  /** How many values one line carries. */
  static ParseError valueCount(int n) {
    return n > StatsdParser.MAX_VALUES ? ParseError.BAD_VALUE : null;
  }

  /** How many tags one line carries. */
  static ParseError tagCount(int n) {
    return n > StatsdParser.MAX_TAGS || n < 0 ? ParseError.TOO_MANY_TAGS : null;
  }

  /** The line's name and tags together, once they are in place. */
  static ParseError key(MetricLine l) {
    int n = l.nameEnd - l.nameStart;
    for (int i = 0; i < l.tagCount; i++) {
      n += l.tagEnds[i] - l.tagStarts[i];
    }
    return n > StatsdParser.MAX_KEY_BYTES ? ParseError.TOO_LONG : null;
  }

  /** Seconds a timestamp may lie ahead of the clock: clocks differ, a day does not. */
  static final long MAX_FUTURE_SECONDS = 3600;

  /**
   * A DogStatsD 1.3 timestamp ({@code |T<unix seconds>}): digits, after 1970, and at most an
   * hour ahead of {@code nowMs}.
   */
  static ParseError timestamp(byte[] b, int s, int e, long nowMs) {
    long t = Bytes.parseDigits(b, s, e);
    return t <= 0 || t > nowMs / 1000 + MAX_FUTURE_SECONDS ? ParseError.BAD_TIMESTAMP : null;
  }
}
