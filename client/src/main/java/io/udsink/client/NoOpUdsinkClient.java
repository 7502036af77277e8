package io.udsink.client;

import java.time.Duration;
import java.time.Instant;

/** {@link UdsinkClient#noOp()}: every method does nothing. */
final class NoOpUdsinkClient implements UdsinkClient {
  static final NoOpUdsinkClient INSTANCE = new NoOpUdsinkClient();

  private static final ClientStats NONE =
      ClientStats.of(0, 0, 0, new long[DropReason.values().length], 0, 0);

  private NoOpUdsinkClient() {}

  @Override
  public void count(String name, long delta, String... tags) {}

  @Override
  public void count(String name, long delta, double sampleRate, String... tags) {}

  @Override
  public void count(String name, long delta, Tags tags) {}

  @Override
  public void count(String name, double delta, String... tags) {}

  @Override
  public void countWithTimestamp(String name, long delta, Instant timestamp, String... tags) {}

  @Override
  public void gauge(String name, double value, String... tags) {}

  @Override
  public void gauge(String name, double value, Tags tags) {}

  @Override
  public void gauge(String name, double value, double sampleRate, String... tags) {}

  @Override
  public void gaugeWithTimestamp(String name, double value, Instant timestamp, String... tags) {}

  @Override
  public void gaugeDelta(String name, double delta, String... tags) {}

  @Override
  public void time(String name, long millis, String... tags) {}

  @Override
  public void time(String name, long millis, Tags tags) {}

  @Override
  public void time(String name, long millis, double sampleRate, String... tags) {}

  @Override
  public void time(String name, Duration duration, String... tags) {}

  @Override
  public void histogram(String name, double value, String... tags) {}

  @Override
  public void histogram(String name, double value, Tags tags) {}

  @Override
  public void histogram(String name, double value, double sampleRate, String... tags) {}

  @Override
  public void distribution(String name, double value, String... tags) {}

  @Override
  public void distribution(String name, double value, Tags tags) {}

  @Override
  public void distribution(String name, double value, double sampleRate, String... tags) {}

  @Override
  public void set(String name, String member, String... tags) {}

  @Override
  public void set(String name, String member, double sampleRate, String... tags) {}

  @Override
  public void event(Event event) {}

  @Override
  public void serviceCheck(ServiceCheck check) {}

  @Override
  public void sendRaw(String text) {}

  @Override
  public void flush() {}

  @Override
  public ClientStats stats() {
    return NONE;
  }

  @Override
  public void close() {}
}
