package io.udsink.collector.aggregate;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code --max-series} bound, shared by every {@link Aggregator} of one process: each worker
 * owns its own series, and together they hold at most this many in an interval, and remember at
 * most this many gauges' last values. A series takes its place when it is created and gives it
 * back once every worker has ended its interval; until then, series of the next interval count
 * too, so that no interval ever holds more.
 */
public final class SeriesBudget {
  private final int max;
  private final AtomicInteger series = new AtomicInteger();
  private final AtomicInteger gauges = new AtomicInteger();

  /**
   * Creates a budget.
   *
   * @param max most series, and most remembered gauges, at once
   */
  public SeriesBudget(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max series must be at least 1, was " + max);
    }
    this.max = max;
  }

  boolean takeSeries() {
    return take(series);
  }

  void returnSeries(int n) {
    series.addAndGet(-n);
  }

  /**
   * Gives back the places of an interval's series, once every worker has ended that interval.
   *
   * @param owned one worker's part of the interval
   */
  public void release(Aggregator.Owned owned) {
    returnSeries(owned.held());
  }

  boolean takeGauge() {
    return take(gauges);
  }

  void returnGauges(int n) {
    gauges.addAndGet(-n);
  }

  private boolean take(AtomicInteger held) {
    while (true) {
      int n = held.get();
      if (n >= max) {
        return false;
      }
      if (held.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }
}
