package io.udsink.collector.runtime;

import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.Counter;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.export.Flusher;
import io.udsink.collector.loop.DatagramHandler;
import io.udsink.collector.mapping.MapperRef;
import io.udsink.collector.mapping.ObserverSpec;
import io.udsink.collector.origin.OriginResolver;
import io.udsink.collector.parse.ParseError;
import io.udsink.collector.parse.StatsdParser;
import io.udsink.collector.parse.TagStyles;
import io.udsink.collector.util.RateLimitedLog;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receive loop's handler for {@code udsink serve}: parses each datagram, aggregates it, and
 * at every flush interval hands the finished interval to the {@link Flusher} without waiting. At
 * stop, after the loop has drained every socket, it hands over the final interval and waits, up
 * to a deadline, for every output to write it; {@link #result()} tells what could not be.
 */
public final class Intake implements DatagramHandler {
  private static final Logger LOG = LoggerFactory.getLogger(Intake.class);
  private static final int SAMPLE_CHARS = 120;

  private final Aggregator aggregator;
  private final OriginResolver origins;
  private final StatsdParser parser;
  private final Flusher flusher;
  private final long flushIntervalNs;
  private final LongSupplier wallClockMs;
  private final long finalFlushTimeoutMs;
  private final RateLimitedLog badInput = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
  private long nextFlushNs = -1;
  private volatile Flusher.Result result;
  private long linesReported;

  /**
   * Creates the handler.
   *
   * @param flusher where finished intervals go
   * @param flushIntervalNs the flush interval
   * @param maxSeries most series per interval
   * @param gaugeMemoryNs how long a gauge's last value is kept without updates (for deltas)
   * @param wallClockMs epoch milliseconds, for timestamps
   * @param finalFlushTimeoutMs how long the stop waits for the outputs to write the final flush
   */
  public Intake(
      Flusher flusher,
      long flushIntervalNs,
      int maxSeries,
      long gaugeMemoryNs,
      LongSupplier wallClockMs,
      long finalFlushTimeoutMs) {
    this(
        flusher,
        flushIntervalNs,
        maxSeries,
        gaugeMemoryNs,
        wallClockMs,
        finalFlushTimeoutMs,
        MapperRef.none(ObserverSpec.defaults(ObserverSpec.Kind.NATIVE)),
        true,
        TagStyles.ALL,
        null);
  }

  /**
   * Creates the handler with a mapping.
   *
   * @param flusher where finished intervals go
   * @param flushIntervalNs the flush interval
   * @param maxSeries most series per interval
   * @param gaugeMemoryNs how long a gauge's last value is kept without updates (for deltas)
   * @param wallClockMs epoch milliseconds, for timestamps
   * @param finalFlushTimeoutMs how long the stop waits for the outputs to write the final flush
   * @param mapper the mapping in force
   * @param observe true when an output shows distributions to Prometheus
   * @param tagStyles the tag formats lines are read with
   * @param origins tells each sender's container or service (origin detection), or null
   */
  public Intake(
      Flusher flusher,
      long flushIntervalNs,
      int maxSeries,
      long gaugeMemoryNs,
      LongSupplier wallClockMs,
      long finalFlushTimeoutMs,
      MapperRef mapper,
      boolean observe,
      TagStyles tagStyles,
      OriginResolver origins) {
    this.origins = origins;
    this.flusher = flusher;
    this.flushIntervalNs = flushIntervalNs;
    this.wallClockMs = wallClockMs;
    this.finalFlushTimeoutMs = finalFlushTimeoutMs;
    this.aggregator =
        new Aggregator(
            maxSeries,
            Math.max(1, gaugeMemoryNs / flushIntervalNs),
            wallClockMs.getAsLong(),
            this::logBadLine,
            mapper,
            observe);
    this.parser = new StatsdParser(aggregator, aggregator, Series.MAX_SKETCH_VALUE, tagStyles);
    this.parser.podUidFromEntityId(origins != null);
  }

  @Override
  public void onDatagram(int socket, ByteBuffer datagram, boolean truncated) {
    parser.parse(datagram); // datagrams, bytes and truncations are the loop's to count
  }

  @Override
  public void onDatagram(
      int socket, ByteBuffer datagram, boolean truncated, int pid, int uid, int gid) {
    parser.parse(datagram, origins == null ? null : origins.tag(pid));
  }

  @Override
  public long onTimer(long nowNs) {
    if (nextFlushNs < 0) {
      nextFlushNs = nowNs + flushIntervalNs;
      return nextFlushNs;
    }
    flusher.offer(take(false));
    nextFlushNs += flushIntervalNs;
    if (nextFlushNs <= nowNs) {
      nextFlushNs = nowNs + flushIntervalNs;
    }
    return nextFlushNs;
  }

  @Override
  public void onStop() {
    Interval last = take(true);
    try {
      result = flusher.finish(last, finalFlushTimeoutMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      LOG.error("interrupted while waiting for the final flush");
    }
  }

  /**
   * What the final flush could not write, once the loop has stopped; null if the stop did not
   * get that far.
   */
  public Flusher.Result result() {
    return result;
  }

  private Interval take(boolean last) {
    long lines = parser.lines();
    aggregator.count(Counter.LINES, lines - linesReported);
    linesReported = lines;
    return aggregator.takeInterval(wallClockMs.getAsLong(), last);
  }

  private void logBadLine(ParseError reason, byte[] line, int start, int end) {
    badInput.warn(
        reason.label(), "rejected line (" + reason.label() + "): " + sample(line, start, end));
  }

  /** The start of a line, printable: non-printable bytes as {@code \xNN}. */
  public static String sample(byte[] b, int s, int e) {
    StringBuilder sb = new StringBuilder();
    int end = Math.min(e, s + SAMPLE_CHARS);
    String text = new String(b, s, end - s, StandardCharsets.UTF_8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\ufffd') {
        sb.append(c == '\ufffd' ? "\\ufffd" : String.format("\\x%02x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (end < e) {
      sb.append("... (").append(e - s).append(" bytes)");
    }
    return "'" + sb + "'";
  }
}
