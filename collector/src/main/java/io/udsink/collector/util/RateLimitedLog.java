package io.udsink.collector.util;

import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;

/**
 * Logs a repeated problem once per interval per key, with how many were suppressed since the last
 * line, so that a flood of bad input cannot flood the log. Not thread-safe: one per thread.
 */
public final class RateLimitedLog {
  private final Logger log;
  private final long intervalNs;
  private final Map<String, long[]> state = new HashMap<>();

  /**
   * Creates the log.
   *
   * @param log where lines go
   * @param intervalNs at most one line per key per this many nanoseconds
   */
  public RateLimitedLog(Logger log, long intervalNs) {
    this.log = log;
    this.intervalNs = intervalNs;
  }

  /**
   * Logs a warning for {@code key} unless one was logged within the interval.
   *
   * @param key what kind of problem this is
   * @param message the line, with the sample that shows it
   */
  public void warn(String key, String message) {
    long now = System.nanoTime();
    long[] s = state.get(key);
    if (s == null) {
      if (state.size() > 1000) {
        state.clear();
      }
      s = new long[] {now - intervalNs, 0};
      state.put(key, s);
    }
    if (now - s[0] >= intervalNs) {
      if (s[1] > 0) {
        log.warn("{} ({} more like it since the last report)", message, s[1]);
      } else {
        log.warn(message);
      }
      s[0] = now;
      s[1] = 0;
    } else {
      s[1]++;
    }
  }
}
