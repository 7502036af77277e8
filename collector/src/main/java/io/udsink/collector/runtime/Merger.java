package io.udsink.collector.runtime;

import io.udsink.collector.aggregate.Aggregator;
import io.udsink.collector.aggregate.Counter;
import io.udsink.collector.aggregate.Interval;
import io.udsink.collector.aggregate.Series;
import io.udsink.collector.aggregate.SeriesBudget;
import io.udsink.collector.export.Flusher;
import io.udsink.collector.export.IntervalSink;
import io.udsink.collector.parse.Event;
import io.udsink.collector.parse.ServiceCheck;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one {@link Interval} of the workers' parts and hands it to the {@link Flusher}, in order.
 * The workers own disjoint series, so their series are put side by side; events, service checks
 * and samples with their own time follow in worker order; counters add. The worker that gives the
 * last part of an interval does the hand-off; at stop it waits for the outputs.
 */
final class Merger {
  private static final Logger LOG = LoggerFactory.getLogger(Merger.class);

  private final int workers;
  private final IntervalSink flusher;
  private final SeriesBudget budget;
  private final long finalFlushTimeoutMs;
  private final Map<Long, Parts> pending = new HashMap<>();
  private long next;
  private long startMs;
  private volatile Flusher.Result result;
  private long droppedEvents;
  private long droppedTimed;

  private static final class Parts {
    final Aggregator.Produced[] produced;
    final Aggregator.Owned[] owned;
    int count;
    long endMs;
    boolean last;

    Parts(int n) {
      produced = new Aggregator.Produced[n];
      owned = new Aggregator.Owned[n];
    }
  }

  Merger(
      int workers,
      IntervalSink flusher,
      SeriesBudget budget,
      long startMs,
      long finalFlushTimeoutMs) {
    this.workers = workers;
    this.budget = budget;
    this.flusher = flusher;
    this.startMs = startMs;
    this.finalFlushTimeoutMs = finalFlushTimeoutMs;
  }

  /**
   * One worker's part of interval {@code k}.
   *
   * @param worker the worker's index
   * @param k the interval's number, from 0
   * @param endMs when the receive thread ended it (epoch ms)
   * @param last true for the final interval
   * @param produced what the worker's parser made besides series
   * @param owned the worker's series
   */
  synchronized void deposit(
      int worker,
      long k,
      long endMs,
      boolean last,
      Aggregator.Produced produced,
      Aggregator.Owned owned) {
    Parts p = pending.computeIfAbsent(k, x -> new Parts(workers));
    p.produced[worker] = produced;
    p.owned[worker] = owned;
    p.endMs = endMs;
    p.last = last;
    p.count++;
    while ((p = pending.get(next)) != null && p.count == workers) {
      pending.remove(next);
      next++;
      Interval iv = merge(p);
      for (Aggregator.Owned o : p.owned) {
        budget.release(o);
      }
      startMs = p.endMs;
      if (p.last) {
        try {
          result = flusher.finish(iv, finalFlushTimeoutMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          LOG.error("interrupted while waiting for the final flush");
        }
      } else {
        flusher.offer(iv);
      }
    }
  }

  /** What the final flush could not write; null until it ran. */
  Flusher.Result result() {
    return result;
  }

  private Interval merge(Parts p) {
    if (workers == 1) {
      Aggregator.Produced pr = p.produced[0];
      return interval(p, p.owned[0].series(), pr.events(), pr.checks(), pr.timed());
    }
    int total = 0;
    for (Aggregator.Owned o : p.owned) {
      total += o.series().length;
    }
    Series[] series = new Series[total];
    int at = 0;
    for (Aggregator.Owned o : p.owned) {
      System.arraycopy(o.series(), 0, series, at, o.series().length);
      at += o.series().length;
    }
    List<Event> events = new ArrayList<>();
    List<ServiceCheck> checks = new ArrayList<>();
    List<Series> timed = new ArrayList<>();
    int max = Aggregator.MAX_EVENTS_PER_INTERVAL;
    for (Aggregator.Produced pr : p.produced) {
      for (Event e : pr.events()) {
        if (events.size() + checks.size() < max) {
          events.add(e);
        } else {
          droppedEvents++;
        }
      }
      for (ServiceCheck c : pr.checks()) {
        if (events.size() + checks.size() < max) {
          checks.add(c);
        } else {
          droppedEvents++;
        }
      }
      for (Series s : pr.timed()) {
        if (timed.size() < max) {
          timed.add(s);
        } else {
          droppedTimed++;
        }
      }
    }
    return interval(p, series, events, checks, timed);
  }

  private Interval interval(
      Parts p, Series[] series, List<Event> events, List<ServiceCheck> checks, List<Series> timed) {
    long[] counters = Aggregator.sum(p.produced[0].counters(), p.owned[0].counters());
    long[] errors = Aggregator.sum(p.produced[0].parseErrors(), p.owned[0].parseErrors());
    for (int w = 1; w < workers; w++) {
      add(counters, p.produced[w].counters());
      add(counters, p.owned[w].counters());
      add(errors, p.produced[w].parseErrors());
      add(errors, p.owned[w].parseErrors());
    }
    // the bound on events and timed samples holds for the whole interval, not for each worker
    counters[Counter.DROPPED_EVENTS.ordinal()] += droppedEvents;
    counters[Counter.DROPPED_TIMED.ordinal()] += droppedTimed;
    return new Interval(startMs, p.endMs, series, events, checks, counters, errors, p.last, timed);
  }

  private static void add(long[] into, long[] more) {
    for (int i = 0; i < into.length; i++) {
      into[i] += more[i];
    }
  }
}
