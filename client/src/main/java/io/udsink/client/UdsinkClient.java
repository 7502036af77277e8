package io.udsink.client;

import java.time.Duration;

/**
 * Sends metrics, events and service checks to udsink (or any DogStatsD-compatible collector) over
 * a Unix datagram socket. Make one with {@link #builder()}, share it between threads, close it at
 * the end.
 *
 * <p>In the default {@link Mode#NON_BLOCKING} mode every emit method is non-blocking and is
 * guaranteed not to throw: what cannot be delivered is counted in {@link #stats()} by reason, and
 * the error handler hears about a collector that is gone once per outage. Lines are packed into
 * datagrams of at most the maximum size and sent by the client's own thread when a datagram is
 * full, when the flush interval passes, and on {@link #flush()} and {@link #close()}.
 *
 * <p>Names, tags and set members are sanitised (see {@code docs/client.md}); a sample rate below
 * 1 sends that fraction of the calls, marked with {@code |@rate} so that the collector scales
 * them back.
 *
 * <p>By default the client aggregates before it sends (see
 * {@link UdsinkClientBuilder#aggregation(boolean)}): counters add up, gauges keep the last value
 * and sets unite over each aggregation interval; timers, histograms and distributions keep every
 * sample and go out packed into multi-value lines.
 */
public interface UdsinkClient extends AutoCloseable {
  /** A new builder. */
  static UdsinkClientBuilder builder() {
    return new UdsinkClientBuilder();
  }

  /** A client that sends nothing and counts nothing: for tests, and for code with metrics off. */
  static UdsinkClient noOp() {
    return NoOpUdsinkClient.INSTANCE;
  }

  /** Adds a fractional {@code delta} to a counter. */
  void count(String name, double delta, String... tags);

  /** Adds {@code delta} to a counter with the time it belongs to ({@code |T}, whole seconds). */
  void countWithTimestamp(String name, long delta, java.time.Instant timestamp, String... tags);

  /** Sets a gauge with the time the value belongs to ({@code |T}, whole seconds). */
  void gaugeWithTimestamp(String name, double value, java.time.Instant timestamp, String... tags);

  /** Sets a gauge, sampled at {@code sampleRate} in (0, 1]. */
  void gauge(String name, double value, double sampleRate, String... tags);

  /** Records a duration in milliseconds, sampled. */
  void time(String name, long millis, double sampleRate, String... tags);

  /** Records a value in a distribution, sampled. */
  void distribution(String name, double value, double sampleRate, String... tags);

  /** Adds a member to a set, sampled. */
  void set(String name, String member, double sampleRate, String... tags);

  /** Adds {@code delta} to a counter. */
  void count(String name, long delta, String... tags);

  /** Adds {@code delta} to a counter, sampled at {@code sampleRate} in (0, 1]. */
  void count(String name, long delta, double sampleRate, String... tags);

  /** Adds {@code delta} to a counter; allocation-free with a reused {@link Tags}. */
  void count(String name, long delta, Tags tags);

  /** Adds 1 to a counter. */
  default void increment(String name, String... tags) {
    count(name, 1, tags);
  }

  /** Subtracts 1 from a counter. */
  default void decrement(String name, String... tags) {
    count(name, -1, tags);
  }

  /** Sets a gauge. (A negative value is sent as an absolute value, never as a delta.) */
  void gauge(String name, double value, String... tags);

  /** Sets a gauge; allocation-free with a reused {@link Tags}. */
  void gauge(String name, double value, Tags tags);

  /** Adjusts a gauge by {@code delta} ({@code +n} / {@code -n} on the wire). */
  void gaugeDelta(String name, double delta, String... tags);

  /** Records a duration in milliseconds ({@code ms}). */
  void time(String name, long millis, String... tags);

  /** Records a duration in milliseconds; allocation-free with a reused {@link Tags}. */
  void time(String name, long millis, Tags tags);

  /** Records a duration ({@code ms}, fractional milliseconds kept). */
  void time(String name, Duration duration, String... tags);

  /** Records a value in a histogram ({@code h}). */
  void histogram(String name, double value, String... tags);

  /** Records a value in a histogram; allocation-free with a reused {@link Tags}. */
  void histogram(String name, double value, Tags tags);

  /** Records a value in a histogram, sampled. */
  void histogram(String name, double value, double sampleRate, String... tags);

  /** Records a value in a distribution ({@code d}). */
  void distribution(String name, double value, String... tags);

  /** Records a value in a distribution; allocation-free with a reused {@link Tags}. */
  void distribution(String name, double value, Tags tags);

  /** Adds a member to a set ({@code s}). */
  void set(String name, String member, String... tags);

  /** Sends an event. */
  void event(Event event);

  /** Sends a service check. */
  void serviceCheck(ServiceCheck check);

  /**
   * Sends pre-formatted DogStatsD text (one or more lines) as it is, packed like a line and never
   * split. For tools; applications use the methods above.
   */
  void sendRaw(String text);

  /** Hands what is buffered to the sender thread now, without waiting for the flush interval. */
  void flush();

  /** What the client has sent and dropped so far. */
  ClientStats stats();

  /**
   * Sends what is buffered, within the close timeout, and stops the client's thread. Emits after
   * close are counted as dropped ({@link DropReason#CLOSED}), never thrown. Idempotent.
   */
  @Override
  void close();
}
