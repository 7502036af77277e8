package io.udsink.collector.parse;

import java.util.Locale;

/** Why a line was rejected. Counted by reason; the rest of the datagram is still parsed. */
public enum ParseError {
  /** The metric name before {@code :} is empty. */
  EMPTY_NAME,
  /** No {@code :} separates name and value. */
  MISSING_VALUE,
  /** No {@code |type} after the value. */
  MISSING_TYPE,
  /** The type is not one of c, g, s, ms, h, d. */
  UNKNOWN_TYPE,
  /** A value is not a finite number. */
  BAD_VALUE,
  /**
   * A value udsink cannot aggregate without overflow: a timer, histogram or distribution value
   * beyond what its sketch indexes (about 1.7e308), or a sample that would take its series' sum
   * (or a gauge after a delta) beyond the largest double.
   */
  VALUE_OUT_OF_RANGE,
  /** The sample rate is not a number in (0, 1]. */
  BAD_SAMPLE_RATE,
  /** The sample rate is below {@link StatsdParser#MIN_SAMPLE_RATE}. */
  SAMPLE_RATE_OUT_OF_RANGE,
  /** An event's {@code _e{title,text}} header is malformed or disagrees with the line. */
  BAD_EVENT,
  /** A service check is malformed (name, status 0-3, fields). */
  BAD_SERVICE_CHECK,
  /** A JSON datagram or object does not parse or lacks a required field. */
  BAD_JSON,
  /** The line is not valid UTF-8. */
  INVALID_UTF8,
  /** More than the allowed tags on one line. */
  TOO_MANY_TAGS,
  /** Name and tags together longer than {@link StatsdParser#MAX_KEY_BYTES}: bounds memory. */
  TOO_LONG,
  /**
   * A {@code |T} timestamp that is no number of seconds, is 0, or lies more than an hour ahead of
   * the clock.
   */
  BAD_TIMESTAMP,
  /**
   * Tags in the name (InfluxDB {@code name,k=v}, Librato {@code name#k=v}, SignalFx
   * {@code name[k=v]}) and DogStatsD {@code |#} tags on one line, which statsd_exporter refuses
   * too: which would win is anybody's guess.
   */
  MIXED_TAGGING_STYLES,
  /** A line udsink failed to process: a bug, logged once with its stack trace. */
  INTERNAL_ERROR;

  private final String label = name().toLowerCase(Locale.ROOT);

  /** The reason as it appears in telemetry, for example {@code bad_value}. */
  public String label() {
    return label;
  }
}
